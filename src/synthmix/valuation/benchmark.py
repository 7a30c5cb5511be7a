"""Every valuation method against retraining ground truth, on many random data markets.

For each task, random markets of ten contributors (:func:`~synthmix.valuation.make_markets`)
are valued by every method of :func:`~synthmix.valuation.value_sources`; each market's ground
truth is the stand-alone test accuracy of a logistic model retrained on each contributor (and,
as a check on the conclusions, leave-one-out). Agreement is the mean per-market Spearman /
Kendall / Pearson correlation with a bootstrap interval over markets; cost is the wall time and
the peak traced memory per market (docs/math/valuation.md).

The ``fit`` weights of the mixture score are fitted (non-negative least squares) on separate
*calibration* markets drawn from a different seed, never on the markets they are evaluated on.
Ablations drop one term at a time; stability correlates values on subsamples with the
full-data values.
"""

from __future__ import annotations

import copy
import time
import tracemalloc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthmix._random import RngLike, child_sequence, seed_sequence
from synthmix._types import StageProgress
from synthmix.parallel import map_tasks, stage_callback
from synthmix.valuation.uncertainty import Z90

__all__ = [
    "CEILING",
    "DEFAULT_SOURCES",
    "MIXTURE_VARIANTS",
    "PRIMARY",
    "BenchmarkResult",
    "MarketRecord",
    "run_benchmark",
]


#: The methods the verdict is about, fixed in advance: the recommended valuer (chosen on
#: development markets disjoint from every benchmark market), the score of
#: docs/math/valuation.md with fitted weights (fitted on calibration markets, disjoint from the
#: evaluation markets), and ours with the label-aware MMD.
PRIMARY = ("proxy_ensemble", "mixture (fit)", "mixture label-aware (fit)")

#: Label of the yardstick row (:func:`_ceiling`): the truth's own model retrained on each source
#: and scored on the reference. It retrains, so verdicts do not count it among the methods.
CEILING = "ceiling: truth's model on the reference"

#: Variants of the mixture score derived from one computation of its terms: (label, T2 kind,
#: weight mode). ``fit`` weights come from the calibration markets.
MIXTURE_VARIANTS: tuple[tuple[str, bool, str], ...] = (
    ("mixture (bound)", False, "bound"),
    ("mixture (davinz weights)", False, "davinz"),
    ("mixture (equal z)", False, "equal"),
    ("mixture (fit)", False, "fit"),
    ("mixture label-aware (equal z)", True, "equal"),
    ("mixture label-aware (fit)", True, "fit"),
)


@dataclass(frozen=True)
class MarketRecord:
    """One market: ground truth and every method's values, time and memory.

    Attributes
    ----------
    task, market : str
    truth, loo : dict of str to float
        Stand-alone accuracy and leave-one-out value of each contributor.
    values : dict of str to dict of str to float
        Method label → contributor → value.
    seconds, peak_mb : dict of str to float
        Method label → wall time and peak traced memory (numpy/python allocations; torch's
        allocator is not traced, so for attribution methods the library's own figure is used).
    terms : dict of bool to ndarray, shape (K, 4)
        Raw mixture terms, feature-only (False) and label-aware (True), in contributor order.
    kinds : dict of str to str
        Contributor → kind (real, label_noise, truncated, ...).
    stability : dict of str to dict of float to float
        Method label → subsample fraction → Spearman with the full-data values (only on the
        first ``stability_markets`` markets of a task).
    shapley_truth : dict of str to float
        Exact Shapley value of each contributor for the pooled retrained model (only on the
        first ``shapley_truth_markets`` markets of a task; empty otherwise).
    group : str
        The task, or ``"<task>, <K> sources"`` for the large markets (``large_markets``).
    ceiling : dict of str to float
        The ground truth's own model retrained on each contributor and scored on the
        *reference* (not the test set): what a valuer that retrains the truth's model would
        see through the reference's noise (:func:`_ceiling`).
    checks : dict
        The recommended valuer's interval coverage and top-3 stability (:func:`_checks`).
    """

    task: str
    market: str
    truth: dict[str, float]
    loo: dict[str, float]
    values: dict[str, dict[str, float]]
    seconds: dict[str, float]
    peak_mb: dict[str, float]
    terms: dict[bool, Any]
    kinds: dict[str, str]
    stability: dict[str, dict[float, float]]
    shapley_truth: dict[str, float]
    group: str = ""
    ceiling: dict[str, float] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)


#: Contributors of a regular benchmark market (``make_market``'s default); the large markets
#: (``large_markets`` per task, ``large_sources`` contributors) are summarised apart.
DEFAULT_SOURCES = 10

#: Per-market checks averaged over a task's markets: (summary key, :func:`_checks` key).
_CHECK_MEANS = (
    ("coverage", "covered"),
    ("expected_coverage", "expected_coverage"),
    ("top3_same", "top3_same"),
    ("top3_overlap_fresh", "top3_overlap_fresh"),
    ("top3_overlap_truth", "top3_overlap_truth"),
)

#: Methods timed once, without a second traced run: the attribution methods report their own
#: memory (resident-set growth; tracemalloc does not see torch), retraining Shapley is too slow
#: to run twice.
_UNTRACED = frozenset({"shapley", "tracin", "trak", "logra", "knn_shapley"})


def _measured(fn: Any, gen: np.random.Generator, *, trace: bool) -> tuple[Any, float, float]:
    """``fn(gen)``, its wall time and (``trace``) its peak traced memory in MB.

    The time comes from a plain call; the memory from a second call under ``tracemalloc``
    (which slows Python-level allocation several-fold, so timing under it would penalise the
    numpy methods against the torch-based ones, whose allocations it does not see). The second
    call gets a copy of ``gen`` as it was before the first, so ``gen`` advances exactly once.
    """
    snapshot = copy.deepcopy(gen) if trace else None
    start = time.perf_counter()
    out = fn(gen)
    seconds = time.perf_counter() - start
    peak = float("nan")
    if snapshot is not None:
        tracemalloc.start()
        try:
            fn(snapshot)
        finally:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    return out, seconds, peak


def _ceiling(market: Any) -> dict[str, float]:
    """Reference accuracy of the truth's model (logistic) retrained on each contributor.

    The same fits as :func:`~synthmix.valuation.standalone_accuracy`, scored on the reference
    instead of the test set: a valuer that retrained the very model of the ground truth would
    still see the contributors through the reference's sampling noise, so its agreement with
    the truth bounds what any valuer working from the reference can reach. It retrains, so it
    is a yardstick, not a retraining-free method.
    """
    from synthmix.valuation.ground_truth import _majority, training_accuracy

    ref = market.reference
    return {
        n: training_accuracy(ds, ref, model="logistic", seed=0, fallback=_majority(ref.y))
        for n, ds in market.contributors.items()
    }


def _rescored(market: Any, result: Any, data: Any) -> Any:
    """Per row of ``data``, the mean correctness of the recommended valuer's proxy models of
    each contributor, shape (K, n): the models behind ``result`` (same reference
    standardisation, same ``alpha``), counted on other rows. On the reference itself the row
    means are ``result``'s values; a row of a class that no source and no reference row has
    gets the code ``n_classes``, which no model predicts."""
    from synthmix.valuation.proxy import coalition_correct, reference_standardise
    from synthmix.valuation.value import ENSEMBLE_MODELS, _label_codes

    names = list(market.names)
    sources, ref = dict(market.contributors), market.reference
    codes, _, n_classes = _label_codes(sources, ref)
    classes = np.unique(np.concatenate([ref.y, *[ds.y for ds in sources.values()]]))
    where = np.clip(np.searchsorted(classes, data.y), 0, classes.shape[0] - 1)
    y = np.where(classes[where] == data.y, where, n_classes)
    _, (Z, *Zs) = reference_standardise(ref.X, data.X, *[sources[n].X for n in names])
    masks = 1 << np.arange(len(names), dtype=np.int64)
    alpha = float(result.details["alpha"])
    ys = [codes[n] for n in names]
    return np.mean(
        [
            coalition_correct(Zs, ys, Z, y, n_classes, masks, model=m, alpha=alpha)
            for m in ENSEMBLE_MODELS
        ],
        axis=0,
    )


def _checks(market: Any, result: Any, truth: Mapping[str, float], gen: Any) -> dict[str, Any]:
    """The recommended valuer's intervals and top 3, checked on data it never saw.

    * **Coverage.** Its value of a source is the accuracy of proxy models fitted on that source,
      counted on the reference; the 90 % interval is a bootstrap over reference rows, so its
      estimand is the same fitted models' accuracy on the test distribution. That accuracy is
      counted on the market's test set (``test_value``, standard error ``test_se`` from its
      per-row correctness). Because the test count has its own noise, an exact interval would
      cover it with probability ``2Φ(1.645 s/√(s² + t²)) − 1`` (``s`` the value's standard
      error, ``t`` the test's): ``expected_coverage``, the mean of that over sources.
    * **Top 3.** The valuer rerun with a fresh reference (``|V|`` test rows drawn at random by
      ``gen``, a new draw from the same distribution): is its top 3 the same set
      (``top3_same``)? Also the share of the top 3 shared with the fresh run and with the
      ground truth's top 3.
    """
    from scipy.stats import norm

    from synthmix.data import Dataset
    from synthmix.valuation import value_sources
    from synthmix.valuation.value import RECOMMENDED

    names = list(market.names)
    ref, test = market.reference, market.test
    rows = _rescored(market, result, test)  # (K, n_test): 0, 1/2 or 1 per test row
    test_value = rows.mean(axis=1)
    test_se = rows.std(axis=1, ddof=1) / np.sqrt(rows.shape[1])
    lower = np.array([result.interval[n][0] for n in names])
    upper = np.array([result.interval[n][1] for n in names])
    s_v = np.array([result.stderr[n] for n in names])
    spread = np.sqrt(s_v**2 + test_se**2)
    ratio = np.divide(Z90 * s_v, spread, out=np.zeros_like(s_v), where=spread > 0)
    # a random |V| of the test rows (their order can follow the class: files sorted by label)
    pick = np.sort(gen.choice(test.n, size=min(ref.n, test.n), replace=False))
    fresh_ref = Dataset(test.X[pick], test.y[pick], name="fresh reference")
    fresh = value_sources(dict(market.contributors), fresh_ref, method=RECOMMENDED, rng=gen)
    top = set(result.ranking()[:3])
    top_fresh = set(fresh.ranking()[:3])
    top_truth = set(sorted(truth, key=lambda n: -truth[n])[:3])
    return {
        "test_value": dict(zip(names, test_value.tolist(), strict=True)),
        "test_se": dict(zip(names, test_se.tolist(), strict=True)),
        "covered": float(np.mean((lower <= test_value) & (test_value <= upper))),
        "expected_coverage": float(np.mean(2.0 * norm.cdf(ratio) - 1.0)),
        "top3_same": bool(top == top_fresh),
        "top3_overlap_fresh": len(top & top_fresh) / 3.0,
        "top3_overlap_truth": len(top & top_truth) / 3.0,
    }


def _value_market(task: tuple[str, int, int, dict[str, Any], int], gen: np.random.Generator) -> Any:
    from synthmix.valuation import (
        leave_one_out,
        make_market,
        shapley_truth,
        stability,
        standalone_accuracy,
        value_sources,
    )
    from synthmix.valuation.ntk import OptionalDependencyError
    from synthmix.valuation.value import RECOMMENDED, TERMS

    name, index, seed, s, k = task
    large = k != DEFAULT_SOURCES
    market = make_market(name, rng=seed, n_contributors=k)
    sources, ref = dict(market.contributors), market.reference
    names = list(market.names)
    truth = standalone_accuracy(market, model="logistic", rng=seed)
    loo = leave_one_out(market, model="logistic", rng=seed)
    shap_truth: dict[str, float] = {}
    if not large and index < s["shapley_truth_markets"]:
        shap_truth = dict(shapley_truth(market, model="logistic", rng=seed).values)
    values: dict[str, dict[str, float]] = {}
    seconds: dict[str, float] = {}
    peak: dict[str, float] = {}
    terms: dict[bool, Any] = {}
    for label_aware in (False, True):
        res, sec, mb = _measured(
            lambda g, la=label_aware: value_sources(
                sources, ref, method="mixture", label_aware=la, rng=g
            ),
            gen,
            trace=True,
        )
        terms[label_aware] = np.array([[res.terms[n][t] for t in TERMS] for n in names])
        seconds["mixture label-aware" if label_aware else "mixture"] = sec
        peak["mixture label-aware" if label_aware else "mixture"] = mb
    methods = list(s["baselines"]) + (["random"] if s["random"] else [])
    if large:  # exact proxy Shapley is refused above 12 sources; the costly methods skip these
        methods = [m for m in methods if m != "proxy_shapley"]
    if not large and index < s["shapley_markets"]:
        methods.append("shapley")
    if not large and index < s["attribution_markets"]:
        methods += list(s["attribution"])
    checks: dict[str, Any] = {}
    for method in methods:
        try:
            res, sec, mb = _measured(
                lambda g, m=method: value_sources(sources, ref, method=m, rng=g),
                gen,
                trace=method not in _UNTRACED,
            )
        except (ImportError, OptionalDependencyError):
            # an optional library is missing (the valuers raise OptionalDependencyError, a
            # ValueError naming the extra): the table says "not run"
            continue
        values[method] = res.values
        seconds[method] = sec
        peak[method] = float(res.details.get("peak_memory_mb", mb))
        if method == RECOMMENDED:
            checks = _checks(market, res, truth.values, gen)
    stab: dict[str, dict[float, float]] = {}
    if not large and index < s["stability_markets"]:
        for label, kwargs in (
            ("mixture label-aware", {"method": "mixture", "label_aware": True, "weights": "equal"}),
            ("mixture", {"method": "mixture", "weights": "equal"}),
            ("davinz", {"method": "davinz"}),
            ("deviation", {"method": "deviation"}),
            ("mmd_only", {"method": "mmd_only"}),
        ):

            def fn(src: Any, r: Any, kw: dict[str, Any] = kwargs) -> Any:
                return value_sources(src, ref, rng=r, **kw).values

            stab[label] = stability(fn, sources, fractions=s["fractions"], rng=gen)
    return MarketRecord(
        task=name,
        market=market.name,
        truth=dict(truth.values),
        loo=dict(loo.values),
        values=values,
        seconds=seconds,
        peak_mb=peak,
        terms=terms,
        kinds={n: str(market.descriptions[n].get("kind", "")) for n in names},
        stability=stab,
        shapley_truth=shap_truth,
        group=f"{name}, {k} sources" if large else name,
        ceiling=_ceiling(market),
        checks=checks,
    )


def _calibration_terms(task: tuple[str, int], gen: np.random.Generator) -> Any:
    from synthmix.valuation import make_market, standalone_accuracy, value_sources
    from synthmix.valuation.value import TERMS

    name, seed = task
    market = make_market(name, rng=seed)
    truth = standalone_accuracy(market, model="logistic", rng=seed)
    names = list(market.names)
    out = {}
    for label_aware in (False, True):
        res = value_sources(
            dict(market.contributors),
            market.reference,
            method="mixture",
            label_aware=label_aware,
            rng=gen,
        )
        out[label_aware] = np.array([[res.terms[n][t] for t in TERMS] for n in names])
    return out, np.array([truth.values[n] for n in names])


@dataclass(frozen=True)
class BenchmarkResult:
    """Every market's record plus the fitted weights and the agreement table.

    Attributes
    ----------
    records : tuple of MarketRecord
    weights : dict of (str, bool) to ndarray, shape (4,)
        Fitted term weights per task and T2 kind, from the calibration markets.
    table : list of dict
        One row per (task, method): ``n_markets``, mean ``spearman``/``kendall``/``pearson``
        with 90% bootstrap intervals over markets, ``spearman_loo`` (against leave-one-out),
        ``seconds`` and ``peak_mb`` (means per market).
    ablation : list of dict
        Mixture (equal z-weights) without each term: mean Spearman per task and T2 kind.
    stability : list of dict
        Method, task, fraction → mean Spearman with the full-data values.
    paired : list of dict
        For each :data:`PRIMARY` variant and each other method (and the :data:`CEILING`): the
        mean per-market difference in Spearman on the markets both valued, its 90% bootstrap
        interval and the win count.
    checks : list of dict
        Per task: the recommended valuer's interval coverage on the test set against the
        coverage exact intervals would have there, and how often its top 3 stays the same with
        a fresh reference (:func:`_checks`, averaged over markets).
    """

    records: tuple[MarketRecord, ...]
    weights: dict[tuple[str, bool], Any]
    table: list[dict[str, Any]]
    ablation: list[dict[str, Any]]
    stability: list[dict[str, Any]]
    paired: list[dict[str, Any]]
    checks: list[dict[str, Any]] = field(default_factory=list)


def _agreement_row(
    task: str, label: str, pairs: Sequence[tuple[Any, ...]], rng: RngLike
) -> dict[str, Any]:
    from synthmix.valuation import market_agreement

    row: dict[str, Any] = {"task": task, "method": label, "n_markets": len(pairs)}
    if len(pairs) < 2:
        return row
    agree = market_agreement([(v, t) for v, t, *_ in pairs], rng=rng)
    loo = market_agreement([(v, lo) for v, _, lo, *_ in pairs], rng=rng)
    with_shapley = [(v, sh) for v, *_, sh in pairs if sh]
    if len(with_shapley) >= 2:
        shap = market_agreement(with_shapley, rng=rng)
        row["spearman_shapley"] = shap.estimate["spearman"]
        row["spearman_shapley_ci"] = shap.ci["spearman"]
        row["n_shapley_markets"] = len(with_shapley)
    for k in ("spearman", "kendall", "pearson"):
        row[k] = agree.estimate[k]
        row[f"{k}_ci"] = agree.ci[k]
    row["spearman_loo"] = loo.estimate["spearman"]
    row["spearman_loo_ci"] = loo.ci["spearman"]
    row["seconds"] = float(np.mean([p[3] for p in pairs]))
    row["peak_mb"] = float(np.mean([p[4] for p in pairs]))
    return row


def _summarise(
    records: Sequence[MarketRecord],
    weights: Mapping[tuple[str, bool], Any],
    settings: Mapping[str, Any],
    rng: np.random.SeedSequence,
) -> tuple[list[dict[str, Any]], ...]:
    from synthmix.valuation import combine_terms, market_agreement
    from synthmix.valuation.value import TERMS

    table, ablation, stab, paired, checks = [], [], [], [], []
    for group in dict.fromkeys(r.group for r in records):
        recs = [r for r in records if r.group == group]
        task = recs[0].task
        by_label: dict[str, dict[str, dict[str, float]]] = {}
        for label, label_aware, mode in MIXTURE_VARIANTS:
            pairs = []
            for r in recs:
                w = weights[(task, label_aware)] if mode == "fit" else mode
                vals, _ = combine_terms(r.terms[label_aware], w)
                key = "mixture label-aware" if label_aware else "mixture"
                named = dict(zip(r.truth, map(float, vals), strict=True))
                by_label.setdefault(label, {})[r.market] = named
                pairs.append(
                    (named, r.truth, r.loo, r.seconds[key], r.peak_mb[key], r.shapley_truth)
                )
            table.append(_agreement_row(group, label, pairs, rng))
        methods = sorted({m for r in recs for m in r.values}, key=lambda m: (m == "random", m))
        for method in methods:
            pairs = [
                (
                    r.values[method],
                    r.truth,
                    r.loo,
                    r.seconds[method],
                    r.peak_mb[method],
                    r.shapley_truth,
                )
                for r in recs
                if method in r.values
            ]
            by_label[method] = {r.market: r.values[method] for r in recs if method in r.values}
            table.append(_agreement_row(group, method, pairs, rng))
        ceiling = [
            (r.ceiling, r.truth, r.loo, float("nan"), float("nan"), r.shapley_truth) for r in recs
        ]
        by_label[CEILING] = {r.market: r.ceiling for r in recs}
        table.append(_agreement_row(group, CEILING, ceiling, rng))
        truth = {r.market: r.truth for r in recs}
        for primary in PRIMARY:
            if primary not in by_label:
                continue
            for method in [*methods, CEILING]:
                if method != primary:
                    paired.append(_paired_row(group, primary, method, by_label, truth, rng))
        checked = [r.checks for r in recs if r.checks]
        if checked:
            summary: dict[str, Any] = {"task": group, "method": PRIMARY[0]}
            summary["n_markets"] = len(checked)
            for key, name in _CHECK_MEANS:
                summary[key] = float(np.mean([c[name] for c in checked]))
            checks.append(summary)
        for label_aware in (False, True):
            row: dict[str, Any] = {"task": group, "label_aware": label_aware}
            for drop in (None, *range(4)):
                w = np.ones(4)
                if drop is not None:
                    w[drop] = 0.0
                kept: list[tuple[dict[str, float], dict[str, float]]] = []
                for r in recs:
                    vals, _ = combine_terms(r.terms[label_aware], w)
                    kept.append((dict(zip(r.truth, map(float, vals), strict=True)), r.truth))
                key = "all terms" if drop is None else f"without {TERMS[drop]}"
                row[key] = (
                    market_agreement(kept, rng=rng).estimate["spearman"]
                    if len(kept) >= 2
                    else float("nan")
                )
            ablation.append(row)
        for method in sorted({m for r in recs for m in r.stability}):
            for f in settings["fractions"]:
                got = [r.stability[method][float(f)] for r in recs if method in r.stability]
                stab.append(
                    {
                        "task": group,
                        "method": method,
                        "fraction": float(f),
                        "spearman": float(np.mean(got)),
                        "n_markets": len(got),
                    }
                )
    return table, ablation, stab, paired, checks


def _paired_row(
    task: str,
    primary: str,
    method: str,
    by_label: Mapping[str, Mapping[str, Mapping[str, float]]],
    truth: Mapping[str, Mapping[str, float]],
    rng: np.random.SeedSequence,
) -> dict[str, Any]:
    """Per-market Spearman of ``primary`` minus ``method`` on the markets both valued."""
    from synthmix.valuation import agreement

    common = [m for m in by_label[method] if m in by_label[primary]]
    diffs = np.array(
        [
            agreement(by_label[primary][m], truth[m], n_boot=10).estimate["spearman"]
            - agreement(by_label[method][m], truth[m], n_boot=10).estimate["spearman"]
            for m in common
        ]
    )
    row: dict[str, Any] = {"task": task, "primary": primary, "baseline": method}
    row["n_markets"] = len(common)
    if len(common) >= 2:
        gen = np.random.default_rng(np.random.SeedSequence(list(rng.generate_state(2))))
        boot = diffs[gen.integers(0, len(diffs), size=(2000, len(diffs)))].mean(axis=1)
        row["difference"] = float(diffs.mean())
        row["difference_ci"] = (float(np.quantile(boot, 0.05)), float(np.quantile(boot, 0.95)))
        row["wins"] = int(np.sum(diffs > 0))
    return row


def run_benchmark(
    settings: Mapping[str, Any],
    *,
    rng: RngLike = 0,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: StageProgress | None = None,
) -> BenchmarkResult:
    """Run the benchmark: calibration markets, evaluation markets, summaries.

    Parameters
    ----------
    settings : mapping
        Tasks, market counts, baselines and attribution methods, as in
        ``synthmix.experiments.valuation_benchmark.BENCHMARK_SETTINGS``.
    rng : seed
        Child 0 seeds the calibration markets, child 1 the evaluation markets (disjoint seeds;
        the large markets come from child 1's first child), children 2 and 3 their valuation
        draws (one child per market), child 4 the bootstrap.
    n_jobs, scheduler, progress
        Parallelism over markets (:func:`~synthmix.parallel.map_tasks`); stages
        ``"calibration markets"`` and ``"evaluation markets"``.

    Returns
    -------
    BenchmarkResult
    """
    from synthmix.data import DataUnavailableError
    from synthmix.valuation import fit_weights

    s = dict(settings)
    roots = seed_sequence(rng).spawn(5)
    cal_seeds = roots[0].generate_state(len(s["tasks"]) * s["n_calibration"]).tolist()
    eval_seeds = roots[1].generate_state(len(s["tasks"]) * s["n_markets"]).tolist()
    tasks = []
    for t, task in enumerate(s["tasks"]):
        try:
            from synthmix.valuation import make_market

            make_market(task, rng=0)
        except DataUnavailableError:
            continue  # e.g. Fashion-MNIST without the Debian package: the report says so
        tasks.append((t, task))

    opts: dict[str, Any] = {"n_jobs": n_jobs, "scheduler": scheduler}
    cal_tasks = [
        (task, int(cal_seeds[t * s["n_calibration"] + i]))
        for t, task in tasks
        for i in range(s["n_calibration"])
    ]
    cal = map_tasks(
        _calibration_terms,
        cal_tasks,
        rng=roots[2],
        progress=stage_callback(progress, "calibration markets"),
        **opts,
    )
    weights: dict[tuple[str, bool], Any] = {}
    for _, task in tasks:
        mine = [c for c, (tk, _) in zip(cal, cal_tasks, strict=True) if tk == task]
        for label_aware in (False, True):
            weights[(task, label_aware)] = fit_weights(
                [c[0][label_aware] for c in mine], [c[1] for c in mine]
            )
    n_large = s["large_markets"]
    large_seeds = (
        child_sequence(roots[1], 0).generate_state(max(1, len(s["tasks"]) * n_large)).tolist()
    )
    eval_tasks = []
    for t, task in tasks:
        eval_tasks += [
            (task, i, int(eval_seeds[t * s["n_markets"] + i]), s, DEFAULT_SOURCES)
            for i in range(s["n_markets"])
        ]
        eval_tasks += [
            (task, i, int(large_seeds[t * n_large + i]), s, s["large_sources"])
            for i in range(n_large)
        ]
    records: list[MarketRecord] = map_tasks(
        _value_market,
        eval_tasks,
        rng=roots[3],
        progress=stage_callback(progress, "evaluation markets"),
        **opts,
    )
    s["tasks"] = tuple(task for _, task in tasks)
    table, ablation, stab, paired, checks = _summarise(records, weights, s, roots[4])
    return BenchmarkResult(tuple(records), weights, table, ablation, stab, paired, checks)


# --------------------------------------------------------------------------------------------
