"""The demo report's five figures, drawn from its saved stage results (``results.json``).

Each takes one stage's JSON mapping, so ``synthmix report`` can redraw them without
computing; each writes a PNG atomically and returns its path.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from synthmix.plotting.canvas import PALETTE, new_figure, save_figure

__all__ = [
    "draw_verifier_panel",
    "plot_phase_transition",
    "plot_scaling",
    "plot_synthetic_share",
    "plot_text",
    "plot_valuation",
]

_SETTING_COLORS = {"oracle": PALETTE[2], "model verifier": PALETTE[0], "no pruning": PALETTE[1]}


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{100.0 * x:.{digits}f}"


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def plot_synthetic_share(stage: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Accuracy vs synthetic share, one panel per task: theory (lines), measured (±2 s.e.).

    Parameters
    ----------
    stage : mapping
        ``results.json["analyses"]["synthetic_share"]``.
    path : path-like
        PNG written atomically.

    Returns
    -------
    Path
    """
    tasks = stage["tasks"]
    cols = min(3, len(tasks))
    rows = math.ceil(len(tasks) / cols)
    fig = new_figure(max(7.5, 4.8 * cols), 3.7 * rows + 0.9)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    names = [s["name"] for s in stage["settings"]]
    for ax, task in zip(axes, tasks, strict=False):
        for k, name in enumerate(names):
            cells = sorted(
                (c for c in task["conditions"] if c["setting"] == name), key=lambda c: c["share"]
            )
            color = _SETTING_COLORS.get(name, PALETTE[k % len(PALETTE)])
            share = [c["share"] for c in cells]
            ax.plot(
                share,
                [100 * c["predicted"] for c in cells],
                "-",
                color=color,
                lw=1.8,
                label=f"{name}: theory",
            )
            ax.errorbar(
                share,
                [100 * c["measured"] for c in cells],
                yerr=[200 * c["measured_stderr"] for c in cells],
                fmt="o",
                mfc="white",
                color=color,
                ms=5,
                capsize=3,
                label=f"{name}: measured (±2 s.e.)",
            )
        ax.set_title(
            f"{task['task']} — mean |theory − measured| {task['mean_abs_gap_points']:.1f} pts",
            fontsize=10,
        )
        ax.set_xlabel("synthetic share m / (n + m)")
        ax.set_ylabel("held-out accuracy (%)")
        ax.grid(alpha=0.3)
    for ax in axes[len(tasks) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=3 if cols > 1 else 2,
        fontsize=8,
        frameon=False,
    )
    return save_figure(fig, path)


def plot_phase_transition(stage: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Synthetic-only accuracy vs label noise: theory curves, Monte-Carlo markers, ε*.

    Parameters
    ----------
    stage : mapping
        ``results.json["analyses"]["phase_transition"]``.
    path : path-like

    Returns
    -------
    Path
    """
    par = stage["parameters"]
    es, hi, lo = stage["epsilon_star"], stage["step_high"], stage["step_low"]
    fig = new_figure(7.8, 4.8)
    ax = fig.subplots()
    ax.plot(
        [0.0, es, es, 1.0],
        [hi, hi, lo, lo],
        color="black",
        ls="--",
        lw=1.3,
        label="infinite data (p/m → 0)",
    )
    for k, curve in enumerate(stage["curves"]):
        color = PALETTE[k % len(PALETTE)]
        ax.plot(
            curve["theory"]["x"],
            curve["theory"]["accuracy"],
            color=color,
            lw=1.8,
            label=curve["label"],
        )
        mks = curve["markers"]
        ax.errorbar(
            [m["x"] for m in mks],
            [m["mc_mean"] for m in mks],
            yerr=[2 * m["mc_stderr"] for m in mks],
            fmt="o",
            mfc="white",
            color=color,
            ms=5,
            capsize=3,
        )
    ax.axhline(0.5, color="0.45", lw=1.0, zorder=0)
    ax.axvline(es, color="#B2182B", ls=":", lw=1.6, zorder=0)
    ax.annotate(
        f"ε* = φ/(φ+ρ) = {es:.3f}",
        xy=(es, 0.5),
        xytext=(es - 0.03, 0.47),
        ha="right",
        va="top",
        fontsize=9,
        color="#B2182B",
    )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(lo - 0.04, hi + 0.04)
    ax.set_xlabel("label-noise rate ε of the synthetic data")
    ax.set_ylabel("test accuracy on real data")
    ax.set_title(
        f"Synthetic data only (p = {par['p']}, |μ| = {par['mu_norm']:g}, verifier ρ = "
        f"{par['rho']:g}, φ = {par['phi']:g}); circles: Monte-Carlo ±2 s.e.",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return save_figure(fig, path)


def plot_scaling(stage: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Learning curves (log–log) and fitted vs predicted breakpoints.

    Left: per learner the mean test error ±1 s.e. over seeds, the fitted three-phase law
    (dashed) and its breakpoint intervals (shaded); black: the exact expected error E(n);
    dotted verticals: the predicted n1, n2; grey: the corruption control when present.
    Right: fitted breakpoints with bootstrap intervals, predicted (×) and the fit of the
    exact curve (◇).

    Parameters
    ----------
    stage : mapping
        ``results.json["analyses"]["scaling"]``.
    path : path-like

    Returns
    -------
    Path
    """
    main = next(a for a in stage["arms"] if a["mode"] == "top_p")
    control = [a for a in stage["arms"] if a is not main]
    fig = new_figure(12.0, 4.6)
    ax, bx = fig.subplots(1, 2, width_ratios=(1.6, 1.0))
    ax.plot(
        main["exact"]["n"],
        np.maximum(main["exact"]["error"], 1e-6),
        "k-",
        lw=1.6,
        label="exact E(n) (theory)",
    )
    for j, c in enumerate(main["curves"]):
        color = PALETTE[j % len(PALETTE)]
        floor = c["error_floor"]
        ax.errorbar(
            c["sizes"],
            np.maximum(c["mean"], floor),
            yerr=c["stderr"],
            fmt="o",
            ms=3.5,
            color=color,
            capsize=2,
            label=f"{c['learner']}: mean ± s.e.",
        )
        ax.plot(
            c["fit_curve"]["n"],
            c["fit_curve"]["error"],
            "--",
            lw=1.2,
            color=color,
            label=f"{c['learner']}: three-phase fit",
        )
        for lo, hi in c["fit"]["breakpoints_ci"]:
            ax.axvspan(lo, hi, color=color, alpha=0.08, lw=0)
    for arm in control:
        for c in arm["curves"]:
            ax.errorbar(
                c["sizes"],
                np.maximum(c["mean"], c["error_floor"]),
                yerr=c["stderr"],
                fmt="s",
                ms=3,
                color="0.55",
                capsize=2,
                label=f"{arm['name']}, {c['learner']}",
            )
    for k, b in enumerate(main["predicted_breakpoints"]):
        if b is not None:
            ax.axvline(b, color="0.3", ls=":", lw=1.3)
            ax.text(
                b,
                0.98,
                f" n{k + 1}",
                transform=ax.get_xaxis_transform(),
                va="top",
                fontsize=8,
                color="0.3",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training-set size n (real + synthetic samples)")
    ax.set_ylabel("test error (prior-weighted)")
    ax.set_title(
        f"Top-p generator keeps k = {main['k_median']} classes, real share π = {main['pi']:g}",
        fontsize=10,
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    rows = [(c["learner"], c["fit"]) for c in main["curves"]]
    rows.append(("exact E(n)", main["exact_fit"]))
    for i, (label, fit) in enumerate(rows):
        y = len(rows) - 1 - i
        for j, color in enumerate((PALETTE[0], PALETTE[1])):
            lo, hi = fit["breakpoints_ci"][j]
            bx.plot([lo, hi], [y, y], color=color, lw=2)
            bx.plot(
                [fit["breakpoints"][j]],
                [y],
                "D" if label == "exact E(n)" else "o",
                color=color,
                ms=5,
                mfc="white" if label == "exact E(n)" else color,
                label=f"fitted n{j + 1} ({round(100 * fit['confidence'])}% CI)" if i == 0 else None,
            )
    for j, b in enumerate(main["predicted_breakpoints"]):
        if b is not None:
            bx.axvline(b, color="black", ls=":", lw=1.2)
            bx.plot(
                [b],
                [len(rows) - 0.4],
                "kx",
                ms=7,
                label="predicted (spec formulas)" if j == 0 else None,
            )
    bx.set_yticks(range(len(rows)))
    bx.set_yticklabels([r[0] for r in reversed(rows)], fontsize=8)
    bx.set_ylim(-0.6, len(rows) - 0.1)
    bx.set_xscale("log")
    bx.set_xlabel("training-set size n")
    bx.set_title("Breakpoints: fitted (intervals) vs predicted", fontsize=10)
    bx.grid(True, axis="x", alpha=0.3)
    bx.legend(fontsize=7, loc="lower right")
    return save_figure(fig, path)


def plot_valuation(stage: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Agreement of each method with retraining (Spearman, CI) and the mixture score's scatter.

    Parameters
    ----------
    stage : mapping
        ``results.json["analyses"]["valuation"]``.
    path : path-like

    Returns
    -------
    Path
    """
    methods = stage["methods"]
    fig = new_figure(12.0, 4.4)
    ax, bx = fig.subplots(1, 2, width_ratios=(1.0, 1.3))
    y = np.arange(len(methods))[::-1]
    est = np.array([m["spearman"] for m in methods])
    ci = np.array([m["spearman_ci"] for m in methods])
    ax.barh(y, est, color=[PALETTE[0] if m["method"] == "mixture" else "0.6" for m in methods])
    ax.errorbar(est, y, xerr=[est - ci[:, 0], ci[:, 1] - est], fmt="none", color="black", capsize=3)
    ax.set_yticks(y)
    ax.set_yticklabels([m["label"] for m in methods], fontsize=8)
    ax.axvline(0, color="0.3", lw=1)
    ax.set_xlim(-1, 1)
    ax.set_xlabel(
        f"Spearman with retraining ({round(100 * stage['confidence'])}% bootstrap CI over sources)"
    )
    ax.set_title("Does the ranking match retraining?", fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    ours = next((m for m in methods if m["method"] == "mixture"), methods[0])
    _value_scatter(bx, stage, ours)
    return save_figure(fig, path)


def _value_scatter(bx: Any, stage: Mapping[str, Any], method: Mapping[str, Any]) -> None:
    """One method's value of each source against its ground truth, one marker per kind."""
    truth = stage["ground_truth"]["values"]
    names = list(truth)
    kinds = {s["name"]: s["kind"] for s in stage["sources"]}
    for k, kind in enumerate(sorted(set(kinds.values()))):
        sel = [n for n in names if kinds[n] == kind]
        bx.scatter(
            [100 * truth[n] for n in sel],
            [method["values"][n] for n in sel],
            color=PALETTE[k % len(PALETTE)],
            marker="os^Dv<>"[k // len(PALETTE) % 7],
            s=36,
            label=kind,
        )
    for n in names:
        bx.annotate(
            n.split("-")[0],
            (100 * truth[n], method["values"][n]),
            fontsize=6,
            xytext=(3, 2),
            textcoords="offset points",
        )
    bx.set_xlabel("ground truth: accuracy of a model trained on the source alone (%)")
    bx.set_ylabel(f"{method['method']} value (higher = more valuable)")
    bx.set_title(f"{method['label']}: Spearman {method['spearman']:.2f}", fontsize=10)
    bx.grid(alpha=0.3)
    bx.legend(fontsize=7, loc="best", title="source kind", title_fontsize=7)


def draw_verifier_panel(
    ax: Any, conditions: list[Mapping[str, Any]], setting: str, verifiers: tuple[str, ...]
) -> None:
    """Held-out accuracy vs synthetic share for one sampling setting, one colour per verifier.

    ``conditions`` are ``rmt-llm`` conditions (``setting``, ``verifier``, ``share``,
    ``predicted``, ``measured``, ``measured_se``): lines predicted, markers measured ± 2 s.e.
    """
    for colour, verifier in zip(PALETTE, verifiers, strict=False):
        cells = [c for c in conditions if c["setting"] == setting and c["verifier"] == verifier]
        if not cells:
            continue
        share = [c["share"] for c in cells]
        ax.plot(share, [c["predicted"] for c in cells], "-", color=colour, label=verifier)
        ax.errorbar(
            share,
            [c["measured"] for c in cells],
            yerr=[2 * c["measured_se"] for c in cells],
            fmt="o",
            color=colour,
            ms=3,
        )
    ax.set_xlabel("synthetic share m / (n + m)")


def plot_text(stage: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Real vs LLM-written text: accuracy by verifier (theory vs measured) and source values.

    Parameters
    ----------
    stage : mapping
        ``results.json["analyses"]["text"]``; when it did not run, the figure says why.
    path : path-like

    Returns
    -------
    Path
    """
    fig = new_figure(12.0, 4.4)
    if not stage.get("available"):
        ax = fig.subplots(1, 1)
        ax.axis("off")
        ax.text(0.5, 0.5, f"Not run: {stage.get('reason', '')}", ha="center", wrap=True)
        return save_figure(fig, path)
    share, val = stage["share"], stage["valuation"]
    ax, bx = fig.subplots(1, 2, width_ratios=(1.0, 1.3))
    setting = share["settings"][0]
    verifiers = tuple(dict.fromkeys(c["verifier"] for c in share["conditions"]))
    draw_verifier_panel(ax, share["conditions"], setting["setting"], verifiers)
    ax.set_ylabel("held-out accuracy on real tweets")
    ax.set_title(
        f"Real + SmolLM2 tweets ({setting['setting']}, ε̂ = {setting['epsilon']:.2f})", fontsize=10
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, title="verifier", title_fontsize=7)
    methods = val["methods"]
    ours = next((m for m in methods if m["method"] == "proxy_ensemble"), methods[0])
    _value_scatter(bx, val, ours)
    return save_figure(fig, path)
