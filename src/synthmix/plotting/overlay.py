"""Predicted-vs-measured figures for real tasks (theory lines, measured markers)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthmix.plotting import PALETTE, new_figure, save_figure

if TYPE_CHECKING:
    from synthmix.surrogate import TaskComparison

__all__ = ["plot_task_overlays"]


def plot_task_overlays(
    comparisons: Sequence[TaskComparison], path: str | os.PathLike[str], *, title: str
) -> Path:
    """One panel per task: predicted accuracy (lines) and measured (markers, ±2 s.e.) vs share.

    Parameters
    ----------
    comparisons : sequence of TaskComparison
    path : path-like
        PNG written atomically.
    title : str
    """
    n = len(comparisons)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig = new_figure(4.6 * cols, 3.6 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, comp in zip(axes.ravel(), comparisons, strict=False):
        names = list(dict.fromkeys(c.setting for c in comp.conditions))
        for k, name in enumerate(names):
            cells = [c for c in comp.conditions if c.setting == name]
            share = np.array([c.share for c in cells])
            color = PALETTE[k % len(PALETTE)]
            ax.plot(
                share,
                [c.predicted for c in cells],
                "-",
                color=color,
                lw=1.8,
                label=f"{name} (theory)",
            )
            ax.errorbar(
                share,
                [c.measured for c in cells],
                yerr=[2 * c.measured_stderr for c in cells],
                fmt="o",
                mfc="white",
                color=color,
                ms=5,
                capsize=3,
                label=f"{name} (measured)",
            )
        ax.set_title(f"{comp.task} — mean |gap| {comp.mean_abs_gap_points:.2f} pts", fontsize=10)
        ax.set_xlabel("synthetic proportion m / (n + m)")
        ax.set_ylabel("held-out accuracy")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=min(4, 2 * cols),
        fontsize=8,
        frameon=False,
    )
    fig.suptitle(title, fontsize=12)
    return save_figure(fig, path)
