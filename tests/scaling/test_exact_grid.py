"""scaling_exact_grid records each setting's closed-form prediction and the grid summaries."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from synthmix.scaling import expected_error, fit_three_phase
from synthmix.scaling.model import LongTailModel
from synthmix.scaling.sweeps import ExactGridResult, scaling_exact_grid

#: A grid small enough for the default suite (also used by test_defaults_and_dtypes).
SMALL_GRID: dict[str, Any] = {
    "betas": (2.0,),
    "ks": (3, 8),
    "pis": (0.1,),
    "M": 300,
    "noise": 0.05,
    "points": 12,
    "span": 10.0,
    "n_boot": 10,
    "refits": 2,
    "refit_boot": 10,
    "control_M": 300,
    "mc_trials": 4,
}


@pytest.fixture(scope="module")
def grid() -> ExactGridResult:
    return scaling_exact_grid(SMALL_GRID, rng=5)


def _zipf_breakpoints(beta: float, k: int, pi: float, m: int) -> tuple[float, float, float]:
    """Direct sums: n1 = Z k^β / A, n2 = Z (k+1)^β / π and the tail mass beyond k."""
    w = np.arange(1, m + 1, dtype=np.float64) ** -beta
    z = float(w.sum())
    head = float(w[:k].sum()) / z
    big_a = pi + (1 - pi) / head
    return z * k**beta / big_a, z * (k + 1) ** beta / pi, 1.0 - head


def test_settings_record_their_closed_form_prediction_and_sizes(grid: ExactGridResult) -> None:
    assert [(f.beta, f.k, f.pi) for f in grid.fits] == [(2.0, 3, 0.1), (2.0, 8, 0.1)]
    for f in grid.fits:
        n1, n2, tail = _zipf_breakpoints(f.beta, f.k, f.pi, 300)
        np.testing.assert_allclose(f.predicted, [n1, n2], rtol=1e-9)
        assert f.plateau_error == pytest.approx(tail, rel=1e-9)
        assert f.asymptotic_slope == -0.5
        np.testing.assert_allclose(f.n, np.geomspace(n1 / 10, n2 * 10, 12), rtol=1e-12)
        model = LongTailModel(beta=f.beta, k=f.k, pi=f.pi, M=300)
        np.testing.assert_allclose(f.clean_curve, expected_error(model, f.n), rtol=1e-12)
        clean = fit_three_phase(f.n, f.clean_curve, rng=0, n_boot=10)
        np.testing.assert_allclose(f.clean, clean.breakpoints, rtol=1e-12)
        np.testing.assert_allclose(f.clean_slopes, clean.slopes, rtol=1e-12)
        # multiplicative noise of sd 0.05 on the log scale: a few sd at most
        assert np.all(np.abs(np.log(f.observed / f.clean_curve)) < 0.05 * 5)
        assert np.any(f.observed != f.clean_curve)
        refit = fit_three_phase(f.n, f.observed, rng=0, n_boot=10)
        np.testing.assert_allclose(f.fitted, refit.breakpoints, rtol=1e-9)  # the point fit
        assert f.refits == 2
        assert np.all((f.covered >= 0) & (f.covered <= 2) & (f.covered == np.round(f.covered)))
        assert np.all((f.replicate_hits >= 0) & (f.replicate_hits <= 1))
        assert f.eligible == (n2 / n1 >= 10)


def test_grid_summaries_are_the_stated_aggregates(grid: ExactGridResult) -> None:
    elig = [f for f in grid.fits if f.predicted[1] / f.predicted[0] >= 10]
    assert grid.n_eligible == len(elig) == 2
    ratios = [f.fitted / f.predicted for f in elig]
    assert grid.within_factor_2 == np.mean([np.all((r >= 0.5) & (r <= 2)) for r in ratios])
    pred = np.array([f.predicted for f in elig])
    got = np.array([f.fitted for f in elig])
    for j, slope in enumerate((grid.slope_n1, grid.slope_n2)):
        # two points: the slope of the line through them
        want = math.log(got[1, j] / got[0, j]) / math.log(pred[1, j] / pred[0, j])
        assert slope == pytest.approx(want, rel=1e-9)
    np.testing.assert_allclose(grid.coverage, (grid.fits[0].covered + grid.fits[1].covered) / 4)
    np.testing.assert_allclose(
        grid.replicate_coverage, (grid.fits[0].replicate_hits + grid.fits[1].replicate_hits) / 2
    )
    assert (grid.noise, grid.points, grid.span, grid.n_boot) == (0.05, 12, 10.0, 10)
    assert [c[0] for c in grid.controls] == [2.0]
    assert all(isinstance(c[1], int) and c[1] in (1, 2, 3) for c in grid.controls)


def test_monte_carlo_checks_sit_around_the_middle_setting(grid: ExactGridResult) -> None:
    """k = ks[len // 2] = 8, π = 0.05, at n1/10, sqrt(n1 n2) and 10 n2, rounded."""
    n1, n2, _ = _zipf_breakpoints(2.0, 8, 0.05, 300)
    sizes = [round(n1 / 10), round(math.sqrt(n1 * n2)), round(10 * n2)]
    assert [m.n for m in grid.monte_carlo] == sizes
    model = LongTailModel(beta=2.0, k=8, pi=0.05, M=300)
    for m in grid.monte_carlo:
        assert (m.beta, m.k, m.pi) == (2.0, 8, 0.05)
        assert m.exact == pytest.approx(float(expected_error(model, m.n)), rel=1e-12)
        assert m.mc_stderr > 0 and m.z == (m.mc_mean - m.exact) / m.mc_stderr


def test_without_refits_the_calibration_is_nan_and_the_default_seed_is_zero() -> None:
    s = {**SMALL_GRID, "ks": (3,), "refits": 0, "betas": (2.0,)}
    default = scaling_exact_grid(s)
    zero = scaling_exact_grid(s, rng=0)
    one = scaling_exact_grid(s, rng=1)
    (f,) = default.fits
    assert np.all(np.isnan(f.covered)) and np.all(np.isnan(f.replicate_hits))
    assert np.all(np.isnan(default.coverage)) and np.all(np.isnan(default.replicate_coverage))
    assert math.isnan(default.slope_n1) and math.isnan(default.slope_n2)  # one eligible setting
    np.testing.assert_array_equal(f.observed, zero.fits[0].observed)
    assert np.any(f.observed != one.fits[0].observed)
