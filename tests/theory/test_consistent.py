"""Predictions from a *sample* real covariance: the consistent estimator (eq. C1–C2).

Plugging a sample covariance of ``n₀`` rows into the theory spreads its spectrum twice and
makes predictions optimistic. ``MixtureModel(real_samples=n₀)`` estimates the population's
functionals instead. The Monte-Carlo test averages predictions over Wishart draws of the
sample covariance and compares them with the prediction from the population covariance,
within 4 standard errors of that average plus ``AGREEMENT_BIAS`` (the documented finite-size
term of the theory-vs-simulation tests); the plug-in must miss by more, so the test can fail
both ways.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.simulate.compare import AGREEMENT_BIAS, AGREEMENT_Z
from synthmix.theory import MixtureModel, predict
from synthmix.theory._consistent import SampleCovarianceBackend

P = 60
KW: dict[str, Any] = dict(
    n=150, m=np.array([0.0, 100.0, 1000.0]), epsilon=0.2, rho=0.3, phi=0.9, gamma=1.0
)


def _population(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    basis, _ = np.linalg.qr(rng.standard_normal((P, P)))
    sigma = (basis * np.geomspace(0.2, 3.0, P)) @ basis.T
    mu = rng.standard_normal(P)
    mu *= 1.3 / np.linalg.norm(mu)
    cov_synth = 0.5 * sigma + 0.5 * np.eye(P)
    mu_synth = mu + 0.3 * rng.standard_normal(P) / np.sqrt(P)
    return sigma, mu, cov_synth, mu_synth


@pytest.mark.parametrize("dof", [180, 600])  # k/n₀ = 1/3 and 1/10
def test_sample_covariance_predictions_average_to_the_population_prediction(dof: int) -> None:
    rng = np.random.default_rng(4)
    sigma, mu, cov_synth, mu_synth = _population(rng)
    truth = predict(
        MixtureModel(mu, mu_synth=mu_synth, cov_real=sigma, cov_synth=cov_synth), **KW
    ).accuracy
    chol = np.linalg.cholesky(sigma)
    corrected, plugged = [], []
    for _ in range(30):
        rows = rng.standard_normal((dof, P)) @ chol.T
        sample = rows.T @ rows / dof
        common = dict(mu_synth=mu_synth, cov_real=sample, cov_synth=cov_synth)
        plugged.append(predict(MixtureModel(mu, **common), **KW).accuracy)  # type: ignore[arg-type]
        model = MixtureModel(mu, real_samples=dof, **common)  # type: ignore[arg-type]
        corrected.append(predict(model, **KW).accuracy)
    for values, unbiased in ((corrected, True), (plugged, False)):
        arr = np.array(values)
        mean, se = arr.mean(0), arr.std(0, ddof=1) / np.sqrt(arr.shape[0])
        within = np.abs(mean - truth) <= AGREEMENT_Z * se + AGREEMENT_BIAS
        if unbiased:
            assert np.all(within), (mean, truth, se)
        elif dof == 180:  # the plug-in is optimistic where real rows weigh (m = 0, 100)
            assert not np.any(within[:2]) and np.all(mean[:2] > truth[:2]), (mean, truth, se)


def test_many_degrees_of_freedom_reduce_to_the_plug_in() -> None:
    rng = np.random.default_rng(5)
    sigma, mu, cov_synth, mu_synth = _population(rng)
    common = dict(mu_synth=mu_synth, cov_real=sigma, cov_synth=cov_synth)
    plain = predict(MixtureModel(mu, **common), **KW)  # type: ignore[arg-type]
    nearly = predict(MixtureModel(mu, real_samples=1e12, **common), **KW)  # type: ignore[arg-type]
    np.testing.assert_allclose(nearly.accuracy, plain.accuracy, rtol=0, atol=1e-8)
    np.testing.assert_allclose(nearly.delta, plain.delta, rtol=1e-8)


def test_second_order_terms_are_derivatives_of_the_first_order_ones() -> None:
    """``W_r = −∂P/∂a``, ``W_s = −∂P/∂b``, ``N·T_rr = −∂tr(Σ_rR)/∂a``, ``N·T_ss = −∂tr(CR)/∂b``
    and both expressions of ``N·T_rs`` (``−∂tr(Σ_rR)/∂b = −∂tr(CR)/∂a``), by central
    differences of the backend's own first-order estimates."""
    rng = np.random.default_rng(6)
    sigma, mu, cov_synth, mu_synth = _population(rng)
    rows = rng.standard_normal((120, P)) @ np.linalg.cholesky(sigma).T
    backend = SampleCovarianceBackend(rows.T @ rows / 120, 120, cov_synth, mu, mu_synth)
    a, b, g, h = np.array([0.7]), np.array([0.4]), np.array([0.8]), 1e-5
    _, s2 = backend.traces(a, b, g)
    pmat, w_r, w_s = backend.forms(a, b, g)
    da = [(backend.traces(a + s * h, b, g)[0], backend.forms(a + s * h, b, g)[0]) for s in (1, -1)]
    db = [(backend.traces(a, b + s * h, g)[0], backend.forms(a, b + s * h, g)[0]) for s in (1, -1)]
    d_s1_a, d_p_a = ((da[0][i] - da[1][i]) / (2 * h) for i in (0, 1))
    d_s1_b, d_p_b = ((db[0][i] - db[1][i]) / (2 * h) for i in (0, 1))
    np.testing.assert_allclose(w_r, -d_p_a, rtol=1e-6)
    np.testing.assert_allclose(w_s, -d_p_b, rtol=1e-6)
    np.testing.assert_allclose(s2[:, 0], -d_s1_a[:, 0], rtol=1e-6)
    np.testing.assert_allclose(s2[:, 1], -d_s1_b[:, 0], rtol=1e-6)
    np.testing.assert_allclose(s2[:, 1], -d_s1_a[:, 1], rtol=1e-6)
    np.testing.assert_allclose(s2[:, 2], -d_s1_b[:, 1], rtol=1e-6)
    assert pmat.shape == (1, 2, 2)


def test_real_samples_must_exceed_the_dimension() -> None:
    with pytest.raises(ValidationError) as err:
        MixtureModel(np.ones(5), real_samples=5)
    assert str(err.value) == (
        "real_samples must be a scalar above p = 5 (a full-rank sample covariance); got 5"
    )
