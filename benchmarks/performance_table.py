"""Every row of the performance table in one run: synthmix against baselines timed alongside.

Run from the repository root (``make bench`` runs it first)::

    .venv/bin/python benchmarks/performance_table.py            # ~75 s on 2 idle cores
    .venv/bin/python benchmarks/performance_table.py --quick    # smaller p, ~40 s

Each row times synthmix and a baseline in the same process, one BLAS thread each (a per-core
comparison; ``--blas-threads`` to change), and prints their ratio:

* **theory, diagonal / eigendecomposition / general covariances** — a sweep through
  :func:`synthmix.theory.predict`, per point, against the dense evaluation of the same formulas
  (:func:`synthmix.theory.reference.reference_predict`: eigenvalues, a dense solve and ``p × p``
  products per point) where the real covariance is ``I``, and, for general non-commuting
  covariances (real ``diag(linspace(0.8, 1.25, p))``, synthetic ``C`` dense), against the
  Cholesky-solve backend written below (``p × p`` Cholesky solves at every fixed-point
  evaluation and every Newton trial, as the library did before eq. G). The general rows also
  give the cost per point in units of one ``numpy.linalg.solve`` of a ``p × p`` system with one
  right-hand side, timed here; target ≤ 10 at p = 400 and < 1 s per point at p = 1600;
* **one point per call** — ``predict`` with plain numbers against a point of a 50-point sweep
  (target ≤ 5×);
* **Monte-Carlo twin** — :func:`synthmix.simulate.simulate` against a plain per-trial loop
  written below (draw, fit ridge by ``numpy.linalg.solve``, score in closed form);
* **Monte-Carlo on two workers** and the **``synthmix simulate`` command** — from
  ``benchmarks/montecarlo_parallel.py`` (medians of three fresh processes; cold = first call,
  warm = second);
* **exact scaling sums** — from ``benchmarks/scaling_speed.py`` (naive numpy sum over items).

The header names the machine, the BLAS and the load. Exit status 1 when a target is missed or
a fast path disagrees with its baseline beyond 1e-8 (theory rows).
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_info, threadpool_limits

import montecarlo_parallel
import scaling_speed
from synthmix.simulate import simulate
from synthmix.theory import MixtureModel, Prediction, predict
from synthmix.theory._equivalents import MeanNoise, Points, evaluate
from synthmix.theory.reference import reference_predict

EPS, RHO, PHI = 0.2, 0.1, 0.9
AGREE = 1e-8


@dataclass(frozen=True)
class Line:
    what: str
    ours: str
    theirs: str
    ratio: str
    note: str = ""


def best(fn: Callable[[], object], repeats: int) -> float:
    out = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - start)
    return out


def fmt(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def means(p: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    mu = rng.standard_normal(p)
    mu *= 1.5 / np.linalg.norm(mu)
    v = rng.standard_normal(p)
    v -= (v @ mu) / (mu @ mu) * mu
    return mu, 0.8 * mu + 0.5 * v / np.linalg.norm(v)


def rotated(p: int, spectrum: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    q *= np.sign(np.diag(r))
    cov = (q * spectrum) @ q.T
    return 0.5 * (cov + cov.T)


def solve_unit(p: int, rng: np.random.Generator) -> float:
    """One ``numpy.linalg.solve`` of a ``p × p`` system with one right-hand side (median)."""
    a = rng.standard_normal((p, p)) + p * np.eye(p)
    b = rng.standard_normal(p)
    times = []
    for _ in range(9):
        start = time.perf_counter()
        np.linalg.solve(a, b)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


class CholeskySolveBackend:
    """The baseline for general covariances: a Cholesky factorisation of ``γI + aΣ_r + bC``
    and two ``p × p`` solves (for ``RΣ_r`` and ``RC``) at every evaluation, nothing kept."""

    def __init__(self, real: np.ndarray, synth: np.ndarray, mu: np.ndarray, mu_s: np.ndarray):
        self.p = real.shape[0]
        self.real, self.synth = real, synth
        self.u = np.stack([mu, mu_s], axis=1)

    def _factor(self, a: float, b: float, g: float) -> tuple[np.ndarray, bool]:
        return scipy.linalg.cho_factor(g * np.eye(self.p) + a * self.real + b * self.synth)

    def traces(self, a: np.ndarray, b: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
        s1, s2 = np.empty((a.size, 2)), np.empty((a.size, 3))
        for i in range(a.size):
            fac = self._factor(a[i], b[i], g[i])
            x = scipy.linalg.cho_solve(fac, self.real)
            y = scipy.linalg.cho_solve(fac, self.synth)
            s1[i] = np.trace(x), np.trace(y)
            s2[i] = np.sum(x * x.T), np.sum(x * y.T), np.sum(y * y.T)
        return s1, s2

    def forms(self, a: np.ndarray, b: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
        out = np.empty((3, a.size, 2, 2))
        for i in range(a.size):
            ru = scipy.linalg.cho_solve(self._factor(a[i], b[i], g[i]), self.u)
            out[0, i], out[1, i], out[2, i] = (
                self.u.T @ ru,
                ru.T @ self.real @ ru,
                ru.T @ self.synth @ ru,
            )
        return out[0], out[1], out[2]


def theory_rows(
    dims: Sequence[int], kind: str, n_points: int, rng: np.random.Generator
) -> tuple[list[Line], bool]:
    """Sweep per point vs the dense reference, for a diagonal or a rotated synthetic ``C``."""
    lines, ok = [], True
    for p in dims:
        mu, mu_s = means(p, rng)
        spectrum = np.linspace(0.2, 3.0, p)
        cov = spectrum if kind == "diagonal" else rotated(p, spectrum, rng)
        model = MixtureModel(mu, mu_synth=mu_s, cov_synth=cov)
        m = np.linspace(p / 4, 4 * p, n_points)
        kw = dict(n=p / 2, epsilon=EPS, rho=RHO, phi=PHI, gamma=1.0)
        per_point = best(partial(predict, model, m=m, **kw), 5 if p <= 1600 else 2) / n_points
        pred = predict(model, m=m, **kw)
        idx = [0, n_points // 2] if p < 1600 else [n_points // 2]
        start = time.perf_counter()
        refs = [reference_predict(mu, mu_s, cov, m=float(m[i]), **kw) for i in idx]  # type: ignore[arg-type]
        ref = (time.perf_counter() - start) / len(idx)
        diff = max(abs(r["accuracy"] - pred.accuracy[i]) for r, i in zip(refs, idx, strict=True))
        ok = ok and diff <= AGREE
        lines.append(
            Line(
                f"theory, {kind} C, p = {p} ({n_points}-pt sweep)",
                fmt(per_point) + "/pt",
                fmt(ref) + "/pt dense",
                f"{ref / per_point:,.0f}× faster",
                f"max |Δacc| {diff:.0e}",
            )
        )
    return lines, ok


def general_sweep(
    mu: np.ndarray,
    mu_s: np.ndarray,
    synth: np.ndarray,
    real: np.ndarray,
    m: np.ndarray,
    kw: dict[str, float],
) -> Prediction:
    """Build the general-covariance model and predict the whole sweep."""
    model = MixtureModel(mu, mu_synth=mu_s, cov_synth=synth, cov_real=real)
    return predict(model, m=m, **kw)


def general_rows(
    dims: Sequence[int], n_points: int, rng: np.random.Generator
) -> tuple[list[Line], bool]:
    """Non-commuting covariances: per point (build included) in solve units, vs Cholesky solves."""
    lines, ok = [], True
    for p in dims:
        mu, mu_s = means(p, rng)
        real = np.linspace(0.8, 1.25, p)
        synth = rotated(p, np.linspace(0.2, 3.0, p), rng)
        m = np.linspace(0.0, 4 * p, n_points)
        kw = dict(n=p / 2, epsilon=EPS, rho=RHO, phi=PHI, gamma=1.0)
        unit = solve_unit(p, rng)
        # a fresh model each time: its build is part of the cost
        sweep = functools.partial(general_sweep, mu, mu_s, synth, real, m, kw)
        start = time.perf_counter()
        pred = sweep()
        seconds = time.perf_counter() - start
        if p < 1600:  # best of three (one run at p = 1600: ~12 s)
            seconds = min(seconds, best(sweep, 2))
        per_point = seconds / n_points
        base = CholeskySolveBackend(np.diag(real), synth, mu, mu_s)
        idx = np.array([n_points // 2]) if p >= 1600 else np.array([1, n_points // 2, n_points - 1])
        ones = np.ones(idx.size)
        pts = Points(kw["n"] * ones, m[idx], EPS * ones, RHO * ones, PHI * ones, ones)
        start = time.perf_counter()
        moments = evaluate(base, pts, MeanNoise())  # type: ignore[arg-type]
        ref = (time.perf_counter() - start) / idx.size
        diff = float(np.max(np.abs(moments.accuracy - pred.accuracy[idx])))
        units = per_point / unit
        ok = (
            ok
            and diff <= AGREE
            and (units <= 10 if p == 400 else True)
            and (per_point < 1 if p == 1600 else True)
        )
        lines.append(
            Line(
                f"theory, general Σ_r and C, p = {p} ({n_points}-pt sweep)",
                f"{fmt(per_point)}/pt = {units:.1f} solves",
                f"{fmt(ref)}/pt = {ref / unit:.0f} solves",
                f"{ref / per_point:,.1f}× faster",
                f"1 solve = {fmt(unit)}; build included; max |Δacc| {diff:.0e}",
            )
        )
    return lines, ok


def one_by_one(model: MixtureModel, values: list[float], kw: dict[str, float]) -> None:
    """``predict`` called once per ``m``, with plain numbers."""
    for v in values:
        predict(model, m=v, **kw)


def single_rows(dims: Sequence[int], rng: np.random.Generator) -> tuple[list[Line], bool]:
    lines, ok = [], True
    for p in dims:
        mu, mu_s = means(p, rng)
        model = MixtureModel(mu, mu_synth=mu_s, cov_synth=np.linspace(0.2, 3.0, p))
        m = np.linspace(p / 4, 4 * p, 50)
        kw = dict(n=p / 2, epsilon=EPS, rho=RHO, phi=PHI, gamma=1.0)
        sweep = best(partial(predict, model, m=m, **kw), 20) / 50
        values = [float(v) for v in m]
        single = best(partial(one_by_one, model, values, kw), 5) / 50
        ratio = single / sweep
        ok = ok and ratio <= 5
        lines.append(
            Line(
                f"theory, one point per call, p = {p}",
                fmt(single),
                fmt(sweep) + " in a sweep",
                f"{ratio:.1f}× a sweep point",
                "target ≤ 5×",
            )
        )
    return lines, ok


def naive_montecarlo(model: MixtureModel, n: int, m: int, trials: int, seed: int) -> float:
    """A plain per-trial loop: draw, fit ridge (numpy solve), score Φ(wᵀμ/√(wᵀΣw))."""
    from scipy.special import ndtr

    rng = np.random.default_rng(seed)
    p, mu, mu_s = model.p, model.mu_real, model.mu_synth
    chol = np.linalg.cholesky(model.synth_covariance() + 1e-12 * np.eye(p))
    accs = []
    for _ in range(trials):
        y = rng.choice([-1.0, 1.0], n)
        x = y[:, None] * mu + rng.standard_normal((n, p))
        ys = rng.choice([-1.0, 1.0], m)
        xs = ys[:, None] * mu_s + rng.standard_normal((m, p)) @ chol.T
        flip = rng.random(m) < EPS
        keep = np.where(flip, rng.random(m) < RHO, rng.random(m) < PHI)
        ys_seen = np.where(flip, -ys, ys)
        xa = np.vstack([x, xs[keep]])
        ya = np.concatenate([y, ys_seen[keep]])
        w = np.linalg.solve(xa.T @ xa / (n + m) + np.eye(p), xa.T @ ya / (n + m))
        accs.append(float(ndtr(w @ mu / np.sqrt(w @ w))))
    return float(np.mean(accs))


def montecarlo_rows(dims: Sequence[int], rng: np.random.Generator) -> list[Line]:
    lines = []
    for p in dims:
        mu, mu_s = means(p, rng)
        model = MixtureModel(mu, mu_synth=mu_s, cov_synth=rotated(p, np.linspace(0.2, 3.0, p), rng))
        n, m = p // 2, 2 * p
        kw = dict(n=n, m=m, epsilon=EPS, rho=RHO, phi=PHI, gamma=1.0, n_trials=100, rng=0)
        start = time.perf_counter()
        res = simulate(model, **kw)  # type: ignore[arg-type]
        ours = time.perf_counter() - start
        start = time.perf_counter()
        plain = naive_montecarlo(model, n, m, 100, 1)
        theirs = time.perf_counter() - start
        lines.append(
            Line(
                f"Monte-Carlo twin, 100 trials, p = {p}",
                fmt(ours),
                fmt(theirs) + " plain loop",
                f"{theirs / ours:.1f}× faster",
                f"mean accuracy {float(np.mean(res.accuracies)):.4f} vs {plain:.4f}",
            )
        )
    return lines


def parallel_rows(quick: bool) -> tuple[list[Line], bool]:
    """``benchmarks/montecarlo_parallel.py``'s measurements and targets."""
    lines, ok = [], True
    for p, label, one, two in montecarlo_parallel.library_pairs((100,) if quick else (100, 400)):
        ok = ok and montecarlo_parallel.meets_target(p, label, one / two)
        lines.append(
            Line(
                f"simulate n_jobs=2 vs 1, p = {p}, 200 trials, {label} pool",
                fmt(two),
                fmt(one) + " serial",
                f"{one / two:.2f}×",
                "target ≥ 1.7× (warm)" if p == 400 else "target never slower",
            )
        )
    one, two = montecarlo_parallel._command(1), montecarlo_parallel._command(2)
    lines.append(
        Line(
            "synthmix simulate --n-jobs 2 vs 1 (p = 200, process)",
            fmt(two),
            fmt(one),
            f"{one / two:.2f}×",
            "never slower",
        )
    )
    return lines, ok


def scaling_rows() -> tuple[list[Line], bool]:
    """``benchmarks/scaling_speed.py``'s measurements and targets."""
    slow7, fast7, fast12, worst = scaling_speed.measure()
    return [
        Line(
            "expected_error, M = 10^7, 50 sizes",
            fmt(fast7),
            fmt(slow7) + " naive sum",
            f"{slow7 / fast7:,.0f}× faster",
            f"rel. err {worst:.1e} (worst of {len(scaling_speed.MODELS)} models)",
        ),
        Line(
            "expected_error, M = 10^12, 50 sizes",
            fmt(fast12),
            "(naive: hours)",
            "",
            "target ≤ 50 ms, ≤ 1e-10",
        ),
    ], scaling_speed.meets_targets(fast12, worst)


def header(blas_threads: int) -> str:
    libs = ", ".join(
        f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture', '?')})"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}\n"
        f"BLAS: {libs}; BLAS threads per process: {blas_threads}; load average {load:.2f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller p, for smoke runs")
    parser.add_argument("--blas-threads", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print(header(args.blas_threads), flush=True)
    lines: list[Line] = []
    ok = True
    with threadpool_limits(args.blas_threads):
        diag_dims = (100, 400) if args.quick else (100, 400, 1600, 3200)
        for part in (
            theory_rows(diag_dims, "diagonal", 50, rng),
            theory_rows((400,) if args.quick else (400, 1600), "rotated", 50, rng),
            general_rows((200,) if args.quick else (400, 1600), 20, rng),
            single_rows((100, 400), rng),
        ):
            lines += part[0]
            ok = ok and part[1]
        lines += montecarlo_rows((100,) if args.quick else (100, 400), rng)
        part = scaling_rows()
        lines += part[0]
        ok = ok and part[1]
    part = parallel_rows(args.quick)
    lines += part[0]
    ok = ok and part[1]
    fields = ("what", "ours", "theirs", "ratio")
    widths = [max(len(getattr(x, f)) for x in lines) for f in fields]

    def row(cells: Sequence[str], note: str) -> str:
        return " | ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True)) + f" | {note}"

    print(row(("what", "synthmix", "baseline", "ratio"), "note"))
    for x in lines:
        print(row([getattr(x, f) for f in fields], x.note))
    print(f"targets: {'all met' if ok else 'MISSED (see the rows above)'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
