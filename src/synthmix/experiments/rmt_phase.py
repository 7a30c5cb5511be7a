"""``synthmix reproduce rmt-phase``: Fig. 4 of El Firdoussi et al. (ICLR 2025), docs/math/rmt.md.

Synthetic data only, accuracy vs label noise, phase transition at ``ε* = φ/(φ+ρ)``:
:func:`~synthmix.simulate.sweeps.fig4_phase_transition`, with the Monte-Carlo settings
of ``synthmix demo`` (:data:`~synthmix.experiments.rmt_figures.DEMO_SETTINGS`) and the
experiment's root seed ``SeedSequence(seed)``.

Each writes its figures, ``results.json`` and a self-contained ``report.html`` into ``out``
(atomically).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from synthmix.experiments.publish import (
    RMT_PAPER,
    header,
    metadata,
    mode_text,
    publish,
)
from synthmix.experiments.registry import ReproductionResult, StageProgress, register
from synthmix.experiments.rmt_figures import (
    DEMO_SETTINGS,
    FIG4_P,
    agreement_callout,
    agreement_json,
    agreement_section,
    curve_json,
    summary_json,
)
from synthmix.parallel import stage_callback
from synthmix.simulate.compare import (
    AgreementSummary,
    PhaseTransitionResult,
    agreement_summary,
)
from synthmix.simulate.sweeps import (
    fig4_phase_transition,
)

__all__ = ["PHASE_SETTINGS", "reproduce_phase"]

FIG4_STAGE = "Fig. 4 Monte-Carlo"

#: ``rmt-phase`` Monte-Carlo settings: those of ``synthmix demo``'s Fig. 4 (``p = 100``).
PHASE_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    mode: {"p": FIG4_P, **DEMO_SETTINGS[mode]["fig4"]} for mode in ("full", "quick")
}


# --------------------------------------------------------------------------------------------
# rmt-phase (Fig. 4)
# --------------------------------------------------------------------------------------------


def _phase_report(
    path: Path,
    fig4: PhaseTransitionResult,
    png: Path,
    agreement: AgreementSummary,
    *,
    seed: int,
    quick: bool,
    seconds: float,
    n_jobs: int,
    scheduler: str | None,
) -> Path:
    from synthmix.report.html import Bullets, Callout, Figure, Section, render_report

    m_min, m_max = min(fig4.m_values), max(fig4.m_values)
    intro = Section(
        "What this report shows",
        (
            f"Fig. 4 of the paper: the classifier sees only synthetic data (n = 0) from a "
            f"perfect generator, p = {fig4.p}, |μ| = {fig4.mu_norm:g}, γ = {fig4.gamma:g}, "
            f"pruned by a verifier with ρ = {fig4.rho:g}, φ = {fig4.phi:g}, for m from {m_min} "
            f"to {m_max} samples. The x-axis is the label-noise rate ε. Lines are the theory, "
            "circles Monte-Carlo simulations with ±2 standard errors.",
            agreement_callout(agreement),
        ),
    )
    fig_section = Section(
        "Fig. 4 — a phase transition in label noise",
        (
            Figure(
                png,
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
                    f"More data sharpens the transition towards the step Φ(|μ|) = "
                    f"{fig4.step_high:.3f} → 1 − Φ(|μ|) = {fig4.step_low:.3f} but never moves it.",
                )
            ),
            Callout(
                "With synthetic data alone, more data cannot rescue noisy labels: what matters "
                "is the sign of φ(1−ε) − ρε; a better verifier (smaller ρ) moves the threshold.",
                "What to take from it",
            ),
        ),
    )
    repro = Section(
        "Reproducibility",
        (
            Bullets(
                (
                    f"Seed {seed}: marker j of curve i uses numpy.random.SeedSequence({seed}, "
                    "spawn_key=(i, j)); results do not depend on the number of processes.",
                    "Every number in this report is in results.json next to this file.",
                    f"Mode: {mode_text(quick)}.",
                )
            ),
        ),
    )
    return render_report(
        "synthmix reproduce rmt-phase — synthetic data only: phase transition (Fig. 4)",
        [intro, fig_section, agreement_section([("Fig. 4", fig4.curves, "ε")], agreement), repro],
        path,
        subtitle=f"Reproduction of Fig. 4 of {RMT_PAPER}: theory vs Monte-Carlo.",
        metadata=metadata(seconds, seed, n_jobs, scheduler),
    )


@register(
    "rmt-phase",
    description=(
        "Fig. 4: synthetic-only accuracy vs label noise, phase transition at "
        "eps* = phi/(phi+rho) for m = p ... 1000p; theory vs Monte-Carlo."
    ),
    config={"settings": PHASE_SETTINGS["full"]},
)
def reproduce_phase(
    *,
    out: Path,
    quick: bool,
    seed: int,
    n_jobs: int,
    scheduler: str | None,
    progress: StageProgress | None,
) -> ReproductionResult:
    """``rmt-phase``: Fig. 4 with :func:`~synthmix.simulate.sweeps.fig4_phase_transition`.

    Writes ``fig4_phase.png``, ``results.json`` (theory curves, Monte-Carlo markers with
    mean/s.e./theory/z, agreement summary, ``ε*``) and ``report.html`` into ``out``.

    Parameters
    ----------
    out : Path
    quick : bool
        ``m ∈ {p, 10p, 100p}`` and four markers per curve instead of up to ``1000p`` and seven.
    seed : int
        Root seed; marker ``j`` of curve ``i`` uses ``SeedSequence(seed, spawn_key=(i, j))``.
    n_jobs : int
    scheduler : str or None
    progress : callable or None
        Stage ``"Fig. 4 Monte-Carlo"``, one unit per trial.

    Returns
    -------
    ReproductionResult
        ``summary``: the agreement counts, ``epsilon_star`` and
        ``max_abs_transition_error`` (``max |accuracy(ε*) - 1/2|`` of the theory).
    """
    start = time.perf_counter()
    s = PHASE_SETTINGS["quick" if quick else "full"]
    p = int(s["p"])
    fig4 = fig4_phase_transition(
        p=p,
        m_values=tuple(k * p for k in s["m_multiples"]),
        mc_epsilons=s["mc_epsilons"],
        n_trials={k * p: t for k, t in s["n_trials"].items()},
        rng=seed,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=stage_callback(progress, FIG4_STAGE),
    )
    from synthmix.plotting.rmt import plot_fig4_phase_transition

    out = Path(out)
    png = plot_fig4_phase_transition(fig4, out / "fig4_phase.png")
    agreement = agreement_summary(fig4.curves)
    summary = {
        **agreement_json(agreement),
        "epsilon_star": fig4.epsilon_star,
        "max_abs_transition_error": float(np.max(np.abs(fig4.accuracy_at_transition - 0.5))),
    }
    payload = header("rmt-phase", paper=RMT_PAPER, seed=seed, quick=quick, settings=s)
    payload.update(
        {
            "summary": summary,
            "seeding": (
                "marker j of curve i uses numpy.random.SeedSequence(seed, spawn_key=(i, j)) "
                "as the rng of the simulate call"
            ),
            "fig4_phase": {
                "title": "Fig. 4: synthetic-only accuracy vs label noise, transition at eps*",
                "figure": png.name,
                "parameters": {
                    "p": fig4.p,
                    "n": 0,
                    "m_values": fig4.m_values,
                    "mu_norm": fig4.mu_norm,
                    "gamma": fig4.gamma,
                    "rho": fig4.rho,
                    "phi": fig4.phi,
                    "x": "label-noise rate epsilon",
                },
                "epsilon_star": fig4.epsilon_star,
                "accuracy_at_transition": fig4.accuracy_at_transition,
                "infinite_sample_step": {
                    "below_epsilon_star": fig4.step_high,
                    "above_epsilon_star": fig4.step_low,
                },
                "seconds": fig4.seconds,
                "summary": summary_json(agreement),
                "curves": [curve_json(c, shape=False) for c in fig4.curves],
            },
        }
    )
    return publish(
        "rmt-phase",
        out,
        payload,
        (png,),
        summary,
        start,
        seed=seed,
        quick=quick,
        report=lambda path, seconds: _phase_report(
            path,
            fig4,
            png,
            agreement,
            seed=seed,
            quick=quick,
            seconds=seconds,
            n_jobs=n_jobs,
            scheduler=scheduler,
        ),
    )
