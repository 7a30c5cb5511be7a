"""LAVA: sources valued by their class-wise optimal-transport distance to the reference.

LAVA (Just et al., *LAVA: Data Valuation without Pre-Specified Learning Algorithms*, ICLR 2023)
measures a training set by its OTDD-style distance to a validation set: exact optimal transport
between the two empirical laws of (features, label) under the ground cost

    d((x, y), (x', y')) = ‖x − x'‖² + λ · W(y, y'),

with ``W(y, y')`` the squared 2-Wasserstein distance between the features of class ``y`` in the
source and those of class ``y'`` in the reference. The label cost compares classes through
their features, never through their names, so every pair of classes that occurs has a finite
cost (a class present on one side only included). Here a whole source is one training set: its
value is ``−OT(source, reference)`` (docs/math/valuation.md), so higher = more valuable.

Features are standardised with the reference's per-feature mean and standard deviation; a side
with more than ``max_points`` rows is subsampled (uniformly, without replacement) to
``max_points`` rows, so the cost matrices hold at most ``max_points²`` entries (32 MB at the
default 2,000). The optimal-transport problems are solved exactly by POT's network simplex
(``ot.emd2``; the ``baselines`` extra).

The per-point *calibrated gradient* of LAVA (the derivative of the distance with respect to a
point's mass, minus the mean over the other points) comes for free from the dual potentials of
the same problem: :func:`lava_distance` returns it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix._random import RngLike, child_sequence, seed_sequence
from synthmix._types import FloatArray, IndexArray
from synthmix._validation import check_int, fail
from synthmix.data import Dataset
from synthmix.data.dataset import check_dataset
from synthmix.exceptions import ConvergenceError
from synthmix.valuation.ntk import OptionalDependencyError

__all__ = [
    "DEFAULT_MAX_POINTS",
    "LavaDistance",
    "lava_distance",
    "lava_values",
    "lava_values_resampled",
]

#: Rows kept per side (source or reference) before the transport problems are built.
DEFAULT_MAX_POINTS = 2000
#: Network-simplex iteration cap; far above what 2,000 × 2,000 problems need (~10⁶).
_MAX_ITER = 100_000_000


@dataclass(frozen=True)
class LavaDistance:
    """The class-wise optimal-transport distance of one source to the reference.

    Attributes
    ----------
    distance : float
        ``OT(source, reference)`` under ``‖x − x'‖² + λ W(y, y')`` (≥ 0; 0 for a copy of the
        reference).
    rows : ndarray of intp, shape (n_used,)
        The source rows used (all of them, in order, unless the source has more than
        ``max_points`` rows).
    calibrated_gradient : ndarray, shape (n_used,)
        LAVA's calibrated gradient of each used row: ``f_i − Σ_{j≠i} f_j / (n_used − 1)`` with
        ``f`` the source-side dual potential of the problem. Higher = moving mass onto that
        point raises the distance more (a more harmful point); zeros when ``n_used == 1``.
    source_classes : ndarray, shape (C_s,)
        The labels present among the used source rows.
    reference_classes : ndarray, shape (C_r,)
        The labels present among the used reference rows.
    label_cost : ndarray, shape (C_s, C_r)
        ``W(y, y')`` between each source class and each reference class (before ``λ``).
    """

    distance: float
    rows: IndexArray
    calibrated_gradient: FloatArray
    source_classes: NDArray[Any]
    reference_classes: NDArray[Any]
    label_cost: FloatArray


@dataclass(frozen=True)
class _Side:
    """Standardised, subsampled rows of one side, with their label indices."""

    X: FloatArray
    rows: IndexArray
    classes: NDArray[Any]
    label: NDArray[np.intp]


def _ot() -> Any:
    try:
        import ot
    except ImportError as exc:
        raise OptionalDependencyError(
            "the lava baseline needs 'pot' (import name ot), which is not installed: "
            "pip install 'synthmix[baselines]'"
        ) from exc
    return ot


def _check_options(label_weight: Any, max_points: Any) -> tuple[float, int]:
    if isinstance(label_weight, bool) or not isinstance(
        label_weight, int | float | np.integer | np.floating
    ):
        raise fail("label_weight", "be a number >= 0", label_weight)
    weight = float(label_weight)
    if not math.isfinite(weight) or weight < 0:
        raise fail("label_weight", "be >= 0 and finite", label_weight)
    return weight, check_int(max_points, "max_points", minimum=2)


def _side(
    ds: Dataset, mean: FloatArray, scale: FloatArray, max_points: int, seq: np.random.SeedSequence
) -> _Side:
    """Rows of ``ds`` (a uniform subsample of ``max_points`` when larger), standardised."""
    if ds.n > max_points:
        rows = np.sort(np.random.default_rng(seq).choice(ds.n, size=max_points, replace=False))
    else:
        rows = np.arange(ds.n)
    classes, label = np.unique(ds.y[rows], return_inverse=True)
    X = (ds.X[rows] - mean) / scale
    return _Side(X, rows.astype(np.intp), classes, label.astype(np.intp).reshape(-1))


def _emd(
    ot: Any, M: FloatArray, *, plan: bool = False
) -> tuple[float, FloatArray, FloatArray, FloatArray | None]:
    """Exact OT cost between uniform weights under ``M``, the row- and column-side dual
    potentials and (``plan=True``) the optimal plan."""
    n, m = M.shape
    cost, log = ot.emd2(
        np.full(n, 1.0 / n),
        np.full(m, 1.0 / m),
        M,
        numItermax=_MAX_ITER,
        log=True,
        return_matrix=plan,
    )
    if int(log["result_code"]) != 1:
        raise ConvergenceError(
            f"lava: the network simplex stopped on a {n} x {m} transport problem "
            f"({log['warning']}); lower max_points"
        )
    return (
        max(float(cost), 0.0),
        np.asarray(log["u"], dtype=np.float64),
        np.asarray(log["v"], dtype=np.float64),
        np.asarray(log["G"], dtype=np.float64) if plan else None,
    )


def _sqdist(ot: Any, A: FloatArray, B: FloatArray) -> FloatArray:
    # scipy's cdist works on differences, so identical rows are exactly 0 apart
    return np.asarray(ot.dist(A, B, metric="sqeuclidean", backend="scipy"), dtype=np.float64)


@dataclass(frozen=True)
class _Response:
    """What the first-order change of a distance under new reference weights needs."""

    v: FloatArray  # reference-side potential of the final problem, shape (m,)
    label_v: dict[tuple[int, int], FloatArray]  # column potential of each W(a, b) problem
    mass: FloatArray  # plan mass moved from source class a to reference class b, (C_s, C_r)
    label_weight: float


def _distance(
    ot: Any, src: _Side, ref: _Side, label_weight: float, *, response: bool = False
) -> tuple[LavaDistance, _Response | None]:
    """The distance and, with ``response=True``, its first-order response to the reference's
    weights."""
    M = _sqdist(ot, src.X, ref.X)
    W = np.zeros((src.classes.shape[0], ref.classes.shape[0]))
    label_v: dict[tuple[int, int], FloatArray] = {}
    for a in range(W.shape[0]):
        in_a = src.label == a
        for b in range(W.shape[1]):
            in_b = ref.label == b
            W[a, b], _, label_v[a, b], _ = _emd(ot, M[np.ix_(in_a, in_b)])
    cost, u, v, G = _emd(ot, M + label_weight * W[np.ix_(src.label, ref.label)], plan=response)
    n = u.shape[0]
    grad = n / (n - 1) * (u - u.mean()) if n > 1 else np.zeros(1)
    dist = LavaDistance(cost, src.rows, grad, src.classes, ref.classes, W)
    if G is None:
        return dist, None
    src_onehot = np.eye(W.shape[0])[src.label]  # (n, C_s)
    ref_onehot = np.eye(W.shape[1])[ref.label]  # (m, C_r)
    return dist, _Response(v, label_v, src_onehot.T @ G @ ref_onehot, label_weight)


def _resampled_change(resp: _Response, ref: _Side, weights: FloatArray) -> FloatArray:
    """First-order change of the distance when the used reference rows get ``weights``
    (``(B, m)``, rows summing to 1) instead of ``1/m`` each: ``(b' − b)ᵀ g`` plus, through the
    label costs, ``λ Σ_ab P_ab (w'_b − w_b)ᵀ g_ab`` with ``w_b`` the weights within reference
    class ``b`` and ``g_ab`` the potential of the class-pair problem (envelope theorem)."""
    m = weights.shape[1]
    change = (weights - 1.0 / m) @ resp.v
    for b in range(resp.mass.shape[1]):
        in_b = ref.label == b
        within = weights[:, in_b]
        total = within.sum(axis=1, keepdims=True)
        n_b = int(in_b.sum())
        # a resample without class b keeps its uniform weights (no change)
        shift = np.where(total > 0, within / np.where(total > 0, total, 1.0), 1.0 / n_b)
        shift = shift - 1.0 / n_b
        for a in range(resp.mass.shape[0]):
            if resp.mass[a, b] > 0:
                change += resp.label_weight * resp.mass[a, b] * (shift @ resp.label_v[a, b])
    return np.asarray(change, dtype=np.float64)


def _prepare(
    reference: Any, label_weight: Any, max_points: Any, rng: RngLike
) -> tuple[Any, float, int, FloatArray, FloatArray, _Side, np.random.SeedSequence]:
    ot = _ot()
    weight, cap = _check_options(label_weight, max_points)
    ref = check_dataset(reference, "reference")
    if ref.n < 2:
        raise fail("reference", "contain at least two samples", ref.n)
    root = seed_sequence(rng)
    ref_seq, src_seq = child_sequence(root, 0), child_sequence(root, 1)
    mean = ref.X.mean(axis=0)
    sd = ref.X.std(axis=0)
    scale = np.where(sd > 0, sd, 1.0)
    return ot, weight, cap, mean, scale, _side(ref, mean, scale, cap, ref_seq), src_seq


def lava_distance(
    source: Dataset,
    reference: Dataset,
    *,
    label_weight: float = 1.0,
    max_points: int = DEFAULT_MAX_POINTS,
    rng: RngLike = 0,
) -> LavaDistance:
    """LAVA's class-wise OT distance of one source to the reference, with per-point gradients.

    Parameters
    ----------
    source : Dataset
        Shape (n, d); any labels (compared with the reference's through their features).
    reference : Dataset
        Shape (m, d), ``m >= 2``; its per-feature mean and standard deviation standardise both
        sides (a constant feature is only centred).
    label_weight : float, default 1.0
        ``λ ≥ 0``: weight of the label cost ``W(y, y')``; 0 gives plain feature OT.
    max_points : int, default 2000
        At most this many rows per side (``>= 2``); a larger side is subsampled uniformly
        without replacement, so memory stays ``O(max_points²)``.
    rng : seed
        Child 0 subsamples the reference, child 1 the source (the same child for every
        source: :func:`lava_values` gives this source the same distance).

    Returns
    -------
    LavaDistance

    Raises
    ------
    ValidationError
        ``label_weight`` negative or not finite, ``max_points < 2``, an empty source, a
        reference with fewer than two samples, a feature dimension that differs.
    OptionalDependencyError
        ``pot`` (the ``baselines`` extra) is not installed.
    """
    ot, weight, cap, mean, scale, ref, src_seq = _prepare(reference, label_weight, max_points, rng)
    src = check_dataset(source, "source", d=reference.d)
    return _distance(ot, _side(src, mean, scale, cap, src_seq), ref, weight)[0]


def lava_values(
    sources: Mapping[str, Dataset] | Sequence[Dataset],
    reference: Dataset,
    *,
    label_weight: float = 1.0,
    max_points: int = DEFAULT_MAX_POINTS,
    rng: RngLike = 0,
) -> FloatArray:
    """LAVA value of each source: minus its class-wise OT distance to the reference.

        Parameters
        ----------
        sources : mapping of str to Dataset, or sequence of Dataset
            ``K ≥ 1`` sources, each of shape (n_k, d) with the reference's ``d``.
        reference : Dataset
            Shape (m, d), ``m >= 2``: a sample of the test distribution.
        label_weight : float, default 1.0
            ``λ ≥ 0`` of the ground cost ``‖x − x'‖² + λ W(y, y')``.
        max_points : int, default 2000
            Row cap per side (``>= 2``), as in :func:`lava_distance`.
        rng : seed
            As in :func:`lava_distance`. Every source is subsampled by a fresh generator from the
            same seed, so a source's value does not depend on its position or on the other
            sources.

        Returns
        -------
        ndarray, shape (K,)
            ``−OT(source_k, reference)`` in the order of ``sources`` (≤ 0; higher = closer to the
            reference).

        Raises
        ------
        ValidationError
            As :func:`lava_distance`, or no sources.
        OptionalDependencyError
            ``pot`` (the ``baselines`` extra) is not installed.

        Examples
        --------
        >>> import numpy as np
        >>> from synthmix.data import Dataset
    from synthmix.data.dataset import check_dataset
        >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> ref = Dataset(X, [0, 0, 1, 1])
        >>> vals = lava_values([ref, Dataset(X, [1, 0, 1, 0])], ref)
        >>> float(vals[0]), bool(vals[1] < 0)
        (0.0, True)
    """
    return _lava(sources, reference, None, label_weight, max_points, rng)[0]


def lava_values_resampled(
    sources: Mapping[str, Dataset] | Sequence[Dataset],
    reference: Dataset,
    counts: FloatArray,
    *,
    label_weight: float = 1.0,
    max_points: int = DEFAULT_MAX_POINTS,
    rng: RngLike = 0,
) -> tuple[FloatArray, FloatArray]:
    """LAVA values, and their first-order values on reference resamples.

    The transport cost is linear in the reference's weights up to first order: for weights
    ``b'`` instead of the uniform ``b``, ``OT(b') ≈ OT(b) + (b' − b)ᵀ g`` with ``g`` the
    reference-side dual potential of the solved problem (the envelope theorem; the right-hand
    side is also a lower bound, as ``(f, g)`` stays dual-feasible). Resample ``b`` re-weights the
    used reference rows by ``counts[b]`` (normalised to sum to 1). The label costs ``W(y, y')``
    respond to first order too: ``λ Σ_ab P_ab ΔW_ab`` with ``P_ab`` the mass the optimal plan
    moves from source class ``a`` to reference class ``b`` and ``ΔW_ab`` the change of the
    class-pair problem from its own potential. No transport problem is solved again.

    Parameters
    ----------
    sources, reference, label_weight, max_points, rng
        As in :func:`lava_values`.
    counts : ndarray, shape (B, m)
        Multiplicity of each reference row in each resample
        (:func:`synthmix.valuation.uncertainty.resample_counts`).

    Returns
    -------
    values : ndarray, shape (K,)
        Equal to :func:`lava_values`.
    resampled : ndarray, shape (B, K)
        ``−max(OT + (b' − b)ᵀ g, 0)`` for each resample.
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] != reference.n:
        raise fail("counts", f"have shape (B, {reference.n})", c.shape)
    values, boot = _lava(sources, reference, c, label_weight, max_points, rng)
    assert boot is not None
    return values, boot


def _lava(
    sources: Mapping[str, Dataset] | Sequence[Dataset],
    reference: Dataset,
    counts: FloatArray | None,
    label_weight: float,
    max_points: int,
    rng: RngLike,
) -> tuple[FloatArray, FloatArray | None]:
    items = list(sources.values()) if isinstance(sources, Mapping) else list(sources)
    if isinstance(sources, str | bytes) or not items:
        raise fail("sources", "contain at least one Dataset", sources)
    ot, weight, cap, mean, scale, ref, src_seq = _prepare(reference, label_weight, max_points, rng)
    checked = [check_dataset(ds, f"sources[{k}]", d=reference.d) for k, ds in enumerate(items)]
    out = np.empty(len(checked))
    boot = None
    if counts is not None:
        used = counts[:, ref.rows]
        mass = used.sum(axis=1, keepdims=True)
        uniform = 1.0 / ref.rows.shape[0]
        # a resample that misses every used row (possible only when the reference was
        # subsampled) keeps the uniform weights
        weights = np.where(mass > 0, used / np.where(mass > 0, mass, 1.0), uniform)
        boot = np.empty((counts.shape[0], len(checked)))
    for k, ds in enumerate(checked):
        side = _side(ds, mean, scale, cap, src_seq)
        dist, resp = _distance(ot, side, ref, weight, response=boot is not None)
        out[k] = 0.0 - dist.distance
        if boot is not None and resp is not None:
            change = _resampled_change(resp, ref, weights)
            boot[:, k] = 0.0 - np.maximum(dist.distance + change, 0.0)
    return out, boot
