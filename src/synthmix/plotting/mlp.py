"""Figure of the 10-class MLP protocol (:func:`synthmix.surrogate.mlp.run_mlp_protocol`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthmix.plotting.canvas import PALETTE, new_figure, save_figure

if TYPE_CHECKING:
    from synthmix.surrogate.mlp import MLPProtocolResult

__all__ = ["plot_mlp_protocol"]


def plot_mlp_protocol(result: MLPProtocolResult, path: str | os.PathLike[str]) -> Path:
    """One panel per (covariance, n_use): accuracy vs synthetic share, a line per pruning.

    Error bars are ±2 standard errors over repetitions; the dashed grey line is the
    real-only accuracy (share 0). All panels share the y axis.

    Parameters
    ----------
    result : MLPProtocolResult
    path : path-like
        PNG, written atomically.

    Returns
    -------
    Path
    """
    g = result.grid
    rows, cols = len(g.covariances), len(g.n_uses)
    fig = new_figure(max(4.2 * cols, 6.0), 3.3 * rows + (1.2 if cols > 1 else 1.5))
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    shares = np.asarray(g.shares)
    labels = result.n_use_labels
    lo = np.nanmin(result.accuracy_mean - 2 * result.accuracy_se)
    hi = np.nanmax(result.accuracy_mean + 2 * result.accuracy_se)
    pad = 0.05 * max(hi - lo, 0.02)
    markers = ("o", "s", "^", "D", "v")
    for b, cov in enumerate(g.covariances):
        for a in range(len(g.n_uses)):
            ax = axes[b, a]
            if g.shares[0] == 0:
                ax.axhline(
                    result.accuracy_mean[a, b, 0, 0],
                    color="0.5",
                    ls="--",
                    lw=1.0,
                    label="real images only",
                )
            for i, pr in enumerate(g.prunings):
                offset = (i - (len(g.prunings) - 1) / 2) * 0.006  # keep error bars apart
                ax.errorbar(
                    shares + offset,
                    result.accuracy_mean[a, b, i],
                    yerr=2 * result.accuracy_se[a, b, i],
                    color=PALETTE[i % len(PALETTE)],
                    marker=markers[i % len(markers)],
                    ms=4.5,
                    lw=1.6,
                    capsize=3,
                    label=f"{pr.name} (ρ={pr.rho:g}, φ={pr.phi:g})",
                )
            ax.set_title(f"n_use = {labels[a]}, {cov} covariance", fontsize=10)
            ax.set_ylim(lo - pad, hi + pad)
            ax.set_xticks(shares)
            ax.set_xticklabels([f"{s:g}" for s in shares])
            ax.grid(alpha=0.3)
            if b == rows - 1:
                ax.set_xlabel("synthetic proportion m / (n + m)")
            if a == 0:
                ax.set_ylabel("test accuracy (10 classes)")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        names,
        loc="outside lower center",
        ncol=4 if cols > 1 else 2,
        fontsize=9,
        frameon=False,
    )
    fig.suptitle(
        f"{result.dataset}: MLP on {g.n_per_class} real images/class + Gaussian synthetic "
        f"images\nlabel noise ε = {g.epsilon:g}; mean ± 2 s.e. over {g.n_repeats} repetitions",
        fontsize=11,
    )
    return save_figure(fig, path)
