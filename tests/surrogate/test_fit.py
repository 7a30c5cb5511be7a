"""fit_surrogate: estimates in the theory's normalisation, and predictions that use them."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.simulate.compare import AGREEMENT_BIAS, AGREEMENT_Z
from synthmix.surrogate import fit_surrogate
from synthmix.theory import MixtureModel, predict


def _task(
    n: int, d: int, seed: int, offset: float = 5.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mu = np.zeros(d)
    mu[0] = 1.5
    cov = np.diag(np.linspace(0.5, 1.5, d))
    y = np.repeat([1, -1], n // 2)
    x = offset + np.outer(y, mu) + rng.standard_normal((n, d)) * np.sqrt(np.diag(cov))
    return x, y, mu, cov


def test_normalisation_and_estimates() -> None:
    x, y, mu, cov = _task(4000, 10, 0)
    sur = fit_surrogate(x, y)
    assert sur.k == 10 and sur.basis is None
    assert np.trace(sur.cov) / sur.k == pytest.approx(1.0)
    np.testing.assert_allclose(sur.center, 5.0, atol=0.05)
    scale = np.sqrt(np.trace(cov) / 10)  # = 1 for this covariance
    np.testing.assert_allclose(sur.mu * sur.scale, mu, atol=0.06)
    np.testing.assert_allclose(sur.cov * sur.scale**2, cov, atol=0.08)
    assert sur.scale == pytest.approx(scale, rel=0.03)
    assert sur.mean_noise == pytest.approx(0.25 * (1 / 2000 + 1 / 2000))  # two classes of 2000
    z = sur.transform(x)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=0.05)


def _fits(d: int, n_fit: int, n: int) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """True prediction, and debiased / plug-in / k/n-corrected predictions over 20 fits."""
    debiased, plug_in, corrected = [], [], []
    for seed in range(20):
        x, y, mu, cov = _task(n_fit, d, seed, offset=0.0)
        sur = fit_surrogate(x, y)
        debiased.append(float(predict(sur.model(), n=n, m=0, gamma=1.0).accuracy))
        plug_in.append(
            float(predict(MixtureModel(sur.mu, cov_real=sur.cov), n=n, m=0, gamma=1.0).accuracy)
        )
        model = MixtureModel(
            sur.mu, cov_real=sur.cov, mean_noise=sur.mean_noise, real_samples=sur.dof
        )
        corrected.append(float(predict(model, n=n, m=0, gamma=1.0).accuracy))
    scale = np.trace(cov) / d
    truth = float(
        predict(
            MixtureModel(mu / np.sqrt(scale), cov_real=cov / scale), n=n, m=0, gamma=1.0
        ).accuracy
    )
    return truth, np.array(debiased), np.array(plug_in), np.array(corrected)


def test_debiased_surrogate_prediction_matches_the_truth_when_k_much_less_than_n() -> None:
    """k/n = 1/30: the surrogate's prediction tracks the true model's within 4 standard errors
    over 20 independent fits plus 0.005 (the sample covariance's residual spectral bias,
    measured at +0.002 here)."""
    truth, debiased, _, _ = _fits(40, 1200, 60)
    assert abs(debiased.mean() - truth) <= 4 * debiased.std(ddof=1) / np.sqrt(20) + 0.005


def test_k_comparable_to_n_needs_the_covariance_correction() -> None:
    """k/n = 1/3: debiasing the mean removes about half of the plug-in's optimism; the rest
    comes from the sample covariance's spread spectrum, which the consistent estimator
    (``real_samples = n − 2``, docs/math/rmt.md eq. C1–C2) removes: within 4 standard errors
    plus ``AGREEMENT_BIAS`` of the truth (measured: truth 0.926, plug-in 0.949, mean-debiased
    0.941, corrected 0.925 ± 0.002)."""
    truth, debiased, plug_in, corrected = _fits(200, 600, 150)
    assert plug_in.mean() > debiased.mean() > truth
    assert plug_in.mean() - debiased.mean() > 0.004
    se = corrected.std(ddof=1) / np.sqrt(corrected.size)
    assert abs(corrected.mean() - truth) <= AGREEMENT_Z * se + AGREEMENT_BIAS
    assert debiased.mean() - truth > AGREEMENT_Z * se + AGREEMENT_BIAS  # the test can fail


def test_pca_keeps_the_discriminative_direction() -> None:
    """The class-separating direction has *low* within-class variance; class-agnostic PCA
    still ranks it first because the mean difference dominates the total covariance."""
    rng = np.random.default_rng(1)
    d = 30
    y = np.repeat([1, -1], 500)
    x = rng.standard_normal((1000, d)) * np.r_[0.3, np.ones(d - 1)]
    x[:, 0] += 2.0 * y
    sur = fit_surrogate(x, y, n_components=3)
    assert sur.k == 3 and sur.basis is not None and sur.basis.shape == (d, 3)
    assert abs(sur.basis[0, 0]) > 0.99
    assert sur.transform(x).shape == (1000, 3)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"X": np.zeros((6, 2)), "y": [1, 1, 1, -1, -1, -1]}, "X"),
        ({"X": np.ones((6, 2)) + np.arange(6)[:, None], "y": [1, 1, 1, 1, 1, -1]}, "y"),
        (
            {
                "X": np.random.default_rng(0).random((6, 2)),
                "y": [1, 1, 1, -1, -1, -1],
                "n_components": 3,
            },
            "n_components",
        ),
    ],
)
def test_bad_inputs(kwargs: dict, name: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        fit_surrogate(**kwargs)


def test_transform_checks_width() -> None:
    x, y, _, _ = _task(100, 4, 0)
    with pytest.raises(ValidationError, match=r"^X must"):
        fit_surrogate(x, y).transform(np.zeros((3, 5)))
