"""Multi-kernel maximum mean discrepancy (docs/math/valuation.md, term T2).

The kernel is a weighted sum of Gaussian kernels

.. math::

    k(x, y) = \\sum_u w_u \\exp(-\\lVert x - y \\rVert^2 / \\sigma_u^2),
    \\qquad \\sigma_u^2 = \\gamma\\, 2^u,\\ u \\in \\{-2, \\dots, 2\\},

with :math:`\\gamma` the median pairwise squared distance of the pooled sample (the median
heuristic) and equal weights :math:`w_u = 1/5` unless the caller supplies bandwidths and/or
weights. Because the kernel is linear in the weights, so is MMD²: the combined estimate is
``weights @ mmd2_per_kernel``. ``bandwidths`` always means the squared scales :math:`\\sigma_u^2`.

Three estimators of MMD² (Gretton et al., JMLR 2012):

``"unbiased"``
    The U-statistic (their Eq. 3), computed in blocks of ``block_size`` rows so that memory is
    O(block_size²) whatever n and m; time O((n + m)² d) plus one exponential per kernel and
    pair. Its standard error is the first-order (Hoeffding) estimate
    ``sqrt(4 var(a)/n + 4 var(b)/m)``, where ``a_i`` and ``b_j`` are the empirical witness
    function at each point. Under P = Q the statistic is degenerate and the first-order term
    vanishes; the reported error is then of the right order, O(1/n), but not calibrated.
``"linear"``
    The linear-time statistic (their Lemma 14): the mean of ``h`` over ``P = floor(min(n, m)/2)``
    disjoint pairs of points drawn (after a seeded shuffle) from each sample; time and memory
    O(P d). Unequal sizes: the extra points of the larger sample are not used. Its standard
    error, ``std(h)/sqrt(P)``, is exact up to estimating the variance.
``"random_features"``
    Random Fourier features (Rahimi & Recht 2007): ``n_features`` frequencies per kernel drawn
    by ``rng``, each giving a cosine and a sine feature, so that ``z(x)·z(y)`` is an unbiased
    estimate of ``k(x, y)``. The U-statistic is evaluated in feature space, hence the estimate
    is unbiased for MMD² for every ``n_features`` and its spread over ``rng`` shrinks like
    ``1/sqrt(n_features)``; time O((n + m) d D) per kernel, memory O(block_size D). The standard
    error is the first-order one above, conditional on the drawn frequencies.

The median heuristic uses a seeded subsample of at most ``max_median_points`` (default 1000)
pooled points, i.e. about 5·10⁵ distances, so it costs O(1) in the sample sizes; its randomness
comes from ``rng``. Zero distances (duplicated points) are ignored when they are the majority;
if every distance is zero γ = 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import cho_factor, cho_solve

from synthmix._random import RngLike, seed_sequence
from synthmix._types import FloatArray
from synthmix._validation import as_float_array, check_int, check_nonnegative, fail

__all__ = [
    "ESTIMATORS",
    "MMDResult",
    "default_bandwidths",
    "median_heuristic",
    "mmd",
    "mmd_resampled",
    "mmd_to_reference",
    "power_weights",
]

ESTIMATORS = ("unbiased", "linear", "random_features")
_DEFAULT_EXPONENTS = (-2, -1, 0, 1, 2)
_MAX_POWER_KERNELS = 12  # power_weights enumerates the 2^U supports of the weight vector


@dataclass(frozen=True)
class MMDResult:
    """An MMD² estimate between two samples (see :func:`mmd`).

    Attributes
    ----------
    mmd2 : float
        The estimate of MMD² for the combined kernel, ``weights @ mmd2_per_kernel``. The
        unbiased, linear and random-feature estimates can be negative when the distributions
        are close.
    mmd : float
        ``sqrt(max(mmd2, 0))``: the value reported as the discrepancy term T2.
    stderr : float
        Standard error of ``mmd2`` (see the module notes for each estimator; NaN for the
        linear estimator with a single pair).
    mmd2_per_kernel : ndarray, shape (U,)
        The estimate for each Gaussian kernel on its own.
    stderr_per_kernel : ndarray, shape (U,)
        The standard error of each entry of ``mmd2_per_kernel``.
    bandwidths : ndarray, shape (U,)
        Squared scales ``σ_u²`` of the kernels ``exp(-‖x - y‖² / σ_u²)``.
    weights : ndarray, shape (U,)
        Kernel weights ``w_u``.
    gamma : float
        The median heuristic γ behind the bandwidths; NaN when the bandwidths were supplied.
    estimator : str
        ``"unbiased"``, ``"linear"`` or ``"random_features"``.
    n_x, n_y : int
        Sizes of the two samples.
    n_features : int
        Random frequencies per kernel (``"random_features"`` only; 0 otherwise).
    seed : object
        Entropy of the seed sequence behind ``rng`` (to reproduce the estimate).
    """

    mmd2: float
    mmd: float
    stderr: float
    mmd2_per_kernel: FloatArray
    stderr_per_kernel: FloatArray
    bandwidths: FloatArray
    weights: FloatArray
    gamma: float
    estimator: str
    n_x: int
    n_y: int
    n_features: int
    seed: Any = None


# --------------------------------------------------------------------------------------------
# validation


def _check_sample(value: ArrayLike, name: str) -> FloatArray:
    arr = as_float_array(value, name)
    if arr.ndim != 2:
        raise fail(name, "be a 2-D array of shape (n_samples, n_features)", f"{arr.ndim}-D input")
    if arr.shape[0] < 2:
        raise fail(name, "have at least 2 rows (samples)", f"{arr.shape[0]} rows")
    if arr.shape[1] < 1:
        raise fail(name, "have at least 1 column (feature)", "0 columns")
    return arr


def _check_same_dim(arr: FloatArray, name: str, d: int, other: str) -> None:
    if arr.shape[1] != d:
        raise fail(
            name,
            f"have as many columns (features) as {other} ({d})",
            f"{arr.shape[1]} columns",
        )


def _check_estimator(estimator: Any) -> str:
    if not isinstance(estimator, str) or estimator not in ESTIMATORS:
        raise fail("estimator", f"be one of {', '.join(map(repr, ESTIMATORS))}", estimator)
    return estimator


def _check_kernels(
    bandwidths: ArrayLike | None, weights: ArrayLike | None
) -> tuple[FloatArray | None, FloatArray | None]:
    bw = None
    if bandwidths is not None:
        bw = np.atleast_1d(as_float_array(bandwidths, "bandwidths"))
        if bw.ndim != 1 or bw.size == 0:
            raise fail("bandwidths", "be a non-empty 1-D sequence of squared scales", bandwidths)
        if np.any(bw <= 0):
            raise fail("bandwidths", "be > 0", bandwidths)
    w = None
    if weights is not None:
        w = np.atleast_1d(check_nonnegative(weights, "weights"))
        size = len(_DEFAULT_EXPONENTS) if bw is None else bw.size
        if w.ndim != 1 or w.size != size:
            raise fail("weights", f"have one entry per kernel ({size})", weights)
        if not np.any(w > 0):
            raise fail("weights", "have a positive entry", weights)
    return bw, w


# --------------------------------------------------------------------------------------------
# bandwidths


def _pooled_subsample(
    samples: Sequence[FloatArray], max_points: int, rng: np.random.Generator
) -> FloatArray:
    """At most ``max_points`` rows drawn without replacement from the stacked samples,
    without stacking them."""
    sizes = np.array([s.shape[0] for s in samples])
    total = int(sizes.sum())
    if total <= max_points:
        return np.vstack(samples)
    idx = np.sort(rng.choice(total, size=max_points, replace=False))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    which = np.searchsorted(starts, idx, side="right") - 1
    return np.vstack(
        [samples[k][idx[which == k] - starts[k]] for k in range(len(samples)) if np.any(which == k)]
    )


def _median_sq_distance(points: FloatArray) -> float:
    z = points - points.mean(axis=0)
    sq = np.einsum("ij,ij->i", z, z)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (z @ z.T)
    iu = np.triu_indices(z.shape[0], k=1)
    dist = np.maximum(d2[iu], 0.0)
    gamma = float(np.median(dist))
    if gamma <= 0.0:
        positive = dist[dist > 0.0]
        gamma = float(np.median(positive)) if positive.size else 1.0
    return gamma


def median_heuristic(*samples: ArrayLike, max_points: int = 1000, rng: RngLike = 0) -> float:
    """Median pairwise squared distance γ of the pooled samples.

    Parameters
    ----------
    *samples : array_like, each shape (n_k, d)
        The samples to pool (at least one; all with the same ``d``).
    max_points : int, default 1000
        Use a seeded subsample of at most this many pooled rows (O(max_points²) time and memory).
    rng : None, int, SeedSequence or Generator
        Draws the subsample.

    Returns
    -------
    float
        γ > 0. Zero distances are ignored if they are the majority; 1.0 if all points coincide.

    Examples
    --------
    >>> round(median_heuristic([[0.0], [1.0], [3.0]]), 6)
    4.0
    """
    if not samples:
        raise fail("samples", "contain at least one sample", "none")
    arrays = _check_pool(samples, "samples")
    max_points = check_int(max_points, "max_points", minimum=2)
    gen = np.random.default_rng(seed_sequence(rng))
    return _median_sq_distance(_pooled_subsample(arrays, max_points, gen))


def _check_pool(samples: Sequence[ArrayLike], name: str) -> list[FloatArray]:
    arrays = [_check_sample(s, f"{name}[{k}]") for k, s in enumerate(samples)]
    d = arrays[0].shape[1]
    for k, a in enumerate(arrays[1:], start=1):
        _check_same_dim(a, f"{name}[{k}]", d, f"{name}[0]")
    return arrays


def default_bandwidths(gamma: float) -> FloatArray:
    """The squared scales ``γ 2^u``, ``u = -2..2``, of the default five-kernel family.

    Examples
    --------
    >>> default_bandwidths(4.0).tolist()
    [1.0, 2.0, 4.0, 8.0, 16.0]
    """
    g = float(as_float_array(gamma, "gamma"))
    if g <= 0:
        raise fail("gamma", "be > 0", gamma)
    return g * np.exp2(np.asarray(_DEFAULT_EXPONENTS, dtype=np.float64))


# --------------------------------------------------------------------------------------------
# kernel sums (blocked)


def _sq_dist_block(a: FloatArray, a2: FloatArray, b: FloatArray, b2: FloatArray) -> FloatArray:
    d2 = a @ b.T
    d2 *= -2.0
    d2 += a2[:, None]
    d2 += b2[None, :]
    np.maximum(d2, 0.0, out=d2)
    return d2


def _kernel_blocks(d2: FloatArray, inv_bw: FloatArray) -> Iterator[tuple[int, FloatArray]]:
    """Yield ``(u, exp(-d2 * inv_bw[u]))`` for every kernel, in increasing ``inv_bw``.

    Where ``inv_bw`` doubles exactly from one kernel to the next (the default ``γ 2^u``
    family) the block is the square of the previous one, a multiplication instead of an
    exponential (relative round-off at most ~2^U machine epsilons). The yielded array is a
    workspace overwritten by the next iteration.
    """
    order = np.argsort(inv_bw, kind="stable")
    prev_c = np.nan
    kb = np.empty_like(d2)
    for u in order:
        c = float(inv_bw[u])
        if c == 2.0 * prev_c:
            np.multiply(kb, kb, out=kb)
        elif c != prev_c:
            np.multiply(d2, -c, out=kb)
            np.exp(kb, out=kb)
        prev_c = c
        yield int(u), kb


def _within_row_sums(x: FloatArray, inv_bw: FloatArray, block: int) -> FloatArray:
    """``r[u, i] = sum_{j != i} k_u(x_i, x_j)``, shape (U, n), in O(block²) memory."""
    n = x.shape[0]
    sq = np.einsum("ij,ij->i", x, x)
    rows = np.zeros((inv_bw.size, n))
    starts = range(0, n, block)
    for i0 in starts:
        i1 = min(i0 + block, n)
        for j0 in range(i0, n, block):
            j1 = min(j0 + block, n)
            d2 = _sq_dist_block(x[i0:i1], sq[i0:i1], x[j0:j1], sq[j0:j1])
            for u, kb in _kernel_blocks(d2, inv_bw):
                if i0 == j0:
                    rows[u, i0:i1] += kb.sum(axis=1) - np.diagonal(kb)
                else:
                    rows[u, i0:i1] += kb.sum(axis=1)
                    rows[u, j0:j1] += kb.sum(axis=0)
    return rows


def _between_sums(
    x: FloatArray, y: FloatArray, inv_bw: FloatArray, block: int
) -> tuple[FloatArray, FloatArray]:
    """Row sums (U, n) and column sums (U, m) of the cross kernel matrices ``k_u(x_i, y_j)``."""
    n, m = x.shape[0], y.shape[0]
    sx = np.einsum("ij,ij->i", x, x)
    sy = np.einsum("ij,ij->i", y, y)
    rows = np.zeros((inv_bw.size, n))
    cols = np.zeros((inv_bw.size, m))
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        for j0 in range(0, m, block):
            j1 = min(j0 + block, m)
            d2 = _sq_dist_block(x[i0:i1], sx[i0:i1], y[j0:j1], sy[j0:j1])
            for u, kb in _kernel_blocks(d2, inv_bw):
                rows[u, i0:i1] += kb.sum(axis=1)
                cols[u, j0:j1] += kb.sum(axis=0)
    return rows, cols


def _unbiased_witness(
    x: FloatArray,
    y: FloatArray,
    inv_bw: FloatArray,
    block: int,
    y_within: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Witness values ``a`` (U, n) at the x's and ``b`` (U, m) at the y's.

    ``mean(a) + mean(b)`` is the unbiased MMD² per kernel.
    """
    n, m = x.shape[0], y.shape[0]
    rxx = _within_row_sums(x, inv_bw, block)
    ryy = _within_row_sums(y, inv_bw, block) if y_within is None else y_within
    rxy, cxy = _between_sums(x, y, inv_bw, block)
    a = rxx / (n - 1) - rxy / m
    b = ryy / (m - 1) - cxy / n
    return a, b


def _rff_pass(x: FloatArray, freqs: FloatArray, block: int, v: FloatArray | None) -> FloatArray:
    """With ``v=None``: ``sum_i z(x_i)``, shape (2D,). Otherwise ``z(x_i) · v``, shape (n,)."""
    n_freq = freqs.shape[1]
    scale = 1.0 / np.sqrt(n_freq)
    total = np.zeros(2 * n_freq)
    dots = np.zeros(x.shape[0])
    for i0 in range(0, x.shape[0], block):
        proj = x[i0 : i0 + block] @ freqs
        c, s = np.cos(proj), np.sin(proj)
        if v is None:
            total[:n_freq] += c.sum(axis=0)
            total[n_freq:] += s.sum(axis=0)
        else:
            dots[i0 : i0 + block] = c @ v[:n_freq] + s @ v[n_freq:]
    if v is None:
        return total * scale
    return dots * scale


def _rff_witness(
    x: FloatArray,
    y: FloatArray,
    bandwidths: FloatArray,
    gauss: FloatArray,
    block: int,
    y_sums: list[FloatArray] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Random-feature witness values (U, n) and (U, m); ``‖z(x)‖² = 1`` exactly."""
    n, m = x.shape[0], y.shape[0]
    a = np.empty((bandwidths.size, n))
    b = np.empty((bandwidths.size, m))
    for u, bw in enumerate(bandwidths):
        freqs = gauss * np.sqrt(2.0 / bw)
        sx = _rff_pass(x, freqs, block, None)
        sy = _rff_pass(y, freqs, block, None) if y_sums is None else y_sums[u]
        a[u] = _rff_pass(x, freqs, block, sx / (n - 1) - sy / m) - 1.0 / (n - 1)
        b[u] = _rff_pass(y, freqs, block, sy / (m - 1) - sx / n) - 1.0 / (m - 1)
    return a, b


def _linear_h(
    x: FloatArray, y: FloatArray, inv_bw: FloatArray, gen: np.random.Generator
) -> FloatArray:
    """The linear-time ``h`` over disjoint pairs, shape (U, P). The y-permutation is drawn
    first, so sources compared with one reference under one seed share it."""
    py = gen.permutation(y.shape[0])
    px = gen.permutation(x.shape[0])
    p = min(x.shape[0], y.shape[0]) // 2
    x1, x2 = x[px[0 : 2 * p : 2]], x[px[1 : 2 * p : 2]]
    y1, y2 = y[py[0 : 2 * p : 2]], y[py[1 : 2 * p : 2]]

    def sq(a: FloatArray, b: FloatArray) -> FloatArray:
        diff = a - b
        return np.einsum("ij,ij->i", diff, diff)

    dxx, dyy, dxy, dyx = sq(x1, x2), sq(y1, y2), sq(x1, y2), sq(x2, y1)
    c = inv_bw[:, None]
    return np.exp(-c * dxx) + np.exp(-c * dyy) - np.exp(-c * dxy) - np.exp(-c * dyx)


# --------------------------------------------------------------------------------------------
# assembling results


def _readonly(a: FloatArray) -> FloatArray:
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def _var_mean(v: FloatArray) -> FloatArray:
    """Variance of the mean of each row of ``v`` (NaN for a single column)."""
    k = v.shape[-1]
    if k < 2:
        return np.full(v.shape[:-1], np.nan)
    return np.var(v, axis=-1, ddof=1) / k


def _from_witness(a: FloatArray, b: FloatArray, w: FloatArray) -> tuple[Any, ...]:
    per = a.mean(axis=1) + b.mean(axis=1)
    se_per = np.sqrt(4.0 * _var_mean(a) + 4.0 * _var_mean(b))
    aw, bw = w @ a, w @ b
    total = float(aw.mean() + bw.mean())
    se = float(np.sqrt(4.0 * _var_mean(aw[None])[0] + 4.0 * _var_mean(bw[None])[0]))
    return total, se, per, se_per


def _from_pairs(h: FloatArray, w: FloatArray) -> tuple[Any, ...]:
    per = h.mean(axis=1)
    se_per = np.sqrt(_var_mean(h))
    hw = w @ h
    return float(hw.mean()), float(np.sqrt(_var_mean(hw[None])[0])), per, se_per


def _result(
    parts: tuple[Any, ...],
    bw: FloatArray,
    w: FloatArray,
    gamma: float,
    estimator: str,
    n_x: int,
    n_y: int,
    n_features: int,
    seed: Any,
) -> MMDResult:
    total, se, per, se_per = parts
    return MMDResult(
        mmd2=total,
        mmd=float(np.sqrt(max(total, 0.0))),
        stderr=se,
        mmd2_per_kernel=_readonly(per),
        stderr_per_kernel=_readonly(se_per),
        bandwidths=_readonly(bw),
        weights=_readonly(w),
        gamma=gamma,
        estimator=estimator,
        n_x=n_x,
        n_y=n_y,
        n_features=n_features if estimator == "random_features" else 0,
        seed=seed,
    )


def _setup(
    pool: Sequence[FloatArray],
    bandwidths: ArrayLike | None,
    weights: ArrayLike | None,
    max_median_points: int,
    rng: RngLike,
) -> tuple[FloatArray, FloatArray, float, np.random.SeedSequence, Any]:
    """Bandwidths, weights, γ, the estimator's seed sequence and the recorded seed."""
    bw, w = _check_kernels(bandwidths, weights)
    max_median_points = check_int(max_median_points, "max_median_points", minimum=2)
    ss = seed_sequence(rng)
    median_seq, estimator_seq = ss.spawn(2)
    gamma = float("nan")
    if bw is None:
        gamma = _median_sq_distance(
            _pooled_subsample(pool, max_median_points, np.random.default_rng(median_seq))
        )
        bw = default_bandwidths(gamma)
    if w is None:
        w = np.full(bw.size, 1.0 / bw.size)
    return bw, w, gamma, estimator_seq, ss.entropy


def _estimate(
    x: FloatArray,
    y: FloatArray,
    estimator: str,
    bw: FloatArray,
    w: FloatArray,
    seq: np.random.SeedSequence,
    n_features: int,
    block: int,
    cache: dict[str, Any],
) -> tuple[Any, ...]:
    """One estimate; ``cache`` keeps the reference's terms across calls with the same ``y``."""
    inv_bw = 1.0 / bw
    if estimator == "unbiased":
        if "ryy" not in cache:
            cache["ryy"] = _within_row_sums(y, inv_bw, block)
        return _from_witness(*_unbiased_witness(x, y, inv_bw, block, cache["ryy"]), w)
    gen = np.random.default_rng(seq)
    if estimator == "linear":
        return _from_pairs(_linear_h(x, y, inv_bw, gen), w)
    gauss = gen.standard_normal((x.shape[1], n_features))
    if "sy" not in cache:
        cache["sy"] = [_rff_pass(y, gauss * np.sqrt(2.0 / b), block, None) for b in bw]
    return _from_witness(*_rff_witness(x, y, bw, gauss, block, cache["sy"]), w)


def _common_options(estimator: Any, n_features: Any, block_size: Any) -> tuple[str, int, int]:
    return (
        _check_estimator(estimator),
        check_int(n_features, "n_features", minimum=1),
        check_int(block_size, "block_size", minimum=1),
    )


# --------------------------------------------------------------------------------------------
# public API


def mmd(
    X: ArrayLike,
    Y: ArrayLike,
    *,
    estimator: str = "unbiased",
    bandwidths: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    n_features: int = 256,
    block_size: int = 1024,
    max_median_points: int = 1000,
    rng: RngLike = 0,
) -> MMDResult:
    """Multi-kernel MMD² between samples ``X`` and ``Y`` (docs/math/valuation.md, T2).

    Parameters
    ----------
    X : array_like, shape (n, d)
        First sample (at least 2 rows, finite).
    Y : array_like, shape (m, d)
        Second sample (at least 2 rows, same ``d``).
    estimator : {"unbiased", "linear", "random_features"}, default "unbiased"
        See the module notes for cost and standard error of each.
    bandwidths : array_like, shape (U,), optional
        Squared scales ``σ_u²`` of the kernels ``exp(-‖x - y‖² / σ_u²)``. Default
        ``γ 2^u, u = -2..2`` with γ the median heuristic on the pooled ``X`` and ``Y``.
    weights : array_like, shape (U,), optional
        Non-negative kernel weights, used as given. Default ``1/U`` each.
    n_features : int, default 256
        Random frequencies per kernel for ``"random_features"`` (2 features each).
    block_size : int, default 1024
        Rows per block of the pairwise computations (memory O(block_size²) for
        ``"unbiased"``, O(block_size · n_features) for ``"random_features"``).
    max_median_points : int, default 1000
        Subsample size cap for the median heuristic.
    rng : None, int, SeedSequence or Generator, default 0
        Seeds the median subsample, the pairing of ``"linear"`` and the frequencies of
        ``"random_features"``.

    Returns
    -------
    MMDResult

    Notes
    -----
    ``"unbiased"`` costs O((n + m)² (d + U)) time and O(block_size² + U (n + m)) memory;
    ``"linear"`` O(min(n, m) (d + U)); ``"random_features"`` O((n + m) d D U) time with
    ``D = n_features``. Both samples are centred on their pooled mean first (the kernels are
    translation-invariant; this limits cancellation in ``‖x‖² + ‖y‖² - 2 x·y``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 3))
    >>> far = mmd(X, X + 2.0, rng=0)
    >>> near = mmd(X, rng.standard_normal((200, 3)), rng=0)
    >>> far.mmd > near.mmd
    True
    >>> mmd(X, X + 2.0, bandwidths=[1.0, 4.0], estimator="linear").mmd2_per_kernel.shape
    (2,)
    """
    x = _check_sample(X, "X")
    y = _check_sample(Y, "Y")
    _check_same_dim(y, "Y", x.shape[1], "X")
    estimator, n_features, block = _common_options(estimator, n_features, block_size)
    bw, w, gamma, seq, seed = _setup([x, y], bandwidths, weights, max_median_points, rng)
    shift = (x.sum(axis=0) + y.sum(axis=0)) / (x.shape[0] + y.shape[0])
    parts = _estimate(x - shift, y - shift, estimator, bw, w, seq, n_features, block, {})
    return _result(parts, bw, w, gamma, estimator, x.shape[0], y.shape[0], n_features, seed)


def mmd_to_reference(
    sources: Sequence[ArrayLike],
    reference: ArrayLike,
    *,
    estimator: str = "unbiased",
    bandwidths: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    n_features: int = 256,
    block_size: int = 1024,
    max_median_points: int = 1000,
    rng: RngLike = 0,
) -> list[MMDResult]:
    """MMD² of each of several sources against one reference sample, with one kernel.

    All sources are measured with the same bandwidths, chosen by the median heuristic on the
    pooled sample of every source and the reference, so that the values are distances in one
    metric and comparable across sources (per-pair bandwidths would change the yardstick from
    source to source). The reference's own terms (its within-sample kernel sums, or its mean
    random features) are computed once and shared; with ``"linear"`` and
    ``"random_features"`` every source uses the same reference pairing or frequencies (common
    random numbers, so differences between sources carry less noise). Entry ``k`` equals
    ``mmd(sources[k], reference, bandwidths=out[k].bandwidths, weights=..., rng=rng)`` up to
    round-off (for an int or SeedSequence ``rng``).

    Parameters
    ----------
    sources : sequence of array_like, each shape (n_k, d)
        The samples to compare (at least one; each with at least 2 rows).
    reference : array_like, shape (m, d)
        The reference sample (e.g. a validation split of the test distribution).
    estimator, bandwidths, weights, n_features, block_size, max_median_points, rng
        As in :func:`mmd`.

    Returns
    -------
    list of MMDResult
        One per source, in order; ``n_x`` is the source size, ``n_y`` the reference size.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> ref = rng.standard_normal((100, 2))
    >>> near, far = mmd_to_reference([rng.standard_normal((80, 2)), ref[:60] + 3.0], ref)
    >>> near.mmd < far.mmd
    True
    """
    if isinstance(sources, np.ndarray) or not isinstance(sources, Sequence) or not sources:
        raise fail("sources", "be a non-empty sequence of 2-D arrays", sources)
    y = _check_sample(reference, "reference")
    xs = [_check_sample(s, f"sources[{k}]") for k, s in enumerate(sources)]
    for k, x in enumerate(xs):
        _check_same_dim(x, f"sources[{k}]", y.shape[1], "reference")
    estimator, n_features, block = _common_options(estimator, n_features, block_size)
    bw, w, gamma, seq, seed = _setup([*xs, y], bandwidths, weights, max_median_points, rng)
    shift = y.mean(axis=0)
    yc = y - shift
    cache: dict[str, Any] = {}
    out = []
    for x in xs:
        parts = _estimate(x - shift, yc, estimator, bw, w, seq, n_features, block, cache)
        out.append(
            _result(parts, bw, w, gamma, estimator, x.shape[0], y.shape[0], n_features, seed)
        )
    return out


def mmd_resampled(
    sources: Sequence[ArrayLike],
    reference: ArrayLike,
    counts: ArrayLike,
    *,
    bandwidths: ArrayLike,
    weights: ArrayLike | None = None,
    block_size: int = 1024,
) -> FloatArray:
    """Unbiased MMD of each source to resamples of the reference, from kernel sums computed once.

    Resample ``b`` holds reference row ``j`` ``counts[b, j]`` times (``Σ_j counts[b, j] = m``).
    The source's within-sample term is unchanged, the cross term is the resample's weighted
    mean of the per-row cross-kernel sums, and the within-reference term is the mean of
    ``k(y_j, y_j')`` over pairs of *distinct* reference rows weighted by
    ``counts[b, j] · counts[b, j']``: pairs of copies of one row are left out, as the
    U-statistic leaves out ``j = j'`` (keeping them would add ``≈ Σ_u w_u / m`` to every MMD²).
    With ``counts`` all ones this is the ``"unbiased"`` estimate of :func:`mmd_to_reference`
    with the same bandwidths. Cost: ``O(m² (d + B) + Σ_k (n_k² + n_k m) d)``, one pass over the
    kernel matrices, memory ``O(block_size² + m B)``.

    Parameters
    ----------
    sources : sequence of array_like, each shape (n_k, d)
        At least 2 rows each.
    reference : array_like, shape (m, d)
    counts : array_like, shape (B, m)
        Multiplicities of the reference rows in each resample
        (:func:`synthmix.valuation.uncertainty.resample_counts`).
    bandwidths : array_like, shape (U,)
        Squared scales (e.g. ``MMDResult.bandwidths`` of the full-reference estimate: they are
        held fixed across resamples).
    weights : array_like, shape (U,), optional
        Kernel weights, default ``1/U`` each.
    block_size : int, default 1024

    Returns
    -------
    ndarray, shape (B, K)
        ``sqrt(max(MMD², 0))`` of source ``k`` to resample ``b``.
    """
    y = _check_sample(reference, "reference")
    xs = [_check_sample(s, f"sources[{k}]") for k, s in enumerate(sources)]
    for k, x in enumerate(xs):
        _check_same_dim(x, f"sources[{k}]", y.shape[1], "reference")
    bw, w = _check_kernels(bandwidths, weights)
    if bw is None:
        raise fail("bandwidths", "be given (the full-reference estimate's)", bandwidths)
    if w is None:
        w = np.full(bw.size, 1.0 / bw.size)
    block = check_int(block_size, "block_size", minimum=1)
    c = as_float_array(counts, "counts")
    m = y.shape[0]
    if c.ndim != 2 or c.shape[1] != m:
        raise fail("counts", f"have shape (B, {m})", c.shape)
    inv_bw = 1.0 / bw
    shift = y.mean(axis=0)
    yc = y - shift
    sq = np.einsum("ij,ij->i", yc, yc)
    kc = np.zeros((m, c.shape[0]))  # (Σ_u w_u K_u) @ countsᵀ
    for i0 in range(0, m, block):
        i1 = min(i0 + block, m)
        for j0 in range(0, m, block):
            j1 = min(j0 + block, m)
            d2 = _sq_dist_block(yc[i0:i1], sq[i0:i1], yc[j0:j1], sq[j0:j1])
            kw = np.zeros_like(d2)
            for u, kb in _kernel_blocks(d2, inv_bw):
                kw += w[u] * kb
            kc[i0:i1] += kw @ c[:, j0:j1].T
    quad = np.einsum("bj,jb->b", c, kc)
    own = (c * c).sum(axis=1)  # Σ_j counts², the weight of the pairs of copies
    total = c.sum(axis=1)
    pairs = total * total - own
    diag = float(w.sum())  # k(y, y) = Σ_u w_u
    safe = np.where(pairs > 0, pairs, 1.0)
    yy = np.where(pairs > 0, (quad - diag * own) / safe, diag)
    out = np.empty((c.shape[0], len(xs)))
    for k, x in enumerate(xs):
        xc = x - shift
        n = xc.shape[0]
        xx = float(w @ _within_row_sums(xc, inv_bw, block).sum(axis=1)) / (n * (n - 1))
        cols = w @ _between_sums(xc, yc, inv_bw, block)[1]  # (m,)
        xy = c @ cols / (n * total)
        out[:, k] = np.sqrt(np.maximum(xx + yy - 2.0 * xy, 0.0))
    return out


def power_weights(
    X: ArrayLike,
    Y: ArrayLike,
    *,
    bandwidths: ArrayLike | None = None,
    regularization: float = 1e-6,
    max_median_points: int = 1000,
    rng: RngLike = 0,
) -> FloatArray:
    """Test-power-maximising kernel weights (Gretton et al., NIPS 2012, "Optimal kernel choice
    for large-scale two-sample tests").

    Fit on a split of the data that is *not* used for the MMD estimate afterwards: the weights
    maximise ``η·β / sqrt(βᵀ Q β)`` over ``β >= 0``, with ``η`` (U,) the linear-time MMD² of
    each kernel and ``Q`` (U, U) the covariance of their ``h`` terms, both estimated on
    ``X`` and ``Y``. Equivalently ``min βᵀ(Q + λI)β`` subject to ``η·β = 1, β >= 0``, solved
    exactly by enumerating the supports of ``β`` (at most 12 kernels). ``λ`` is
    ``regularization · trace(Q)/U`` (plus ``1e-300``). When no kernel has ``η > 0`` the
    discrepancy is undetectable on this split and equal weights are returned.

    Parameters
    ----------
    X, Y : array_like, shapes (n, d) and (m, d)
        The training split of the two samples (at least 4 rows each, so that there are two
        pairs).
    bandwidths : array_like, shape (U,), optional
        Squared scales; default the median-heuristic family of :func:`mmd`.
    regularization : float, default 1e-6
        Relative ridge on ``Q``.
    max_median_points : int, default 1000
        As in :func:`mmd`.
    rng : None, int, SeedSequence or Generator, default 0
        Seeds the median subsample and the pairing.

    Returns
    -------
    ndarray, shape (U,)
        Non-negative weights summing to 1, in the order of the bandwidths; pass them to
        :func:`mmd` together with the same ``bandwidths`` (for the default family, pass
        ``bandwidths=default_bandwidths(γ)`` of the evaluation data or of this split).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((400, 2)), rng.standard_normal((400, 2)) + 0.5
    >>> w = power_weights(X, Y, bandwidths=[1e-4, 1.0, 4.0])
    >>> bool(abs(w.sum() - 1.0) < 1e-12), bool(w[0] < 0.01)
    (True, True)
    """
    x = _check_sample(X, "X")
    y = _check_sample(Y, "Y")
    _check_same_dim(y, "Y", x.shape[1], "X")
    if min(x.shape[0], y.shape[0]) < 4:
        raise fail(
            "X and Y", "have at least 4 rows each (two pairs)", f"{x.shape[0]}, {y.shape[0]}"
        )
    reg = float(check_nonnegative(regularization, "regularization"))
    bw, _, _, seq, _ = _setup([x, y], bandwidths, None, max_median_points, rng)
    if bw.size > _MAX_POWER_KERNELS:
        raise fail("bandwidths", f"have at most {_MAX_POWER_KERNELS} entries", f"{bw.size}")
    shift = (x.sum(axis=0) + y.sum(axis=0)) / (x.shape[0] + y.shape[0])
    h = _linear_h(x - shift, y - shift, 1.0 / bw, np.random.default_rng(seq))
    eta = h.mean(axis=1)
    u = eta.size
    if not np.any(eta > 0):
        return np.full(u, 1.0 / u)
    q = np.atleast_2d(np.cov(h))
    q = q + (reg * float(np.trace(q)) / u + 1e-300) * np.eye(u)
    best, best_obj = np.zeros(u), np.inf
    for size in range(1, u + 1):
        for support in combinations(range(u), size):
            s = list(support)
            if not np.any(eta[s] > 0):
                continue
            sol = cho_solve(cho_factor(q[np.ix_(s, s)]), eta[s])
            denom = float(eta[s] @ sol)
            if denom <= 0 or np.any(sol < 0):
                continue
            if 1.0 / denom < best_obj:
                best_obj = 1.0 / denom
                best = np.zeros(u)
                best[s] = sol / denom
    return best / best.sum()
