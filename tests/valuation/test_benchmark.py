"""Unit tests of the benchmark's summary rows (the end-to-end run is in tests/experiments)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.stats import kendalltau, pearsonr, spearmanr

from synthmix.valuation.benchmark import _agreement_row, _paired_row

NAMES = ("s0", "s1", "s2", "s3", "s4")


def _named(a: Any) -> dict[str, float]:
    return dict(zip(NAMES, map(float, a), strict=True))


def _pairs() -> list[tuple[Any, ...]]:
    """(values, truth, loo, seconds, peak MB, Shapley truth) of three markets; the second
    market has no Shapley truth."""
    gen = np.random.default_rng(0)
    out = []
    for k in range(3):
        t = gen.standard_normal(5)
        v = t + gen.standard_normal(5)
        lo = t + 2 * gen.standard_normal(5)
        sh = {} if k == 1 else _named(t + 0.5 * gen.standard_normal(5))
        out.append((_named(v), _named(t), _named(lo), 1.0 + k, 10.0 * k, sh))
    return out


def _arr(d: dict[str, float]) -> np.ndarray:
    return np.array([d[n] for n in NAMES])


def test_agreement_row_means_per_market_correlations() -> None:
    pairs = _pairs()
    row = _agreement_row("digits", "m", pairs, np.random.SeedSequence(1))
    assert (row["task"], row["method"], row["n_markets"]) == ("digits", "m", 3)
    for key, fn in (("spearman", spearmanr), ("kendall", kendalltau), ("pearson", pearsonr)):
        per = [fn(_arr(v), _arr(t)).statistic for v, t, *_ in pairs]
        assert row[key] == pytest.approx(np.mean(per), abs=1e-12)
        lo, hi = row[f"{key}_ci"]
        assert min(per) - 1e-12 <= lo <= hi <= max(per) + 1e-12  # a mean over markets
    loo = [spearmanr(_arr(v), _arr(lo)).statistic for v, _, lo, *_ in pairs]
    assert row["spearman_loo"] == pytest.approx(np.mean(loo), abs=1e-12)
    assert min(loo) - 1e-12 <= row["spearman_loo_ci"][0] <= row["spearman_loo_ci"][1]
    assert row["spearman_loo_ci"][1] <= max(loo) + 1e-12
    shap = [spearmanr(_arr(v), _arr(sh)).statistic for v, *_, sh in pairs if sh]
    assert row["n_shapley_markets"] == 2
    assert row["spearman_shapley"] == pytest.approx(np.mean(shap), abs=1e-12)
    assert min(shap) - 1e-12 <= row["spearman_shapley_ci"][0] <= max(shap) + 1e-12
    assert row["seconds"] == pytest.approx(2.0) and row["peak_mb"] == pytest.approx(10.0)


def test_agreement_row_needs_two_markets_and_two_shapley_truths() -> None:
    pairs = _pairs()
    one = _agreement_row("digits", "m", pairs[:1], np.random.SeedSequence(1))
    assert one == {"task": "digits", "method": "m", "n_markets": 1}
    two = _agreement_row("digits", "m", pairs[:2], np.random.SeedSequence(1))  # one Shapley
    assert "spearman" in two and "spearman_shapley" not in two
    assert "n_shapley_markets" not in two


def test_paired_row_compares_markets_both_methods_valued() -> None:
    pairs = _pairs()
    truth = {f"m{k}": p[1] for k, p in enumerate(pairs)}
    primary = {f"m{k}": p[0] for k, p in enumerate(pairs)}
    baseline = {f"m{k}": p[2] for k, p in enumerate(pairs) if k != 2}  # not on market 2
    by_label = {"P": primary, "B": baseline}
    row = _paired_row("digits", "P", "B", by_label, truth, np.random.SeedSequence(3))
    assert (row["task"], row["primary"], row["baseline"], row["n_markets"]) == (
        "digits", "P", "B", 2,
    )  # fmt: skip
    diffs = [
        spearmanr(_arr(primary[m]), _arr(truth[m])).statistic
        - spearmanr(_arr(baseline[m]), _arr(truth[m])).statistic
        for m in ("m0", "m1")
    ]
    assert row["difference"] == pytest.approx(np.mean(diffs), abs=1e-12)
    assert row["wins"] == sum(d > 0 for d in diffs)
    lo, hi = row["difference_ci"]
    assert min(diffs) - 1e-12 <= lo <= hi <= max(diffs) + 1e-12
    assert lo < hi  # two different differences: the bootstrap spreads
    same = _paired_row("digits", "P", "P", {"P": primary}, truth, np.random.SeedSequence(3))
    assert same["difference"] == 0.0 and same["difference_ci"] == (0.0, 0.0)
    assert same["wins"] == 0 and same["n_markets"] == 3
    lonely = _paired_row(
        "digits", "P", "B", {"P": primary, "B": {"m0": baseline["m0"]}}, truth,
        np.random.SeedSequence(3),
    )  # fmt: skip
    assert lonely == {"task": "digits", "primary": "P", "baseline": "B", "n_markets": 1}


def test_paired_row_interval_is_a_90_percent_bootstrap_of_the_mean() -> None:
    gen = np.random.default_rng(4)
    truth, primary, baseline = {}, {}, {}
    for k in range(12):
        t = gen.standard_normal(5)
        truth[f"m{k}"] = _named(t)
        primary[f"m{k}"] = _named(t + 0.7 * gen.standard_normal(5))
        baseline[f"m{k}"] = _named(gen.standard_normal(5))
    row = _paired_row(
        "digits", "P", "B", {"P": primary, "B": baseline}, truth, np.random.SeedSequence(5)
    )
    diffs = np.array(
        [
            spearmanr(_arr(primary[m]), _arr(truth[m])).statistic
            - spearmanr(_arr(baseline[m]), _arr(truth[m])).statistic
            for m in truth
        ]
    )
    se = diffs.std() / np.sqrt(diffs.size)  # the bootstrap's standard error of the mean
    lo, hi = row["difference_ci"]
    # percentiles 5 and 95: about 1.645 standard errors either side (normal approximation)
    assert lo == pytest.approx(diffs.mean() - 1.645 * se, abs=0.4 * se)
    assert hi == pytest.approx(diffs.mean() + 1.645 * se, abs=0.4 * se)


# --------------------------------------------------------------------------------------------
# the yardstick and the recommended valuer's checks, on one real digits market


@pytest.fixture(scope="module")
def digits_market() -> Any:
    from synthmix.valuation import make_market, value_sources

    market = make_market("digits", rng=3)
    return market, value_sources(dict(market.contributors), market.reference, rng=0)


def test_rescored_on_the_reference_gives_the_valuers_own_values(digits_market) -> None:
    """The test-side scorer must be the very models behind the values: counted on the
    reference, its row means are the values themselves (a different alpha, standardisation or
    label coding would break the equality)."""
    from synthmix.valuation.benchmark import _rescored

    market, res = digits_market
    rows = _rescored(market, res, market.reference)
    assert rows.shape == (len(market.names), market.reference.n)
    np.testing.assert_allclose(
        rows.mean(axis=1), [res.values[n] for n in market.names], rtol=0, atol=1e-12
    )


def test_ceiling_is_the_truths_model_scored_on_the_reference(digits_market) -> None:
    """The ceiling retrains exactly the ground truth's model: with the market's test set
    replaced by its reference, the stand-alone ground truth gives the same numbers."""
    from dataclasses import replace

    from synthmix.valuation import standalone_accuracy
    from synthmix.valuation.benchmark import _ceiling

    market, _ = digits_market
    swapped = replace(market, test=market.reference)
    truth = standalone_accuracy(swapped, model="logistic", rng=0)
    assert _ceiling(market) == pytest.approx(dict(truth.values), abs=1e-12)


def test_checks_measure_coverage_and_top3_on_unseen_rows(digits_market) -> None:
    from synthmix.valuation.benchmark import _checks, _rescored
    from synthmix.valuation.uncertainty import Z90

    market, res = digits_market
    truth = {n: float(i) for i, n in enumerate(market.names)}  # the last three are the top 3
    out = _checks(market, res, truth, np.random.default_rng(0))
    rows = _rescored(market, res, market.test)
    test_value = rows.mean(axis=1)
    assert list(out["test_value"].values()) == pytest.approx(test_value, abs=1e-12)
    inside = [
        res.interval[n][0] <= v <= res.interval[n][1]
        for n, v in zip(market.names, test_value, strict=True)
    ]
    assert out["covered"] == pytest.approx(np.mean(inside))
    # the coverage exact intervals would have, from the two standard errors
    s = np.array([res.stderr[n] for n in market.names])
    t = rows.std(axis=1, ddof=1) / np.sqrt(rows.shape[1])
    from scipy.stats import norm

    expected = np.mean(2 * norm.cdf(Z90 * s / np.sqrt(s**2 + t**2)) - 1)
    assert out["expected_coverage"] == pytest.approx(expected)
    top = set(res.ranking()[:3])
    assert out["top3_overlap_truth"] == len(top & set(market.names[-3:])) / 3
    assert 0 < out["top3_overlap_fresh"] <= 1 and isinstance(out["top3_same"], bool)
