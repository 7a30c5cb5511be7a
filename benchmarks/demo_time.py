"""Wall time of the quick and the full demo against their budgets, cold and warm caches.

Run from the repository root::

    .venv/bin/python benchmarks/demo_time.py            # quick demo, cold then warm cache
    .venv/bin/python benchmarks/demo_time.py --full     # the full demo too

Every run is a fresh process. "Cold" is a fresh machine: an empty embedding cache
(``SYNTHMIX_CACHE`` points at a new folder), so the text stage first embeds its tweets with
all-MiniLM-L6-v2. "Warm" reruns into a new output folder with that cache filled, the usual case
after the first run. Each row prints
the seconds, the budget and their ratio (the budgets: quick under 2 minutes, full under 10, on
two cores). The embedding cost is printed apart (texts per second, measured in the same run).
Interpret the numbers with the machine: other work on both cores can double them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

BUDGETS = {"quick": 120.0, "full": 600.0}

# one run in a fresh process: nothing (model, task data, embeddings) is cached in memory
_CHILD = """
import json, sys, time
from pathlib import Path
from synthmix.data.embeddings import embedding_stats
from synthmix.experiments.demo import run_demo
start = time.perf_counter()
run_demo(Path(sys.argv[1]), quick=sys.argv[2] == "quick", seed=0)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "embedded": embedding_stats().texts_encoded}))
"""


def _demo(out: Path, mode: str, cache: Path) -> dict[str, float]:
    env = {**os.environ, "SYNTHMIX_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), mode],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also time the full demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
        print(f"{'run':<18}{'seconds':>9}{'budget':>9}{'ratio':>8}{'texts embedded':>16}")
        modes = ["quick", "full"] if args.full else ["quick"]
        for mode in modes:
            cache = Path(tmp) / f"cache-{mode}"  # empty: cold, as on a fresh machine
            for state in ("cold", "warm"):
                run = _demo(Path(tmp) / f"{mode}-{state}", mode, cache)
                budget = BUDGETS[mode]
                label = f"{mode}, {state} cache"
                ratio = run["seconds"] / budget
                print(
                    f"{label:<18}{run['seconds']:>9.1f}{budget:>9.0f}{ratio:>8.2f}"
                    f"{int(run['embedded']):>16,}"
                )


if __name__ == "__main__":
    main()
