"""The Monte-Carlo twin draws exactly what the model states."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.simulate import montecarlo, simulate, simulate_estimated_generator
from synthmix.simulate.ridge import solve_ridge
from synthmix.theory import MixtureModel

MODEL = MixtureModel(np.r_[1.5, np.zeros(19)])


def test_kept_fraction_estimates_alpha() -> None:
    """The verifier keeps a sample by a coin flip: E[kept] = α = φ(1−ε) + ρε."""
    eps, rho, phi, m, trials = 0.3, 0.2, 0.7, 2000, 20
    res = simulate(MODEL, n=10, m=m, epsilon=eps, rho=rho, phi=phi, n_trials=trials, rng=1)
    alpha = phi * (1 - eps) + rho * eps
    se = np.sqrt(alpha * (1 - alpha) / (m * trials))
    assert abs(res.kept_fraction_mean - alpha) <= 4 * se


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    kw = dict(n=30, m=60, epsilon=0.2, rho=0.1, phi=0.9, gamma=0.5, n_trials=5)
    a, b, c = (
        simulate(MODEL, rng=3, **kw),
        simulate(MODEL, rng=3, **kw),
        simulate(MODEL, rng=4, **kw),
    )
    np.testing.assert_array_equal(a.accuracies, b.accuracies)
    assert not np.array_equal(a.accuracies, c.accuracies)
    assert a.seed == 3 and a.n_trials == 5 and a.accuracies.shape == (5,)


def test_result_is_consistent() -> None:
    res = simulate(MODEL, n=30, m=60, epsilon=0.2, n_trials=6, rng=0)
    assert res.accuracy_mean == pytest.approx(res.accuracies.mean())
    assert res.accuracy_stderr == pytest.approx(res.accuracies.std(ddof=1) / np.sqrt(6))
    assert res.risk_mean == pytest.approx(res.second_moment_mean - 2 * res.mean_mean + 1)


def test_nothing_to_train_on_is_a_coin_flip() -> None:
    """n = 0 and a verifier that keeps nothing: w = 0, accuracy exactly 1/2, risk exactly 1."""
    res = simulate(MODEL, n=0, m=50, epsilon=1.0, rho=0.0, phi=1.0, n_trials=3, rng=0)
    assert res.accuracy_mean == 0.5 and res.risk_mean == 1.0 and res.kept_fraction_mean == 0.0


def test_real_only_has_no_kept_fraction() -> None:
    res = simulate(MODEL, n=40, m=0, n_trials=2, rng=0)
    assert np.isnan(res.kept_fraction_mean)


@pytest.mark.parametrize("n_hat", [5, 40])
def test_estimated_generator_ranks(n_hat: int) -> None:
    """Both factorisations of the estimated covariance (rank n̂ < p and full rank) run."""
    res = simulate_estimated_generator(
        p=20, mu_norm=1.0, n=20, n_hat=n_hat, m=100, n_trials=3, rng=0
    )
    assert res.n_hat == n_hat and 0 < res.accuracy_mean < 1


@pytest.mark.parametrize("factor", ["identity", "diagonal", "dense"])
def test_accumulated_statistics_equal_a_literal_recomputation(factor: str) -> None:
    """The in-place BLAS updates (rank one for the means, syrk for the Gram matrix, in row
    chunks) give the Σ xxᵀ and Σ label·x of the samples ``y·mean + noise`` drawn from the same
    stream, recomputed here with plain products (chunk boundary crossed: 5,000 rows)."""
    p, rows = 30, 5000
    gen = np.random.default_rng(3)
    fac = {
        "identity": None,
        "diagonal": np.linspace(0.5, 1.5, p),
        "dense": np.linalg.cholesky(np.cov(gen.standard_normal((p, 2 * p)))),
    }[factor]
    mean = gen.standard_normal(p)
    y = np.where(gen.random(rows) < 0.5, -1.0, 1.0)
    labels = y * np.where(gen.random(rows) < 0.2, -1.0, 1.0)
    gram, rhs = np.zeros((p, p), order="F"), np.zeros(p)
    montecarlo._accumulate(np.random.default_rng(1), gram, rhs, y, labels, mean, fac)
    stream = np.random.default_rng(1)
    x = np.vstack(
        [
            np.outer(y[a : a + montecarlo._CHUNK_ROWS], mean)
            + montecarlo._noise(stream, y[a : a + montecarlo._CHUNK_ROWS].size, p, fac)
            for a in range(0, rows, montecarlo._CHUNK_ROWS)
        ]
    )
    upper = np.triu_indices(p)
    np.testing.assert_allclose(gram[upper], (x.T @ x)[upper], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(rhs, labels @ x, rtol=1e-12, atol=1e-9)


def test_ridge_solve_reads_the_upper_triangle_in_either_layout() -> None:
    """solve_ridge equals a dense solve of (G/N + γI) w = b/N for a C- or Fortran-ordered G,
    and reads only G's upper triangle (garbage below the diagonal changes nothing)."""
    gen = np.random.default_rng(4)
    z = gen.standard_normal((40, 12))
    gram, rhs = z.T @ z, z.T @ gen.standard_normal(40)
    want = np.linalg.solve(gram / 50 + 0.3 * np.eye(12), rhs / 50)
    lower = np.tril_indices(12, -1)
    for layout in ("C", "F"):
        g = np.array(gram, order=layout)
        np.testing.assert_allclose(solve_ridge(g, rhs, 50, 0.3), want, rtol=1e-12)
        g[lower] = np.nan
        np.testing.assert_allclose(solve_ridge(g, rhs, 50, 0.3), want, rtol=1e-12)
