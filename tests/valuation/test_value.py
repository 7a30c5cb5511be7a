"""``value_sources``: validation, the mixture score's combination, and the kernel baselines."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import solve

from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.valuation.value import (
    METHODS,
    _deviation,
    _label_codes,
    _rbf,
    combine_terms,
    fit_weights,
    value_sources,
)


def _blobs(n: int, gen: np.random.Generator, *, shift: float = 0.0, noise: float = 0.0, d: int = 4):
    y = np.arange(n) % 3
    centres = 3.0 * np.eye(3, d)
    X = centres[y] + gen.standard_normal((n, d)) + shift
    if noise:
        flip = gen.random(n) < noise
        y = np.where(flip, gen.integers(0, 3, n), y)
    return X, y


@pytest.fixture(scope="module")
def market() -> tuple[dict[str, Dataset], Dataset]:
    gen = np.random.default_rng(0)
    ref = Dataset(*_blobs(90, gen))
    good = Dataset(*_blobs(60, gen), synthetic=np.arange(60) % 2 == 0)
    shifted = Dataset(*_blobs(60, gen, shift=2.5, noise=0.6), synthetic=np.ones(60, bool))
    small = Dataset(*_blobs(12, gen))
    return {"good": good, "shifted-noisy": shifted, "small": small}, ref


def test_clean_in_distribution_source_beats_shifted_noisy_one(market) -> None:
    sources, ref = market
    for method in ("mixture", "davinz", "mmd_only"):
        res = value_sources(sources, ref, method=method, rng=0)
        assert res.values["good"] > res.values["shifted-noisy"], (method, res.values)
    res = value_sources(sources, ref, method="mixture", weights="equal", rng=0)
    assert res.ranking()[-1] == "shifted-noisy"


def test_mixture_terms_and_determinism(market) -> None:
    sources, ref = market
    a = value_sources(sources, ref, method="mixture", rng=3)
    b = value_sources(sources, ref, method="mixture", rng=3)
    assert a.values == b.values
    t = a.terms["good"]
    assert set(t) >= {"loss", "mmd", "ntk", "small_sample", "real_fraction"}
    assert t["real_fraction"] == 0.5
    assert np.isclose(t["small_sample"], 2 * 0.5 * np.sqrt(np.log(8 / 0.05) / 60))
    # bound mode is minus the sum of the raw terms
    raw = sum(t[k] for k in ("loss", "mmd", "ntk", "small_sample"))
    assert np.isclose(a.values["good"], -raw)


def test_combine_terms_modes() -> None:
    t = np.array([[0.1, 0.2, 1.0, 0.3], [0.2, 0.4, 3.0, 0.1], [0.0, 0.0, 2.0, 0.2]])
    v, _ = combine_terms(t, "davinz")
    kappa = t[:, 1].mean() / t[:, 2].mean()
    np.testing.assert_allclose(v, -(t[:, 0] + t[:, 1] + kappa * t[:, 2] + t[:, 3]))
    v, _ = combine_terms(t, "equal")
    z = (t - t.mean(0)) / t.std(0)
    np.testing.assert_allclose(v, -z.sum(1))
    with pytest.raises(ValidationError, match=r"^weights"):
        combine_terms(t, [1, -1, 0, 0])


def test_fit_weights_recovers_known_weights() -> None:
    gen = np.random.default_rng(1)
    w_true = np.array([0.5, 2.0, 0.0, 1.0])
    terms, truths = [], []
    for _ in range(8):
        t = gen.standard_normal((10, 4))
        z = (t - t.mean(0)) / t.std(0)
        terms.append(t)
        truths.append(-(z @ w_true))
    w = fit_weights(terms, truths)
    # each market's truth is standardised before the fit, so w is recovered up to scale and
    # the per-market spread of z @ w_true; an unused term must get (almost) no weight and a
    # fresh market must be ranked as the truth ranks it
    assert w[2] < 0.05 * w.sum()
    t = gen.standard_normal((10, 4))
    z = (t - t.mean(0)) / t.std(0)
    predicted, _ = combine_terms(t, w)
    assert np.corrcoef(predicted, -(z @ w_true))[0, 1] > 0.99


def test_deviation_schur_update_equals_direct_refit(market) -> None:
    sources, ref = market
    codes, _, n_classes = _label_codes(sources, ref)
    seq = np.random.SeedSequence(0)
    vals, _ = _deviation(sources, ref, codes, n_classes, mu=0.01, seq=seq)
    from synthmix.valuation.mmd import median_heuristic

    names = list(sources)
    X = np.vstack([sources[n].X for n in names])
    Y = np.eye(n_classes)[np.concatenate([codes[n] for n in names])]
    owner = np.concatenate([np.full(sources[n].n, i) for i, n in enumerate(names)])
    from scipy.spatial.distance import cdist

    gamma = median_heuristic(X, rng=seq)
    K = np.exp(-cdist(X, X, "sqeuclidean") / gamma)  # the kernel, written independently
    np.testing.assert_allclose(_rbf(X, X, gamma), K, rtol=1e-10, atol=1e-12)
    alpha = solve(K + 0.01 * np.eye(len(X)), Y)
    for i in range(len(names)):
        r = owner != i
        beta = solve(K[np.ix_(r, r)] + 0.01 * np.eye(r.sum()), Y[r])
        dev = (
            np.sum(alpha * (K @ alpha))
            + np.sum(beta * (K[np.ix_(r, r)] @ beta))
            - 2 * np.sum(alpha * (K[:, r] @ beta))
        )
        assert np.isclose(vals[i], dev, rtol=1e-6), (names[i], vals[i], dev)


def _coalition_accuracy(sources: list[Dataset], ref: Dataset) -> float:
    """The utility ``shapley`` values, computed here independently: reference accuracy of a
    logistic model fitted on the standardised union of the coalition (majority class when
    empty)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    if not sources:
        return float(np.max(np.bincount(ref.y)) / ref.n)
    X = np.vstack([s.X for s in sources])
    y = np.concatenate([s.y for s in sources])
    scaler = StandardScaler().fit(X)
    model = LogisticRegression(max_iter=200).fit(scaler.transform(X), y)
    return float(np.mean(model.predict(scaler.transform(ref.X)) == ref.y))


def test_shapley_method_is_efficient(market) -> None:
    """Efficiency: the exact values sum to U(all sources) − U(no source), to rounding."""
    sources, ref = market
    res = value_sources(sources, ref, method="shapley", rng=0)
    assert res.details["shapley"] == "exact" and res.details["evaluations"] == 8
    gain = _coalition_accuracy(list(sources.values()), ref) - _coalition_accuracy([], ref)
    assert gain > 0.2  # the market is informative, so a scaled value cannot pass by accident
    assert abs(sum(res.values.values()) - gain) <= 1e-10


def test_shapley_method_symmetry_and_marginals(market) -> None:
    """Symmetry: an exact copy of a source gets its value; with two players the value is the
    mean of the two marginal contributions, computed here from the utility directly."""
    sources, ref = market
    twins = {"good": sources["good"], "copy": sources["good"], "small": sources["small"]}
    res = value_sources(twins, ref, method="shapley", rng=0)
    assert abs(res.values["good"] - res.values["copy"]) <= 1e-10
    pair = {"good": sources["good"], "small": sources["small"]}
    vals = value_sources(pair, ref, method="shapley", rng=0).values
    u = {
        k: _coalition_accuracy([pair[n] for n in k], ref)
        for k in ((), ("good",), ("small",), ("good", "small"))
    }
    expected = 0.5 * (u[("good",)] - u[()]) + 0.5 * (u[("good", "small")] - u[("small",)])
    assert abs(vals["good"] - expected) <= 1e-10


def test_sanity_baselines(market) -> None:
    sources, ref = market
    assert value_sources(sources, ref, method="size").values["small"] == 12.0
    assert value_sources(sources, ref, method="real_fraction").values["shifted-noisy"] == 0.0
    r1 = value_sources(sources, ref, method="random", rng=1)
    assert r1.values == value_sources(sources, ref, method="random", rng=1).values


def _bad_cases(market):
    sources, _ = market
    gen = np.random.default_rng(2)
    wide = Dataset(gen.standard_normal((5, 7)), np.arange(5) % 2)
    one_class = Dataset(gen.standard_normal((5, 4)), np.zeros(5, int))
    empty = Dataset(np.zeros((0, 4)), np.zeros(0, int))
    return [
        ({"sources": {**sources, "wide": wide}}, r"^sources\['wide'\].*4 features"),
        ({"sources": {**sources, "empty": empty}}, r"^sources\['empty'\]"),
        ({"sources": [("a", sources["good"]), ("a", sources["small"])]}, "^sources.*twice"),
        ({"sources": {"only": sources["good"]}}, "^sources.*two sources"),
        ({"reference": one_class}, "^reference.*two classes"),
        ({"method": "magic"}, "^method"),
        ({"ntk": "finite"}, "^ntk"),
        ({"method": "mixture", "weights": "fitted"}, "^weights"),
        ({"delta": 1.5}, "^delta"),
        ({"n_seeds": 0}, "^n_seeds must"),
        ({"sources": "good"}, "^sources must be a mapping of source name to Dataset"),
        ({"sources": 5}, "^sources must be a mapping of source name to Dataset"),
    ]


@pytest.mark.parametrize("case", range(12))
def test_bad_inputs_name_the_problem(market, case: int) -> None:
    sources, ref = market
    kwargs, pattern = _bad_cases(market)[case]
    call = {"sources": sources, "reference": ref} | kwargs
    with pytest.raises(ValidationError, match=pattern):
        value_sources(call.pop("sources"), call.pop("reference"), **call)


def test_every_method_is_documented() -> None:
    """The method list of docs/math/valuation.md is exactly :data:`METHODS`, and every method
    is described in the module docstring of ``synthmix.valuation.value``."""
    import re
    from pathlib import Path

    import synthmix.valuation.value as value_module

    assert len(set(METHODS)) == len(METHODS)
    page = Path(__file__).resolve().parents[2] / "docs" / "math" / "valuation.md"
    listing = page.read_text(encoding="utf-8").split("Method names in `value_sources`:")[1]
    listed = re.findall(r"`(\w+)`", re.split(r"\.\s", listing)[0])
    assert listed == list(METHODS)
    module_doc = (value_module.__doc__ or "") + (value_sources.__doc__ or "")
    undocumented = [m for m in METHODS if m not in module_doc]
    assert not undocumented, undocumented


def test_label_aware_mmd_sees_label_noise_that_plain_mmd_cannot() -> None:
    gen = np.random.default_rng(5)
    ref = Dataset(*_blobs(150, gen))
    X, y = _blobs(150, gen)
    clean = Dataset(X, y)
    shuffled = Dataset(X, gen.permutation(y))  # same features, labels scrambled
    sources = {"clean": clean, "shuffled": shuffled}
    plain = value_sources(sources, ref, method="mixture", rng=0)
    joint = value_sources(sources, ref, method="mixture", rng=0, label_aware=True)
    assert plain.terms["clean"]["mmd"] == pytest.approx(plain.terms["shuffled"]["mmd"])
    assert joint.terms["shuffled"]["mmd"] > 3 * joint.terms["clean"]["mmd"]
    assert joint.details["label_aware"] and not plain.details["label_aware"]


def test_calibrated_weights_are_the_documented_z_score_weights(market) -> None:
    from synthmix.valuation.value import CALIBRATED_WEIGHTS

    sources, ref = market
    res = value_sources(
        sources, ref, method="mixture", rng=0, label_aware=True, weights="calibrated"
    )
    assert tuple(res.weights.values()) == CALIBRATED_WEIGHTS
    raw = np.array(
        [[res.terms[n][t] for t in ("loss", "mmd", "ntk", "small_sample")] for n in res.values]
    )
    z = (raw - raw.mean(0)) / np.where(raw.std(0) > 0, raw.std(0), 1.0)
    np.testing.assert_allclose(list(res.values.values()), -(z @ np.array(CALIBRATED_WEIGHTS)))


def test_fit_weights_refuses_truths_of_the_wrong_length() -> None:
    terms = np.random.default_rng(0).standard_normal((5, 4))
    with pytest.raises(ValidationError, match=r"^terms must hold \(K, 4\) arrays"):
        fit_weights([terms], [np.zeros(4)])
    with pytest.raises(ValidationError, match=r"^terms must hold \(K, 4\) arrays"):
        fit_weights([terms[:, :3]], [np.zeros(5)])


def test_davinz_value_is_its_documented_combination(market) -> None:
    """DAVINZ = −κ·complexity − MMD with κ = mean MMD / mean complexity, from its own terms."""
    sources, ref = market
    res = value_sources(sources, ref, method="davinz", rng=0)
    assert res.method == "davinz"
    names = list(sources)
    assert list(res.values) == names
    assert all(set(res.terms[n]) == {"mmd", "ntk"} for n in names)
    d = np.array([res.terms[n]["mmd"] for n in names])
    c = np.array([res.terms[n]["ntk"] for n in names])
    assert np.all(c > 0) and np.all(d >= 0)
    kappa = d.mean() / c.mean()
    np.testing.assert_allclose([res.values[n] for n in names], -kappa * c - d, rtol=1e-12)


def test_mmd_estimator_reaches_the_mmd_term(market) -> None:
    sources, ref = market
    unbiased = value_sources(sources, ref, method="mixture", rng=0)
    linear = value_sources(sources, ref, method="mixture", rng=0, mmd_estimator="linear")
    for name in sources:
        assert linear.terms[name]["mmd"] != unbiased.terms[name]["mmd"]
        assert linear.terms[name]["loss"] == unbiased.terms[name]["loss"]


@pytest.fixture(scope="module")
def tiny() -> tuple[dict[str, Dataset], Dataset]:
    gen = np.random.default_rng(5)
    ref = Dataset(*_blobs(30, gen))
    a = Dataset(*_blobs(12, gen))
    b = Dataset(*_blobs(12, gen, shift=1.0), synthetic=np.ones(12, bool))
    return {"a": a, "b": b}, ref


def test_ntk_option_selects_the_kernel_of_the_ntk_term(tiny) -> None:
    from synthmix.valuation.ntk import analytic_ntk, kernel_ridge_terms

    sources, ref = tiny
    default = value_sources(sources, ref, method="ntk_only", rng=0)
    analytic = value_sources(sources, ref, method="ntk_only", rng=0, ntk="analytic")
    assert default.values == analytic.values
    assert default.details["ntk"] == "analytic" and default.details["ntk_path"] == "analytic"
    for name, ds in sources.items():  # analytic T3: per-class blocks of Θ, ŷ = 1
        mask = ds.y[:, None] == ds.y[None, :]
        t = kernel_ridge_terms(analytic_ntk(ds.X) * mask, np.ones(ds.n))
        assert default.terms[name]["ntk"] == pytest.approx(t.complexity, rel=1e-9)
        assert default.values[name] == -default.terms[name]["ntk"]
        assert default.terms[name]["ntk_cv"] == 0.0
    emp = value_sources(sources, ref, method="ntk_only", rng=0, ntk="empirical", hidden=16)
    assert emp.details["ntk"] == "empirical" and emp.details["ntk_path"] == "exact"
    for name in sources:
        assert emp.terms[name]["ntk_cv"] > 0  # three random initialisations by default
        assert emp.values[name] == -emp.terms[name]["ntk"] != default.values[name]
    kw = {"method": "ntk_only", "rng": 0, "ntk": "empirical", "hidden": 16}
    three = value_sources(sources, ref, n_seeds=3, **kw)
    two = value_sources(sources, ref, n_seeds=2, **kw)
    assert three.values == emp.values != two.values


def test_sources_may_be_a_sequence_of_pairs_and_nothing_else(tiny) -> None:
    sources, ref = tiny
    as_map = value_sources(sources, ref, method="mmd_only", rng=0)
    as_pairs = value_sources(list(sources.items()), ref, method="mmd_only", rng=0)
    assert as_pairs.values == as_map.values
    for bad in (
        [list(p) for p in sources.items()],  # lists, not (name, Dataset) tuples
        [(*p, "extra") for p in sources.items()],  # triples
        [("a",), ("b",)],
    ):
        with pytest.raises(ValidationError, match=r"^sources must be a mapping or a sequence"):
            value_sources(bad, ref, method="size")


@pytest.fixture(scope="module")
def mixed() -> tuple[dict[str, Dataset], Dataset]:
    """A quarter-real source, a source with a single synthetic sample, and a real one."""
    gen = np.random.default_rng(12)
    ref = Dataset(*_blobs(30, gen))
    quarter = Dataset(*_blobs(16, gen, shift=0.5), synthetic=np.arange(16) % 4 != 0)
    lone = Dataset(*_blobs(12, gen, noise=0.3), synthetic=np.arange(12) == 5)
    real = Dataset(*_blobs(10, gen, shift=-0.5))
    return {"quarter": quarter, "lone": lone, "real": real}, ref


def test_mixture_terms_weight_real_and_synthetic_parts_by_the_real_fraction(mixed) -> None:
    """T1 and T2 are ω-weighted means over a source's real and synthetic parts (parts of fewer
    than two samples are dropped and the weights renormalised), T3 is the whole source's NTK
    complexity, T4 = 2 max(ω, 1 − ω) sqrt(log(8/δ) / n); all from the public pieces."""
    from synthmix.valuation.mmd import mmd_to_reference
    from synthmix.valuation.ntk import ntk_complexity

    sources, ref = mixed
    res = value_sources(sources, ref, method="mixture", delta=0.2, rng=0)
    parts = [(n, s) for n, ds in sources.items() for s in (False, True)
             if np.count_nonzero(ds.synthetic == s) >= 2]  # fmt: skip
    masks = {(n, s): sources[n].synthetic == s for n, s in parts}
    dists = mmd_to_reference([sources[n].X[masks[n, s]] for n, s in parts], ref.X)
    part_mmd = {p: r.mmd for p, r in zip(parts, dists, strict=True)}
    assert res.details["mmd_bandwidths"] == pytest.approx(list(dists[0].bandwidths), rel=1e-12)
    for name, ds in sources.items():
        omega = 1.0 - ds.n_synthetic / ds.n
        weight = {False: omega, True: 1.0 - omega}
        mine = [s for n, s in parts if n == name]
        loss = {s: ntk_complexity(ds.X[masks[name, s]], ds.y[masks[name, s]], kernel="analytic")
                for s in mine}  # fmt: skip
        norm = sum(weight[s] for s in mine)
        t = res.terms[name]
        assert t["real_fraction"] == omega and t["n"] == ds.n
        assert t["loss"] == pytest.approx(
            sum(weight[s] * loss[s].krr_loss for s in mine) / norm, rel=1e-9
        )
        assert t["mmd"] == pytest.approx(
            sum(weight[s] * part_mmd[name, s] for s in mine) / norm, rel=1e-9
        )
        whole = ntk_complexity(ds.X, ds.y, kernel="analytic")
        assert t["ntk"] == pytest.approx(whole.complexity, rel=1e-9)
        assert t["small_sample"] == pytest.approx(
            2 * max(omega, 1 - omega) * np.sqrt(np.log(8 / 0.2) / ds.n), rel=1e-12
        )
    assert res.terms["quarter"]["real_fraction"] == 0.25
    assert res.details["delta"] == 0.2 and res.details["mmd_estimator"] == "unbiased"
    assert res.details["label_aware"] is False and res.details["ntk_cv_max"] == 0.0
    # "bound" weights by default: minus the sum of the raw terms, weights recorded
    assert res.weights == dict.fromkeys(("loss", "mmd", "ntk", "small_sample"), 1.0)
    for name in sources:
        t = res.terms[name]
        raw = t["loss"] + t["mmd"] + t["ntk"] + t["small_sample"]
        assert res.values[name] == pytest.approx(-raw, rel=1e-12)
    assert res.method == "mixture" and res.seed == 0


def test_simple_baselines_and_their_bookkeeping(mixed) -> None:
    sources, ref = mixed
    frac = value_sources(sources, ref, method="real_fraction")
    assert frac.values == {"quarter": 0.25, "lone": 11 / 12, "real": 1.0}
    assert frac.weights == {} and frac.terms == {n: {} for n in sources}
    rnd = value_sources(sources, ref, method="random", rng=4)
    np.testing.assert_array_equal(
        list(rnd.values.values()), np.random.default_rng(4).standard_normal(3)
    )
    assert rnd.method == "random" and rnd.seed == 4
    default = value_sources(sources, ref, method="random")
    assert default.values == value_sources(sources, ref, method="random", rng=0).values
    mmd_only = value_sources(sources, ref, method="mmd_only", rng=0)
    assert mmd_only.values == {n: -mmd_only.terms[n]["mmd"] for n in sources}
    assert mmd_only.weights == {}


def test_value_sources_defaults(mixed) -> None:
    sources, ref = mixed
    default = value_sources(sources, ref)
    recommended = value_sources(sources, ref, method="proxy_ensemble", rng=0, alpha=1.0)
    assert default.values == recommended.values and default.method == "proxy_ensemble"
    assert default.values != value_sources(sources, ref, alpha=100.0).values
    mixture = value_sources(sources, ref, method="mixture")
    explicit = value_sources(
        sources, ref, method="mixture", rng=0, weights="bound", ntk="analytic",
        mmd_estimator="unbiased", label_aware=False, delta=0.05,
    )  # fmt: skip
    assert mixture.values == explicit.values
    assert mixture.details["delta"] == 0.05 and mixture.details["label_aware"] is False
    assert mixture.values != value_sources(sources, ref, method="mixture", delta=0.2).values
    dev = value_sources(sources, ref, method="deviation")
    assert dev.values == value_sources(sources, ref, method="deviation", mu=0.01, rng=0).values
    assert dev.values != value_sources(sources, ref, method="deviation", mu=0.1).values
    assert dev.terms == {n: {"deviation": v} for n, v in dev.values.items()}


def test_the_recommended_valuer_is_the_mean_of_three_sklearn_proxies(market) -> None:
    """``proxy_ensemble``: mean reference accuracy of sklearn's RidgeClassifier(alpha=1) and
    shrinkage LDA on features standardised with the reference's statistics, and of
    LogisticRegression(C=1, max_iter=300) on features standardised with the source's own
    (StandardScaler), each fitted on one source (refitted here with sklearn, independently of
    synthmix.valuation.proxy)."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.preprocessing import StandardScaler

    sources, ref = market
    res = value_sources(sources, ref)
    mean, scale = ref.X.mean(0), np.where(ref.X.std(0) > 0, ref.X.std(0), 1.0)
    for name, src in sources.items():
        accs = [
            model.fit((src.X - mean) / scale, src.y).score((ref.X - mean) / scale, ref.y)
            for model in (
                RidgeClassifier(alpha=1.0),
                LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"),
            )
        ]
        own = StandardScaler().fit(src.X)
        logistic = LogisticRegression(C=1.0, max_iter=300).fit(own.transform(src.X), src.y)
        accs.append(logistic.score(own.transform(ref.X), ref.y))
        assert res.values[name] == pytest.approx(np.mean(accs), abs=1e-12), name
        expected = {
            "ridge_accuracy": accs[0],
            "lda_accuracy": accs[1],
            "logistic_accuracy": accs[2],
        }
        assert res.terms[name] == pytest.approx(expected)


@pytest.mark.integration
def test_the_default_valuer_is_identical_on_one_two_jobs_and_a_dask_cluster(market) -> None:
    """One task per source (issue: "the same call runs on a Dask cluster, with identical
    results"); values, standard errors and intervals agree bit for bit."""
    distributed = pytest.importorskip("dask.distributed")
    sources, ref = market
    a = value_sources(sources, ref, rng=3)
    b = value_sources(sources, ref, rng=3, n_jobs=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        c = value_sources(sources, ref, rng=3, scheduler=cluster.scheduler_address)
    for other in (b, c):
        assert other.values == a.values
        assert other.stderr == a.stderr
        assert other.interval == a.interval


def test_progress_counts_sources_for_the_default_and_one_step_otherwise(market) -> None:
    sources, ref = market
    calls: list[tuple[int, int]] = []
    value_sources(sources, ref, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    calls.clear()
    value_sources(sources, ref, method="size", progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 1), (1, 1)]


@pytest.mark.parametrize("n_jobs", [0, -2, 1.5, "2"])
def test_n_jobs_is_checked_for_every_method(market, n_jobs) -> None:
    sources, ref = market
    with pytest.raises(
        ValidationError, match=r"^n_jobs must be (a positive integer or -1|an integer)"
    ):
        value_sources(sources, ref, method="size", n_jobs=n_jobs)
