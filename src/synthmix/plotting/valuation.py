"""Figures of valuation: ``synthmix value`` and the benchmark (``reproduce valuation-benchmark``).

Drawn on the Agg canvas; matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthmix.plotting.canvas import PALETTE, new_figure, save_figure

if TYPE_CHECKING:
    from synthmix.valuation import ValuationResult
    from synthmix.valuation.benchmark import BenchmarkResult

__all__ = ["plot_agreement", "plot_cost", "plot_source_values"]


def plot_agreement(result: BenchmarkResult, path: Path) -> Path:
    """Per task, each method's mean Spearman with retraining truth and its interval."""

    tasks = list(dict.fromkeys(row["task"] for row in result.table))
    fig = new_figure(4.6 * len(tasks), 0.32 * len(result.table) / max(len(tasks), 1) + 1.6)
    axes = np.atleast_1d(fig.subplots(1, len(tasks), sharey=True))
    for ax, task in zip(axes, tasks, strict=True):
        rows = [r for r in result.table if r["task"] == task and "spearman" in r]
        labels = [r["method"] for r in rows]
        est = np.array([r["spearman"] for r in rows])
        ci = np.array([r["spearman_ci"] for r in rows])
        colors = [PALETTE[1] if lab.startswith("mixture") else PALETTE[0] for lab in labels]
        y = np.arange(len(rows))
        ax.barh(y, est, color=colors, alpha=0.8)
        ax.errorbar(est, y, xerr=np.abs(ci.T - est), fmt="none", color="black", lw=1)
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
        ax.axvline(0, color="0.4", lw=0.8)
        ax.set_xlabel("Spearman vs stand-alone accuracy (90% CI)")
        ax.set_title(task, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    return save_figure(fig, path)


def plot_cost(result: BenchmarkResult, path: Path) -> Path:
    """Agreement against cost: each method's mean Spearman over its seconds per market."""

    fig = new_figure(6.4, 4.4)
    ax = fig.subplots()
    tasks = list(dict.fromkeys(row["task"] for row in result.table))
    for i, task in enumerate(tasks):
        rows = [r for r in result.table if r["task"] == task and r.get("seconds", 0) > 0]
        ax.scatter(
            [r["seconds"] for r in rows],
            [r["spearman"] for r in rows],
            color=PALETTE[i],
            label=task,
            s=18,
        )
        for r in rows:
            ax.annotate(r["method"], (r["seconds"], r["spearman"]), fontsize=5, alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("seconds per market (10 contributors)")
    ax.set_ylabel("mean Spearman with stand-alone accuracy")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return save_figure(fig, path)


def plot_source_values(result: ValuationResult, path: str | os.PathLike[str]) -> Path:
    """Each source's value as a bar, highest on top (above the median in the first colour)."""
    names = result.ranking()[::-1]
    fig = new_figure(6.4, 0.35 * len(names) + 1.4)
    ax = fig.subplots()
    vals = np.array([result.values[n] for n in names])
    ax.barh(names, vals, color=[PALETTE[0] if v >= np.median(vals) else PALETTE[1] for v in vals])
    ax.set_xlabel(f"value ({result.method}; higher = more valuable)")
    ax.grid(alpha=0.3, axis="x")
    return save_figure(fig, path)
