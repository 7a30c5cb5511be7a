"""Figures of the learned-model scaling experiment (``synthmix reproduce scaling-learned``).

Drawn on the Agg canvas directly (see :mod:`synthmix.plotting.rmt`); matplotlib is imported
only when a figure is drawn.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthmix.plotting.canvas import PALETTE, new_figure, save_figure

if TYPE_CHECKING:
    from synthmix.scaling.learned import LearnedScalingResult

__all__ = ["plot_learned_breakpoints", "plot_learned_curves"]


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
    seeds; crosses: the spec's ``n1 = Z k^β / A``, ``n2 = Z (k+1)^β / π`` (absent for arms
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
