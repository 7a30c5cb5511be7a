"""Speed of :func:`synthmix.theory.predict` against the dense O(p³) baseline and Monte-Carlo.

Run from the repository root::

    .venv/bin/python benchmarks/theory_speed.py           # p = 400 and 3200 (< 3 min, 2 cores)
    .venv/bin/python benchmarks/theory_speed.py --quick   # p = 100 and 400 (smoke run, < 20 s)

For each dimension ``p`` it builds one model — a synthetic covariance
``C = Q diag(linspace(0.2, 3, p)) Qᵀ`` in a Haar-random orthonormal basis ``Q`` (full, rotated)
and a mean shift ``μ_s = 0.8μ + 0.5v`` (``|μ| = 1.5``, ``v`` a unit vector ⟂ ``μ``) — and times:

* the one-time :class:`~synthmix.theory.MixtureModel` construction (PSD check and
  eigendecomposition of ``C``), paid once per model, not per point;
* a 100-point γ sweep (``logspace(-2, 1, 100)``, ``n = p/2``, ``m = 2p``, ε = 0.2,
  (ρ, φ) = (0.1, 0.9)) with one vectorised ``predict`` call (best of a few repeats);
* the dense baseline :func:`synthmix.theory.reference.reference_predict` (eigenvalues, a dense
  ``p × p`` solve and ``p × p`` products per point, like the paper's public code) on a subset of
  the sweep, per point;
* :func:`synthmix.simulate.simulate` at γ = 1: per-trial cost and per-trial standard deviation
  of the accuracy, hence the trials (and time) a Monte-Carlo estimate needs for a standard error
  of 0.002 accuracy — the size of the theory's own finite-size error at these ``p`` — measured at
  the smaller ``p``; at the larger ``p`` two trials are timed and the standard deviation is
  extrapolated as ``sd(p₀)·√(p₀/p)`` (fluctuations of the accuracy scale like ``p^{-1/2}``).

It prints a table of per-point times and ratios, the largest fast-vs-reference difference on the
timed points, and PASS/FAIL lines for the targets (≥ 100× faster per point than the baseline at
p = 400, ≥ 1000× at p = 3200). Exit status 1 when a target fails or the two paths disagree.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from synthmix.simulate import simulate
from synthmix.theory import MixtureModel, predict
from synthmix.theory.reference import reference_predict

FloatArray = NDArray[np.float64]
T = TypeVar("T")

N_POINTS = 100
GAMMAS = np.logspace(-2.0, 1.0, N_POINTS)
MC_INDEX = 66  # GAMMAS[66] == 1.0
EPSILON, RHO, PHI = 0.2, 0.1, 0.9
MC_TARGET_SE = 0.002  # accuracy standard error to match (the theory's finite-size error)
AGREE_TOL = 1e-8  # max |fast - reference| allowed on accuracy and risk
TARGETS = {400: 100.0, 3200: 1000.0}  # p -> required speed-up per point over the baseline


@dataclass(frozen=True)
class Config:
    """Dimensions and sample counts of one run."""

    dims: tuple[int, int]  # (p0, p1): MC is measured at p0, extrapolated to p1
    ref_points: tuple[int, int]  # baseline points timed at each p
    sweep_repeats: tuple[int, int]
    mc_trials: tuple[int, int]


FULL = Config(dims=(400, 3200), ref_points=(10, 2), sweep_repeats=(7, 3), mc_trials=(12, 2))
QUICK = Config(dims=(100, 400), ref_points=(5, 3), sweep_repeats=(5, 3), mc_trials=(8, 2))


@dataclass(frozen=True)
class Row:
    """Measurements at one dimension (times in seconds)."""

    p: int
    build: float
    sweep: float
    ref_per_point: float
    ref_count: int
    max_diff: float
    mc_per_trial: float
    mc_sd: float
    mc_sd_measured: bool
    mc_trials_needed: int
    mc_mean: float
    mc_se: float
    theory_at_mc: float

    @property
    def per_point(self) -> float:
        return self.sweep / N_POINTS

    @property
    def ratio(self) -> float:
        return self.ref_per_point / self.per_point

    @property
    def amortised_per_point(self) -> float:
        return (self.build + self.sweep) / N_POINTS

    @property
    def mc_per_point(self) -> float:
        return self.mc_trials_needed * self.mc_per_trial


def make_model(p: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(μ, μ_s, C)``: full rotated ``C`` with spectrum ``linspace(0.2, 3, p)``."""
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    q *= np.sign(np.diag(r))  # Haar-distributed orthonormal basis
    cov = (q * np.linspace(0.2, 3.0, p)) @ q.T
    cov = 0.5 * (cov + cov.T)
    mu = rng.standard_normal(p)
    mu *= 1.5 / np.linalg.norm(mu)
    v = rng.standard_normal(p)
    v -= (v @ mu) / (mu @ mu) * mu
    v /= np.linalg.norm(v)
    return mu, 0.8 * mu + 0.5 * v, cov


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """``(seconds, result)`` of one call, with :func:`time.perf_counter`."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def measure(
    p: int,
    *,
    n_ref: int,
    repeats: int,
    mc_trials: int,
    sd_from: tuple[int, float] | None,
    rng: np.random.Generator,
) -> Row:
    """Time construction, the sweep, the baseline and Monte-Carlo at dimension ``p``.

    ``sd_from = (p0, sd0)`` extrapolates the Monte-Carlo standard deviation from ``p0``
    instead of estimating it from ``mc_trials`` (too few) trials.
    """
    mu, mu_s, cov = make_model(p, rng)
    n, m = p // 2, 2 * p
    build, model = timed(partial(MixtureModel, mu, mu_synth=mu_s, cov_synth=cov))
    kw: dict[str, Any] = {"n": n, "m": m, "epsilon": EPSILON, "rho": RHO, "phi": PHI}

    sweeps = []
    for _ in range(repeats):
        seconds, pred = timed(partial(predict, model, gamma=GAMMAS, **kw))
        sweeps.append(seconds)
    fast_acc = np.asarray(pred.accuracy)
    fast_risk = np.asarray(pred.risk)

    idx = np.unique(np.linspace(0, N_POINTS - 1, n_ref).round().astype(int))
    ref_times, diffs = [], []
    for i in idx:
        seconds, out = timed(partial(reference_predict, mu, mu_s, cov, gamma=GAMMAS[i], **kw))
        ref_times.append(seconds)
        diffs.append(max(abs(out["accuracy"] - fast_acc[i]), abs(out["risk"] - fast_risk[i])))

    mc_seconds, res = timed(
        partial(simulate, model, gamma=GAMMAS[MC_INDEX], n_trials=mc_trials, rng=0, n_jobs=1, **kw)
    )
    accs = res.accuracies
    if sd_from is None:
        sd = float(np.std(accs, ddof=1))
    else:
        p0, sd0 = sd_from
        sd = sd0 * math.sqrt(p0 / p)
    return Row(
        p=p,
        build=build,
        sweep=min(sweeps),
        ref_per_point=float(np.mean(ref_times)),
        ref_count=len(idx),
        max_diff=float(max(diffs)),
        mc_per_trial=mc_seconds / mc_trials,
        mc_sd=sd,
        mc_sd_measured=sd_from is None,
        mc_trials_needed=max(2, math.ceil((sd / MC_TARGET_SE) ** 2)),
        mc_mean=float(np.mean(accs)),
        mc_se=float(np.std(accs, ddof=1) / math.sqrt(len(accs))),
        theory_at_mc=float(fast_acc[MC_INDEX]),
    )


def fmt_time(seconds: float) -> str:
    """Seconds in a readable unit."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def report(rows: Sequence[Row], quick: bool) -> int:
    """Print the table and the PASS/FAIL lines; return the exit status."""
    print()
    head = (
        f"{'p':>5} | {'build (once)':>12} | {'sweep (100)':>11} | {'per point':>10} | "
        f"{'dense ref/pt':>12} | {'speed-up':>9} | {'incl. build':>11} | "
        f"{'MC/pt (trials)':>18} | {'MC / theory':>11} | {'max |Δ|':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        mc = f"{fmt_time(r.mc_per_point)} ({r.mc_trials_needed})"
        print(
            f"{r.p:>5} | {fmt_time(r.build):>12} | {fmt_time(r.sweep):>11} | "
            f"{fmt_time(r.per_point):>10} | {fmt_time(r.ref_per_point):>12} | "
            f"{r.ratio:>8.0f}x | {r.ref_per_point / r.amortised_per_point:>10.0f}x | "
            f"{mc:>18} | {r.mc_per_point / r.per_point:>10.0f}x | {r.max_diff:>8.1e}"
        )
    print()
    print("speed-up   = dense reference per point / predict per point (one vectorised sweep)")
    print("incl. build = same, with the one-time MixtureModel construction spread over the sweep")
    print("max |Δ|    = largest |fast - reference| of accuracy and risk on the timed points")
    for r in rows:
        how = "measured" if r.mc_sd_measured else "extrapolated as sd(p0)*sqrt(p0/p)"
        print(
            f"MC at p={r.p}, gamma=1: {fmt_time(r.mc_per_trial)} per trial, per-trial sd of the "
            f"accuracy {r.mc_sd:.4f} ({how}); {r.mc_trials_needed} trials for a standard error of "
            f"{MC_TARGET_SE} (the theory's finite-size accuracy error). "
            f"MC mean {r.mc_mean:.4f} ± {r.mc_se:.4f} vs theory {r.theory_at_mc:.4f}"
        )
    print()
    status = 0
    for p, target in TARGETS.items():
        row = next((r for r in rows if r.p == p), None)
        if row is None:
            print(f"SKIP p={p}: not run in this mode (target >= {target:.0f}x)")
            continue
        ok = row.ratio >= target
        status |= not ok
        print(
            f"{'PASS' if ok else 'FAIL'} p={p}: predict is {row.ratio:.0f}x faster per point than "
            f"the dense baseline (target >= {target:.0f}x)"
        )
    worst = max(r.max_diff for r in rows)
    agree = worst <= AGREE_TOL
    status |= not agree
    print(
        f"{'PASS' if agree else 'FAIL'} agreement: max |fast - reference| = {worst:.1e} "
        f"on accuracy and risk (tolerance {AGREE_TOL:g})"
    )
    if quick:
        print("(--quick: smaller dimensions, a smoke run; figures are not the reported ones)")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status (1 when a target or agreement fails)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller p, for smoke runs (< 20 s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random model (default 0)")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS/LAPACK threads for every timed call, both sides (default 1: a per-core "
        "comparison that a busy machine distorts least)",
    )
    args = parser.parse_args(argv)
    with threadpool_limits(limits=args.blas_threads):
        return run(args.quick, args.seed, args.blas_threads)


def run(quick: bool, seed: int, blas_threads: int) -> int:
    """Measure every dimension of the chosen configuration and report."""
    cfg = QUICK if quick else FULL
    rng = np.random.default_rng(seed)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = os.cpu_count() or 1
    print(
        f"synthmix theory speed benchmark — {_dt.date.today().isoformat()}, "
        f"{platform.machine()}, {cores} CPU cores, BLAS threads {blas_threads}, "
        f"load average {load:.1f}, numpy {np.__version__}"
    )
    if load > cores:
        print("warning: the machine is busy (load > cores); timings are inflated and noisy")
    print(
        f"model: C = Q diag(linspace(0.2, 3, p)) Q^T (Haar Q), |mu| = 1.5, "
        f"mu_s = 0.8 mu + 0.5 v (v unit, orthogonal to mu)\nsweep: {N_POINTS} gamma in "
        f"logspace(-2, 1); n = p/2, m = 2p, epsilon = {EPSILON}, (rho, phi) = ({RHO}, {PHI})"
    )
    rows: list[Row] = []
    start = time.perf_counter()
    for k, p in enumerate(cfg.dims):
        sd_from = None if k == 0 else (rows[0].p, rows[0].mc_sd)
        rows.append(
            measure(
                p,
                n_ref=cfg.ref_points[k],
                repeats=cfg.sweep_repeats[k],
                mc_trials=cfg.mc_trials[k],
                sd_from=sd_from,
                rng=rng,
            )
        )
        print(f"  p={p} done ({time.perf_counter() - start:.1f} s elapsed)", flush=True)
    status = report(rows, quick)
    print(f"total {time.perf_counter() - start:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
