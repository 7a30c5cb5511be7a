"""Agreement metrics: correlations, their bootstrap intervals, pooling over markets, stability."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr

from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.valuation.metrics import agreement, market_agreement, stability


def _named(a) -> dict[str, float]:
    return {f"s{i}": float(v) for i, v in enumerate(a)}


def test_agreement_matches_scipy_and_brackets_the_estimate() -> None:
    gen = np.random.default_rng(0)
    t = gen.standard_normal(12)
    v = t + 0.5 * gen.standard_normal(12)
    res = agreement(_named(v), _named(t), rng=1, n_boot=500)
    assert np.isclose(res.estimate["spearman"], spearmanr(v, t).statistic)
    assert np.isclose(res.estimate["kendall"], kendalltau(v, t).statistic)
    for k, (lo, hi) in res.ci.items():
        assert lo <= res.estimate[k] <= hi, k
    perfect = agreement(_named(t), _named(2 * t + 1), rng=1, n_boot=100)
    assert perfect.estimate["pearson"] == pytest.approx(1.0)
    assert perfect.ci["spearman"] == (pytest.approx(1.0), pytest.approx(1.0))


def test_market_agreement_is_the_mean_of_markets() -> None:
    gen = np.random.default_rng(2)
    pairs, rhos = [], []
    for noise in (0.1, 1.0, 3.0, 0.5):
        t = gen.standard_normal(10)
        v = t + noise * gen.standard_normal(10)
        pairs.append((_named(v), _named(t)))
        rhos.append(spearmanr(v, t).statistic)
    res = market_agreement(pairs, rng=0, n_boot=300)
    assert res.unit == "markets" and res.n == 4
    assert np.isclose(res.estimate["spearman"], np.mean(rhos))
    assert min(rhos) <= res.ci["spearman"][0] <= res.ci["spearman"][1] <= max(rhos)


def test_stability_of_size_is_perfect_and_of_noise_is_not() -> None:
    gen = np.random.default_rng(3)
    sources = {
        f"s{i}": Dataset(gen.standard_normal((20 * (i + 1), 2)), np.arange(20 * (i + 1)) % 2)
        for i in range(6)
    }
    by_size = stability(lambda s, r: {n: float(d.n) for n, d in s.items()}, sources, rng=0)
    assert all(np.isclose(v, 1.0) for v in by_size.values())
    noise = stability(
        lambda s, r: {n: float(np.random.default_rng(r).random()) for n in s}, sources, rng=0
    )
    assert len(noise) == 3 and not all(np.isclose(v, 1.0) for v in noise.values())


def test_bad_inputs() -> None:
    with pytest.raises(ValidationError, match=r"^truth"):
        agreement(_named([1, 2, 3]), {"x": 1.0, "s1": 2.0, "s2": 3.0})
    with pytest.raises(ValidationError, match=r"^values"):
        agreement(_named([1, 2]), _named([1, 2]))
    with pytest.raises(ValidationError, match=r"^pairs"):
        market_agreement([(_named([1, 2, 3]), _named([1, 2, 3]))])
    with pytest.raises(ValidationError, match=r"^fractions"):
        stability(lambda s, r: {}, {}, fractions=(0.0,))


def test_stability_is_reproducible_for_a_seed() -> None:
    """The subsamples come from ``rng``: the same seed gives the same stabilities."""
    gen = np.random.default_rng(4)
    sources = {f"s{i}": Dataset(gen.standard_normal((30, 2)), np.arange(30) % 2) for i in range(5)}

    def value_fn(s, r):
        return {n: float(d.X[:, 0].mean()) for n, d in s.items()}

    first = stability(value_fn, sources, rng=7)
    assert stability(value_fn, sources, rng=7) == first
    assert any(stability(value_fn, sources, rng=8)[f] != first[f] for f in first)
