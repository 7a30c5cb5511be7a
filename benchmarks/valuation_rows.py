"""Time and peak memory of the recommended valuer from 10^4 to 10^6 rows.

Run from the repository root::

    .venv/bin/python benchmarks/valuation_rows.py            # 10^4, 10^5, 10^6 rows (~3 min)
    .venv/bin/python benchmarks/valuation_rows.py --quick    # 10^4 and 10^5 rows

Ten sources share the rows equally (two classes, 384 features, the dimension of the
all-MiniLM-L6-v2 embeddings), valued against a 2,000-row reference by
:func:`synthmix.valuation.value_sources` with its default valuer (``proxy_ensemble``). Each
(size, method) runs in a fresh process, so the peak resident memory (``ru_maxrss``) is that
run's alone; it includes the data themselves (8 bytes × rows × 384), printed beside it. The
baseline measured in the same run is the simplest honest one, the ridge ``proxy`` alone, and the
ratios are the default's time and memory over it. Targets (issue "hold under huge sizes"):
10^6 rows within 300 s and 8 GiB. Exit status 1 when a target fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

TARGET_SECONDS, TARGET_GIB = 300.0, 8.0

_CHILD = """
import json, resource, sys, time
import numpy as np
from synthmix.data import Dataset
from synthmix.valuation import value_sources
rows, d, method = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
g = np.random.default_rng(0)
sources = {}
for k in range(10):
    y = g.integers(0, 2, rows // 10)
    X = g.standard_normal((rows // 10, d)) + 0.3 * (k % 3) * y[:, None]
    sources[f"s{k}"] = Dataset(X, y)
    del X
y_ref = g.integers(0, 2, 2000)
reference = Dataset(g.standard_normal((2000, d)) + 0.3 * y_ref[:, None], y_ref)
start = time.perf_counter()
value_sources(sources, reference, method=method)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak": peak}))
"""


def _run(rows: int, d: int, method: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(rows), str(d), method],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^4 and 10^5 rows only")
    args = parser.parse_args()
    d = 384
    sizes = (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000)
    print(
        f"{'rows':>10} {'data':>9} {'default s':>10} {'peak GiB':>9} {'proxy s':>8} "
        f"{'peak GiB':>9} {'time ×':>7} {'memory ×':>9}"
    )
    ok = True
    for rows in sizes:
        ours, base = _run(rows, d, "proxy_ensemble"), _run(rows, d, "proxy")
        data = 8.0 * rows * d / 2**30
        print(
            f"{rows:>10,} {data:>8.2f}G {ours['seconds']:>10.1f} {ours['peak'] / 2**30:>9.2f} "
            f"{base['seconds']:>8.1f} {base['peak'] / 2**30:>9.2f} "
            f"{ours['seconds'] / base['seconds']:>7.2f} {ours['peak'] / base['peak']:>9.2f}"
        )
        if rows == 1_000_000:
            ok = ours["seconds"] <= TARGET_SECONDS and ours["peak"] / 2**30 <= TARGET_GIB
    verdict = "met" if ok else "MISSED"
    print(f"target at 10^6 rows: <= {TARGET_SECONDS:.0f} s and <= {TARGET_GIB:.0f} GiB: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
