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


def _brute_corr(kind: str, a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import pearsonr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    fn = {"spearman": spearmanr, "kendall": kendalltau, "pearson": pearsonr}[kind]
    return float(fn(a, b).statistic)


def test_agreement_interval_is_the_percentile_bootstrap_over_sources() -> None:
    gen = np.random.default_rng(5)
    t = gen.standard_normal(9)
    v = t + gen.standard_normal(9)
    res = agreement(_named(v), _named(t), rng=3, n_boot=200, confidence=0.8)
    assert (res.n, res.unit, res.confidence, res.n_boot) == (9, "sources", 0.8, 200)
    idx = np.random.default_rng(3).integers(0, 9, size=(200, 9))
    for kind in ("spearman", "kendall", "pearson"):
        assert res.estimate[kind] == pytest.approx(_brute_corr(kind, v, t), abs=1e-12)
        boot = [_brute_corr(kind, v[i], t[i]) for i in idx]
        lo, hi = np.quantile(boot, [0.1, 0.9])
        assert res.ci[kind] == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))


def test_agreement_defaults() -> None:
    """rng 0, 1000 resamples, 90% intervals (Pearson's bootstrap replayed with numpy)."""
    gen = np.random.default_rng(6)
    va, ta = gen.standard_normal(6), gen.standard_normal(6)
    v, t = _named(va), _named(ta)
    default = agreement(v, t)
    assert (default.n_boot, default.confidence) == (1000, 0.9)
    idx = np.random.default_rng(0).integers(0, 6, size=(1000, 6))
    boot = [_brute_corr("pearson", va[i], ta[i]) for i in idx]
    lo, hi = np.quantile(boot, [0.05, 0.95])
    assert default.ci["pearson"] == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))
    pooled = market_agreement([(v, t), (t, v)])
    assert pooled == market_agreement([(v, t), (t, v)], rng=0, n_boot=2000, confidence=0.9)
    assert (pooled.n_boot, pooled.confidence, pooled.n) == (2000, 0.9, 2)


def test_constant_values_carry_no_ranking_information() -> None:
    res = agreement(_named([1.0, 1.0, 1.0, 1.0]), _named([1.0, 2.0, 3.0, 4.0]), n_boot=10)
    assert res.estimate == {"spearman": 0.0, "kendall": 0.0, "pearson": 0.0}
    assert all(ci == (0.0, 0.0) for ci in res.ci.values())


def test_market_agreement_pools_every_correlation_and_bootstraps_markets() -> None:
    gen = np.random.default_rng(7)
    pairs, per = [], []
    for _ in range(3):
        t, v = gen.standard_normal(8), gen.standard_normal(8)
        pairs.append((_named(v), _named(t)))
        per.append([_brute_corr(k, v, t) for k in ("spearman", "kendall", "pearson")])
    table = np.array(per)
    res = market_agreement(pairs, rng=2, n_boot=50, confidence=0.5)
    assert (res.n, res.unit, res.n_boot, res.confidence) == (3, "markets", 50, 0.5)
    idx = np.random.default_rng(2).integers(0, 3, size=(50, 3))
    for j, kind in enumerate(("spearman", "kendall", "pearson")):
        assert res.estimate[kind] == pytest.approx(table[:, j].mean(), abs=1e-12)
        lo, hi = np.quantile(table[idx, j].mean(axis=1), [0.25, 0.75])
        assert res.ci[kind] == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))


def test_stability_subsamples_each_source_to_the_documented_size() -> None:
    gen = np.random.default_rng(8)
    sources = {f"s{i}": Dataset(gen.standard_normal((n, 2)), np.arange(n) % 2)
               for i, n in enumerate((7, 40, 13))}  # fmt: skip
    seen: list[dict[str, int]] = []

    def value_fn(s, r):
        seen.append({n: d.n for n, d in s.items()})
        return {n: float(d.X[:, 0].sum()) for n, d in s.items()}

    out = stability(value_fn, sources, rng=1)
    assert list(out) == [0.1, 0.25, 0.5] and all(isinstance(f, float) for f in out)
    assert seen[0] == {"s0": 7, "s1": 40, "s2": 13}  # child 0 values the full data
    # max(2, round(f n)) samples, without replacement
    assert seen[1:] == [
        {"s0": 2, "s1": 4, "s2": 2},
        {"s0": 2, "s1": 10, "s2": 3},
        {"s0": 4, "s1": 20, "s2": 6},
    ]
    assert stability(value_fn, sources, rng=1, fractions=(1.0,)) == {1.0: pytest.approx(1.0)}
