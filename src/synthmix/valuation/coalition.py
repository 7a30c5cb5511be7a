"""Coalitions and budgets: the predicted accuracy of buying a set of sources, and what to buy.

docs/math/valuation.md, "Coalitions and budgets". The utility of a coalition ``S`` of sources
is the closed-form part of the recommended valuer (:data:`synthmix.valuation.value.RECOMMENDED`)
applied to the union of the sources in ``S``:

    U(S) = ( U_ridge(S) + U_lda(S) ) / 2,

the mean reference accuracy of the ridge classifier (``α = 1``) and the shrinkage-LDA proxy
(:mod:`synthmix.valuation.proxy`) fitted on ``∪_{c ∈ S} S_c``, features standardised with the
reference's statistics (:data:`COALITION_MODELS`). The recommended valuer also averages a
logistic proxy, an L-BFGS fit: over the ``2^K`` coalitions of a budget search that would cost
as much as retraining Shapley, so coalitions keep the two closed-form models and, for a single
source, ``U`` is the mean of that source's ridge and LDA proxy accuracies.
``U(∅)``, buying nothing, is the accuracy of predicting the reference's majority class (ties:
the smallest label): an empty coalition is allowed.

Uncertainty: the reference bootstrap of :mod:`synthmix.valuation.uncertainty` (the resamples
:func:`~synthmix.valuation.value_sources` draws for the same ``rng``), re-scoring each fitted
model's per-row correctness on the reference; no model is refitted.

:func:`recommend_purchase` maximises ``U(S)`` subject to ``Σ_{c ∈ S} price_c <= budget``:
exhaustively over every affordable coalition for ``K <= 12`` sources, greedily above.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthmix._random import RngLike, seed_sequence
from synthmix._types import BoolArray, FloatArray, IntArray
from synthmix._validation import check_nonnegative, fail
from synthmix.data import Dataset
from synthmix.valuation.proxy import (
    MAX_PROXY_SHAPLEY_SOURCES,
    coalition_correct,
    reference_standardise,
    resampled_utilities,
)
from synthmix.valuation.uncertainty import (
    DEFAULT_N_BOOTSTRAP,
    bootstrap_indices,
    check_n_bootstrap,
    from_bootstrap,
    resample_counts,
)
from synthmix.valuation.value import (
    _bootstrap_text,
    _check_reference,
    _check_sources,
    _label_codes,
)

__all__ = [
    "COALITION_MODELS",
    "MAX_EXHAUSTIVE_SOURCES",
    "N_RUNNER_UPS",
    "CoalitionPrediction",
    "PlanOption",
    "PurchasePlan",
    "check_prices",
    "coalition_utilities",
    "predict_coalition",
    "recommend_purchase",
]

#: The proxy models whose mean reference accuracy is a coalition's utility ``U(S)``.
COALITION_MODELS = ("ridge", "lda")
#: :func:`recommend_purchase` searches every affordable coalition up to this many sources.
MAX_EXHAUSTIVE_SOURCES = MAX_PROXY_SHAPLEY_SOURCES
#: Runner-up plans a :class:`PurchasePlan` lists.
N_RUNNER_UPS = 3
#: Relative round-off allowed when a plan's total price is compared with the budget.
_PRICE_RTOL = 1e-9
_ALPHA = 1.0
_HOW = "both proxies fitted once per coalition, their reference predictions re-scored"


@dataclass(frozen=True)
class CoalitionPrediction:
    """Predicted accuracy of training on the union of a coalition of sources.

    Attributes
    ----------
    names : tuple of str
        The coalition's sources, in the order of the market (empty: buying nothing).
    accuracy : float
        ``U(S)``: the mean reference accuracy of the ridge and LDA proxies fitted on the union,
        in [0, 1]; for the empty coalition, the reference's majority-class accuracy.
    stderr : float
        Standard deviation (``ddof=1``) of ``U(S)`` over the reference resamples.
    interval : tuple of (float, float)
        90 % interval: 5th and 95th percentiles of ``U(S)`` over the resamples.
    model_accuracies : dict of str to float
        ``{"ridge": U_ridge(S), "lda": U_lda(S)}``.
    uncertainty : str
        How ``stderr`` and ``interval`` were obtained.
    seed : int or None
        Entropy of the root seed behind the resamples.
    """

    names: tuple[str, ...]
    accuracy: float
    stderr: float
    interval: tuple[float, float]
    model_accuracies: dict[str, float]
    uncertainty: str
    seed: Any = None


@dataclass(frozen=True)
class PlanOption:
    """A runner-up purchase: a coalition, its total price and its predicted accuracy.

    Attributes
    ----------
    names : tuple of str
    price : float
        Sum of the coalition's prices.
    prediction : CoalitionPrediction
    """

    names: tuple[str, ...]
    price: float
    prediction: CoalitionPrediction


@dataclass(frozen=True)
class PurchasePlan:
    """The sources to buy within a budget (see :func:`recommend_purchase`).

    Attributes
    ----------
    names : tuple of str
        Sources to buy, in the order of the market; empty when buying nothing is best or
        nothing is affordable (``note`` says which).
    price : float
        Their total price (``<= budget``).
    prediction : CoalitionPrediction
        Predicted accuracy of training on them, with standard error and 90 % interval.
    runner_ups : tuple of PlanOption
        The next best affordable plans (at most :data:`N_RUNNER_UPS`), best first, ordered as
        the plan was chosen; for ``"greedy"``, among the coalitions it evaluated.
    method : str
        ``"exhaustive"`` (``K <= 12``: every affordable coalition evaluated) or ``"greedy"``.
    guarantee : str
        What is known about the plan's optimality for the predicted accuracy.
    note : str
        Why the plan is empty (``""`` when it is not).
    budget : float
    prices : dict of str to float
        Source name → price, in the order of the market.
    n_evaluated : int
        Coalitions whose predicted accuracy was computed (buying nothing included).
    seconds : float
        Wall time.
    seed : int or None
        Entropy of the root seed behind the resamples.
    """

    names: tuple[str, ...]
    price: float
    prediction: CoalitionPrediction
    runner_ups: tuple[PlanOption, ...]
    method: str
    guarantee: str
    note: str
    budget: float
    prices: dict[str, float]
    n_evaluated: int
    seconds: float
    seed: Any = None


@dataclass(frozen=True)
class _Market:
    """Sources and reference standardised with the reference's statistics, labels coded."""

    names: tuple[str, ...]
    Zs: list[FloatArray]
    ys: list[IntArray]
    Z_ref: FloatArray
    y_ref: IntArray
    n_classes: int


# --------------------------------------------------------------------------------------------
# validation


def _prepare(sources: Any, reference: Any) -> _Market:
    srcs = _check_sources(sources)
    ref = _check_reference(reference, srcs)
    names = tuple(srcs)
    codes, ref_codes, n_classes = _label_codes(srcs, ref)
    Z_ref, Zs = reference_standardise(ref.X, *[srcs[n].X for n in names])
    return _Market(names, list(Zs), [codes[n] for n in names], Z_ref, ref_codes, n_classes)


def _mask(names: Any, market_names: Sequence[str], param: str) -> int:
    """Bitmask of a coalition given by its source names (bit ``i``: ``market_names[i]``)."""
    if isinstance(names, str) or not isinstance(names, Sequence | set | frozenset):
        raise fail(param, "be a sequence of source names (a list, not one string)", names)
    mask = 0
    for name in names:
        if name not in market_names:
            raise fail(param, f"name sources of the market ({', '.join(market_names)})", name)
        bit = 1 << market_names.index(name)
        if mask & bit:
            raise fail(param, "name each source once", f"{name!r} twice")
        mask |= bit
    return mask


def _names(mask: int, market_names: Sequence[str]) -> tuple[str, ...]:
    return tuple(n for i, n in enumerate(market_names) if mask >> i & 1)


def check_prices(
    prices: Any,
    names: Sequence[str],
    budget: Any,
    *,
    param: str = "prices",
    budget_param: str = "budget",
) -> tuple[dict[str, float], float]:
    """Validate a price for every source and a budget.

    Parameters
    ----------
    prices : mapping of str to float
        Source name → price, finite and ``>= 0``; every source needs one, no other name.
    names : sequence of str
        The market's source names.
    budget : float
        Finite and ``>= 0``.
    param, budget_param : str, default "prices", "budget"
        Names of the prices and the budget in the messages (the CLI passes ``"--price"`` and
        ``"--budget"``).

    Returns
    -------
    prices : dict of str to float
        In the order of ``names``.
    budget : float

    Raises
    ------
    ValidationError
        Not a mapping, a name that is not a source, a source without a price (the message
        names it), a negative or non-finite price or budget.
    """
    if not isinstance(prices, Mapping):
        raise fail(param, "be a mapping of source name to price", type(prices).__name__)
    for name in prices:
        if name not in names:
            raise fail(param, f"name only sources ({', '.join(names)})", name)
    out: dict[str, float] = {}
    for name in names:
        if name not in prices:
            raise fail(param, "give every source a price", f"no price for {name!r}")
        label = f"{param} {name}" if param.startswith("--") else f"{param}[{name!r}]"
        price = check_nonnegative(prices[name], label)
        if price.ndim != 0:
            raise fail(label, "be one number", prices[name])
        out[name] = float(price)
    budget_arr = check_nonnegative(budget, budget_param)
    if budget_arr.ndim != 0:
        raise fail(budget_param, "be one number", budget)
    return out, float(budget_arr)


# --------------------------------------------------------------------------------------------
# utilities


def _correct(market: _Market, masks: IntArray) -> dict[str, BoolArray]:
    """Model → per-reference-row correctness of each coalition, shape ``(m, n_ref)``."""
    return {
        model: coalition_correct(
            market.Zs,
            market.ys,
            market.Z_ref,
            market.y_ref,
            market.n_classes,
            masks,
            model=model,
            alpha=_ALPHA,
        )
        for model in COALITION_MODELS
    }


def _accuracies(correct: Mapping[str, BoolArray]) -> FloatArray:
    """``U(S)`` of each row, the mean of the models' accuracies (as ``proxy_ensemble``)."""
    accs = [np.asarray(correct[m].mean(axis=1), dtype=np.float64) for m in COALITION_MODELS]
    return np.asarray(np.mean(accs, axis=0), dtype=np.float64)


def _totals(correct: Mapping[str, BoolArray]) -> IntArray:
    """Correct rows summed over the models: ``U(S)`` times ``2 n_ref`` as an exact integer,
    so that equal utilities compare equal whatever the round-off of their mean."""
    return np.asarray(sum(correct[m].sum(axis=1) for m in COALITION_MODELS), dtype=np.int64)


def _predictions(
    market: _Market,
    masks: IntArray,
    correct: Mapping[str, BoolArray],
    rng: RngLike,
    n_bootstrap: int,
) -> list[CoalitionPrediction]:
    """Predictions of the coalitions ``masks`` from their correctness rows, bootstrapped."""
    seq = seed_sequence(rng)
    counts = resample_counts(
        bootstrap_indices(seq, market.y_ref.shape[0], n_bootstrap), market.y_ref.shape[0]
    )
    boot = np.mean(
        [resampled_utilities(correct[m], masks, market.y_ref, counts) for m in COALITION_MODELS],
        axis=0,
    )  # (m, B)
    unc = from_bootstrap(boot.T, _bootstrap_text(n_bootstrap, _HOW))
    accs = {m: correct[m].mean(axis=1) for m in COALITION_MODELS}
    acc = _accuracies(correct)
    return [
        CoalitionPrediction(
            names=_names(int(mask), market.names),
            accuracy=float(acc[j]),
            stderr=float(unc.stderr[j]),
            interval=(float(unc.lower[j]), float(unc.upper[j])),
            model_accuracies={m: float(accs[m][j]) for m in COALITION_MODELS},
            uncertainty=unc.description,
            seed=seq.entropy,
        )
        for j, mask in enumerate(masks)
    ]


def predict_coalition(
    sources: Mapping[str, Dataset] | Sequence[tuple[str, Dataset]],
    reference: Dataset,
    names: Sequence[str],
    *,
    rng: RngLike = 0,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
) -> CoalitionPrediction:
    """Predicted accuracy of training on the union of the sources ``names``.

    Parameters
    ----------
    sources : mapping of str to Dataset, or sequence of (str, Dataset)
        The market, as for :func:`~synthmix.valuation.value_sources` (at least two sources,
        each with the reference's ``d`` features).
    reference : Dataset
        A sample of the test distribution, shape (n_ref, d), with at least two classes.
    names : sequence of str
        The coalition: distinct source names. Empty: buying nothing, whose prediction is the
        reference's majority-class accuracy.
    rng : seed, default 0
        Root of the reference resamples (the same as ``value_sources`` draws for this ``rng``).
    n_bootstrap : int, default 50
        Reference resamples (``>= 2``).

    Returns
    -------
    CoalitionPrediction
        For one source, ``accuracy`` and ``stderr`` equal the mean of that source's ``proxy``
        values with ``model="ridge"`` and ``model="lda"`` (and their bootstrap).

    Raises
    ------
    ValidationError
        Bad ``sources`` or ``reference`` (as ``value_sources``), ``names`` a string, naming an
        unknown source or one source twice, ``n_bootstrap < 2``.

    Examples
    --------
    >>> from synthmix.valuation import make_market
    >>> market = make_market("digits", rng=0, n_contributors=3)
    >>> p = predict_coalition(market.contributors, market.reference, market.names[:2])
    >>> len(p.names), 0.0 <= p.accuracy <= 1.0, p.stderr > 0.0
    (2, True, True)
    """
    market = _prepare(sources, reference)
    n_bootstrap = check_n_bootstrap(n_bootstrap)
    masks = np.array([_mask(names, market.names, "names")], dtype=np.int64)
    return _predictions(market, masks, _correct(market, masks), rng, n_bootstrap)[0]


def coalition_utilities(
    sources: Mapping[str, Dataset] | Sequence[tuple[str, Dataset]],
    reference: Dataset,
    coalitions: Sequence[Sequence[str]],
) -> FloatArray:
    """Predicted accuracies ``U(S)`` of many coalitions, batched (no uncertainty).

    The ridge fits of all coalitions come from per-source sums and one batched ``d × d``
    solve each (:func:`~synthmix.valuation.proxy.coalition_accuracies`); LDA refits per
    coalition.

    Parameters
    ----------
    sources, reference
        As :func:`predict_coalition`.
    coalitions : sequence of m sequences of str
        Each a coalition as in :func:`predict_coalition` (may be empty).

    Returns
    -------
    ndarray, shape (m,)
        ``accuracy`` of :func:`predict_coalition` for each coalition.

    Raises
    ------
    ValidationError
        As :func:`predict_coalition`; the message names ``coalitions[j]``.
    """
    market = _prepare(sources, reference)
    if isinstance(coalitions, str) or not isinstance(coalitions, Sequence):
        raise fail("coalitions", "be a sequence of coalitions (lists of names)", coalitions)
    masks = np.array(
        [_mask(c, market.names, f"coalitions[{j}]") for j, c in enumerate(coalitions)],
        dtype=np.int64,
    )
    if masks.size == 0:
        return np.zeros(0, dtype=np.float64)
    return _accuracies(_correct(market, masks))


# --------------------------------------------------------------------------------------------
# budgets


def _order(totals: IntArray, prices: FloatArray, masks: IntArray) -> IntArray:
    """Best plan first: highest ``U``, then the cheapest, the fewest sources, the lowest mask."""
    sizes = np.array([int(m).bit_count() for m in masks], dtype=np.int64)
    return np.lexsort((masks, sizes, prices, -totals))


def _exhaustive(
    market: _Market, price_vec: FloatArray, limit: float
) -> tuple[IntArray, dict[str, BoolArray]]:
    """Every affordable coalition and its correctness rows."""
    k = len(market.names)
    masks = np.arange(1 << k, dtype=np.int64)
    bits = (masks[:, None] >> np.arange(k)[None, :]) & 1
    masks = masks[bits @ price_vec <= limit]
    return masks, _correct(market, masks)


def _greedy(
    market: _Market, price_vec: FloatArray, limit: float
) -> tuple[IntArray, dict[str, BoolArray]]:
    """The coalitions greedy evaluates and their correctness rows.

    From ``S = ∅``: evaluate ``S ∪ {j}`` for every affordable ``j ∉ S``, add the ``j`` with
    the largest gain per price among those with a positive gain (a free source with a
    positive gain first; ties: the larger gain, the cheaper, the first), stop when none is
    left. The first round evaluates every affordable single source.
    """
    k = len(market.names)
    empty = np.zeros(1, dtype=np.int64)
    rows = _correct(market, empty)
    blocks: dict[str, list[BoolArray]] = {m: [rows[m]] for m in COALITION_MODELS}
    masks_list = [0]
    current, spent, current_total = 0, 0.0, int(_totals(rows)[0])
    while True:
        cand = [j for j in range(k) if not current >> j & 1 and spent + price_vec[j] <= limit]
        if not cand:
            break
        new = np.array([current | 1 << j for j in cand], dtype=np.int64)
        rows = _correct(market, new)
        totals = _totals(rows)
        for m in COALITION_MODELS:
            blocks[m].append(rows[m])
        masks_list.extend(int(mask) for mask in new)
        gains = totals - current_total
        best, best_key = -1, (0.0, 0, 0.0, 0)
        for i, j in enumerate(cand):
            if gains[i] <= 0:
                continue
            p = float(price_vec[j])
            key = (math.inf if p == 0.0 else gains[i] / p, int(gains[i]), -p, -j)
            if best < 0 or key > best_key:
                best, best_key = i, key
        if best < 0:
            break
        current, current_total = int(new[best]), int(totals[best])
        spent += float(price_vec[cand[best]])
    correct = {m: np.vstack(blocks[m]) for m in COALITION_MODELS}
    return np.array(masks_list, dtype=np.int64), correct


def recommend_purchase(
    sources: Mapping[str, Dataset] | Sequence[tuple[str, Dataset]],
    reference: Dataset,
    prices: Mapping[str, float],
    budget: float,
    *,
    rng: RngLike = 0,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
) -> PurchasePlan:
    """The sources maximising the predicted accuracy ``U(S)`` within a budget.

    Maximises ``U(S)`` (:func:`predict_coalition`) over coalitions with
    ``Σ_{c ∈ S} prices[c] <= budget`` (up to a relative round-off of ``1e-9``). Ties go to
    the cheaper plan, then the one with fewer sources. Buying nothing (``U(∅)``, the
    reference's majority class) is a candidate, so a source predicted to lower the accuracy
    is not bought, even when free.

    * ``K <= 12`` sources: ``"exhaustive"``, every affordable coalition of the ``2^K``
      (ridge batched, one LDA fit each): the plan is optimal for the predicted accuracy.
    * ``K > 12``: ``"greedy"``, adding the source with the largest predicted gain per price
      while one fits and gains; the plan is the best of every coalition evaluated (buying
      nothing and every affordable single source among them). No optimality guarantee: ``U``
      is neither monotone nor submodular, so the ``(1 − 1/e)/2`` bound of budgeted submodular
      maximisation does not hold.

    Parameters
    ----------
    sources, reference
        As :func:`predict_coalition`.
    prices : mapping of str to float
        Source name → price (any unit, ``>= 0``); every source needs one.
    budget : float
        ``>= 0``, in the unit of ``prices``.
    rng : seed, default 0
        Root of the reference resamples behind the standard errors.
    n_bootstrap : int, default 50

    Returns
    -------
    PurchasePlan
        The chosen sources, their price and predicted accuracy with standard error and 90 %
        interval (of that coalition's estimate; the maximum over many noisy estimates is
        optimistic), up to three runner-ups, the method and what is known of optimality.

    Raises
    ------
    ValidationError
        Bad ``sources`` or ``reference``, ``prices`` missing a source (the message names it)
        or naming an unknown one, a negative or non-finite price or budget, ``n_bootstrap < 2``.

    Examples
    --------
    >>> from synthmix.valuation import make_market
    >>> market = make_market("digits", rng=0, n_contributors=4)
    >>> prices = dict.fromkeys(market.names, 1.0)
    >>> plan = recommend_purchase(market.contributors, market.reference, prices, 2.0)
    >>> plan.method, len(plan.names) <= 2, plan.price <= 2.0
    ('exhaustive', True, True)
    """
    start = time.perf_counter()
    market = _prepare(sources, reference)
    price_map, budget = check_prices(prices, market.names, budget)
    n_bootstrap = check_n_bootstrap(n_bootstrap)
    price_vec = np.array([price_map[n] for n in market.names], dtype=np.float64)
    limit = budget + _PRICE_RTOL * max(1.0, budget)
    k = len(market.names)
    if k <= MAX_EXHAUSTIVE_SOURCES:
        method = "exhaustive"
        masks, correct = _exhaustive(market, price_vec, limit)
    else:
        method = "greedy"
        masks, correct = _greedy(market, price_vec, limit)
    bits = (masks[:, None] >> np.arange(k)[None, :]) & 1
    plan_prices = bits @ price_vec
    order = _order(_totals(correct), plan_prices, masks)[: N_RUNNER_UPS + 1]
    picked = {m: correct[m][order] for m in COALITION_MODELS}
    preds = _predictions(market, masks[order], picked, rng, n_bootstrap)

    def total(pred: CoalitionPrediction) -> float:
        return math.fsum(price_map[n] for n in pred.names)

    chosen = preds[0]
    note = ""
    if not chosen.names:
        if np.all(price_vec > limit):
            cheapest = int(np.argmin(price_vec))
            note = (
                f"no source fits the budget {budget:g}: the cheapest, "
                f"{market.names[cheapest]!r}, costs {price_vec[cheapest]:g}; buying nothing "
                "predicts the reference's majority class"
            )
        else:
            note = (
                "no affordable coalition is predicted to beat buying nothing (the reference's "
                "majority class)"
            )
    if method == "exhaustive":
        guarantee = (
            f"optimal for the predicted accuracy: every affordable coalition ({masks.shape[0]} "
            f"of 2^{k}) evaluated"
        )
    else:
        guarantee = (
            "no optimality guarantee: the predicted accuracy is neither monotone nor submodular "
            "in the coalition, so the (1 - 1/e)/2 bound of budgeted submodular maximisation "
            f"does not hold; the plan is the best of the {masks.shape[0]} coalitions evaluated, "
            "which include buying nothing and every affordable single source"
        )
    return PurchasePlan(
        names=chosen.names,
        price=total(chosen),
        prediction=chosen,
        runner_ups=tuple(PlanOption(p.names, total(p), p) for p in preds[1:]),
        method=method,
        guarantee=guarantee,
        note=note,
        budget=budget,
        prices=price_map,
        n_evaluated=int(masks.shape[0]),
        seconds=time.perf_counter() - start,
        seed=chosen.seed,
    )
