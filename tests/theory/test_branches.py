"""Branches and result fields that only a specific input reaches.

Each expected value is built independently of the code under test: closed forms of the real-only
fixed point, reconstructions of covariances from the reported eigenbasis, or the inputs
themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.exceptions import ConvergenceError
from synthmix.theory import MixtureModel, predict, predict_estimated_generator
from synthmix.theory import reference as reference_module
from synthmix.theory.reference import reference_predict

_T1, _T2 = 0.6180339887498949, 0.3247179572447460  # the two mixing weights tried


def _rotation(p: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((p, p)))
    return q


def _delta_square_real_only(gamma: np.ndarray) -> np.ndarray:
    """Real-only, identity covariance, p = n: δ(γ + 1/(1+δ)) = 1, i.e. γδ² + γδ - 1 = 0."""
    return (-gamma + np.sqrt(gamma**2 + 4.0 * gamma)) / (2.0 * gamma)


def test_many_slowly_contracting_points_all_converge_in_one_call() -> None:
    """At p = n with tiny γ the plain fixed-point step contracts slowly; every point of a batch
    must get its own Newton step (one batch of 40 such points fits in the iteration cap)."""
    p = 50
    gamma = np.geomspace(1e-6, 1e-4, 40)
    pred = predict(MixtureModel(np.r_[1.0, np.zeros(p - 1)]), n=p, m=0, gamma=gamma)
    expected = _delta_square_real_only(gamma)
    np.testing.assert_allclose(pred.delta, expected, rtol=1e-8)
    np.testing.assert_allclose(pred.delta_s, expected, rtol=1e-8)


def test_reference_fixed_point_stops_on_delta_when_delta_s_is_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With C = 0 the synthetic trace δ_s is exactly 0, so the stopping rule must read δ.

    Damped steps stall one ulp away from the fixed point, so a rule that needed the step to be
    exactly 0 would never stop; 10 000 iterations are far more than the 100-200 it needs.
    """
    monkeypatch.setattr(reference_module, "MAX_ITER", 10_000)
    p, n, m, gamma = 8, 10, 10, 0.5
    big_n = n + m
    pi, r = n / big_n, p / big_n
    # δ = r / (γ + π/(1+δ))  <=>  γδ² + (γ + π - r)δ - r = 0
    b = gamma + pi - r
    expected = (-b + np.sqrt(b * b + 4.0 * gamma * r)) / (2.0 * gamma)
    for damping in (1.0, 0.3):
        out = reference_predict(
            np.r_[1.0, np.zeros(p - 1)],
            None,
            np.zeros(p),
            n=n,
            m=m,
            epsilon=0.2,
            rho=0.5,
            phi=0.5,
            gamma=gamma,
            damping=damping,
        )
        assert out["delta_s"] == 0.0
        assert out["delta"] == pytest.approx(expected, rel=1e-12), damping


def test_reference_fixed_point_cap_raises_convergence_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reference_module, "MAX_ITER", 3)
    with pytest.raises(ConvergenceError) as info:
        reference_predict(np.ones(4), None, None, n=4, m=4, epsilon=0, rho=1, phi=1, gamma=0.01)
    assert str(info.value) == (
        "the reference fixed point did not converge in 3 iterations at p=4, N=8, pi=0.5, "
        "alpha=1, gamma=0.01"
    )


def test_nothing_trained_on_gives_the_zero_classifier() -> None:
    """n = 0 and nothing kept (ρ = φ = 0): w = 0, so M = V = 0, risk 1 and accuracy 1/2."""
    model = MixtureModel(np.r_[1.0, np.zeros(9)])
    pred = predict(model, n=[0, 0], m=[5, 50], epsilon=0.3, rho=0.0, phi=0.0)
    np.testing.assert_array_equal(pred.mean, [0.0, 0.0])
    np.testing.assert_array_equal(pred.second_moment, [0.0, 0.0])
    np.testing.assert_array_equal(pred.risk, [1.0, 1.0])
    np.testing.assert_array_equal(pred.accuracy, [0.5, 0.5])


def _assert_basis_reconstructs(model: MixtureModel, real: np.ndarray, synth: np.ndarray) -> None:
    assert model.commuting
    v = model.basis
    assert v is not None
    np.testing.assert_allclose(v @ np.diag(model.real_spectrum) @ v.T, real, atol=1e-10)
    np.testing.assert_allclose(v @ np.diag(model.synth_spectrum) @ v.T, synth, atol=1e-10)
    mu = model.mu_real
    np.testing.assert_allclose(v @ model.mu_real_basis, mu, atol=1e-12)


def test_full_real_covariance_with_identity_generator_is_diagonalised() -> None:
    q = _rotation(5, 0)
    real = (q * np.linspace(0.5, 2.5, 5)) @ q.T
    model = MixtureModel(np.arange(1.0, 6.0), cov_real=real)
    _assert_basis_reconstructs(model, real, np.eye(5))
    np.testing.assert_array_equal(model.synth_spectrum, np.ones(5))
    np.testing.assert_allclose(np.sort(model.real_spectrum), np.linspace(0.5, 2.5, 5), atol=1e-12)


@pytest.mark.parametrize("cov_real", [2.0, np.array([1.0, 1.0, 2.0, 2.0])])
def test_non_identity_diagonal_real_with_full_generator_keeps_the_real_spectrum(
    cov_real: float | np.ndarray,
) -> None:
    """A diagonal (not identity) real covariance with a full generator that commutes with it."""
    rot = np.array([[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]])
    block = (rot * np.array([0.5, 3.0])) @ rot.T
    synth = np.zeros((4, 4))
    synth[:2, :2] = block
    synth[2:, 2:] = 2.0 * block
    real = np.diag(np.broadcast_to(cov_real, (4,)).astype(float))
    model = MixtureModel(np.r_[1.0, 0.5, -0.5, 0.2], cov_real=cov_real, cov_synth=synth)
    _assert_basis_reconstructs(model, real, synth)


def test_pair_whose_generic_combinations_are_degenerate_under_another_scaling() -> None:
    """The combination a/|a|₂ + t b/|b|₂ separates the eigenvalues of this commuting pair; under
    a Frobenius scaling of ``a`` both tried weights t would make it degenerate."""
    a = np.array([1.0, 1.2, 1.3])
    frob = float(np.sqrt(np.sum(a**2)))
    b = np.array([1.0, 1.0 - (a[1] - a[0]) / (frob * _T1), 1.0 - (a[2] - a[0]) / (frob * _T2)])
    q = _rotation(3, 3)
    real, synth = (q * a) @ q.T, (q * b) @ q.T
    model = MixtureModel(np.ones(3), cov_real=real, cov_synth=synth)
    _assert_basis_reconstructs(model, real, synth)


def test_commutator_above_tolerance_of_spectral_norms_is_not_commuting() -> None:
    """The commuting test is max|AB - BA| <= 1e-9 |A|₂ |B|₂: a commutator 2.5 times that bound
    sends the model to the dense path (|B|_F is ~4|B|₂ here, so the norm matters)."""
    p = 25
    rng = np.random.default_rng(5)
    q = _rotation(p, 5)
    a = (q * np.linspace(1.0, 3.0, p)) @ q.T
    b0 = (q * np.linspace(1.0, 1.5, p)) @ q.T
    s = rng.standard_normal((p, p))
    s = s + s.T
    eta = 2.5e-9 * np.linalg.norm(a, 2) * np.linalg.norm(b0, 2) / np.max(np.abs(a @ s - s @ a))
    b = b0 + eta * s
    ratio = np.max(np.abs(a @ b - b @ a)) / (1e-9 * np.linalg.norm(a, 2) * np.linalg.norm(b, 2))
    assert 2.0 < ratio < 3.0
    model = MixtureModel(np.ones(p), cov_real=a, cov_synth=b)
    assert not model.commuting
    assert model.real_spectrum is None and model.basis is None
    np.testing.assert_array_equal(model.synth_covariance(), 0.5 * (b + b.T))


def test_prediction_reports_every_broadcast_input() -> None:
    model = MixtureModel(np.r_[1.0, np.zeros(4)])
    kw = {
        "n": [[10.0], [20.0]],
        "m": [1.0, 2.0, 3.0],
        "epsilon": 0.1,
        "rho": 0.2,
        "phi": [0.7, 0.8, 0.9],
        "gamma": [[0.5], [2.0]],
    }
    pred = predict(model, **kw)
    for name, value in kw.items():
        got = getattr(pred, name)
        assert got.shape == (2, 3), name
        np.testing.assert_array_equal(got, np.broadcast_to(value, (2, 3)), err_msg=name)
    assert pred.p == 5


def test_estimated_generator_prediction_reports_broadcast_inputs() -> None:
    kw = {
        "n": [[10.0], [20.0]],
        "n_hat": [50.0, 50.0, 80.0],
        "m": 30.0,
        "epsilon": [0.0, 0.1, 0.2],
        "rho": 0.3,
        "phi": 0.9,
        "gamma": [[1.0], [2.0]],
    }
    pred = predict_estimated_generator(p=6, mu_norm=1.0, **kw)
    for name in ("n", "m", "epsilon", "rho", "phi", "gamma"):
        got = getattr(pred, name)
        assert got.shape == (2, 3), name
        np.testing.assert_array_equal(got, np.broadcast_to(kw[name], (2, 3)), err_msg=name)
    assert pred.accuracy.shape == (2, 3) and pred.p == 6


def test_estimated_generator_prediction_of_scalars_is_scalar() -> None:
    pred = predict_estimated_generator(p=4, mu_norm=1.0, n=10, n_hat=20, m=5, gamma=0.5)
    for name, value in (("n", 10.0), ("m", 5.0), ("epsilon", 0.0), ("gamma", 0.5)):
        got = getattr(pred, name)
        assert np.ndim(got) == 0 and got == value, name
    assert np.ndim(pred.accuracy) == 0
