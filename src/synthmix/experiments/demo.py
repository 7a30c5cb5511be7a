"""``synthmix demo``: reproduce the paper's Fig. 3 and Fig. 4, theory against Monte-Carlo.

:func:`run_demo` runs both experiments of :mod:`synthmix.experiments.rmt_figures`, draws the
two figures, writes ``results.json`` (every number behind the figures) and a self-contained
``report.html``. The full run takes about a minute on a 2-core laptop; ``quick=True`` (a few
seconds) uses fewer dimensions, markers and trials and is what the tests run.
"""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthmix._io import config_hash, write_json
from synthmix._random import seed_sequence
from synthmix._validation import check_int, fail
from synthmix.experiments.rmt_figures import (
    AgreementSummary,
    Curve,
    MonteCarloMarker,
    PhaseTransitionResult,
    ToySettingResult,
    agreement_summary,
    fig3_toy_setting,
    fig4_phase_transition,
)

__all__ = ["DEMO_SETTINGS", "DemoResult", "run_demo"]

StageProgress = Callable[[str, int, int], None]

FIG3_STAGE = "Fig. 3 Monte-Carlo"
FIG4_STAGE = "Fig. 4 Monte-Carlo"

#: Monte-Carlo settings of the full and the quick demo (theory grids are the same).
#: Trials per marker are chosen per dimension / sample size so that the full demo stays well
#: under two minutes on two cores: a trial at p = 500 with N = 20 000 samples costs ~0.3 s,
#: one at p = 100, m = 100 000 about the same, while the small settings cost milliseconds
#: and get more trials (their per-trial spread is larger).
DEMO_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    "full": {
        "fig3": {
            "p_values": (50, 200, 500),
            "mc_proportions": (0.01, 0.2, 0.5, 0.7, 0.85, 0.95),
            "n_trials": {50: 24, 200: 20, 500: 16},
        },
        "fig4": {
            "m_multiples": (1, 10, 100, 1000),
            "mc_epsilons": (0.0, 0.3, 0.5, 0.65, 0.8, 0.9, 1.0),
            "n_trials": {1: 40, 10: 30, 100: 20, 1000: 8},
        },
    },
    "quick": {
        "fig3": {
            "p_values": (50, 200),
            "mc_proportions": (0.05, 0.5, 0.8),
            "n_trials": {50: 20, 200: 8},
        },
        "fig4": {
            "m_multiples": (1, 10, 100),
            "mc_epsilons": (0.0, 0.5, 0.8, 1.0),
            "n_trials": {1: 20, 10: 12, 100: 8},
        },
    },
}

FIG4_P = 100


@dataclass(frozen=True, eq=False)
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    report_path : Path
        The self-contained ``report.html``.
    results_path : Path
        ``results.json`` with every number behind the figures.
    figures : tuple of Path
        ``fig3_toy.png`` and ``fig4_phase.png``.
    seconds : float
        Wall time of the whole demo.
    fig3 : ToySettingResult
    fig4 : PhaseTransitionResult
    agreement : AgreementSummary
        Monte-Carlo vs theory over all markers of both figures.
    seed : int
    quick : bool
    """

    report_path: Path
    results_path: Path
    figures: tuple[Path, ...]
    seconds: float
    fig3: ToySettingResult
    fig4: PhaseTransitionResult
    agreement: AgreementSummary
    seed: int
    quick: bool


def _stage(progress: StageProgress | None, stage: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None

    def inner(done: int, total: int) -> None:
        progress(stage, done, total)

    return inner


def _run_experiments(
    settings: Mapping[str, Any],
    fig3_seq: np.random.SeedSequence,
    fig4_seq: np.random.SeedSequence,
    n_jobs: int,
    scheduler: str | None,
    progress: StageProgress | None,
) -> tuple[ToySettingResult, PhaseTransitionResult]:
    s3 = settings["fig3"]
    fig3 = fig3_toy_setting(
        p_values=s3["p_values"],
        mc_proportions=s3["mc_proportions"],
        n_trials=s3["n_trials"],
        rng=fig3_seq,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=_stage(progress, FIG3_STAGE),
    )
    s4 = settings["fig4"]
    fig4 = fig4_phase_transition(
        p=FIG4_P,
        m_values=tuple(k * FIG4_P for k in s4["m_multiples"]),
        mc_epsilons=s4["mc_epsilons"],
        n_trials={k * FIG4_P: t for k, t in s4["n_trials"].items()},
        rng=fig4_seq,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=_stage(progress, FIG4_STAGE),
    )

    return fig3, fig4


def run_demo(
    *,
    out: Path,
    quick: bool = False,
    seed: int = 0,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: StageProgress | None = None,
) -> DemoResult:
    """Reproduce Fig. 3 and Fig. 4 of the paper and write figures, JSON and an HTML report.

    Parameters
    ----------
    out : Path
        Output folder (created if needed). Receives ``fig3_toy.png``, ``fig4_phase.png``,
        ``results.json`` and ``report.html``, each written atomically.
    quick : bool, default False
        Fewer dimensions, markers and trials (seconds instead of about a minute).
    seed : int, default 0
        Root seed (non-negative). Fig. 3 uses child 0 and Fig. 4 child 1 of
        ``SeedSequence(seed)``; marker ``j`` of curve ``i`` uses key ``(fig, i, j)``.
    n_jobs : int, default 1
        Local processes for the Monte-Carlo trials (``-1``: all cores). Results are identical
        for any value.
    scheduler : str, optional
        Address of a Dask scheduler to run the trials on instead.
    progress : callable, optional
        ``progress(stage, done, total)`` as Monte-Carlo trials finish; ``stage`` is
        ``"Fig. 3 Monte-Carlo"`` or ``"Fig. 4 Monte-Carlo"`` and ``done/total`` count trials
        within the stage.

    Returns
    -------
    DemoResult

    Raises
    ------
    ValidationError
        Invalid ``seed`` or ``n_jobs``.
    """
    start = time.perf_counter()
    seed = check_int(seed, "seed", minimum=0)
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0 or n_jobs < -1:
        raise fail("n_jobs", "be a positive integer or -1 (all cores)", n_jobs)
    if scheduler is not None and not isinstance(scheduler, str):
        raise fail("scheduler", "be a Dask scheduler address (a string) or None", scheduler)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    mode = "quick" if quick else "full"
    settings = DEMO_SETTINGS[mode]
    fig3_seq, fig4_seq = seed_sequence(seed).spawn(2)
    fig3, fig4 = _run_experiments(settings, fig3_seq, fig4_seq, n_jobs, scheduler, progress)

    from synthmix.report.figures import plot_fig3_toy_setting, plot_fig4_phase_transition

    fig3_path = plot_fig3_toy_setting(fig3, out / "fig3_toy.png")
    fig4_path = plot_fig4_phase_transition(fig4, out / "fig4_phase.png")
    agreement = agreement_summary([*fig3.curves, *fig4.curves])
    seconds = time.perf_counter() - start

    results_path = out / "results.json"
    payload = _results_payload(
        fig3, fig4, agreement, seed=seed, quick=quick, settings=settings, seconds=seconds
    )
    write_json(results_path, payload)

    report_path = _build_report(
        out / "report.html",
        fig3=fig3,
        fig4=fig4,
        agreement=agreement,
        fig3_png=fig3_path,
        fig4_png=fig4_path,
        seed=seed,
        quick=quick,
        seconds=time.perf_counter() - start,
        n_jobs=n_jobs,
        scheduler=scheduler,
    )
    return DemoResult(
        report_path=report_path,
        results_path=results_path,
        figures=(fig3_path, fig4_path),
        seconds=time.perf_counter() - start,
        fig3=fig3,
        fig4=fig4,
        agreement=agreement,
        seed=seed,
        quick=quick,
    )


# --------------------------------------------------------------------------------------------
# results.json
# --------------------------------------------------------------------------------------------


def _marker_json(mk: MonteCarloMarker) -> dict[str, Any]:
    return {
        "x": mk.x,
        "n": mk.n,
        "m": mk.m,
        "epsilon": mk.epsilon,
        "rho": mk.rho,
        "phi": mk.phi,
        "n_trials": mk.n_trials,
        "mc_mean": mk.accuracy_mean,
        "mc_stderr": mk.accuracy_stderr,
        "theory": mk.theory,
        "abs_error": abs(mk.accuracy_mean - mk.theory),
        "tolerance": mk.tolerance(),
        "z": mk.z,
        "within": mk.agrees(),
        "seed_key": list(mk.seed_key),
    }


def _curve_shape(curve: Curve) -> dict[str, Any]:
    """Start, end, minimum and monotonicity of a theory curve (Fig. 3's dip)."""
    acc = curve.theory_accuracy
    k = int(np.argmin(acc))
    return {
        "start": float(acc[0]),
        "end": float(acc[-1]),
        "min": float(acc[k]),
        "argmin_x": float(curve.theory_x[k]),
        "max": float(np.max(acc)),
        "dip": float(acc[0] - acc[k]),
        "recovery": float(acc[-1] - acc[k]),
        "monotone_increasing": bool(np.all(np.diff(acc) >= -1e-12)),
    }


def _curve_json(curve: Curve, *, shape: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "label": curve.label,
        "parameters": dict(curve.parameters),
        "theory": {"x": curve.theory_x, "accuracy": curve.theory_accuracy},
        "markers": [_marker_json(mk) for mk in curve.markers],
    }
    if shape:
        out["shape"] = _curve_shape(curve)
    return out


def _results_payload(
    fig3: ToySettingResult,
    fig4: PhaseTransitionResult,
    agreement: AgreementSummary,
    *,
    seed: int,
    quick: bool,
    settings: Mapping[str, Any],
    seconds: float,
) -> dict[str, Any]:
    from synthmix import __version__

    weak = {k: v for k, v in fig3.verifiers.items() if v != (0.0, 1.0)}
    fig3_params = {
        "p_values": fig3.p_values,
        "n": fig3.n,
        "n_hat": fig3.n_hat,
        "mu_norm": fig3.mu_norm,
        "gamma": fig3.gamma,
        "epsilon": fig3.epsilon,
        "verifiers": {k: {"rho": r, "phi": f} for k, (r, f) in fig3.verifiers.items()},
        "x": "synthetic proportion m/(n+m)",
    }
    fig4_params = {
        "p": fig4.p,
        "n": 0,
        "m_values": fig4.m_values,
        "mu_norm": fig4.mu_norm,
        "gamma": fig4.gamma,
        "rho": fig4.rho,
        "phi": fig4.phi,
        "x": "label-noise rate epsilon",
    }
    return {
        "synthmix_version": __version__,
        "seed": seed,
        "quick": quick,
        "config_hash": config_hash(
            {"settings": settings, "fig3": fig3_params, "fig4": fig4_params}
        ),
        "seeding": (
            "marker j of curve i of figure f (0 = Fig. 3, 1 = Fig. 4) uses "
            "numpy.random.SeedSequence(seed, spawn_key=(f, i, j)) as the rng of the simulate call"
        ),
        "run": {
            "seconds": seconds,
            "fig3_seconds": fig3.seconds,
            "fig4_seconds": fig4.seconds,
            "python": platform.python_version(),
            "numpy": np.__version__,
        },
        "agreement_rule": {
            "rule": "|mc_mean - theory| <= z * mc_stderr + bias",
            "z": agreement.z,
            "bias": agreement.bias,
        },
        "summary": {
            "n_markers": agreement.n_markers,
            "n_within": agreement.n_within,
            "all_within": agreement.all_within,
            "max_abs_z": agreement.max_abs_z,
            "max_abs_error": agreement.max_abs_error,
        },
        "fig3_toy": {
            "title": (
                "Fig. 3: accuracy vs synthetic proportion, "
                "generator estimated from n_hat real samples"
            ),
            "figure": "fig3_toy.png",
            "parameters": fig3_params,
            "choice": {
                "epsilon": fig3.epsilon,
                "weak_verifier": {k: {"rho": r, "phi": f} for k, (r, f) in weak.items()},
                "reason": fig3.choice,
            },
            "seconds": fig3.seconds,
            "summary": _summary_json(agreement_summary(fig3.curves)),
            "curves": [_curve_json(c, shape=True) for c in fig3.curves],
        },
        "fig4_phase": {
            "title": "Fig. 4: synthetic-only accuracy vs label noise, phase transition at eps*",
            "figure": "fig4_phase.png",
            "parameters": fig4_params,
            "epsilon_star": fig4.epsilon_star,
            "accuracy_at_transition": fig4.accuracy_at_transition,
            "infinite_sample_step": {
                "below_epsilon_star": fig4.step_high,
                "above_epsilon_star": fig4.step_low,
            },
            "seconds": fig4.seconds,
            "summary": _summary_json(agreement_summary(fig4.curves)),
            "curves": [_curve_json(c, shape=False) for c in fig4.curves],
        },
    }


def _summary_json(s: AgreementSummary) -> dict[str, Any]:
    return {
        "n_markers": s.n_markers,
        "n_within": s.n_within,
        "max_abs_z": s.max_abs_z,
        "max_abs_error": s.max_abs_error,
    }


# --------------------------------------------------------------------------------------------
# report.html
# --------------------------------------------------------------------------------------------


def _fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}"


def _marker_rows(
    figure: str, curves: tuple[Curve, ...], x_name: str
) -> tuple[list[tuple[Any, ...]], list[bool]]:
    rows: list[tuple[Any, ...]] = []
    flags: list[bool] = []
    for c in curves:
        name = c.parameters.get("verifier")
        label = f"{name}, {c.label}" if name is not None else c.label
        for mk in c.markers:
            rows.append(
                (
                    figure,
                    label,
                    f"{x_name} = {mk.x:.3g}",
                    mk.m,
                    mk.n_trials,
                    _fmt(mk.accuracy_mean, 4),
                    _fmt(mk.accuracy_stderr, 4),
                    _fmt(mk.theory, 4),
                    f"{mk.accuracy_mean - mk.theory:+.4f}",
                    f"{mk.z:+.2f}" if math.isfinite(mk.z) else str(mk.z),
                    mk.agrees(),
                )
            )
            flags.append(not mk.agrees())
    return rows, flags


def agreement_callout(agreement: AgreementSummary) -> Any:
    """The "Result" callout: how many Monte-Carlo points agree with the theory."""
    from synthmix.report.html import Callout

    return Callout(
        f"{agreement.n_within} of {agreement.n_markers} simulated points agree with the "
        f"theory within {agreement.z:g} standard errors + {agreement.bias:g} (largest "
        f"deviation {agreement.max_abs_z:.2f} standard errors).",
        "Result",
    )


def curve_shape_rows(curves: Sequence[Curve]) -> list[tuple[Any, ...]]:
    """Rows of the "Shape of each theory curve" table: verifier, p, start, minimum, where,
    end, monotone."""
    rows = []
    for c in curves:
        sh = _curve_shape(c)
        rows.append(
            (
                str(c.parameters["verifier"]),
                int(c.parameters["p"]),
                _fmt(sh["start"], 4),
                _fmt(sh["min"], 4),
                _fmt(sh["argmin_x"], 3),
                _fmt(sh["end"], 4),
                sh["monotone_increasing"],
            )
        )
    return rows


def agreement_section(
    figures: Sequence[tuple[str, Sequence[Curve], str]], agreement: AgreementSummary
) -> Any:
    """The report section "Does the theory match simulation?": every Monte-Carlo marker of
    ``figures`` (``(figure name, curves, x-axis name)``) against the theory, in one table."""
    from synthmix.report.html import Section, Table

    rows: list[Any] = []
    flags: list[bool] = []
    for name, curves, x_name in figures:
        r, f = _marker_rows(name, tuple(curves), x_name)
        rows += r
        flags += f
    columns = ("figure", "curve", "point", "m", "trials", "MC mean", "s.e.", "theory")
    return Section(
        "Does the theory match simulation?",
        (
            "Each Monte-Carlo point averages independent trials (fresh data, fresh generator, "
            "fresh label flips and pruning coins); its standard error is the trials' standard "
            "deviation over √trials. A point agrees when |MC − theory| ≤ "
            f"{agreement.z:g}·s.e. + {agreement.bias:g}; the constant absorbs the finite-size "
            "corrections of an asymptotic theory. z = (MC − theory)/s.e.",
            Table(
                (*columns, "MC − theory", "z", "agrees"),
                rows,
                caption=(
                    f"{agreement.n_within}/{agreement.n_markers} points agree; max |z| = "
                    f"{agreement.max_abs_z:.2f}; max |MC − theory| = "
                    f"{agreement.max_abs_error:.4f}. Rows that disagree are highlighted."
                ),
                flagged=flags,
            ),
        ),
    )


def _build_report(
    path: Path,
    *,
    fig3: ToySettingResult,
    fig4: PhaseTransitionResult,
    agreement: AgreementSummary,
    fig3_png: Path,
    fig4_png: Path,
    seed: int,
    quick: bool,
    seconds: float,
    n_jobs: int,
    scheduler: str | None,
) -> Path:
    from scipy.special import ndtr

    from synthmix import __version__
    from synthmix.report.html import Bullets, Callout, Figure, Section, Table, render_report

    bayes = float(ndtr(fig3.mu_norm))
    names = list(fig3.verifiers)
    weak_name = next((k for k, v in fig3.verifiers.items() if v != (0.0, 1.0)), names[-1])
    w_rho, w_phi = fig3.verifiers[weak_name]
    eps = fig3.epsilon
    kept_flip = w_rho * eps / (w_phi * (1 - eps) + w_rho * eps)
    p_big = max(fig3.p_values)
    weak_big = _curve_shape(fig3.curve(weak_name, p_big))
    oracle_name = next((k for k, v in fig3.verifiers.items() if v == (0.0, 1.0)), None)

    intro = Section(
        "What this report shows",
        (
            "synthmix predicts, in closed form, the test accuracy of a linear classifier (ridge "
            "regression on ±1 labels) trained on real data mixed with imperfect synthetic data: "
            "a generator that only approximates the real distribution, synthetic labels that are "
            "wrong with probability ε, and a verifier that prunes synthetic samples — it keeps a "
            "correctly labelled sample with probability φ and a wrongly labelled one with "
            "probability ρ. The predictions come from random-matrix theory (El Firdoussi et al., "
            "ICLR 2025) and cost microseconds per setting.",
            "This demo reproduces two figures of that paper. In both, lines are the theory and "
            "circles are Monte-Carlo simulations (draw the data, train the classifier, measure its "
            "exact accuracy on the real distribution), with error bars of ±2 standard errors. If "
            "the theory is right, the circles sit on the lines.",
            agreement_callout(agreement),
        ),
    )

    fig3_takeaways = [
        f"Weak verifier: adding a moderate amount of synthetic data lowers accuracy — at p = "
        f"{p_big}, from {weak_big['start']:.3f} to {weak_big['min']:.3f} at a synthetic "
        f"proportion of {weak_big['argmin_x']:.2f} — and only a synthetic-dominated mix wins it "
        f"back ({weak_big['end']:.3f} at {fig3.curves[0].theory_x[-1]:.2f}).",
        "Higher dimension p (for the same n and n̂) means a worse generator and a worse "
        "classifier: every curve sits lower as p grows.",
    ]
    if oracle_name is not None:
        ob = _curve_shape(fig3.curve(oracle_name, p_big))
        fig3_takeaways.insert(
            0,
            f"Oracle verifier: more synthetic data always helps here; at p = {p_big} accuracy "
            f"climbs from {ob['start']:.3f} to {ob['end']:.3f}, towards the Bayes optimum "
            f"Φ(|μ|) = {bayes:.3f}.",
        )
    shape_rows = curve_shape_rows(fig3.curves)
    fig3_section = Section(
        "Fig. 3 — real + synthetic data: the verifier decides whether more is better",
        (
            f"Setting: n = {fig3.n} real training samples, a generator fitted to n̂ = "
            f"{fig3.n_hat} other real samples (its covariance is their sample covariance, so it "
            f"gets worse as the dimension p grows), class-mean norm |μ| = {fig3.mu_norm:g}, ridge "
            f"penalty γ = {fig3.gamma:g}, synthetic label noise ε = {eps:g}. The x-axis is the "
            "share of synthetic samples in the training set, from 0.1% to 95% (logit scale); "
            f"left panel: an oracle verifier that discards every wrong label; right panel: a weak "
            f"verifier (ρ = {w_rho:g}, φ = {w_phi:g}) that barely tells right from wrong labels — "
            f"{kept_flip:.0%} of the synthetic samples it keeps are mislabelled.",
            Figure(
                fig3_png,
                caption=(
                    "Test accuracy vs synthetic proportion; lines: theory, circles: Monte-Carlo "
                    "(±2 s.e.); dotted: Bayes-optimal accuracy Φ(|μ|)."
                ),
                alt="Fig. 3: accuracy vs synthetic proportion for an oracle and a weak verifier",
            ),
            Bullets(fig3_takeaways),
            Callout(
                "Synthetic data is only as good as the filter in front of it. Measure your "
                "verifier's keep rates (ρ, φ) on a labelled sample and predict the curve before "
                "scaling up the synthetic share: with a weak filter, a little synthetic data can "
                "hurt even when a lot of it would help.",
                "What to take from it",
            ),
            ("Why these ε and weak (ρ, φ)? The paper does not state them. " + fig3.choice),
            Table(
                (
                    "verifier",
                    "p",
                    "start (0.1%)",
                    "minimum",
                    "at proportion",
                    "end (95%)",
                    "monotone",
                ),
                shape_rows,
                caption="Shape of each theory curve",
            ),
        ),
    )

    m_min, m_max = min(fig4.m_values), max(fig4.m_values)
    fig4_section = Section(
        "Fig. 4 — synthetic data only: a phase transition in label noise",
        (
            f"Setting: the classifier sees only synthetic data (n = 0) from a perfect generator, "
            f"p = {fig4.p}, |μ| = {fig4.mu_norm:g}, γ = {fig4.gamma:g}, pruned by a verifier with "
            f"ρ = {fig4.rho:g}, φ = {fig4.phi:g}, for m from {m_min} to {m_max} samples "
            f"(p/m from {fig4.p / m_min:g} to {fig4.p / m_max:g}). The x-axis is the label-noise "
            "rate ε of the synthetic data.",
            Figure(
                fig4_png,
                caption=(
                    "Test accuracy vs label noise; lines: theory, circles: Monte-Carlo (±2 s.e.); "
                    "dashed: the infinite-sample step; dotted vertical: ε*."
                ),
                alt="Fig. 4: accuracy vs label-noise rate for several synthetic sample sizes",
            ),
            Bullets(
                (
                    f"Every curve crosses chance (1/2) at exactly ε* = φ/(φ+ρ) = "
                    f"{fig4.epsilon_star:.4f}, whatever m (theory at ε*: "
                    + ", ".join(f"{a:.6f}" for a in fig4.accuracy_at_transition)
                    + ").",
                    "Below ε* the kept data still carry more right than wrong labels and the "
                    "classifier learns the task; above ε* it learns the opposite task and is "
                    "worse than a coin flip.",
                    f"More data sharpens the transition towards the step Φ(|μ|) = "
                    f"{fig4.step_high:.3f} → 1 − Φ(|μ|) = {fig4.step_low:.3f} but never moves it.",
                )
            ),
            Callout(
                "With synthetic data alone, more data cannot rescue noisy labels: what matters is "
                "the sign of φ(1−ε) − ρε. Know your label-noise rate and your verifier, and keep "
                "ε well below φ/(φ+ρ); a better verifier (smaller ρ) is what moves the threshold.",
                "What to take from it",
            ),
        ),
    )

    check_section = agreement_section(
        [("Fig. 3", fig3.curves, "share"), ("Fig. 4", fig4.curves, "ε")], agreement
    )
    repro_section = Section(
        "Reproducibility",
        (
            Bullets(
                (
                    f"Seed {seed}: marker j of curve i of figure f (0 = Fig. 3, 1 = Fig. 4) uses "
                    f"numpy.random.SeedSequence({seed}, spawn_key=(f, i, j)); results do not "
                    "depend on the number of processes or on a Dask cluster.",
                    "Every number in this report, including the dense theory curves, is in "
                    "results.json next to this file.",
                    f"Mode: {'quick (fewer dimensions, points and trials)' if quick else 'full'}.",
                )
            ),
        ),
    )
    metadata = {
        "synthmix version": __version__,
        "runtime": (
            f"{seconds:.1f} s (Monte-Carlo: Fig. 3 {fig3.seconds:.1f} s, "
            f"Fig. 4 {fig4.seconds:.1f} s)"
        ),
        "processes": "Dask cluster " + scheduler if scheduler else str(n_jobs),
        "seed": seed,
        "python / numpy": f"{platform.python_version()} / {np.__version__}",
    }
    return render_report(
        "synthmix demo — when does synthetic data help?",
        [intro, fig3_section, fig4_section, check_section, repro_section],
        path,
        subtitle=(
            "Reproduction of Fig. 3 and Fig. 4 of El Firdoussi et al., “Maximizing the Potential "
            "of Synthetic Data: Insights from Random Matrix Theory” (ICLR 2025): theory vs "
            "Monte-Carlo."
        ),
        metadata=metadata,
    )
