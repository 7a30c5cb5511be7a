"""The ``lava`` baseline: class-wise optimal-transport distance of a source to the reference.

Expectations are built independently of :mod:`synthmix.valuation.lava`: the transport costs by
``ot.emd2`` on points standardised and label costs assembled here, cross-checked by an
assignment problem (``scipy.optimize.linear_sum_assignment``: with equally many points on both
sides, optimal transport between uniform laws is a minimum-cost perfect matching).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from sklearn.datasets import load_digits, load_wine

from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.valuation import value_sources
from synthmix.valuation.lava import lava_distance, lava_values

ot = pytest.importorskip(
    "ot", reason="the lava baseline needs pot (the 'baselines' extra, installed by make test)"
)


def _matching_cost(C: np.ndarray) -> float:
    """OT cost between two uniform laws of equally many points: the mean matched cost."""
    rows, cols = linear_sum_assignment(C)
    return float(C[rows, cols].mean())


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float64), y, np.random.default_rng(0).permutation(y.shape[0])


def test_distance_is_emd_with_a_hand_built_label_cost() -> None:
    """Wine, classes 0 and 1, 10 + 10 rows per side; two source labels swapped so the label
    cost matters. The distance equals ot.emd2 on the same standardised points with
    ``‖x − x'‖² + λ W(y, y')`` built here, and the matching cost."""
    X, y = load_wine(return_X_y=True)
    i0, i1 = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    ref_rows = np.r_[i0[:10], i1[:10]]
    src_rows = np.r_[i0[10:20], i1[10:20]]
    src_y = y[src_rows].copy()
    src_y[[0, 10]] = src_y[[10, 0]]  # one swap: still 10 rows per class
    ref, src = Dataset(X[ref_rows], y[ref_rows]), Dataset(X[src_rows], src_y)
    lam = 0.5

    mu, sd = X[ref_rows].mean(axis=0), X[ref_rows].std(axis=0)
    A, B = (X[src_rows] - mu) / sd, (X[ref_rows] - mu) / sd
    feat = cdist(A, B, "sqeuclidean")
    W = np.zeros((2, 2))
    for a in range(2):
        for b in range(2):
            block = feat[np.ix_(src_y == a, y[ref_rows] == b)]
            W[a, b] = ot.emd2(np.full(10, 0.1), np.full(10, 0.1), block)
            assert W[a, b] == pytest.approx(_matching_cost(block), rel=1e-9)
    C = feat + lam * W[src_y][:, y[ref_rows]]
    expected = ot.emd2(np.full(20, 0.05), np.full(20, 0.05), C)
    assert expected == pytest.approx(_matching_cost(C), rel=1e-9)

    got = lava_distance(src, ref, label_weight=lam)
    assert got.distance == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(got.label_cost, W, rtol=1e-9)
    assert got.source_classes.tolist() == [0, 1] == got.reference_classes.tolist()
    np.testing.assert_array_equal(got.rows, np.arange(20))
    # λ = 0: plain feature OT
    assert lava_distance(src, ref, label_weight=0.0).distance == pytest.approx(
        _matching_cost(feat), rel=1e-9
    )
    # the value_sources entry point reports minus the same distance
    res = value_sources({"src": src, "ref": ref}, ref, method="lava", label_weight=lam)
    assert res.values["src"] == pytest.approx(-expected, rel=1e-9)
    assert res.terms["src"]["ot_distance"] == pytest.approx(expected, rel=1e-9)


def test_a_copy_of_the_reference_is_at_distance_zero_and_ranks_first(digits) -> None:
    X, y, p = digits
    r = p[:200]
    ref = Dataset(X[r], y[r])
    sources = {
        "fresh": Dataset(X[p[200:400]], y[p[200:400]]),
        "copy": Dataset(X[r], y[r], synthetic=np.ones(200, bool)),
        "five_classes": Dataset(X[p[400:700]][y[p[400:700]] < 5], y[p[400:700]][y[p[400:700]] < 5]),
    }
    res = value_sources(sources, ref, method="lava", rng=0)
    assert res.values["copy"] == pytest.approx(0.0, abs=1e-9)
    assert res.ranking()[0] == "copy"
    assert all(v < -1.0 for n, v in res.values.items() if n != "copy")
    # missing classes cost: half the classes is farther than a full fresh sample
    assert res.values["five_classes"] < res.values["fresh"]
    assert np.isfinite(list(res.values.values())).all()


def test_label_shuffled_copy_ranks_below_clean_data(digits) -> None:
    """The reference's rows with their labels permuted rank below the clean copy; likewise a
    fresh sample with permuted labels below the same fresh sample with its own labels."""
    X, y, p = digits
    r, s = p[:200], p[200:400]
    ref = Dataset(X[r], y[r])
    gen = np.random.default_rng(1)
    shuffled = Dataset(X[r], gen.permutation(y[r]))
    fresh, fresh_shuffled = Dataset(X[s], y[s]), Dataset(X[s], gen.permutation(y[s]))
    vals = lava_values([ref, shuffled, fresh, fresh_shuffled], ref)
    assert vals[1] < vals[0]
    assert vals[3] < vals[2] - 1.0
    # without the label cost the shuffled copy is the reference again
    plain = lava_values([ref, shuffled], ref, label_weight=0.0)
    assert plain[1] == pytest.approx(0.0, abs=1e-9)


def test_calibrated_gradient_flags_flipped_labels(digits) -> None:
    """LAVA's per-point gradient, checked against its definition from the dual potential of
    ot.emd2 computed here, is higher on the rows whose label was flipped."""
    X, y, p = digits
    r, s = p[:200], p[200:350]
    ref = Dataset(X[r], y[r])
    gen = np.random.default_rng(2)
    ys = y[s].copy()
    flip = np.zeros(150, bool)
    flip[gen.choice(150, 30, replace=False)] = True
    ys[flip] = (ys[flip] + gen.integers(1, 10, 30)) % 10
    got = lava_distance(Dataset(X[s], ys), ref)

    mu, sd = X[r].mean(axis=0), X[r].std(axis=0)
    sd[sd == 0] = 1.0
    feat = cdist((X[s] - mu) / sd, (X[r] - mu) / sd, "sqeuclidean")
    assert set(ys) == set(y[r]) == set(range(10))
    label = np.array(
        [[ot.emd2([], [], feat[np.ix_(ys == a, y[r] == b)]) for b in range(10)] for a in range(10)]
    )
    np.testing.assert_allclose(got.label_cost, label, rtol=1e-9)
    cost, log = ot.emd2([], [], feat + label[ys][:, y[r]], numItermax=10**7, log=True)
    assert got.distance == pytest.approx(cost, rel=1e-9)
    f = log["u"]
    calibrated = np.array([f[i] - np.delete(f, i).mean() for i in range(150)])
    np.testing.assert_allclose(got.calibrated_gradient, calibrated, atol=1e-8)
    assert got.calibrated_gradient[flip].mean() > got.calibrated_gradient[~flip].mean() + 1.0


def test_same_rng_same_values_and_source_order_does_not_matter(digits) -> None:
    """With subsampling active (max_points below every side's size), the same seed gives the
    same values, whatever the order of the sources; lava_distance agrees with lava_values."""
    X, y, p = digits
    ref = Dataset(X[p[:300]], y[p[:300]])
    a = Dataset(X[p[300:500]], y[p[300:500]])
    b = Dataset(X[p[500:700]], (y[p[500:700]] + 1) % 10)
    c = Dataset(X[p[700:800]], y[p[700:800]])
    kw = {"max_points": 80, "rng": 7}
    first = lava_values({"a": a, "b": b, "c": c}, ref, **kw)
    again = lava_values({"a": a, "b": b, "c": c}, ref, **kw)
    swapped = lava_values({"c": c, "b": b, "a": a}, ref, **kw)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, swapped[::-1])
    alone = lava_distance(b, ref, **kw)
    assert alone.distance == -first[1]
    assert alone.rows.shape == (80,) and np.all(np.diff(alone.rows) > 0)
    assert not np.array_equal(first, lava_values([a, b, c], ref, max_points=80, rng=8))
    res1 = value_sources({"a": a, "b": b, "c": c}, ref, method="lava", rng=3, max_points=80)
    res2 = value_sources({"c": c, "a": a, "b": b}, ref, method="lava", rng=3, max_points=80)
    assert res1.values == {n: res2.values[n] for n in res1.values}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label_weight": -1.0}, "label_weight must be >= 0 and finite; got -1.0"),
        ({"label_weight": float("nan")}, "label_weight must be >= 0 and finite; got nan"),
        ({"label_weight": "1"}, "label_weight must be a number >= 0; got '1'"),
        ({"max_points": 1}, "max_points must be >= 2; got 1"),
        ({"max_points": 2.5}, "max_points must be an integer; got 2.5"),
    ],
)
def test_bad_options_give_the_exact_message(kwargs, message) -> None:
    X, y = load_wine(return_X_y=True)
    p = np.random.default_rng(0).permutation(y.shape[0])
    ref, src = Dataset(X[p[:40]], y[p[:40]]), Dataset(X[p[40:60]], y[p[40:60]])
    with pytest.raises(ValidationError) as direct:
        lava_values([src], ref, **kwargs)
    assert str(direct.value) == message
    with pytest.raises(ValidationError) as through:
        value_sources({"a": src, "b": ref}, ref, method="lava", **kwargs)
    assert str(through.value) == message


def test_bad_datasets_give_the_exact_message() -> None:
    X, y = load_wine(return_X_y=True)
    ref = Dataset(X[:40], y[:40])
    with pytest.raises(ValidationError) as exc:
        lava_values([Dataset(X[:5, :3], y[:5])], ref)
    assert str(exc.value) == "sources[0] must have the reference's 13 features; got '3 features'"
    with pytest.raises(ValidationError) as exc:
        lava_values([], ref)
    assert str(exc.value) == "sources must contain at least one Dataset; got []"
    with pytest.raises(ValidationError) as exc:
        lava_distance(Dataset(X[:5], y[:5]), Dataset(X[:1], y[:1]))
    assert str(exc.value) == "reference must contain at least two samples; got 1"


def test_missing_pot_names_the_extra(monkeypatch) -> None:
    """Without pot the error names the extra (the benchmark then reports lava "not run")."""
    from synthmix.valuation.ntk import OptionalDependencyError

    X, y = load_wine(return_X_y=True)
    monkeypatch.setitem(sys.modules, "ot", None)  # makes `import ot` raise ImportError
    with pytest.raises(OptionalDependencyError, match=r"synthmix\[baselines\]"):
        lava_values([Dataset(X[:5], y[:5])], Dataset(X[:10], y[:10]))
