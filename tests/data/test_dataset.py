"""Dataset: validation at construction, immutability, selection, binary tasks, splits."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthmix.data import Dataset
from synthmix.exceptions import ValidationError


def _toy(n: int = 12, labels: Any = None, name: str | None = "toy") -> Dataset:
    """Column 0 of X is the row id, so tests can see which rows a method kept."""
    X = np.column_stack([np.arange(n, dtype=float), np.linspace(-1.0, 1.0, n)])
    y = labels if labels is not None else np.arange(n) % 3
    synthetic = np.arange(n) % 2 == 1
    return Dataset(X, y, synthetic=synthetic, name=name)


TOY = _toy()
OTHER_D = Dataset(np.zeros((2, 3)), [0, 1])
STR_LABELS = Dataset(np.zeros((2, 2)), ["a", "b"])

BAD: list[tuple[str, Callable[[], Any], str]] = [
    ("X-1d", lambda: Dataset(np.zeros(3), [0, 1, 2]), "X"),
    ("X-3d", lambda: Dataset(np.zeros((2, 2, 2)), [0, 1]), "X"),
    ("X-list-1d", lambda: Dataset([1.0, 2.0], [0, 1]), "X"),
    ("X-nan", lambda: Dataset([[0.0, np.nan], [1.0, 2.0]], [0, 1]), "X"),
    ("X-inf", lambda: Dataset(np.array([[np.inf, 0.0]]), [0]), "X"),
    ("X-text", lambda: Dataset([["a", "b"]], [0]), "X"),
    ("X-no-columns", lambda: Dataset(np.zeros((3, 0)), [0, 1, 2]), "X"),
    ("y-length", lambda: Dataset(np.zeros((3, 2)), [0, 1]), "y"),
    ("y-2d", lambda: Dataset(np.zeros((2, 2)), [[0], [1]]), "y"),
    ("y-string", lambda: Dataset(np.zeros((2, 2)), "ab"), "y"),
    ("y-mixed", lambda: Dataset(np.zeros((2, 2)), np.array(["a", 1], dtype=object)), "y"),
    ("y-nan", lambda: Dataset(np.zeros((2, 2)), [0.0, np.nan]), "y"),
    ("y-complex", lambda: Dataset(np.zeros((2, 2)), [1j, 2j]), "y"),
    ("synthetic-length", lambda: Dataset(np.zeros((3, 2)), [0, 1, 2], [True, False]), "synthetic"),
    ("synthetic-int", lambda: Dataset(np.zeros((2, 2)), [0, 1], synthetic=[0, 1]), "synthetic"),
    (
        "synthetic-2d",
        lambda: Dataset(np.zeros((2, 2)), [0, 1], np.zeros((2, 1), bool)),
        "synthetic",
    ),
    ("name", lambda: Dataset(np.zeros((2, 2)), [0, 1], name=3), "name"),  # type: ignore[arg-type]
    ("subset-float", lambda: TOY.subset([0.5]), "indices"),
    ("subset-range", lambda: TOY.subset([TOY.n]), "indices"),
    ("subset-negative-range", lambda: TOY.subset([-TOY.n - 1]), "indices"),
    ("subset-mask-length", lambda: TOY.subset(np.ones(3, bool)), "indices"),
    ("subset-2d", lambda: TOY.subset([[0, 1]]), "indices"),
    ("binary-pos", lambda: TOY.binary(7, 0), "pos"),
    ("binary-neg", lambda: TOY.binary(0, "x"), "neg"),
    ("binary-same", lambda: TOY.binary(1, 1), "neg"),
    ("split-zero", lambda: TOY.split(0.0, rng=0), "test_size"),
    ("split-one", lambda: TOY.split(1.0, rng=0), "test_size"),
    ("split-nan", lambda: TOY.split(float("nan"), rng=0), "test_size"),
    ("split-count-zero", lambda: TOY.split(0, rng=0), "test_size"),
    ("split-count-all", lambda: TOY.split(TOY.n, rng=0), "test_size"),
    ("split-bool", lambda: TOY.split(True, rng=0), "test_size"),
    ("split-text", lambda: TOY.split("half", rng=0), "test_size"),  # type: ignore[arg-type]
    ("split-one-sample", lambda: TOY.subset([0]).split(0.5, rng=0), "test_size"),
    ("split-rng", lambda: TOY.split(0.5, rng=-1), "rng"),
    ("concat-d", lambda: TOY.concat(OTHER_D), "other"),
    ("concat-kind", lambda: OTHER_D.subset([0]).concat(STR_LABELS.subset([0])), "other"),
    ("concat-type", lambda: TOY.concat(np.zeros((2, 2))), "other"),  # type: ignore[arg-type]
    ("concat-name", lambda: TOY.concat(TOY, name=5), "name"),  # type: ignore[arg-type]
    ("concatenate-empty", lambda: Dataset.concatenate([]), "datasets"),
    ("concatenate-one", lambda: Dataset.concatenate(TOY), "datasets"),  # type: ignore[arg-type]
    ("concatenate-items", lambda: Dataset.concatenate([TOY, 1]), "datasets"),  # type: ignore[list-item]
    ("concatenate-d", lambda: Dataset.concatenate([TOY, OTHER_D]), "datasets"),
]


@pytest.mark.parametrize(("call", "param"), [(c, p) for _, c, p in BAD], ids=[i for i, _, _ in BAD])
def test_bad_input_names_the_parameter(call: Callable[[], Any], param: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value).startswith(f"{param} must "), str(info.value)


def test_defaults_and_canonical_forms() -> None:
    ds = Dataset([[1, 2], [3, 4]], np.array(["a", "b"], dtype=object))
    assert ds.X.dtype == np.float64
    assert ds.y.dtype.kind == "U" and ds.y.tolist() == ["a", "b"]
    assert ds.synthetic.dtype == np.bool_ and not ds.synthetic.any()
    assert ds.name is None
    assert (ds.n, ds.d, len(ds), ds.n_synthetic) == (2, 2, 2, 0)
    assert Dataset(np.zeros((2, 1)), [3, 1]).classes.tolist() == [1, 3]
    assert Dataset(np.zeros((0, 4)), []).n == 0  # empty data sets are allowed
    assert "n=2" in repr(ds) and "d=2" in repr(ds)


def test_arrays_are_read_only_copies() -> None:
    X = np.arange(6.0).reshape(3, 2)
    y = np.array([0, 1, 0])
    flags = np.array([False, True, False])
    ds = Dataset(X, y, synthetic=flags)
    X[0, 0], y[0], flags[0] = 99.0, 7, True  # the caller's arrays stay writeable ...
    assert ds.X[0, 0] == 0.0 and ds.y[0] == 0 and not ds.synthetic[0]  # ... and not aliased
    for arr in (ds.X, ds.y, ds.synthetic):
        assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = arr[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.X = X  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "x"  # type: ignore[misc]
    view = Dataset(X[:, :1], y)  # a view of caller memory is copied too
    X[1, 0] = -5.0
    assert view.X[1, 0] == 2.0
    for derived in (
        ds.subset([0, 2]),
        ds.binary(0, 1),
        ds.concat(ds),
        *ds.split(1, rng=0),
        pickle.loads(pickle.dumps(ds)),
    ):
        assert not derived.X.flags.writeable and not derived.y.flags.writeable
        assert not derived.synthetic.flags.writeable


def test_subset_order_mask_and_negative_indices() -> None:
    part = TOY.subset([5, 0, -1, 5])
    np.testing.assert_array_equal(part.X[:, 0], [5, 0, 11, 5])
    np.testing.assert_array_equal(part.y, TOY.y[[5, 0, 11, 5]])
    np.testing.assert_array_equal(part.synthetic, [True, False, True, True])
    assert part.name == "toy"
    masked = TOY.subset(TOY.y == 2)
    np.testing.assert_array_equal(masked.X[:, 0], [2, 5, 8, 11])
    assert TOY.subset([]).n == 0


def test_binary_maps_pos_to_plus_one_and_keeps_provenance() -> None:
    ds = _toy(9, labels=["cat", "dog", "eel"] * 3)
    two = ds.binary("eel", "cat")
    np.testing.assert_array_equal(two.X[:, 0], [0, 2, 3, 5, 6, 8])
    np.testing.assert_array_equal(two.y, [-1, 1, -1, 1, -1, 1])
    assert two.y.dtype == np.float64
    np.testing.assert_array_equal(two.synthetic, ds.synthetic[[0, 2, 3, 5, 6, 8]])
    assert two.classes.tolist() == [-1.0, 1.0]
    assert TOY.binary(2, 0).y.tolist() == [-1, 1, -1, 1, -1, 1, -1, 1]


def test_concat_keeps_provenance_and_merges_names() -> None:
    real = Dataset(np.zeros((2, 2)), [0, 1], name="real")
    synth = Dataset(np.ones((3, 2)), [1, 1, 0], synthetic=np.ones(3, bool), name="gen")
    both = real.concat(synth)
    np.testing.assert_array_equal(both.synthetic, [False, False, True, True, True])
    np.testing.assert_array_equal(both.y, [0, 1, 1, 1, 0])
    assert both.name == "real+gen"
    assert Dataset.concatenate([real, real]).name == "real"
    assert Dataset.concatenate([real, synth, real], name="mix").n == 7
    assert Dataset.concatenate((real,)).n == 2
    assert Dataset(np.zeros((1, 1)), [0]).concat(Dataset(np.zeros((1, 1)), [1])).name is None
    # int and float labels are both numeric: they stack
    assert Dataset.concatenate([real, real.binary(1, 0)]).y.dtype == np.float64


def test_split_is_stratified_exact_and_deterministic() -> None:
    y = np.repeat([0, 1, 2], [40, 20, 10])
    ds = Dataset(np.arange(70.0)[:, None], y, synthetic=np.arange(70) % 3 == 0)
    train, test = ds.split(0.3, rng=5)
    assert (train.n, test.n) == (49, 21)
    assert np.bincount(test.y).tolist() == [12, 6, 3]
    ids = np.concatenate([train.X[:, 0], test.X[:, 0]])
    np.testing.assert_array_equal(np.sort(ids), np.arange(70))  # a partition
    assert np.all(np.diff(train.X[:, 0]) > 0) and np.all(np.diff(test.X[:, 0]) > 0)
    np.testing.assert_array_equal(test.synthetic, test.X[:, 0] % 3 == 0)  # provenance follows
    again = ds.split(0.3, rng=5)[1]
    np.testing.assert_array_equal(again.X, test.X)
    gen_a, gen_b = np.random.default_rng(1), np.random.default_rng(1)
    np.testing.assert_array_equal(ds.split(7, rng=gen_a)[1].X, ds.split(7, rng=gen_b)[1].X)
    assert not np.array_equal(ds.split(0.3, rng=6)[1].X, test.X)
    assert ds.split(7, rng=0)[1].n == 7


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(1, 30), min_size=1, max_size=5),
    frac=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_quotas_property(counts: list[int], frac: float, seed: int) -> None:
    y = np.repeat(np.arange(len(counts)), counts)
    n = y.shape[0]
    if n < 2:
        return
    train, test = Dataset(np.arange(float(n))[:, None], y).split(frac, rng=seed)
    assert train.n + test.n == n and 1 <= test.n <= n - 1
    assert test.n == min(max(round(frac * n), 1), n - 1)
    share = np.bincount(test.y, minlength=len(counts)) - np.asarray(counts) * test.n / n
    assert np.all(np.abs(share) < 1.0)  # each class within one sample of its exact share


def test_import_pulls_in_no_optional_dependency() -> None:
    """pandas, pyarrow and mlxtend are imported only by the functions that need them."""
    code = (
        "import sys, synthmix.data; "
        "print(sorted(m for m in ('pandas', 'pyarrow', 'mlxtend', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
