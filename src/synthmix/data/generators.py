"""Class-conditional Gaussian generators fitted on a few real samples (docs/math/rmt.md).

One family, three members:

- :class:`GaussianGenerator` — binary and symmetric about the origin of the features it is
  fitted in: class ``y = ±1`` draws ``y·mu + N(0, cov)`` with one pooled covariance, which is
  the theory's model of synthetic data (Fig 5/7 protocol). Fit it in the coordinates of a
  :class:`synthmix.surrogate.Surrogate` (centred at the real data's class midpoint) and its
  parameters are exactly the model's ``mu_synth`` and ``cov_synth``.
- :class:`GMMGenerator` — binary, a Gaussian *mixture* per class (a richer, non-Gaussian
  generator) with :meth:`GMMGenerator.moment_matched` back to the first member.
- :class:`ClassGaussians` — any number of classes, one Gaussian per class with a full
  covariance factor or per-coordinate scales; fitted by :func:`shrunk_class_gaussians`
  (full covariances shrunk toward the pooled one, for few samples per class) or
  :func:`diagonal_class_gaussians` (per-coordinate variances). The valuation markets and the
  learned scaling worlds draw their synthetic data from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._random import RngLike, as_generator
from synthmix._types import FloatArray
from synthmix._validation import as_float_array, check_int, check_labels, fail

__all__ = [
    "ClassGaussians",
    "GMMGenerator",
    "GaussianGenerator",
    "class_moments",
    "diagonal_class_gaussians",
    "shrunk_class_gaussians",
]

Covariance = Literal["estimated", "identity"]


def class_moments(
    X: ArrayLike, y: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, int, int]:
    """Class means and pooled within-class covariance of a binary (±1) sample.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Labels in {-1, +1}, at least two of each.

    Returns
    -------
    mean_pos, mean_neg : ndarray, shape (d,)
    cov : ndarray, shape (d, d)
        Pooled within-class covariance, unbiased (divided by ``n - 2``).
    n_pos, n_neg : int
    """
    X = as_float_array(X, "X")
    if X.ndim != 2:
        raise fail("X", "be a 2-D array (n, d)", f"shape {X.shape}")
    labels = check_labels(y, "y", size=X.shape[0])
    pos, neg = labels > 0, labels < 0
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    if min(n_pos, n_neg) < 2:
        raise fail(
            "y", "contain at least two samples of each class", f"{n_pos} positive, {n_neg} negative"
        )
    mean_pos, mean_neg = X[pos].mean(axis=0), X[neg].mean(axis=0)
    resid = X - np.where(pos[:, None], mean_pos, mean_neg)
    cov = resid.T @ resid / (X.shape[0] - 2)
    return mean_pos, mean_neg, cov, n_pos, n_neg


@dataclass(frozen=True, eq=False)
class GaussianGenerator:
    """Class-conditional Gaussian generator ``x = y·mu + N(0, cov)``, ``y = ±1`` balanced.

    Attributes
    ----------
    mu : ndarray, shape (d,)
        Half the difference of the fitted class means.
    cov : ndarray, shape (d, d)
        Pooled within-class covariance of the fitting samples, or ``I_d``.
    covariance : {"estimated", "identity"}
    n_fit : int
        Real samples it was fitted on (0 when built directly).
    """

    mu: FloatArray
    cov: FloatArray
    covariance: Covariance = "estimated"
    n_fit: int = 0
    _factor: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        mu = as_float_array(self.mu, "mu")
        if mu.ndim != 1:
            raise fail("mu", "be a 1-D vector", f"shape {mu.shape}")
        cov = as_float_array(self.cov, "cov")
        if cov.shape != (mu.shape[0], mu.shape[0]):
            raise fail("cov", f"have shape ({mu.shape[0]}, {mu.shape[0]})", f"shape {cov.shape}")
        vals, vecs = np.linalg.eigh(0.5 * (cov + cov.T))
        if vals[0] < -1e-10 * max(abs(vals[-1]), 1e-300):
            raise fail(
                "cov", "be positive semi-definite", f"a matrix with eigenvalue {vals[0]:.3g}"
            )
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "_factor", vecs * np.sqrt(np.clip(vals, 0.0, None)))

    @classmethod
    def fit(
        cls,
        X: ArrayLike,
        y: ArrayLike,
        *,
        covariance: Covariance = "estimated",
        fold_offset: bool = False,
    ) -> GaussianGenerator:
        """Fit on samples ``X`` (n_use, d) with labels ±1.

        ``covariance="estimated"`` uses their pooled within-class covariance (rank at most
        ``n_use - 2``: a poor generator when ``n_use`` is small against ``d``);
        ``"identity"`` keeps only the means.

        ``fold_offset=True`` is for samples that really are synthetic (a generator's output,
        read from a file): their class midpoint ``b`` need not sit at the origin (the real
        data's midpoint in surrogate coordinates). The theorem sees synthetic data only
        through ``E[y·x] = μ_s`` and ``E[xxᵀ] = μ_sμ_sᵀ + C + bbᵀ`` (a constant offset changes
        δ_s by O(1/N)), so the offset is folded into the covariance as ``bbᵀ``: the result
        is moment-equivalent for prediction, not a sampler of the original distribution.
        """
        if covariance not in ("estimated", "identity"):
            raise fail("covariance", "be 'estimated' or 'identity'", covariance)
        mean_pos, mean_neg, cov, n_pos, n_neg = class_moments(X, y)
        mu = 0.5 * (mean_pos - mean_neg)
        if covariance == "identity":
            cov = np.eye(mu.shape[0])
        if fold_offset:
            offset = 0.5 * (mean_pos + mean_neg)
            cov = cov + np.outer(offset, offset)
        return cls(mu=mu, cov=cov, covariance=covariance, n_fit=n_pos + n_neg)

    @property
    def d(self) -> int:
        """Dimension."""
        return int(self.mu.shape[0])

    def sample(self, m: int, *, rng: RngLike = None) -> tuple[FloatArray, NDArray[np.int64]]:
        """Draw ``m`` samples with their true labels.

        Returns
        -------
        X : ndarray, shape (m, d)
        y : ndarray, shape (m,)
            True labels ±1 (flip them with :func:`synthmix.pruning.flip_labels`).
        """
        m = check_int(m, "m", minimum=0)
        gen = as_generator(rng)
        y = gen.integers(0, 2, m) * 2 - 1
        X = np.outer(y, self.mu) + gen.standard_normal((m, self.d)) @ self._factor.T
        return X, y.astype(np.int64)


@dataclass(frozen=True, eq=False)
class GMMGenerator:
    """Class-conditional Gaussian *mixture* generator: a richer, non-Gaussian generator.

    Each class is a mixture of ``n_components`` Gaussians (scikit-learn's EM, full
    covariances, regularised by ``reg_covar``) fitted on that class's samples. Sampling uses
    the caller's ``rng``; :meth:`moment_matched` gives the Gaussian generator with the same
    first two moments, which is what the theory sees (it depends on synthetic data only through
    ``E[y·x]`` and ``E[xxᵀ]``).

    Attributes
    ----------
    weights : ndarray, shape (2, K)
        Component weights of class +1 (row 0) and class -1 (row 1).
    means : ndarray, shape (2, K, d)
    factors : ndarray, shape (2, K, d, d)
        Cholesky factors of the component covariances.
    n_fit : int
    """

    weights: FloatArray
    means: FloatArray
    factors: FloatArray
    n_fit: int = 0

    @classmethod
    def fit(
        cls,
        X: ArrayLike,
        y: ArrayLike,
        *,
        n_components: int = 3,
        reg_covar: float = 1e-3,
        rng: RngLike = 0,
    ) -> GMMGenerator:
        """Fit one mixture per class on samples ``X`` (n, d) with labels ±1."""
        from sklearn.mixture import GaussianMixture

        X = as_float_array(X, "X")
        labels = check_labels(y, "y", size=X.shape[0] if X.ndim == 2 else None)
        k = check_int(n_components, "n_components", minimum=1)
        seeds = as_generator(rng).integers(0, 2**31 - 1, size=2)
        weights, means, factors = [], [], []
        for cls_label, seed in zip((1, -1), seeds, strict=True):
            part = X[labels == cls_label]
            if part.shape[0] < k:
                raise fail(
                    "n_components", f"be at most the samples of each class ({part.shape[0]})", k
                )
            gm = GaussianMixture(
                k, covariance_type="full", reg_covar=reg_covar, random_state=int(seed)
            )
            gm.fit(part)
            weights.append(gm.weights_)
            means.append(gm.means_)
            factors.append(np.linalg.cholesky(gm.covariances_))
        return cls(np.array(weights), np.array(means), np.array(factors), n_fit=int(X.shape[0]))

    @property
    def d(self) -> int:
        """Dimension."""
        return int(self.means.shape[2])

    def sample(self, m: int, *, rng: RngLike = None) -> tuple[FloatArray, NDArray[np.int64]]:
        """Draw ``m`` samples with their true labels (balanced ±1), like the Gaussian one."""
        m = check_int(m, "m", minimum=0)
        gen = as_generator(rng)
        y = (gen.integers(0, 2, m) * 2 - 1).astype(np.int64)
        row = (y < 0).astype(int)  # class +1 -> row 0
        comp = np.empty(m, dtype=int)
        for r in (0, 1):
            sel = row == r
            comp[sel] = gen.choice(self.weights.shape[1], size=int(sel.sum()), p=self.weights[r])
        z = gen.standard_normal((m, self.d))
        X = self.means[row, comp] + np.einsum("nij,nj->ni", self.factors[row, comp], z)
        return X, y

    def moment_matched(self) -> GaussianGenerator:
        """The Gaussian generator with the same ``E[y·x]`` and ``E[xxᵀ]`` (offset folded in)."""
        covs = self.factors @ np.swapaxes(self.factors, -1, -2)  # (2, K, d, d)
        class_mean = np.einsum("rk,rkd->rd", self.weights, self.means)
        within = []
        for r in (0, 1):
            spread = self.means[r] - class_mean[r]
            within.append(
                np.einsum("k,kij->ij", self.weights[r], covs[r])
                + np.einsum("k,ki,kj->ij", self.weights[r], spread, spread)
            )
        offset = 0.5 * (class_mean[0] + class_mean[1])
        cov = 0.5 * (within[0] + within[1]) + np.outer(offset, offset)
        # the two classes' covariances may differ; the pooled one is their average, which is
        # what E[xxᵀ] over balanced classes contains
        mu = 0.5 * (class_mean[0] - class_mean[1])
        return GaussianGenerator(mu=mu, cov=cov, covariance="estimated", n_fit=self.n_fit)


@dataclass(frozen=True, eq=False)
class ClassGaussians:
    """One Gaussian per class: ``x | c ~ N(means[c], Σ_c)``, ``C`` classes in dimension ``d``.

    Exactly one of ``factors`` (``Σ_c = F_c F_cᵀ``) and ``scales`` (``Σ_c = diag(scales[c]²)``)
    is given.

    Attributes
    ----------
    means : ndarray, shape (C, d)
    factors : ndarray, shape (C, d, d), or None
        Full covariance factors.
    scales : ndarray, shape (C, d), or None
        Per-coordinate standard deviations.
    """

    means: FloatArray
    factors: FloatArray | None = None
    scales: FloatArray | None = None

    def __post_init__(self) -> None:
        means = as_float_array(self.means, "means")
        if means.ndim != 2:
            raise fail("means", "be a 2-D array (classes, d)", f"shape {means.shape}")
        if (self.factors is None) == (self.scales is None):
            raise fail("factors", "be given exactly when scales is not", "both or neither")
        if self.factors is not None:
            factors = as_float_array(self.factors, "factors")
            if factors.shape != (*means.shape, means.shape[1]):
                raise fail("factors", f"have shape {(*means.shape, means.shape[1])}", factors.shape)
            object.__setattr__(self, "factors", factors)
        elif self.scales is not None:
            scales = as_float_array(self.scales, "scales")
            if scales.shape != means.shape:
                raise fail("scales", f"have shape {means.shape}", scales.shape)
            object.__setattr__(self, "scales", scales)
        object.__setattr__(self, "means", means)

    def sample_by_class(self, counts: ArrayLike, rng: RngLike = None) -> FloatArray:
        """``counts[c]`` draws of class ``c``, grouped by class in order; shape (sum, d)."""
        gen = as_generator(rng)
        d = self.means.shape[1]
        parts = [
            self._draw_class(c, gen.standard_normal((int(m), d)))
            for c, m in enumerate(np.asarray(counts))
        ]
        return np.concatenate(parts, axis=0)

    def draw(self, classes: NDArray[np.int64], noise: FloatArray) -> FloatArray:
        """Draws of the given ``classes`` (n,) from standard-normal ``noise`` (n, d)."""
        if self.scales is not None:
            return np.asarray(self.means[classes] + self.scales[classes] * noise)
        assert self.factors is not None
        spread = np.einsum("nij,nj->ni", self.factors[classes], noise)
        return np.asarray(self.means[classes] + spread)

    def _draw_class(self, c: int, noise: FloatArray) -> FloatArray:
        """Draws of class ``c`` alone from ``noise`` (n, d): one factor, no per-row gather."""
        if self.scales is not None:
            return np.asarray(self.means[c] + self.scales[c] * noise)
        assert self.factors is not None
        return np.asarray(self.means[c] + noise @ self.factors[c].T)


def shrunk_class_gaussians(
    groups: Sequence[FloatArray], *, prior_shrink: float, cov_scale: float = 1.0
) -> tuple[ClassGaussians, FloatArray]:
    """Per-class Gaussians from few samples per class, covariances shrunk twice.

    The pooled within-class covariance ``S`` (divided by ``n - C``) is shrunk toward its
    diagonal with weight ``λ = d / (d + n)`` and ridged by ``1e-6·tr(S)/d``; class ``c``'s
    covariance is then ``(Z_cᵀZ_c + s·S) / (n_c + s)`` with ``s = prior_shrink`` (a conjugate
    prior centred on ``S``), scaled by ``cov_scale``.

    Parameters
    ----------
    groups : sequence of ndarray, each of shape (n_c, d)
        The samples of each class, in class order.
    prior_shrink : float
        Pseudo-count ``s`` of the pooled covariance in each class's estimate (> 0).
    cov_scale : float, default 1
        Factor on every covariance (> 0; above 1 is a blurrier generator).

    Returns
    -------
    gaussians : ClassGaussians
        With full ``factors``.
    pooled : ndarray, shape (d, d)
        The shrunk pooled covariance ``S``.
    """
    means = np.stack([z.mean(axis=0) for z in groups])
    centred = [z - m for z, m in zip(groups, means, strict=True)]
    n_fit = sum(z.shape[0] for z in groups)
    n_cls, k = means.shape
    pooled = sum(z.T @ z for z in centred) / max(n_fit - n_cls, 1)
    lam = k / (k + n_fit)  # shrink the pooled covariance toward its diagonal
    pooled = (1.0 - lam) * pooled + lam * np.diag(np.diag(pooled))
    pooled += 1e-6 * np.trace(pooled) / k * np.eye(k)
    factors = np.empty((n_cls, k, k))
    for c, z in enumerate(centred):
        n_c = z.shape[0]
        cov = (z.T @ z + prior_shrink * pooled) / (n_c + prior_shrink)
        w, v = np.linalg.eigh(cov_scale * cov)
        factors[c] = v * np.sqrt(np.clip(w, 0.0, None))
    return ClassGaussians(means, factors=factors), np.asarray(pooled)


def diagonal_class_gaussians(
    X: FloatArray, classes: NDArray[np.int64], n_classes: int, *, fallback_variance: float
) -> tuple[ClassGaussians, NDArray[np.int64]]:
    """Per-class means and per-coordinate variances of labelled samples.

    A class with at least two samples gets its own unbiased variances; the others get the
    pooled within-class variances (``fallback_variance`` in every coordinate when no class
    has two samples). A class without samples has mean 0.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    classes : ndarray of int, shape (n,)
        Class of each sample, in ``[0, n_classes)``.
    n_classes : int
    fallback_variance : float

    Returns
    -------
    gaussians : ClassGaussians
        With per-coordinate ``scales``.
    counts : ndarray of int64, shape (n_classes,)
        Samples per class.
    """
    K, d = n_classes, X.shape[1]
    counts = np.bincount(classes, minlength=K).astype(np.int64)
    sums = np.zeros((K, d))
    np.add.at(sums, classes, X)
    seen = counts > 0
    means = np.zeros((K, d))
    means[seen] = sums[seen] / counts[seen, None]
    sq = np.zeros((K, d))
    np.add.at(sq, classes, (X - means[classes]) ** 2)
    multi = counts > 1
    if np.any(multi):
        pooled = np.sum(sq[multi], axis=0) / np.sum(counts[multi] - 1)
    else:
        pooled = np.full(d, fallback_variance)
    var = np.tile(pooled, (K, 1))
    var[multi] = sq[multi] / (counts[multi, None] - 1)
    return ClassGaussians(means, scales=np.sqrt(var)), counts
