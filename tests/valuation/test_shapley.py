"""Tests of exact and permutation Shapley values over sources."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from fractions import Fraction
from functools import partial
from itertools import permutations
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthmix.exceptions import ValidationError
from synthmix.valuation.shapley import (
    MAX_EXACT_PLAYERS,
    ShapleyResult,
    exact_shapley,
    permutation_shapley,
)

Z = 4.0


def glove(coalition: tuple[Hashable, ...], left: set[str], right: set[str]) -> float:
    """Pairs of gloves the coalition can form."""
    return float(min(sum(p in left for p in coalition), sum(p in right for p in coalition)))


def weighted_majority(
    coalition: tuple[Hashable, ...], weights: dict[str, int], quota: int
) -> float:
    return float(sum(weights[p] for p in coalition) >= quota)


def table_game(players: list[str], seed: int, dummy: str | None = None) -> Callable[..., float]:
    """A random game: an independent N(0, 1) value per coalition (ignoring ``dummy``)."""
    g = np.random.default_rng(seed)
    real = [p for p in players if p != dummy]
    values = {
        frozenset(p for i, p in enumerate(real) if m >> i & 1): float(g.standard_normal())
        for m in range(2 ** len(real))
    }

    def u(coalition: tuple[Hashable, ...]) -> float:
        return values[frozenset(p for p in coalition if p != dummy)]

    return u


def smooth_game(coalition: tuple[Hashable, ...]) -> float:
    """K = 8 players 'p0'..'p7': concave in total weight, a complementary pair, a crowd
    penalty. Module-level so that it pickles."""
    idx = [int(str(p)[1:]) for p in coalition]
    w = np.arange(1, 9, dtype=float)
    value = math.sqrt(sum(w[i] for i in idx))
    value += 0.5 * (0 in idx and 1 in idx) - 0.3 * (len(idx) >= 6)
    return value


P8 = [f"p{i}" for i in range(8)]


def brute_force(utility: Callable[..., float], players: list[str]) -> dict[str, float]:
    """Mean marginal contribution over all K! orderings (independent reference)."""
    totals = dict.fromkeys(players, 0.0)
    orders = list(permutations(players))
    for order in orders:
        prefix: list[str] = []
        for p in order:
            before = utility(tuple(q for q in players if q in prefix))
            prefix.append(p)
            totals[p] += utility(tuple(q for q in players if q in prefix)) - before
    return {p: v / len(orders) for p, v in totals.items()}


# ---------------------------------------------------------------------------------------------
# exact: games with known answers


def test_additive_game() -> None:
    own = {"a": 1.5, "b": -2.0, "c": 0.25, "d": 4.0}
    res = exact_shapley(lambda s: 10.0 + sum(own[p] for p in s), list(own))
    assert isinstance(res, ShapleyResult)
    for p, v in own.items():
        assert res.values[p] == pytest.approx(v, abs=1e-12)
    assert res.stderr == dict.fromkeys(own, 0.0)
    assert (res.method, res.converged, res.n_evaluations, res.n_permutations) == (
        "exact",
        True,
        16,
        0,
    )
    assert (res.utility_empty, res.utility_full) == (10.0, 13.75)
    assert list(res.values) == list(own)  # keyed in the given order


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        # One right glove, two left: R is pivotal unless first (prob 2/3); the lefts split 1/3.
        ({"L1", "L2"}, {"R1"}, {"L1": 1 / 6, "L2": 1 / 6, "R1": 2 / 3}),
        ({"L1"}, {"R1", "R2"}, {"L1": 2 / 3, "R1": 1 / 6, "R2": 1 / 6}),
        # Balanced market: the swap left <-> right is a symmetry, so all equal, summing to 2.
        ({"L1", "L2"}, {"R1", "R2"}, {"L1": 0.5, "L2": 0.5, "R1": 0.5, "R2": 0.5}),
    ],
)
def test_glove_game(left: set[str], right: set[str], expected: dict[str, float]) -> None:
    players = sorted(left | right)
    res = exact_shapley(partial(glove, left=left, right=right), players)
    for p in players:
        assert res.values[p] == pytest.approx(expected[p], abs=1e-12)


def test_weighted_majority_game() -> None:
    # [q = 6; A=4, B=3, C=2, D=1]. Pivotal counts over the 24 orderings, by hand:
    # A 10, B 6, C 6, D 2 -> 5/12, 1/4, 1/4, 1/12. (B and C get equal power with unequal
    # weights: minimal winning coalitions are AB, AC, BCD.)
    weights = {"A": 4, "B": 3, "C": 2, "D": 1}
    res = exact_shapley(partial(weighted_majority, weights=weights, quota=6), list(weights))
    expected = {
        "A": Fraction(5, 12),
        "B": Fraction(1, 4),
        "C": Fraction(1, 4),
        "D": Fraction(1, 12),
    }
    for p, v in expected.items():
        assert res.values[p] == pytest.approx(float(v), abs=1e-12)


def test_symmetric_players_dummy_and_efficiency() -> None:
    players = ["a", "b", "c", "d", "e", "z"]
    u = table_game(players, seed=1, dummy="z")
    res = exact_shapley(u, players)
    assert res.values["z"] == pytest.approx(0.0, abs=1e-12)
    assert sum(res.values.values()) == pytest.approx(u(tuple(players)) - u(()), abs=1e-12)
    ref = brute_force(u, players)
    for p in players:
        assert res.values[p] == pytest.approx(ref[p], abs=1e-12)

    # Symmetric players: a game of coalition size only, plus a distinguished player.
    def sized(s: tuple[Hashable, ...]) -> float:
        return math.log1p(len([p for p in s if p != "x"])) + 3.0 * ("x" in s)

    res2 = exact_shapley(sized, ["p", "x", "q", "r"])
    assert res2.values["p"] == pytest.approx(res2.values["q"], abs=1e-12)
    assert res2.values["q"] == pytest.approx(res2.values["r"], abs=1e-12)
    assert res2.values["x"] == pytest.approx(3.0, abs=1e-12)


def test_single_player_and_max_players() -> None:
    res = exact_shapley(lambda s: 2.0 + len(s), ["only"])
    assert res.values == {"only": 1.0}
    assert res.n_evaluations == 2
    calls: list[tuple[Hashable, ...]] = []

    def counting(s: tuple[Hashable, ...]) -> float:
        calls.append(s)
        return float(len(s) ** 2)

    players = list(range(MAX_EXACT_PLAYERS))  # any hashable names
    res = exact_shapley(counting, players)
    assert len(calls) == len(set(calls)) == 2**MAX_EXACT_PLAYERS  # each coalition once
    for p in players:  # symmetric game: U(N)/K each
        assert res.values[p] == pytest.approx(MAX_EXACT_PLAYERS, rel=1e-12)


def test_exact_parallel_matches_sequential() -> None:
    players = P8[:4]
    seq = exact_shapley(smooth_game, players)
    par = exact_shapley(smooth_game, players, n_jobs=2)
    assert par.values == pytest.approx(seq.values, abs=1e-14)
    assert par.n_evaluations == seq.n_evaluations


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 6), data=st.data())
def test_exact_invariant_to_player_order(seed: int, k: int, data: st.DataObject) -> None:
    players = [f"s{i}" for i in range(k)]
    u = table_game(players, seed)
    shuffled = data.draw(st.permutations(players))
    a, b = exact_shapley(u, players), exact_shapley(u, shuffled)
    for p in players:
        assert a.values[p] == pytest.approx(b.values[p], abs=1e-12)
    assert sum(a.values.values()) == pytest.approx(u(tuple(players)) - u(()), abs=1e-12)


# ---------------------------------------------------------------------------------------------
# permutation sampling


@pytest.fixture(scope="module")
def exact8() -> ShapleyResult:
    return exact_shapley(smooth_game, P8)


@pytest.mark.parametrize("antithetic", [False, True])
def test_permutation_agrees_with_exact_on_k8(exact8: ShapleyResult, antithetic: bool) -> None:
    res = permutation_shapley(
        smooth_game, P8, rng=3, tolerance=0.02, max_permutations=5000, antithetic=antithetic
    )
    assert res.method == "permutation" and res.converged
    assert max(res.stderr.values()) <= 0.02
    assert all(s > 0 for s in res.stderr.values())
    for p in P8:
        assert abs(res.values[p] - exact8.values[p]) <= Z * res.stderr[p], p
    # Without truncation every permutation's contributions telescope to U(N) - U(∅).
    assert sum(res.values.values()) == pytest.approx(
        exact8.utility_full - exact8.utility_empty, abs=1e-10
    )
    assert res.n_evaluations <= 2**8
    if antithetic:
        assert res.n_permutations % 2 == 0


def test_stopping_rule(exact8: ShapleyResult) -> None:
    # Per-permutation contributions have sd up to ~0.7 here, so tolerance 0.05 needs ~200
    # permutations and 0.01 ~5000 (standard error ~ 1/sqrt(n): 25x for a 5x tighter rule).
    loose = permutation_shapley(smooth_game, P8, rng=1, tolerance=0.05, max_permutations=20_000)
    tight = permutation_shapley(smooth_game, P8, rng=1, tolerance=0.01, max_permutations=20_000)
    assert loose.converged and tight.converged
    assert max(loose.stderr.values()) <= 0.05 and max(tight.stderr.values()) <= 0.01
    assert tight.n_permutations > 10 * loose.n_permutations
    # Stopped as soon as the rule held: the same draws capped one permutation earlier miss it.
    earlier = permutation_shapley(
        smooth_game, P8, rng=1, tolerance=0.05, max_permutations=loose.n_permutations - 1
    )
    assert not earlier.converged and max(earlier.stderr.values()) > 0.05
    capped = permutation_shapley(smooth_game, P8, rng=1, tolerance=1e-6, max_permutations=50)
    assert not capped.converged and capped.n_permutations == 50
    floor = permutation_shapley(smooth_game, P8, rng=1, tolerance=10.0, min_permutations=30)
    assert floor.converged and floor.n_permutations == 30
    default = permutation_shapley(smooth_game, P8, rng=1, max_permutations=20)
    assert default.tolerance == pytest.approx(
        0.01 * abs(exact8.utility_full - exact8.utility_empty)
    )
    assert default.n_permutations == 20 and not default.converged


def test_additive_game_converges_at_min_permutations() -> None:
    own = {"a": 1.0, "b": 2.0, "c": 3.0}
    res = permutation_shapley(lambda s: sum(own[p] for p in s), list(own), min_permutations=7)
    assert res.values == pytest.approx(own, abs=1e-12)
    assert res.stderr == dict.fromkeys(own, 0.0)
    assert res.converged and res.n_permutations == 7


def test_truncation_skips_saturated_prefixes() -> None:
    k = 6
    players = [f"s{i}" for i in range(k)]
    calls: list[tuple[Hashable, ...]] = []

    def any_source(s: tuple[Hashable, ...]) -> float:  # saturates at one source
        calls.append(s)
        return float(len(s) > 0)

    res = permutation_shapley(any_source, players, rng=0, truncation=1e-9, max_permutations=400)
    # Only ∅, N and the singletons are ever evaluated: the first player completes the value.
    assert res.n_evaluations == len(calls) == k + 2
    assert all(len(c) in (0, 1, k) for c in calls)
    for p in players:  # exact value 1/k; each permutation credits its first player only
        assert abs(res.values[p] - 1 / k) <= Z * res.stderr[p]
    calls.clear()
    full = permutation_shapley(any_source, players, rng=0, max_permutations=400)
    assert full.n_evaluations == len(calls) > 4 * (k + 2)
    assert res.values == full.values  # truncation drops only exact-zero contributions here


def test_truncation_bias_is_visible_when_value_is_not_saturated(exact8: ShapleyResult) -> None:
    # With a truncation larger than every |U(N) - U(prefix)| nothing is evaluated past ∅.
    res = permutation_shapley(smooth_game, P8, rng=0, truncation=1e3, max_permutations=10)
    assert res.n_evaluations == 2
    assert all(v == 0.0 for v in res.values.values())


def test_permutation_determinism() -> None:
    a = permutation_shapley(smooth_game, P8, rng=7, tolerance=0.05)
    b = permutation_shapley(smooth_game, P8, rng=7, tolerance=0.05)
    c = permutation_shapley(smooth_game, P8, rng=8, tolerance=0.05)
    assert a == b
    assert a.values != c.values
    assert a.seed == 7
    g1 = permutation_shapley(smooth_game, P8, rng=np.random.default_rng(3), tolerance=0.05)
    g2 = permutation_shapley(smooth_game, P8, rng=np.random.default_rng(3), tolerance=0.05)
    assert g1.values == g2.values


# ---------------------------------------------------------------------------------------------
# bad inputs


def _u(s: tuple[Hashable, ...]) -> float:
    return float(len(s))


BAD: list[tuple[Callable[[], Any], str]] = [
    (lambda: exact_shapley(_u, ["a", "b", "a"]), "players"),
    (lambda: exact_shapley(_u, []), "players"),
    (lambda: exact_shapley(_u, "abc"), "players"),
    (lambda: exact_shapley(_u, [["a"], ["b"]]), "players"),
    (lambda: exact_shapley(_u, 3), "players"),  # type: ignore[arg-type]
    (lambda: exact_shapley("utility", ["a"]), "utility"),  # type: ignore[arg-type]
    (lambda: exact_shapley(_u, ["a"], n_jobs=0), "n_jobs"),
    (lambda: exact_shapley(lambda s: float("nan"), ["a"]), "utility"),
    (lambda: exact_shapley(lambda s: "high", ["a"]), "utility"),  # type: ignore[arg-type, return-value]
    (lambda: permutation_shapley(_u, ["a", "a"]), "players"),
    (lambda: permutation_shapley(_u, []), "players"),
    (lambda: permutation_shapley(None, ["a"]), "utility"),  # type: ignore[arg-type]
    (lambda: permutation_shapley(_u, ["a"], max_permutations=1), "max_permutations"),
    (lambda: permutation_shapley(_u, ["a"], max_permutations=1.5), "max_permutations"),
    (lambda: permutation_shapley(_u, ["a"], min_permutations=1), "min_permutations"),
    (
        lambda: permutation_shapley(_u, ["a"], min_permutations=50, max_permutations=10),
        "min_permutations",
    ),
    (
        lambda: permutation_shapley(_u, ["a"], max_permutations=3, antithetic=True),
        "max_permutations",
    ),
    (lambda: permutation_shapley(_u, ["a"], tolerance=-0.1), "tolerance"),
    (lambda: permutation_shapley(_u, ["a"], tolerance=float("nan")), "tolerance"),
    (lambda: permutation_shapley(_u, ["a"], truncation=-1.0), "truncation"),
    (lambda: permutation_shapley(_u, ["a"], antithetic=1), "antithetic"),  # type: ignore[arg-type]
    (lambda: permutation_shapley(_u, ["a"], rng=-3), "rng"),
    (lambda: permutation_shapley(lambda s: float("inf"), ["a"]), "utility"),
]


@pytest.mark.parametrize(("call", "name"), BAD)
def test_bad_inputs_name_the_parameter(call: Callable[[], Any], name: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value).startswith(f"{name} must"), str(info.value)


def test_exact_rejects_too_many_players_with_advice() -> None:
    players = [f"s{i}" for i in range(MAX_EXACT_PLAYERS + 1)]
    with pytest.raises(ValidationError, match=r"at most 10 players.*use permutation_shapley"):
        exact_shapley(_u, players)
    res = permutation_shapley(_u, players, max_permutations=20)  # the advised route works
    assert res.values == pytest.approx(dict.fromkeys(players, 1.0))


def test_permutation_result_reports_the_empty_and_full_utilities() -> None:
    # the additive game: U(∅) = 10, U(N) = 10 + Σ own = 13.75, whatever permutations are drawn
    own = {"a": 1.5, "b": -2.0, "c": 0.25, "d": 4.0}
    res = permutation_shapley(
        lambda s: 10.0 + sum(own[p] for p in s), list(own), rng=3, max_permutations=20
    )
    assert (res.utility_empty, res.utility_full) == (10.0, 13.75)
    assert sum(res.values.values()) == pytest.approx(3.75, abs=1e-12)  # efficient per draw


def test_antithetic_truncation_uses_the_full_value_on_reversed_orders() -> None:
    """Saturating game U(S) = 1{S ≠ ∅}: each order credits its first player, its reverse the last
    one; truncation (against U(N)) on both orders drops only exact-zero contributions."""
    k = 5
    players = [f"s{i}" for i in range(k)]
    calls: list[tuple[Hashable, ...]] = []

    def any_source(s: tuple[Hashable, ...]) -> float:
        calls.append(s)
        return float(len(s) > 0)

    kw: dict[str, Any] = {"rng": 1, "max_permutations": 40, "antithetic": True}
    res = permutation_shapley(any_source, players, truncation=1e-9, **kw)
    assert res.n_evaluations == len(calls) == k + 2  # ∅, N and the singletons only
    plain = permutation_shapley(any_source, players, **kw)
    assert res.values == plain.values and res.stderr == plain.stderr
    assert sum(res.values.values()) == pytest.approx(1.0, abs=1e-12)  # U(N) - U(∅)
    # every pair credits 1/2 to two distinct players: values are multiples of 1/(2 n_pairs)
    pairs = res.n_permutations // 2
    for v in res.values.values():
        assert v * 2 * pairs == pytest.approx(round(v * 2 * pairs), abs=1e-9)


def _order_marginals(utility: Callable[..., float], players: list[str], order: Any) -> np.ndarray:
    """Marginal contribution of each player along ``order`` (player indices), by direct calls."""
    out = np.zeros(len(players))
    prefix: list[int] = []
    for i in order:
        before = utility(tuple(players[j] for j in sorted(prefix)))
        prefix.append(int(i))
        out[i] = utility(tuple(players[j] for j in sorted(prefix))) - before
    return out


@pytest.mark.parametrize("antithetic", [False, True])
def test_permutation_estimate_is_the_mean_over_the_generators_permutations(
    antithetic: bool,
) -> None:
    """Replays the documented sampler with the same generator: units are permutations (or
    (π, reversed π) pair means), the estimate their mean, the stderr std(ddof=1) / sqrt(units)."""
    players = P8[:5]
    u = table_game(players, seed=3)
    res = permutation_shapley(
        u, players, rng=np.random.default_rng(11), max_permutations=12, tolerance=0.0,
        antithetic=antithetic,
    )  # fmt: skip
    gen = np.random.default_rng(11)
    units = []
    for _ in range(6 if antithetic else 12):
        order = gen.permutation(5)
        unit = _order_marginals(u, players, order)
        if antithetic:
            unit = 0.5 * (unit + _order_marginals(u, players, order[::-1]))
        units.append(unit)
    table = np.array(units)
    assert res.n_permutations == 12 and not res.converged and res.tolerance == 0.0
    np.testing.assert_allclose([res.values[p] for p in players], table.mean(0), atol=1e-12)
    se = table.std(axis=0, ddof=1) / math.sqrt(len(units))
    np.testing.assert_allclose([res.stderr[p] for p in players], se, rtol=1e-9)
    assert res.method == "permutation" and res.players == tuple(players)


def test_permutation_defaults() -> None:
    """Default tolerance 1% of |U(N) - U(∅)|, min 20 permutations, max 1000, rng 0."""
    players = P8[:4]
    u = table_game(players, seed=8)
    res = permutation_shapley(u, players)
    assert res.tolerance == pytest.approx(0.01 * abs(u(tuple(players)) - u(())), rel=1e-12)
    explicit = permutation_shapley(
        u, players, rng=0, max_permutations=1000, min_permutations=20, tolerance=res.tolerance
    )
    assert explicit.values == res.values and explicit.n_permutations == res.n_permutations
    assert 20 <= res.n_permutations <= 1000
    capped = permutation_shapley(u, players, tolerance=0.0)
    assert capped.n_permutations == 1000 and not capped.converged
    additive = permutation_shapley(lambda s: float(len(s)), players, max_permutations=7)
    assert additive.n_permutations == 7  # min(20, max_permutations) permutations, then stop
    additive = permutation_shapley(lambda s: float(len(s)), players)
    assert additive.n_permutations == 20 and additive.converged
    # tolerance 0 still stops once every contribution is constant (stderr 0 <= 0)
    exact_zero = permutation_shapley(lambda s: float(len(s)), players, tolerance=0.0)
    assert exact_zero.n_permutations == 20 and exact_zero.converged
