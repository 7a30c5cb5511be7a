"""Sentence embeddings: the packaged all-MiniLM-L6-v2, offline, with a content-addressed cache."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from synthmix.data.embeddings import (
    EMBEDDING_DIM,
    cache_path,
    embed_texts,
    embedding_stats,
)
from synthmix.exceptions import ValidationError

TEXTS = [
    "I love riding in a self-driving car, it's amazing!",
    "I would never trust a driverless car with my life.",
    "The train leaves the station at noon.",
]


def _python(code: str, tmp_path: Path) -> str:
    """Run ``code`` in a fresh interpreter (no model loaded, no torch imported yet)."""
    env = {**os.environ, "SYNTHMIX_CACHE": str(tmp_path / "env-cache")}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def test_shape_unit_norm_determinism_and_cache_hit(tmp_path: Path) -> None:
    before = embedding_stats()
    emb = embed_texts(TEXTS, cache_dir=tmp_path / "a")
    after = embedding_stats()
    assert emb.shape == (3, EMBEDDING_DIM) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert after.texts_encoded - before.texts_encoded == 3
    assert cache_path(TEXTS, tmp_path / "a").is_file()

    # a cache hit: the identical array, and the model embeds nothing
    again = embed_texts(TEXTS, cache_dir=tmp_path / "a")
    hit = embedding_stats()
    assert np.array_equal(again, emb)
    assert hit.texts_encoded == after.texts_encoded and hit.cache_hits == after.cache_hits + 1

    # deterministic: recomputed from scratch into another cache folder, the same numbers
    fresh = embed_texts(TEXTS, cache_dir=tmp_path / "b")
    np.testing.assert_allclose(fresh, emb, atol=1e-6)
    assert embedding_stats().texts_encoded == after.texts_encoded + 3

    # row i embeds text i, whatever the batching order; and the embeddings carry meaning
    np.testing.assert_allclose(
        embed_texts(TEXTS[::-1], cache_dir=tmp_path / "c"), emb[::-1], atol=1e-5
    )
    cos = emb @ emb.T
    assert cos[0, 1] > cos[0, 2] and cos[0, 1] > cos[1, 2]


def test_the_cache_key_is_the_content(tmp_path: Path) -> None:
    assert cache_path(TEXTS, tmp_path) == cache_path(list(TEXTS), tmp_path)
    assert cache_path(TEXTS, tmp_path) != cache_path(TEXTS[::-1], tmp_path)
    assert cache_path(["ab", "c"], tmp_path) != cache_path(["a", "bc"], tmp_path)
    assert cache_path(TEXTS, tmp_path).parent == tmp_path / "embeddings"


def test_a_damaged_cache_file_is_recomputed(tmp_path: Path) -> None:
    path = cache_path(TEXTS[:1], tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npy file")
    emb = embed_texts(TEXTS[:1], cache_dir=tmp_path)
    assert emb.shape == (1, EMBEDDING_DIM)
    assert np.array_equal(np.load(path), emb)


def test_a_cache_hit_never_imports_torch(tmp_path: Path) -> None:
    embed_texts(TEXTS, cache_dir=tmp_path)
    out = _python(
        f"""
        import sys
        from synthmix.data.embeddings import embed_texts, embedding_stats
        emb = embed_texts({TEXTS!r}, cache_dir={str(tmp_path)!r})
        print(emb.shape, "torch" in sys.modules, embedding_stats().model_loads)
        """,
        tmp_path,
    )
    assert out == "(3, 384) False 0"


def test_importing_synthmix_does_not_import_torch(tmp_path: Path) -> None:
    out = _python(
        """
        import sys
        import synthmix, synthmix.data, synthmix.data.embeddings
        import synthmix.experiments.rmt_tweets
        from synthmix.experiments import registry
        registry.available()
        heavy = ("torch", "transformers", "sentence_transformers")
        print(sorted(m for m in heavy if m in sys.modules))
        """,
        tmp_path,
    )
    assert out == "[]"


def test_missing_text_extra_says_how_to_install(tmp_path: Path) -> None:
    out = _python(
        f"""
        import sys
        sys.modules["sentence_transformers"] = None  # as if the extra were not installed
        from synthmix.data import DataUnavailableError
        from synthmix.data.embeddings import embed_texts
        try:
            embed_texts(["x"], cache_dir={str(tmp_path)!r})
        except DataUnavailableError as exc:
            print(exc)
        """,
        tmp_path,
    )
    assert "pip install 'synthmix[text]'" in out


@pytest.mark.parametrize(
    ("texts", "kwargs", "message"),
    [
        ("one string", {}, "texts"),
        (["fine", 3], {}, "texts"),
        (5, {}, "texts"),
        (["fine"], {"batch_size": 0}, "batch_size"),
        (["fine"], {"progress": "loud"}, "progress"),
    ],
)
def test_bad_input_names_the_parameter(texts: object, kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        embed_texts(texts, **kwargs)  # type: ignore[arg-type]


def test_no_texts_give_an_empty_array(tmp_path: Path) -> None:
    assert embed_texts([], cache_dir=tmp_path).shape == (0, EMBEDDING_DIM)


def test_progress_reports_every_text(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    embed_texts(TEXTS[:2], cache_dir=tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)


def test_load_table_embeds_a_jsonl_text_column(tmp_path: Path, monkeypatch) -> None:
    import json

    from synthmix.data import load_table

    monkeypatch.setenv("SYNTHMIX_CACHE", str(tmp_path / "cache"))
    rows = [
        {"text": t, "label": lab, "synthetic": s}
        for t, lab, s in zip(TEXTS, ["pos", "neg", "neutral"], [False, True, True], strict=True)
    ]
    path = tmp_path / "generated.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = load_table(path, text="text")
    np.testing.assert_allclose(ds.X, embed_texts(TEXTS, cache_dir=tmp_path / "cache"), atol=1e-6)
    assert ds.y.tolist() == ["pos", "neg", "neutral"] and ds.synthetic.tolist() == [0, 1, 1]
    with pytest.raises(ValidationError, match=r"^text must name a column of non-empty strings"):
        load_table(path, text="synthetic")
    with pytest.raises(ValidationError, match=r"^text"):
        load_table(path, text="text", features=["label"])
