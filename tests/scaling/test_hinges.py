"""Predicted hinges: what a three-segment fit measures on the exact model (scaling/hinges.py).

Expected values come from numpy written out here (the breakpoint formula, the exact error
``Σ p_i (1 − q_i)^n`` of a perfect memoriser, a piecewise-linear curve with known corners),
never from the functions under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.scaling import (
    LongTailModel,
    fit_three_phase,
    hinge_sizes,
    predicted_hinges,
    segment_breakpoints,
)
from synthmix.scaling.sweeps import SettingFit


def _coverage_breakpoints(beta: float, k: int, pi: float, M: int) -> tuple[float, float]:
    """``n1 = Z k^β/A``, ``n2 = Z (k+1)^β/π`` from the Zipf weights, written out."""
    w = np.arange(1, M + 1, dtype=np.float64) ** -beta
    Z = w.sum()
    head = w[:k].sum() / Z
    A = pi + (1.0 - pi) / head
    return Z * k**beta / A, Z * (k + 1) ** beta / pi


def _exact_error(beta: float, k: int, pi: float, M: int, n: np.ndarray) -> np.ndarray:
    """``E(n) = Σ_i p_i (1 − q_i)^n`` with ``q_i = A p_i`` (i ≤ k) and ``π p_i`` beyond."""
    p = np.arange(1, M + 1, dtype=np.float64) ** -beta
    p /= p.sum()
    A = pi + (1.0 - pi) / p[:k].sum()
    q = np.where(np.arange(1, M + 1) <= k, A * p, pi * p)
    return np.array([np.sum(p * np.exp(size * np.log1p(-q))) for size in n])


def _broken_line(n: np.ndarray, b1: float, b2: float) -> np.ndarray:
    x = np.log(n)
    y = -0.5 * x + 0.5 * np.maximum(0.0, x - np.log(b1)) - 0.5 * np.maximum(0.0, x - np.log(b2))
    return np.exp(y)


def test_segment_breakpoints_recover_known_corners_in_any_order() -> None:
    """A noise-free broken power law with corners 1e3 and 1e5 gives them back, unsorted too."""
    n = np.logspace(1, 7, 61)
    err = _broken_line(n, 1e3, 1e5)
    np.testing.assert_allclose(segment_breakpoints(n, err), [1e3, 1e5], rtol=1e-6)
    perm = np.random.default_rng(0).permutation(n.shape[0])
    np.testing.assert_allclose(segment_breakpoints(n[perm], err[perm]), [1e3, 1e5], rtol=1e-6)


def test_segment_breakpoints_are_the_point_estimate_of_the_full_fit() -> None:
    """Same corners as fit_three_phase on a noisy curve, whose bootstrap does not move them."""
    n = np.logspace(1, 7, 50)
    err = _broken_line(n, 3e2, 3e5) * np.exp(0.05 * np.random.default_rng(1).standard_normal(50))
    fit = fit_three_phase(n, err, rng=0, n_boot=10)
    np.testing.assert_array_equal(segment_breakpoints(n, err), fit.breakpoints)


def test_segment_breakpoints_validate_like_the_fit() -> None:
    with pytest.raises(ValidationError, match="n must have at least 8 points"):
        segment_breakpoints(np.arange(1.0, 6.0), np.ones(5))
    with pytest.raises(ValidationError, match="err must be"):
        segment_breakpoints(np.arange(1.0, 11.0), -np.ones(10))


def test_hinge_sizes_span_the_coverage_breakpoints() -> None:
    """Default: 60 log-spaced sizes from n1/100 to 100·n2; span and points are honoured."""
    model = LongTailModel(beta=2.0, k=5, pi=0.2, M=500)
    n1, n2 = _coverage_breakpoints(2.0, 5, 0.2, 500)
    expected = np.logspace(np.log10(n1 / 100), np.log10(100 * n2), 60)
    np.testing.assert_allclose(hinge_sizes(model), expected, rtol=1e-12)
    got = hinge_sizes(model, span=10.0, points=9)
    np.testing.assert_allclose(got, np.logspace(np.log10(n1 / 10), np.log10(10 * n2), 9))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"span": 1.0}, "span must be a number > 1; got 1.0"),
        ({"points": 7}, "points must be an integer >= 8; got 7"),
        ({"points": True}, "points must be an integer >= 8; got True"),
        ({"points": 8.0}, "points must be an integer >= 8; got 8.0"),
    ],
)
def test_hinge_sizes_reject_bad_windows(kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        hinge_sizes(LongTailModel(beta=2.0, k=5, pi=0.2, M=500), **kwargs)
    assert str(info.value) == message


def test_eight_points_are_enough() -> None:
    model = LongTailModel(beta=2.0, k=5, pi=0.2, M=500)
    assert hinge_sizes(model, points=8).shape == (8,)


def test_predicted_hinges_fit_the_exact_curve_at_the_given_sizes() -> None:
    """The corners of the exact curve, computed here from the item frequencies."""
    beta, k, pi, M = 2.0, 5, 0.05, 400
    model = LongTailModel(beta=beta, k=k, pi=pi, M=M)
    n1, n2 = _coverage_breakpoints(beta, k, pi, M)
    n = np.logspace(np.log10(n1 / 30), np.log10(30 * n2), 40)
    # The errors agree to round-off; the Nelder–Mead refinement stops within its xatol (1e-7
    # in log n) of the optimum, so the corners agree to that.
    expected = segment_breakpoints(n, _exact_error(beta, k, pi, M, n))
    np.testing.assert_allclose(predicted_hinges(model, n), expected, rtol=1e-6)
    window = hinge_sizes(model)
    default = segment_breakpoints(window, _exact_error(beta, k, pi, M, window))
    np.testing.assert_allclose(predicted_hinges(model), default, rtol=1e-6)


def test_predicted_hinges_differ_from_coverage_breakpoints_as_documented() -> None:
    """Long plateau (π = 0.01): n1's corner sits below Z k^β/A, n2's near Z (k+1)^β/π."""
    model = LongTailModel(beta=2.0, k=30, pi=0.01)
    n1, n2 = _coverage_breakpoints(2.0, 30, 0.01, 10**6)
    ratio = predicted_hinges(model) / np.array([n1, n2])
    assert 0.6 < ratio[0] < 0.9 and 0.9 < ratio[1] < 1.2


def test_predicted_hinges_need_a_cut_and_a_nonzero_error() -> None:
    with pytest.raises(ValidationError, match="truncate at a rank k"):
        predicted_hinges(LongTailModel(beta=2.0, temperature=0.5, M=100), np.logspace(1, 4, 10))
    small = LongTailModel(beta=2.0, k=3, pi=0.5, M=10)
    with pytest.raises(ValidationError) as info:
        predicted_hinges(small, np.logspace(0, 7, 20))
    assert str(info.value).startswith("n must stay below the size at which every item is learned")
    with pytest.raises(ValidationError, match="n must be"):
        predicted_hinges(small, [-1.0, 2.0])


def _setting(ci: list[list[float]], clean: list[float]) -> SettingFit:
    z2, z3 = np.zeros(2), np.zeros(3)
    return SettingFit(
        beta=2.0, k=3, pi=0.1, predicted=np.ones(2), fitted=np.ones(2), ci=np.array(ci),
        replicate_ci=np.zeros((2, 2)), clean=np.array(clean), slopes=-np.ones(3),
        slopes_ci=np.zeros((3, 2)), clean_slopes=z3, asymptotic_slope=-0.5, n_phases=3,
        plateau_consistent=True, plateau_error=0.1, covered=z2, replicate_hits=z2, refits=2,
        n=z2, observed=z2, fit_curve=z2, clean_curve=z2,
    )  # fmt: skip


def test_hinge_inside_counts_closed_intervals_per_breakpoint() -> None:
    """Inside includes both ends; the grid averages per breakpoint and for both at once."""
    from synthmix.scaling.sweeps import ExactGridResult

    fits = (
        _setting([[1.0, 2.0], [10.0, 20.0]], [1.0, 20.0]),  # both on an end: inside
        _setting([[1.0, 2.0], [10.0, 20.0]], [0.99, 15.0]),  # n1 below
        _setting([[1.0, 2.0], [10.0, 20.0]], [1.5, 20.5]),  # n2 above
        _setting([[1.0, 2.0], [10.0, 20.0]], [1.5, 12.0]),
    )
    assert fits[0].hinge_inside.tolist() == [True, True]
    assert fits[1].hinge_inside.tolist() == [False, True]
    assert fits[2].hinge_inside.tolist() == [True, False]
    grid = ExactGridResult(
        fits=fits, slope_n1=1.0, slope_n2=1.0, within_factor_2=1.0, n_eligible=4,
        coverage=np.ones(2), replicate_coverage=np.ones(2), controls=(), monte_carlo=(),
        noise=0.05, points=60, span=100.0, n_boot=10,
    )  # fmt: skip
    np.testing.assert_allclose(grid.hinge_inside, [0.75, 0.75])
    assert grid.hinge_inside.dtype == np.float64
    assert grid.hinge_inside_both == 0.5


def test_any_span_above_one_is_a_window() -> None:
    model = LongTailModel(beta=2.0, k=5, pi=0.2, M=500)
    n1, n2 = _coverage_breakpoints(2.0, 5, 0.2, 500)
    got = hinge_sizes(model, span=1.5, points=8)
    np.testing.assert_allclose(got[[0, -1]], [n1 / 1.5, 1.5 * n2], rtol=1e-12)
    assert got.dtype == np.float64 and predicted_hinges(model, got).dtype == np.float64


def test_bic_counts_two_parameters_per_segment_boundary() -> None:
    """BIC = N log(SSE/N) + (2 + 2k) log N for k breakpoints; the one-segment SSE is the
    least-squares power law, fitted here with numpy."""
    n = np.logspace(1, 6, 40)
    err = _broken_line(n, 1e2, 1e4) * np.exp(0.05 * np.random.default_rng(2).standard_normal(40))
    fit = fit_three_phase(n, err, rng=0, n_boot=10)
    lx, ly = np.log(n), np.log(err)
    resid = ly - np.polyval(np.polyfit(lx, ly, 1), lx)
    assert fit.bic[1] == pytest.approx(40 * np.log(resid @ resid / 40) + 2 * np.log(40), rel=1e-10)
    sse3 = np.sum((ly - np.log(fit.predict(n))) ** 2)
    assert fit.bic[3] == pytest.approx(40 * np.log(sse3 / 40) + 6 * np.log(40), rel=1e-8)
