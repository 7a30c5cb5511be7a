"""Figures of the random-matrix reproductions: theory curves with Monte-Carlo markers, the laws.

Figures are built with :class:`matplotlib.figure.Figure` on the Agg canvas directly — never
through ``pyplot`` — so drawing works headless, leaves no global state (no open figures, no
backend switch in a user's session) and matplotlib is imported only when a figure is drawn,
never by ``import synthmix``. Files are written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synthmix.plotting import PALETTE, new_figure, save_figure

if TYPE_CHECKING:
    from synthmix.simulate.compare import Curve, PhaseTransitionResult, ToySettingResult

__all__ = ["plot_curves", "plot_fig3_toy_setting", "plot_fig4_phase_transition", "save_figure"]


def plot_curves(
    ax: Any,
    curves: Sequence[Curve],
    *,
    colors: Sequence[str] = PALETTE,
    marker_label: bool = True,
) -> None:
    """Draw theory curves (lines) and Monte-Carlo markers (±2 standard errors) on ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    curves : sequence of Curve
        Each contributes a line ``(theory_x, theory_accuracy)`` labelled ``curve.label`` and
        markers at ``marker.x`` with error bars ``2 * accuracy_stderr``.
    colors : sequence of str
        One colour per curve (cycled).
    marker_label : bool, default True
        Add a single legend entry "Monte-Carlo (±2 s.e.)" for the markers.
    """
    for i, curve in enumerate(curves):
        color = colors[i % len(colors)]
        ax.plot(
            curve.theory_x, curve.theory_accuracy, color=color, lw=2.0, label=curve.label, zorder=2
        )
        if not curve.markers:
            continue
        x = np.array([mk.x for mk in curve.markers])
        y = np.array([mk.accuracy_mean for mk in curve.markers])
        err = 2.0 * np.array([mk.accuracy_stderr for mk in curve.markers])
        ax.errorbar(
            x,
            y,
            yerr=err,
            fmt="o",
            ms=5.5,
            color=color,
            mfc="white",
            mew=1.6,
            elinewidth=1.3,
            capsize=3,
            zorder=3,
        )
    if marker_label and any(c.markers for c in curves):
        ax.errorbar(
            [],
            [],
            yerr=[],
            fmt="o",
            ms=5.5,
            color="0.35",
            mfc="white",
            mew=1.6,
            capsize=3,
            label="Monte-Carlo (±2 s.e.)",
        )


def plot_fig3_toy_setting(result: ToySettingResult, path: str | os.PathLike[str]) -> Path:
    """Fig. 3: one panel per verifier, accuracy vs synthetic proportion, one curve per p.

    The x-axis is on a logit scale so that both the small proportions (0.001-0.1) and the
    synthetic-dominated end (0.5-0.95) are readable.

    Parameters
    ----------
    result : ToySettingResult
    path : path-like
        PNG file to write.

    Returns
    -------
    Path
    """
    from scipy.special import ndtr

    names = list(result.verifiers)
    fig = new_figure(5.6 * len(names) + 0.6, 5.2)
    axes = fig.subplots(1, len(names), sharey=True, squeeze=False)[0]
    bayes = float(ndtr(result.mu_norm))
    lo = min(float(np.min(c.theory_accuracy)) for c in result.curves)
    lo = min(
        [
            lo,
            *(mk.accuracy_mean - 2 * mk.accuracy_stderr for c in result.curves for mk in c.markers),
        ]
    )
    for ax, name in zip(axes, names, strict=True):
        rho, phi = result.verifiers[name]
        curves = [c for c in result.curves if c.parameters["verifier"] == name]
        plot_curves(ax, curves)
        ax.axhline(bayes, color="0.3", ls=":", lw=1.3, label=f"Bayes optimum Φ(|μ|) = {bayes:.3f}")
        ax.set_xscale("logit")
        xs = np.concatenate([c.theory_x for c in curves])
        ax.set_xlim(float(xs.min()) * 0.85, 1 - (1 - float(xs.max())) * 0.7)
        ticks = [
            t
            for t in (0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9)
            if xs.min() * 0.85 <= t <= xs.max() + 1e-12
        ]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_ylim(lo - 0.006, bayes + 0.008)
        kind = (
            "oracle"
            if (rho, phi) == (0.0, 1.0)
            else ("no pruning" if (rho, phi) == (1.0, 1.0) else name)
        )
        ax.set_title(f"{kind.capitalize()} verifier (ρ = {rho:g}, φ = {phi:g})", fontsize=12)
        ax.set_xlabel("synthetic proportion m / (n + m)   (logit scale)")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("test accuracy on real data")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside lower center", ncol=len(labels), fontsize=10, frameon=False
    )
    fig.suptitle(
        f"Fig. 3 — real + pruned synthetic data (n = n̂ = {result.n}, |μ| = {result.mu_norm:g}, "
        f"γ = {result.gamma:g}, label noise ε = {result.epsilon:g})",
        fontsize=13,
    )
    return save_figure(fig, path)


def plot_fig4_phase_transition(result: PhaseTransitionResult, path: str | os.PathLike[str]) -> Path:
    """Fig. 4: synthetic-only accuracy vs label noise ε, one curve per m.

    Draws the chance level 1/2, the transition ``ε*`` (vertical line) and the infinite-sample
    step ``Φ(|μ|) → 1 - Φ(|μ|)``.

    Parameters
    ----------
    result : PhaseTransitionResult
    path : path-like
        PNG file to write.

    Returns
    -------
    Path
    """
    fig = new_figure(8.2, 5.4)
    ax = fig.subplots()
    es = result.epsilon_star
    ax.plot(
        [0.0, es, es, 1.0],
        [result.step_high, result.step_high, result.step_low, result.step_low],
        color="black",
        ls="--",
        lw=1.4,
        label="infinite-sample limit (p/m → 0)",
        zorder=1,
    )
    plot_curves(ax, result.curves)
    ax.axhline(0.5, color="0.45", lw=1.0, zorder=0)
    ax.axvline(es, color="#B2182B", ls=":", lw=1.6, zorder=0)
    ax.annotate(
        f"ε* = φ/(φ+ρ) = {es:.3f}",
        xy=(es, 0.5),
        xytext=(es - 0.03, 0.5 - 0.03),
        ha="right",
        va="top",
        fontsize=10,
        color="#B2182B",
    )
    ax.text(0.01, 0.505, "chance (1/2)", color="0.35", fontsize=9, va="bottom")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(result.step_low - 0.04, result.step_high + 0.04)
    ax.set_xlabel("label-noise rate ε of the synthetic data")
    ax.set_ylabel("test accuracy on real data")
    ax.set_title(
        f"Fig. 4 — synthetic data only: phase transition at ε*\n"
        f"(p = {result.p}, |μ| = {result.mu_norm:g}, γ = {result.gamma:g}, "
        f"verifier ρ = {result.rho:g}, φ = {result.phi:g})",
        fontsize=12,
    )
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", fontsize=9, framealpha=0.9)
    return save_figure(fig, path)


# --------------------------------------------------------------------------------------------
# Figs. 1-2 (``synthmix reproduce rmt-laws``)
# --------------------------------------------------------------------------------------------

if TYPE_CHECKING:
    from synthmix.simulate.laws import FixedPointResult, MarchenkoPasturResult

__all__ += ["plot_fig1_marchenko_pastur", "plot_fig2_fixed_point"]


def plot_fig1_marchenko_pastur(result: MarchenkoPasturResult, path: str | os.PathLike[str]) -> Path:
    """Fig. 1: eigenvalue histograms vs the Marchenko–Pastur law, and Q–Q plots.

    One column per ratio ``c = p/n̂``. Top: the pooled histogram of the non-zero eigenvalues
    (normalised by all eigenvalues, see :meth:`SpectrumPanel.histogram`), the law's density
    and, when ``c > 1``, its atom ``1 - 1/c`` at 0 drawn as a stem with the empirical
    fraction of zeros. Bottom: the sorted eigenvalues of the first draw against the law's
    mid-quantiles, with the Kolmogorov–Smirnov distances.

    Parameters
    ----------
    result : MarchenkoPasturResult
    path : path-like
        PNG file to write.

    Returns
    -------
    Path
    """
    from synthmix.theory import marchenko_pastur_density

    panels = result.panels
    fig = new_figure(4.6 * len(panels) + 0.4, 8.4)
    axes = fig.subplots(2, len(panels), squeeze=False, height_ratios=(1.15, 1.0))
    hist_color, law_color, atom_color = "#9CC3E4", PALETTE[1], PALETTE[0]
    for col, pan in enumerate(panels):
        top, bottom = axes[0, col], axes[1, col]
        a, b = pan.support
        edges, density = pan.histogram(result.bins)
        top.bar(
            edges[:-1],
            density,
            width=np.diff(edges),
            align="edge",
            color=hist_color,
            edgecolor="white",
            lw=0.4,
            label=f"eigenvalues ({result.draws} matrices pooled)",
            zorder=1,
        )
        xs = np.linspace(a, b, 801)
        ys = marchenko_pastur_density(xs, pan.ratio)
        if a <= 0.0:  # c = 1: the density diverges at the lower edge
            xs, ys = xs[1:], ys[1:]
        top.plot(xs, ys, color=law_color, lw=2.2, label="Marchenko–Pastur density", zorder=3)
        y_top = 1.15 * float(np.max(density)) if density.size else 1.0
        if a > 0.0:  # bounded density: make room for its peak
            y_top = max(y_top, 1.12 * float(np.max(ys)))
        if pan.atom > 0:  # room above the density for the atom's label
            y_top *= 1.45
        left = -0.02 * b
        if pan.atom > 0:
            left = -0.06 * b
            stem = 0.86 * y_top
            top.vlines(0.0, 0.0, stem, color=atom_color, lw=3.0, zorder=4)
            top.plot([0.0], [stem], marker="^", ms=9, color=atom_color, zorder=4)
            top.annotate(
                f"atom at 0: mass 1 − 1/c = {pan.atom:.2f}\n(zeros observed: "
                f"{pan.zero_fraction:.3f})",
                xy=(0.0, stem),
                xytext=(0.06 * b, stem),
                va="center",
                fontsize=9,
                color=atom_color,
            )
            top.plot([], [], color=atom_color, lw=3.0, marker="^", label="atom at 0 (c > 1)")
        top.set_xlim(left, 1.04 * b)
        top.set_ylim(0.0, y_top)
        top.set_title(
            f"c = p/n̂ = {pan.ratio:g}   (p = {pan.p}, n̂ = {pan.n_hat})\nsupport [{a:.2f}, {b:.2f}]",
            fontsize=11,
        )
        top.set_xlabel("eigenvalue of (1/n̂) Z Zᵀ")
        top.grid(True, alpha=0.3)

        q, ev = pan.quantiles, pan.eigenvalues[0]
        bottom.plot([0.0, b], [0.0, b], color="0.45", lw=1.0, ls="--", label="y = x", zorder=1)
        bottom.plot(
            q,
            ev,
            "o",
            ms=3.2,
            color=atom_color,
            mfc="none",
            mew=0.9,
            label="eigenvalues of one matrix",
            zorder=2,
        )
        bottom.text(
            0.04,
            0.96,
            f"KS distance to the quantiles\nmean {np.mean(pan.ks):.4f}, max {np.max(pan.ks):.4f}"
            f"\nover {result.draws} matrices",
            transform=bottom.transAxes,
            va="top",
            fontsize=9.5,
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"},
        )
        if pan.atom > 0:
            zeros = int(np.sum(ev == 0.0))
            bottom.annotate(
                f"{zeros} zero eigenvalues at (0, 0): the atom",
                xy=(0.0, 0.0),
                xytext=(0.3 * b, 0.06 * b),
                fontsize=9,
                color=atom_color,
                arrowprops={"arrowstyle": "->", "color": atom_color, "lw": 1.0},
            )
        bottom.set_xlim(left, 1.04 * b)
        bottom.set_ylim(left, 1.04 * b)
        bottom.set_xlabel("Marchenko–Pastur quantile used by the theory")
        bottom.grid(True, alpha=0.3)
    axes[0, 0].set_ylabel("density")
    axes[1, 0].set_ylabel("sorted eigenvalue (one matrix)")
    handles: dict[str, Any] = {}
    for ax in (*axes[0], axes[1, 0]):
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="outside lower center",
        ncol=len(handles),
        fontsize=10,
        frameon=False,
    )
    fig.suptitle(
        f"Fig. 1 — eigenvalues of a sample covariance follow the Marchenko–Pastur law "
        f"(p = {result.p})",
        fontsize=13,
    )
    return save_figure(fig, path)


def plot_fig2_fixed_point(result: FixedPointResult, path: str | os.PathLike[str]) -> Path:
    """Fig. 2: the fixed-point scalars ``δ`` and ``δ_s`` vs ``p/n``.

    Left: ``δ`` for every setting on log-log axes, with the real-only closed form as markers.
    Right: ``δ_s / δ`` (1 for real-only settings, whose ``C = I``).

    Parameters
    ----------
    result : FixedPointResult
    path : path-like
        PNG file to write.

    Returns
    -------
    Path
    """
    fig = new_figure(13.0, 5.6)
    left, right = fig.subplots(1, 2)
    mixes = []
    for i, curve in enumerate(result.curves):
        color = PALETTE[i % len(PALETTE)]
        left.plot(curve.ratio, curve.delta, color=color, lw=2.0, label=curve.label, zorder=2)
        if curve.closed_form is not None:
            step = max(1, curve.ratio.size // 16)
            left.plot(
                curve.ratio[::step],
                curve.closed_form[::step],
                "o",
                ms=6,
                mfc="none",
                mec="black",
                mew=1.1,
                zorder=3,
            )
        else:
            mixes.append((color, curve))
    left.plot([], [], "o", ms=6, mfc="none", mec="black", mew=1.1, label="closed form (real only)")
    left.set_yscale("log")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.axvline(1.0, color="0.5", ls=":", lw=1.2, zorder=0)
        ax.set_xlabel("p / n   (n real samples)")
        ax.grid(True, which="both", alpha=0.25)
    left.set_ylabel("δ")
    left.set_title("δ, the real-data scalar, for every setting", fontsize=12)
    left.text(
        0.97,
        0.04,
        f"max |δ − closed form| = {result.max_abs_error:.1e}",
        transform=left.transAxes,
        ha="right",
        va="bottom",
        fontsize=10,
        bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"},
    )
    left.legend(loc="upper left", fontsize=9, framealpha=0.92)
    if len(mixes) < len(result.curves):
        right.axhline(1.0, color="0.45", lw=1.6, label="real only (C = I): δ_s = δ")
    for color, curve in mixes:
        right.plot(curve.ratio, curve.delta_s / curve.delta, color=color, lw=2.0, label=curve.label)
    ratios = [c.delta_s / c.delta for _, c in mixes]
    low = min([1.0, *(float(np.min(r)) for r in ratios)])
    right.set_ylim(low - 0.08 * (1.0 - low) - 1e-3, 1.0 + 0.1 * (1.0 - low) + 1e-3)
    right.set_ylabel("δ_s / δ")
    right.set_title("δ_s / δ: the synthetic scalar relative to the real one", fontsize=12)
    right.legend(loc="upper left", bbox_to_anchor=(0.0, 0.9), fontsize=9, framealpha=0.92)
    fig.suptitle(
        f"Fig. 2 — fixed-point scalars of the theorem vs p/n (p = {result.p})", fontsize=13
    )
    return save_figure(fig, path)
