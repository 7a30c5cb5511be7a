"""Exact special cases and invariances of the theory (no simulation; tight tolerances).

Every identity below holds exactly in the theorem of docs/math/rmt.md, so tolerances are round-off
(1e-10 relative unless noted), not fudge factors.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from synthmix.theory import MixtureModel, predict, predict_estimated_generator, transition_epsilon
from synthmix.theory.predict import estimated_generator_model

RTOL = 1e-10


def _e1(p: int, norm: float) -> np.ndarray:
    v = np.zeros(p)
    v[0] = norm
    return v


def _classical_ridge(p: int, n: int, mu_norm: float, gamma: float) -> tuple[float, float]:
    """Real-only ridge (Σ = I) in closed form, derived by hand without any fixed-point solver.

    With η = p/n, δ is the positive root of the Marchenko–Pastur quadratic
    ``γδ² + (γ + 1 − η)δ − η = 0``; β = 1/(1+δ), d = γ + β, s = |μ|². The mean resolvent is
    ``Q̄ = (dI + βμμᵀ)⁻¹`` (Sherman–Morrison), ``M = βs/(d + βs)``, and with
    ``t = η/d²``, ``τ = t/(1 − β²t)``, ``q = β²s(s+1)/(d + βs)²``:
    ``V = q(1 + β²τ) + β²τ(1 − 2M)``. Returns (accuracy, risk).
    """
    eta = p / n
    b_ = gamma + 1.0 - eta
    delta = (-b_ + np.sqrt(b_**2 + 4.0 * gamma * eta)) / (2.0 * gamma)
    beta = 1.0 / (1.0 + delta)
    d = gamma + beta
    s = mu_norm**2
    mean = beta * s / (d + beta * s)
    t = eta / d**2
    tau = t / (1.0 - beta**2 * t)
    q = beta**2 * s * (s + 1.0) / (d + beta * s) ** 2
    second = q * (1.0 + beta**2 * tau) + beta**2 * tau * (1.0 - 2.0 * mean)
    return float(ndtr(mean / np.sqrt(second - mean**2))), float(second - 2.0 * mean + 1.0)


@pytest.mark.parametrize(
    ("p", "n", "mu_norm", "gamma"),
    [(100, 400, 1.5, 1.0), (300, 200, 2.0, 0.05), (50, 5000, 0.7, 10.0), (500, 500, 1.0, 0.01)],
)
def test_real_only_equals_classical_ridge(p: int, n: int, mu_norm: float, gamma: float) -> None:
    acc, risk = _classical_ridge(p, n, mu_norm, gamma)
    pred = predict(MixtureModel(_e1(p, mu_norm)), n=n, m=0, gamma=gamma)
    np.testing.assert_allclose(pred.accuracy, acc, rtol=RTOL)
    np.testing.assert_allclose(pred.risk, risk, rtol=RTOL)


def test_real_only_ignores_every_synthetic_parameter() -> None:
    p = 120
    base = predict(MixtureModel(_e1(p, 1.5)), n=300, m=0, gamma=0.3)
    other = MixtureModel(_e1(p, 1.5), mu_synth=_e1(p, -3.0), cov_synth=np.linspace(0.1, 4.0, p))
    pred = predict(other, n=300, m=0, epsilon=0.7, rho=0.2, phi=0.4, gamma=0.3)
    np.testing.assert_allclose(pred.accuracy, base.accuracy, rtol=RTOL)
    np.testing.assert_allclose(pred.risk, base.risk, rtol=RTOL)


@pytest.mark.parametrize(
    ("rho", "phi"), [(0.3, 0.8), (0.1, 0.9), (1.0, 1.0), (0.5, 0.2), (0.0, 0.6)]
)
@pytest.mark.parametrize("p_over_m", [1.0, 0.1, 0.01, 0.001])
def test_synthetic_only_is_exactly_half_at_transition(
    rho: float, phi: float, p_over_m: float
) -> None:
    p = 100
    eps_star = transition_epsilon(rho=rho, phi=phi)
    for model in (
        MixtureModel(_e1(p, 1.0)),
        MixtureModel(
            _e1(p, 1.0),
            mu_synth=0.5 * _e1(p, 1.0) + _e1(p, 0.0),
            cov_synth=np.linspace(0.3, 2.0, p),
        ),
    ):
        pred = predict(model, n=0, m=p / p_over_m, epsilon=eps_star, rho=rho, phi=phi, gamma=1.0)
        assert abs(float(pred.accuracy) - 0.5) <= 1e-12
        below = predict(model, n=0, m=p / p_over_m, epsilon=eps_star - 0.05, rho=rho, phi=phi)
        above = predict(
            model, n=0, m=p / p_over_m, epsilon=min(eps_star + 0.05, 1.0), rho=rho, phi=phi
        )
        if eps_star < 1.0:
            assert float(below.accuracy) > 0.5 > float(above.accuracy)


def test_transition_epsilon_values() -> None:
    assert transition_epsilon(rho=0.3, phi=0.8) == pytest.approx(0.8 / 1.1, rel=1e-15)
    assert transition_epsilon(rho=0.0, phi=1.0) == 1.0
    np.testing.assert_allclose(transition_epsilon(rho=[1.0, 0.5], phi=1.0), [0.5, 2.0 / 3.0])


def test_alpha_one_needs_no_pruning_correction() -> None:
    """α = 1 (every synthetic sample kept): the verifier's ρ cannot matter when ε = 0 and φ = 1."""
    model = MixtureModel(_e1(150, 1.2), cov_synth=np.linspace(0.5, 2.0, 150))
    preds = [
        predict(model, n=100, m=600, epsilon=0.0, rho=r, phi=1.0, gamma=0.2)
        for r in (0.0, 0.37, 1.0)
    ]
    for pr in preds[1:]:
        np.testing.assert_allclose(pr.accuracy, preds[0].accuracy, rtol=RTOL)
        np.testing.assert_allclose(pr.delta_s, preds[0].delta_s, rtol=RTOL)


@pytest.mark.parametrize("q", [0.2, 0.5, 0.9])
def test_uninformative_verifier_is_subsampling(q: float) -> None:
    """A verifier with ρ = φ = q keeps a random fraction q: pruning is a coin flip, not a weight.

    Ridge normalised by N = n + m with penalty γ equals ridge normalised by N' = n + qm with
    penalty γN/N'. So predicting with ``(m, ρ = φ = q, γ)`` must equal predicting with
    ``(q·m, no pruning, γ(n+m)/(n+qm))`` — which the public code's soft weighting violates.
    """
    model = MixtureModel(
        _e1(200, 1.5), mu_synth=0.8 * _e1(200, 1.5), cov_synth=np.linspace(0.4, 1.8, 200)
    )
    n, m, gamma, eps = 80.0, 500.0, 0.3, 0.25
    pruned = predict(model, n=n, m=m, epsilon=eps, rho=q, phi=q, gamma=gamma)
    sub = predict(
        model, n=n, m=q * m, epsilon=eps, rho=1.0, phi=1.0, gamma=gamma * (n + m) / (n + q * m)
    )
    np.testing.assert_allclose(pruned.accuracy, sub.accuracy, rtol=1e-9)
    np.testing.assert_allclose(pruned.risk, sub.risk, rtol=1e-9)


def test_anti_aligned_synthetic_means_give_accuracy_below_half() -> None:
    p = 200
    model = MixtureModel(_e1(p, 1.5), mu_synth=_e1(p, -1.0))
    pred = predict(model, n=[0, 10, 50], m=5000, epsilon=0.1, rho=0.1, phi=0.9, gamma=1.0)
    assert np.all(pred.accuracy < 0.5)
    assert np.all(pred.mean < 0)


def test_synthetic_only_sign_flip_of_mean_mirrors_accuracy() -> None:
    """n = 0: replacing μ_s by −μ_s negates M and leaves V, so accuracy → 1 − accuracy."""
    p = 100
    mu = _e1(p, 1.0)
    mu_s = 0.7 * mu + _e1(p, 0.0)
    mu_s[3] = 0.4
    kw = dict(n=0, m=[150, 1000], epsilon=0.2, rho=0.2, phi=0.7, gamma=0.5)
    a = predict(MixtureModel(mu, mu_synth=mu_s, cov_synth=np.linspace(0.5, 2, p)), **kw)
    b = predict(MixtureModel(mu, mu_synth=-mu_s, cov_synth=np.linspace(0.5, 2, p)), **kw)
    np.testing.assert_allclose(a.accuracy + b.accuracy, 1.0, rtol=RTOL)
    np.testing.assert_allclose(a.second_moment, b.second_moment, rtol=RTOL)


@settings(max_examples=40, deadline=None)
@given(
    eps=st.floats(0.0, 1.0),
    rho=st.floats(0.0, 1.0),
    phi=st.floats(0.05, 1.0),
    n=st.integers(0, 400),
    m=st.integers(1, 2000),
    log_gamma=st.floats(-2.0, 1.0),
    angle=st.floats(0.0, 180.0),
)
def test_relabelling_symmetry(
    eps: float, rho: float, phi: float, n: int, m: int, log_gamma: float, angle: float
) -> None:
    """Calling the synthetic class −y: (μ_s, ε, ρ, φ) and (−μ_s, 1−ε, φ, ρ) are the same data."""
    p = 60
    mu = _e1(p, 1.3)
    mu_s = np.zeros(p)
    mu_s[0], mu_s[1] = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    c = np.linspace(0.5, 2.0, p)
    a = predict(
        MixtureModel(mu, mu_synth=mu_s, cov_synth=c),
        n=n,
        m=m,
        epsilon=eps,
        rho=rho,
        phi=phi,
        gamma=10**log_gamma,
    )
    b = predict(
        MixtureModel(mu, mu_synth=-mu_s, cov_synth=c),
        n=n,
        m=m,
        epsilon=1 - eps,
        rho=phi,
        phi=rho,
        gamma=10**log_gamma,
    )
    np.testing.assert_allclose(a.accuracy, b.accuracy, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.risk, b.risk, rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), m=st.integers(1, 1500))
def test_rotation_invariance(seed: int, n: int, m: int) -> None:
    """Rotating μ, μ_s and C together leaves every prediction unchanged (ridge is rotation
    invariant); this also pits the diagonal fast path against the eigen-decomposed one."""
    p = 40
    rng = np.random.default_rng(seed)
    mu, mu_s = rng.standard_normal(p) / np.sqrt(p) * 1.5, rng.standard_normal(p) / np.sqrt(p)
    spec = rng.uniform(0.2, 2.5, p)
    q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    kw = dict(n=n, m=m, epsilon=0.2, rho=0.2, phi=0.9, gamma=0.3)
    a = predict(MixtureModel(mu, mu_synth=mu_s, cov_synth=spec), **kw)
    b = predict(MixtureModel(q @ mu, mu_synth=q @ mu_s, cov_synth=(q * spec) @ q.T), **kw)
    np.testing.assert_allclose([a.accuracy, a.risk], [b.accuracy, b.risk], rtol=1e-8)


def test_diagonal_rotated_and_dense_backends_agree() -> None:
    """Three code paths for one model: diagonal spectra (no eigendecomposition), the same
    model rotated (common eigenbasis found by ``MixtureModel``), and the dense Cholesky
    backend that non-commuting models use, forced here on the commuting model."""
    from synthmix.theory._equivalents import DenseBackend, Points, evaluate

    p = 60
    rng = np.random.default_rng(7)
    r, c = rng.uniform(0.5, 2.0, p), rng.uniform(0.2, 3.0, p)
    mu, mu_s = _e1(p, 1.5), rng.standard_normal(p) * 0.2
    fast = MixtureModel(mu, mu_synth=mu_s, cov_real=r, cov_synth=c)
    assert fast.commuting and fast.basis is None
    q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    rotated = MixtureModel(
        q @ mu, mu_synth=q @ mu_s, cov_real=(q * r) @ q.T, cov_synth=(q * c) @ q.T
    )
    assert rotated.commuting and rotated.basis is not None
    kw = dict(n=np.array([0.0, 50.0, 200.0]), m=300.0, epsilon=0.3, rho=0.1, phi=0.8, gamma=0.2)
    a = predict(fast, **kw)
    b = predict(rotated, **kw)
    pts = Points(
        *(
            np.broadcast_to(np.asarray(kw[k], dtype=float), (3,)).copy()
            for k in ("n", "m", "epsilon", "rho", "phi", "gamma")
        )
    )
    dense = evaluate(DenseBackend((q * r) @ q.T, (q * c) @ q.T, q @ mu, q @ mu_s), pts)
    np.testing.assert_allclose(a.accuracy, b.accuracy, rtol=1e-8)
    np.testing.assert_allclose(a.accuracy, dense.accuracy, rtol=1e-8)
    np.testing.assert_allclose(a.second_moment, dense.second_moment, rtol=1e-8)


def test_broadcasting_matches_pointwise_calls() -> None:
    model = MixtureModel(_e1(80, 1.2), cov_synth=np.linspace(0.5, 1.5, 80))
    n = np.array([[0.0], [100.0]])
    m = np.array([10.0, 500.0, 5000.0])
    pred = predict(model, n=n, m=m, epsilon=0.2, rho=[0.1, 0.3, 0.5], phi=0.9, gamma=0.5)
    assert pred.accuracy.shape == pred.delta.shape == pred.rho.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            one = predict(
                model, n=n[i, 0], m=m[j], epsilon=0.2, rho=[0.1, 0.3, 0.5][j], phi=0.9, gamma=0.5
            )
            assert np.ndim(one.accuracy) == 0
            np.testing.assert_allclose(pred.accuracy[i, j], one.accuracy, rtol=1e-12)


def test_estimated_generator_prediction_is_predict_on_each_n_hat_model() -> None:
    """Each ``n_hat`` value gets its own Marchenko–Pastur model; the defaults are clean labels
    (ε = 0), no pruning (ρ = φ = 1) and ridge γ = 1."""
    n_hat = np.array([50.0, 400.0, 50.0])
    got = predict_estimated_generator(p=40, mu_norm=1.2, n=30, n_hat=n_hat, m=[20, 200, 500])
    np.testing.assert_array_equal(got.epsilon, 0.0)
    np.testing.assert_array_equal(got.rho, 1.0)
    np.testing.assert_array_equal(got.phi, 1.0)
    np.testing.assert_array_equal(got.gamma, 1.0)
    for i, (nh, m) in enumerate(zip(n_hat, [20, 200, 500], strict=True)):
        one = predict(
            estimated_generator_model(40, 1.2, nh),
            n=30,
            m=m,
            epsilon=0.0,
            rho=1.0,
            phi=1.0,
            gamma=1.0,
        )
        assert got.accuracy[i] == pytest.approx(float(one.accuracy), rel=1e-12)
        assert got.risk[i] == pytest.approx(float(one.risk), rel=1e-12)
    assert got.accuracy[0] != got.accuracy[1]
