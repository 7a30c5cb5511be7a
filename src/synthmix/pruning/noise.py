"""Random label noise, binary (±1) and multi-class (docs/math/rmt.md, "Label noise").

Every label gets its own coin, so which labels are corrupted depends only on the random
stream, never on the labels' values or order.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from synthmix._random import RngLike, as_generator
from synthmix._types import BoolArray, IntArray
from synthmix._validation import check_int, check_labels, check_probability, fail

__all__ = ["flip_labels", "flip_labels_multiclass"]


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


def flip_labels_multiclass(
    y: ArrayLike, epsilon: float, n_classes: int, *, rng: RngLike = None
) -> tuple[IntArray, BoolArray]:
    """Corrupt each class label independently: w.p. ``epsilon`` to one of the other classes.

    A corrupted label is uniform over the ``n_classes − 1`` wrong classes. Which labels are
    corrupted depends only on the random stream, never on the labels' values or order (the
    paper's public code corrupted a deterministic block).

    Parameters
    ----------
    y : array_like of int, shape (m,)
        Clean labels in ``0 .. n_classes − 1``.
    epsilon : float
        Corruption probability, in [0, 1].
    n_classes : int
        Number of classes (>= 2).
    rng : None, int, SeedSequence or Generator, optional

    Returns
    -------
    y_noisy : ndarray of int64, shape (m,)
    flipped : ndarray of bool, shape (m,)
        True where the label was changed (then ``y_noisy != y`` always).

    Examples
    --------
    >>> y_noisy, flipped = flip_labels_multiclass([0, 1, 2, 3], 1.0, 4, rng=0)
    >>> bool(flipped.all()), bool((y_noisy != [0, 1, 2, 3]).all())
    (True, True)
    """
    k = check_int(n_classes, "n_classes", minimum=2)
    arr = np.asarray(y)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise fail("y", "be a 1-D array of integer class labels", f"shape {arr.shape}")
    labels = arr.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise fail("y", f"hold classes in 0..{k - 1}", np.unique(labels)[:6])
    eps = check_probability(epsilon, "epsilon")
    if eps.ndim != 0:
        raise fail("epsilon", "be a scalar probability", epsilon)
    gen = as_generator(rng)
    m = labels.shape[0]
    flipped: BoolArray = np.less(gen.random(m), float(eps))
    offset = gen.integers(1, k, m)  # uniform over the k − 1 other classes
    y_noisy: IntArray = np.where(flipped, (labels + offset) % k, labels)
    return y_noisy, flipped
