"""Binary ±1 labels and random label noise (docs/math/rmt.md, "Label noise")."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from synthmix._random import RngLike, as_generator
from synthmix._types import BoolArray, IntArray
from synthmix._validation import check_labels, check_probability, fail

__all__ = ["flip_labels"]


def flip_labels(y: ArrayLike, epsilon: float, *, rng: RngLike = None) -> tuple[IntArray, BoolArray]:
    """Flip each ±1 label independently with probability ``epsilon``.

    The model of docs/math/rmt.md: every synthetic label is flipped by its own coin, so which
    samples are flipped does not depend on their order (unlike the paper's public code, which
    flipped a deterministic block).

    Parameters
    ----------
    y : array_like, shape (m,)
        Clean labels in {-1, +1}.
    epsilon : float
        Flip probability, in [0, 1].
    rng : None, int, SeedSequence or numpy Generator, optional
        Source of the coin flips.

    Returns
    -------
    y_noisy : ndarray of int64, shape (m,)
        ``-y`` where flipped, ``y`` elsewhere.
    flipped : ndarray of bool, shape (m,)
        Which labels were flipped.

    Examples
    --------
    >>> y_noisy, flipped = flip_labels([1, -1, 1, 1], 0.0, rng=0)
    >>> y_noisy.tolist(), flipped.any()
    ([1, -1, 1, 1], np.False_)
    """
    labels = check_labels(y, "y")
    eps_arr = check_probability(epsilon, "epsilon")
    if eps_arr.ndim != 0:
        raise fail("epsilon", "be a scalar probability", epsilon)
    eps = float(eps_arr)
    gen = as_generator(rng)
    flipped: BoolArray = np.less(gen.random(labels.shape[0]), eps)
    y_noisy: IntArray = np.where(flipped, -labels, labels)
    return y_noisy, flipped
