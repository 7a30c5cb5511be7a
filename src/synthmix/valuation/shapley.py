"""Shapley values of data sources (contributors) for a coalition utility.

A *utility* maps a coalition of players (a tuple of player names, in the order the players
were given) to a real number, e.g. the validation accuracy of a model trained on the union of
those sources; ``utility(())`` is the value of the empty coalition. The Shapley value of
player ``i`` among ``K`` players is

.. math::

    \\phi_i = \\sum_{S \\subseteq N \\setminus \\{i\\}}
              \\frac{|S|!\\,(K - |S| - 1)!}{K!}\\, \\bigl(U(S \\cup \\{i\\}) - U(S)\\bigr),

equivalently the mean marginal contribution of ``i`` over uniformly random orderings of the
players. The values are efficient: they sum to ``U(N) - U(∅)``.

:func:`exact_shapley` evaluates every one of the ``2^K`` coalitions once (``K <= 10``).
:func:`permutation_shapley` averages marginal contributions over random permutations
(Castro et al. 2009), optionally in antithetic pairs and with the truncation of "TMC-Shapley"
(Ghorbani & Zou 2019), and stops on a standard-error rule. Both cache utility values, so a
coalition is never evaluated twice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._random import RngLike, as_generator, seed_sequence
from synthmix._validation import as_float_array, check_int, fail
from synthmix.parallel import check_n_jobs

__all__ = [
    "MAX_EXACT_PLAYERS",
    "ShapleyResult",
    "exact_shapley",
    "permutation_estimate",
    "permutation_shapley",
    "shapley_from_utilities",
]

MAX_EXACT_PLAYERS = 10

Coalition = tuple[Hashable, ...]
Utility = Callable[[Coalition], float]


@dataclass(frozen=True)
class ShapleyResult:
    """Shapley values of a set of players (see :func:`exact_shapley`,
    :func:`permutation_shapley`).

    Attributes
    ----------
    values : dict
        Player name -> Shapley value, in the order of ``players``.
    stderr : dict
        Player name -> Monte-Carlo standard error of the value (all 0.0 for ``"exact"``).
    n_evaluations : int
        Distinct coalitions on which the utility was called (each at most once).
    n_permutations : int
        Permutations sampled (0 for ``"exact"``).
    method : str
        ``"exact"`` or ``"permutation"``.
    converged : bool
        Whether the stopping rule was met (always True for ``"exact"``; False when
        ``permutation_shapley`` stopped at ``max_permutations``).
    players : tuple
        The players, in the given order.
    utility_empty : float
        ``U(∅)``.
    utility_full : float
        ``U(N)``; ``sum(values.values()) == utility_full - utility_empty`` for the exact method
        and for permutation sampling without truncation (up to round-off).
    tolerance : float
        The standard-error threshold used by the stopping rule (NaN for ``"exact"``).
    seed : object
        Entropy of the seed sequence behind ``rng`` (None for ``"exact"``).
    permutations : tuple of tuple of int
        The sampled orders, as player indices, one per unit in sampling order (with
        ``antithetic=True`` each unit is the pair ``(π, reversed π)`` and only ``π`` is kept);
        empty for ``"exact"``. With them and the cached utilities the estimate can be
        recomputed for another utility table (e.g. a resampled reference).
    """

    values: dict[Hashable, float]
    stderr: dict[Hashable, float]
    n_evaluations: int
    n_permutations: int
    method: str
    converged: bool
    players: tuple[Hashable, ...]
    utility_empty: float
    utility_full: float
    tolerance: float
    seed: Any = None
    permutations: tuple[tuple[int, ...], ...] = ()


# --------------------------------------------------------------------------------------------
# validation and the cached game


def _check_players(players: Any) -> tuple[Hashable, ...]:
    if isinstance(players, str | bytes) or not isinstance(players, Sequence):
        raise fail("players", "be a sequence of player names (e.g. a list of str)", players)
    out = tuple(players)
    if not out:
        raise fail("players", "contain at least one player", out)
    for p in out:
        try:
            hash(p)
        except TypeError:
            raise fail("players", "contain hashable names", p) from None
    dupes = [p for p, c in Counter(out).items() if c > 1]
    if dupes:
        raise fail("players", "have unique names", f"duplicates {dupes}")
    return out


def _check_utility(utility: Any) -> Utility:
    if not callable(utility):
        raise fail("utility", "be callable on a tuple of player names", utility)
    return utility


def _as_value(value: Any, coalition: Coalition) -> float:
    try:
        out = float(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise fail(
            "utility", "return a real number", f"{value!r} for coalition {coalition}"
        ) from None
    if not math.isfinite(out):
        raise fail("utility", "return a finite number", f"{value!r} for coalition {coalition}")
    return out


class _Game:
    """The utility with a cache keyed by the coalition's bitmask over ``players``."""

    def __init__(self, utility: Utility, players: tuple[Hashable, ...]) -> None:
        self.utility = utility
        self.players = players
        self.cache: dict[int, float] = {}

    def coalition(self, mask: int) -> Coalition:
        return _coalition(self.players, mask)

    def __call__(self, mask: int) -> float:
        value = self.cache.get(mask)
        if value is None:
            coalition = self.coalition(mask)
            value = _as_value(self.utility(coalition), coalition)
            self.cache[mask] = value
        return value


def _coalition(players: tuple[Hashable, ...], mask: int) -> Coalition:
    return tuple(p for i, p in enumerate(players) if mask >> i & 1)


def _call_utility(
    utility: Utility, players: tuple[Hashable, ...], mask: int, rng: np.random.Generator
) -> Any:
    """Task function for :func:`synthmix.parallel.map_tasks` (the rng is unused)."""
    return utility(_coalition(players, mask))


# --------------------------------------------------------------------------------------------
# exact


def shapley_from_utilities(utilities: ArrayLike) -> NDArray[np.float64]:
    """Exact Shapley values from the utilities of all ``2^K`` coalitions.

    ``φ_i = Σ_{S ∌ i} |S|! (K − |S| − 1)! / K! · (U(S ∪ {i}) − U(S))``.

    Parameters
    ----------
    utilities : array_like, shape (2^K,) or (2^K, ...)
        ``utilities[mask]``: bit ``i`` of ``mask`` set = player ``i`` in the coalition. Extra
        axes are independent games (e.g. one column per reference resample): the value is
        linear in the utilities.

    Returns
    -------
    ndarray, shape (K,) or (K, ...)
    """
    u = np.asarray(utilities, dtype=np.float64)
    k = int(u.shape[0]).bit_length() - 1
    rest = u.shape[1:]
    masks = np.arange(u.shape[0])
    sizes = np.zeros(u.shape[0], dtype=np.int64)
    for i in range(k):
        sizes += (masks >> i) & 1
    # weight of a coalition S not containing i: |S|! (K - |S| - 1)! / K!
    weight = np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    )
    phi = np.empty((k, *rest))
    for i in range(k):
        without = masks[((masks >> i) & 1) == 0]
        phi[i] = np.tensordot(weight[sizes[without]], u[without | (1 << i)] - u[without], axes=1)
    return phi


def exact_shapley(
    utility: Utility,
    players: Sequence[Hashable],
    *,
    n_jobs: int = 1,
) -> ShapleyResult:
    """Exact Shapley values by evaluating all ``2^K`` coalitions once each.

    Parameters
    ----------
    utility : callable
        ``utility(coalition) -> float`` with ``coalition`` a tuple of player names in the order
        of ``players`` (``()`` for the empty coalition). Must return a finite number.
    players : sequence of hashable
        ``K`` unique player names, ``1 <= K <= 10`` (``MAX_EXACT_PLAYERS``).
    n_jobs : int, default 1
        With ``n_jobs != 1`` the coalitions are evaluated in worker processes through
        :func:`synthmix.parallel.map_tasks` (``-1``: all cores); ``utility`` must then pickle
        (a module-level function or a :func:`functools.partial` of one, not a lambda or
        closure). Workers run with one BLAS thread each.

    Returns
    -------
    ShapleyResult
        ``method="exact"``, ``stderr`` all zero, ``n_evaluations = 2^K``.

    Notes
    -----
    Time: ``2^K`` utility calls plus O(K 2^K) arithmetic; memory O(2^K).

    Examples
    --------
    >>> glove = lambda s: min(sum(p.startswith("L") for p in s), sum(p == "R" for p in s))
    >>> res = exact_shapley(glove, ["L1", "L2", "R"])
    >>> {k: round(v, 4) for k, v in res.values.items()}
    {'L1': 0.1667, 'L2': 0.1667, 'R': 0.6667}
    """
    utility = _check_utility(utility)
    names = _check_players(players)
    k = len(names)
    if k > MAX_EXACT_PLAYERS:
        raise fail(
            "players",
            f"have at most {MAX_EXACT_PLAYERS} players for exact Shapley (2^K utility "
            "evaluations); use permutation_shapley for more",
            f"{k} players",
        )
    n_jobs = check_n_jobs(n_jobs)
    masks = np.arange(2**k)
    if n_jobs == 1:
        game = _Game(utility, names)
        u = np.array([game(int(m)) for m in masks])
    else:
        from synthmix.parallel import map_tasks

        raw = map_tasks(
            partial(_call_utility, utility, names), [int(m) for m in masks], n_jobs=n_jobs
        )
        u = np.array(
            [_as_value(v, _coalition(names, int(m))) for v, m in zip(raw, masks, strict=True)]
        )
    phi = shapley_from_utilities(u)
    return ShapleyResult(
        values={name: float(phi[i]) for i, name in enumerate(names)},
        stderr=dict.fromkeys(names, 0.0),
        n_evaluations=2**k,
        n_permutations=0,
        method="exact",
        converged=True,
        players=names,
        utility_empty=float(u[0]),
        utility_full=float(u[-1]),
        tolerance=float("nan"),
        seed=None,
    )


# --------------------------------------------------------------------------------------------
# permutation sampling


def _marginals(
    game: _Game, order: np.ndarray, empty: float, full: float, truncation: float | None
) -> np.ndarray:
    """Marginal contribution of each player (indexed by player) along ``order``."""
    contrib = np.zeros(order.size)
    mask, prev = 0, empty
    for p in order:
        if truncation is not None and abs(full - prev) < truncation:
            break  # TMC: the prefix already has (nearly) the full value; the rest get 0
        mask |= 1 << int(p)
        value = game(mask)
        contrib[p] = value - prev
        prev = value
    return contrib


def permutation_shapley(
    utility: Utility,
    players: Sequence[Hashable],
    *,
    rng: RngLike = 0,
    max_permutations: int = 1000,
    min_permutations: int | None = None,
    tolerance: float | None = None,
    truncation: float | None = None,
    antithetic: bool = False,
) -> ShapleyResult:
    """Monte-Carlo Shapley values by sampling permutations of the players.

    Each permutation gives every player one marginal contribution
    ``U(prefix ∪ {i}) - U(prefix)``; the estimate is their mean over permutations and the
    standard error is ``std / sqrt(#units)`` per player. Sampling stops after a unit in which
    ``max_i stderr_i <= tolerance`` (once at least ``min_permutations`` permutations are in),
    or at ``max_permutations`` (then ``converged=False``).

    Parameters
    ----------
    utility : callable
        As in :func:`exact_shapley`.
    players : sequence of hashable
        ``K`` unique player names (any ``K >= 1``).
    rng : None, int, SeedSequence or Generator, default 0
        Draws the permutations.
    max_permutations : int, default 1000
        Hard cap on the number of permutations.
    min_permutations : int, optional
        No stopping before this many permutations (at least 2, at most ``max_permutations``).
        Default ``min(20, max_permutations)``.
    tolerance : float, optional
        Absolute standard-error threshold of the stopping rule, in utility units. Default
        ``0.01 * |U(N) - U(∅)|``. ``0`` stops early only when every contribution is constant.
    truncation : float, optional
        TMC-Shapley: within a permutation, once ``|U(N) - U(prefix)| < truncation`` the
        remaining players get contribution 0 without evaluating the utility. Saves calls when
        the utility saturates, at the cost of a bias: in each permutation the skipped
        contributions sum to less than ``truncation`` in absolute value (so the values sum to
        within ``truncation`` of ``U(N) - U(∅)``), though each one alone need not be small.
        Default: no truncation.
    antithetic : bool, default False
        Sample permutations in pairs ``(π, reversed π)`` and treat each pair's mean
        contribution as one unit (variance reduction); the permutation limits are rounded to
        whole pairs (``min`` up, ``max`` down).

    Returns
    -------
    ShapleyResult
        ``method="permutation"``; ``n_evaluations`` counts distinct coalitions evaluated
        (values are cached across permutations).

    Notes
    -----
    Time: at most ``K`` utility calls per permutation (fewer with caching and truncation)
    plus O(K) per permutation. The utility is called sequentially; parallel evaluation is
    offered by :func:`exact_shapley` only.

    Examples
    --------
    >>> additive = lambda s: sum({"a": 1.0, "b": 2.0, "c": 3.0}[p] for p in s)
    >>> res = permutation_shapley(additive, ["a", "b", "c"], rng=0)
    >>> res.values, res.converged, res.n_permutations
    ({'a': 1.0, 'b': 2.0, 'c': 3.0}, True, 20)
    """
    utility = _check_utility(utility)
    names = _check_players(players)
    max_permutations = check_int(max_permutations, "max_permutations", minimum=2)
    if min_permutations is None:
        min_permutations = min(20, max_permutations)
    min_permutations = check_int(min_permutations, "min_permutations", minimum=2)
    if min_permutations > max_permutations:
        raise fail(
            "min_permutations", f"be <= max_permutations ({max_permutations})", min_permutations
        )
    if tolerance is not None:
        tolerance = float(as_float_array(tolerance, "tolerance"))
        if tolerance < 0:
            raise fail("tolerance", "be >= 0", tolerance)
    if truncation is not None:
        truncation = float(as_float_array(truncation, "truncation"))
        if truncation < 0:
            raise fail("truncation", "be >= 0", truncation)
    if not isinstance(antithetic, bool | np.bool_):
        raise fail("antithetic", "be True or False", antithetic)
    per_unit = 2 if antithetic else 1
    max_units = max_permutations // per_unit
    min_units = max(2, -(-min_permutations // per_unit))
    if max_units < min_units:
        raise fail(
            "max_permutations",
            f"allow at least {min_units} {'pairs' if antithetic else 'permutations'} "
            f"(>= {min_units * per_unit} with antithetic={antithetic})",
            max_permutations,
        )

    seed = seed_sequence(rng).entropy
    gen = as_generator(rng)
    k = len(names)
    game = _Game(utility, names)
    empty = game(0)
    full = game((1 << k) - 1)
    tol = 0.01 * abs(full - empty) if tolerance is None else tolerance

    mean = np.zeros(k)
    m2 = np.zeros(k)
    units = 0
    converged = False
    stderr = np.full(k, np.inf)
    orders: list[tuple[int, ...]] = []
    while units < max_units:
        order = gen.permutation(k)
        orders.append(tuple(int(p) for p in order))
        unit = _marginals(game, order, empty, full, truncation)
        if antithetic:
            unit = 0.5 * (unit + _marginals(game, order[::-1], empty, full, truncation))
        units += 1
        delta = unit - mean  # Welford's running mean and sum of squares
        mean += delta / units
        m2 += delta * (unit - mean)
        if units >= 2:
            stderr = np.sqrt(np.maximum(m2, 0.0) / (units - 1) / units)
        if units >= min_units and float(stderr.max()) <= tol:
            converged = True
            break
    return ShapleyResult(
        values={n: float(v) for n, v in zip(names, mean, strict=True)},
        stderr={n: float(s) for n, s in zip(names, stderr, strict=True)},
        n_evaluations=len(game.cache),
        n_permutations=units * per_unit,
        method="permutation",
        converged=converged,
        players=names,
        utility_empty=empty,
        utility_full=full,
        tolerance=tol,
        seed=seed,
        permutations=tuple(orders),
    )


def permutation_estimate(
    permutations: Sequence[Sequence[int]], utilities: Callable[[int], Any], k: int
) -> NDArray[np.float64]:
    """The permutation-sampling estimate for given orders and another utility table.

    The mean over ``permutations`` of each player's marginal contribution
    ``U(prefix ∪ {i}) − U(prefix)`` (no truncation, no antithetic pairing): with the
    ``permutations`` of a :class:`ShapleyResult` and its utility it gives back its ``values``;
    with utilities re-scored on resampled data (one column per resample) it gives the same
    estimate on each resample.

    Parameters
    ----------
    permutations : sequence of sequence of int
        Orders of the player indices ``0..k−1``.
    utilities : callable
        ``utilities(mask)`` → the utility (a float, or an array of any shape: one value per
        resample) of the coalition with bitmask ``mask``.
    k : int
        Number of players.

    Returns
    -------
    ndarray, shape (k, ...)
    """
    total: Any = 0.0
    for order in permutations:
        contrib = []
        mask = 0
        prev = np.asarray(utilities(0), dtype=np.float64)
        for p in order:
            mask |= 1 << int(p)
            value = np.asarray(utilities(mask), dtype=np.float64)
            contrib.append((int(p), value - prev))
            prev = value
        per = np.zeros((k, *prev.shape))
        for p, c in contrib:
            per[p] = c
        total = total + per
    return np.asarray(total / len(permutations), dtype=np.float64)
