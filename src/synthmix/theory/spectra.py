"""The Marchenko–Pastur law (docs/math/rmt.md, "Generator estimated from n̂ real samples").

The sample covariance ``(1/n̂) Z Zᵀ`` of ``n̂`` white Gaussian vectors in dimension ``p`` has,
as ``p, n̂ → ∞`` with ``p/n̂ → c``, the Marchenko–Pastur spectrum of ratio ``c``: a density on
``[(1-√c)², (1+√c)²]`` and, when ``c > 1``, a point mass ``1 - 1/c`` at zero.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from synthmix._types import FloatArray
from synthmix._validation import as_float_array, check_int, check_positive

__all__ = ["marchenko_pastur_density", "marchenko_pastur_quantiles", "marchenko_pastur_support"]


_GRID = 8193  # points of the angular grid used to tabulate the CDF


def marchenko_pastur_support(ratio: float) -> tuple[float, float]:
    """Edges ``((1-√c)², (1+√c)²)`` of the continuous part for ratio ``c = p/n̂``."""
    c = float(check_positive(ratio, "ratio"))
    return (1.0 - np.sqrt(c)) ** 2, (1.0 + np.sqrt(c)) ** 2


def marchenko_pastur_density(x: ArrayLike, ratio: float) -> FloatArray:
    """Density of the continuous part at ``x`` (integrates to ``min(1, 1/c)``).

    Parameters
    ----------
    x : array_like
        Points where to evaluate.
    ratio : float
        ``c = p / n̂ > 0``.

    Returns
    -------
    ndarray, same shape as ``x``
        ``sqrt((b - x)(x - a)) / (2π c x)`` inside ``[a, b]``, zero outside.
    """
    c = float(check_positive(ratio, "ratio"))
    xs = as_float_array(x, "x")
    a, b = marchenko_pastur_support(c)
    inside = (xs > a) & (xs < b) & (xs > 0)
    out = np.zeros_like(xs)
    xi = xs[inside]
    out[inside] = np.sqrt((b - xi) * (xi - a)) / (2.0 * np.pi * c * xi)
    return out


def marchenko_pastur_quantiles(p: int, ratio: float) -> FloatArray:
    """``p`` eigenvalues placed at the mid-quantiles ``(k - 1/2)/p`` of the law.

    This is the deterministic stand-in for the spectrum of a ``p × p`` sample covariance of
    ratio ``c = p/n̂`` (including ``⌊p(1 - 1/c)⌉``-many zeros when ``c > 1``).

    Parameters
    ----------
    p : int
        Number of eigenvalues.
    ratio : float
        ``c = p / n̂``.

    Returns
    -------
    ndarray, shape (p,)
        Non-decreasing eigenvalues; their mean is 1 up to quadrature error (< 1e-6).

    Notes
    -----
    With ``x = (1 + c) - 2√c cos θ`` the density becomes the smooth integrand
    ``2 sin²θ / (π x)`` in θ ∈ [0, π]; the CDF is tabulated with the trapezoid rule on a fine
    θ grid (spectrally accurate for this integrand) and inverted by interpolation.
    """
    p = check_int(p, "p", minimum=1)
    c = float(check_positive(ratio, "ratio"))
    theta = np.linspace(0.0, np.pi, _GRID)
    x = (1.0 + c) - 2.0 * np.sqrt(c) * np.cos(theta)
    with np.errstate(invalid="ignore", divide="ignore"):
        integrand = 2.0 * np.sin(theta) ** 2 / (np.pi * x)
    # c = 1 puts the lower edge at 0: there sin²θ / x → 1 as θ → 0.
    integrand[x <= 0] = 2.0 / np.pi
    cdf = np.concatenate(
        [[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(theta))]
    )
    cdf *= min(1.0, 1.0 / c) / cdf[-1]  # exact total mass of the continuous part
    atom = max(0.0, 1.0 - 1.0 / c)
    levels = (np.arange(p) + 0.5) / p
    out = np.zeros(p)
    cont = levels > atom
    out[cont] = np.interp(levels[cont] - atom, cdf, x)
    return out
