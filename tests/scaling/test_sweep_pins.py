"""Sweep helpers rebuilt from their documented steps: the grid setting fit, the Monte-Carlo
check, the coverage frontier and a learned run's world."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from synthmix.scaling import expected_error, fit_three_phase
from synthmix.scaling.learned import ArmSettings, LearnedScalingSettings, run_learned_scaling
from synthmix.scaling.learners import fit_predict, weighted_error
from synthmix.scaling.model import LongTailModel, sample_error
from synthmix.scaling.sweeps import _fit_setting, _monte_carlo, frontier_breakpoints
from synthmix.scaling.worlds import fit_generator, make_gaussian_world, sample_training_set

_S: dict[str, Any] = {
    "M": 200,
    "noise": 0.05,
    "points": 10,
    "span": 10.0,
    "n_boot": 12,
    "refits": 2,
    "refit_boot": 10,
    "mc_trials": 5,
}


def _zipf_breakpoints(beta: float, k: int, pi: float, m: int) -> tuple[float, float]:
    """Direct sums: n1 = Z k^β / A, n2 = Z (k+1)^β / π."""
    w = np.arange(1, m + 1, dtype=np.float64) ** -beta
    z = float(w.sum())
    head = float(w[:k].sum()) / z
    return z * k**beta / (pi + (1 - pi) / head), z * (k + 1) ** beta / pi


def test_setting_fit_draws_noise_then_fits_and_refits_from_one_stream() -> None:
    """Noise, the point fit (n_boot bootstraps) and the refits all consume the task's stream."""
    beta, k, pi = 2.0, 3, 0.1
    f = _fit_setting((beta, k, pi, _S), np.random.default_rng(3))
    n1, n2 = _zipf_breakpoints(beta, k, pi, 200)
    n = np.geomspace(n1 / 10, n2 * 10, 10)
    model = LongTailModel(beta=beta, k=k, pi=pi, M=200)
    clean_curve = expected_error(model, n)
    g = np.random.default_rng(3)
    observed = clean_curve * np.exp(0.05 * g.standard_normal(10))
    fit = fit_three_phase(n, observed, rng=g, n_boot=12)
    np.testing.assert_allclose(f.observed, observed, rtol=1e-12)
    np.testing.assert_allclose(f.ci, fit.breakpoints_ci, rtol=1e-5)
    np.testing.assert_allclose(f.replicate_ci, fit.breakpoints_replicate_ci, rtol=1e-5)
    np.testing.assert_allclose(f.slopes_ci, fit.slopes_ci, rtol=1e-5)
    np.testing.assert_allclose(f.slopes, fit.slopes, rtol=1e-5)
    np.testing.assert_allclose(f.fit_curve, fit.predict(n), rtol=1e-5)
    assert (f.n_phases, f.plateau_consistent) == (fit.n_phases, fit.plateau_consistent)
    # the two refits: fresh noise, then a 10-replicate fit, each from the same stream
    clean = fit_three_phase(n, clean_curve, rng=0, n_boot=10).breakpoints
    refits = []
    for _ in range(2):
        noisy = clean_curve * np.exp(0.05 * g.standard_normal(10))
        refits.append(fit_three_phase(n, noisy, rng=g, n_boot=10))
    covered = sum(
        ((r.breakpoints_ci[:, 0] <= clean) & (clean <= r.breakpoints_ci[:, 1])) for r in refits
    )
    np.testing.assert_array_equal(f.covered, covered)
    hits = np.zeros(2)
    for i, j in ((0, 1), (1, 0)):
        rep, est = refits[i].breakpoints_replicate_ci, refits[j].breakpoints
        hits += (rep[:, 0] <= est) & (est <= rep[:, 1])
    np.testing.assert_allclose(f.replicate_hits, hits / 2)


@pytest.mark.parametrize(("k", "pi", "n"), [(3, 0.2, 57.4), (5, 0.5, 120.6)])
def test_monte_carlo_check_samples_the_settings_model_at_the_rounded_size(
    k: int, pi: float, n: float
) -> None:
    out = _monte_carlo((2.0, k, pi, n, _S), np.random.default_rng(1))
    size = int(np.floor(n + 0.5))
    model = LongTailModel(beta=2.0, k=k, pi=pi, M=200)
    mean, se = sample_error(model, size, n_trials=5, rng=np.random.default_rng(1))
    assert (out.beta, out.k, out.pi, out.n) == (2.0, k, pi, float(size))
    assert out.mc_mean == mean and out.mc_stderr == se
    # exact E(n) = Σ p_i (1 − q_i)^n by direct sums over the M = 200 items
    i = np.arange(1, 201, dtype=np.float64)
    p = i**-2.0 / np.sum(i**-2.0)
    synth = np.where(i <= k, p, 0.0) / p[:k].sum()
    q = pi * p + (1 - pi) * synth
    assert out.exact == pytest.approx(float(np.sum(p * (1 - q) ** size)), rel=1e-9)
    assert out.z == pytest.approx((mean - out.exact) / se, rel=1e-12)


def test_frontier_normalises_both_frequency_vectors() -> None:
    """Unnormalised weights: n1 = Σq / q_k and n2 = Σp / (π p_{k+1})."""
    p = np.array([8.0, 4.0, 2.0, 1.0, 1.0])
    q = np.array([6.0, 3.0, 2.0, 0.5, 0.5])
    n1, n2 = frontier_breakpoints(p, q, 2, 0.25)
    assert n1 == pytest.approx(12.0 / 3.0, rel=1e-12)
    assert n2 == pytest.approx(16.0 / (0.25 * 2.0), rel=1e-12)
    n1, n2 = frontier_breakpoints(p, q, 3, 0.5)
    assert (n1, n2) == (pytest.approx(12.0 / 2.0), pytest.approx(16.0 / 0.5))


def test_learned_run_builds_the_world_of_its_settings() -> None:
    """A non-default test count and dimension reach the Gaussian world: the error floor is
    min p / (tests per class) and the 1-NN curve of a seed is that of the documented world."""
    st = LearnedScalingSettings(
        arms=(ArmSettings("a", "gaussian", "pool", ("1nn",), pi=0.3),),
        sizes=(2, 3, 4, 6, 8, 11, 16, 22),
        n_seeds=2,
        n_items=6,
        dim=2,
        noise=0.8,
        n_test_per_item=3,
        n_pool=40,
        n_boot=10,
    )
    (arm,) = run_learned_scaling(st, seed=4).arms
    (curve,) = arm.curves
    w = np.arange(1, 7, dtype=np.float64) ** -2.0
    assert curve.error_floor == pytest.approx(w[-1] / w.sum() / 3, rel=1e-12)
    world = make_gaussian_world(
        n_items=6,
        dim=2,
        beta=2.0,
        noise=0.8,
        n_test_per_item=3,
        rng=np.random.SeedSequence(4, spawn_key=(0, 0)),
    )
    for r in range(2):
        gen = fit_generator(
            world, mode="pool", n_pool=40, rng=np.random.SeedSequence(4, spawn_key=(1, 0, r))
        )
        for j, n in enumerate(st.sizes):
            train = sample_training_set(
                world, gen, n, pi=0.3, rng=np.random.SeedSequence(4, spawn_key=(2, 0, r))
            )
            err, _ = weighted_error(world, fit_predict("1nn", train.X, train.y, world.test_X))
            assert curve.errors[r, j] == pytest.approx(err, rel=1e-12, abs=1e-15)
