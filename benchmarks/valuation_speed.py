"""Speed of the recommended valuer against the attribution baselines and retraining Shapley.

Run from the repository root::

    .venv/bin/python benchmarks/valuation_speed.py            # 3 markets per task (~6 min)
    .venv/bin/python benchmarks/valuation_speed.py --quick    # 1 digits market (~1 min)

On the same markets (ten contributors each, the benchmark's market generator) and the same data
budget — every method sees all contributors' samples and the whole reference split — it times
one call of :func:`synthmix.valuation.value_sources` per method and market (one BLAS and one
torch thread, no tracing), takes the median over markets, and prints each method's time over
the recommended valuer's (``proxy_ensemble``, the default of ``value_sources``). Targets: the
default ≥ 10× faster than TracIn, and ≥ 100× faster than exact retraining Shapley (1024
logistic fits per ten-source market). Exit status 1 when a target fails.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

BASE = "proxy_ensemble"
#: Method -> how many times slower than the default it must be.
TARGETS = {"tracin": 10.0, "shapley": 100.0}
METHODS = (
    ("proxy_ensemble", {"method": "proxy_ensemble"}),
    ("mixture label-aware", {"method": "mixture", "label_aware": True}),
    ("mixture", {"method": "mixture"}),
    ("davinz", {"method": "davinz"}),
    ("deviation", {"method": "deviation"}),
    ("tracin", {"method": "tracin"}),
    ("trak", {"method": "trak"}),
    ("logra", {"method": "logra"}),
    ("knn_shapley", {"method": "knn_shapley"}),
    ("proxy", {"method": "proxy"}),
    ("proxy_shapley", {"method": "proxy_shapley"}),
    ("shapley", {"method": "shapley"}),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one digits market")
    args = parser.parse_args(argv)

    import synthmix
    from synthmix.valuation import make_markets, value_sources

    tasks = ("digits",) if args.quick else ("digits", "mnist", "fashion", "tweets")
    n_markets = 1 if args.quick else 3
    print(f"synthmix {synthmix.__version__}, python {platform.python_version()}")
    times: dict[str, list[float]] = {label: [] for label, _ in METHODS}
    with threadpool_limits(limits=1):
        for task in tasks:
            for market in make_markets(task, n_markets, rng=7):
                sources, ref = dict(market.contributors), market.reference
                n = sum(ds.n for ds in sources.values())
                print(f"{market.name}: {len(sources)} sources, {n} samples, {ref.n} reference")
                value_sources(sources, ref, rng=0, method=BASE)  # untimed: imports, caches
                for label, kwargs in METHODS:
                    start = time.perf_counter()
                    value_sources(sources, ref, rng=0, **kwargs)
                    times[label].append(time.perf_counter() - start)
    base = float(np.median(times[BASE]))
    print(f"\n{'method':22s} {'median s/market':>16s} {'x ' + BASE:>22s}")
    for label, _ in METHODS:
        med = float(np.median(times[label]))
        print(f"{label:22s} {med:16.3f} {med / base:22.1f}")
    ok = True
    for target, factor in TARGETS.items():
        ratio = float(np.median(times[target])) / base
        ok = ok and ratio >= factor
        print(
            f"{'PASS' if ratio >= factor else 'FAIL'}: {BASE} >= {factor:g}x faster than "
            f"{target} ({ratio:.1f}x)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
