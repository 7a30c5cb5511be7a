"""``synthmix reproduce rmt-laws``: Figs. 1-2 of El Firdoussi et al. (ICLR 2025), docs/math/rmt.md.

The two random-matrix laws the theory rests on. Fig. 1: the eigenvalues of a real sample
covariance ``(1/n̂) Z Zᵀ`` (``Z`` a ``p × n̂`` standard Gaussian matrix) against the
Marchenko–Pastur law of ratio ``c = p/n̂`` — its density, its atom at 0 when ``c > 1``, and the
``p`` mid-quantiles (:func:`~synthmix.theory.marchenko_pastur_quantiles`) that the theory uses
in place of a random spectrum. Fig. 2: the fixed-point scalars ``(δ, δ_s)`` of the theorem vs
``p/n``, checked against the closed form of the real-only case.

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
from synthmix.simulate.laws import (
    FIG2_SETTINGS,
    FixedPointCurve,
    FixedPointResult,
    MarchenkoPasturResult,
    fixed_point_curves,
    marchenko_pastur_spectra,
)

__all__ = ["FIG2_MARKS", "LAWS_SETTINGS", "reproduce_laws"]

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


# --------------------------------------------------------------------------------------------
# Fig. 1: the Marchenko–Pastur law
# --------------------------------------------------------------------------------------------


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
