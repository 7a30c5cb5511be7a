"""Time and peak memory of the recommended valuer from 10^4 to 10^6 rows.

Run from the repository root::

    .venv/bin/python benchmarks/valuation_rows.py            # 10^4, 10^5, 10^6 rows (~3 min)
    .venv/bin/python benchmarks/valuation_rows.py --quick    # 10^4 and 10^5 rows
    .venv/bin/python benchmarks/valuation_rows.py --cli      # also `synthmix value` on files

Ten sources share the rows equally (two classes, 384 features, the dimension of the
all-MiniLM-L6-v2 embeddings), valued against a 2,000-row reference by
:func:`synthmix.valuation.value_sources` with its default valuer (``proxy_ensemble``). Each
(size, method) runs in a fresh process, so the peak resident memory (``ru_maxrss``) is that
run's alone; it includes the data themselves (8 bytes × rows × 384), printed beside it. The
baseline measured in the same run is the simplest honest one, the ridge ``proxy`` alone, and the
ratios are the default's time and memory over it. Targets (issue "hold under huge sizes"):
10^6 rows within 300 s and 8 GiB. Exit status 1 when a target fails.

``--cli`` adds the whole command a user runs: the same data saved as eleven ``.npz`` files
(float32 on disk, read as float64) and valued by ``synthmix value --json`` in a child process,
reading included (``--n-jobs`` is passed on; its peak memory is the largest of its processes).
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


_WRITE = """
import sys
import numpy as np
rows, d, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
g = np.random.default_rng(0)
for k in range(10):
    y = g.integers(0, 2, rows // 10)
    shift = np.float32(0.3 * (k % 3))
    X = g.standard_normal((rows // 10, d), dtype=np.float32) + shift * y[:, None]
    np.savez(f"{folder}/s{k}.npz", X=X, y=y)
y = g.integers(0, 2, 2000)
np.savez(f"{folder}/ref.npz", X=g.standard_normal((2000, d), dtype=np.float32) + y[:, None], y=y)
"""


_TIME = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, capture_output=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak": peak}))
"""


def _run_cli(rows: int, d: int, n_jobs: int) -> dict[str, float]:
    """``synthmix value`` on ``.npz`` files, timed by a fresh child whose only children are
    that command and its workers: wall seconds and the largest peak resident memory of them."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-c", _WRITE, str(rows), str(d), folder], check=True)
        cmd = [str(Path(sys.executable).parent / "synthmix"), "value", "--json", "--n-jobs"]
        cmd += [str(n_jobs), "--reference", f"{folder}/ref.npz"]
        cmd += [a for k in range(10) for a in ("--source", f"s{k}={folder}/s{k}.npz")]
        out = subprocess.run(
            [sys.executable, "-c", _TIME, *cmd], check=True, capture_output=True, text=True
        )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^4 and 10^5 rows only")
    parser.add_argument("--cli", action="store_true", help="also time `synthmix value` on files")
    parser.add_argument("--n-jobs", type=int, default=1, help="--n-jobs of the CLI runs")
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
    if args.cli:
        print(f"\nsynthmix value --n-jobs {args.n_jobs} on .npz files (reading included)")
        print(f"{'rows':>10} {'seconds':>8} {'peak GiB':>9}")
        for rows in sizes:
            cli = _run_cli(rows, d, args.n_jobs)
            print(f"{rows:>10,} {cli['seconds']:>8.1f} {cli['peak'] / 2**30:>9.2f}")
            if rows == 1_000_000:
                ok = ok and cli["seconds"] <= TARGET_SECONDS and cli["peak"] / 2**30 <= TARGET_GIB
    verdict = "met" if ok else "MISSED"
    if 1_000_000 not in sizes:
        verdict = "not measured (--quick)"
    print(f"target at 10^6 rows: <= {TARGET_SECONDS:.0f} s and <= {TARGET_GIB:.0f} GiB: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
