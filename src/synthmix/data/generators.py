"""Synthetic-data generators fitted on a few real samples (spec/rmt.md, Fig 5/7 protocol).

A generator here is symmetric about the origin of the features it is fitted in — class ``y``
draws ``y·mu + N(0, cov)`` — which is the theory's model of synthetic data. Fit it in the
coordinates of a :class:`synthmix.surrogate.Surrogate` (centred at the real data's class
midpoint) and its parameters are exactly the model's ``mu_synth`` and ``cov_synth``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._random import RngLike, as_generator
from synthmix._validation import as_float_array, check_int, fail
from synthmix.pruning.noise import check_labels

__all__ = ["GaussianGenerator", "class_moments"]

FloatArray = NDArray[np.float64]
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
        cls, X: ArrayLike, y: ArrayLike, *, covariance: Covariance = "estimated"
    ) -> GaussianGenerator:
        """Fit on real samples ``X`` (n_use, d) with labels ±1.

        ``covariance="estimated"`` uses their pooled within-class covariance (rank at most
        ``n_use - 2``: a poor generator when ``n_use`` is small against ``d``);
        ``"identity"`` keeps only the means.
        """
        if covariance not in ("estimated", "identity"):
            raise fail("covariance", "be 'estimated' or 'identity'", covariance)
        mean_pos, mean_neg, cov, n_pos, n_neg = class_moments(X, y)
        mu = 0.5 * (mean_pos - mean_neg)
        if covariance == "identity":
            cov = np.eye(mu.shape[0])
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
