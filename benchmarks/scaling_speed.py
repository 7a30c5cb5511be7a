"""Exact scaling sums: ``expected_error`` against a naive numpy sum over every item.

Run from the repository root::

    .venv/bin/python benchmarks/scaling_speed.py

For 50 training-set sizes (``logspace(0, 10)``) it times ``synthmix.scaling.expected_error`` at
``M = 10^7`` and ``M = 10^12`` items and, in the same run, the naive baseline written here: every
item's term ``p_i [s_i e_s + (1 - s_i)(1 - g_u)]`` evaluated in numpy blocks and summed (what
the spec's formula costs when taken literally; at ``M = 10^12`` it would take hours, so only
its ``M = 10^7`` time is measured and the ratio is printed there). The relative error of the
closed-form tail against the naive sum is the largest over eight models (β from 1.05 to 3, hard
cuts ``k``, temperatures, top-p) at ``M = 10^7``. Targets (issue "performance at the physical
limit"): 50 sizes at ``M = 10^12`` in ≤ 50 ms, relative error ≤ 1e-10. Exit status 1 when one
fails.
"""

from __future__ import annotations

import platform
import sys
import time

import numpy as np

from synthmix.scaling import LongTailModel, expected_error
from synthmix.scaling.model import _correctness

SIZES = np.logspace(0, 10, 50)
MODELS = [
    {"beta": 1.2, "k": 5, "pi": 0.1},
    {"beta": 2.0, "k": 5, "pi": 0.1},
    {"beta": 3.0, "k": 50, "pi": 0.01},
    {"beta": 1.5, "temperature": 0.7, "pi": 0.1},
    {"beta": 2.0, "temperature": 0.5, "pi": 0.3},
    {"beta": 1.1, "top_p": 0.9, "pi": 0.1},
    {"beta": 2.5, "k": 1000, "pi": 0.5},
    {"beta": 1.05, "k": 20000, "pi": 0.05},
]
TARGET_MS, TARGET_REL = 50.0, 1e-10


def naive(model: LongTailModel, n: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """Every item's term, in numpy blocks: the baseline."""
    total = np.zeros(n.shape[0])
    for start in range(1, model.M + 1, block):
        i = np.arange(start, min(start + block, model.M + 1), dtype=np.float64)
        p, q = model.frequencies(i)
        wrong, right = _correctness(model, i)
        unseen = np.exp(np.outer(n, np.log1p(-np.clip(q, 0.0, 1.0))))
        total += (1.0 - unseen) @ (p * wrong) + unseen @ (p * (1.0 - right))
    return total


def _best(fn: object, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def measure() -> tuple[float, float, float, float]:
    """``(naive s, expected_error s at M = 10^7, at M = 10^12, worst relative error)``: the
    timings on the hard-cut model, the error the largest over :data:`MODELS` at M = 10^7."""
    worst = 0.0
    for kw in MODELS:
        m = LongTailModel(M=10**7, **kw)  # type: ignore[arg-type]
        exact, fast = naive(m, SIZES), expected_error(m, SIZES)
        worst = max(worst, float(np.max(np.abs(fast - exact) / exact)))
    m7 = LongTailModel(beta=2.0, k=5, pi=0.1, M=10**7)
    m12 = LongTailModel(beta=2.0, k=5, pi=0.1, M=10**12)
    t_naive = _best(lambda: naive(m7, SIZES), 2)
    t7 = _best(lambda: expected_error(m7, SIZES), 20)
    t12 = _best(lambda: expected_error(m12, SIZES), 20)
    return t_naive, t7, t12, worst


def meets_targets(t12: float, worst: float) -> bool:
    return t12 * 1e3 <= TARGET_MS and worst <= TARGET_REL


def main() -> int:
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}")
    t_naive, t7, t12, worst = measure()
    print(f"{'what (50 sizes)':<34}{'ms':>10}{'× naive M=10^7':>18}")
    print(f"{'naive numpy sum, M = 10^7':<34}{t_naive * 1e3:>10.1f}{1.0:>18.2f}")
    print(f"{'expected_error, M = 10^7':<34}{t7 * 1e3:>10.2f}{t_naive / t7:>18.0f}")
    print(f"{'expected_error, M = 10^12':<34}{t12 * 1e3:>10.2f}{'(naive: hours)':>18}")
    print(f"largest relative error against the naive sum at M = 10^7 (8 models): {worst:.1e}")
    ok = meets_targets(t12, worst)
    print(
        f"targets: M = 10^12 in <= {TARGET_MS:.0f} ms, relative error <= {TARGET_REL:g}: "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
