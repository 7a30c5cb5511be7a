"""Tests of the segmented three-phase fit (docs/math/scaling.md, "Measuring the phases")."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.scaling.fit import ThreePhaseFit, fit_three_phase

N = np.logspace(1, 7, 60)
B1, B2 = 1e3, 1e5


def curve(n: np.ndarray, slopes=(-0.5, 0.0, -0.5), bps=(B1, B2), c: float = 0.0) -> np.ndarray:
    x = np.log(n)
    b1, b2 = np.log(bps)
    s1, s2, s3 = slopes
    y = c + s1 * x + (s2 - s1) * np.maximum(0, x - b1) + (s3 - s2) * np.maximum(0, x - b2)
    return np.exp(y)


def noisy(seed: int, sd: float = 0.05, err: np.ndarray | None = None) -> np.ndarray:
    base = curve(N) if err is None else err
    return base * np.exp(sd * np.random.default_rng(seed).standard_normal(N.shape[0]))


@pytest.fixture(scope="module")
def clean_fit() -> ThreePhaseFit:
    return fit_three_phase(N, curve(N), rng=0, n_boot=50)


def test_noiseless_recovery(clean_fit: ThreePhaseFit) -> None:
    fit = clean_fit
    assert fit.breakpoints.shape == (2,)
    assert fit.breakpoints_ci.shape == (2, 2)
    assert fit.slopes.shape == (3,)
    assert fit.slopes_ci.shape == (3, 2)
    np.testing.assert_allclose(fit.breakpoints, [B1, B2], rtol=0.05)
    np.testing.assert_allclose(fit.slopes, [-0.5, 0.0, -0.5], atol=0.02)
    assert abs(fit.intercept) < 1e-3
    assert fit.n_phases == 3
    np.testing.assert_array_equal(fit.middle_slope_ci, fit.slopes_ci[1])
    assert fit.residual_sd < 1e-4


def test_calibration_with_noise() -> None:
    # 5% multiplicative lognormal noise; 20 fresh-noise refits with the default n_boot=200.
    # Measured when written: true n1 inside its 90% interval in 16/20 refits, n2 in 18/20;
    # slopes 18, 19, 20 of 20; middle interval contains 0 in 19/20. (A 60-refit study outside
    # the suite gave 83% and 92% breakpoint coverage.)
    hits = np.zeros(2)
    slope_hits = np.zeros(3)
    plateau = 0
    reps = 20
    for seed in range(reps):
        fit = fit_three_phase(N, noisy(100 + seed), rng=seed, n_boot=200)
        lo, hi = fit.breakpoints_ci.T
        hits += (lo <= [B1, B2]) & (hi >= [B1, B2])
        slo, shi = fit.slopes_ci.T
        slope_hits += (slo <= [-0.5, 0.0, -0.5]) & (shi >= [-0.5, 0.0, -0.5])
        assert fit.n_phases == 3
        plateau += fit.plateau_consistent
    print(
        f"breakpoint coverage {hits}/{reps}, slope coverage {slope_hits}/{reps}, plateau {plateau}"
    )
    assert plateau >= 0.75 * reps
    assert np.all(hits >= 0.75 * reps), hits
    assert np.all(slope_hits >= 0.75 * reps), slope_hits


def test_power_law_is_one_phase() -> None:
    err = noisy(7, err=3.0 * N**-0.4)
    fit = fit_three_phase(N, err, rng=0, n_boot=20)
    assert fit.n_phases == 1
    assert fit.bic[1] < min(fit.bic[2], fit.bic[3])
    assert set(fit.bic) == {1, 2, 3}
    # noiseless power law: every model fits to round-off; the simplest wins
    clean = fit_three_phase(N, 3.0 * N**-0.4, rng=0, n_boot=20)
    assert clean.n_phases == 1


def test_single_kink_is_two_phases() -> None:
    err = noisy(11, err=curve(N, slopes=(-0.2, -0.8, -0.8), bps=(1e4, 1e6)))
    fit = fit_three_phase(N, err, rng=0, n_boot=20)
    assert fit.n_phases == 2
    assert fit.bic[2] < fit.bic[3]


def test_predict_and_phase_of(clean_fit: ThreePhaseFit) -> None:
    fit = clean_fit
    np.testing.assert_allclose(fit.predict(N), curve(N), rtol=1e-5)
    # log-log slope of predict within each phase equals that phase's slope
    n1, n2 = fit.breakpoints
    for lo, hi in [(20.0, n1 / 2), (n1 * 2, n2 / 2), (n2 * 2, 5e6)]:
        slope = np.log(fit.predict(hi) / fit.predict(lo)) / np.log(hi / lo)
        phase = fit.phase_of(np.array([lo, hi]))
        assert phase[0] == phase[1]
        assert slope == pytest.approx(fit.slopes[phase[0] - 1], abs=1e-9)
    np.testing.assert_array_equal(
        fit.phase_of([10.0, n1 * 0.99, n1 * 1.01, n2 * 1.01]), [1, 1, 2, 3]
    )
    assert fit.predict(np.ones((2, 3))).shape == (2, 3)
    assert fit.phase_of(np.ones((2, 3))).shape == (2, 3)
    # continuity at the breakpoints
    for b in fit.breakpoints:
        assert fit.predict(b * (1 - 1e-9)) == pytest.approx(fit.predict(b * (1 + 1e-9)), rel=1e-6)


def test_same_rng_same_result() -> None:
    err = noisy(3)
    a = fit_three_phase(N, err, rng=5, n_boot=30)
    b = fit_three_phase(N, err, rng=5, n_boot=30)
    c = fit_three_phase(N, err, rng=6, n_boot=30)
    for name in ("breakpoints", "breakpoints_ci", "slopes", "slopes_ci"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.breakpoints, c.breakpoints)  # point fit has no randomness
    assert not np.array_equal(a.breakpoints_ci, c.breakpoints_ci)
    # a Generator seeded the same way gives the same bootstrap as the int
    g = fit_three_phase(N, err, rng=np.random.default_rng(5), n_boot=30)
    np.testing.assert_array_equal(a.breakpoints_ci, g.breakpoints_ci)
    # input order does not matter
    perm = np.random.default_rng(0).permutation(N.shape[0])
    p = fit_three_phase(N[perm], err[perm], rng=5, n_boot=30)
    np.testing.assert_array_equal(a.breakpoints_ci, p.breakpoints_ci)


def test_seed_case_bootstrap() -> None:
    n = np.tile(np.logspace(1, 7, 25), 4)
    seeds = np.repeat(np.arange(4), 25)
    err = curve(n) * np.exp(0.05 * np.random.default_rng(2).standard_normal(n.shape[0]))
    fit = fit_three_phase(n, err, rng=0, n_boot=40, seeds=seeds)
    assert fit.bootstrap == "seeds"
    assert fit.n_points == 100
    assert np.all(fit.breakpoints_ci[:, 0] <= fit.breakpoints_ci[:, 1])
    np.testing.assert_allclose(fit.breakpoints, [B1, B2], rtol=0.3)
    again = fit_three_phase(n, err, rng=0, n_boot=40, seeds=seeds)
    np.testing.assert_array_equal(fit.slopes_ci, again.slopes_ci)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": -N}, "n"),
        ({"n": np.where(N > 1e3, np.nan, N)}, "n"),
        ({"err": np.zeros(60)}, "err"),
        ({"err": np.full(60, np.inf)}, "err"),
        ({"err": np.ones(59)}, "err"),
        ({"n": N[:7], "err": np.ones(7)}, "n"),
        ({"n": np.repeat([1.0, 2, 3, 4, 5], 2), "err": np.ones(10)}, "n"),
        ({"n": N.reshape(6, 10), "err": np.ones((6, 10))}, "n"),
        ({"n": "abc"}, "n"),
        ({"n_boot": 0}, "n_boot"),
        ({"n_boot": 2.5}, "n_boot"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0.0}, "confidence"),
        ({"rng": -1}, "rng"),
        ({"rng": "seed"}, "rng"),
        ({"seeds": np.zeros(59)}, "seeds"),
        ({"seeds": np.zeros(60)}, "seeds"),
    ],
)
def test_bad_inputs(kwargs: dict, name: str) -> None:
    args = {"n": N, "err": curve(N), **kwargs}
    n, err = args.pop("n"), args.pop("err")
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        fit_three_phase(n, err, **args)
    with pytest.raises(ValidationError, match=r"^n must"):
        fit_three_phase(N, curve(N), rng=0, n_boot=10).predict(-1.0)


def _fit_with(**fields: Any) -> ThreePhaseFit:
    """A ThreePhaseFit whose selection and slopes are set by hand (verdict() reads only these)."""
    n = np.logspace(1, 6, 20)
    base = fit_three_phase(n, n**-0.5, rng=0, n_boot=10)
    return dataclasses.replace(base, **fields)


_BIC = {1: -10.0, 2: -12.5, 3: -11.25}


@pytest.mark.parametrize(
    ("fields", "verdict"),
    [
        (
            {"n_phases": 1, "bic": {1: -3.0, 2: -2.0, 3: -1.0}},
            "the data do not show three phases: BIC prefers 1 segment (1 segment -3.0, "
            "2 segments -2.0, 3 segments -1.0; lower is better), so no breakpoints are reported",
        ),
        (
            {"n_phases": 2, "bic": _BIC},
            "the data do not show three phases: BIC prefers 2 segments (1 segment -10.0, "
            "2 segments -12.5, 3 segments -11.2; lower is better), so no breakpoints are reported",
        ),
        (
            {
                "n_phases": 3,
                "bic": _BIC,
                "slopes": np.array([-1.0, -0.125, -0.5]),
                "middle_slope_ci": np.array([-0.25, 0.0625]),
                "plateau_consistent": True,
            },
            "three phases (BIC: 1 segment -10.0, 2 segments -12.5, 3 segments -11.2); the middle "
            "one is a plateau (middle slope -0.125 [-0.250, +0.062] contains 0)",
        ),
        (
            {
                "n_phases": 3,
                "bic": _BIC,
                "slopes": np.array([-1.0, -0.25, -0.5]),
                "middle_slope_ci": np.array([-0.375, -0.125]),
                "plateau_consistent": False,
            },
            "three phases (BIC: 1 segment -10.0, 2 segments -12.5, 3 segments -11.2); the middle "
            "one is not flat (middle slope -0.250 [-0.375, -0.125] excludes 0)",
        ),
    ],
)
def test_verdict_follows_the_model_selection(fields: dict[str, Any], verdict: str) -> None:
    fit = _fit_with(**fields)
    assert fit.three_phases is (fields["n_phases"] == 3)
    assert fit.verdict() == verdict
