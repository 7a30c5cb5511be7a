"""``synthmix reproduce valuation-benchmark``: every valuation method against retraining truth.

For each task (sklearn digits, MNIST-5k, Fashion-MNIST, tweets), many random data markets of
ten contributors (:func:`~synthmix.valuation.make_markets`), and a few large ones
(``large_sources`` contributors, summarised apart), are valued by every method of
:func:`~synthmix.valuation.value_sources`; each market's ground truth is the stand-alone test
accuracy of a logistic model retrained on each contributor (and, as a check on the conclusions,
leave-one-out). Agreement is the mean per-market Spearman / Kendall / Pearson correlation with a
bootstrap interval over markets; cost is the wall time and the peak traced memory per market.

The ``fit`` weights of the mixture score are fitted (non-negative least squares) on separate
*calibration* markets drawn from a different seed, never on the markets they are evaluated on.
Ablations drop one term at a time; stability correlates values on 10/25/50% subsamples with the
full-data values (the paper's Table 2).

Settings: :data:`BENCHMARK_SETTINGS`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from synthmix.experiments.publish import SCALING_PAPER
from synthmix.experiments.registry import ReproductionResult, StageProgress, register
from synthmix.plotting.valuation import plot_agreement, plot_cost
from synthmix.valuation.benchmark import (
    CEILING,
    MIXTURE_VARIANTS,
    PRIMARY,
    BenchmarkResult,
    MarketRecord,
    run_benchmark,
)
from synthmix.valuation.value import ATTRIBUTION_METHODS, METHODS

__all__ = [
    "BENCHMARK_SETTINGS",
    "MIXTURE_VARIANTS",
    "BenchmarkResult",
    "MarketRecord",
    "run_benchmark",
]


#: Methods run beside the mixture valuer in every market: all of :data:`METHODS` but the
#: mixture itself (valued separately, in all its variants), the costly ones that run on a few
#: markets (retraining Shapley, attribution) and ``random`` (its own switch).
_BASELINES = tuple(
    m for m in METHODS if m not in ("mixture", "shapley", "random", *ATTRIBUTION_METHODS)
)

BENCHMARK_SETTINGS: dict[str, dict[str, Any]] = {
    "full": {
        "tasks": ("digits", "mnist", "fashion", "tweets", "llm-tweets"),
        "n_markets": 30,
        "n_calibration": 10,
        "baselines": _BASELINES,
        "random": True,
        "shapley_markets": 10,
        "attribution": ("tracin", "trak", "logra", "knn_shapley"),
        "attribution_markets": 10,
        "stability_markets": 3,
        "shapley_truth_markets": 30,
        "large_markets": 3,
        "large_sources": 24,
        "fractions": (0.1, 0.25, 0.5),
    },
    "quick": {
        "tasks": ("digits",),
        "n_markets": 3,
        "n_calibration": 2,
        "baselines": _BASELINES,
        "random": True,
        "shapley_markets": 0,
        "attribution": (),
        "attribution_markets": 0,
        "stability_markets": 1,
        "shapley_truth_markets": 2,
        "large_markets": 2,
        "large_sources": 14,
        "fractions": (0.25, 0.5),
    },
}


# figures and report


def _fmt(row: Mapping[str, Any], key: str) -> str:
    if key not in row:
        return "not run"
    lo, hi = row[f"{key}_ci"]
    return f"{row[key]:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def _fmt_mb(value: float) -> str:
    return "not traced" if not np.isfinite(value) else f"{value:.3g}"


def _verdict(result: BenchmarkResult) -> str:
    lines = []
    for task in dict.fromkeys(row["task"] for row in result.table):
        for primary in PRIMARY:
            rows = [
                r
                for r in result.paired
                if r["task"] == task
                and r["primary"] == primary
                and "difference" in r
                and r["baseline"] != CEILING
            ]
            if not rows:
                continue
            beaten = [r["baseline"] for r in rows if r["difference_ci"][0] > 0]
            behind = [r["baseline"] for r in rows if r["difference_ci"][1] < 0]
            tied = [r["baseline"] for r in rows if r["baseline"] not in beaten + behind]
            lines.append(
                f"{task}, {primary}: beats {len(beaten)} of {len(rows)} other methods "
                "(paired per-market Spearman difference, 90% interval above 0)"
                + (f"; behind {', '.join(behind)}" if behind else "")
                + (f"; not separable from {', '.join(tied)}" if tied else "")
                + "."
            )
        ceiling = next(
            (
                r
                for r in result.paired
                if r["task"] == task
                and r["primary"] == PRIMARY[0]
                and r["baseline"] == CEILING
                and "difference" in r
            ),
            None,
        )
        if ceiling is not None:
            lo, hi = ceiling["difference_ci"]
            where = "below" if hi < 0 else "above" if lo > 0 else "not separable from"
            lines.append(
                f"{task}: {PRIMARY[0]} is {where} the ceiling (the truth's own model retrained "
                f"on each source and scored on the reference; difference "
                f"{ceiling['difference']:+.3f} [{lo:+.3f}, {hi:+.3f}])."
            )
    return " ".join(lines)


def _benchmark_report(
    path: Path,
    result: BenchmarkResult,
    settings: Mapping[str, Any],
    pngs: tuple[Path, Path],
    *,
    seed: int,
    quick: bool,
    seconds: float,
    n_jobs: int,
    scheduler: str | None,
) -> Path:
    from synthmix.experiments.publish import metadata, mode_text
    from synthmix.report.html import Bullets, Callout, Figure, Section, Table, render_report
    from synthmix.valuation.value import TERMS

    tasks = list(dict.fromkeys(r.task for r in result.records))
    missing = [t for t in settings["tasks"] if t not in tasks]
    intro = Section(
        "What this report shows",
        (
            f"{len(result.records)} random data markets ({', '.join(tasks)}) of ten contributors "
            f"each (and {settings['large_markets']} per task of {settings['large_sources']}, "
            "reported apart) — clean real data, real + synthetic mixes, class-conditional Gaussian "
            "generators of varying quality, top-p class truncation, temperature, label noise, "
            "pixel noise, blur, duplicates — valued by every method. Ground truth: test "
            "accuracy of a logistic model retrained on each contributor alone; agreement: mean "
            "per-market correlation with a 90% bootstrap interval over markets. The mixture "
            "score's fitted weights come from "
            f"{settings['n_calibration']} calibration markets per task drawn from another seed.",
            Callout(_verdict(result), title="Result"),
        )
        + ((f"Not run (data unavailable here): {', '.join(missing)}.",) if missing else ()),
    )
    rows = [
        [
            r["task"],
            r["method"],
            r["n_markets"],
            _fmt(r, "spearman"),
            _fmt(r, "kendall"),
            _fmt(r, "pearson"),
            _fmt(r, "spearman_loo"),
            _fmt(r, "spearman_shapley"),
            f"{r.get('seconds', float('nan')):.3g}",
            _fmt_mb(r.get("peak_mb", float("nan"))),
        ]
        for r in result.table
    ]
    main = Section(
        "Agreement with retraining, and cost",
        (
            Figure(pngs[0], caption="Mean per-market Spearman correlation, 90% CI over markets."),
            Table(
                (
                    "task",
                    "method",
                    "markets",
                    "Spearman",
                    "Kendall",
                    "Pearson",
                    "Spearman vs leave-one-out",
                    "Spearman vs exact Shapley",
                    "s / market",
                    "peak MB",
                ),
                rows,
                caption=(
                    "Seconds: one plain call per market. Peak MB: a second call under "
                    "tracemalloc (numpy/python allocations; the attribution methods report "
                    "the resident-memory growth of their library run instead, since torch's "
                    "allocator is not traced). Retraining Shapley and the attribution methods "
                    "run on the first "
                    f"{settings['shapley_markets']} / {settings['attribution_markets']} markets "
                    "of each task; the exact Shapley ground truth (1024 retrainings per "
                    f"market) on the first {settings['shapley_truth_markets']}."
                ),
            ),
            Figure(pngs[1], caption="Agreement against seconds per market."),
            Table(
                ("task", "mixture variant", "vs", "markets", "Δ Spearman [90% CI]", "wins"),
                [
                    [
                        r["task"],
                        r["primary"],
                        r["baseline"],
                        r["n_markets"],
                        f"{r['difference']:+.3f} [{r['difference_ci'][0]:+.3f}, "
                        f"{r['difference_ci'][1]:+.3f}]"
                        if "difference" in r
                        else "—",
                        r.get("wins", "—"),
                    ]
                    for r in result.paired
                ],
                caption=(
                    "Paired comparison on the markets both methods valued: mean per-market "
                    "Spearman of the mixture variant minus the other method's."
                ),
                flagged=["difference" in r and r["difference_ci"][1] < 0 for r in result.paired],
            ),
        ),
    )
    weights = Section(
        "Fitted weights and ablations",
        (
            Table(
                ("task", "T2", *TERMS),
                [
                    [task, "label-aware" if la else "features only", *[f"{v:.3f}" for v in w]]
                    for (task, la), w in result.weights.items()
                ],
                caption="Non-negative weights on z-scored terms, from the calibration markets.",
            ),
            Table(
                ("task", "T2", "all terms", *[f"without {t}" for t in TERMS]),
                [
                    [
                        a["task"],
                        "label-aware" if a["label_aware"] else "features only",
                        *[f"{a[k]:+.3f}" for k in ("all terms", *[f"without {t}" for t in TERMS])],
                    ]
                    for a in result.ablation
                ],
                caption="Mean Spearman of the equal-weight score with one term removed.",
            ),
        ),
    )
    checks = Section(
        "Intervals and top 3 of the recommended valuer",
        (
            Table(
                (
                    "task",
                    "markets",
                    "90% intervals covering the test-set value",
                    "coverage exact intervals would have",
                    "top 3 unchanged with a fresh reference",
                    "top-3 overlap, fresh reference",
                    "top-3 overlap with the truth",
                ),
                [
                    [
                        c["task"],
                        c["n_markets"],
                        f"{c['coverage']:.0%}",
                        f"{c['expected_coverage']:.0%}",
                        f"{c['top3_same']:.0%}",
                        f"{c['top3_overlap_fresh']:.0%}",
                        f"{c['top3_overlap_truth']:.0%}",
                    ]
                    for c in result.checks
                ],
                caption=(
                    f"{PRIMARY[0]}: its value of a source is the reference accuracy of proxy "
                    "models fitted on it, and its interval a bootstrap over reference rows, so it "
                    "should cover the same models' accuracy on the test set. The test count is "
                    "noisy too, so exact intervals would cover it less than 90% of the time: the "
                    "second column. Fresh reference: the valuer rerun on as many test rows as "
                    "the reference has."
                ),
            ),
        ),
    )
    stab = Section(
        "Stability on subsamples",
        (
            Table(
                ("task", "method", "fraction kept", "Spearman with full data", "markets"),
                [
                    [s["task"], s["method"], s["fraction"], f"{s['spearman']:+.3f}", s["n_markets"]]
                    for s in result.stability
                ],
            ),
        ),
    )
    repro = Section(
        "Reproducibility",
        (
            Bullets(
                (
                    f"Seed {seed}: calibration and evaluation markets come from children 0 and 1 "
                    f"of SeedSequence({seed}); results do not depend on the number of processes.",
                    "Every number in this report is in results.json next to this file.",
                    f"Mode: {mode_text(quick)}.",
                )
            ),
        ),
    )
    return render_report(
        "synthmix reproduce valuation-benchmark — what is each source worth?",
        [intro, main, checks, weights, stab, repro],
        path,
        subtitle=f"Retraining-free valuation of {SCALING_PAPER} against retraining ground truth.",
        metadata=metadata(seconds, seed, n_jobs, scheduler),
    )


def _payload(result: BenchmarkResult) -> dict[str, Any]:
    return {
        "table": result.table,
        "ablation": result.ablation,
        "stability": result.stability,
        "paired": result.paired,
        "checks": result.checks,
        "weights": [
            {"task": t, "label_aware": la, "weights": w} for (t, la), w in result.weights.items()
        ],
        "markets": [
            {
                "task": r.task,
                "group": r.group,
                "market": r.market,
                "kinds": r.kinds,
                "truth": r.truth,
                "leave_one_out": r.loo,
                "shapley_truth": r.shapley_truth,
                "ceiling": r.ceiling,
                "checks": r.checks,
                "values": r.values,
                "seconds": r.seconds,
                "peak_mb": r.peak_mb,
                "terms": {"features_only": r.terms[False], "label_aware": r.terms[True]},
            }
            for r in result.records
        ],
    }


@register(
    "valuation-benchmark",
    description=(
        "Every valuation method vs retraining ground truth on >= 30 markets per image task: "
        "correlation with CIs, seconds and peak MB, ablations, stability (slow; cached)."
    ),
    config={"settings": BENCHMARK_SETTINGS["full"], "variants": MIXTURE_VARIANTS},
)
def reproduce_valuation_benchmark(
    *,
    out: Path,
    quick: bool,
    seed: int,
    n_jobs: int,
    scheduler: str | None,
    progress: StageProgress | None,
) -> ReproductionResult:
    """``valuation-benchmark``: writes ``valuation_agreement.png``, ``valuation_cost.png``,
    ``results.json`` and ``report.html`` into ``out``.

    Returns
    -------
    ReproductionResult
        ``summary``: task → method → mean Spearman.
    """
    from synthmix.experiments.publish import header, publish

    start = time.perf_counter()
    settings = BENCHMARK_SETTINGS["quick" if quick else "full"]
    result = run_benchmark(
        settings, rng=seed, n_jobs=n_jobs, scheduler=scheduler, progress=progress
    )
    out = Path(out)
    pngs = (
        plot_agreement(result, out / "valuation_agreement.png"),
        plot_cost(result, out / "valuation_cost.png"),
    )
    summary: dict[str, dict[str, float]] = {}
    for row in result.table:
        if "spearman" in row:
            summary.setdefault(row["task"], {})[row["method"]] = row["spearman"]
    payload = header(
        "valuation-benchmark", paper=SCALING_PAPER, seed=seed, quick=quick, settings=settings
    )
    payload.update(_payload(result))
    return publish(
        "valuation-benchmark",
        out,
        payload,
        pngs,
        summary,
        start,
        seed=seed,
        quick=quick,
        report=lambda path, seconds: _benchmark_report(
            path,
            result,
            settings,
            pngs,
            seed=seed,
            quick=quick,
            seconds=seconds,
            n_jobs=n_jobs,
            scheduler=scheduler,
        ),
    )
