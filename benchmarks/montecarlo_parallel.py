"""Monte-Carlo on two processes against one, first and second call, library and command line.

Run from the repository root::

    .venv/bin/python benchmarks/montecarlo_parallel.py  # ~45 s

``synthmix.simulate.simulate`` (200 trials, n = p/2, m = 2p, ε = 0.2, ρ = 0.1, φ = 0.9) at
p = 100 and 400 with ``n_jobs=1`` and ``n_jobs=2``, each in a fresh process: "cold" is the
first call (the worker is forked — or, where forking is unsafe, spawned — while the calling
process already works, and both pay first-write page faults on the memory they shared), "warm"
the second (the pool kept from the first call is reused). The whole command,
``synthmix simulate --p 200 --trials 200``, is timed with ``--n-jobs 1`` and ``2``. Every pair
prints the speed-up (serial seconds over parallel; library rows are medians of three fresh
processes per setting); results are identical by construction (trial i draws from child i of
the seed). The first trial runs in the calling process and times
the run: below one second of estimated serial work (``PARALLEL_MIN_SECONDS``) no worker is
started, so small runs are never slower than serial. Targets (issue "performance at the
physical limit"): ≥ 1.7× at p = 400 (warm pool), never below 1× at p = 100.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

_CHILD = """
import json, sys, time
import numpy as np
from synthmix.theory import MixtureModel
from synthmix.simulate import simulate
p, j = int(sys.argv[1]), int(sys.argv[2])
model = MixtureModel(np.r_[1.5, np.zeros(p - 1)])
kw = dict(n=p // 2, m=2 * p, epsilon=0.2, rho=0.1, phi=0.9, gamma=1.0, n_trials=200, rng=0)
times = []
for _ in range(2):
    start = time.perf_counter()
    simulate(model, n_jobs=j, **kw)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def _library(p: int, n_jobs: int) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(p), str(n_jobs)],
        check=True,
        capture_output=True,
        text=True,
    )
    times: list[float] = json.loads(out.stdout.strip().splitlines()[-1])
    return times


def _command(n_jobs: int) -> float:
    cmd = [str(Path(sys.executable).parent / "synthmix"), "--quiet", "simulate", "--p", "200"]
    cmd += ["--trials", "200", "--n-jobs", str(n_jobs), "--json"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def meets_target(p: int, label: str, ratio: float) -> bool:
    """The issue's targets: never slower at p = 100 (timing noise of 10 % allowed), ≥ 1.7× at
    p = 400 on a warm pool (the cold first call is reported, not judged)."""
    if p == 100:
        return ratio >= 0.9
    return label != "warm" or ratio >= 1.7


def library_pairs(dims: tuple[int, ...], repeats: int = 3) -> list[tuple[int, str, float, float]]:
    """``(p, "cold"|"warm", serial seconds, two-process seconds)`` for each ``p``: medians over
    ``repeats`` fresh processes per setting, run alternately (one-off process noise is ±10 %)."""
    rows = []
    for p in dims:
        runs: dict[int, list[list[float]]] = {1: [], 2: []}
        for _ in range(repeats):
            for n_jobs in (1, 2):
                runs[n_jobs].append(_library(p, n_jobs))
        one, two = np.median(runs[1], axis=0), np.median(runs[2], axis=0)
        for k, label in enumerate(("cold", "warm")):
            rows.append((p, label, float(one[k]), float(two[k])))
    return rows


def main() -> int:
    print(f"machine: {os.cpu_count()} cores")
    print(f"{'what':<34}{'1 job s':>9}{'2 jobs s':>10}{'speed-up':>10}")
    ok = True
    for p, label, one, two in library_pairs((100, 400)):
        what = f"simulate p={p}, 200 trials, {label}"
        print(f"{what:<34}{one:>9.2f}{two:>10.2f}{one / two:>10.2f}")
        ok = ok and meets_target(p, label, one / two)
    one, two = _command(1), _command(2)
    print(f"{'synthmix simulate --p 200 (process)':<34}{one:>9.2f}{two:>10.2f}{one / two:>10.2f}")
    print(f"targets: >= 1.7x at p = 400 warm, never slower at p = 100: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
