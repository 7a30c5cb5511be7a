"""Documented defaults, returned dtypes and random streams of synthmix.pruning, pinned exactly.

Expected values come from numpy / scipy / scikit-learn directly, never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from synthmix.pruning import (
    ConfidentLearningVerifier,
    KNNVerifier,
    ModelVerifier,
    OracleVerifier,
    estimate_rates,
    flip_labels,
    flip_labels_multiclass,
    measure_rates,
)


@pytest.fixture(scope="module")
def real() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y = np.repeat([-1, 1], 30)
    X = y[:, None] * np.r_[1.0, 0.0, 0.5] + rng.standard_normal((60, 3)) * np.r_[1.0, 3.0, 0.2]
    return X, y


def test_flip_labels_draws_one_uniform_per_sample() -> None:
    y = np.tile([1.0, -1.0], 50)  # float labels in, int64 labels out
    y_noisy, flipped = flip_labels(y, 0.35, rng=12)
    expected = np.random.default_rng(12).random(100) < 0.35
    np.testing.assert_array_equal(flipped, expected)
    np.testing.assert_array_equal(y_noisy, np.where(expected, -y, y).astype(np.int64))
    assert y_noisy.dtype == np.int64 and flipped.dtype == np.bool_


def test_multiclass_flips_draw_coins_then_offsets() -> None:
    k, m = 4, 200
    y = np.arange(m) % k
    y_noisy, flipped = flip_labels_multiclass(y, 0.4, k, rng=9)
    gen = np.random.default_rng(9)
    coins = gen.random(m) < 0.4
    offsets = gen.integers(1, k, m)
    np.testing.assert_array_equal(flipped, coins)
    np.testing.assert_array_equal(y_noisy, np.where(coins, (y + offsets) % k, y))
    assert y_noisy.dtype == np.int64 and flipped.dtype == np.bool_


def test_multiclass_flips_of_an_empty_set_are_empty() -> None:
    y_noisy, flipped = flip_labels_multiclass([], 0.5, 3, rng=0)
    assert y_noisy.shape == flipped.shape == (0,)
    assert y_noisy.dtype == np.int64 and flipped.dtype == np.bool_


def test_oracle_defaults_keep_exactly_the_right_labels() -> None:
    v = OracleVerifier()
    assert (v.rho, v.phi) == (0.0, 1.0)
    y_true = np.array([1, 1, -1, -1, 1])
    y_syn = np.array([1, -1, -1, 1, 1])
    out = v.decide(np.zeros((5, 2)), y_syn, y_true=y_true, rng=0)
    np.testing.assert_array_equal(out.keep, y_syn == y_true)
    assert out.keep.dtype == np.bool_ and out.score.dtype == np.float64


def test_oracle_coins_are_one_uniform_per_sample() -> None:
    m = 300
    y_true = np.ones(m, dtype=int)
    y_syn = np.where(np.arange(m) % 3 == 0, -1, 1)
    out = OracleVerifier(rho=0.3, phi=0.6).decide(np.zeros((m, 1)), y_syn, y_true=y_true, rng=4)
    u = np.random.default_rng(4).random(m)
    np.testing.assert_array_equal(out.keep, u < np.where(y_syn != y_true, 0.3, 0.6))
    assert isinstance(out.kept_fraction, float)
    assert out.kept_fraction == np.count_nonzero(out.keep) / m


def test_model_verifier_default_is_standardised_logistic_regression(
    real: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = real
    v = ModelVerifier.fit(X, y)
    assert v.threshold == 0.5 and ModelVerifier(v.model).threshold == 0.5
    ref = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    X_syn = np.random.default_rng(8).standard_normal((40, 3)) * 2.0
    y_syn = np.where(np.arange(40) % 2 == 0, 1, -1)
    out = v.decide(X_syn, y_syn)
    proba = ref.predict_proba(X_syn)  # classes_ = [-1, 1]
    expected = np.where(y_syn == 1, proba[:, 1], proba[:, 0])
    np.testing.assert_allclose(out.score, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(out.keep, expected >= 0.5)
    assert out.score.dtype == np.float64 and out.keep.dtype == np.bool_


def test_knn_defaults_are_ten_standardised_neighbours_at_one_half(
    real: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = real
    v = KNNVerifier(X, y)
    assert (v.k, v.threshold, v.standardize) == (10, 0.5, True)
    fitted = KNNVerifier.fit(X, y)
    assert (fitted.k, fitted.threshold, fitted.standardize) == (10, 0.5, True)
    np.testing.assert_allclose(v.center, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(v.scale, X.std(axis=0), rtol=1e-12)
    X_syn = np.random.default_rng(2).standard_normal((25, 3)) * np.r_[1.0, 3.0, 0.2]
    y_syn = np.where(np.arange(25) % 2 == 0, 1, -1)
    z_real = (X - X.mean(axis=0)) / X.std(axis=0)
    z_syn = (X_syn - X.mean(axis=0)) / X.std(axis=0)
    dist = np.linalg.norm(z_syn[:, None, :] - z_real[None, :, :], axis=2)
    nearest = np.argsort(dist, axis=1)[:, :10]
    expected = np.mean(y[nearest] == y_syn[:, None], axis=1)
    out = v.decide(X_syn, y_syn)
    np.testing.assert_allclose(out.score, expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(out.keep, expected >= 0.5)


def test_knn_without_standardising_uses_raw_distances(
    real: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = real
    v = KNNVerifier.fit(X, y, k=5, standardize=False)
    np.testing.assert_array_equal(v.center, np.zeros(3))
    np.testing.assert_array_equal(v.scale, np.ones(3))
    X_syn = np.random.default_rng(6).standard_normal((25, 3)) * np.r_[1.0, 3.0, 0.2]
    y_syn = np.ones(25, dtype=int)
    dist = np.linalg.norm(X_syn[:, None, :] - X[None, :, :], axis=2)
    nearest = np.argsort(dist, axis=1)[:, :5]
    expected = np.mean(y[nearest] == 1, axis=1)
    np.testing.assert_allclose(v.decide(X_syn, y_syn).score, expected, rtol=0, atol=1e-15)


def test_confident_learning_defaults(real: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = real
    v = ConfidentLearningVerifier.fit(X, y)
    assert (v.filter_by, v.score_method) == ("prune_by_noise_rate", "self_confidence")
    wrapped = ConfidentLearningVerifier(v.model)
    assert (wrapped.filter_by, wrapped.score_method) == ("prune_by_noise_rate", "self_confidence")


def test_rates_default_confidence_is_95_percent() -> None:
    n = 40
    keep = np.r_[np.ones(13, bool), np.zeros(n - 13, bool), np.ones(31, bool), np.zeros(9, bool)]
    y_true = np.ones(2 * n, dtype=int)
    y_noisy = np.r_[-np.ones(n, dtype=int), np.ones(n, dtype=int)]
    r = estimate_rates(keep, y_noisy, y_true)
    assert r.confidence == 0.95
    rho_ref = binomtest(13, n).proportion_ci(confidence_level=0.95, method="exact")
    phi_ref = binomtest(31, n).proportion_ci(confidence_level=0.95, method="exact")
    np.testing.assert_allclose(r.rho_ci, (rho_ref.low, rho_ref.high), rtol=1e-10)
    np.testing.assert_allclose(r.phi_ci, (phi_ref.low, phi_ref.high), rtol=1e-10)
    measured = measure_rates(
        OracleVerifier(rho=0.5, phi=0.5), np.zeros((2 * n, 1)), y_noisy, y_true, rng=1
    )
    assert measured.confidence == 0.95 and measured.verifier == "OracleVerifier"
    unseeded = measure_rates(OracleVerifier(), np.zeros((2 * n, 1)), y_noisy, y_true)
    assert unseeded.seed is None and (unseeded.rho, unseeded.phi) == (0.0, 1.0)


class _TableClassifier:
    """A fitted classifier whose classes_ are listed +1 first and whose probabilities are given."""

    classes_ = np.array([1, -1])

    def __init__(self, proba: np.ndarray) -> None:
        self.proba = proba

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.proba[: len(X)]


def test_model_verifier_reads_columns_by_class_and_clips() -> None:
    """Columns follow classes_ (here [+1, -1]); probabilities are clipped into [0, 1]."""
    proba = np.array([[0.8, 0.2], [0.8, 0.2], [1.25, -0.25], [0.3, 0.7]])  # P(+1), P(-1)
    v = ModelVerifier(_TableClassifier(proba), threshold=0.5)
    out = v.decide(np.zeros((4, 2)), [1, -1, -1, 1])
    np.testing.assert_allclose(out.score, [0.8, 0.2, 0.0, 0.3], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(out.keep, [True, False, False, False])


class _PlainClassifier:
    """Not a scikit-learn estimator (clone refuses it): fitted on a deep copy instead."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> _PlainClassifier:
        self.classes_ = np.array([-1, 1])
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(np.asarray(X) - self.mean_)[:, 0]))
        return np.c_[1.0 - p, p]


def test_model_verifier_fits_a_copy_of_a_non_sklearn_classifier(
    real: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = real
    plain = _PlainClassifier()
    v = ModelVerifier.fit(X, y, model=plain)
    assert not hasattr(plain, "classes_")  # the caller's object is untouched
    assert isinstance(v.model, _PlainClassifier) and v.model is not plain
    x0 = X.mean(axis=0)[0]
    out = v.decide(np.array([[x0 + 1.0, 0.0, 0.0]]), [1])
    assert out.score[0] == pytest.approx(1.0 / (1.0 + np.exp(-1.0)), rel=1e-12)


def test_measure_rates_records_a_numpy_integer_seed() -> None:
    y_true = np.tile([1, -1], 20)
    y_noisy = np.where(np.arange(40) % 4 == 0, -y_true, y_true)
    r = measure_rates(
        OracleVerifier(rho=0.5, phi=0.5), np.zeros((40, 1)), y_noisy, y_true, rng=np.int64(7)
    )
    assert r.seed == 7 and type(r.seed) is int
    keep = np.random.default_rng(7).random(40) < 0.5
    wrong = y_noisy != y_true
    assert (r.kept_wrong, r.kept_right) == (int(np.sum(keep & wrong)), int(np.sum(keep & ~wrong)))
