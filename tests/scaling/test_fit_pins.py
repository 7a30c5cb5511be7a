"""Pins of the three-phase fit's least-squares core, smooth fit and bootstrap bookkeeping.

Expected values are built independently: brute-force least squares with numpy, the smooth
broken power law written out here, and the bootstrap's documented resampling redone by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from synthmix._random import spawn
from synthmix.scaling import fit as fitmod
from synthmix.scaling.fit import fit_three_phase


def _hinge_curve(
    n_pts: int = 40, b1: float = 3.3, b2: float = 6.7
) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(1.0, 9.0, n_pts)
    y = 0.2 - 0.5 * x + 0.45 * np.maximum(0.0, x - b1) - 0.4 * np.maximum(0.0, x - b2)
    return x, y


def _lstsq_sse(X: np.ndarray, y: np.ndarray) -> float:
    coef = np.linalg.lstsq(X, y, rcond=None)[0]
    r = y - X @ coef
    return float(r @ r)


def test_design_columns_and_double_precision() -> None:
    x = np.array([1.1, 2.3, 3.7, 5.9], dtype=np.float32)
    bps = np.array([[1.3, 3.1], [2.2, 4.4]], dtype=np.float32)
    X = fitmod._design(x, 2.0, bps)
    assert X.shape == (2, 4, 4)
    x64, b64 = x.astype(np.float64), bps.astype(np.float64)
    for p in range(2):
        assert np.all(X[p, :, 0] == 1.0)
        np.testing.assert_allclose(X[p, :, 1], x64 - 2.0, rtol=0, atol=1e-15)
        for j in range(2):
            # hinges in double precision, exactly as from float64 inputs
            assert np.array_equal(X[p, :, 2 + j], np.maximum(0.0, x64 - b64[p, j]))


def test_grid_finds_brute_force_optimum_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    x = np.linspace(0.0, 5.0, 14)
    # the true breakpoints sit late in the candidate list, beyond the first chunks
    Y = np.stack(
        [
            -x + 1.2 * np.maximum(0, x - 3.2) - 0.9 * np.maximum(0, x - 4.1),
            -x + 0.8 * np.maximum(0, x - 0.6) + rng.normal(0, 0.05, x.size),
            0.3 * x - 0.7 * np.maximum(0, x - 2.5) + 0.9 * np.maximum(0, x - 3.9),
        ],
        axis=1,
    )
    monkeypatch.setattr(fitmod, "_PAIR_CHUNK", 5)
    xc = float(np.mean(x))
    got = fitmod._grid(x, xc, Y, 2)
    u = np.unique(x)
    mids = 0.5 * (u[:-1] + u[1:])
    m = u.size
    for col in range(Y.shape[1]):
        best, best_b = np.inf, None
        for j1 in range(1, m - 1):
            for j2 in range(j1 + 2, m - 2):
                b = (mids[j1], mids[j2])
                X = np.column_stack(
                    [np.ones_like(x), x - xc, np.maximum(0, x - b[0]), np.maximum(0, x - b[1])]
                )
                sse = _lstsq_sse(X, Y[:, col])
                if sse < best - 1e-12:
                    best, best_b = sse, b
        assert best_b is not None
        np.testing.assert_allclose(got[col], best_b, rtol=0, atol=1e-12)


def test_refine_reaches_exact_breakpoints_without_warnings() -> None:
    x, y = _hinge_curve()
    u = np.unique(x)
    xc = float(np.mean(x))
    b0 = np.array([3.0, 7.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. scipy's "Unknown solver options"
        b = fitmod._refine(x, xc, u, y, b0, 0.1)
    np.testing.assert_allclose(b, [3.3, 6.7], atol=1e-6)


def test_slopes_are_float_cumulative_sums() -> None:
    seg = fitmod._Seg(np.array([1.0, 2.0]), np.array([7, -2, 3, 5]), 0.0)
    s = fitmod._slopes(seg)
    assert s.dtype == np.float64
    assert np.array_equal(s, [-2.0, 1.0, 6.0])


def _smooth_design(x: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    xc = x.mean()
    soft = [w * np.log1p(np.exp((x - bi) / w)) for bi in b]
    return np.column_stack([np.ones_like(x), x - xc, *soft])


@pytest.mark.parametrize("w", [0.1, 0.5, 1.0])
def test_smooth_fit_recovers_an_exact_smooth_broken_power_law(w: float) -> None:
    x = np.linspace(0.0, 10.0, 50)
    b = np.array([3.1, 6.8])
    y = 1.0 - 0.5 * x + 0.5 * w * np.log1p(np.exp((x - b[0]) / w))
    y = y - 0.4 * w * np.log1p(np.exp((x - b[1]) / w))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. scipy's "Unknown solver options"
        fitted, width = fitmod._smooth_fit(x, y, np.array([3.0, 7.0]))
    assert width == w
    np.testing.assert_allclose(fitted, y, atol=1e-5)


def test_smooth_fit_is_least_squares_with_breakpoints_inside_the_data() -> None:
    # a convex exponential bend: without the constraint lo < b1 < b2 < hi the softplus terms
    # would run off past the last point and fit it better
    x = np.linspace(0.0, 3.0, 30)
    y = np.exp(x)
    fitted, width = fitmod._smooth_fit(x, y, np.array([1.0, 2.0]))
    # residual SSE not far below the best feasible pair on a grid (an unconstrained fit
    # reaches ~1e-26 here; the constrained optimum is ~0.002, the grid's best ~0.004)
    grid = np.linspace(x[0], x[-1], 61)[1:-1]
    best = np.inf
    for b1 in grid:
        for b2 in grid[grid > b1]:
            best = min(best, _lstsq_sse(_smooth_design(x, np.array([b1, b2]), width), y))
    sse = float(np.sum((y - fitted) ** 2))
    assert sse >= 0.05 * best
    # the fitted values lie in the span of the smooth design for some feasible pair: they are
    # a least-squares projection, so the residual is orthogonal to the constant and x columns
    r = y - fitted
    assert abs(r.sum()) < 1e-8 * np.abs(y).sum()
    assert abs(r @ x) < 1e-8 * np.abs(y * x).sum()


def _noisy_curve(seed: int = 1, n_pts: int = 36) -> tuple[np.ndarray, np.ndarray]:
    n = np.logspace(1, 6, n_pts)
    x = np.log(n)
    y = 0.5 - 0.6 * x + 0.6 * np.maximum(0, x - 5.0) - 0.5 * np.maximum(0, x - 10.0)
    y = y + np.random.default_rng(seed).normal(0, 0.05, n_pts)
    return n, np.exp(y)


def _percentiles(draws: np.ndarray, conf: float) -> np.ndarray:
    a = 0.5 * (1 - conf)
    return np.stack([np.quantile(draws, a, axis=0), np.quantile(draws, 1 - a, axis=0)], axis=1)


def test_residual_bootstrap_redone_by_hand() -> None:
    n, err = _noisy_curve()
    rng, n_boot, conf = 11, 12, 0.8
    fit = fit_three_phase(n[::-1], err[::-1], rng=rng, n_boot=n_boot, confidence=conf)
    x, y = np.log(n), np.log(err)
    n_pts = x.size
    main = fitmod._fit(x, y[:, None], 2)[0]
    fitted, width = fitmod._smooth_fit(x, y, main.bps)
    resid = (y - fitted) * np.sqrt(n_pts / (n_pts - 6))
    b_list: list[np.ndarray] = []
    s_list: list[np.ndarray] = []
    for g in spawn(rng, n_boot):
        seg = fitmod._fit(x, (fitted + resid[g.integers(0, n_pts, n_pts)])[:, None], 2)[0]
        b_list.append(seg.bps)
        s_list.append(np.cumsum(seg.coef[1:]))
    bb, ss = np.array(b_list), np.array(s_list)
    assert fit.bootstrap == "residual"
    assert fit.n_points == n_pts and fit.n_boot == n_boot and fit.confidence == conf
    assert fit.seed == 11
    assert fit.transition_width == width
    assert fit.transition_width in fitmod.BOOTSTRAP_WIDTHS
    np.testing.assert_allclose(fit.breakpoints, np.exp(main.bps), rtol=1e-12)
    log_ci = _percentiles(bb, conf)
    np.testing.assert_allclose(fit.breakpoints_ci, np.exp(log_ci), rtol=1e-9)
    np.testing.assert_allclose(fit.slopes_ci, _percentiles(ss, conf), rtol=1e-9, atol=1e-12)
    assert fit.breakpoints_se.shape == (2,) and fit.slopes_se.shape == (3,)
    np.testing.assert_allclose(fit.breakpoints_se, bb.std(axis=0, ddof=1), rtol=1e-9)
    np.testing.assert_allclose(fit.slopes_se, ss.std(axis=0, ddof=1), rtol=1e-9)
    est = main.bps[:, None]
    np.testing.assert_allclose(
        np.log(fit.breakpoints_replicate_ci), est + np.sqrt(2) * (log_ci - est), rtol=1e-9
    )
    np.testing.assert_allclose(fit.middle_slope_ci, fit.slopes_ci[1])
    np.testing.assert_allclose(fit.residual_sd, np.sqrt(main.sse / (n_pts - 6)), rtol=1e-12)


def test_seed_case_bootstrap_redone_by_hand() -> None:
    n1, e1 = _noisy_curve(1, 12)
    _, e2 = _noisy_curve(2, 12)
    _, e3 = _noisy_curve(3, 12)
    n = np.concatenate([n1, n1, n1])
    err = np.concatenate([e1, e2, e3])
    seeds = np.repeat([7, 8, 9], 12)
    n_boot, conf = 10, 0.9
    fit = fit_three_phase(n, err, rng=5, n_boot=n_boot, confidence=conf, seeds=seeds)
    order = np.argsort(n, kind="stable")
    x, y, sd = np.log(n[order]), np.log(err[order]), seeds[order]
    b_list: list[np.ndarray] = []
    s_list: list[np.ndarray] = []
    for g in spawn(5, n_boot):
        draw = g.integers(0, 3, size=3)
        take = np.sort(np.concatenate([np.flatnonzero(sd == [7, 8, 9][j]) for j in draw]))
        seg = fitmod._fit(x[take], y[take][:, None], 2)[0]
        b_list.append(seg.bps)
        s_list.append(np.cumsum(seg.coef[1:]))
    bb, ss = np.array(b_list), np.array(s_list)
    assert fit.bootstrap == "seeds"
    assert np.isnan(fit.transition_width)
    assert fit.n_points == 36 and fit.seed == 5
    np.testing.assert_allclose(fit.breakpoints_ci, np.exp(_percentiles(bb, conf)), rtol=1e-9)
    np.testing.assert_allclose(fit.slopes_ci, _percentiles(ss, conf), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.breakpoints_se, bb.std(axis=0, ddof=1), rtol=1e-9)
    np.testing.assert_allclose(fit.slopes_se, ss.std(axis=0, ddof=1), rtol=1e-9)
