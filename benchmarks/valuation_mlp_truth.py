"""The recommended valuer against a stand-alone MLP truth on the benchmark's evaluation markets.

Run from the repository root::

    .venv/bin/python benchmarks/valuation_mlp_truth.py            # 30 markets per task (~12 min)
    .venv/bin/python benchmarks/valuation_mlp_truth.py 10 digits  # fewer markets, some tasks

A third of the recommended valuer (``proxy_ensemble``) is logistic regression on the source's
own standardisation — the model the benchmark's stand-alone truth retrains. This script asks
what it is worth against a model none of its members shares: the held-out accuracy of a
one-hidden-layer MLP (64 units, :func:`synthmix.valuation.ground_truth.training_accuracy` with
``model="mlp"``) retrained on each contributor. Markets are the benchmark's evaluation markets
(``synthmix reproduce valuation-benchmark`` at seed 0: the same seeds, ten contributors). For
each task it prints the mean per-market Spearman of the default, of the ridge + LDA mean (the
previous default, read from the default's own per-model ``terms``) and of the ridge proxy,
with the default's paired difference against each (90% bootstrap interval over markets).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from scipy.stats import spearmanr

from synthmix._random import seed_sequence
from synthmix.valuation import make_market, value_sources
from synthmix.valuation.ground_truth import training_accuracy

TASKS = ("digits", "mnist", "fashion", "tweets", "llm-tweets")
MARKETS_PER_TASK = 30  # the benchmark's evaluation seeds are drawn for 30 markets per task


def _market_row(task: str, seed: int) -> dict[str, float]:
    market = make_market(task, rng=seed, n_contributors=10)
    names, src = list(market.contributors), market.contributors
    res = value_sources(src, market.reference)
    terms = res.terms
    candidates = {
        "default": [res.values[k] for k in names],
        "ridge+lda": [(terms[k]["ridge_accuracy"] + terms[k]["lda_accuracy"]) / 2 for k in names],
        "ridge": [terms[k]["ridge_accuracy"] for k in names],
    }
    truth = [training_accuracy(src[k], market.test, model="mlp") for k in names]
    return {key: float(spearmanr(v, truth).statistic) for key, v in candidates.items()}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else MARKETS_PER_TASK
    only = sys.argv[2:] or TASKS
    warnings.simplefilter("ignore")  # small sources: sklearn's convergence and one-sample warnings
    seeds = seed_sequence(0).spawn(5)[1].generate_state(len(TASKS) * MARKETS_PER_TASK).tolist()
    gen = np.random.default_rng(0)
    for t, task in enumerate(TASKS):
        if task not in only:
            continue
        rows = [_market_row(task, int(seeds[t * MARKETS_PER_TASK + i])) for i in range(n)]
        keys = list(rows[0])
        table = np.array([[r[k] for k in keys] for r in rows])
        parts = [f"{task} (MLP truth, {n} evaluation markets): default {table[:, 0].mean():.3f}"]
        for j, key in enumerate(keys[1:], start=1):
            diff = table[:, 0] - table[:, j]
            boot = [diff[gen.integers(0, n, n)].mean() for _ in range(2000)]
            lo, hi = np.quantile(boot, [0.05, 0.95])
            parts.append(
                f"{key} {table[:, j].mean():.3f} (default minus it {diff.mean():+.3f} "
                f"[{lo:+.3f}, {hi:+.3f}])"
            )
        print("  ".join(parts), flush=True)


if __name__ == "__main__":
    main()
