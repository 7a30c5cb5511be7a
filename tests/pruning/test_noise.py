"""Multi-class label noise: each label corrupted by its own coin, uniformly to another class."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.pruning import flip_labels_multiclass


def _within(count: float, n: int, p: float) -> bool:
    """Binomial(n, p) count within 4 standard deviations of its mean."""
    return abs(count - n * p) <= 4 * np.sqrt(n * p * (1 - p))


def test_label_noise_is_uniform_over_other_classes_at_rate_epsilon() -> None:
    k, eps, m = 10, 0.3, 200_000
    y = np.repeat(np.arange(k), m // k)  # sorted: an order-dependent flip would show
    y_noisy, flipped = flip_labels_multiclass(y, eps, k, rng=1)
    assert y_noisy.dtype == np.int64 and flipped.dtype == np.bool_
    assert np.all((y_noisy != y) == flipped)  # a flip always lands on another class
    assert _within(flipped.sum(), m, eps)
    for c in range(k):  # every class flipped at rate ε, to each other class w.p. 1/(k−1)
        rows = y == c
        assert _within(flipped[rows].sum(), int(rows.sum()), eps)
        targets = np.bincount(y_noisy[rows & flipped], minlength=k)
        n_flip = int((rows & flipped).sum())
        assert targets[c] == 0
        assert all(_within(targets[t], n_flip, 1 / (k - 1)) for t in range(k) if t != c)
    # position does not matter: first and last tenth flipped at the same rate
    tenth = m // 10
    assert _within(flipped[:tenth].sum(), tenth, eps)
    assert _within(flipped[-tenth:].sum(), tenth, eps)
    # which samples flip depends on the random stream only, not on the labels or their order
    perm = np.random.default_rng(0).permutation(m)
    _, flipped_perm = flip_labels_multiclass(y[perm], eps, k, rng=1)
    np.testing.assert_array_equal(flipped_perm, flipped)
    assert not flip_labels_multiclass(y, 0.0, k, rng=2)[1].any()
    assert flip_labels_multiclass(y, 1.0, k, rng=2)[1].all()


def test_label_noise_refuses_bad_input() -> None:
    with pytest.raises(ValidationError, match=r"^y must hold classes in 0\.\.2; got \[0, 3\]"):
        flip_labels_multiclass([0, 3], 0.1, 3, rng=0)
    with pytest.raises(ValidationError, match=r"^epsilon must"):
        flip_labels_multiclass([0, 1], 1.5, 3, rng=0)
    with pytest.raises(ValidationError, match=r"^n_classes must"):
        flip_labels_multiclass([0, 0], 0.1, 1, rng=0)
