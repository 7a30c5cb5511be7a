"""Standard errors and 90 % intervals of ``value_sources`` (docs/math/valuation.md, Uncertainty).

Expected numbers come from direct computations (a scikit-learn refit scored on resampled rows,
MMD recomputed on a sub-reference, attribution scores re-averaged by hand) with the resample
indices rebuilt from the documented seeding, never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import RidgeClassifier

from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.valuation import value_sources
from synthmix.valuation.mmd import mmd_resampled, mmd_to_reference
from synthmix.valuation.proxy import reference_standardise
from synthmix.valuation.shapley import (
    permutation_estimate,
    permutation_shapley,
    shapley_from_utilities,
)
from synthmix.valuation.uncertainty import (
    BOOTSTRAP_KEY,
    bootstrap_indices,
    resample_counts,
)

EXACT = ("size", "real_fraction", "deviation", "ntk_only")
BOOTSTRAPPED = (
    "proxy_ensemble",
    "mixture",
    "davinz",
    "mmd_only",
    "shapley",
    "proxy",
    "proxy_loo",
    "proxy_shapley",
)
ATTRIBUTION = ("tracin", "trak", "logra", "knn_shapley")


def _blobs(n: int, gen: np.random.Generator, *, shift: float = 0.0, noise: float = 0.0):
    y = np.arange(n) % 3
    X = 2.0 * np.eye(3, 4)[y] + gen.standard_normal((n, 4)) + shift
    if noise:
        y = np.where(gen.random(n) < noise, gen.integers(0, 3, n), y)
    return X, y


def _market(n_ref: int, seed: int = 0) -> tuple[dict[str, Dataset], Dataset]:
    gen = np.random.default_rng(seed)
    sources = {
        "good": Dataset(*_blobs(60, gen), synthetic=np.arange(60) % 2 == 0),
        "shifted": Dataset(*_blobs(50, gen, shift=1.0, noise=0.3), synthetic=np.ones(50, bool)),
        "small": Dataset(*_blobs(20, gen, noise=0.2)),
    }
    # the reference is drawn last, from its own generator, so a larger one keeps the sources
    ref = Dataset(*_blobs(n_ref, np.random.default_rng(seed + 100)))
    return sources, ref


@pytest.fixture(scope="module")
def market() -> tuple[dict[str, Dataset], Dataset]:
    return _market(80)


def _check_shape(res) -> None:
    assert set(res.stderr) == set(res.values) == set(res.interval)
    assert list(res.stderr) == list(res.values)
    assert res.uncertainty and res.status in (
        "n/a",
        "converged",
        "not converged at max_permutations",
    )
    for name in res.values:
        lo, hi = res.interval[name]
        assert np.isfinite(res.stderr[name]) and res.stderr[name] >= 0.0, (res.method, name)
        assert np.isfinite(lo) and np.isfinite(hi) and lo <= hi, (res.method, name)


@pytest.mark.parametrize("method", [*BOOTSTRAPPED, *EXACT, "random"])
def test_every_method_has_a_stderr_and_interval_per_source(market, method: str) -> None:
    sources, ref = market
    res = value_sources(sources, ref, method=method, rng=0, n_bootstrap=20)
    _check_shape(res)
    se = np.array(list(res.stderr.values()))
    if method in EXACT:
        assert res.uncertainty.startswith("exact (deterministic")
        assert np.all(se == 0.0)
        assert all(res.interval[n] == (v, v) for n, v in res.values.items())
    elif method == "random":
        assert np.all(se == 1.0)
        for n, v in res.values.items():
            assert res.interval[n] == pytest.approx((v - 1.6448536, v + 1.6448536))
    else:
        assert res.uncertainty.startswith("bootstrap over 20 reference resamples")
        assert np.all(se > 0.0), (method, res.stderr)  # a finite reference always has noise


@pytest.mark.parametrize("method", ["lava", *ATTRIBUTION])
def test_optional_methods_have_a_stderr_and_interval(market, method: str) -> None:
    pytest.importorskip("ot" if method == "lava" else "dattri")
    sources, ref = market
    opts = {} if method in ("lava", "knn_shapley") else {"epochs": 2, "n_checkpoints": 1}
    if method == "logra":
        opts["proj_dim"] = 16
    res = value_sources(sources, ref, method=method, rng=0, n_bootstrap=20, **opts)
    _check_shape(res)
    assert res.uncertainty.startswith("bootstrap over 20 reference resamples")
    assert all(s > 0.0 for s in res.stderr.values()), res.stderr


def test_proxy_stderr_equals_a_refit_scored_on_the_resampled_rows(market) -> None:
    """The documented resamples (child BOOTSTRAP_KEY of the seed) re-scoring sklearn's
    RidgeClassifier fitted on each source, features standardised with the full reference."""
    sources, ref = market
    B = 30
    res = value_sources(sources, ref, method="proxy", rng=7, n_bootstrap=B)
    idx = bootstrap_indices(7, ref.n, B)
    assert BOOTSTRAP_KEY == 0xB007
    again = np.random.default_rng(np.random.SeedSequence(7, spawn_key=(0xB007,))).integers(
        0, ref.n, size=(B, ref.n)
    )
    assert np.array_equal(idx, again)  # the documented seeding, rebuilt by hand
    Z_ref, Zs = reference_standardise(ref.X, *[ds.X for ds in sources.values()])
    for (name, ds), Z in zip(sources.items(), Zs, strict=True):
        right = RidgeClassifier(alpha=1.0).fit(Z, ds.y).predict(Z_ref) == ref.y
        assert res.values[name] == pytest.approx(right.mean(), abs=1e-12)
        boot = right[idx].mean(axis=1)
        assert res.stderr[name] == pytest.approx(boot.std(ddof=1), abs=1e-12)
        assert res.interval[name] == pytest.approx(tuple(np.percentile(boot, [5, 95])), abs=1e-12)


def test_the_recommended_valuer_resamples_its_three_proxies(market) -> None:
    """``proxy_ensemble``: per resample, the mean of sklearn's ridge, shrinkage-LDA and
    logistic (own standardisation) correctness on the same documented resampled rows."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    sources, ref = market
    B = 25
    res = value_sources(sources, ref, rng=3, n_bootstrap=B)
    assert res.method == "proxy_ensemble"
    idx = bootstrap_indices(3, ref.n, B)
    Z_ref, Zs = reference_standardise(ref.X, *[ds.X for ds in sources.values()])
    for (name, ds), Z in zip(sources.items(), Zs, strict=True):
        lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
        right = [model.fit(Z, ds.y).predict(Z_ref) == ref.y for model in (RidgeClassifier(), lda)]
        own = StandardScaler().fit(ds.X)
        logistic = LogisticRegression(C=1.0, max_iter=300).fit(own.transform(ds.X), ds.y)
        right.append(logistic.predict(own.transform(ref.X)) == ref.y)
        boot = sum(r[idx].mean(axis=1) for r in right) / 3
        assert res.stderr[name] == pytest.approx(boot.std(ddof=1), abs=1e-12)
        assert res.interval[name] == pytest.approx(tuple(np.percentile(boot, [5, 95])), abs=1e-12)


def test_intervals_contain_the_value_and_shrink_with_a_4x_reference() -> None:
    """A proxy value is a mean over reference rows (of a fixed model's correctness), whose
    bootstrap distribution is centred on the point value: its 5-95 % range holds the value
    except in rare, very skewed cases; the MMD of a source far from the reference is a smooth,
    non-degenerate function of such means. Their standard error scales like 1/sqrt(m), so 4x
    the rows should halve it. (An MMD near 0 is excluded: it is degenerate, shrinks like 1/m,
    and is clipped at 0.) With B = 50 resamples a bootstrap standard deviation has a relative
    error of about 1/sqrt(2 (B - 1)) = 10 %, so a ratio of two has ~14 %, and the mean of four
    ratios ~7 %; another reference draw moves the true standard error by a few % more. The band
    0.3 < mean ratio < 0.75 around the expected 0.5 is 3-4 of those errors wide on each side,
    yet excludes "no shrinking" (1.0)."""
    small, large = _market(100, seed=3), _market(400, seed=3)
    ratios = []
    for method, names in (("proxy", ("good", "shifted", "small")), ("mmd_only", ("shifted",))):
        a = value_sources(*small, method=method, rng=1)
        b = value_sources(*large, method=method, rng=1)
        for res in (a, b):
            for name in names:
                lo, hi = res.interval[name]
                assert lo <= res.values[name] <= hi, (method, name, res.values[name], lo, hi)
        ratios += [b.stderr[n] / a.stderr[n] for n in names]
    assert 0.3 < float(np.mean(ratios)) < 0.75, ratios


def test_the_same_rng_gives_the_same_uncertainty_and_values_ignore_it(market) -> None:
    sources, ref = market
    for method in ("proxy_shapley", "mixture"):
        a = value_sources(sources, ref, method=method, rng=5)
        b = value_sources(sources, ref, method=method, rng=np.random.SeedSequence(5))
        c = value_sources(sources, ref, method=method, rng=6)
        assert a.stderr == b.stderr and a.interval == b.interval
        assert a.uncertainty == b.uncertainty and a.values == b.values
        assert a.stderr != c.stderr
        # the resamples come from their own child of the seed: values do not depend on them
        d = value_sources(sources, ref, method=method, rng=5, n_bootstrap=7)
        assert d.values == a.values and d.stderr != a.stderr


def test_mixture_bootstrap_changes_only_t2(market) -> None:
    """T1, T3, T4 do not use the reference: with T2 frozen the bootstrap would be a point; the
    mixture's spread must match the spread its T2 alone induces (mmd_only, same resamples)."""
    sources, ref = market
    mix = value_sources(sources, ref, method="mixture", rng=2, weights="bound")
    mmd = value_sources(sources, ref, method="mmd_only", rng=2)
    # weights="bound": v = -(T1 + T2 + T3 + T4), so v's spread is exactly T2's
    assert mix.stderr == pytest.approx(mmd.stderr, rel=1e-9)


def test_mmd_resampled_is_the_unbiased_mmd_of_the_resampled_rows() -> None:
    gen = np.random.default_rng(4)
    ref = gen.standard_normal((50, 3))
    xs = [gen.standard_normal((30, 3)) + 0.5, gen.standard_normal((20, 3))]
    full = mmd_to_reference(xs, ref, rng=0)
    bw = full[0].bandwidths
    assert mmd_resampled(xs, ref, np.ones((1, 50)), bandwidths=bw, block_size=7)[0] == (
        pytest.approx([r.mmd for r in full], rel=1e-9)
    )
    # multiplicities 0/1 select a sub-reference: the plain estimate on those rows
    keep = np.sort(gen.choice(50, 35, replace=False))
    counts = np.zeros((1, 50))
    counts[0, keep] = 1.0
    sub = mmd_to_reference(xs, ref[keep], bandwidths=bw)
    assert mmd_resampled(xs, ref, counts, bandwidths=bw)[0] == pytest.approx(
        [r.mmd for r in sub], rel=1e-9
    )


def test_resample_counts_and_batched_shapley() -> None:
    idx = np.array([[0, 0, 2], [1, 2, 2]])
    assert resample_counts(idx, 3).tolist() == [[2, 0, 1], [0, 1, 2]]
    u = np.random.default_rng(0).random((8, 4))
    batched = shapley_from_utilities(u)
    assert batched.shape == (3, 4)
    for j in range(4):
        assert batched[:, j] == pytest.approx(shapley_from_utilities(u[:, j]), abs=1e-15)


def test_permutation_estimate_recomputes_the_sampled_values() -> None:
    """The orders kept in ShapleyResult.permutations and the same utility give back the values;
    a table of utilities (one column per resample) gives one estimate per column."""
    weights = np.array([0.1, 0.4, 0.2, 0.3])

    def game(mask: int) -> float:
        members = [(mask >> i) & 1 for i in range(4)]
        return float(np.dot(weights, members) ** 2)  # not additive: orders matter

    res = permutation_shapley(
        lambda c: game(sum(1 << "abcd".index(p) for p in c)), list("abcd"), max_permutations=9
    )
    assert len(res.permutations) == res.n_permutations == 9
    again = permutation_estimate(res.permutations, game, 4)
    assert again == pytest.approx(list(res.values.values()), abs=1e-12)
    table = permutation_estimate(res.permutations, lambda m: np.array([game(m), 2 * game(m)]), 4)
    assert table[:, 1] == pytest.approx(2 * again, abs=1e-12)


def test_attribution_bootstrap_reaverages_the_score_columns(market) -> None:
    pytest.importorskip("dattri")
    from synthmix.valuation.attribution import attribution_values

    sources, ref = market
    res = value_sources(sources, ref, method="knn_shapley", rng=0, n_bootstrap=25)
    att = attribution_values(sources, ref, method="knn_shapley", rng=0)
    idx = bootstrap_indices(0, ref.n, 25)
    start = 0
    for name, ds in sources.items():
        per_row = att.scores[start : start + ds.n].sum(axis=0)  # (n_ref,)
        start += ds.n
        boot = per_row[idx].mean(axis=1)
        assert res.stderr[name] == pytest.approx(boot.std(ddof=1), rel=1e-9)


def test_permutation_shapley_reports_its_convergence() -> None:
    gen = np.random.default_rng(0)
    ref = Dataset(*_blobs(40, gen))
    sources = {f"s{i}": Dataset(*_blobs(12, gen, shift=0.2 * i)) for i in range(11)}
    res = value_sources(sources, ref, method="shapley", rng=0, max_permutations=2, n_bootstrap=10)
    _check_shape(res)
    assert res.status == "not converged at max_permutations"
    assert "permutation sampling, not converged at max_permutations" in res.uncertainty
    assert all(s > 0.0 for s in res.stderr.values())


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (1, "n_bootstrap must be >= 2; got 1"),
        (0, "n_bootstrap must be >= 2; got 0"),
        (2.5, "n_bootstrap must be an integer; got 2.5"),
        (True, "n_bootstrap must be an integer; got True"),
        ("50", "n_bootstrap must be an integer; got '50'"),
    ],
)
def test_a_bad_n_bootstrap_is_refused_with_its_name_rule_and_value(
    market, bad: object, message: str
) -> None:
    sources, ref = market
    with pytest.raises(ValidationError) as err:
        value_sources(sources, ref, method="size", n_bootstrap=bad)
    assert str(err.value) == message
