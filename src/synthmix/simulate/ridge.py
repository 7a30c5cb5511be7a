"""The ridge classifier of docs/math/rmt.md ("Classifier"), from its sufficient statistics."""

from __future__ import annotations

import numpy as np
import scipy.linalg.lapack
from numpy.typing import NDArray
from scipy.special import ndtr

__all__ = ["score_ridge", "solve_ridge"]


def solve_ridge(
    gram: NDArray[np.float64], rhs: NDArray[np.float64], n_total: int, gamma: float
) -> NDArray[np.float64]:
    """``w = (G/N + γI)⁻¹ b/N`` from ``G = Σ xxᵀ`` and ``b = Σ label·x`` over the kept samples.

    One LAPACK ``posv`` (Cholesky factor and solve) on the upper triangle of ``G/N + γI``:
    ``scipy.linalg.solve`` adds a condition estimate and copies that cost 60 % more at p = 400,
    and the matrix is positive definite by construction (``γ > 0``).

    Parameters
    ----------
    gram : ndarray, shape (p, p)
        Sum of outer products of the training samples actually used (pruned ones excluded).
        Only its upper triangle (``gram[i, j]``, ``j ≥ i``) is read.
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
    # posv reads column-major storage: a C-ordered array is its transpose there, so the
    # upper triangle of `gram` is the lower triangle that LAPACK sees
    fortran = a.flags.f_contiguous
    _, w, info = scipy.linalg.lapack.dposv(
        a if fortran else a.T, rhs / n_total, lower=0 if fortran else 1, overwrite_a=True
    )
    if info != 0:
        raise np.linalg.LinAlgError(f"ridge system not positive definite (LAPACK info {info})")
    return np.asarray(w)


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
