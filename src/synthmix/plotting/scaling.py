"""Figures of the scaling experiments (``synthmix reproduce scaling-exact``/``scaling-learned``).

Drawn on the Agg canvas directly (see :mod:`synthmix.plotting.rmt`); matplotlib is imported
only when a figure is drawn.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthmix.plotting.canvas import PALETTE, new_figure, save_figure

if TYPE_CHECKING:
    from synthmix._types import FloatArray
    from synthmix.scaling.fit import ThreePhaseFit
    from synthmix.scaling.learned import LearnedScalingResult
    from synthmix.scaling.sweeps import ExactGridResult, RobustnessRow

__all__ = [
    "plot_exact_breakpoints",
    "plot_exact_examples",
    "plot_learned_breakpoints",
    "plot_learned_curves",
    "plot_robustness",
    "plot_three_phase_fit",
]


def plot_learned_curves(result: LearnedScalingResult, path: str | os.PathLike[str]) -> Path:
    """Learning curves, one panel per arm (log–log).

    Per learner: the mean test error over seeds with ±1 standard error (markers), its fitted
    three-phase law (dashed) and the fitted breakpoints' confidence intervals (shaded bands).
    Black: the exact expected error ``E(n)`` of a perfect memoriser for the fitted generator;
    grey dotted verticals: the predicted breakpoints ``n1`` and ``n2``.

    Parameters
    ----------
    result : LearnedScalingResult
    path : path-like
        PNG to write.

    Returns
    -------
    Path
    """
    arms = result.arms
    cols = min(3, len(arms))
    rows = math.ceil(len(arms) / cols)
    fig = new_figure(4.6 * cols, 3.6 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, arm in zip(axes, arms, strict=False):
        dense_n, dense_e = arm.predicted_dense
        ax.plot(dense_n, np.maximum(dense_e, 1e-6), color="black", lw=1.6, label="exact E(n)")
        for j, curve in enumerate(arm.curves):
            color = PALETTE[j % len(PALETTE)]
            n = curve.sizes.astype(float)
            ax.errorbar(
                n,
                np.maximum(curve.mean, curve.error_floor),
                yerr=curve.stderr,
                fmt="o",
                ms=3.5,
                color=color,
                capsize=2,
                label=f"{curve.learner} (mean ± se)",
            )
            grid = np.geomspace(n[0], n[-1], 200)
            ax.plot(grid, curve.fit.predict(grid), ls="--", lw=1.2, color=color)
            for lo, hi in curve.fit.breakpoints_ci:
                ax.axvspan(lo, hi, color=color, alpha=0.10, lw=0)
        for b in arm.predicted_breakpoints:
            if np.isfinite(b):
                ax.axvline(b, color="0.4", ls=":", lw=1.3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        k_text = f"k = {int(np.median(arm.k))}" if arm.settings.mode != "corruption" else "no cut"
        ax.set_title(f"{arm.settings.name} ({k_text}, π = {arm.settings.pi:g})", fontsize=9)
        ax.set_xlabel("training-set size n")
        ax.set_ylabel("test error (prior-weighted)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    for ax in axes[len(arms) :]:
        ax.set_visible(False)
    return save_figure(fig, path)


def plot_learned_breakpoints(result: LearnedScalingResult, path: str | os.PathLike[str]) -> Path:
    """Fitted breakpoints with their intervals against the predicted ``n1``, ``n2``.

    One row per (arm, learner); circles: fitted ``n1`` / ``n2`` with bootstrap intervals over
    seeds; crosses: the documented ``n1 = Z k^β / A``, ``n2 = Z (k+1)^β / π`` (absent for arms
    without a hard cut); diamonds: the same fit applied to the exact curve.

    Parameters
    ----------
    result : LearnedScalingResult
    path : path-like

    Returns
    -------
    Path
    """
    rows = [(arm, curve) for arm in result.arms for curve in arm.curves]
    fig = new_figure(7.5, 0.38 * len(rows) + 1.4)
    ax = fig.subplots()
    for i, (arm, curve) in enumerate(rows):
        y = len(rows) - 1 - i
        for j, color in enumerate((PALETTE[0], PALETTE[1])):
            lo, hi = curve.fit.breakpoints_ci[j]
            b = curve.fit.breakpoints[j]
            # a percentile interval need not contain the point estimate: draw it as a segment
            ax.plot([lo, hi], [y, y], color=color, lw=1.5)
            ax.plot(
                [b], [y], "o", color=color, ms=4, label=f"fitted n{j + 1} (CI)" if i == 0 else None
            )
            pb = arm.predicted_breakpoints[j]
            if np.isfinite(pb):
                ax.plot(
                    [pb], [y], "x", color="black", ms=6, label="predicted" if i == j == 0 else None
                )
            ax.plot(
                [arm.exact_fit.breakpoints[j]],
                [y],
                "D",
                mfc="none",
                color="0.45",
                ms=5,
                label="fit of exact E(n)" if i == j == 0 else None,
            )
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{a.settings.name} / {c.learner}" for a, c in reversed(rows)], fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("training-set size n")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return save_figure(fig, path)


def plot_exact_breakpoints(grid: ExactGridResult, path: Path) -> Path:
    fig = new_figure(6.4, 5.0)
    ax = fig.subplots()
    lo = min(float(np.min([f.predicted for f in grid.fits])), 1.0)
    hi = max(float(np.max([f.ci for f in grid.fits])), 10.0)
    line = np.array([lo / 2, hi * 2])
    ax.fill_between(line, line / 2, line * 2, color="0.9", label="within a factor 2")
    ax.plot(line, line, color="0.4", lw=1)
    for i, (name, marker) in enumerate((("n1 (end of rapid learning)", "o"), ("n2", "s"))):
        for eligible in (True, False):
            pts = [f for f in grid.fits if f.eligible == eligible]
            if not pts:
                continue
            x = np.array([f.predicted[i] for f in pts])
            y = np.array([f.fitted[i] for f in pts])
            ci = np.array([f.ci[i] for f in pts])
            ax.errorbar(
                x,
                y,
                yerr=np.abs(ci.T - y),
                fmt=marker,
                ms=4,
                color=PALETTE[i],
                mfc=PALETTE[i] if eligible else "white",
                elinewidth=0.8,
                label=f"{name}, " + ("n2/n1 ≥ 10" if eligible else "n2/n1 < 10"),
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("predicted breakpoint (Z k^β / A, Z (k+1)^β / π)")
    ax.set_ylabel("fitted breakpoint (90% interval)")
    ax.set_title(
        f"{grid.n_eligible} settings with a plateau: {grid.within_factor_2:.0%} within a "
        f"factor 2; slopes {grid.slope_n1:.3f} (n1), {grid.slope_n2:.3f} (n2)",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3, which="both")
    return save_figure(fig, path)


def plot_exact_examples(grid: ExactGridResult, path: Path) -> Path:
    pis = sorted({f.pi for f in grid.fits})
    ks = sorted({f.k for f in grid.fits})
    betas = sorted({f.beta for f in grid.fits})
    pick = [f for f in grid.fits if f.pi == pis[0] and f.k == ks[len(ks) // 2] and f.beta in betas]
    fig = new_figure(4.0 * len(pick), 3.8)
    axes = np.atleast_1d(fig.subplots(1, len(pick)))
    for ax, f in zip(axes, pick, strict=True):
        ax.loglog(f.n, f.observed, "o", ms=3, mfc="white", color=PALETTE[0], label="noisy E(n)")
        ax.loglog(f.n, f.clean_curve, "-", color="0.5", lw=1, label="exact E(n)")
        ax.loglog(f.n, f.fit_curve, "-", color=PALETTE[1], lw=2, label="three-phase fit")
        for i in range(2):
            ax.axvspan(*f.ci[i], color=PALETTE[2 + i], alpha=0.15)
            ax.axvline(f.predicted[i], color=PALETTE[2 + i], ls="--", lw=1.2)
        ax.set_title(f"β = {f.beta:g}, k = {f.k}, π = {f.pi:g}", fontsize=9)
        ax.set_xlabel("training-set size n")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("test error")
    axes[0].legend(fontsize=7)
    return save_figure(fig, path)


def plot_robustness(rows: Sequence[RobustnessRow], path: Path) -> Path:
    fig = new_figure(7.0, 0.45 * len(rows) + 1.5)
    ax = fig.subplots()
    ax.axvspan(0.5, 2.0, color="0.92")
    ax.axvline(1.0, color="0.4", lw=1)
    for j, row in enumerate(rows):
        for i, marker in enumerate(("o", "s")):
            for rule, pred, color in (
                ("frontier", row.frontier_prediction, PALETTE[0]),
                ("Zipf, fitted β", row.zipf_prediction, PALETTE[1]),
            ):
                if np.isfinite(pred[i]):
                    off = 0.12 if rule == "frontier" else -0.12
                    ax.plot(
                        row.fitted[i] / pred[i],
                        j + off,
                        marker,
                        color=color,
                        mfc=color if i == 0 else "white",
                        label=f"{rule}, n{i + 1}" if j == 0 else None,
                    )
        if not np.isfinite(row.frontier_prediction).any():
            ax.text(
                1.0,
                j,
                f"no hard cut: BIC prefers {row.n_phases} phase(s)",
                ha="center",
                va="center",
                fontsize=7,
                color="0.3",
            )
    ax.set_yticks(range(len(rows)), [r.name for r in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("fitted / predicted breakpoint (shaded: within a factor 2)")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3, axis="x", which="both")
    return save_figure(fig, path)


def plot_three_phase_fit(
    n: FloatArray, err: FloatArray, fit: ThreePhaseFit, path: str | os.PathLike[str]
) -> Path:
    """A user's learning curve with its three-phase fit and the breakpoints' intervals.

    The breakpoints are drawn only when BIC supports three phases (``fit.three_phases``);
    otherwise the forced three-segment curve is drawn dotted and the title says so.
    """
    fig = new_figure(6.4, 4.2)
    ax = fig.subplots()
    grid = np.logspace(np.log10(n.min()), np.log10(n.max()), 300)
    ax.loglog(n, err, "o", mfc="white", color=PALETTE[0], ms=4, label="your curve")
    if fit.three_phases:
        ax.loglog(grid, fit.predict(grid), "-", color=PALETTE[1], lw=2, label="three-phase fit")
        for i, name in enumerate(("end of rapid learning", "end of plateau")):
            lo, hi = fit.breakpoints_ci[i]
            ax.axvspan(lo, hi, color=PALETTE[2 + i], alpha=0.15)
            ax.axvline(fit.breakpoints[i], color=PALETTE[2 + i], ls="--", label=f"{name} (CI)")
        title = "three phases (BIC); slopes " + ", ".join(f"{s:.2f}" for s in fit.slopes)
    else:
        label = "three-segment fit (not supported)"
        ax.loglog(grid, fit.predict(grid), ":", color=PALETTE[1], lw=1.5, label=label)
        title = f"no three phases: BIC prefers {fit.n_phases} segment(s)"
    ax.set_xlabel("training-set size n")
    ax.set_ylabel("test error")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return save_figure(fig, path)
