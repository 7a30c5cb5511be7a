"""Tests of the three-phase fit's least-squares core, each checked against a direct computation.

The helpers are private, but the fit's answers depend on each of them: the candidate
breakpoints (every midpoint pair that leaves two distinct x per segment), the hinge design, the
feasibility rule and the Nelder–Mead refinement off the grid. Expected values here come from
brute force or from the generating curve, never from the helper under test.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from synthmix.scaling import fit as F

U = np.arange(8.0)  # distinct x: 0, 1, ..., 7


@pytest.mark.parametrize(
    ("b", "ok"),
    [
        ([1.5], True),
        ([5.5], True),
        ([1.0], False),  # only x = 0 strictly left of it
        ([0.5], False),
        ([6.0], False),  # only x = 7 strictly right of it
        ([6.5], False),
        ([1.5, 3.5], True),  # x = 2, 3 between
        ([1.5, 5.5], True),
        ([1.5, 2.5], False),  # only x = 2 between
        ([3.5, 1.5], False),  # decreasing
        ([1.0, 3.5], False),
        ([1.5, 6.0], False),
        ([2.0, 4.5], True),  # x = 3, 4 strictly between; 0, 1 left
        ([2.0, 4.0], False),  # only x = 3 strictly between
    ],
)
def test_feasible_is_two_distinct_x_per_segment(b: list[float], ok: bool) -> None:
    assert F._feasible(np.array(b), U) is ok
    # the rule, counted directly
    edges = [-np.inf, *b, np.inf]
    counts = [np.count_nonzero((lo < U) & (hi > U)) for lo, hi in itertools.pairwise(edges)]
    direct = bool(np.all(np.diff(b) > 0) and min(counts) >= 2)
    assert direct is ok


@pytest.mark.parametrize("m", [6, 7, 9])
@pytest.mark.parametrize("k", [1, 2])
def test_candidates_are_every_feasible_midpoint_set(m: int, k: int) -> None:
    u = np.sort(np.random.default_rng(m).uniform(0, 10, m))
    mids = 0.5 * (u[:-1] + u[1:])
    brute = sorted(c for c in itertools.combinations(mids, k) if F._feasible(np.array(c), u))
    got = sorted(tuple(row) for row in F._candidates(u, k))
    assert got == brute
    assert len(got) > 0


def test_design_is_intercept_centred_line_and_hinges() -> None:
    x = np.array([0.0, 1.0, 2.5, 4.0])
    bps = np.array([[1.0, 3.0], [0.5, 2.0]])
    X = F._design(x, 1.5, bps)
    assert X.shape == (2, 4, 4)
    for p in range(2):
        for i, xi in enumerate(x):
            expected = [1.0, xi - 1.5, max(0.0, xi - bps[p, 0]), max(0.0, xi - bps[p, 1])]
            np.testing.assert_array_equal(X[p, i], expected)
    X0 = F._design(x, 0.0, np.zeros(0))
    np.testing.assert_array_equal(X0, np.stack([np.ones(4), x], axis=1))


def _broken(x: np.ndarray, b: tuple[float, ...], slopes: tuple[float, ...]) -> np.ndarray:
    y = 0.3 + slopes[0] * x
    for bi, (s_prev, s_next) in zip(b, itertools.pairwise(slopes), strict=True):
        y = y + (s_next - s_prev) * np.maximum(0.0, x - bi)
    return y


@pytest.mark.parametrize(
    ("b_true", "slopes"),
    [((2.4,), (-0.5, -1.5)), ((2.4, 5.1), (-0.5, 0.0, -0.7)), ((1.6, 4.4), (-1.0, 0.2, -0.4))],
)
def test_solve_and_refine_recover_off_grid_breakpoints(
    b_true: tuple[float, ...], slopes: tuple[float, ...]
) -> None:
    x = np.linspace(0.0, 7.0, 15)  # spacing 0.5: the true breakpoints are not midpoints
    y = _broken(x, b_true, slopes)
    xc = float(np.mean(x))
    u = np.unique(x)
    k = len(b_true)
    # at the true breakpoints the fit is exact and its coefficients are the slope jumps
    coef, sse = F._solve(x, xc, y, np.array(b_true))
    assert sse < 1e-20
    np.testing.assert_allclose(np.cumsum(coef[1:]), slopes, atol=1e-10)
    np.testing.assert_allclose(coef[0] - coef[1] * xc, 0.3, atol=1e-10)
    grid = F._grid(x, xc, y[:, None], k)[0]
    # the grid optimum is the best midpoint set, found by brute force
    mids = 0.5 * (u[:-1] + u[1:])
    best = min(
        (c for c in itertools.combinations(mids, k) if F._feasible(np.array(c), u)),
        key=lambda c: F._solve(x, xc, y, np.array(c))[1],
    )
    np.testing.assert_allclose(grid, best, atol=1e-12)
    assert np.max(np.abs(grid - b_true)) > 0.1  # midpoints are 0.15 away
    refined = F._refine(x, xc, u, y, grid, 0.25)
    np.testing.assert_allclose(refined, b_true, atol=1e-5)
    assert F._solve(x, xc, y, refined)[1] < 1e-9 * F._solve(x, xc, y, grid)[1] + 1e-18


def test_refine_starting_at_the_upper_edge_steps_inward() -> None:
    # b0 at the last feasible midpoint: b0 + step leaves the feasible set, so the simplex must
    # step down instead, and the optimum below b0 is still found.
    x = np.linspace(0.0, 7.0, 15)
    y = _broken(x, (6.1,), (-0.5, -1.5))
    u = np.unique(x)
    b0 = np.array([6.25])  # u[-2] = 6.5; b0 + 0.5 = 6.75 is infeasible
    assert F._feasible(b0, u)
    assert not F._feasible(b0 + 0.5, u)
    refined = F._refine(x, float(np.mean(x)), u, y, b0, 0.5)
    np.testing.assert_allclose(refined, [6.1], atol=1e-5)


def test_refine_never_returns_a_worse_or_infeasible_point() -> None:
    rng = np.random.default_rng(4)
    x = np.linspace(0.0, 7.0, 15)
    u = np.unique(x)
    xc = float(np.mean(x))
    for _ in range(10):
        y = _broken(x, (2.3, 5.2), (-0.5, 0.0, -0.7)) + 0.2 * rng.standard_normal(15)
        b0 = F._grid(x, xc, y[:, None], 2)[0]
        b = F._refine(x, xc, u, y, b0, 0.25)
        assert F._feasible(b, u)
        assert F._solve(x, xc, y, b)[1] <= F._solve(x, xc, y, b0)[1]


def test_fit_with_and_without_refinement() -> None:
    x = np.linspace(0.0, 7.0, 15)
    y = _broken(x, (2.3, 5.2), (-0.5, 0.0, -0.7))
    Y = np.stack([y, 2 * y], axis=1)
    coarse = F._fit(x, Y, 2, refine=False)
    fine = F._fit(x, Y, 2)
    assert len(fine) == 2
    for seg in fine:
        np.testing.assert_allclose(seg.bps, [2.3, 5.2], atol=1e-5)
    np.testing.assert_allclose(F._slopes(fine[1]), [-1.0, 0.0, -1.4], atol=1e-6)
    for c, f in zip(coarse, fine, strict=True):
        assert f.sse < c.sse
    flat = F._fit(x, Y, 0)
    for j, seg in enumerate(flat):
        line = np.polyfit(x, Y[:, j], 1)
        assert seg.sse == pytest.approx(float(np.sum((np.polyval(line, x) - Y[:, j]) ** 2)))
        assert seg.coef[1] == pytest.approx(line[0])


def test_bic_floors_the_sse_at_a_fraction_of_the_total() -> None:
    n = 20
    assert F._bic(2.0, n, 4, 10.0) == pytest.approx(n * np.log(2.0 / n) + 4 * np.log(n))
    # a perfect fit is scored as if its SSE were the floor, so simpler models can tie it
    floor = F._SSE_FLOOR * 10.0
    assert F._bic(0.0, n, 4, 10.0) == pytest.approx(n * np.log(floor / n) + 4 * np.log(n))
    assert F._bic(0.0, n, 2, 10.0) < F._bic(0.0, n, 4, 10.0)
