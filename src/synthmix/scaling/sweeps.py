"""Sweeps of the exact long-tail model: fitted against predicted breakpoints, and robustness.

:func:`scaling_exact_grid` observes the exact curve ``E(n)`` of every (β, k, π) setting at
log-spaced sizes with multiplicative noise, fits :func:`~synthmix.scaling.fit_three_phase` and
sets the fitted breakpoints and slopes, with their bootstrap intervals, against the predicted
``n1 = Z k^β/A``, ``n2 = Z (k+1)^β/π`` and slopes ``−(1 − 1/β), 0, −(1 − 1/β)``; fresh-noise
refits measure whether the intervals are calibrated, untruncated curves are the negative
control and a Monte-Carlo check ties the exact curve to sampled training sets.

:func:`robustness_sweep` leaves the Zipf model (non-power-law frequencies, hallucinated mass,
soft truncation) and compares the fitted breakpoints with the Zipf formula at a head-fitted β
and with the coverage frontier of :func:`frontier_breakpoints` (docs/math/scaling.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix._random import RngLike, seed_sequence
from synthmix._types import FloatArray, StageProgress
from synthmix.parallel import map_tasks, stage_callback
from synthmix.scaling.fit import ThreePhaseFit, fit_three_phase
from synthmix.scaling.hinges import hinge_sizes
from synthmix.scaling.model import (
    LongTailModel,
    breakpoints,
    expected_error,
    mixture_error,
    sample_error,
)

__all__ = [
    "ROBUSTNESS_VARIANTS",
    "ExactGridResult",
    "MonteCarloCheck",
    "RobustnessRow",
    "SettingFit",
    "frontier_breakpoints",
    "robustness_sweep",
    "scaling_exact_grid",
    "variant_frequencies",
]


# --------------------------------------------------------------------------------------------
# the grid


@dataclass(frozen=True)
class SettingFit:
    """One grid setting: predicted vs fitted breakpoints and slopes, and its calibration.

    Attributes
    ----------
    beta, k, pi : float, int, float
        The setting.
    predicted : ndarray, shape (2,)
        ``(n1, n2)`` of :func:`~synthmix.scaling.breakpoints`.
    fitted, ci, replicate_ci : ndarray, shapes (2,), (2, 2), (2, 2)
        Fitted breakpoints on the noisy curve, their 90% intervals and the rerun intervals.
    clean : ndarray, shape (2,)
        Breakpoints of the same fit on the noise-free curve (what the noisy fits estimate):
        :func:`~synthmix.scaling.predicted_hinges` of the setting at sizes ``n``.
    slopes, slopes_ci : ndarray, shapes (3,), (3, 2)
        Fitted log–log slopes and intervals.
    clean_slopes : ndarray, shape (3,)
        Slopes of the fit to the noise-free curve.
    asymptotic_slope : float
        ``−(1 − 1/β)``, the phase-1 and phase-3 slope in the limit (phase 2: 0).
    n_phases : int
        Segments preferred by BIC.
    plateau_consistent : bool
        The middle slope's interval contains 0.
    plateau_error : float
        Tail mass beyond ``k``: the plateau's height.
    covered, replicate_hits : ndarray, shape (2,)
        Over ``refits`` fresh-noise refits: how many 90% intervals contained ``clean``, and the
        mean fraction of the other refits inside each refit's replicate interval.
    refits : int
    n, observed, fit_curve, clean_curve : ndarray, shape (points,)
        The sizes, the noisy curve that was fitted, the fitted law and the exact ``E(n)``.
    """

    beta: float
    k: int
    pi: float
    predicted: FloatArray
    fitted: FloatArray
    ci: FloatArray
    replicate_ci: FloatArray
    clean: FloatArray
    slopes: FloatArray
    slopes_ci: FloatArray
    clean_slopes: FloatArray
    asymptotic_slope: float
    n_phases: int
    plateau_consistent: bool
    plateau_error: float
    covered: FloatArray
    replicate_hits: FloatArray
    refits: int
    n: FloatArray
    observed: FloatArray
    fit_curve: FloatArray
    clean_curve: FloatArray

    @property
    def eligible(self) -> bool:
        """``n2/n1 ≥ 10``: a plateau long enough for the acceptance criterion."""
        return bool(self.predicted[1] / self.predicted[0] >= 10.0)

    @property
    def hinge_inside(self) -> NDArray[np.bool_]:
        """Whether each predicted hinge (``clean``) lies inside the fit's interval ``ci``."""
        return np.asarray((self.ci[:, 0] <= self.clean) & (self.clean <= self.ci[:, 1]))

    @property
    def ratio(self) -> FloatArray:
        """Fitted over predicted breakpoints."""
        return np.asarray(self.fitted / self.predicted, dtype=np.float64)

    @property
    def within_factor_2(self) -> bool:
        return bool(np.all((self.ratio >= 0.5) & (self.ratio <= 2.0)))

    @property
    def flatness(self) -> float:
        """Middle slope over the first: 0 for a flat plateau, 1 for no change of slope."""
        return float(self.slopes[1] / self.slopes[0])


@dataclass(frozen=True)
class MonteCarloCheck:
    """Exact ``E(n)`` vs the mean error of sampled training sets at one setting and size."""

    beta: float
    k: int
    pi: float
    n: float
    exact: float
    mc_mean: float
    mc_stderr: float

    @property
    def z(self) -> float:
        return float((self.mc_mean - self.exact) / self.mc_stderr)


@dataclass(frozen=True)
class ExactGridResult:
    """Every setting's fit plus the grid-level summaries.

    Attributes
    ----------
    fits : tuple of SettingFit
    slope_n1, slope_n2 : float
        Log–log regression slopes of fitted on predicted breakpoints over the eligible settings
        (1 when the fits scale as ``k^β`` and ``k^β/π``).
    within_factor_2 : float
        Fraction of eligible settings with both breakpoints within a factor 2 of the prediction.
    n_eligible : int
    coverage : ndarray, shape (2,)
        Pooled fraction of refits whose 90% interval contains the noise-free fit's breakpoint.
    replicate_coverage : ndarray, shape (2,)
        Pooled fraction of refits inside another refit's replicate interval.
    controls : tuple of (float, int, bool)
        Untruncated curves (``k = M``): ``(beta, n_phases, plateau_consistent)``.
    monte_carlo : tuple of MonteCarloCheck
    noise, points, span, n_boot : float, int, float, int
    """

    fits: tuple[SettingFit, ...]
    slope_n1: float
    slope_n2: float
    within_factor_2: float
    n_eligible: int
    coverage: FloatArray
    replicate_coverage: FloatArray
    controls: tuple[tuple[float, int, bool], ...]
    monte_carlo: tuple[MonteCarloCheck, ...]
    noise: float
    points: int
    span: float
    n_boot: int

    @property
    def hinge_inside(self) -> FloatArray:
        """Fraction of settings whose predicted hinge lies in the fitted interval, per breakpoint.

        Shape (2,); over every setting of the grid, one fit each (``SettingFit.hinge_inside``).
        """
        inside = np.array([f.hinge_inside for f in self.fits], dtype=np.float64).reshape(-1, 2)
        return np.asarray(inside.mean(axis=0), dtype=np.float64)

    @property
    def hinge_inside_both(self) -> float:
        """Fraction of settings with both predicted hinges inside their fitted intervals."""
        return float(np.mean([bool(np.all(f.hinge_inside)) for f in self.fits]))


def _sizes(lo: float, hi: float, points: int) -> FloatArray:
    return np.logspace(np.log10(lo), np.log10(hi), points)


def _noisy(curve: FloatArray, noise: float, gen: np.random.Generator) -> FloatArray:
    return np.asarray(curve * np.exp(noise * gen.standard_normal(curve.shape[0])), np.float64)


def _calibration(
    n: FloatArray,
    clean_curve: FloatArray,
    clean_bps: FloatArray,
    *,
    noise: float,
    refits: int,
    n_boot: int,
    gen: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """Coverage of ``clean_bps`` by refits' intervals, and the refits' mutual replicate hits."""
    if refits < 2:
        return np.full(2, np.nan), np.full(2, np.nan)
    fits = [
        fit_three_phase(n, _noisy(clean_curve, noise, gen), rng=gen, n_boot=n_boot)
        for _ in range(refits)
    ]
    ci = np.array([f.breakpoints_ci for f in fits])  # (R, 2, 2)
    covered = np.sum((ci[:, :, 0] <= clean_bps) & (clean_bps <= ci[:, :, 1]), axis=0)
    est = np.array([f.breakpoints for f in fits])  # (R, 2)
    rep = np.array([f.breakpoints_replicate_ci for f in fits])
    inside = (rep[:, None, :, 0] <= est[None, :, :]) & (est[None, :, :] <= rep[:, None, :, 1])
    off = ~np.eye(refits, dtype=bool)
    hits = inside[off].reshape(refits, refits - 1, 2).mean(axis=(0, 1))
    return covered.astype(np.float64), np.asarray(hits, dtype=np.float64)


def _fit_setting(task: tuple[float, int, float, dict[str, Any]], gen: np.random.Generator) -> Any:
    beta, k, pi, s = task
    model = LongTailModel(beta=beta, k=k, pi=pi, M=s["M"])
    n1, n2 = breakpoints(model)
    n = hinge_sizes(model, span=s["span"], points=s["points"])
    clean_curve = expected_error(model, n)
    clean = fit_three_phase(n, clean_curve, rng=0, n_boot=10)
    observed = _noisy(clean_curve, s["noise"], gen)
    fit = fit_three_phase(n, observed, rng=gen, n_boot=s["n_boot"])
    covered, hits = _calibration(
        n,
        clean_curve,
        clean.breakpoints,
        noise=s["noise"],
        refits=s["refits"],
        n_boot=s["refit_boot"],
        gen=gen,
    )
    return SettingFit(
        beta=beta,
        k=k,
        pi=pi,
        predicted=np.array([n1, n2]),
        fitted=fit.breakpoints,
        ci=fit.breakpoints_ci,
        replicate_ci=fit.breakpoints_replicate_ci,
        clean=clean.breakpoints,
        slopes=fit.slopes,
        slopes_ci=fit.slopes_ci,
        clean_slopes=clean.slopes,
        asymptotic_slope=-(1.0 - 1.0 / beta),
        n_phases=fit.n_phases,
        plateau_consistent=fit.plateau_consistent,
        plateau_error=1.0 - model.head_mass(),
        covered=covered,
        replicate_hits=hits,
        refits=int(s["refits"]),
        n=n,
        observed=observed,
        fit_curve=fit.predict(n),
        clean_curve=clean_curve,
    )


def _control(task: tuple[float, dict[str, Any]], gen: np.random.Generator) -> Any:
    beta, s = task
    model = LongTailModel(beta=beta, k=s["control_M"], pi=0.1, M=s["control_M"])
    n = _sizes(10.0, 1e6, s["points"])
    fit = fit_three_phase(n, _noisy(expected_error(model, n), s["noise"], gen), rng=gen, n_boot=20)
    return (beta, fit.n_phases, fit.plateau_consistent)


def _monte_carlo(task: tuple[float, int, float, float, dict[str, Any]], gen: Any) -> Any:
    beta, k, pi, n, s = task
    model = LongTailModel(beta=beta, k=k, pi=pi, M=s["M"])
    size = round(n)
    mean, se = sample_error(model, size, n_trials=s["mc_trials"], rng=gen)
    return MonteCarloCheck(beta, k, pi, float(size), float(expected_error(model, size)), mean, se)


def _loglog_slope(predicted: FloatArray, fitted: FloatArray) -> float:
    if predicted.shape[0] < 2:
        return float("nan")
    return float(np.polyfit(np.log(predicted), np.log(fitted), 1)[0])


def scaling_exact_grid(
    settings: Mapping[str, Any],
    *,
    rng: RngLike = 0,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: StageProgress | None = None,
) -> ExactGridResult:
    """Fit every grid setting's noisy exact curve; controls and Monte-Carlo checks.

    Parameters
    ----------
    settings : mapping
        The sweep's sizes: ``betas``, ``ks``, ``pis``, ``M``, ``noise``, ``points``, ``span``,
        ``n_boot``, ``refits``, ``refit_boot``, ``control_M``, ``mc_trials`` (as in
        ``synthmix.experiments.scaling_exact.SCALING_EXACT_SETTINGS``).
    rng : seed
        Root seed; the grid, the controls and the Monte-Carlo checks use children 0, 1, 2, and
        setting ``i`` child ``i`` of those (so results do not depend on ``n_jobs``).
    n_jobs, scheduler : int, str or None
        Parallelism (:func:`~synthmix.parallel.map_tasks`).
    progress : callable, optional
        Stages ``"grid fits"``, ``"controls"`` (untruncated curves), ``"Monte-Carlo"``.

    Returns
    -------
    ExactGridResult
    """
    s = dict(settings)
    roots = seed_sequence(rng).spawn(3)
    tasks = [(b, k, p, s) for b, k, p in itertools.product(s["betas"], s["ks"], s["pis"])]

    opts: dict[str, Any] = {"n_jobs": n_jobs, "scheduler": scheduler}
    fits: list[SettingFit] = map_tasks(
        _fit_setting, tasks, rng=roots[0], progress=stage_callback(progress, "grid fits"), **opts
    )
    controls = map_tasks(
        _control,
        [(b, s) for b in s["betas"]],
        rng=roots[1],
        progress=stage_callback(progress, "controls"),
        **opts,
    )
    mc_tasks = []
    for beta in s["betas"]:
        k, pi = s["ks"][len(s["ks"]) // 2], 0.05
        n1, n2 = breakpoints(LongTailModel(beta=beta, k=k, pi=pi, M=s["M"]))
        mc_tasks += [(beta, k, pi, n, s) for n in (n1 / 10, np.sqrt(n1 * n2), 10 * n2)]
    mc = map_tasks(
        _monte_carlo,
        mc_tasks,
        rng=roots[2],
        progress=stage_callback(progress, "Monte-Carlo"),
        **opts,
    )

    elig = [f for f in fits if f.eligible]
    pred = np.array([f.predicted for f in elig]).reshape(-1, 2)
    got = np.array([f.fitted for f in elig]).reshape(-1, 2)
    total = sum(f.refits for f in fits) if s["refits"] >= 2 else 0
    if total:
        coverage = np.sum([f.covered for f in fits], axis=0) / total
        replicate = np.mean([f.replicate_hits for f in fits], axis=0)
    else:
        coverage = replicate = np.full(2, np.nan)
    return ExactGridResult(
        fits=tuple(fits),
        slope_n1=_loglog_slope(pred[:, 0], got[:, 0]),
        slope_n2=_loglog_slope(pred[:, 1], got[:, 1]),
        within_factor_2=float(np.mean([f.within_factor_2 for f in elig])) if elig else np.nan,
        n_eligible=len(elig),
        coverage=np.asarray(coverage, dtype=np.float64),
        replicate_coverage=np.asarray(replicate, dtype=np.float64),
        controls=tuple(controls),
        monte_carlo=tuple(mc),
        noise=float(s["noise"]),
        points=int(s["points"]),
        span=float(s["span"]),
        n_boot=int(s["n_boot"]),
    )


# --------------------------------------------------------------------------------------------
# robustness: leaving the Zipf model


def frontier_breakpoints(p: FloatArray, q: FloatArray, k: int, pi: float) -> tuple[float, float]:
    """Coverage-frontier breakpoints for any frequencies: ``n1 = 1/q_k``, ``n2 = 1/(π p_{k+1})``.

    Parameters
    ----------
    p, q : ndarray, shape (M,)
        Test and training frequencies of items sorted by ``p`` (normalised here).
    k : int
        Rank of the last item the synthetic data covers (1-based).
    pi : float
        Real fraction of the mixture.

    Notes
    -----
    For the Zipf model of docs/math/scaling.md, ``q_k = A p_k = A k^{-β}/Z`` and
    ``π p_{k+1} = π (k+1)^{-β}/Z``, so this is exactly :func:`~synthmix.scaling.breakpoints`;
    it is the rule the breakpoints come from (item ``i`` is learned once ``n q_i ≈ 1``) and
    needs no power law.
    """
    p = p / p.sum()
    q = q / q.sum()
    return float(1.0 / q[k - 1]), float(1.0 / (pi * p[k]))


@dataclass(frozen=True)
class RobustnessRow:
    """One departure from the Zipf model: fitted breakpoints vs the two predictions.

    Attributes
    ----------
    name, description : str
    zipf_prediction : ndarray, shape (2,)
        Zipf-formula breakpoints with β fitted to ranks 1..100 of ``p`` (NaN without a cut).
    frontier_prediction : ndarray, shape (2,)
        :func:`frontier_breakpoints` (NaN without a cut).
    fitted, ci : ndarray, shapes (2,), (2, 2)
    slopes : ndarray, shape (3,)
    n_phases : int
    plateau_consistent : bool
    beta_head : float
        The fitted head exponent.
    """

    name: str
    description: str
    zipf_prediction: FloatArray
    frontier_prediction: FloatArray
    fitted: FloatArray
    ci: FloatArray
    slopes: FloatArray
    n_phases: int
    plateau_consistent: bool
    beta_head: float


def variant_frequencies(
    name: str, beta: float, k: int, pi: float, M: int, gen: np.random.Generator
) -> tuple[FloatArray, FloatArray, int | None, str]:
    """Test ``p`` (sorted), training ``q`` and the cut rank of one robustness variant."""
    i = np.arange(1, M + 1, dtype=np.float64)
    zipf = i**-beta
    extra = 0
    if name == "zipf":
        p, text = zipf, f"pure Zipf, β = {beta:g} (the reference)"
    elif name == "mandelbrot":
        p, text = (i + 10.0) ** -beta, f"Zipf–Mandelbrot (i + 10)^-{beta:g}: a flattened head"
    elif name == "broken":
        p = np.where(i <= 3 * k, i**-1.5, (3 * k) ** (beta - 1.5) * i**-beta * 1.0)
        text = f"broken power law: β = 1.5 up to rank {3 * k}, {beta:g} beyond"
    elif name == "lognormal":
        p = np.sort(zipf * np.exp(0.5 * gen.standard_normal(M)))[::-1]
        text = "Zipf × lognormal(σ = 0.5) noise, re-sorted: a bumpy, not-quite power law"
    elif name == "cutoff":
        p, text = zipf * np.exp(-i / (30.0 * k)), f"Zipf with an exponential cut-off at {30 * k}"
    elif name.startswith("hallucinated"):
        p, extra = zipf, 10 * k
        text = f"{name[13:]}% of synthetic draws are hallucinated items no test asks"
    elif name == "temperature":
        p, text = zipf, "temperature τ = 0.5 generator: thins the tail, no hard cut"
    else:  # pool
        p, text = zipf, f"generator knowing a finite pool of {10 * k * k} real draws"
    p = p / p.sum()
    cut: int | None = k
    if name == "temperature":
        synth, cut = p**2.0, None
    elif name == "pool":
        synth, cut = p * -np.expm1(10 * k * k * np.log1p(-p)), None
    else:
        synth = np.where(i <= k, p, 0.0)
    synth = synth / synth.sum()
    q = pi * p + (1.0 - pi) * synth
    if extra:
        h = float(name[13:]) / 100.0
        p = np.r_[p, np.zeros(extra)]
        q = np.r_[pi * p[:M] + (1.0 - pi) * (1.0 - h) * synth, np.full(extra, (1 - pi) * h / extra)]
    return p, q, cut, text


ROBUSTNESS_VARIANTS = (
    "zipf",
    "mandelbrot",
    "broken",
    "lognormal",
    "cutoff",
    "hallucinated-20",
    "hallucinated-50",
    "temperature",
    "pool",
)


def _robust_row(task: tuple[str, dict[str, Any]], gen: np.random.Generator) -> RobustnessRow:
    name, s = task
    r = s["robust"]
    beta, k, pi, M = float(r["beta"]), int(r["k"]), float(r["pi"]), int(r["M"])
    p, q, cut, text = variant_frequencies(name, beta, k, pi, M, gen)
    head = np.arange(1, 101, dtype=np.float64)
    beta_head = float(-np.polyfit(np.log(head), np.log(p[:100]), 1)[0])
    reference = LongTailModel(beta=max(beta_head, 1.01), k=k, pi=pi, M=M)
    if cut is None:
        zipf_pred = frontier = np.full(2, np.nan)
        lo, hi = breakpoints(reference)
    else:
        zipf_pred = np.array(breakpoints(reference))
        frontier = np.array(frontier_breakpoints(p, q, cut, pi))
        lo, hi = frontier
    n = _sizes(lo / s["span"], hi * s["span"], s["points"])
    curve = mixture_error(p, q, n)
    fit: ThreePhaseFit = fit_three_phase(
        n, _noisy(curve, s["noise"], gen), rng=gen, n_boot=s["n_boot"]
    )
    return RobustnessRow(
        name=name,
        description=text,
        zipf_prediction=zipf_pred,
        frontier_prediction=frontier,
        fitted=fit.breakpoints,
        ci=fit.breakpoints_ci,
        slopes=fit.slopes,
        n_phases=fit.n_phases,
        plateau_consistent=fit.plateau_consistent,
        beta_head=beta_head,
    )


def robustness_sweep(
    settings: Mapping[str, Any],
    *,
    rng: RngLike = 0,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: StageProgress | None = None,
    variants: Sequence[str] = ROBUSTNESS_VARIANTS,
) -> tuple[RobustnessRow, ...]:
    """Fit the three phases on non-Zipf frequencies, hallucinations and soft truncation.

    Parameters
    ----------
    settings : mapping
        With ``robust`` (β, k, π, M of the base model), ``points``, ``span``, ``noise`` and
        ``n_boot``, as in ``synthmix.experiments.scaling_exact.SCALING_EXACT_SETTINGS``.
    rng : seed
        Variant ``i`` uses child ``i``.
    n_jobs, scheduler, progress
        As :func:`scaling_exact_grid` (stage ``"robustness"``).
    variants : sequence of str
        Names from :data:`ROBUSTNESS_VARIANTS`.

    Returns
    -------
    tuple of RobustnessRow
    """
    rows: list[RobustnessRow] = map_tasks(
        _robust_row,
        [(v, dict(settings)) for v in variants],
        rng=rng,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=stage_callback(progress, "robustness"),
    )
    return tuple(rows)
