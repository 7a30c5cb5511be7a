"""The Monte-Carlo twin draws exactly what the model states."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.simulate import simulate, simulate_estimated_generator
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
