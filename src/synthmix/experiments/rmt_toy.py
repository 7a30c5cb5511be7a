"""``synthmix reproduce rmt-toy``: Fig. 3 of El Firdoussi et al. (ICLR 2025), docs/math/rmt.md.

Real + pruned synthetic data from a generator estimated from ``n̂`` real samples:
:func:`~synthmix.simulate.sweeps.fig3_toy_setting`, theory vs Monte-Carlo, with the
Monte-Carlo settings of ``synthmix demo`` (:data:`~synthmix.experiments.rmt_figures.DEMO_SETTINGS`)
and the experiment's root seed ``SeedSequence(seed)`` (the demo spawns one child per figure).

Each writes its figures, ``results.json`` and a self-contained ``report.html`` into ``out``
(atomically).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    agreement_callout,
    agreement_json,
    agreement_section,
    curve_json,
    curve_shape,
    curve_shape_rows,
    summary_json,
)
from synthmix.parallel import stage_callback
from synthmix.simulate.compare import (
    AgreementSummary,
    ToySettingResult,
    agreement_summary,
)
from synthmix.simulate.sweeps import (
    fig3_toy_setting,
)

__all__ = ["TOY_SETTINGS", "reproduce_toy"]

FIG3_STAGE = "Fig. 3 Monte-Carlo"

#: ``rmt-toy`` Monte-Carlo settings: those of ``synthmix demo``'s Fig. 3.
TOY_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    mode: DEMO_SETTINGS[mode]["fig3"] for mode in ("full", "quick")
}


# --------------------------------------------------------------------------------------------
# rmt-toy (Fig. 3)
# --------------------------------------------------------------------------------------------


def _toy_report(
    path: Path,
    fig3: ToySettingResult,
    png: Path,
    agreement: AgreementSummary,
    *,
    seed: int,
    quick: bool,
    seconds: float,
    n_jobs: int,
    scheduler: str | None,
) -> Path:
    from scipy.special import ndtr

    from synthmix.report.html import Bullets, Figure, Section, Table, render_report

    bayes = float(ndtr(fig3.mu_norm))
    eps = fig3.epsilon
    p_big = max(fig3.p_values)
    takeaways = []
    for name, (rho, phi) in fig3.verifiers.items():
        sh = curve_shape(fig3.curve(name, p_big))
        kept_flip = rho * eps / max(phi * (1 - eps) + rho * eps, 1e-300)
        head = (
            f"{name.capitalize()} verifier (ρ = {rho:g}, φ = {phi:g}; {kept_flip:.0%} of the "
            f"kept synthetic labels wrong), p = {p_big}: accuracy {sh['start']:.3f} at the "
            "smallest synthetic share, "
        )
        if sh["monotone_increasing"]:
            tail = f"rising monotonically to {sh['end']:.3f} at the largest."
        else:
            tail = (
                f"down to {sh['min']:.3f} at a share of {sh['argmin_x']:.2f}, then "
                f"{sh['end']:.3f} at the largest."
            )
        takeaways.append(head + tail)
    rows = curve_shape_rows(fig3.curves)
    intro = Section(
        "What this report shows",
        (
            f"Fig. 3 of the paper: n = {fig3.n} real samples mixed with m synthetic ones from "
            f"a generator whose covariance is the sample covariance of n̂ = {fig3.n_hat} other "
            f"real samples (so it degrades as p grows), |μ| = {fig3.mu_norm:g}, γ = "
            f"{fig3.gamma:g}, synthetic label noise ε = {eps:g}, for p in "
            f"{', '.join(map(str, fig3.p_values))}. Lines are the theory, circles Monte-Carlo "
            "simulations with ±2 standard errors.",
            agreement_callout(agreement),
        ),
    )
    fig_section = Section(
        "Fig. 3 — the verifier decides whether more synthetic data helps",
        (
            Figure(
                png,
                caption=(
                    "Test accuracy vs synthetic proportion (logit scale); lines: theory, "
                    "circles: Monte-Carlo (±2 s.e.); dotted: Bayes-optimal accuracy "
                    f"Φ(|μ|) = {bayes:.3f}."
                ),
                alt="Fig. 3: accuracy vs synthetic proportion for an oracle and a weak verifier",
            ),
            Bullets(takeaways),
            "Choice of ε and of the weak verifier: " + fig3.choice,
            Table(
                (
                    "verifier",
                    "p",
                    "start",
                    "minimum",
                    "at proportion",
                    "end",
                    "monotone",
                ),
                rows,
                caption="Shape of each theory curve",
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
        "synthmix reproduce rmt-toy — real + pruned synthetic data (Fig. 3)",
        [
            intro,
            fig_section,
            agreement_section([("Fig. 3", fig3.curves, "share")], agreement),
            repro,
        ],
        path,
        subtitle=f"Reproduction of Fig. 3 of {RMT_PAPER}: theory vs Monte-Carlo.",
        metadata=metadata(seconds, seed, n_jobs, scheduler),
    )


@register(
    "rmt-toy",
    description=(
        "Fig. 3: accuracy vs synthetic share with a generator estimated from n_hat real "
        "samples, oracle vs weak pruning; theory vs Monte-Carlo."
    ),
    config={"settings": TOY_SETTINGS["full"]},
)
def reproduce_toy(
    *,
    out: Path,
    quick: bool,
    seed: int,
    n_jobs: int,
    scheduler: str | None,
    progress: StageProgress | None,
) -> ReproductionResult:
    """``rmt-toy``: Fig. 3 with :func:`~synthmix.simulate.sweeps.fig3_toy_setting`.

    Writes ``fig3_toy.png``, ``results.json`` (theory curves, Monte-Carlo markers with
    mean/s.e./theory/z, agreement summary) and ``report.html`` into ``out``.

    Parameters
    ----------
    out : Path
    quick : bool
        ``p ∈ {50, 200}`` and three markers per curve instead of ``{50, 200, 500}`` and six.
    seed : int
        Root seed; marker ``j`` of curve ``i`` uses ``SeedSequence(seed, spawn_key=(i, j))``.
    n_jobs : int
    scheduler : str or None
    progress : callable or None
        Stage ``"Fig. 3 Monte-Carlo"``, one unit per trial.

    Returns
    -------
    ReproductionResult
        ``summary``: the agreement counts and, per curve, the theory curve's shape.
    """
    start = time.perf_counter()
    s = TOY_SETTINGS["quick" if quick else "full"]
    fig3 = fig3_toy_setting(
        p_values=s["p_values"],
        mc_proportions=s["mc_proportions"],
        n_trials=s["n_trials"],
        rng=seed,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=stage_callback(progress, FIG3_STAGE),
    )
    from synthmix.plotting.rmt import plot_fig3_toy_setting

    out = Path(out)
    png = plot_fig3_toy_setting(fig3, out / "fig3_toy.png")
    agreement = agreement_summary(fig3.curves)
    summary = {
        **agreement_json(agreement),
        "shapes": {
            f"{c.parameters['verifier']}, p = {c.parameters['p']}": curve_shape(c)
            for c in fig3.curves
        },
    }
    payload = header("rmt-toy", paper=RMT_PAPER, seed=seed, quick=quick, settings=s)
    payload.update(
        {
            "summary": summary,
            "seeding": (
                "marker j of curve i uses numpy.random.SeedSequence(seed, spawn_key=(i, j)) "
                "as the rng of the simulate call"
            ),
            "fig3_toy": {
                "title": (
                    "Fig. 3: accuracy vs synthetic proportion, generator estimated from n_hat "
                    "real samples"
                ),
                "figure": png.name,
                "parameters": {
                    "p_values": fig3.p_values,
                    "n": fig3.n,
                    "n_hat": fig3.n_hat,
                    "mu_norm": fig3.mu_norm,
                    "gamma": fig3.gamma,
                    "epsilon": fig3.epsilon,
                    "verifiers": {k: {"rho": r, "phi": f} for k, (r, f) in fig3.verifiers.items()},
                    "x": "synthetic proportion m/(n+m)",
                },
                "choice": fig3.choice,
                "seconds": fig3.seconds,
                "summary": summary_json(agreement),
                "curves": [curve_json(c, shape=True) for c in fig3.curves],
            },
        }
    )
    return publish(
        "rmt-toy",
        out,
        payload,
        (png,),
        summary,
        start,
        seed=seed,
        quick=quick,
        report=lambda path, seconds: _toy_report(
            path,
            fig3,
            png,
            agreement,
            seed=seed,
            quick=quick,
            seconds=seconds,
            n_jobs=n_jobs,
            scheduler=scheduler,
        ),
    )
