"""The exact long-tail model at its limits: huge M, degenerate cuts, no NaN anywhere.

Beyond 2^16 items the tail of ``E(n)`` is an Euler–Maclaurin sum (``_sum_items``); these tests
hold it to the direct sum where both run, and sweep random valid inputs for NaN, values
outside [0, 1] and curves that rise with ``n``.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from synthmix.scaling import LongTailModel, breakpoints, expected_error, mixture_error
from synthmix.scaling import model as model_mod

N = np.concatenate([[0.0], np.logspace(0, 13, 27)])
ABOVE = model_mod._DIRECT_ITEMS + (1 << 16)  # just past the direct sum: the tail path runs


def _direct(m: LongTailModel, n: np.ndarray) -> np.ndarray:
    """Every item summed, by mixture_error on the model's own frequencies."""
    i = np.arange(1, m.M + 1, dtype=np.float64)
    p, q = m.frequencies(i)
    wrong, right = model_mod._correctness(m, i)
    return np.asarray(mixture_error(p, q, n, wrong_seen=wrong, right_unseen=right))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"k": 30},
        {"top_p": 0.9999},
        {"temperature": 0.6},
        {"pool": 10**6},
        {"k": 100, "a": 0.2, "alpha": 0.5, "b": 0.3, "lam": 1.0},
        {"k": 100_000},  # the cut inside the Euler-Maclaurin tail (2^14 < k < M)
    ],
)
def test_the_tail_sum_equals_the_direct_sum_where_both_run(kwargs: dict) -> None:
    m = LongTailModel(beta=1.5, pi=0.1, M=ABOVE, **kwargs)
    fast, slow = expected_error(m, N), _direct(m, N)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-15)
    if m.cut is None:  # the normaliser of p' went through the same tail sum
        assert m._norm == pytest.approx(
            float(np.sum(m._synthetic_unnormalised(np.arange(1, m.M + 1, dtype=np.float64)))),
            rel=1e-12,
        )


def test_a_trillion_items_in_well_under_five_seconds_and_consistent_with_fewer() -> None:
    start = time.perf_counter()
    huge = expected_error(LongTailModel(beta=2.0, k=30, pi=0.1, M=10**12), N)
    assert time.perf_counter() - start < 5.0
    fewer = expected_error(LongTailModel(beta=2.0, k=30, pi=0.1, M=10**9), N)
    # items 10^9 < i <= 10^12 hold a real mass of about 1/(Z 10^9): the most the curves differ
    z = float(sum(i**-2.0 for i in range(1, 10**5)) + 1e-5)
    assert np.all(np.abs(huge - fewer) <= 1.0 / (z * 1e9) + 1e-12)
    cut = LongTailModel(beta=2.0, top_p=1 - 1e-9, pi=0.1, M=10**12).cut
    p_cut = math.pi**2 / 6 - sum(i**-2.0 for i in range(1, 10**5))  # tail beyond 10^5
    assert cut is not None and cut > 10**5 and p_cut > 0


def test_degenerate_settings_have_their_limits() -> None:
    # k = M = 1: the one item is learned by the first draw
    one = expected_error(LongTailModel(beta=2.0, k=1, M=1, pi=0.1), [0, 1, 10])
    np.testing.assert_allclose(one, [1.0, 0.0, 0.0], rtol=1e-15, atol=0)
    # a vanishing temperature puts all synthetic mass on item 1
    m = LongTailModel(beta=2.0, temperature=1e-9, pi=0.1, M=1000)
    i = np.arange(1, 1001, dtype=np.float64)
    p = i**-2.0 / np.sum(i**-2.0)
    limit = mixture_error(p, 0.1 * p + 0.9 * (i == 1), N)
    np.testing.assert_allclose(expected_error(m, N), limit, rtol=1e-12)
    # a huge beta: all mass on item 1, breakpoints beyond every float
    assert breakpoints(LongTailModel(beta=1e6, k=3, pi=0.1)) == (math.inf, math.inf)
    assert np.all(np.isfinite(expected_error(LongTailModel(beta=1e6, k=3, pi=0.1), N)))


def _sweep(points: int, seed: int) -> None:
    g = np.random.default_rng(seed)
    for _ in range(points):
        beta = float(np.exp(g.uniform(np.log(1.0001), np.log(50.0))))
        M = int(np.exp(g.uniform(0.0, np.log(1e12))))
        mode = g.integers(4)
        cut: dict = [
            {"k": int(min(M, np.exp(g.uniform(0, np.log(M + 1)))) or 1)},
            {"top_p": float(g.uniform(0.01, 1.0))},
            {"temperature": float(np.exp(g.uniform(np.log(1e-9), 0.0)))},
            {"pool": int(np.exp(g.uniform(0.0, np.log(1e9))))},
        ][mode]
        correctness = (
            {"a": g.uniform(), "alpha": g.uniform(0, 2), "b": g.uniform(), "lam": g.uniform(0, 2)}
            if g.random() < 0.3
            else {}
        )
        m = LongTailModel(beta=beta, pi=float(g.uniform(1e-6, 1.0)), M=M, **cut, **correctness)
        n = np.sort(np.exp(g.uniform(0, np.log(1e15), 6)))
        e = expected_error(m, n)
        where = (beta, M, cut, correctness)
        assert np.all(np.isfinite(e)) and np.all((e >= -1e-12) & (e <= 1 + 1e-12)), where
        if correctness.get("a", 0) + correctness.get("b", 0) <= 1:
            # seeing an item never raises its error (e_s <= 1 - g_u): more data never hurts
            assert np.all(np.diff(e) <= 1e-9), where
        if m.cut is not None:
            n1, n2 = breakpoints(m)
            assert not (math.isnan(n1) or math.isnan(n2)) and n1 <= n2, where


def test_random_valid_inputs_never_give_nan_or_leave_zero_one() -> None:
    _sweep(150, seed=0)


@pytest.mark.slow
def test_ten_thousand_random_valid_inputs() -> None:
    _sweep(10_000, seed=1)
