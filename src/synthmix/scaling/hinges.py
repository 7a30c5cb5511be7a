"""Predicted hinges: where a three-segment fit of the exact curve puts its breakpoints.

The coverage breakpoints ``n1 = Z k^β/A``, ``n2 = Z (k+1)^β/π`` of
:func:`~synthmix.scaling.breakpoints` say when the last synthetic item and the first tail
item become covered. A fitted breakpoint is something else: the corner of a continuous
three-segment power law, which sits where the tangents of a smoothly bending curve cross. On the
``scaling-exact`` grid (plateaus ``n2/n1 ≥ 2``) the fitted corner of the noise-free curve is
0.4–0.9 × the coverage ``n1`` and 0.9–3 × the coverage ``n2``; the ratio depends on β and, mostly,
on the length of the plateau ``A/π`` (docs/math/scaling.md, "Coverage breakpoints and fitted
hinges"). No single constant bridges the two.

:func:`predicted_hinges` therefore predicts what the fit measures directly: it evaluates the
exact error curve ``E(n)`` of the model at the sizes of the experiment and returns the
breakpoints of its least-squares three-segment fit (:func:`~synthmix.scaling.segment_breakpoints`).
It uses the model and the sizes only, never measured errors; a fit to a measured curve estimates
the same quantity, so its intervals can be checked against it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from synthmix._types import FloatArray
from synthmix._validation import check_positive, fail
from synthmix.scaling.fit import segment_breakpoints
from synthmix.scaling.model import LongTailModel, breakpoints, expected_error

__all__ = ["HINGE_POINTS", "HINGE_SPAN", "hinge_sizes", "predicted_hinges"]

#: Default window of :func:`hinge_sizes`: from ``n1/HINGE_SPAN`` to ``HINGE_SPAN·n2``
#: (coverage breakpoints), ``HINGE_POINTS`` log-spaced sizes — the ``scaling-exact`` design.
HINGE_SPAN = 100.0
HINGE_POINTS = 60


def hinge_sizes(
    model: LongTailModel, *, span: float = HINGE_SPAN, points: int = HINGE_POINTS
) -> FloatArray:
    """Log-spaced sizes from ``n1/span`` to ``span·n2`` around the coverage breakpoints.

    Parameters
    ----------
    model : LongTailModel
        Needs a hard cut (``k`` or ``top_p``).
    span : float, default 100
        How far beyond each coverage breakpoint the window reaches (> 1).
    points : int, default 60
        Number of sizes (≥ 8).

    Returns
    -------
    ndarray, shape (points,)
    """
    if not span > 1.0:
        raise fail("span", "be a number > 1", span)
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 8:
        raise fail("points", "be an integer >= 8", points)
    n1, n2 = breakpoints(model)
    return np.logspace(np.log10(n1 / span), np.log10(n2 * span), int(points))


def predicted_hinges(model: LongTailModel, n: ArrayLike | None = None) -> FloatArray:
    """The breakpoints a three-segment fit of the model's exact curve at sizes ``n`` measures.

    Parameters
    ----------
    model : LongTailModel
        Needs a hard cut (``k`` or ``top_p``).
    n : array_like, shape (N,), optional
        The experiment's training-set sizes (> 0, at least 8 points and 6 distinct). Default:
        :func:`hinge_sizes`. The fitted corner depends on the window a little, so pass the
        sizes the measured curve has.

    Returns
    -------
    ndarray, shape (2,)
        Predicted ``(n1, n2)`` as a fit measures them, ``n1 < n2``.

    Raises
    ------
    ValidationError
        Without a hard cut, for invalid sizes, or where the exact error reaches 0 (every item
        learned) inside ``n``.

    Examples
    --------
    >>> from synthmix.scaling import LongTailModel, breakpoints
    >>> model = LongTailModel(beta=2.0, k=30, pi=0.01)
    >>> np.round(predicted_hinges(model) / np.array(breakpoints(model)), 2)
    array([0.77, 1.04])
    """
    sizes = hinge_sizes(model) if n is None else check_positive(n, "n")
    breakpoints(model)  # the same "needs a hard cut" error whatever the sizes
    error = np.asarray(expected_error(model, sizes), dtype=np.float64)
    if np.any(error <= 0.0):
        last = float(np.asarray(sizes, dtype=np.float64)[np.argmax(error <= 0.0)])
        raise fail("n", "stay below the size at which every item is learned (error 0)", last)
    return segment_breakpoints(sizes, error)
