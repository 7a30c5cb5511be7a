"""The recommended valuer against every baseline on the benchmark's own evaluation markets.

A reduced form of ``synthmix reproduce valuation-benchmark`` (same seed, hence the same 30
evaluation markets per task and the same calibration markets): the fast methods on every
market, the attribution methods (TracIn, TRAK, KNN-Shapley) and the exact Shapley value of the
pooled model (the third ground truth) on the first few markets of each task. Prints the mean
per-market Spearman of each method against the three ground truths (stand-alone retrained
accuracy, leave-one-out and exact pooled Shapley) with 90% intervals, and the paired
per-market differences of ``proxy_ensemble`` against every other method.

    .venv/bin/python benchmarks/valuation_default.py                       # ~20 min, 2 cores
    .venv/bin/python benchmarks/valuation_default.py --attribution-markets 0 --shapley-markets 10
"""

from __future__ import annotations

import argparse
import json
import time

from synthmix.valuation.benchmark import run_benchmark

PRIMARY = "proxy_ensemble"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", type=int, default=30)
    parser.add_argument("--attribution-markets", type=int, default=5)
    parser.add_argument("--shapley-markets", type=int, default=3)
    parser.add_argument("--large-markets", type=int, default=0, help="24-source markets per task")
    parser.add_argument(
        "--tasks", default="digits,mnist,fashion,tweets,llm-tweets", help="comma-separated"
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    settings = {
        "tasks": tuple(args.tasks.split(",")),
        "n_markets": args.markets,
        "n_calibration": 10,
        "baselines": ("proxy_ensemble", "proxy", "proxy_shapley", "lava", "davinz", "size"),
        "random": True,
        "shapley_markets": 0,
        "attribution": ("tracin", "trak", "knn_shapley") if args.attribution_markets else (),
        "attribution_markets": args.attribution_markets,
        "stability_markets": 0,
        "shapley_truth_markets": args.shapley_markets,
        "large_markets": args.large_markets,
        "large_sources": 24,
        "fractions": (0.25,),
    }
    start = time.perf_counter()
    res = run_benchmark(settings, rng=0, n_jobs=args.n_jobs)
    print(f"{time.perf_counter() - start:.0f} s\n")
    print(
        f"{'task':<10} {'method':<30} {'stand-alone':>20} {'LOO':>7} {'Shapley':>16} {'s/mkt':>7}"
    )
    for r in res.table:
        if "spearman" not in r:  # a method with no finite Spearman (e.g. one market, ties)
            continue
        lo, hi = r.get("spearman_ci", (float("nan"), float("nan")))
        sa = f"{r['spearman']:.3f} [{lo:.2f}, {hi:.2f}]"
        sh = r.get("spearman_shapley", float("nan"))
        print(
            f"{r['task']:<10} {r['method']:<30} {sa:>20} {r['spearman_loo']:>7.3f} "
            f"{sh:>8.3f} (n={r.get('n_shapley_markets', 0)}) {r['seconds']:>7.3f}"
        )
    print(f"\npaired per-market Spearman difference, {PRIMARY} minus each method (90% interval)")
    for r in res.paired:
        if r["primary"] == PRIMARY and "difference" in r:
            lo, hi = r["difference_ci"]
            print(
                f"{r['task']:<10} {r['baseline']:<30} {r['difference']:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                f"  wins {r['wins']}/{r['n_markets']}"
            )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            rows = {"table": res.table, "paired": res.paired, "checks": res.checks}
            json.dump(rows, fh, default=str, indent=1)


if __name__ == "__main__":
    main()
