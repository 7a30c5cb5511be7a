"""``value_sources``: what each data source is worth for a test distribution.

The score and the baselines are those of ``docs/math/valuation.md``.

One entry point for every valuation method. ``mixture`` is the retraining-free score of the
docs/math/valuation.md: four terms of an NTK generalisation bound for a real + synthetic mixture,

    T1 = ω L̂_r + (1 − ω) L̂_s                         empirical loss (NTK kernel-ridge loss)
    T2 = ω MMD_K(S_r, V) + (1 − ω) MMD_K(S_s, V)      multi-kernel MMD to the reference V
    T3 = sqrt(ŷᵀ (Θ0 + ρI)⁻¹ ŷ / n)                   NTK complexity at initialisation
    T4 = 2 max(ω, 1 − ω) sqrt(log(8/δ) / n)           small-sample term

with ``ω`` the source's real fraction, combined as ``v = −Σ_j w_j z(T_j)`` (``z``: standardised
across the sources) or, with ``weights="bound"``, ``v = −Σ_j T_j`` (the bound itself). The other
methods are the baselines docs/math/valuation.md names; every value is oriented so that
higher = more valuable.
The proxy baselines (:mod:`synthmix.valuation.proxy`) fit a closed-form model (``model=``
``"ridge"``, ``"lda"`` or ``"knn"``, on features standardised with the reference's statistics)
and score its accuracy on the reference: ``proxy`` on each source alone, ``proxy_loo`` the
accuracy lost when the source leaves the pool, ``proxy_shapley`` the exact Shapley value of that
accuracy over all ``2^K`` coalitions (``K <= 12``; ``U(∅)`` = the reference's majority-class
accuracy).
``lava`` is minus the class-wise optimal-transport distance to the reference (LAVA;
:mod:`synthmix.valuation.lava`, needs ``pot`` from the ``baselines`` extra).
``data_oob`` is Data-OOB (:mod:`synthmix.valuation.oob`): a random forest fitted on the pooled
sources, each sample valued by the accuracy of the trees that did not see it, summed per
source; it never uses the reference (label consistency with the pool, not closeness to ``V``).
The sanity baselines are ``size`` (``|S|``), ``real_fraction`` (``ω``), ``mmd_only`` and
``ntk_only`` (one term of the score alone) and ``random``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._random import RngLike, child_sequence, seed_sequence
from synthmix._types import FloatArray
from synthmix._validation import check_int, check_positive, fail
from synthmix.data import Dataset
from synthmix.parallel import check_n_jobs
from synthmix.valuation.uncertainty import (
    BOOTSTRAP_KEY,
    DEFAULT_N_BOOTSTRAP,
    Uncertainty,
    bootstrap_indices,
    check_n_bootstrap,
    from_bootstrap,
    from_stderr,
    resample_counts,
    zero,
)

__all__ = [
    "ATTRIBUTION_METHODS",
    "CALIBRATED_WEIGHTS",
    "METHODS",
    "PROXY_METHODS",
    "TERMS",
    "ValuationResult",
    "combine_terms",
    "fit_weights",
    "value_sources",
]

NTKKind = Literal["analytic", "empirical"]

#: The four terms of the ``mixture`` score, in the order of docs/math/valuation.md.
TERMS = ("loss", "mmd", "ntk", "small_sample")
#: Methods computed through :mod:`synthmix.valuation.attribution` (extra ``baselines``).
ATTRIBUTION_METHODS = ("tracin", "trak", "logra", "knn_shapley")
#: Proxy-model methods (:mod:`synthmix.valuation.proxy`): stand-alone, leave-one-out, Shapley.
PROXY_METHODS = ("proxy", "proxy_loo", "proxy_shapley")
#: The recommended valuer, default of :func:`value_sources` and ``synthmix value``: the mean
#: reference accuracy of the ridge, shrinkage-LDA and logistic proxies fitted on each source alone
#: (docs/math/valuation.md, "The recommended valuer"; chosen on development markets disjoint
#: from every benchmark market).
RECOMMENDED = "proxy_ensemble"
#: The proxy models averaged by :data:`RECOMMENDED`.
ENSEMBLE_MODELS = ("ridge", "lda", "logistic")
#: Every method :func:`value_sources` knows.
METHODS = (
    RECOMMENDED,
    "mixture",
    "davinz",
    "deviation",
    "shapley",
    *ATTRIBUTION_METHODS,
    *PROXY_METHODS,
    "lava",
    "data_oob",
    "size",
    "real_fraction",
    "mmd_only",
    "ntk_only",
    "random",
)
_WEIGHT_MODES = ("bound", "davinz", "equal", "calibrated")

#: Weights on the z-scored terms (loss, mmd, ntk, small_sample) for ``weights="calibrated"``
#: with ``label_aware=True``: the mean of the four tasks' non-negative least-squares weights fitted
#: on the calibration markets of ``synthmix reproduce valuation-benchmark`` (seed 0; 10 markets
#: per task, disjoint from every evaluation market), normalised to sum to 1. Per-task fits ranged
#: over loss 0-0.07, mmd 0.67-0.84, ntk 0, small_sample 0.21-0.34.
CALIBRATED_WEIGHTS = (0.021, 0.719, 0.0, 0.26)


@dataclass(frozen=True)
class ValuationResult:
    """Values of data sources (API contract, docs/architecture.md).

    Attributes
    ----------
    values : dict of str to float
        Source name → value; higher = more valuable, for every method.
    terms : dict of str to dict of str to float
        Source name → the method's ingredients (for ``mixture``: ``loss``, ``mmd``, ``ntk``,
        ``small_sample`` raw, the ``real_fraction`` ω and ``n``; other methods: what they
        computed, possibly empty).
    method : str
    seconds : float
        Wall time of the valuation.
    weights : dict of str to float
        ``mixture``: the weight of each term (empty for other methods).
    details : dict
        Method-specific diagnostics (JSON types), e.g. the NTK's coefficient of variation
        over init seeds, the MMD bandwidths, the library behind an attribution method.
    seed : int or None
        Entropy of the root seed.
    stderr : dict of str to float
        Source name → standard error of its value (same keys as ``values``): the standard
        deviation (``ddof=1``) of the value over bootstrap resamples of the reference's rows,
        0.0 for a value that does not depend on the reference (``size``, ``real_fraction``,
        ``deviation``, ``ntk_only`` with the analytic NTK), the spread of the draws for
        ``random`` (1.0). docs/math/valuation.md, "Uncertainty", lists what each method
        resamples. Empty when the result was built without it.
    interval : dict of str to tuple of (float, float)
        Source name → 90 % interval: the 5th and 95th percentiles of the bootstrap values, or
        ``value ± 1.645 stderr`` where no bootstrap applies, ``(value, value)`` when the
        standard error is 0.
    uncertainty : str
        How ``stderr`` and ``interval`` were obtained, e.g. ``"bootstrap over 50 reference
        resamples (...)"`` or ``"exact (deterministic: no sampling)"``.
    status : str
        Convergence of a Monte-Carlo estimate: ``"converged"`` or ``"not converged at
        max_permutations"`` for ``shapley`` by permutation sampling (more than 10 sources),
        ``"n/a"`` for every method without a Monte-Carlo stopping rule.
    """

    values: dict[str, float]
    terms: dict[str, dict[str, float]]
    method: str
    seconds: float
    weights: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    seed: Any = None
    stderr: dict[str, float] = field(default_factory=dict)
    interval: dict[str, tuple[float, float]] = field(default_factory=dict)
    uncertainty: str = ""
    status: str = "n/a"

    def ranking(self) -> list[str]:
        """Source names from most to least valuable (ties keep the input order)."""
        names = list(self.values)
        order = np.argsort([-self.values[n] for n in names], kind="stable")
        return [names[i] for i in order]


# --------------------------------------------------------------------------------------------
# validation


def _check_sources(sources: Any) -> dict[str, Dataset]:
    """A mapping name → Dataset, or a sequence of (name, Dataset) pairs with unique names."""
    if isinstance(sources, Mapping):
        pairs = list(sources.items())
    elif isinstance(sources, Sequence) and not isinstance(sources, str):
        pairs = list(sources)
        if not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
            raise fail("sources", "be a mapping or a sequence of (name, Dataset) pairs", sources)
    else:
        raise fail("sources", "be a mapping of source name to Dataset", type(sources).__name__)
    if len(pairs) < 2:
        raise fail("sources", "contain at least two sources to compare", len(pairs))
    out: dict[str, Dataset] = {}
    for name, ds in pairs:
        if not isinstance(name, str) or not name:
            raise fail("sources", "have non-empty string names", name)
        if name in out:
            raise fail("sources", "have unique names", f"{name!r} appears twice")
        if not isinstance(ds, Dataset):
            raise fail(f"sources[{name!r}]", "be a synthmix.data.Dataset", type(ds).__name__)
        if ds.n == 0:
            raise fail(f"sources[{name!r}]", "contain at least one sample", "empty")
        out[name] = ds
    return out


def _check_reference(reference: Any, sources: Mapping[str, Dataset]) -> Dataset:
    if not isinstance(reference, Dataset):
        raise fail("reference", "be a synthmix.data.Dataset", type(reference).__name__)
    if reference.n < 2:
        raise fail("reference", "contain at least two samples", reference.n)
    if reference.classes.shape[0] < 2:
        raise fail("reference", "contain at least two classes", reference.classes.tolist())
    for name, ds in sources.items():
        if ds.d != reference.d:
            raise fail(
                f"sources[{name!r}]",
                f"have the reference's {reference.d} features",
                f"{ds.d} features",
            )
        if ds.y.dtype.kind in "US" and reference.y.dtype.kind not in "US":
            raise fail(f"sources[{name!r}]", "have labels of the reference's kind", ds.y.dtype)
    return reference


def _label_codes(
    sources: Mapping[str, Dataset], reference: Dataset
) -> tuple[dict[str, NDArray[np.int64]], NDArray[np.int64], int]:
    """Integer labels 0..C−1 over sources ∪ reference."""
    classes = np.unique(np.concatenate([reference.y, *[ds.y for ds in sources.values()]]))
    codes = {n: np.searchsorted(classes, ds.y).astype(np.int64) for n, ds in sources.items()}
    return codes, np.searchsorted(classes, reference.y).astype(np.int64), int(classes.shape[0])


# --------------------------------------------------------------------------------------------
# the mixture score


def _standardise(col: FloatArray) -> FloatArray:
    sd = float(np.std(col))
    return np.zeros_like(col) if sd == 0.0 else (col - col.mean()) / sd


def combine_terms(terms: FloatArray, weights: ArrayLike | str) -> tuple[FloatArray, FloatArray]:
    """Values ``v = −Σ_j w_j z(T_j)`` (or ``−Σ_j w_j T_j`` for the raw modes) of a market.

    Parameters
    ----------
    terms : ndarray, shape (K, 4)
        Raw terms T1..T4 of ``K`` sources (columns in :data:`TERMS` order).
    weights : {"bound", "davinz", "equal", "calibrated"} or array_like, shape (4,)
        ``bound``: ``w = 1`` on the raw terms (the bound itself); ``davinz``: raw terms with T3
        rescaled by ``κ = mean(T2)/mean(T3)``; ``equal``: ``w = 1`` on standardised terms;
        ``calibrated``: :data:`CALIBRATED_WEIGHTS` on standardised terms (fitted for the
        label-aware score); an array: non-negative weights on standardised terms (e.g. from
        :func:`fit_weights`).

    Returns
    -------
    values : ndarray, shape (K,)
    w : ndarray, shape (4,)
        The weights used (on raw terms for ``bound``/``davinz``, on z-scores otherwise).
    """
    t = np.asarray(terms, dtype=np.float64)
    if isinstance(weights, str):
        if weights not in _WEIGHT_MODES:
            raise fail("weights", f"be one of {_WEIGHT_MODES} or 4 numbers", weights)
        if weights == "equal":
            w = np.ones(4)
        elif weights == "calibrated":
            w = np.asarray(CALIBRATED_WEIGHTS, dtype=np.float64)
        else:
            w = np.ones(4)
            if weights == "davinz":
                mean_ntk = float(np.mean(t[:, 2]))
                w[2] = float(np.mean(t[:, 1])) / mean_ntk if mean_ntk > 0 else 0.0
            return -(t @ w), w
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (4,) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise fail("weights", "be 4 finite non-negative numbers", weights)
    z = np.column_stack([_standardise(t[:, j]) for j in range(4)])
    return -(z @ w), w


def fit_weights(terms: Sequence[ArrayLike], truths: Sequence[ArrayLike]) -> FloatArray:
    """Non-negative term weights fitted on calibration markets (weight mode ``fit``).

    Solves ``min_w Σ_markets ‖z(truth) + Z w‖²`` with ``w ≥ 0`` (NNLS), ``Z`` the standardised
    terms of each market's sources. Call it only with markets disjoint from the ones the
    weights will value, and never with a target built from the terms themselves.

    Parameters
    ----------
    terms : sequence of array_like, each shape (K_m, 4)
    truths : sequence of array_like, each shape (K_m,)
        Ground-truth values of the same sources (higher = better).

    Returns
    -------
    ndarray, shape (4,)
    """
    from scipy.optimize import nnls

    if len(terms) == 0 or len(terms) != len(truths):
        raise fail("terms", "be a non-empty sequence matching truths", (len(terms), len(truths)))
    rows, target = [], []
    for t, g in zip(terms, truths, strict=True):
        t_arr = np.asarray(t, dtype=np.float64)
        g_arr = np.asarray(g, dtype=np.float64)
        if t_arr.ndim != 2 or t_arr.shape[1] != 4 or g_arr.shape != (t_arr.shape[0],):
            raise fail("terms", "hold (K, 4) arrays with a (K,) truth each", t_arr.shape)
        rows.append(-np.column_stack([_standardise(t_arr[:, j]) for j in range(4)]))
        target.append(_standardise(g_arr))
    w, _ = nnls(np.vstack(rows), np.concatenate(target))
    return np.asarray(w, dtype=np.float64)


def _mixture_terms(
    sources: Mapping[str, Dataset],
    reference: Dataset,
    codes: Mapping[str, NDArray[np.int64]],
    ref_codes: NDArray[np.int64],
    n_classes: int,
    *,
    ntk: NTKKind,
    n_seeds: int,
    hidden: int,
    mmd_estimator: str,
    label_aware: bool,
    delta: float,
    seq: np.random.SeedSequence,
    counts: FloatArray | None = None,
) -> tuple[FloatArray, dict[str, dict[str, float]], dict[str, Any], FloatArray | None]:
    """Raw terms (K, 4), the terms table, details and T2 on reference resamples (B, K).

    With ``counts`` (resample multiplicities of the reference rows), T2 is re-estimated on each
    resample with the bandwidths (and label scale) of the full reference: the unbiased
    estimator from kernel sums computed once (:func:`~synthmix.valuation.mmd.mmd_resampled`),
    the other estimators by normal draws of each part's MMD² with its own standard error.
    T1, T3 and T4 do not use the reference.
    """
    from synthmix.valuation.mmd import median_heuristic, mmd_resampled, mmd_to_reference
    from synthmix.valuation.ntk import ntk_complexity

    names = list(sources)
    mmd_seq, ntk_seq = seq.spawn(2)

    def embed(X: FloatArray, y: NDArray[np.int64]) -> FloatArray:
        return X

    if label_aware:
        # (ours) MMD of the joint law of (x, y): one-hot labels scaled to the typical distance
        # between samples, so that a wrong label costs as much as a typical feature gap and a
        # label-noisy or class-truncated source is far from the reference even when its
        # features are not.
        scale = float(np.sqrt(median_heuristic(reference.X, max_points=300, rng=mmd_seq)))
        eye = scale * np.eye(n_classes)

        def embed(X: FloatArray, y: NDArray[np.int64]) -> FloatArray:
            return np.hstack([X, eye[y]])

    parts: list[tuple[str, bool, FloatArray]] = []
    for name in names:
        ds = sources[name]
        for synthetic in (False, True):
            mask = ds.synthetic == synthetic
            if np.count_nonzero(mask) >= 2:
                parts.append((name, synthetic, embed(ds.X[mask], codes[name][mask])))
    mmds = mmd_to_reference(
        [p[2] for p in parts], embed(reference.X, ref_codes), estimator=mmd_estimator, rng=mmd_seq
    )
    part_mmd = {(p[0], p[1]): r.mmd for p, r in zip(parts, mmds, strict=True)}
    part_boot: dict[tuple[str, bool], FloatArray] = {}
    if counts is not None:
        if mmd_estimator == "unbiased":
            resampled = mmd_resampled(
                [p[2] for p in parts],
                embed(reference.X, ref_codes),
                counts,
                bandwidths=mmds[0].bandwidths,
                weights=mmds[0].weights,
            )
        else:  # linear / random features: the estimator's own first-order standard error
            draws = np.random.default_rng(child_sequence(seq, BOOTSTRAP_KEY, 1)).standard_normal(
                (counts.shape[0], len(parts))
            )
            mmd2 = np.array([r.mmd2 for r in mmds]) + draws * np.array([r.stderr for r in mmds])
            resampled = np.sqrt(np.maximum(mmd2, 0.0))
        part_boot = {(p[0], p[1]): resampled[:, j] for j, p in enumerate(parts)}
    ntk_seeds = ntk_seq.spawn(len(names))
    rows, table, cvs, t2_boot = [], {}, [], []
    for name, child in zip(names, ntk_seeds, strict=True):
        ds, y = sources[name], codes[name]
        omega = 1.0 - ds.n_synthetic / ds.n
        res = ntk_complexity(
            ds.X, y, kernel=ntk, n_classes=n_classes, hidden=hidden, n_seeds=n_seeds, rng=child
        )
        cvs.append(res.complexity_cv)
        losses, dists = {}, {}
        for synthetic in (False, True):
            mask = ds.synthetic == synthetic
            count = np.count_nonzero(mask)
            if count < 2:
                continue
            if count == ds.n:  # a pure source: its one part is the whole source, already done
                losses[synthetic] = res.krr_loss
            else:
                losses[synthetic] = ntk_complexity(
                    ds.X[mask],
                    y[mask],
                    kernel=ntk,
                    n_classes=n_classes,
                    hidden=hidden,
                    n_seeds=n_seeds,
                    rng=child,
                ).krr_loss
            dists[synthetic] = part_mmd[(name, synthetic)]
        weight = {False: omega, True: 1.0 - omega}
        norm = sum(weight[s] for s in losses) or 1.0
        t1 = sum(weight[s] * v for s, v in losses.items()) / norm
        t2 = sum(weight[s] * v for s, v in dists.items()) / norm
        if counts is not None:
            boot = np.zeros(counts.shape[0])
            for s in dists:
                boot += weight[s] * part_boot[(name, s)] / norm
            t2_boot.append(boot)
        t4 = 2.0 * max(omega, 1.0 - omega) * np.sqrt(np.log(8.0 / delta) / ds.n)
        row = [t1, t2, res.complexity, t4]
        rows.append(row)
        table[name] = dict(zip(TERMS, map(float, row), strict=True)) | {
            "real_fraction": omega,
            "n": float(ds.n),
            "ntk_cv": res.complexity_cv,
        }
    details = {
        "ntk": ntk,
        "ntk_path": res.path,
        "ntk_cv_max": float(max(cvs)),
        "mmd_estimator": mmd_estimator,
        "label_aware": label_aware,
        "mmd_bandwidths": [float(b) for b in mmds[0].bandwidths],
        "delta": delta,
    }
    boot_t2 = None if counts is None else np.column_stack(t2_boot)
    return np.asarray(rows, dtype=np.float64), table, details, boot_t2


# --------------------------------------------------------------------------------------------
# kernel baselines: DAVINZ and Deviation


def _rbf(A: FloatArray, B: FloatArray, gamma: float) -> FloatArray:
    d2 = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.asarray(np.exp(-np.maximum(d2, 0.0) / gamma), dtype=np.float64)


def _davinz(
    sources: Mapping[str, Dataset],
    reference: Dataset,
    codes: Mapping[str, NDArray[np.int64]],
    n_classes: int,
    *,
    ntk: NTKKind,
    hidden: int,
    n_seeds: int,
    seq: np.random.SeedSequence,
    counts: FloatArray | None = None,
) -> tuple[FloatArray, dict[str, dict[str, float]], FloatArray | None]:
    """DAVINZ: ``−κ·sqrt(ŷᵀ(Θ0 + 1e-4 I)⁻¹ŷ / N) − MMD`` (single RBF kernel, median width).

    With ``counts``, also the values on reference resamples (B, K): the MMD re-estimated
    from kernel sums (width held), ``κ`` recomputed; the NTK term does not use the reference.
    """
    from synthmix.valuation.mmd import median_heuristic, mmd, mmd_resampled
    from synthmix.valuation.ntk import ntk_complexity

    names = list(sources)
    gamma = median_heuristic(*[ds.X for ds in sources.values()], reference.X, rng=seq)
    kids = seq.spawn(len(names))
    dist, comp = [], []
    for name, child in zip(names, kids, strict=True):
        ds = sources[name]
        d = mmd(ds.X, reference.X, bandwidths=[gamma], rng=child).mmd if ds.n >= 2 else 0.0
        c = ntk_complexity(
            ds.X,
            codes[name],
            kernel=ntk,
            n_classes=n_classes,
            hidden=hidden,
            n_seeds=n_seeds,
            ridge=1e-4,
            rng=child,
        ).complexity
        dist.append(d)
        comp.append(c)
    d_arr, c_arr = np.asarray(dist), np.asarray(comp)
    kappa = float(d_arr.mean() / c_arr.mean()) if c_arr.mean() > 0 else 0.0
    values = -kappa * c_arr - d_arr
    terms = {
        n: {"mmd": float(d), "ntk": float(c)} for n, d, c in zip(names, d_arr, c_arr, strict=True)
    }
    boot = None
    if counts is not None:
        d_boot = np.zeros((counts.shape[0], len(names)))
        live = [k for k, name in enumerate(names) if sources[name].n >= 2]
        if live:  # one pass over the reference's kernel matrix for every source
            d_boot[:, live] = mmd_resampled(
                [sources[names[k]].X for k in live], reference.X, counts, bandwidths=[gamma]
            )
        k_boot = d_boot.mean(axis=1) / c_arr.mean() if c_arr.mean() > 0 else np.zeros(len(d_boot))
        boot = -k_boot[:, None] * c_arr[None, :] - d_boot
    return values, terms, boot


def _deviation(
    sources: Mapping[str, Dataset],
    reference: Dataset,
    codes: Mapping[str, NDArray[np.int64]],
    n_classes: int,
    *,
    mu: float,
    seq: np.random.SeedSequence,
) -> tuple[FloatArray, dict[str, dict[str, float]]]:
    """Deviation (Lin et al. 2024): RKHS distance between KRR fits with and without a source.

    ``α = (K + μI)⁻¹Y``, ``β = (K₋c + μI)⁻¹Y₋c``, ``dev = αᵀKα + βᵀK₋cβ − 2αᵀK_{:,−c}β``
    summed over one-hot classes, RBF kernel with the median-heuristic width. ``β`` comes from
    the full inverse by the block (Schur) identity ``(K₋c + μI)⁻¹ = G_RR − G_Rc G_cc⁻¹ G_cR``,
    ``G = (K + μI)⁻¹``: one ``N³`` factorisation plus one ``n_c³`` solve per source.
    """
    from scipy.linalg import cho_factor, cho_solve, solve

    from synthmix.valuation.mmd import median_heuristic

    names = list(sources)
    X = np.vstack([sources[n].X for n in names])
    owner = np.concatenate([np.full(sources[n].n, i) for i, n in enumerate(names)])
    Y = np.eye(n_classes)[np.concatenate([codes[n] for n in names])]
    gamma = median_heuristic(X, rng=seq)
    K = _rbf(X, X, gamma)
    G = cho_solve(cho_factor(K + mu * np.eye(K.shape[0])), np.eye(K.shape[0]))
    alpha = G @ Y
    quad = float(np.sum(alpha * (K @ alpha)))
    values = []
    for i in range(len(names)):
        c, r = owner == i, owner != i
        g_rc, g_cc = G[np.ix_(r, c)], G[np.ix_(c, c)]
        # β = (G_RR − G_Rc G_cc⁻¹ G_cR) Y_R = G_RR Y_R − G_Rc G_cc⁻¹ (G_cR Y_R)
        beta = G[np.ix_(r, r)] @ Y[r] - g_rc @ solve(g_cc, g_rc.T @ Y[r], assume_a="pos")
        k_rr = K[np.ix_(r, r)]
        dev = (
            quad
            + float(np.sum(beta * (k_rr @ beta)))
            - 2.0 * float(np.sum(alpha * (K[:, r] @ beta)))
        )
        values.append(max(dev, 0.0))
    vals = np.asarray(values)
    return vals, {n: {"deviation": float(v)} for n, v in zip(names, vals, strict=True)}


# --------------------------------------------------------------------------------------------
# retraining-based Shapley over sources


def _shapley(
    sources: Mapping[str, Dataset],
    reference: Dataset,
    codes: Mapping[str, NDArray[np.int64]],
    ref_codes: NDArray[np.int64],
    *,
    seq: np.random.SeedSequence,
    max_permutations: int,
    counts: FloatArray | None = None,
) -> tuple[FloatArray, dict[str, Any], Uncertainty | None]:
    """Shapley values of reference accuracy of a logistic model on the union of a coalition.

    With ``counts`` (reference resample multiplicities), also their uncertainty: each
    coalition's per-row correctness on the reference is kept, so a resample re-scores the same
    models; exact Shapley is linear in the utility table, permutation sampling is re-averaged
    over the same permutations and its Monte-Carlo standard error added in quadrature.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from synthmix.valuation.shapley import (
        MAX_EXACT_PLAYERS,
        exact_shapley,
        permutation_shapley,
    )

    names = list(sources)
    majority = float(np.max(np.bincount(ref_codes)) / ref_codes.shape[0])
    correct: dict[int, NDArray[np.bool_]] = {}  # coalition bitmask -> per-row correctness

    def utility(coalition: tuple[Any, ...]) -> float:
        if not coalition:
            return majority
        X = np.vstack([sources[n].X for n in coalition])
        y = np.concatenate([codes[n] for n in coalition])
        mask = sum(1 << names.index(n) for n in coalition)
        if np.unique(y).shape[0] < 2:
            correct[mask] = ref_codes == y[0]
            return float(np.mean(correct[mask]))
        scaler = StandardScaler().fit(X)
        model = LogisticRegression(max_iter=200).fit(scaler.transform(X), y)
        correct[mask] = model.predict(scaler.transform(reference.X)) == ref_codes
        return float(np.mean(correct[mask]))

    if len(names) <= MAX_EXACT_PLAYERS:
        res = exact_shapley(utility, names)
    else:
        res = permutation_shapley(utility, names, rng=seq, max_permutations=max_permutations)
    vals = np.array([res.values[n] for n in names])
    details = {"shapley": res.method, "evaluations": res.n_evaluations}
    if counts is None:
        return vals, details, None
    from synthmix.valuation.proxy import resampled_utilities
    from synthmix.valuation.shapley import permutation_estimate, shapley_from_utilities

    masks = np.array([0, *correct], dtype=np.int64)
    table = np.vstack([np.zeros(ref_codes.shape[0], dtype=bool), *correct.values()])
    u = resampled_utilities(table, masks, ref_codes, counts)  # (coalitions, B)
    b = counts.shape[0]
    if res.method == "exact":
        full = np.empty((1 << len(names), b))
        full[masks] = u
        boot = shapley_from_utilities(full).T
        return vals, details, from_bootstrap(boot, _bootstrap_text(b, "exact Shapley, 2^K models"))
    row = {int(m): i for i, m in enumerate(masks)}
    boot = permutation_estimate(res.permutations, lambda m: u[row[m]], len(names)).T
    mc = np.array([res.stderr[n] for n in names])
    status = "converged" if res.converged else "not converged at max_permutations"
    how = _bootstrap_text(
        b,
        f"permutation sampling, {status}: the same {res.n_permutations} permutations "
        "re-scored; Monte-Carlo standard error added in quadrature",
    )
    unc = from_bootstrap(boot, how, extra_stderr=mc)
    return vals, details, Uncertainty(unc.stderr, unc.lower, unc.upper, how, status)


# --------------------------------------------------------------------------------------------
# proxy-model baselines


def _proxy(
    sources: Mapping[str, Dataset],
    reference: Dataset,
    codes: Mapping[str, NDArray[np.int64]],
    ref_codes: NDArray[np.int64],
    n_classes: int,
    *,
    method: str,
    model: str,
    alpha: float,
    n_neighbors: int,
    resamples: NDArray[np.intp] | None = None,
) -> tuple[FloatArray, dict[str, dict[str, float]], dict[str, Any], FloatArray | None]:
    """Proxy values (:mod:`synthmix.valuation.proxy`) on reference-standardised features, and
    with ``resamples`` their values on reference resamples (B, K): the same models re-scored
    (the standardisation keeps the full reference's statistics)."""
    from synthmix.valuation.proxy import proxy_values, reference_standardise

    names = list(sources)
    Z_ref, Zs = reference_standardise(reference.X, *[sources[n].X for n in names])
    kind = {"proxy": "standalone", "proxy_loo": "loo", "proxy_shapley": "shapley"}[method]
    res = proxy_values(
        Zs,
        [codes[n] for n in names],
        Z_ref,
        ref_codes,
        n_classes,
        kind=kind,
        model=model,
        alpha=alpha,
        n_neighbors=n_neighbors,
        resamples=resamples,
    )
    key = "accuracy_without" if kind == "loo" else "accuracy"
    terms = {n: {key: float(u)} for n, u in zip(names, res.utilities, strict=True)}
    details = {
        "model": model,
        "alpha": alpha,
        "n_neighbors": n_neighbors,
        "standardise": "reference",
        "utility_full": res.utility_full,
        "utility_empty": res.utility_empty,
        "evaluations": res.n_evaluations,
    }
    return res.values, terms, details, res.bootstrap


@dataclass(frozen=True)
class _EnsembleTask:
    """One source's share of :data:`RECOMMENDED`: what a worker needs to fit its proxies."""

    X: FloatArray  # (n_i, d), as given: standardised in the worker
    y: NDArray[np.int64]  # (n_i,)
    mean: FloatArray  # (d,) the reference's
    scale: FloatArray  # (d,)
    Z_ref: FloatArray  # (n_ref, d) standardised reference
    y_ref: NDArray[np.int64]  # (n_ref,)
    n_classes: int
    alpha: float


def _ensemble_correct(task: _EnsembleTask, rng: np.random.Generator) -> NDArray[np.bool_]:
    """Per reference row, whether each :data:`ENSEMBLE_MODELS` proxy fitted on the source
    alone classifies it right, shape ``(len(ENSEMBLE_MODELS), n_ref)`` (``rng`` unused: the
    fits are deterministic, so any worker, process or cluster gives the same bits)."""
    from synthmix.valuation.proxy import coalition_correct

    Z = np.asarray((task.X - task.mean) / task.scale, dtype=np.float64)
    one = np.ones(1, dtype=np.int64)  # the coalition {this source}
    ref, y_ref, c = task.Z_ref, task.y_ref, task.n_classes
    return np.stack(
        [
            coalition_correct([Z], [task.y], ref, y_ref, c, one, model=m, alpha=task.alpha)[0]
            for m in ENSEMBLE_MODELS
        ]
    )


def _proxy_ensemble(
    sources: Mapping[str, Dataset],
    reference: Dataset,
    codes: Mapping[str, NDArray[np.int64]],
    ref_codes: NDArray[np.int64],
    n_classes: int,
    *,
    alpha: float,
    resamples: NDArray[np.intp] | None = None,
    n_jobs: int = 1,
    scheduler: str | Any | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[FloatArray, dict[str, dict[str, float]], dict[str, Any], FloatArray | None]:
    """:data:`RECOMMENDED`: mean of the stand-alone ridge, LDA and logistic proxy accuracies, with
    their mean on reference resamples (B, K) when ``resamples`` is given (as :func:`_proxy`).

    One task per source through :func:`synthmix.parallel.map_tasks` (local workers or a Dask
    cluster); each holds one source and the reference, so memory stays linear in the rows."""
    from synthmix.parallel import map_tasks
    from synthmix.valuation.proxy import reference_standardise, resampled_utilities

    names = list(sources)
    Z_ref, Zs = reference_standardise(reference.X)
    tasks = [
        _EnsembleTask(sources[n].X, codes[n], Zs.mean, Zs.scale, Z_ref, ref_codes, n_classes, alpha)
        for n in names
    ]
    correct = np.stack(
        map_tasks(_ensemble_correct, tasks, n_jobs=n_jobs, scheduler=scheduler, progress=progress),
        axis=1,
    )  # (models, K, n_ref)
    accuracy = correct.mean(axis=2)  # (models, K)
    boot = None
    if resamples is not None:
        counts = resample_counts(resamples, Z_ref.shape[0])
        singles = np.ones(len(names), dtype=np.int64)  # no empty coalition among them
        boot = np.mean(
            [resampled_utilities(c, singles, ref_codes, counts).T for c in correct], axis=0
        )
    terms = {
        n: {f"{m}_accuracy": float(accuracy[j, i]) for j, m in enumerate(ENSEMBLE_MODELS)}
        for i, n in enumerate(names)
    }
    details = {"models": list(ENSEMBLE_MODELS), "alpha": alpha, "standardise": "reference"}
    return np.asarray(accuracy.mean(axis=0), dtype=np.float64), terms, details, boot


# --------------------------------------------------------------------------------------------
# uncertainty (docs/math/valuation.md, "Uncertainty")


def _bootstrap_text(n_bootstrap: int, what: str) -> str:
    return f"bootstrap over {n_bootstrap} reference resamples ({what})"


def _attribution_bootstrap(
    scores: FloatArray, sizes: Sequence[int], counts: FloatArray
) -> FloatArray:
    """Attribution values on reference resamples (B, K): each source's per-reference-row
    total score ``T[c, j] = Σ_{i ∈ S_c} S_ij`` (the value is its mean over ``j``) re-averaged
    with the resample's multiplicities."""
    starts = np.cumsum([0, *sizes[:-1]])
    totals = np.add.reduceat(scores, starts, axis=0)  # (K, n_ref)
    return np.asarray((totals @ counts.T / scores.shape[1]).T, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# entry point


def value_sources(
    sources: Mapping[str, Dataset] | Sequence[tuple[str, Dataset]],
    reference: Dataset,
    *,
    method: str = RECOMMENDED,
    rng: RngLike = 0,
    weights: str | ArrayLike = "bound",
    ntk: str = "analytic",
    n_seeds: int = 3,
    hidden: int = 256,
    mmd_estimator: str = "unbiased",
    label_aware: bool = False,
    delta: float = 0.05,
    mu: float = 0.01,
    max_permutations: int = 200,
    model: str = "ridge",
    alpha: float = 1.0,
    n_neighbors: int = 5,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
    n_jobs: int = 1,
    scheduler: str | Any | None = None,
    progress: Callable[[int, int], None] | None = None,
    **attribution_options: Any,
) -> ValuationResult:
    """Value data sources for the distribution ``reference`` is drawn from.

    Parameters
    ----------
    sources : mapping of str to Dataset, or sequence of (str, Dataset)
        At least two sources with unique names, each non-empty, with the reference's feature
        dimension; ``Dataset.synthetic`` marks each sample's provenance.
    reference : Dataset
        A sample of the test distribution (a validation split, never the final test set), with
        at least two classes.
    method : str, default "proxy_ensemble"
        One of :data:`METHODS` (module docstring; ``tracin``/``trak``/``logra``/``knn_shapley``
        and ``lava`` need the ``baselines`` extra). The default, :data:`RECOMMENDED`, is the
        mean reference accuracy of the ridge (penalty ``alpha``) and shrinkage-LDA proxies
        fitted on each source alone; ``mixture`` is the paper's four-term score.
    rng : seed
    weights : {"bound", "davinz", "equal", "calibrated"} or array_like (4,), default "bound"
        ``mixture`` weight mode (:func:`combine_terms`); pass :func:`fit_weights`' output for
        the ``fit`` mode of docs/math/valuation.md. ``calibrated`` with ``label_aware=True`` is
        the best retraining-free setting of the benchmark (README).
    ntk : {"analytic", "empirical"}, default "analytic"
        Kernel of T3 and of the KRR loss: the infinite-width ReLU NTK (deterministic, no torch)
        or the empirical NTK of a width-``hidden`` MLP averaged over ``n_seeds`` inits (torch).
    n_seeds, hidden : int
        Empirical NTK only.
    mmd_estimator : {"unbiased", "linear", "random_features"}
    label_aware : bool, default False
        (ours) T2 measures the joint law of features and labels (one-hot labels appended,
        scaled to the reference's median inter-sample distance) instead of the features'
        law only, so label noise and missing classes count as distance.
    delta : float, default 0.05
        Confidence of T4.
    mu : float, default 0.01
        Ridge of ``deviation``.
    max_permutations : int, default 200
        ``shapley`` above 10 sources (permutation sampling).
    model : {"ridge", "lda", "knn"}, default "ridge"
        Closed-form model of ``proxy``, ``proxy_loo`` and ``proxy_shapley``
        (:mod:`synthmix.valuation.proxy`): ridge classifier (one-vs-rest least squares), shrinkage
        LDA or k-NN, on features standardised with the reference's mean and standard deviation.
    alpha : float, default 1.0
        Ridge penalty of ``model="ridge"``.
    n_neighbors : int, default 5
        Neighbours of ``model="knn"`` (capped at the training set's size).
    n_bootstrap : int, default 50
        Resamples of the reference's rows behind ``stderr`` and ``interval`` (``>= 2``). They
        re-score quantities computed once on the full reference (no model is refitted; see
        docs/math/valuation.md, "Uncertainty") and are drawn from
        :func:`synthmix.valuation.uncertainty.bootstrap_indices` of ``rng``, a child of the
        seed sequence no method uses: the values do not depend on ``n_bootstrap``.
    n_jobs : int, default 1
        Local worker processes for the default valuer's per-source fits (``-1``: all cores;
        never more than the cores or the sources). Other methods run in this process.
    scheduler : str or dask.distributed.Client, optional
        Fit the default valuer's sources on this Dask cluster instead (an address such as
        ``tcp://host:8786``; the ``dask`` extra). Each source's fits are deterministic, so the
        values are identical for every ``n_jobs`` and backend.
    progress : callable, optional
        ``progress(done, total)``: sources fitted so far, for the default valuer; other
        methods report ``(0, 1)`` when they start and ``(1, 1)`` when done.
    **attribution_options
        Passed to :func:`synthmix.valuation.attribution.attribution_values`, for ``lava``
        to :func:`synthmix.valuation.lava.lava_values` (``label_weight``, ``max_points``), for
        ``data_oob`` to :func:`synthmix.valuation.oob.data_oob_values` (``n_estimators``, the
        forest's trees, default 200, ``>= 10``): options of one method each, so they travel
        with the other per-method options rather than as parameters of every call.

    Returns
    -------
    ValuationResult
        With ``stderr``, ``interval``, ``uncertainty`` and ``status`` filled for every method.

    Raises
    ------
    ValidationError
        Fewer than two sources, duplicate names, an empty source, a feature dimension that
        differs from the reference's (the message names the source), a one-class reference,
        an unknown method, weight mode or proxy model; ``proxy_shapley`` with more than 12
        sources; ``n_bootstrap`` not an integer ``>= 2``; ``data_oob`` with ``n_estimators``
        not an integer ``>= 10``.
    """
    srcs = _check_sources(sources)
    ref = _check_reference(reference, srcs)
    if method not in METHODS:
        raise fail("method", f"be one of {', '.join(METHODS)}", method)
    if ntk not in ("analytic", "empirical"):
        raise fail("ntk", 'be "analytic" or "empirical"', ntk)
    kernel: NTKKind = "analytic" if ntk == "analytic" else "empirical"
    if not 0.0 < float(delta) < 1.0:
        raise fail("delta", "lie in (0, 1)", delta)
    n_seeds = check_int(n_seeds, "n_seeds", minimum=1)
    n_bootstrap = check_n_bootstrap(n_bootstrap)
    n_jobs = check_n_jobs(n_jobs)
    if method in (*PROXY_METHODS, RECOMMENDED):
        from synthmix.valuation.proxy import MAX_PROXY_SHAPLEY_SOURCES, PROXY_MODELS

        if model not in PROXY_MODELS:
            raise fail("model", f"be one of {', '.join(PROXY_MODELS)}", model)
        alpha_arr = check_positive(alpha, "alpha")
        if alpha_arr.ndim != 0:
            raise fail("alpha", "be one number", alpha)
        alpha = float(alpha_arr)
        n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
        if method == "proxy_shapley" and len(srcs) > MAX_PROXY_SHAPLEY_SOURCES:
            raise fail(
                "sources",
                f"hold at most {MAX_PROXY_SHAPLEY_SOURCES} sources for proxy_shapley (exact "
                "Shapley evaluates all 2^K coalitions)",
                len(srcs),
            )
    seq = seed_sequence(rng)
    start = time.perf_counter()
    names = list(srcs)
    codes, ref_codes, n_classes = _label_codes(srcs, ref)
    terms: dict[str, dict[str, float]] = {n: {} for n in names}
    details: dict[str, Any] = {}
    used_w: dict[str, float] = {}
    resamples = bootstrap_indices(seq, ref.n, n_bootstrap)
    counts = resample_counts(resamples, ref.n)
    unc: Uncertainty | None = None
    if progress is not None and method != RECOMMENDED:
        progress(0, 1)  # one step: these methods do not report per source
    if method == "mixture" or method in ("mmd_only", "ntk_only"):
        raw, terms, details, t2_boot = _mixture_terms(
            srcs,
            ref,
            codes,
            ref_codes,
            n_classes,
            ntk=kernel,
            n_seeds=n_seeds,
            hidden=hidden,
            mmd_estimator=mmd_estimator,
            label_aware=bool(label_aware),
            delta=float(delta),
            seq=seq,
            counts=None if method == "ntk_only" else counts,
        )
        t2_how = (
            "T2 re-estimated from kernel sums, bandwidths held"
            if mmd_estimator == "unbiased"
            else f"T2 drawn from the {mmd_estimator} MMD estimator's own standard error"
        )
        if method == "mixture":
            vals, w = combine_terms(raw, weights)
            used_w = dict(zip(TERMS, map(float, w), strict=True))
            assert t2_boot is not None
            mixed = np.empty_like(t2_boot)
            for b in range(t2_boot.shape[0]):
                rb = raw.copy()
                rb[:, 1] = t2_boot[b]
                mixed[b] = combine_terms(rb, weights)[0]  # "davinz" recomputes κ
            unc = from_bootstrap(
                mixed,
                _bootstrap_text(n_bootstrap, t2_how + "; T1, T3, T4 do not use the reference"),
            )
        elif method == "mmd_only":
            vals = -raw[:, 1]
            assert t2_boot is not None
            unc = from_bootstrap(-t2_boot, _bootstrap_text(n_bootstrap, t2_how))
        else:
            vals = -raw[:, 2]
            if kernel == "analytic":
                unc = zero(
                    vals, "exact (deterministic: the analytic NTK term does not use the reference)"
                )
            else:
                se = np.array([terms[n]["ntk_cv"] for n in names]) * raw[:, 2] / np.sqrt(n_seeds)
                unc = from_stderr(
                    vals,
                    se,
                    f"normal interval from the spread of the empirical NTK over {n_seeds} "
                    "init seeds (the term does not use the reference)",
                )
    elif method == "davinz":
        vals, terms, boot = _davinz(
            srcs,
            ref,
            codes,
            n_classes,
            ntk=kernel,
            hidden=hidden,
            n_seeds=n_seeds,
            seq=seq,
            counts=counts,
        )
        assert boot is not None
        how = "MMD re-estimated from kernel sums, width held, kappa recomputed"
        unc = from_bootstrap(boot, _bootstrap_text(n_bootstrap, how))
    elif method == "deviation":
        vals, terms = _deviation(srcs, ref, codes, n_classes, mu=float(mu), seq=seq)
        unc = zero(vals, "exact (deterministic: deviation does not use the reference)")
    elif method == "shapley":
        vals, details, unc = _shapley(
            srcs,
            ref,
            codes,
            ref_codes,
            seq=seq,
            max_permutations=max_permutations,
            counts=counts,
        )
    elif method == RECOMMENDED:
        vals, terms, details, boot = _proxy_ensemble(
            srcs,
            ref,
            codes,
            ref_codes,
            n_classes,
            alpha=float(alpha),
            resamples=resamples,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=progress,
        )
        assert boot is not None
        how = "the proxies fitted once per source, their reference predictions re-scored"
        unc = from_bootstrap(boot, _bootstrap_text(n_bootstrap, how))
    elif method in PROXY_METHODS:
        vals, terms, details, boot = _proxy(
            srcs,
            ref,
            codes,
            ref_codes,
            n_classes,
            method=method,
            model=model,
            alpha=float(alpha),
            n_neighbors=n_neighbors,
            resamples=resamples,
        )
        assert boot is not None
        how = "the coalition models fitted once, their reference predictions re-scored"
        unc = from_bootstrap(boot, _bootstrap_text(n_bootstrap, how))
    elif method in ATTRIBUTION_METHODS:
        from synthmix.valuation.attribution import attribution_values

        att = attribution_values(srcs, ref, method=method, rng=seq, **attribution_options)
        vals = np.array([att.values[n] for n in names])
        details = {"library": att.library, "peak_memory_mb": att.peak_memory_mb}
        boot = _attribution_bootstrap(att.scores, [srcs[n].n for n in names], counts)
        how = "per-reference-row attribution totals re-averaged, the model trained once"
        unc = from_bootstrap(boot, _bootstrap_text(n_bootstrap, how))
    elif method == "lava":
        from synthmix.valuation.lava import lava_values_resampled

        vals, boot = lava_values_resampled(
            list(srcs.values()), ref, counts, rng=seq, **attribution_options
        )
        terms = {n: {"ot_distance": 0.0 - float(v)} for n, v in zip(names, vals, strict=True)}
        how = "first order in the reference weights through the transport duals, no re-solve"
        unc = from_bootstrap(boot, _bootstrap_text(n_bootstrap, how))
    elif method == "data_oob":
        from synthmix.valuation.oob import data_oob_values

        oob = data_oob_values(srcs, rng=seq, **attribution_options)
        vals = oob.values
        terms = {
            n: {
                "mean_oob": float(oob.means[i]),
                "n": float(srcs[n].n),
                "n_never_oob": float(np.count_nonzero(np.isnan(oob.sample_values[oob.owner == i]))),
            }
            for i, n in enumerate(names)
        }
        details = {
            "n_estimators": oob.n_estimators,
            "learner": "sklearn RandomForestClassifier (bootstrap, max_features='sqrt', "
            "fully grown trees)",
            "random_state": oob.random_state,
            "aggregate": "sum",
            "pool_oob_accuracy": float(np.nanmean(oob.sample_values)),
        }
        unc = from_stderr(
            vals,
            oob.stderr,
            "normal interval from the spread of each source's per-sample out-of-bag values "
            "(the sum's standard error n sd / sqrt(n), ddof=1; the forest held fixed; the "
            "value does not use the reference)",
        )
    elif method == "size":
        vals = np.array([float(srcs[n].n) for n in names])
        unc = zero(vals, "exact (deterministic: no sampling)")
    elif method == "real_fraction":
        vals = np.array([1.0 - srcs[n].n_synthetic / srcs[n].n for n in names])
        unc = zero(vals, "exact (deterministic: no sampling)")
    else:  # random
        vals = np.random.default_rng(seq).standard_normal(len(names))
        unc = from_stderr(
            vals, np.ones(len(names)), "standard normal draws: stderr 1, interval value ± 1.645"
        )
    if unc is None:  # pragma: no cover - every branch above sets it
        raise AssertionError(f"no uncertainty for method {method!r}")
    if progress is not None and method != RECOMMENDED:
        progress(1, 1)
    return ValuationResult(
        values={n: float(v) for n, v in zip(names, vals, strict=True)},
        terms=terms,
        method=method,
        seconds=time.perf_counter() - start,
        weights=used_w,
        details=details,
        seed=seq.entropy,
        stderr={n: float(v) for n, v in zip(names, unc.stderr, strict=True)},
        interval={
            n: (float(lo), float(hi)) for n, lo, hi in zip(names, unc.lower, unc.upper, strict=True)
        },
        uncertainty=unc.description,
        status=unc.status,
    )
