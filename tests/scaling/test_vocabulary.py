"""Words as knowledge items (:mod:`synthmix.scaling.vocabulary`): streams, errors, the law."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.scaling import mixture_error
from synthmix.scaling.vocabulary import (
    TextPool,
    VocabularyWorld,
    coverage,
    first_seen,
    head_cut,
    make_vocabulary_world,
    measured_error,
    predicted_error,
    words,
    zipf_exponent,
)


def _pool(texts: list[list[int]]) -> TextPool:
    ids = np.array([w for t in texts for w in t], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum([len(t) for t in texts])]).astype(np.int64)
    return TextPool(ids, starts)


def _world(real: list[list[int]], gen: list[list[int]], p: list[float]) -> VocabularyWorld:
    v = len(p)
    return VocabularyWorld(
        vocab=tuple(f"w{i}" for i in range(v)),
        p=np.asarray(p, dtype=float) / np.sum(p),
        real=_pool(real),
        generated={"g": _pool(gen)},
        unlearnable_mass=0.0,
        n_test_texts=1,
    )


def test_words_lowercase_and_drop_urls_mentions_and_curly_apostrophes() -> None:
    assert words("@Ann I\u2019m OFF to http://t.co/x, www.a.b — see u!") == [
        "i'm",
        "off",
        "to",
        "see",
        "u",
    ]
    assert words("") == []


def test_first_seen_positions_on_streams_that_repeat_one_text() -> None:
    """pi = 1 (0): every draw is the real (generated) pool's only text, so the stream is that
    text repeated and each word's first position is its first index in the text."""
    world = _world([[0, 1, 0, 2]], [[3, 3, 4]], [1, 1, 1, 1, 1])
    assert first_seen(world, "g", 1.0, 100, rng=0).tolist() == [0, 1, 3, math.inf, math.inf]
    assert first_seen(world, "g", 0.0, 100, rng=0).tolist() == [math.inf] * 3 + [0, 2]
    # positions at or beyond the stream's length are never seen
    assert first_seen(world, "g", 1.0, 3, rng=0).tolist() == [0, 1, math.inf, math.inf, math.inf]


def test_measured_error_is_the_unseen_test_mass_at_each_size() -> None:
    rng = np.random.default_rng(4)
    world = _world([[0]], [[1]], list(rng.random(50)))
    first = np.where(rng.random(50) < 0.2, np.inf, rng.integers(0, 1000, 50).astype(float))
    sizes = [0, 1, 10, 333, 999, 1000, 5000]
    direct = [world.p[first >= n].sum() for n in sizes]
    assert measured_error(world, first, sizes) == pytest.approx(direct, abs=1e-12)


def test_one_word_texts_make_iid_tokens_so_the_exact_law_holds_within_monte_carlo_error() -> None:
    """With one-word texts the stream is i.i.d. tokens of q = π q_real + (1 − π) q_gen, the
    exact E(n) of mixture_error is the expectation, and the mean over R streams lies within
    4 standard errors of it at every size (the tolerance of docs/conventions.md)."""
    V = 200
    g = np.random.default_rng(11)
    real = [
        [int(w)]
        for w in g.choice(
            V, 3000, p=np.arange(1, V + 1) ** -1.5 / np.sum(np.arange(1, V + 1) ** -1.5)
        )
    ]
    gen = [[int(w)] for w in g.integers(0, 40, 500)]
    world = _world(real, gen, list(np.arange(1, V + 1, dtype=float) ** -1.2))
    sizes = np.array([5, 20, 80, 300, 1200, 5000])
    runs = np.array(
        [measured_error(world, first_seen(world, "g", 0.1, 5000, rng=r), sizes) for r in range(300)]
    )
    mean, se = runs.mean(axis=0), runs.std(axis=0, ddof=1) / np.sqrt(runs.shape[0])
    exact = predicted_error(world, "g", 0.1, sizes)
    q = 0.1 * world.real.counts(V) / 3000 + 0.9 * world.pool("g").counts(V) / 500
    assert exact == pytest.approx(mixture_error(world.p, q, sizes), abs=1e-12)
    assert np.all(np.abs(mean - exact) <= 4 * se + 1e-12), (mean, exact, se)
    assert exact[0] > 0.5 > exact[-1]  # the range where the check has power


def test_same_seed_same_stream_and_different_seeds_differ() -> None:
    world = _world([[0, 1], [2], [3, 4, 5]], [[6], [7, 0]], [1] * 8)
    a = first_seen(world, "g", 0.5, 30, rng=7)
    assert first_seen(world, "g", 0.5, 30, rng=7).tolist() == a.tolist()
    assert any(first_seen(world, "g", 0.5, 30, rng=s).tolist() != a.tolist() for s in range(8, 12))


def test_make_world_splits_and_restricts_items_to_words_the_real_pool_has() -> None:
    def letters(i: int) -> str:  # words are letters only: 12 -> "bc"
        return "".join(chr(97 + int(d)) for d in str(i))

    real = [f"common word{letters(i % 3)} rare{letters(i)}" for i in range(40)]
    world = make_vocabulary_world(real, {"llm": ["common common new"]}, test_fraction=0.25, rng=1)
    assert world.n_test_texts == 10
    assert world.real.n_texts == 30
    test_tokens = 10 * 3
    # every test text has one 'rare' word the pool lacks
    assert world.unlearnable_mass == pytest.approx(10 / test_tokens)
    assert world.p.sum() == pytest.approx(1.0)
    assert world.p[world.vocab.index("common")] == pytest.approx(10 / 20)
    assert world.p[world.vocab.index("new")] == 0.0
    assert all(world.p[world.vocab.index(f"rare{letters(i)}")] == 0.0 for i in range(40))


def test_coverage_counts_types_mass_and_the_contiguous_head() -> None:
    world = _world([[0, 1, 2, 3]], [[0, 1, 3, 9], [0]], [8, 4, 2, 1, 0, 0, 0, 0, 0, 0])
    cov = coverage(world, "g")
    assert cov["types"] == 4 and cov["tokens"] == 5
    assert cov["test_mass"] == pytest.approx(13 / 15)
    assert cov["head_k"] == 2 and cov["first_missing"] == "w2"
    full = coverage(_world([[0]], [[0, 1, 2, 3]], [8, 4, 2, 1]), "g")
    assert full["head_k"] == 4 and full["first_missing"] is None


def test_head_cut_keeps_exactly_the_smallest_top_p_head_of_the_real_pool() -> None:
    real = [[0, 0, 0, 1], [1, 2], [3], [0, 4]]  # counts 4, 2, 1, 1, 1 of 9
    world = head_cut(_world(real, [[0]], [1] * 5), 0.6, name="cut")
    pool = world.generated["cut"]
    assert sorted(set(pool.ids.tolist())) == [0, 1]  # 4/9 < 0.6 <= 6/9
    assert pool.ids.tolist() == [0, 0, 0, 1, 1, 0]  # order kept, text [3] dropped
    assert pool.lengths.tolist() == [4, 1, 1]
    assert "g" in world.generated


def test_zipf_exponent_recovers_an_exact_power_law() -> None:
    p = np.arange(1, 5001, dtype=float) ** -1.3
    assert zipf_exponent(p / p.sum()) == pytest.approx(1.3, abs=1e-9)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda w: first_seen(w, "nope", 0.1, 10), "setting"),
        (lambda w: first_seen(w, "g", 1.5, 10), "pi"),
        (lambda w: first_seen(w, "g", 0.1, 0), "n_max"),
        (lambda w: head_cut(w, 0.0), "top_p"),
        (lambda w: measured_error(w, [0.0], [1]), "first"),
        (
            lambda w: make_vocabulary_world(["a"] * 20, {"x": ["b"]}, test_fraction=1.0),
            "test_fraction",
        ),
        (lambda w: make_vocabulary_world(["a"] * 3, {"x": ["b"]}), "real_texts"),
        (lambda w: make_vocabulary_world(["a"] * 20, {"x": ["!!"]}), "generated"),
    ],
)
def test_bad_input_names_the_parameter(call, name) -> None:
    world = _world([[0]], [[1]], [1, 1])
    with pytest.raises(ValidationError, match=name):
        call(world)
