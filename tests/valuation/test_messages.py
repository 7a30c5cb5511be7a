# mypy: disable-error-code="arg-type, list-item, dict-item"
# (the cases pass ill-typed values on purpose)
"""Bad input is refused with the parameter's name, the rule it breaks and the value given.

Every validation site of :mod:`synthmix.valuation` reachable from a public function has a case
here, with the whole message spelled out (``<name> must <rule>; got <value>``): the messages
are part of the interface (the CLI prints them as they are).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pytest

from synthmix.data import Dataset
from synthmix.exceptions import SynthmixError, ValidationError
from synthmix.valuation.attribution import attribution_values
from synthmix.valuation.ground_truth import (
    leave_one_out,
    shapley_truth,
    standalone_accuracy,
    training_accuracy,
)
from synthmix.valuation.markets import Market, make_market, make_markets
from synthmix.valuation.metrics import agreement, market_agreement, stability
from synthmix.valuation.mmd import (
    default_bandwidths,
    median_heuristic,
    mmd,
    mmd_to_reference,
    power_weights,
)
from synthmix.valuation.ntk import (
    analytic_nngp,
    analytic_ntk,
    empirical_ntk,
    kernel_ridge_terms,
    ntk_complexity,
)
from synthmix.valuation.oob import data_oob_values
from synthmix.valuation.shapley import exact_shapley, permutation_shapley
from synthmix.valuation.value import combine_terms, fit_weights, value_sources


def _ds(n: int = 4, d: int = 2, y: Any = None) -> Dataset:
    """``n`` samples of ``d`` zero features, labels 0, 1, 0, 1, ... unless given."""
    return Dataset(np.zeros((n, d)), np.arange(n) % 2 if y is None else y)


EMPTY = Dataset(np.zeros((0, 2)), np.zeros(0))
REF = _ds(4)
STR_REF = _ds(4, y=["a", "b", "a", "b"])
ONE_CLASS = _ds(4, y=np.zeros(4, dtype=np.int64))
SRC = {"a": _ds(3)}
TWO = {"a": _ds(3), "b": _ds(3)}
V3 = {"a": 1.0, "b": 2.0, "c": 3.0}
ZERO = lambda c: 0.0  # noqa: E731 - a utility for the Shapley cases
TEXT: Any = lambda c: "x"  # noqa: E731 - a utility that returns no number

KINDS = (
    "['real', 'mixed', 'synthetic', 'truncated', 'temperature', 'label_noise', 'noise', "
    "'blur', 'duplicates']"
)
METHOD_LIST = (
    "proxy_ensemble, mixture, davinz, deviation, shapley, tracin, trak, logra, knn_shapley, "
    "proxy, proxy_loo, "
    "proxy_shapley, lava, data_oob, size, real_fraction, mmd_only, ntk_only, random"
)


class _Duplicated(Mapping[str, Dataset]):
    """A mapping whose keys repeat one name (a dict cannot)."""

    def __getitem__(self, key: str) -> Dataset:
        return REF

    def __iter__(self) -> Iterator[str]:
        return iter(["a", "b", "a"])

    def __len__(self) -> int:
        return 3


def _market(k: int = 2) -> Market:
    """A hand-built market of ``k`` tiny contributors (validation runs before any training)."""
    names = [f"c{i}" for i in range(k)]
    return Market(
        name="toy-0",
        task="digits",
        contributors={n: _ds(4) for n in names},
        descriptions={n: {} for n in names},
        reference=REF,
        test=REF,
        seed=0,
        source_index={n: np.arange(4) for n in names},
        reference_index=np.arange(4),
        test_index=np.arange(4),
        features="pca",
        n_components=2,
    )


def _att(sources: Any = None, reference: Any = REF, **kw: Any) -> Any:
    kw.setdefault("method", "tracin")
    return attribution_values(SRC if sources is None else sources, reference, **kw)


def _digits(*specs: dict[str, Any], **kw: Any) -> Market:
    """A digits market whose first contributor is ``specs[0]`` (the rest: a few real rows)."""
    kw.setdefault("n_reference", 10)
    kw.setdefault("n_test", 10)
    kw.setdefault("n_components", 2)
    return make_market("digits", rng=0, specs=[*specs, {"kind": "real", "size": 5}], **kw)


ATTRIBUTION: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: _att(method="x"),
        "method must be one of ['tracin', 'trak', 'logra', 'knn_shapley']; got 'x'",
    ),
    (
        lambda: _att(method=None),
        "method must be one of ['tracin', 'trak', 'logra', 'knn_shapley']; got None",
    ),
    (lambda: _att(reference=None), "reference must be a synthmix.data.Dataset; got 'NoneType'"),
    (lambda: _att(reference=REF.X), "reference must be a synthmix.data.Dataset; got 'ndarray'"),
    (lambda: _att([("a", REF)]), "sources must be a mapping of names to Datasets; got 'list'"),
    (lambda: _att("ab"), "sources must be a mapping of names to Datasets; got 'str'"),
    (
        lambda: attribution_values({}, REF, method="tracin"),
        "sources must hold at least one source; got 'an empty mapping'",
    ),
    (lambda: _att({"": REF}), "sources must have non-empty string names; got ''"),
    (lambda: _att({1: REF}), "sources must have non-empty string names; got 1"),
    (lambda: _att(_Duplicated()), "sources must have distinct names; got \"duplicates ['a']\""),
    (lambda: _att(reference=EMPTY), "reference must hold at least one sample; got '0 samples'"),
    (lambda: _att({"a": 3}), "sources['a'] must be a synthmix.data.Dataset; got 'int'"),
    (lambda: _att({"b": None}), "sources['b'] must be a synthmix.data.Dataset; got 'NoneType'"),
    (lambda: _att({"a": EMPTY}), "sources['a'] must hold at least one sample; got '0 samples'"),
    (
        lambda: _att({"a": _ds(3, d=3)}),
        "sources['a'] must have d = 2 features like the reference; got 'd = 3'",
    ),
    (
        lambda: _att({"a": _ds(2, y=["a", "b"])}),
        "sources['a'] must have numeric labels like the reference; got 'dtype <U1'",
    ),
    (
        lambda: _att({"a": _ds(2, y=["aaa", "b"])}),
        "sources['a'] must have numeric labels like the reference; got 'dtype <U3'",
    ),
    (
        lambda: _att({"a": _ds(2)}, STR_REF),
        "sources['a'] must have string labels like the reference; got 'dtype int64'",
    ),
    (
        lambda: _att({"a": _ds(2, y=[0.0, 1.0])}, STR_REF),
        "sources['a'] must have string labels like the reference; got 'dtype float64'",
    ),
    (lambda: _att(reference=ONE_CLASS), "reference must hold at least two classes; got [0]"),
    (
        lambda: _att(reference=_ds(2, y=["z", "z"]), sources={"a": _ds(2, y=["a", "b"])}),
        "reference must hold at least two classes; got ['z']",
    ),
    # string labels on both sides and float labels against int labels are accepted
    (lambda: _att({"a": _ds(2, y=["a", "b"])}, STR_REF, epochs=0), "epochs must be >= 1; got 0"),
    (lambda: _att({"a": _ds(2, y=[0.0, 1.0])}, hidden=0), "hidden must be >= 1; got 0"),
    (lambda: _att(proj_dim=0), "proj_dim must be >= 1; got 0"),
    (lambda: _att(k=0), "k must be >= 1; got 0"),
    (lambda: _att(batch_size=0), "batch_size must be >= 1; got 0"),
    (lambda: _att(n_checkpoints=0), "n_checkpoints must be >= 1; got 0"),
    (lambda: _att(epochs=2, n_checkpoints=3), "n_checkpoints must be <= 2; got 3"),
    (lambda: _att(learning_rate="x"), "learning_rate must be a real number; got 'x'"),
    (lambda: _att(learning_rate=True), "learning_rate must be a real number; got True"),
    (lambda: _att(learning_rate=0), "learning_rate must be > 0 and finite; got 0"),
    (lambda: _att(learning_rate=-0.5), "learning_rate must be > 0 and finite; got -0.5"),
    (
        lambda: _att(learning_rate=float("inf")),
        "learning_rate must be > 0 and finite; got inf",
    ),
    (lambda: _att(regularization=None), "regularization must be a real number; got None"),
    (lambda: _att(regularization=-1.0), "regularization must be >= 0 and finite; got -1.0"),
    (
        lambda: _att(regularization=float("nan")),
        "regularization must be >= 0 and finite; got nan",
    ),
    # regularization 0 is accepted
    (
        lambda: _att(method="logra", proj_dim=2, regularization=0),
        "proj_dim must be a perfect square for method='logra'; got 2",
    ),
    (
        lambda: _att(method="logra", proj_dim=8),
        "proj_dim must be a perfect square for method='logra'; got 8",
    ),
]

METRICS: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: agreement({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "d": 3}),
        "truth must value the same sources as values; got ['c', 'd']",
    ),
    (
        lambda: agreement({"a": 1, "b": 2}, {"a": 1, "b": 2}),
        "values must cover at least 3 sources; got 2",
    ),
    (lambda: agreement(V3, V3, n_boot=9), "n_boot must be >= 10; got 9"),
    (lambda: market_agreement([(V3, V3)]), "pairs must hold at least 2 markets; got 1"),
    (lambda: market_agreement([]), "pairs must hold at least 2 markets; got 0"),
    (lambda: market_agreement([(V3, V3), (V3, V3)], n_boot=9), "n_boot must be >= 10; got 9"),
    (
        lambda: stability(lambda s, r: {}, TWO, fractions=(0.5, 0.0)),
        "fractions must lie in (0, 1]; got 0.0",
    ),
    (
        lambda: stability(lambda s, r: {}, TWO, fractions=(1.5,)),
        "fractions must lie in (0, 1]; got 1.5",
    ),
]

SHAPLEY: list[tuple[Callable[[], Any], str]] = [
    (lambda: exact_shapley(ZERO, []), "players must contain at least one player; got ()"),
    (
        lambda: exact_shapley(ZERO, "ab"),
        "players must be a sequence of player names (e.g. a list of str); got 'ab'",
    ),
    (
        lambda: exact_shapley(ZERO, {1, 2}),
        "players must be a sequence of player names (e.g. a list of str); got {1, 2}",
    ),
    (lambda: exact_shapley(ZERO, ["a", [1]]), "players must contain hashable names; got [1]"),
    (
        lambda: exact_shapley(ZERO, ["a", "b", "a"]),
        "players must have unique names; got \"duplicates ['a']\"",
    ),
    (
        lambda: exact_shapley(3, ["a"]),
        "utility must be callable on a tuple of player names; got 3",
    ),
    (
        lambda: exact_shapley(TEXT, ["a"]),
        "utility must return a real number; got \"'x' for coalition ()\"",
    ),
    (
        lambda: exact_shapley(lambda c: float("nan") if c else 0.0, ["a"]),
        "utility must return a finite number; got \"nan for coalition ('a',)\"",
    ),
    (
        lambda: exact_shapley(ZERO, list(range(11))),
        "players must have at most 10 players for exact Shapley (2^K utility evaluations); "
        "use permutation_shapley for more; got '11 players'",
    ),
    (lambda: exact_shapley(ZERO, ["a"], n_jobs=1.5), "n_jobs must be an integer; got 1.5"),
    (
        lambda: exact_shapley(ZERO, ["a"], n_jobs=0),
        "n_jobs must be a positive integer or -1 (all cores); got 0",
    ),
    (
        lambda: exact_shapley(ZERO, ["a"], n_jobs=-2),
        "n_jobs must be a positive integer or -1 (all cores); got -2",
    ),
    (
        lambda: permutation_shapley(ZERO, ["a", "a"]),
        "players must have unique names; got \"duplicates ['a']\"",
    ),
    (
        lambda: permutation_shapley(None, ["a"]),
        "utility must be callable on a tuple of player names; got None",
    ),
    (
        lambda: permutation_shapley(ZERO, ["a"], max_permutations=1),
        "max_permutations must be >= 2; got 1",
    ),
    (
        lambda: permutation_shapley(ZERO, ["a"], min_permutations=1),
        "min_permutations must be >= 2; got 1",
    ),
    (
        lambda: permutation_shapley(ZERO, ["a"], max_permutations=5, min_permutations=10),
        "min_permutations must be <= max_permutations (5); got 10",
    ),
    (
        lambda: permutation_shapley(ZERO, ["a"], tolerance="x"),
        "tolerance must be a number or an array of numbers; got 'x'",
    ),
    (lambda: permutation_shapley(ZERO, ["a"], tolerance=-1), "tolerance must be >= 0; got -1.0"),
    (
        lambda: permutation_shapley(ZERO, ["a", "b"], truncation="x"),
        "truncation must be a number or an array of numbers; got 'x'",
    ),
    (
        lambda: permutation_shapley(ZERO, ["a"], truncation=-2),
        "truncation must be >= 0; got -2.0",
    ),
    (
        lambda: permutation_shapley(ZERO, ["a"], antithetic=1),
        "antithetic must be True or False; got 1",
    ),
    (
        lambda: permutation_shapley(
            ZERO, ["a"], antithetic=True, max_permutations=3, min_permutations=2
        ),
        "max_permutations must allow at least 2 pairs (>= 4 with antithetic=True); got 3",
    ),
]

Z32 = np.zeros((3, 2))
MMD: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: mmd(np.zeros((1, 3)), np.zeros((5, 3))),
        "X must have at least 2 rows (samples); got '1 rows'",
    ),
    (lambda: mmd(Z32, np.zeros((1, 2))), "Y must have at least 2 rows (samples); got '1 rows'"),
    (lambda: mmd("x", Z32), "X must be a number or an array of numbers; got 'x'"),
    (
        lambda: mmd(np.zeros(3), Z32),
        "X must be a 2-D array of shape (n_samples, n_features); got '1-D input'",
    ),
    (
        lambda: mmd(Z32, np.zeros((2, 2, 2))),
        "Y must be a 2-D array of shape (n_samples, n_features); got '3-D input'",
    ),
    (
        lambda: mmd(np.zeros((3, 0)), Z32),
        "X must have at least 1 column (feature); got '0 columns'",
    ),
    (
        lambda: mmd(Z32, np.zeros((3, 3))),
        "Y must have as many columns (features) as X (2); got '3 columns'",
    ),
    (
        lambda: mmd(Z32, Z32, estimator="x"),
        "estimator must be one of 'unbiased', 'linear', 'random_features'; got 'x'",
    ),
    (lambda: mmd(Z32, Z32, n_features=0), "n_features must be >= 1; got 0"),
    (lambda: mmd(Z32, Z32, block_size=0), "block_size must be >= 1; got 0"),
    (
        lambda: mmd(Z32, Z32, bandwidths="x"),
        "bandwidths must be a number or an array of numbers; got 'x'",
    ),
    (
        lambda: mmd(Z32, Z32, bandwidths=[]),
        "bandwidths must be a non-empty 1-D sequence of squared scales; got []",
    ),
    (
        lambda: mmd(Z32, Z32, bandwidths=[[1.0, 2.0]]),
        "bandwidths must be a non-empty 1-D sequence of squared scales; got [[1.0, 2.0]]",
    ),
    (lambda: mmd(Z32, Z32, bandwidths=[1.0, 0.0]), "bandwidths must be > 0; got [1.0, 0.0]"),
    (lambda: mmd(Z32, Z32, weights=[-1.0]), "weights must be >= 0; got [-1.0]"),
    (
        lambda: mmd(Z32, Z32, weights=[1.0, 1.0]),
        "weights must have one entry per kernel (5); got [1.0, 1.0]",
    ),
    (
        lambda: mmd(Z32, Z32, bandwidths=[1.0], weights=[1.0, 1.0]),
        "weights must have one entry per kernel (1); got [1.0, 1.0]",
    ),
    (
        lambda: mmd(Z32, Z32, bandwidths=[1.0], weights=[[1.0]]),
        "weights must have one entry per kernel (1); got [[1.0]]",
    ),
    (
        lambda: mmd(Z32, Z32, weights=[0.0] * 5),
        "weights must have a positive entry; got [0.0, 0.0, 0.0, 0.0, 0.0]",
    ),
    (lambda: mmd(Z32, Z32, max_median_points=1), "max_median_points must be >= 2; got 1"),
    (lambda: median_heuristic(), "samples must contain at least one sample; got 'none'"),
    (
        lambda: median_heuristic(np.zeros((1, 2))),
        "samples[0] must have at least 2 rows (samples); got '1 rows'",
    ),
    (
        lambda: median_heuristic(Z32, np.zeros((3, 3))),
        "samples[1] must have as many columns (features) as samples[0] (2); got '3 columns'",
    ),
    (lambda: median_heuristic(Z32, max_points=1), "max_points must be >= 2; got 1"),
    (lambda: default_bandwidths(0.0), "gamma must be > 0; got 0.0"),
    (lambda: default_bandwidths(-1), "gamma must be > 0; got -1"),
    (lambda: default_bandwidths("x"), "gamma must be a number or an array of numbers; got 'x'"),
    (
        lambda: mmd_to_reference(np.zeros((2, 2)), Z32),
        "sources must be a non-empty sequence of 2-D arrays; got [[0.0, 0.0], [0.0, 0.0]]",
    ),
    (
        lambda: mmd_to_reference([], Z32),
        "sources must be a non-empty sequence of 2-D arrays; got []",
    ),
    (
        lambda: mmd_to_reference(3, Z32),
        "sources must be a non-empty sequence of 2-D arrays; got 3",
    ),
    (
        lambda: mmd_to_reference([Z32], np.zeros((1, 2))),
        "reference must have at least 2 rows (samples); got '1 rows'",
    ),
    (
        lambda: mmd_to_reference([Z32, np.zeros((1, 2))], Z32),
        "sources[1] must have at least 2 rows (samples); got '1 rows'",
    ),
    (
        lambda: mmd_to_reference([np.zeros((3, 3))], Z32),
        "sources[0] must have as many columns (features) as reference (2); got '3 columns'",
    ),
    (
        lambda: power_weights(np.zeros((1, 2)), np.zeros((4, 2))),
        "X must have at least 2 rows (samples); got '1 rows'",
    ),
    (
        lambda: power_weights(np.zeros((4, 2)), np.zeros(4)),
        "Y must be a 2-D array of shape (n_samples, n_features); got '1-D input'",
    ),
    (
        lambda: power_weights(np.zeros((3, 2)), np.zeros((3, 2))),
        "X and Y must have at least 4 rows each (two pairs); got '3, 3'",
    ),
    (
        lambda: power_weights(np.zeros((4, 2)), np.zeros((3, 2))),
        "X and Y must have at least 4 rows each (two pairs); got '4, 3'",
    ),
    (
        lambda: power_weights(np.zeros((4, 2)), np.zeros((4, 3))),
        "Y must have as many columns (features) as X (2); got '3 columns'",
    ),
    (
        lambda: power_weights(np.zeros((4, 2)), np.zeros((4, 2)), regularization=-1),
        "regularization must be >= 0; got -1",
    ),
    (
        lambda: power_weights(np.zeros((4, 2)), np.zeros((4, 2)), bandwidths=np.ones(13)),
        "bandwidths must have at most 12 entries; got '13'",
    ),
]

X22 = np.zeros((2, 2))
NTK: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: analytic_ntk(np.zeros(3)),
        "X must be a 2-D array (n_samples, n_features); got 'shape (3,)'",
    ),
    (
        lambda: analytic_ntk(np.zeros((0, 2))),
        "X must have at least one row and one column; got 'shape (0, 2)'",
    ),
    (
        lambda: analytic_ntk(np.zeros((2, 0))),
        "X must have at least one row and one column; got 'shape (2, 0)'",
    ),
    (
        lambda: analytic_ntk(X22, np.zeros(2)),
        "Z must be a 2-D array (n_samples, n_features); got 'shape (2,)'",
    ),
    (
        lambda: analytic_ntk(X22, np.zeros((2, 3))),
        "Z must have as many columns as X (2); got 'shape (2, 3)'",
    ),
    (
        lambda: analytic_nngp(np.zeros((1, 3)), np.zeros((4, 1))),
        "Z must have as many columns as X (3); got 'shape (4, 1)'",
    ),
    (lambda: analytic_ntk(X22, depth=0), "depth must be >= 1; got 0"),
    (lambda: analytic_ntk(X22, sigma_w=0.0), "sigma_w must be > 0; got 0.0"),
    (lambda: analytic_ntk(X22, sigma_w=-1.0), "sigma_w must be > 0; got -1.0"),
    (lambda: analytic_ntk(X22, sigma_w=[1.0]), "sigma_w must be a scalar; got [1.0]"),
    (lambda: analytic_ntk(X22, sigma_b=-0.5), "sigma_b must be >= 0; got -0.5"),
    (
        lambda: empirical_ntk(np.zeros(3), [0, 1, 0]),
        "X must be a 2-D array (n_samples, n_features); got 'shape (3,)'",
    ),
    (lambda: empirical_ntk(X22, "ab"), "y must be a 1-D array of integer class labels; got 'ab'"),
    (
        lambda: empirical_ntk(X22, [[0, 1]]),
        "y must be a 1-D array of integer class labels; got 'shape (1, 2)'",
    ),
    (lambda: empirical_ntk(X22, [0]), "y must have one label per row of X (2); got 'length 1'"),
    (
        lambda: empirical_ntk(X22, [True, False]),
        "y must be integer class labels 0..C-1; got [True, False]",
    ),
    (
        lambda: empirical_ntk(X22, ["a", "b"]),
        "y must be integer class labels 0..C-1; got ['a', 'b']",
    ),
    (
        lambda: empirical_ntk(X22, [0.5, 1.0]),
        "y must be integer class labels 0..C-1; got [0.5, 1.0]",
    ),
    (
        lambda: empirical_ntk(X22, [0.0, np.nan]),
        "y must be integer class labels 0..C-1; got [0.0, nan]",
    ),
    (
        lambda: empirical_ntk(X22, [-1, 0]),
        "y must be integer class labels 0..C-1 (>= 0); got [-1, 0]",
    ),
    (lambda: empirical_ntk(X22, [0, 1], n_classes=0), "n_classes must be >= 1; got 0"),
    (
        lambda: empirical_ntk(X22, [0, 2], n_classes=2),
        "n_classes must exceed the largest label (2); got 2",
    ),
    (lambda: empirical_ntk(X22, [0, 1], hidden=0), "hidden must be >= 1; got 0"),
    (lambda: empirical_ntk(X22, [0, 1], depth=0), "depth must be >= 1; got 0"),
    (lambda: empirical_ntk(X22, [0, 1], sigma_w=0), "sigma_w must be > 0; got 0"),
    (lambda: empirical_ntk(X22, [0, 1], sigma_b=-1), "sigma_b must be >= 0; got -1"),
    (lambda: empirical_ntk(X22, [0, 1], projection=0), "projection must be >= 1; got 0"),
    (
        lambda: ntk_complexity(np.zeros((2, 2, 1)), [0, 1]),
        "X must be a 2-D array (n_samples, n_features); got 'shape (2, 2, 1)'",
    ),
    (
        lambda: ntk_complexity(X22, [0, 1, 1]),
        "y must have one label per row of X (2); got 'length 3'",
    ),
    (
        lambda: ntk_complexity(X22, [0, 1], kernel="x"),
        'kernel must be "empirical" or "analytic"; got \'x\'',
    ),
    (lambda: ntk_complexity(X22, [0, 1], hidden=0), "hidden must be >= 1; got 0"),
    (lambda: ntk_complexity(X22, [0, 1], depth=0), "depth must be >= 1; got 0"),
    (lambda: ntk_complexity(X22, [0, 1], sigma_w=0), "sigma_w must be > 0; got 0"),
    (lambda: ntk_complexity(X22, [0, 1], sigma_b=-1), "sigma_b must be >= 0; got -1"),
    (lambda: ntk_complexity(X22, [0, 1], ridge=0), "ridge must be > 0; got 0"),
    (
        lambda: ntk_complexity(X22, [0, 1], projection="x"),
        "projection must be None, \"auto\" or a positive int; got 'x'",
    ),
    (lambda: ntk_complexity(X22, [0, 1], projection=0), "projection must be >= 1; got 0"),
    (lambda: ntk_complexity(X22, [0, 1], n_seeds=0), "n_seeds must be >= 1; got 0"),
    (
        lambda: ntk_complexity(X22, [0, 1], projection="auto", n_seeds=-1),
        "n_seeds must be >= 1; got -1",
    ),
    (
        lambda: ntk_complexity(X22, [0, 1], kernel="analytic", projection=None, n_seeds=0.5),
        "n_seeds must be an integer; got 0.5",
    ),
    (
        lambda: kernel_ridge_terms(np.zeros((2, 3)), [1.0, 1.0]),
        "kernel must be a non-empty square matrix; got 'shape (2, 3)'",
    ),
    (
        lambda: kernel_ridge_terms(np.zeros(2), [1.0, 1.0]),
        "kernel must be a non-empty square matrix; got 'shape (2,)'",
    ),
    (
        lambda: kernel_ridge_terms(np.zeros((0, 0)), []),
        "kernel must be a non-empty square matrix; got 'shape (0, 0)'",
    ),
    (
        lambda: kernel_ridge_terms("x", [1.0]),
        "kernel must be a number or an array of numbers; got 'x'",
    ),
    (
        lambda: kernel_ridge_terms(np.eye(2), [1.0, np.inf]),
        "residual must be finite (no NaN or inf); got [1.0, inf]",
    ),
    (
        lambda: kernel_ridge_terms(np.eye(2), [1.0, 1.0, 1.0]),
        "residual must have shape (2,); got 'shape (3,)'",
    ),
    (lambda: kernel_ridge_terms(np.eye(2), [1.0, 1.0], ridge=0), "ridge must be > 0; got 0"),
]

T34 = np.zeros((3, 4))
VALUE: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: value_sources(3, REF),
        "sources must be a mapping of source name to Dataset; got 'int'",
    ),
    (
        lambda: value_sources("ab", REF),
        "sources must be a mapping of source name to Dataset; got 'str'",
    ),
    (
        lambda: value_sources([("a", 1), ["b", 2]], REF),
        "sources must be a mapping or a sequence of (name, Dataset) pairs; "
        "got [('a', 1), ['b', 2]]",
    ),
    (
        lambda: value_sources([("a", 1, 2), ("b", 2, 3)], REF),
        "sources must be a mapping or a sequence of (name, Dataset) pairs; "
        "got [('a', 1, 2), ('b', 2, 3)]",
    ),
    (
        lambda: value_sources({"a": _ds(3)}, REF),
        "sources must contain at least two sources to compare; got 1",
    ),
    (lambda: value_sources([], REF), "sources must contain at least two sources to compare; got 0"),
    (
        lambda: value_sources({"": _ds(3), "b": _ds(3)}, REF),
        "sources must have non-empty string names; got ''",
    ),
    (
        lambda: value_sources([(1, _ds(3)), ("b", _ds(3))], REF),
        "sources must have non-empty string names; got 1",
    ),
    (
        lambda: value_sources([("a", _ds(3)), ("a", _ds(3))], REF),
        "sources must have unique names; got \"'a' appears twice\"",
    ),
    (
        lambda: value_sources({"a": 3, "b": _ds(3)}, REF),
        "sources['a'] must be a synthmix.data.Dataset; got 'int'",
    ),
    (
        lambda: value_sources({"a": _ds(3), "b": EMPTY}, REF),
        "sources['b'] must contain at least one sample; got 'empty'",
    ),
    (lambda: value_sources(TWO, None), "reference must be a synthmix.data.Dataset; got 'NoneType'"),
    (lambda: value_sources(TWO, _ds(1)), "reference must contain at least two samples; got 1"),
    (
        lambda: value_sources(TWO, ONE_CLASS),
        "reference must contain at least two classes; got [0]",
    ),
    (
        lambda: value_sources({"a": _ds(3), "b": _ds(3, d=3)}, REF),
        "sources['b'] must have the reference's 2 features; got '3 features'",
    ),
    (
        lambda: value_sources({"a": _ds(3), "b": _ds(2, y=["a", "b"])}, REF),
        "sources['b'] must have labels of the reference's kind; got dtype('<U1')",
    ),
    # numeric sources with a string reference, and strings on both sides, are accepted
    (
        lambda: value_sources(TWO, STR_REF, method="x"),
        f"method must be one of {METHOD_LIST}; got 'x'",
    ),
    (
        lambda: value_sources({"a": _ds(2, y=["a", "b"]), "b": _ds(3)}, STR_REF, method="y"),
        f"method must be one of {METHOD_LIST}; got 'y'",
    ),
    (
        lambda: value_sources(TWO, REF, ntk="x"),
        'ntk must be "analytic" or "empirical"; got \'x\'',
    ),
    (lambda: value_sources(TWO, REF, delta=0), "delta must lie in (0, 1); got 0"),
    (lambda: value_sources(TWO, REF, delta=1.0), "delta must lie in (0, 1); got 1.0"),
    (lambda: value_sources(TWO, REF, n_seeds=0), "n_seeds must be >= 1; got 0"),
    (
        lambda: combine_terms(T34, "x"),
        "weights must be one of ('bound', 'davinz', 'equal', 'calibrated') or 4 numbers; got 'x'",
    ),
    (
        lambda: combine_terms(T34, [1, 1, 1]),
        "weights must be 4 finite non-negative numbers; got [1, 1, 1]",
    ),
    (
        lambda: combine_terms(T34, [1, 1, 1, np.nan]),
        "weights must be 4 finite non-negative numbers; got [1, 1, 1, nan]",
    ),
    (
        lambda: combine_terms(T34, [1, 1, 1, -1]),
        "weights must be 4 finite non-negative numbers; got [1, 1, 1, -1]",
    ),
    (
        lambda: fit_weights([], []),
        "terms must be a non-empty sequence matching truths; got (0, 0)",
    ),
    (
        lambda: fit_weights([T34], []),
        "terms must be a non-empty sequence matching truths; got (1, 0)",
    ),
    (
        lambda: fit_weights([np.zeros((3, 3))], [np.zeros(3)]),
        "terms must hold (K, 4) arrays with a (K,) truth each; got (3, 3)",
    ),
    (
        lambda: fit_weights([np.zeros(4)], [np.zeros(1)]),
        "terms must hold (K, 4) arrays with a (K,) truth each; got (4,)",
    ),
    (
        lambda: fit_weights([T34], [np.zeros(2)]),
        "terms must hold (K, 4) arrays with a (K,) truth each; got (3, 4)",
    ),
]

GROUND_TRUTH: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: training_accuracy(EMPTY, REF),
        "train must hold at least one sample (or pass fallback); got 0",
    ),
    (
        lambda: standalone_accuracy(None),
        "market must be a Market (see make_market); got 'NoneType'",
    ),
    (
        lambda: leave_one_out(REF),
        "market must be a Market (see make_market); got 'Dataset'",
    ),
    (
        lambda: standalone_accuracy(_market(), model="x"),
        "model must be one of ['logistic', 'mlp']; got 'x'",
    ),
    (
        lambda: leave_one_out(_market(), model=None),
        "model must be one of ['logistic', 'mlp']; got None",
    ),
    (lambda: standalone_accuracy(_market(), n_jobs="x"), "n_jobs must be an integer; got 'x'"),
    (
        lambda: standalone_accuracy(_market(), n_jobs=0),
        "n_jobs must be a positive integer or -1 (all cores); got 0",
    ),
    (
        lambda: leave_one_out(_market(), n_jobs=-3),
        "n_jobs must be a positive integer or -1 (all cores); got -3",
    ),
    (lambda: standalone_accuracy(_market(), seeds=0), "seeds must be >= 1; got 0"),
    (lambda: shapley_truth(_market(), max_players=0), "max_players must be >= 1; got 0"),
    (lambda: shapley_truth(_market(), max_players=11), "max_players must be <= 10; got 11"),
    (
        lambda: shapley_truth(_market(3), max_players=2),
        "market must have at most max_players = 2 contributors for exact Shapley ground truth "
        "(2^K trainings); use standalone_accuracy or leave_one_out; got '3 contributors'",
    ),
]

MARKETS: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: make_market("x"),
        "task must be one of ['mnist', 'fashion', 'digits', 'tweets', 'llm-tweets']; got 'x'",
    ),
    (
        lambda: make_market(None),
        "task must be one of ['mnist', 'fashion', 'digits', 'tweets', 'llm-tweets']; got None",
    ),
    (
        lambda: make_market("digits", specs="ab"),
        "specs must be a sequence of mappings with a 'kind' key; got 'ab'",
    ),
    (
        lambda: make_market("digits", specs={"kind": "real"}),
        "specs must be a sequence of mappings with a 'kind' key; got {'kind': 'real'}",
    ),
    (
        lambda: make_market("digits", specs=3),
        "specs must be a sequence of mappings with a 'kind' key; got 3",
    ),
    (
        lambda: make_market("digits", specs=[3]),
        "specs must hold mappings with a 'kind' key (item 0); got 3",
    ),
    (
        lambda: make_market("digits", specs=[{"kind": "real"}, {"size": 3}]),
        "specs must hold mappings with a 'kind' key (item 1); got {'size': 3}",
    ),
    (
        lambda: make_market("digits", specs=[{"kind": "x"}]),
        f"specs must name kinds from {KINDS} (item 0); got 'x'",
    ),
    (
        lambda: make_market("tweets", specs=[{"kind": "real"}, {"kind": "blur"}]),
        f"specs must name kinds from {KINDS.replace(chr(39) + 'blur' + chr(39) + ', ', '')} "
        "(item 1); got 'blur'",
    ),
    (
        lambda: make_market("digits", specs=[{"kind": "real", "rate": 1, "omega": 0}]),
        "specs must set only ['kind', 'size'] for kind 'real' (item 0); got ['omega', 'rate']",
    ),
    (
        lambda: make_market("digits", specs=[{"kind": "label_noise", "x": 1}]),
        "specs must set only ['kind', 'rate', 'size'] for kind 'label_noise' (item 0); got ['x']",
    ),
    (
        lambda: make_market("digits", specs=[{"kind": "real"}]),
        "specs must describe at least 2 contributors; got 1",
    ),
    (lambda: make_market("digits", specs=[]), "specs must describe at least 2 contributors; got 0"),
    (lambda: make_market("digits", n_contributors=1), "n_contributors must be >= 2; got 1"),
    (lambda: make_market("digits", features="x"), "features must be 'pca' or 'raw'; got 'x'"),
    (
        lambda: make_market("digits", kinds="real"),
        f"kinds must be a non-empty sequence of kinds from {KINDS}; got 'real'",
    ),
    (
        lambda: make_market("digits", kinds=[]),
        f"kinds must be a non-empty sequence of kinds from {KINDS}; got []",
    ),
    (
        lambda: make_market("digits", kinds=3),
        f"kinds must be a non-empty sequence of kinds from {KINDS}; got 3",
    ),
    (
        lambda: make_market("digits", kinds=["real", "x"]),
        f"kinds must hold kinds from {KINDS} for task 'digits'; got 'x'",
    ),
    (lambda: make_market("digits", n_tweets=99), "n_tweets must be >= 100; got 99"),
    (lambda: make_market("digits", n_tweets=38159), "n_tweets must be <= 38158; got 38159"),
    (lambda: make_market("digits", n_reference=9), "n_reference must be >= 10; got 9"),
    (lambda: make_market("digits", n_test=9), "n_test must be >= 10; got 9"),
    (
        lambda: make_market("digits", n_reference=1000, n_test=1000),
        "n_test must leave at least 100 real samples for the pool (n_reference + n_test <= "
        "1697 on task 'digits'); got 1000",
    ),
    (lambda: make_market("digits", n_components=0), "n_components must be >= 1; got 0"),
    (lambda: make_market("digits", n_components=65), "n_components must be <= 64; got 65"),
    (
        lambda: make_markets("x", 1),
        "task must be one of ['mnist', 'fashion', 'digits', 'tweets', 'llm-tweets']; got 'x'",
    ),
    (lambda: make_markets("digits", 0), "n_markets must be >= 1; got 0"),
    # contributor parameters, checked while the market is built
    (lambda: _digits({"kind": "real", "size": 0}), "size must be >= 1; got 0"),
    (
        lambda: _digits({"kind": "real", "size": 5000}),
        "size must be <= 1777 (the real pool) for kind 'real'; got 5000",
    ),
    (
        lambda: _digits({"kind": "noise", "size": 1778}),
        "size must be <= 1777 (the real pool) for kind 'noise'; got 1778",
    ),
    (lambda: _digits({"kind": "mixed", "omega": 2}), "omega must lie in [0, 1]; got 2"),
    (lambda: _digits({"kind": "mixed", "omega": -0.5}), "omega must lie in [0, 1]; got -0.5"),
    (
        lambda: _digits({"kind": "mixed", "omega": float("nan")}),
        "omega must lie in [0, 1]; got nan",
    ),
    (lambda: _digits({"kind": "mixed", "omega": "x"}), "omega must be a number; got 'x'"),
    (lambda: _digits({"kind": "mixed", "omega": True}), "omega must be a number; got True"),
    (
        lambda: _digits({"kind": "truncated", "zipf_exponent": 11}),
        "zipf_exponent must lie in [0, 10]; got 11",
    ),
    (
        lambda: _digits({"kind": "truncated", "zipf_exponent": 1.0, "top_p": 2}),
        "top_p must lie in [0, 1]; got 2",
    ),
    (
        lambda: _digits({"kind": "temperature", "zipf_exponent": 1.0, "temperature": 0}),
        "temperature must lie in (0, 100]; got 0",
    ),
    (
        lambda: _digits({"kind": "temperature", "temperature": 101}),
        "temperature must lie in (0, 100]; got 101",
    ),
    (
        lambda: _digits({"kind": "synthetic", "n_fit_per_class": 1}),
        "n_fit_per_class must be >= 2; got 1",
    ),
    (
        lambda: _digits({"kind": "synthetic", "cov_scale": 0}),
        "cov_scale must lie in (0, 100]; got 0",
    ),
    (
        lambda: _digits({"kind": "synthetic", "mean_shift": -1}),
        "mean_shift must lie in [0, 10]; got -1",
    ),
    (lambda: _digits({"kind": "label_noise", "rate": 2}), "rate must lie in [0, 1]; got 2"),
    (
        lambda: _digits({"kind": "noise", "noise_sigma": 11}),
        "noise_sigma must lie in [0, 10]; got 11",
    ),
    (lambda: _digits({"kind": "blur", "blur_sigma": 11}), "blur_sigma must lie in [0, 10]; got 11"),
    (lambda: _digits({"kind": "duplicates", "n_unique": 0}), "n_unique must be >= 1; got 0"),
    # synthetic and duplicated contributors may be larger than the real pool
    (
        lambda: _digits({"kind": "duplicates", "size": 1778, "n_unique": 0}),
        "n_unique must be >= 1; got 0",
    ),
    (
        lambda: _digits({"kind": "mixed", "size": 5000, "omega": 2}),
        "omega must lie in [0, 1]; got 2",
    ),
    # the closed ends of [lo, hi] are accepted
    (
        lambda: _digits({"kind": "mixed", "omega": 0, "n_fit_per_class": 1}),
        "n_fit_per_class must be >= 2; got 1",
    ),
    (
        lambda: _digits({"kind": "truncated", "zipf_exponent": 10, "top_p": 1.5}),
        "top_p must lie in [0, 1]; got 1.5",
    ),
    (
        lambda: _digits({"kind": "duplicates", "size": 5, "n_unique": 6}),
        "n_unique must be <= 5; got 6",
    ),
]

OOB: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: value_sources(TWO, REF, method="data_oob", n_estimators=5),
        "n_estimators must be >= 10; got 5",
    ),
    (
        lambda: value_sources(TWO, REF, method="data_oob", n_estimators=12.5),
        "n_estimators must be an integer; got 12.5",
    ),
    (lambda: data_oob_values(TWO, n_estimators=True), "n_estimators must be an integer; got True"),
    (lambda: data_oob_values(3), "sources must be a sequence or mapping of Datasets; got 'int'"),
    (lambda: data_oob_values([]), "sources must contain at least one Dataset; got []"),
    (lambda: data_oob_values([_ds(3), 3]), "sources[1] must be a synthmix.data.Dataset; got 'int'"),
    (
        lambda: data_oob_values({"a": _ds(3), "b": EMPTY}),
        "sources['b'] must contain at least one sample; got 'empty'",
    ),
    (
        lambda: data_oob_values([_ds(3), _ds(3, d=3)]),
        "sources[1] must have the first source's 2 features; got '3 features'",
    ),
]

CASES: list[tuple[Callable[[], Any], str]] = [
    *ATTRIBUTION,
    *OOB,
    *METRICS,
    *SHAPLEY,
    *MMD,
    *NTK,
    *VALUE,
    *GROUND_TRUTH,
    *MARKETS,
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_message_names_parameter_rule_and_value(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value) == message


def test_a_zero_kernel_without_ridge_is_refused() -> None:
    with pytest.raises(SynthmixError) as info:
        kernel_ridge_terms(np.zeros((2, 2)), [1.0, 1.0])
    assert not isinstance(info.value, ValidationError)
    assert str(info.value) == "the NTK is identically zero (tr Θ0 = 0): give a ridge explicitly"


def test_zero_sigma_b_is_accepted() -> None:
    # sigma_b may be 0 (only sigma_w must be > 0): the docstring's NNGP value
    assert float(analytic_nngp(np.ones((1, 2)), depth=1, sigma_w=1.0, sigma_b=0.0)[0, 0]) == 0.5


def test_a_weight_vector_of_the_wrong_length_is_refused_by_value_sources() -> None:
    sources = {"a": _ds(4), "b": _ds(4)}
    with pytest.raises(ValidationError) as info:
        value_sources(sources, REF, method="mixture", weights=[1.0, 1.0, 1.0], n_seeds=1)
    assert str(info.value) == "weights must be 4 finite non-negative numbers; got [1.0, 1.0, 1.0]"


def test_the_empirical_kernel_is_recorded_by_value_sources() -> None:
    g = np.random.default_rng(0)
    sources = {n: Dataset(g.normal(size=(4, 2)), np.arange(4) % 2) for n in ("a", "b")}
    reference = Dataset(g.normal(size=(4, 2)), np.arange(4) % 2)
    res = value_sources(sources, reference, method="mixture", ntk="empirical", n_seeds=1, hidden=4)
    assert res.details["ntk"] == "empirical"


def test_a_one_class_training_set_predicts_that_class() -> None:
    train = Dataset(np.zeros((5, 2)), np.full(5, 1))
    test = Dataset(np.zeros((4, 2)), np.array([1, 1, 1, 0]))
    assert training_accuracy(train, test) == 0.75
