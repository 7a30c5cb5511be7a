"""The ridge classifier of docs/math/rmt.md ("Classifier"), from its sufficient statistics."""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

__all__ = ["solve_ridge"]


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
