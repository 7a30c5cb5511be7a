"""Predictions from an *estimated* class mean: debiasing the quadratic forms (eq. D).

The theorem's outputs depend on μ through forms μᵀAμ; an estimate μ̂ = μ + e with
Cov(e) = κΣ_r inflates each by κ·tr(AΣ_r). With ``mean_noise = κ`` the model removes that
bias, so predictions averaged over estimation noise recover the prediction of the true model.
The tolerance is 4 standard errors of that average over noise draws plus 0.002 for the
second-order (curvature) bias the linear correction leaves; the plug-in prediction misses by
far more (checked too, so the test can fail both ways).
"""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.theory import MixtureModel, predict

P = 300
MU = np.zeros(P)
MU[0] = 1.5
COV = np.linspace(0.3, 2.0, P)
KW = dict(n=100, m=np.array([0.0, 400.0, 4000.0]), epsilon=0.3, rho=0.1, phi=0.9, gamma=1.0)


def _spread(values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    arr = np.array(values)
    return arr.mean(0), arr.std(0, ddof=1) / np.sqrt(len(arr))


@pytest.mark.parametrize("n_per_class", [150, 600])
def test_debiased_estimate_recovers_true_prediction(n_per_class: int) -> None:
    rng = np.random.default_rng(1)
    kappa = (2.0 / n_per_class) / 4.0  # half-difference of two class means
    truth = predict(MixtureModel(MU, mu_synth=0.8 * MU, cov_real=COV), **KW).accuracy
    naive, debiased = [], []
    for _ in range(40):
        mu_hat = MU + rng.standard_normal(P) * np.sqrt(kappa * COV)
        naive.append(predict(MixtureModel(mu_hat, mu_synth=0.8 * MU, cov_real=COV), **KW).accuracy)
        model = MixtureModel(mu_hat, mu_synth=0.8 * MU, cov_real=COV, mean_noise=kappa)
        debiased.append(predict(model, **KW).accuracy)
    mean_d, se_d = _spread(debiased)
    mean_n, se_n = _spread(naive)
    assert np.all(np.abs(mean_d - truth) <= 4 * se_d + 0.002), (mean_d, truth)
    assert np.any(np.abs(mean_n - truth) > 4 * se_n + 0.002)  # the plug-in is biased


def test_cross_noise_for_a_generator_fitted_on_the_same_samples() -> None:
    """Generator mean = mean of a subset of the samples behind μ̂: Cov(e, μ_s) = κ_pool Σ."""
    rng = np.random.default_rng(2)
    n_pool, n_gen = 300, 100  # per class
    kappa_pool = (2.0 / n_pool) / 4.0
    kappa_gen = (2.0 / n_gen) / 4.0
    preds, truths = [], []
    for _ in range(40):
        # per-class sample means of the shared subset and of the rest of the pool
        gen = rng.standard_normal(P) * np.sqrt(kappa_gen * COV)  # noise of the generator's mean
        rest = rng.standard_normal(P) * np.sqrt((2.0 / (n_pool - n_gen)) / 4.0 * COV)
        pool = (n_gen * gen + (n_pool - n_gen) * rest) / n_pool  # noise of μ̂ (pool mean)
        mu_s = MU + gen  # the generator's actual mean
        truths.append(predict(MixtureModel(MU, mu_synth=mu_s, cov_real=COV), **KW).accuracy)
        model = MixtureModel(
            MU + pool,
            mu_synth=mu_s,
            cov_real=COV,
            mean_noise=kappa_pool,
            mean_cross_noise=kappa_pool,
        )
        preds.append(predict(model, **KW).accuracy)
    diff, se = _spread([p - t for p, t in zip(preds, truths, strict=True)])
    assert np.all(np.abs(diff) <= 4 * se + 0.002), diff


def test_zero_noise_changes_nothing() -> None:
    a = predict(MixtureModel(MU, cov_real=COV), **KW)
    b = predict(MixtureModel(MU, cov_real=COV, mean_noise=0.0, mean_cross_noise=0.0), **KW)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
