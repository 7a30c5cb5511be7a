"""Proxy-model baselines: every accuracy is checked against a direct scikit-learn fit.

Expected values come from sklearn models refitted here on each source or coalition (features
standardised with the reference's statistics, as documented) and from the permutation form of
the Shapley value, never from :mod:`synthmix.valuation.proxy`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_wine
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.valuation import value_sources


def _split(X, y, sizes, seed):
    order = np.random.default_rng(seed).permutation(y.shape[0])
    X, y = X[order].astype(np.float64), y[order]
    out, start = [], 0
    for n in sizes:
        out.append((X[start : start + n], y[start : start + n]))
        start += n
    return out


@pytest.fixture(scope="module")
def digits():
    """Reference of 300 digits and four sources: 60 mixed, 40 mixed, digits 0-4 only, one class."""
    X, y = load_digits(return_X_y=True)
    (Xr, yr), (Xa, ya), (Xb, yb), (Xc, yc), (Xd, yd) = _split(X, y, (300, 60, 40, 200, 200), 1)
    low = yc < 5
    three = yd == 3
    sources = {
        "a": Dataset(Xa, ya),
        "b": Dataset(Xb, yb),
        "low": Dataset(Xc[low][:50], yc[low][:50]),
        "threes": Dataset(Xd[three], yd[three]),
    }
    return sources, Dataset(Xr, yr)


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    (Xr, yr), *parts = _split(X, y, (60, 30, 25, 3, 40), 2)
    sources = {f"w{i}": Dataset(Xp, yp) for i, (Xp, yp) in enumerate(parts)}
    return sources, Dataset(Xr, yr)


def _sklearn_model(model: str, n_train: int, alpha: float = 1.0, k: int = 5):
    if model == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=300))
    if model == "ridge":
        return RidgeClassifier(alpha=alpha)
    if model == "lda":
        return LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
    return KNeighborsClassifier(n_neighbors=min(k, n_train))


def _sklearn_accuracy(parts, ref: Dataset, model: str, **kw) -> float:
    """Reference accuracy of the sklearn model fitted on the union of ``parts``."""
    if not parts:
        _, counts = np.unique(ref.y, return_counts=True)
        return counts.max() / ref.n
    X = np.vstack([p.X for p in parts])
    y = np.concatenate([p.y for p in parts])
    if np.unique(y).shape[0] == 1:
        return float(np.mean(ref.y == y[0]))
    scaler = StandardScaler().fit(ref.X)
    clf = _sklearn_model(model, y.shape[0], **kw).fit(scaler.transform(X), y)
    return float(clf.score(scaler.transform(ref.X), ref.y))


@pytest.mark.parametrize("model", ["ridge", "lda", "knn", "logistic"])
@pytest.mark.parametrize("data", ["digits", "wine"])
def test_standalone_proxy_is_the_sklearn_accuracy_of_each_source(request, model, data) -> None:
    sources, ref = request.getfixturevalue(data)
    res = value_sources(sources, ref, method="proxy", model=model)
    expected = {n: _sklearn_accuracy([ds], ref, model) for n, ds in sources.items()}
    assert res.values == pytest.approx(expected, abs=1e-12)
    assert {n: t["accuracy"] for n, t in res.terms.items()} == pytest.approx(expected, abs=1e-12)
    assert res.details["standardise"] == "reference"
    assert res.details["model"] == model


def test_one_class_source_predicts_its_class_and_subset_sources_work(digits) -> None:
    sources, ref = digits
    res = value_sources(sources, ref, method="proxy")
    assert res.values["threes"] == pytest.approx(np.mean(ref.y == 3))
    assert set(np.unique(sources["low"].y)) == {0, 1, 2, 3, 4}
    assert 0.2 < res.values["low"] < 0.6  # about half the reference's classes are learnable


def test_ridge_penalty_and_neighbour_count_are_passed_to_the_model(digits) -> None:
    sources, ref = digits
    for alpha in (0.01, 30.0):
        res = value_sources(sources, ref, method="proxy", alpha=alpha)
        expected = {
            n: _sklearn_accuracy([ds], ref, "ridge", alpha=alpha) for n, ds in sources.items()
        }
        assert res.values == pytest.approx(expected, abs=1e-12)
    res = value_sources(sources, ref, method="proxy", model="knn", n_neighbors=1)
    expected = {n: _sklearn_accuracy([ds], ref, "knn", k=1) for n, ds in sources.items()}
    assert res.values == pytest.approx(expected, abs=1e-12)


def _coalition_utilities(sources, ref, model):
    names = list(sources)
    return {
        frozenset(c): _sklearn_accuracy([sources[n] for n in c], ref, model)
        for r in range(len(names) + 1)
        for c in itertools.combinations(names, r)
    }


def _permutation_shapley(names, u):
    """Mean marginal contribution over all K! orderings (the permutation form)."""
    phi = dict.fromkeys(names, 0.0)
    for order in itertools.permutations(names):
        before: frozenset = frozenset()
        for n in order:
            phi[n] += u[before | {n}] - u[before]
            before = before | {n}
    return {n: v / math.factorial(len(names)) for n, v in phi.items()}


@pytest.mark.parametrize(
    ("model", "data"),
    [("ridge", "digits"), ("lda", "wine"), ("knn", "digits"), ("logistic", "wine")],
)
def test_pooled_loo_and_shapley_match_sklearn_refits_on_every_coalition(
    request, model, data
) -> None:
    sources, ref = request.getfixturevalue(data)
    names = list(sources)
    assert len(names) == 4
    u = _coalition_utilities(sources, ref, model)
    full = frozenset(names)
    loo = value_sources(sources, ref, method="proxy_loo", model=model)
    assert loo.values == pytest.approx({n: u[full] - u[full - {n}] for n in names}, abs=1e-12)
    assert loo.details["utility_full"] == pytest.approx(u[full], abs=1e-12)
    shap = value_sources(sources, ref, method="proxy_shapley", model=model)
    assert shap.values == pytest.approx(_permutation_shapley(names, u), abs=1e-12)
    assert shap.details["utility_empty"] == pytest.approx(u[frozenset()], abs=1e-12)
    assert shap.details["evaluations"] == 16


def test_proxy_shapley_is_efficient_and_symmetric(digits) -> None:
    sources, ref = digits
    twins = dict(sources) | {"a-copy": Dataset(sources["a"].X.copy(), sources["a"].y.copy())}
    res = value_sources(twins, ref, method="proxy_shapley")
    total = sum(res.values.values())
    _, counts = np.unique(ref.y, return_counts=True)
    full = _sklearn_accuracy(list(twins.values()), ref, "ridge")
    assert abs(total - (full - counts.max() / ref.n)) < 1e-10
    assert res.values["a"] == pytest.approx(res.values["a-copy"], abs=1e-12)


def test_proxy_shapley_gives_a_dummy_source_zero() -> None:
    """A source of the reference's majority class, far from every reference point: alone it
    scores U(∅); with any source of >= k samples it is never a neighbour. So it is a dummy."""
    X, y = load_digits(return_X_y=True)
    (Xr, yr), (Xa, ya), (Xb, yb), (Xc, yc) = _split(X, y, (200, 40, 30, 50), 3)
    ref = Dataset(Xr, yr)
    majority = np.bincount(yr).argmax()
    far = Dataset(np.full((6, X.shape[1]), 1e6), np.full(6, majority))
    sources = {"a": Dataset(Xa, ya), "dummy": far, "b": Dataset(Xb, yb), "c": Dataset(Xc, yc)}
    res = value_sources(sources, ref, method="proxy_shapley", model="knn")
    assert res.values["dummy"] == 0.0
    assert res.values["a"] > 0.0


def test_proxy_shapley_refuses_more_than_twelve_sources() -> None:
    gen = np.random.default_rng(0)
    ref = Dataset(gen.standard_normal((10, 2)), np.arange(10) % 2)
    sources = {f"s{i}": Dataset(gen.standard_normal((4, 2)), np.arange(4) % 2) for i in range(13)}
    with pytest.raises(ValidationError) as err:
        value_sources(sources, ref, method="proxy_shapley")
    assert str(err.value) == (
        "sources must hold at most 12 sources for proxy_shapley (exact Shapley evaluates all "
        "2^K coalitions); got 13"
    )
    twelve = dict(list(sources.items())[:12])
    assert len(value_sources(twelve, ref, method="proxy_shapley").values) == 12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "svm"}, "model must be one of ridge, lda, knn, logistic; got 'svm'"),
        ({"alpha": 0.0}, "alpha must be > 0; got 0.0"),
        ({"n_neighbors": 0}, "n_neighbors must be >= 1; got 0"),
    ],
)
def test_bad_proxy_options_name_the_problem(wine, kwargs, message) -> None:
    sources, ref = wine
    with pytest.raises(ValidationError) as err:
        value_sources(sources, ref, method="proxy", **kwargs)
    assert str(err.value) == message
