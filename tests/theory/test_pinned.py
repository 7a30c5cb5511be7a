"""Documented defaults, result types and small-size exact values of synthmix.theory.

Expected values are independent of the code under test: the dense reference evaluation for
``predict``'s defaults, closed forms of the real-only fixed point, and numerical integration of
the Marchenko–Pastur density for its quantiles.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize

from synthmix.theory import (
    MixtureModel,
    _equivalents,
    marchenko_pastur_quantiles,
    marchenko_pastur_support,
    predict,
    transition_epsilon,
)
from synthmix.theory.reference import reference_predict


def test_predict_defaults_are_no_noise_no_pruning_and_unit_ridge() -> None:
    mu = np.r_[1.2, -0.4, np.zeros(10)]
    model = MixtureModel(mu, mu_synth=0.8 * mu, cov_synth=np.linspace(0.5, 1.5, 12))
    pred = predict(model, n=20, m=35)
    ref = reference_predict(
        mu,
        0.8 * mu,
        np.linspace(0.5, 1.5, 12),
        n=20,
        m=35,
        epsilon=0.0,
        rho=1.0,
        phi=1.0,
        gamma=1.0,
    )
    for key in ("accuracy", "risk", "mean", "second_moment", "delta", "delta_s"):
        assert float(getattr(pred, key)) == pytest.approx(ref[key], rel=1e-9), key
    assert (pred.epsilon, pred.rho, pred.phi, pred.gamma) == (0.0, 1.0, 1.0, 1.0)


def test_reference_defaults_are_bernoulli_undamped() -> None:
    """At α < 1 the two pruning models differ, so the default must be the corrected one."""
    mu = np.r_[1.0, np.zeros(7)]
    kw = {"n": 10, "m": 30, "epsilon": 0.3, "rho": 0.1, "phi": 0.9, "gamma": 0.5}
    default = reference_predict(mu, None, None, **kw)
    weight = reference_predict(mu, None, None, **kw, pruning="weight")
    # Bernoulli fixed point, C = I: δ = δ_s = (p/N) / (γ + (π + α(1-π))/(1+δ)).
    big_n, p = 40.0, 8.0
    a = 0.25 + 0.75 * (0.9 * 0.7 + 0.1 * 0.3)  # π + α(1-π)
    r = p / big_n
    b = 0.5 + a - r
    expected = (-b + np.sqrt(b * b + 4 * 0.5 * r)) / (2 * 0.5)
    assert default["delta"] == pytest.approx(expected, rel=1e-12)
    assert default["delta_s"] == pytest.approx(expected, rel=1e-12)
    assert weight["delta_s"] != pytest.approx(expected, rel=1e-6)


def test_evaluate_in_chunks_solves_every_point(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of two points (p = 4): every point, including the last partial chunk, is solved."""
    monkeypatch.setattr(_equivalents, "_CHUNK_ELEMENTS", 8)
    gamma = np.array([0.05, 0.1, 0.5, 1.0, 2.0])
    pred = predict(MixtureModel(np.r_[1.0, 0.0, 0.0, 0.0]), n=4, m=0, gamma=gamma)
    expected = (-gamma + np.sqrt(gamma**2 + 4.0 * gamma)) / (2.0 * gamma)  # p = n
    np.testing.assert_allclose(pred.delta, expected, rtol=1e-10)
    assert pred.accuracy.shape == (5,)


def test_model_options_are_stored_as_floats() -> None:
    model = MixtureModel(np.ones(3), mean_noise=np.float32(0.25), mean_cross_noise=-1)
    assert type(model.mean_noise) is float and model.mean_noise == 0.25
    assert type(model.mean_cross_noise) is float and model.mean_cross_noise == -1.0
    assert model.real_matrix is None and model.synth_matrix is None
    np.testing.assert_array_equal(model.real_covariance(), np.eye(3))


def test_full_covariances_are_kept_symmetrised() -> None:
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 4)))
    synth = (q * np.r_[0.5, 1.0, 2.0, 3.0]) @ q.T
    synth_perturbed = synth.copy()
    synth_perturbed[0, 1] += 1e-12  # asymmetric within the symmetry tolerance
    model = MixtureModel(np.ones(4), cov_synth=synth_perturbed)
    np.testing.assert_array_equal(
        model.synth_covariance(), 0.5 * (synth_perturbed + synth_perturbed.T)
    )
    np.testing.assert_array_equal(model.real_covariance(), np.eye(4))


def test_transition_epsilon_broadcasts_and_returns_a_scalar_for_scalars() -> None:
    rho = np.array([[0.0], [0.5]])
    phi = np.array([1.0, 0.5, 0.25])
    out = transition_epsilon(rho=rho, phi=phi)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, phi / (rho + phi), rtol=1e-15)
    scalar = transition_epsilon(rho=0.5, phi=0.5)
    assert np.ndim(scalar) == 0 and scalar == 0.5


def _mp_cdf_inverse(level: float, c: float) -> float:
    """Quantile of the continuous part of the MP law by quadrature and root finding."""
    a, b = marchenko_pastur_support(c)

    def cdf(x: float) -> float:
        val, _ = integrate.quad(
            lambda t: np.sqrt((b - t) * (t - a)) / (2 * np.pi * c * t), a, x, limit=200
        )
        return val

    return optimize.brentq(lambda x: cdf(x) - level, a, b, xtol=1e-13)


@pytest.mark.parametrize(("p", "ratio"), [(1, 0.5), (4, 0.3), (5, 2.0)])
def test_quantiles_at_small_p_are_mid_quantiles(p: int, ratio: float) -> None:
    atom = max(0.0, 1.0 - 1.0 / ratio)
    levels = (np.arange(p) + 0.5) / p
    expected = [0.0 if t <= atom else _mp_cdf_inverse(t - atom, ratio) for t in levels]
    np.testing.assert_allclose(marchenko_pastur_quantiles(p, ratio), expected, rtol=1e-6, atol=0)
