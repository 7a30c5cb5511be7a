"""Learners trained on a world's mixture and scored by its prior (docs/math/scaling.md).

1-nearest-neighbour (the memoriser of the theory), multinomial logistic regression and a small
MLP, each fitted on ``n`` training draws and scored on the world's stratified real test set as
``error = Σ_i p_i err_i``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from synthmix._random import RngLike, as_generator
from synthmix._types import FloatArray, IntArray
from synthmix._validation import fail
from synthmix.scaling.worlds import World

__all__ = ["LEARNERS", "fit_predict", "weighted_error"]

#: Learners of :func:`fit_predict`.
LEARNERS = ("1nn", "logistic", "mlp")
_NN_BLOCK = 512  # test points per block of the nearest-neighbour search


# --------------------------------------------------------------------------------------------
# Learners
# --------------------------------------------------------------------------------------------


def _nearest_neighbour(X: FloatArray, y: IntArray, X_test: FloatArray) -> IntArray:
    """1-NN labels by blocked squared distances (ties: the first training point)."""
    sq = np.einsum("ij,ij->i", X, X)
    out = np.empty(X_test.shape[0], dtype=np.int64)
    for start in range(0, X_test.shape[0], _NN_BLOCK):
        block = X_test[start : start + _NN_BLOCK]
        dist = sq[None, :] - 2.0 * (block @ X.T)
        out[start : start + _NN_BLOCK] = y[np.argmin(dist, axis=1)]
    return out


def fit_predict(
    learner: str,
    X: FloatArray,
    y: IntArray,
    X_test: FloatArray,
    *,
    rng: RngLike = 0,
) -> IntArray:
    """Train ``learner`` on ``(X, y)`` and predict the labels of ``X_test``.

    Parameters
    ----------
    learner : {"1nn", "logistic", "mlp"}
        ``1nn``: exact nearest neighbour (pure memorisation); ``logistic``: scikit-learn
        multinomial logistic regression (C = 100, lbfgs, at most 300 iterations); ``mlp``:
        scikit-learn ``MLPClassifier`` with one hidden layer of 64 ReLU units, Adam, batch 128,
        about 1,500 gradient steps (20-300 epochs), no early stopping.
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)
    X_test : ndarray, shape (T, d)
    rng : None, int, SeedSequence or Generator
        Seeds the MLP's initialisation and batches.

    Returns
    -------
    ndarray, shape (T,)
        Predicted labels; a training set with one label predicts it everywhere.
    """
    if learner not in LEARNERS:
        raise fail("learner", f"be one of {', '.join(LEARNERS)}", learner)
    classes = np.unique(y)
    if classes.shape[0] == 1 and learner != "1nn":
        return np.full(X_test.shape[0], classes[0], dtype=np.int64)
    if learner == "1nn":
        return _nearest_neighbour(X, y, X_test)
    from sklearn.exceptions import ConvergenceWarning

    seed = int(as_generator(rng).integers(2**31))
    model: Any
    if learner == "logistic":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=100.0, max_iter=300, tol=1e-4)
    else:
        from sklearn.neural_network import MLPClassifier

        batch = min(128, X.shape[0])
        steps_per_epoch = math.ceil(X.shape[0] / batch)
        epochs = int(np.clip(math.ceil(1500 / steps_per_epoch), 20, 300))
        model = MLPClassifier(
            hidden_layer_sizes=(64,),
            batch_size=batch,
            learning_rate_init=3e-3,
            max_iter=epochs,
            early_stopping=False,
            n_iter_no_change=epochs + 1,
            random_state=seed,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return np.asarray(model.predict(X_test), dtype=np.int64)


def weighted_error(world: World, predicted: ArrayLike) -> tuple[float, FloatArray]:
    """Prior-weighted test error ``Σ_i p_i err_i`` and the per-class errors ``err_i`` (K,)."""
    pred = np.asarray(predicted)
    if pred.shape != world.test_y.shape:
        raise fail("predicted", f"have shape {world.test_y.shape}", pred.shape)
    wrong = np.bincount(world.test_y, weights=(pred != world.test_y), minlength=world.n_items)
    count = np.bincount(world.test_y, minlength=world.n_items)
    per_item = np.asarray(wrong / np.maximum(count, 1), dtype=np.float64)
    return float(world.p @ per_item), per_item
