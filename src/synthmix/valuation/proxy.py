"""Proxy-model baselines: a cheap model fitted on sources, scored on the reference.

The *utility* of a coalition ``S`` of sources (docs/math/valuation.md, "Proxy baselines") is
the accuracy on the reference set ``V`` of a cheap model fitted on the union of the sources in
``S``:

* ``"ridge"`` — one-vs-rest least squares on one-hot labels with an unpenalised intercept and
  ridge penalty ``α``: ``W = (X_cᵀX_c + αI)⁻¹ X_cᵀY_c`` (``X_c``, ``Y_c`` centred on the
  training set), ``b = ȳ − x̄ᵀW``, prediction ``argmax(xᵀW + b)``. This is
  ``sklearn.linear_model.RidgeClassifier(alpha=α)`` (whose ±1 targets give the same argmax).
* ``"lda"`` — ``sklearn.discriminant_analysis.LinearDiscriminantAnalysis(solver="lsqr",
  shrinkage="auto")`` (Ledoit–Wolf shrinkage, closed form).
* ``"knn"`` — ``sklearn.neighbors.KNeighborsClassifier(n_neighbors=min(k, n))``, ``n`` the
  training set's size.
* ``"logistic"`` — ``sklearn.linear_model.LogisticRegression(C=1, max_iter=300)`` (L-BFGS;
  deterministic), on features standardised with the **training set's own** statistics, as a
  model trained on that data would be; the one proxy that is not closed-form.

Features are standardised with the **reference's** statistics (mean and standard deviation of
``V``'s features; a constant feature keeps scale 1), the same map for every coalition: the data
buyer holds ``V`` before buying, and a fixed map lets the ridge fit of a coalition be assembled
from per-source sums. A training set with a single class predicts that class; the empty
coalition predicts the reference's majority class (ties: the smallest label), so
``U(∅) = max_c |{v ∈ V: y_v = c}| / |V|``.

For ``"ridge"`` each source's sums ``n_i``, ``Σx``, ``Σy``, ``XᵀX`` and ``XᵀY`` are computed
once; a coalition's fit is their sum, centred (``X_cᵀX_c = XᵀX − (Σx)(Σx)ᵀ/n``) and one
``d × d`` solve, batched over coalitions. ``"lda"``, ``"knn"`` and ``"logistic"`` refit on each
coalition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from synthmix._types import BoolArray, FloatArray, IndexArray, IntArray
from synthmix._validation import fail
from synthmix.valuation.shapley import shapley_from_utilities

__all__ = [
    "MAX_PROXY_SHAPLEY_SOURCES",
    "PROXY_KINDS",
    "PROXY_MODELS",
    "ProxyValues",
    "coalition_accuracies",
    "coalition_correct",
    "proxy_values",
    "reference_standardise",
    "resampled_utilities",
]

#: Models the proxy baselines can fit (all closed-form but the logistic one).
PROXY_MODELS = ("ridge", "lda", "knn", "logistic")
#: What a proxy value is: stand-alone accuracy, leave-one-out or exact Shapley of the utility.
PROXY_KINDS = ("standalone", "loo", "shapley")
#: Exact Shapley evaluates all ``2^K`` coalitions; larger ``K`` is refused.
MAX_PROXY_SHAPLEY_SOURCES = 12
#: Bytes of batched ridge systems held at once.
_CHUNK_BYTES = 64 * 2**20
#: The logistic proxy's regularisation and iteration cap (scikit-learn's defaults; the
#: benchmark's ground truth, :mod:`synthmix.valuation.ground_truth`, retrains this same model).
_LOGISTIC_C = 1.0
_LOGISTIC_MAX_ITER = 300


@dataclass(frozen=True)
class ProxyValues:
    """Proxy values of ``K`` sources (see :func:`proxy_values`).

    Attributes
    ----------
    values : ndarray, shape (K,)
        Stand-alone accuracy, ``U(all) − U(all without i)`` or the exact Shapley value.
    utilities : ndarray, shape (K,)
        The coalition utility behind each value: ``U({i})`` (standalone),
        ``U(all without i)`` (loo), ``U({i})`` (shapley).
    utility_full, utility_empty : float
        ``U(all sources)`` and ``U(∅)`` (the reference's majority-class accuracy).
    n_evaluations : int
        Coalitions whose utility was computed (``∅`` included).
    bootstrap : ndarray, shape (B, K), or None
        The values re-scored on reference resamples (``resamples=`` of :func:`proxy_values`):
        the same fitted models, their predictions counted on the resampled rows.
    """

    values: FloatArray
    utilities: FloatArray
    utility_full: float
    utility_empty: float
    n_evaluations: int
    bootstrap: FloatArray | None = None


def reference_standardise(
    X_ref: FloatArray, *others: FloatArray
) -> tuple[FloatArray, Standardised]:
    """Standardise ``X_ref`` and ``others`` with ``X_ref``'s mean and standard deviation.

    Parameters
    ----------
    X_ref : ndarray, shape (n_ref, d)
    *others : ndarray, shape (n_j, d)

    Returns
    -------
    Z_ref : ndarray, shape (n_ref, d)
    Z_others : Standardised, a sequence of ndarray, shape (n_j, d)
        Computed when indexed (:class:`Standardised`). A feature with zero standard deviation
        on ``X_ref`` is only centred (scale 1), as ``sklearn.preprocessing.StandardScaler``
        does.
    """
    mean = X_ref.mean(axis=0)
    scale = X_ref.std(axis=0)
    scale = np.where(scale > 0.0, scale, 1.0)
    return (X_ref - mean) / scale, Standardised(others, mean, scale)


class Standardised(Sequence[FloatArray]):
    """``(X_j − mean) / scale`` for each of ``arrays``, computed when indexed.

    ``mean`` and ``scale`` (shape ``(d,)``) are public: a worker can standardise its own rows.

    Holding every source's standardised copy at once doubled the memory of a valuation (and
    more in the fits); indexed one at a time, only the source being fitted is copied.
    """

    def __init__(self, arrays: Sequence[FloatArray], mean: FloatArray, scale: FloatArray):
        self._arrays, self.mean, self.scale = list(arrays), mean, scale

    def __len__(self) -> int:
        return len(self._arrays)

    @overload
    def __getitem__(self, index: int) -> FloatArray: ...

    @overload
    def __getitem__(self, index: slice) -> list[FloatArray]: ...

    def __getitem__(self, index: int | slice) -> FloatArray | list[FloatArray]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        return np.asarray((self._arrays[index] - self.mean) / self.scale, dtype=np.float64)


def resampled_utilities(
    correct: BoolArray, masks: IntArray, y_ref: IntArray, counts: FloatArray
) -> FloatArray:
    """Coalition utilities on reference resamples, shape ``(m, B)``, without refitting.

    ``correct`` (``(m, n_ref)``, :func:`coalition_correct`) is re-scored with the row
    multiplicities ``counts`` (``(B, n_ref)``); the empty coalition's utility is the majority
    accuracy of each resample (its majority class may differ from the full reference's).
    """
    n_ref = y_ref.shape[0]
    u = correct.astype(np.float64) @ counts.T / n_ref
    empty = np.asarray(masks) == 0
    if np.any(empty):
        onehot = np.eye(int(y_ref.max()) + 1)[y_ref]  # (n_ref, C)
        u[empty] = (counts @ onehot).max(axis=1)[None, :] / n_ref
    return np.asarray(u, dtype=np.float64)


def _masks_indicator(masks: IntArray, k: int) -> FloatArray:
    return ((masks[:, None] >> np.arange(k)[None, :]) & 1).astype(np.float64)


def _ridge_correct(
    Xs: Sequence[FloatArray],
    ys: Sequence[IntArray],
    X_ref: FloatArray,
    y_ref: IntArray,
    n_classes: int,
    masks: IntArray,
    alpha: float,
) -> BoolArray:
    """Per reference row: is the ridge classifier of each non-empty coalition right, batched."""
    k, d = len(Xs), X_ref.shape[1]
    eye_c = np.eye(n_classes)
    counts = np.array([X.shape[0] for X in Xs], dtype=np.float64)
    sum_x = np.stack([X.sum(axis=0) for X in Xs])  # (K, d)
    sum_y = np.stack([eye_c[y].sum(axis=0) for y, X in zip(ys, Xs, strict=True)])  # (K, C)
    gram = np.stack([X.T @ X for X in Xs]).reshape(k, d * d)  # (K, d²)
    cross = np.stack([X.T @ eye_c[y] for X, y in zip(Xs, ys, strict=True)]).reshape(
        k, d * n_classes
    )
    per = 8 * (d * d + 2 * d * n_classes + X_ref.shape[0] * n_classes)
    chunk = max(1, _CHUNK_BYTES // per)
    out = np.empty((masks.shape[0], X_ref.shape[0]), dtype=bool)
    ridge = alpha * np.eye(d)
    for start in range(0, masks.shape[0], chunk):
        M = _masks_indicator(masks[start : start + chunk], k)  # (m, K)
        m = M.shape[0]
        n = M @ counts  # (m,)
        sx, sy = M @ sum_x, M @ sum_y  # (m, d), (m, C)
        G = (M @ gram).reshape(m, d, d) - sx[:, :, None] * sx[:, None, :] / n[:, None, None]
        H = (M @ cross).reshape(m, d, n_classes) - sx[:, :, None] * sy[:, None, :] / n[
            :, None, None
        ]
        W = np.linalg.solve(G + ridge, H)  # (m, d, C)
        b = sy / n[:, None] - np.einsum("md,mdc->mc", sx / n[:, None], W)
        scores = np.einsum("rd,mdc->mrc", X_ref, W) + b[:, None, :]
        out[start : start + m] = np.argmax(scores, axis=2) == y_ref[None, :]
    return out


def _ledoit_wolf_covariance(X: FloatArray) -> FloatArray:
    """Ledoit–Wolf shrunk covariance of one class, as scikit-learn's LDA computes it.

    ``sklearn.discriminant_analysis._cov(X, "auto")``: features standardised (population
    standard deviation; a constant feature, by scikit-learn's rounding-aware test, at scale
    1), the Ledoit–Wolf estimate ``(1 − s)·S + s·(tr S/d)·I`` of their covariance
    ``S = ZᵀZ/n`` with the shrinkage ``s`` of ``sklearn.covariance.ledoit_wolf_shrinkage``,
    then rescaled to the original units.
    """
    n, d = X.shape
    mean = X.mean(axis=0)
    centred = X - mean
    var = np.mean(centred**2, axis=0)
    # scikit-learn's constant-feature test (``_is_constant_feature``): rounding noise of a
    # feature whose values are all equal must not be blown up to unit variance
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    scale = np.where(constant, 1.0, np.sqrt(var))
    Z = centred / scale
    gram = Z.T @ Z
    emp = gram / n
    shrink = 0.0
    if d > 1:
        Z2 = Z * Z
        trace = Z2.sum(axis=0) / n
        mu = trace.sum() / d
        delta_ = float(np.sum(gram**2)) / n**2
        beta = (float(np.sum(Z2.T @ Z2)) / n - delta_) / (d * n)
        delta = (delta_ - 2.0 * mu * trace.sum() + d * mu**2) / d
        beta = min(beta, delta)
        shrink = 0.0 if beta == 0 else beta / delta
        emp = (1.0 - shrink) * emp
        emp[np.diag_indices(d)] += shrink * mu
    return np.asarray(scale[:, None] * emp * scale[None, :])


def _lda_predict(X: FloatArray, y: IntArray, X_ref: FloatArray) -> IntArray:
    """Shrinkage LDA fitted on ``(X, y)``, predicting ``X_ref``: the ``lsqr`` solver of
    ``LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")`` in plain numpy (equal
    predictions, about 10× less overhead on the small fits the proxies make)."""
    classes, inv = np.unique(y, return_inverse=True)
    priors = np.bincount(inv) / y.shape[0]
    means = np.stack([X[inv == k].mean(axis=0) for k in range(classes.shape[0])])
    cov = sum(
        (priors[k] * _ledoit_wolf_covariance(X[inv == k]) for k in range(classes.shape[0])),
        start=np.zeros((X.shape[1], X.shape[1])),
    )
    coef = np.linalg.lstsq(cov, means.T, rcond=None)[0].T  # (C_k, d)
    intercept = -0.5 * np.einsum("kd,kd->k", means, coef) + np.log(priors)
    return np.asarray(classes[np.argmax(X_ref @ coef.T + intercept, axis=1)])


def _logistic_predict(X: FloatArray, y: IntArray, X_ref: FloatArray) -> IntArray:
    """Logistic regression on ``(X, y)`` standardised with their own statistics
    (``StandardScaler``: a feature constant up to round-off — a reference-standardised pixel
    that is 0 on every training row comes out as ~1e-17 — is only centred), predicting
    ``X_ref``."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    clf = LogisticRegression(C=_LOGISTIC_C, max_iter=_LOGISTIC_MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(scaler.transform(X), y)
    return np.asarray(clf.predict(scaler.transform(X_ref)))


def _refit_correct(
    X: FloatArray, y: IntArray, X_ref: FloatArray, y_ref: IntArray, model: str, n_neighbors: int
) -> BoolArray:
    from sklearn.neighbors import KNeighborsClassifier

    present = np.unique(y)
    if present.shape[0] == 1:
        return np.asarray(y_ref == present[0])
    if model == "lda":
        return np.asarray(_lda_predict(X, y, X_ref) == y_ref)
    if model == "logistic":
        return np.asarray(_logistic_predict(X, y, X_ref) == y_ref)
    clf = KNeighborsClassifier(n_neighbors=min(n_neighbors, X.shape[0]))
    clf.fit(X, y)
    return np.asarray(clf.predict(X_ref) == y_ref)


def coalition_correct(
    Xs: Sequence[FloatArray],
    ys: Sequence[IntArray],
    X_ref: FloatArray,
    y_ref: IntArray,
    n_classes: int,
    masks: IntArray,
    *,
    model: str = "ridge",
    alpha: float = 1.0,
    n_neighbors: int = 5,
) -> BoolArray:
    """Per reference row, whether the proxy model of each coalition classifies it right.

    Inputs as :func:`coalition_accuracies`, whose utilities are the row means of this matrix.
    The empty coalition (mask 0) predicts the reference's majority class (ties: the smallest
    label).

    Returns
    -------
    ndarray of bool, shape (m, n_ref)
    """
    masks = np.asarray(masks, dtype=np.int64)
    majority = int(np.argmax(np.bincount(y_ref)))
    out = np.empty((masks.shape[0], y_ref.shape[0]), dtype=bool)
    out[:] = (y_ref == majority)[None, :]
    live = np.flatnonzero(masks != 0)
    if live.size == 0:
        return out
    if model == "ridge":
        out[live] = _ridge_correct(Xs, ys, X_ref, y_ref, n_classes, masks[live], alpha)
        return out
    for j in live:
        members = [i for i in range(len(Xs)) if masks[j] >> i & 1]
        X = np.vstack([Xs[i] for i in members])
        y = np.concatenate([ys[i] for i in members])
        out[j] = _refit_correct(X, y, X_ref, y_ref, model, n_neighbors)
    return out


def coalition_accuracies(
    Xs: Sequence[FloatArray],
    ys: Sequence[IntArray],
    X_ref: FloatArray,
    y_ref: IntArray,
    n_classes: int,
    masks: IntArray,
    *,
    model: str = "ridge",
    alpha: float = 1.0,
    n_neighbors: int = 5,
) -> FloatArray:
    """Utility ``U(S)`` (reference accuracy of the proxy model fitted on ``S``) of coalitions.

    Parameters
    ----------
    Xs : sequence of K ndarrays, shape (n_i, d)
        Each source's features, already standardised (:func:`reference_standardise`).
    ys : sequence of K ndarrays of int, shape (n_i,)
        Labels coded ``0..n_classes−1``.
    X_ref : ndarray, shape (n_ref, d)
        Standardised reference features.
    y_ref : ndarray of int, shape (n_ref,)
    n_classes : int
    masks : ndarray of int, shape (m,)
        Coalitions as bitmasks: bit ``i`` set = source ``i`` in the coalition; 0 is ``∅``.
    model : {"ridge", "lda", "knn"}
    alpha : float
        Ridge penalty (``"ridge"``).
    n_neighbors : int
        Neighbours (``"knn"``), capped at the training set's size.

    Returns
    -------
    ndarray, shape (m,)
    """
    correct = coalition_correct(
        Xs, ys, X_ref, y_ref, n_classes, masks, model=model, alpha=alpha, n_neighbors=n_neighbors
    )
    return np.asarray(correct.mean(axis=1), dtype=np.float64)


def proxy_values(
    Xs: Sequence[FloatArray],
    ys: Sequence[IntArray],
    X_ref: FloatArray,
    y_ref: IntArray,
    n_classes: int,
    *,
    kind: str = "standalone",
    model: str = "ridge",
    alpha: float = 1.0,
    n_neighbors: int = 5,
    resamples: IndexArray | None = None,
    pooled: bool = True,
) -> ProxyValues:
    """Values of ``K`` sources under the proxy utility (inputs as :func:`coalition_accuracies`).

    ``kind="standalone"``: ``U({i})``; ``"loo"``: ``U(all) − U(all without i)``;
    ``"shapley"``: exact Shapley over all ``2^K`` coalitions (``K <= 12``). ``pooled=False``
    (stand-alone only) skips the model on all sources pooled, whose LDA / k-NN fit would copy
    every row at once; ``utility_full`` is then NaN.

    ``resamples`` (``(B, n_ref)`` reference row indices): also return the values on each
    resample of the reference, from the same coalition models' per-row correctness (no refit;
    Shapley is linear in the utilities, so each resample is one
    :func:`~synthmix.valuation.shapley.shapley_from_utilities` over the re-scored table).

    Returns
    -------
    ProxyValues
    """
    if kind not in PROXY_KINDS:
        raise fail("kind", f"be one of {', '.join(PROXY_KINDS)}", kind)
    if model not in PROXY_MODELS:
        raise fail("model", f"be one of {', '.join(PROXY_MODELS)}", model)
    k = len(Xs)
    full = (1 << k) - 1
    singles = 1 << np.arange(k, dtype=np.int64)
    if kind == "shapley":
        if k > MAX_PROXY_SHAPLEY_SOURCES:
            raise fail(
                "sources",
                f"hold at most {MAX_PROXY_SHAPLEY_SOURCES} sources for exact proxy Shapley "
                "(2^K coalitions)",
                k,
            )
        masks = np.arange(1 << k, dtype=np.int64)
    elif kind == "loo":
        masks = np.concatenate([[0, full], full ^ singles])
    elif pooled:
        masks = np.concatenate([[0, full], singles])
    else:
        masks = np.concatenate([[0, 0], singles])  # row 1 stands in for the pooled model
    correct = coalition_correct(
        Xs, ys, X_ref, y_ref, n_classes, masks, model=model, alpha=alpha, n_neighbors=n_neighbors
    )
    u = np.asarray(correct.mean(axis=1), dtype=np.float64)
    if kind == "shapley":
        values, used = shapley_from_utilities(u), u[singles]
    elif kind == "loo":
        used = u[2:]
        values = u[1] - used
    else:
        values = used = u[2:]
    boot = None
    if resamples is not None:
        from synthmix.valuation.uncertainty import resample_counts

        ub = resampled_utilities(correct, masks, y_ref, resample_counts(resamples, y_ref.shape[0]))
        if kind == "shapley":
            boot = shapley_from_utilities(ub).T
        elif kind == "loo":
            boot = (ub[1][None, :] - ub[2:]).T
        else:
            boot = ub[2:].T
    return ProxyValues(
        values=np.asarray(values, dtype=np.float64),
        utilities=np.asarray(used, dtype=np.float64),
        utility_full=float(u[full] if kind == "shapley" else u[1] if pooled else math.nan),
        utility_empty=float(u[0]),
        n_evaluations=int(masks.shape[0]),
        bootstrap=None if boot is None else np.asarray(boot, dtype=np.float64),
    )
