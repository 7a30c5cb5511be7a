"""Reproductions of Figs. 1-4 of El Firdoussi et al. (ICLR 2025), docs/math/rmt.md.

Three reproductions are registered with :mod:`synthmix.experiments.registry`:

``rmt-laws`` (Figs. 1-2)
    The two random-matrix laws the theory rests on. Fig. 1: the eigenvalues of a real sample
    covariance ``(1/n̂) Z Zᵀ`` (``Z`` a ``p × n̂`` standard Gaussian matrix) against the
    Marchenko–Pastur law of ratio ``c = p/n̂`` — its density, its atom at 0 when ``c > 1``, and
    the ``p`` mid-quantiles (:func:`~synthmix.theory.marchenko_pastur_quantiles`) that the
    theory uses in place of a random spectrum. Fig. 2: the fixed-point scalars ``(δ, δ_s)`` of
    the theorem vs ``p/n``, checked against the closed form of the real-only case.
``rmt-toy`` (Fig. 3)
    Real + pruned synthetic data from a generator estimated from ``n̂`` real samples:
    :func:`~synthmix.experiments.rmt_figures.fig3_toy_setting`, theory vs Monte-Carlo.
``rmt-phase`` (Fig. 4)
    Synthetic data only, accuracy vs label noise, phase transition at ``ε* = φ/(φ+ρ)``:
    :func:`~synthmix.experiments.rmt_figures.fig4_phase_transition`.

Each writes its figures, ``results.json`` and a self-contained ``report.html`` into ``out``
(atomically). Figs. 3 and 4 use the Monte-Carlo settings of ``synthmix demo``
(:data:`~synthmix.experiments.rmt_figures.DEMO_SETTINGS`), with the experiment's root seed
``SeedSequence(seed)`` (the demo spawns one child per figure instead).
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
    agreement_section,
    curve_json,
    curve_shape,
    curve_shape_rows,
    fig3_toy_setting,
    fig4_phase_transition,
    summary_json,
)
from synthmix.parallel import stage_callback
from synthmix.simulate.compare import (
    AgreementSummary,
    PhaseTransitionResult,
    ToySettingResult,
    agreement_summary,
)
from synthmix.simulate.laws import (
    FIG2_SETTINGS,
    FixedPointCurve,
    FixedPointResult,
    MarchenkoPasturResult,
    fixed_point_curves,
    marchenko_pastur_spectra,
)

__all__ = [
    "FIG2_MARKS",
    "LAWS_SETTINGS",
    "PHASE_SETTINGS",
    "TOY_SETTINGS",
    "reproduce_laws",
    "reproduce_phase",
    "reproduce_toy",
]


FIG3_STAGE = "Fig. 3 Monte-Carlo"
FIG4_STAGE = "Fig. 4 Monte-Carlo"

#: ``p/n`` values tabulated in the ``rmt-laws`` report (added to the Fig. 2 grid).
FIG2_MARKS: tuple[float, ...] = (0.1, 0.5, 1.0, 2.0, 5.0)

#: ``rmt-laws`` settings. Fig. 1: dimension, ratios ``c = p/n̂``, independent matrices per
#: ratio (the histogram pools them; the KS distance is per matrix), histogram bins. Fig. 2:
#: dimension and a geometric grid of ``p/n``. Both modes take seconds.
LAWS_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    "full": {
        "fig1": {"p": 400, "ratios": (0.25, 1.0, 2.0), "draws": 10, "bins": 60},
        "fig2": {"p": 400, "ratio_min": 0.02, "ratio_max": 10.0, "points": 241},
    },
    "quick": {
        "fig1": {"p": 400, "ratios": (0.25, 1.0, 2.0), "draws": 2, "bins": 45},
        "fig2": {"p": 400, "ratio_min": 0.02, "ratio_max": 10.0, "points": 61},
    },
}

#: ``rmt-toy`` Monte-Carlo settings: those of ``synthmix demo``'s Fig. 3.
TOY_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    mode: DEMO_SETTINGS[mode]["fig3"] for mode in ("full", "quick")
}

#: ``rmt-phase`` Monte-Carlo settings: those of ``synthmix demo``'s Fig. 4 (``p = 100``).
PHASE_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    mode: {"p": FIG4_P, **DEMO_SETTINGS[mode]["fig4"]} for mode in ("full", "quick")
}


# --------------------------------------------------------------------------------------------
# Fig. 1: the Marchenko–Pastur law
# --------------------------------------------------------------------------------------------


def _agreement_json(agreement: AgreementSummary) -> dict[str, Any]:
    return {
        "rule": "|mc_mean - theory| <= z * mc_stderr + bias",
        "z": agreement.z,
        "bias": agreement.bias,
        "n_markers": agreement.n_markers,
        "n_within": agreement.n_within,
        "all_within": agreement.all_within,
        "max_abs_z": agreement.max_abs_z,
        "max_abs_error": agreement.max_abs_error,
    }


# --------------------------------------------------------------------------------------------
# rmt-laws
# --------------------------------------------------------------------------------------------


def _laws_payload(
    fig1: MarchenkoPasturResult, fig2: FixedPointResult, summary: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "summary": summary,
        "fig1_marchenko_pastur": {
            "title": "Fig. 1: eigenvalues of (1/n_hat) Z Z^T vs the Marchenko-Pastur law",
            "figure": "fig1_marchenko_pastur.png",
            "p": fig1.p,
            "draws": fig1.draws,
            "seeding": (
                "draw k of ratio i uses numpy.random.SeedSequence(seed, spawn_key=(i, k)); "
                "Z has shape (p, n_hat) with i.i.d. N(0, 1) entries"
            ),
            "panels": [
                {
                    "ratio": pan.ratio,
                    "n_hat": pan.n_hat,
                    "support": list(pan.support),
                    "atom": pan.atom,
                    "zero_fraction": pan.zero_fraction,
                    "ks_distance": pan.ks,
                    "ks_distance_mean": float(np.mean(pan.ks)),
                    "ks_distance_max": float(np.max(pan.ks)),
                    "quantiles": pan.quantiles,
                    "eigenvalues_draw0": pan.eigenvalues[0],
                    "histogram": dict(
                        zip(("edges", "density"), pan.histogram(fig1.bins), strict=True)
                    ),
                }
                for pan in fig1.panels
            ],
            "seconds": fig1.seconds,
        },
        "fig2_fixed_point": {
            "title": "Fig. 2: fixed-point scalars delta, delta_s vs p/n",
            "figure": "fig2_fixed_point.png",
            "p": fig2.p,
            "closed_form": "real only: delta = positive root of g d^2 + (g + 1 - eta) d - eta",
            "max_abs_delta_error": fig2.max_abs_error,
            "curves": [
                {
                    "label": c.label,
                    "parameters": dict(c.parameters),
                    "p_over_n": c.ratio,
                    "delta": c.delta,
                    "delta_s": c.delta_s,
                    "closed_form": c.closed_form,
                    "max_abs_error": c.max_abs_error,
                }
                for c in fig2.curves
            ],
            "seconds": fig2.seconds,
        },
    }


def _at(curve: FixedPointCurve, x: float) -> tuple[float, float] | None:
    """``(δ, δ_s)`` at the grid point ``p/n = x``, or None when ``x`` is not on the grid."""
    hit = np.flatnonzero(np.isclose(curve.ratio, x, rtol=1e-12, atol=0.0))
    if hit.size == 0:
        return None
    return float(curve.delta[hit[0]]), float(curve.delta_s[hit[0]])


def _laws_report(
    path: Path,
    fig1: MarchenkoPasturResult,
    fig2: FixedPointResult,
    figures: tuple[Path, Path],
    *,
    seed: int,
    quick: bool,
    seconds: float,
    n_jobs: int,
    scheduler: str | None,
) -> Path:
    from synthmix.report.html import Bullets, Callout, Figure, Section, Table, render_report

    worst = max(float(np.max(pan.ks)) for pan in fig1.panels)
    intro = Section(
        "What this report shows",
        (
            "The predictions of synthmix rest on two results of random-matrix theory. First, "
            "the spectrum of a sample covariance: when a generator's covariance is estimated "
            "from n̂ real samples in dimension p, its eigenvalues do not concentrate at 1 but "
            "spread over the Marchenko–Pastur law of ratio c = p/n̂. The theory replaces the "
            "random spectrum by p deterministic quantiles of that law. Second, the resolvent "
            "of the training data is summarised by two scalars (δ for real, δ_s for synthetic "
            "data), the fixed point of the theorem's equations (docs/math/rmt.md).",
            Callout(
                f"The quantiles are within a Kolmogorov–Smirnov distance of {worst:.4f} of "
                f"every sampled spectrum (p = {fig1.p}, {fig1.draws} matrices per ratio), and "
                f"the fixed-point solver matches the real-only closed form to "
                f"{fig2.max_abs_error:.1e}.",
                "Result",
            ),
        ),
    )
    rows = []
    for pan in fig1.panels:
        a, b = pan.support
        rows.append(
            (
                f"{pan.ratio:g}",
                pan.n_hat,
                f"[{a:.3f}, {b:.3f}]",
                f"{pan.atom:.3f}",
                f"{pan.zero_fraction:.3f}",
                f"{np.mean(pan.ks):.4f}",
                f"{np.max(pan.ks):.4f}",
            )
        )
    fig1_section = Section(
        "Fig. 1 — the Marchenko–Pastur law",
        (
            f"Each panel draws {fig1.draws} matrices Z of shape p × n̂ (p = {fig1.p}) with "
            "independent N(0, 1) entries and computes the eigenvalues of (1/n̂) Z Zᵀ. Top: their "
            "histogram (pooled over draws) against the law's density; when c > 1 the matrix "
            "has rank n̂ and a fraction 1 − 1/c of its eigenvalues is exactly 0 (the atom). "
            "Bottom: the sorted eigenvalues of one matrix against the quantiles the theory "
            "uses (a Q–Q plot: on the diagonal means identical).",
            Figure(
                figures[0],
                caption=(
                    "Top: eigenvalue histograms vs the Marchenko–Pastur density (line) and atom "
                    "(arrow at 0). Bottom: eigenvalues of one draw vs the law's mid-quantiles."
                ),
                alt="Fig. 1: Marchenko-Pastur law for three ratios",
            ),
            Bullets(
                (
                    "Already at p = 400 the spectrum of a single matrix follows the law closely: "
                    "the eigenvalues are rigid, so the deterministic quantiles are an excellent "
                    "stand-in for a random spectrum.",
                    "A covariance estimated from as many samples as dimensions (c = 1) has "
                    "eigenvalues from almost 0 to 4 — far from the identity it estimates; that "
                    "is the imperfect generator of Fig. 3.",
                )
            ),
            Table(
                (
                    "c = p/n̂",
                    "n̂",
                    "support",
                    "atom 1 − 1/c",
                    "zeros (empirical)",
                    "KS mean",
                    "KS max",
                ),
                rows,
                caption="Kolmogorov–Smirnov distance between each draw's eigenvalues and the "
                "quantiles",
            ),
        ),
    )
    rows2 = []
    for c in fig2.curves:
        for x in FIG2_MARKS:
            at = _at(c, x)
            if at is not None:
                rows2.append((c.label, f"{x:g}", f"{at[0]:.4f}", f"{at[1]:.4f}"))
    mixes = [c for c in fig2.curves if c.closed_form is None]
    fig2_bullets = [
        "δ grows with p/n: the more dimensions per sample, the less the training data pin "
        "down the classifier; a small ridge penalty γ lets it grow like (p/n − 1)/γ beyond "
        "p/n = 1.",
    ]
    first, second = (_at(c, 1.0) for c in mixes[:2]) if len(mixes) >= 2 else (None, None)
    if first is not None and second is not None:
        (d0, ds0), (d1, ds1) = first, second
        fig2_bullets.append(
            f"Synthetic data from an estimated generator enter through δ_s < δ (its covariance "
            f"has the spread of Fig. 1). Pruning discards samples but keeps them in N, so both "
            f"scalars grow: at p/n = 1, δ = {d0:.3f} → {d1:.3f} and δ_s = {ds0:.3f} → {ds1:.3f}."
        )
    fig2_section = Section(
        "Fig. 2 — the fixed-point scalars δ and δ_s",
        (
            f"p = {fig2.p}; the x-axis moves the number n of real samples. Real-only settings "
            "have a closed form, δ = the positive root of γδ² + (γ + 1 − η)δ − η = 0 with "
            "η = p/n, drawn as markers on the solver's curves. The mixes add m = n synthetic "
            "samples (label noise ε = 0.4) from a generator estimated from n̂ = 2p real samples "
            "(Marchenko–Pastur spectrum of ratio 1/2), without and with pruning.",
            Figure(
                figures[1],
                caption=(
                    "Left: δ vs p/n (lines: solver; markers: closed form). Right: δ_s/δ (1 for "
                    "real-only training, whose covariance is the identity)."
                ),
                alt="Fig. 2: fixed-point scalars vs p/n",
            ),
            Bullets(fig2_bullets),
            Callout(
                f"Max |δ − closed form| over the real-only curves: {fig2.max_abs_error:.2e}.",
                "Check",
            ),
            Table(("setting", "p/n", "δ", "δ_s"), rows2, caption="δ and δ_s at a few p/n"),
        ),
    )
    repro = Section(
        "Reproducibility",
        (
            Bullets(
                (
                    f"Seed {seed}: matrix k of ratio i uses numpy.random.SeedSequence({seed}, "
                    "spawn_key=(i, k)); Fig. 2 is deterministic.",
                    "Every number in this report is in results.json next to this file (the "
                    "eigenvalues of the first matrix per ratio, the pooled histograms, the "
                    "quantiles and the curves).",
                    f"Mode: {mode_text(quick)}.",
                )
            ),
        ),
    )
    return render_report(
        "synthmix reproduce rmt-laws — the random-matrix laws behind the theory",
        [intro, fig1_section, fig2_section, repro],
        path,
        subtitle=f"Reproduction of Fig. 1 and Fig. 2 of {RMT_PAPER}.",
        metadata=metadata(seconds, seed, n_jobs, scheduler),
    )


@register(
    "rmt-laws",
    description=(
        "Figs. 1-2: the Marchenko-Pastur law of sample covariances and the fixed-point "
        "scalars (delta, delta_s) vs p/n (theory only; seconds)."
    ),
    config={"settings": LAWS_SETTINGS["full"], "fig2": FIG2_SETTINGS, "marks": FIG2_MARKS},
)
def reproduce_laws(
    *,
    out: Path,
    quick: bool,
    seed: int,
    n_jobs: int,
    scheduler: str | None,
    progress: StageProgress | None,
) -> ReproductionResult:
    """``rmt-laws``: Fig. 1 (Marchenko–Pastur law) and Fig. 2 (fixed-point scalars).

    Writes ``fig1_marchenko_pastur.png``, ``fig2_fixed_point.png``, ``results.json`` and
    ``report.html`` into ``out``. ``n_jobs`` and ``scheduler`` are accepted for the common
    signature; the work (a few dozen 400 × 400 eigendecompositions) runs in-process.

    Parameters
    ----------
    out : Path
    quick : bool
        2 instead of 10 matrices per ratio and a coarser ``p/n`` grid.
    seed : int
    n_jobs : int
    scheduler : str or None
    progress : callable or None
        Stage ``"Fig. 1 eigenvalues"``, one unit per matrix.

    Returns
    -------
    ReproductionResult
        ``summary``: ``ks_distance`` (ratio -> mean KS over draws), ``ks_distance_max``,
        ``max_abs_delta_error``, ``zero_fraction`` (ratio -> pooled fraction of zeros).
    """
    start = time.perf_counter()
    settings = LAWS_SETTINGS["quick" if quick else "full"]
    s1, s2 = settings["fig1"], settings["fig2"]
    fig1 = marchenko_pastur_spectra(
        p=s1["p"],
        ratios=s1["ratios"],
        draws=s1["draws"],
        bins=s1["bins"],
        rng=seed,
        progress=progress,
    )
    grid = np.geomspace(s2["ratio_min"], s2["ratio_max"], s2["points"])
    fig2 = fixed_point_curves(p=s2["p"], ratios=np.union1d(grid, FIG2_MARKS))
    from synthmix.plotting.rmt import plot_fig1_marchenko_pastur, plot_fig2_fixed_point

    out = Path(out)
    png1 = plot_fig1_marchenko_pastur(fig1, out / "fig1_marchenko_pastur.png")
    png2 = plot_fig2_fixed_point(fig2, out / "fig2_fixed_point.png")
    summary = {
        "p": fig1.p,
        "draws": fig1.draws,
        "ks_distance": {f"{pan.ratio:g}": float(np.mean(pan.ks)) for pan in fig1.panels},
        "ks_distance_max": {f"{pan.ratio:g}": float(np.max(pan.ks)) for pan in fig1.panels},
        "zero_fraction": {f"{pan.ratio:g}": pan.zero_fraction for pan in fig1.panels},
        "max_abs_delta_error": fig2.max_abs_error,
    }
    payload = header("rmt-laws", paper=RMT_PAPER, seed=seed, quick=quick, settings=settings)
    payload.update(_laws_payload(fig1, fig2, summary))
    return publish(
        "rmt-laws",
        out,
        payload,
        (png1, png2),
        summary,
        start,
        seed=seed,
        quick=quick,
        report=lambda path, seconds: _laws_report(
            path,
            fig1,
            fig2,
            (png1, png2),
            seed=seed,
            quick=quick,
            seconds=seconds,
            n_jobs=n_jobs,
            scheduler=scheduler,
        ),
    )


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
    """``rmt-toy``: Fig. 3 with :func:`~synthmix.experiments.rmt_figures.fig3_toy_setting`.

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
        **_agreement_json(agreement),
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
    """``rmt-phase``: Fig. 4 with :func:`~synthmix.experiments.rmt_figures.fig4_phase_transition`.

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
        **_agreement_json(agreement),
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
