"""The ridge classifier of docs/math/rmt.md ("Classifier"), from its sufficient statistics."""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import NDArray
from scipy.special import ndtr

__all__ = ["score_ridge", "solve_ridge"]


def solve_ridge(
    gram: NDArray[np.float64], rhs: NDArray[np.float64], n_total: int, gamma: float
) -> NDArray[np.float64]:
    """``w = (G/N + γI)⁻¹ b/N`` from ``G = Σ xxᵀ`` and ``b = Σ label·x`` over the kept samples.

    Parameters
    ----------
    gram : ndarray, shape (p, p)
        Sum of outer products of the training samples actually used (pruned ones excluded).
    rhs : ndarray, shape (p,)
        Sum of label-weighted samples.
    n_total : int
        ``N = n + m``: every drawn sample counts, pruned or not (the theory's normalisation).
    gamma : float
        Ridge penalty ``γ > 0``.

    Returns
    -------
    ndarray, shape (p,)
    """
    a = gram / n_total
    a[np.diag_indices_from(a)] += gamma
    return scipy.linalg.solve(a, rhs / n_total, assume_a="pos")


def score_ridge(
    w: NDArray[np.float64], Z: NDArray[np.float64], y: NDArray[np.int64]
) -> tuple[float, float]:
    """Measured accuracy of ``sign(Z w)`` on labels ``y``, and what Gaussian scores would give.

    The second is the theorem's own formula ``Φ(M/√(V − M²))`` applied to the measured
    ``M = mean(y·s)`` and ``V = mean(s²)`` of the scores ``s = Z w`` (1/2 when ``V = M²``):
    where it matches the prediction but not the measured accuracy, the scores' distribution
    (not their moments) breaks the theory.

    Parameters
    ----------
    w : ndarray, shape (p,)
    Z : ndarray, shape (n, p)
        Test features.
    y : ndarray, shape (n,)
        Test labels ±1.
    """
    s = Z @ w
    mean, second = float(np.mean(y * s)), float(np.mean(s * s))
    var = second - mean**2
    gauss = float(ndtr(mean / np.sqrt(var))) if var > 0 else 0.5
    return float(np.mean(np.sign(s) == y)), gauss
