"""Reading the 10-class MLP protocol: findings, payload, summary and its report section.

The protocol itself (docs/math/rmt.md, Fig 5/7, made random) is
:func:`synthmix.surrogate.mlp.run_mlp_protocol`; this module turns its result into the
sentences, JSON and HTML the real-data reproductions publish. The report classes are imported
inside the functions that use them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from synthmix.plotting.mlp import plot_mlp_protocol
from synthmix.surrogate.mlp import (
    MLP_FULL,
    MLP_QUICK,
    MLPGrid,
    MLPProtocolResult,
    MLPPruning,
    mlp_config,
    mlp_subsample,
    run_mlp_protocol,
)

if TYPE_CHECKING:
    import os

    from synthmix.report.html import Section

__all__ = [
    "MLP_FULL",
    "MLP_QUICK",
    "MLPGrid",
    "MLPProtocolResult",
    "MLPPruning",
    "mlp_config",
    "mlp_findings",
    "mlp_payload",
    "mlp_section",
    "mlp_subsample",
    "mlp_summary",
    "plot_mlp_protocol",
    "run_mlp_protocol",
]

# --------------------------------------------------------------------------- reading it


def _paired(
    result: MLPProtocolResult, a: tuple[Any, ...], b: tuple[Any, ...]
) -> tuple[float, float]:
    """Mean and paired standard error over repetitions of ``accuracy[a] − accuracy[b]``."""
    d = result.accuracy[(slice(None), *a)] - result.accuracy[(slice(None), *b)]
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.shape[0]))


def _verdict(mean: float, se: float) -> str:
    if mean > 2 * se:
        return "higher"
    if mean < -2 * se:
        return "lower"
    return "no clear difference"


def _points(mean: float, se: float) -> str:
    return f"{100 * mean:+.1f} ± {100 * se:.1f} pts"


def mlp_findings(result: MLPProtocolResult) -> list[dict[str, Any]]:
    """The paper's qualitative claims, checked against the measured accuracies.

    Each finding compares accuracies at the largest synthetic share by *paired* differences
    over repetitions (same split, same real images), and calls a difference ``"higher"`` or
    ``"lower"`` when it exceeds two paired standard errors.

    Returns
    -------
    list of dict
        ``{"claim", "holds", "text", "contrasts"}``; ``holds`` is True, False, or None when
        the grid lacks what the claim needs; ``contrasts`` lists ``{"what", "diff", "se",
        "verdict"}``.
    """
    g = result.grid
    last = len(g.shares) - 1
    top = g.shares[last]
    names = [p.name for p in g.prunings]
    labels = result.n_use_labels
    configs = [(a, b) for a in range(len(g.n_uses)) for b in range(len(g.covariances))]

    def cfg(a: int, b: int) -> str:
        return f"n_use {labels[a]}, {g.covariances[b]}"

    def contrast(what: str, x: tuple[Any, ...], y: tuple[Any, ...]) -> dict[str, Any]:
        mean, se = _paired(result, x, y)
        return {"what": what, "diff": mean, "se": se, "verdict": _verdict(mean, se)}

    out: list[dict[str, Any]] = []
    has_zero = g.shares[0] == 0 and top > 0
    for setting, claim, want in (
        ("oracle", "oracle pruning helps or does not hurt as the synthetic share grows", "ok"),
        ("none", "without pruning, ε = 0.3 label noise degrades accuracy", "lower"),
    ):
        if setting not in names or not has_zero:
            out.append({"claim": claim, "holds": None, "text": "not in this grid", "contrasts": []})
            continue
        i = names.index(setting)
        cs = [
            contrast(
                f"{setting}, {cfg(a, b)}: share {top:g} − real only", (a, b, i, last), (a, b, i, 0)
            )
            for a, b in configs
        ]
        groups = {
            v: [
                f"{labels[a]} {g.covariances[b]}"
                for (a, b), c in zip(configs, cs, strict=True)
                if c["verdict"] == v
            ]
            for v in ("higher", "lower", "no clear difference")
        }
        holds = not groups["lower"] if want == "ok" else len(groups["lower"]) > len(cs) / 2
        text = f"{setting} at share {top:g} vs real images only: " + "; ".join(
            f"{v} in {len(names_)} of {len(cs)} generator settings"
            + (f" (n_use {', '.join(names_)})" if 0 < len(names_) < len(cs) else "")
            for v, names_ in groups.items()
            if names_
        )
        out.append({"claim": claim, "holds": holds, "text": text, "contrasts": cs})

    claim = "pruning (oracle, strong) beats no pruning at the largest share"
    if {"oracle", "none"} <= set(names) and top > 0:
        io, i_n = names.index("oracle"), names.index("none")
        cs = [
            contrast(f"oracle − none, {cfg(a, b)}", (a, b, io, last), (a, b, i_n, last))
            for a, b in configs
        ]
        if "strong" in names:
            i_s = names.index("strong")
            cs += [
                contrast(f"strong − none, {cfg(a, b)}", (a, b, i_s, last), (a, b, i_n, last))
                for a, b in configs
            ]
        n_higher = sum(c["verdict"] == "higher" for c in cs)
        out.append(
            {
                "claim": claim,
                "holds": n_higher > len(cs) / 2,
                "text": f"higher in {n_higher} of {len(cs)} contrasts",
                "contrasts": cs,
            }
        )
    else:
        out.append({"claim": claim, "holds": None, "text": "not in this grid", "contrasts": []})

    claim = "a better generator (more images n_use) helps, under oracle pruning"
    if len(g.n_uses) > 1 and "oracle" in names and top > 0:
        io = names.index("oracle")
        hi = len(g.n_uses) - 1
        cs = [
            contrast(
                f"oracle, {g.covariances[b]}: n_use {labels[hi]} − n_use {labels[0]}",
                (hi, b, io, last),
                (0, b, io, last),
            )
            for b in range(len(g.covariances))
        ]
        n_higher = sum(c["verdict"] == "higher" for c in cs)
        out.append(
            {
                "claim": claim,
                "holds": n_higher > 0 and not any(c["verdict"] == "lower" for c in cs),
                "text": f"higher in {n_higher} of {len(cs)} covariance settings",
                "contrasts": cs,
            }
        )
    else:
        out.append({"claim": claim, "holds": None, "text": "not in this grid", "contrasts": []})

    claim = "estimated covariance beats identity when it is estimated from enough images"
    if {"identity", "estimated"} <= set(g.covariances) and "oracle" in names and top > 0:
        io = names.index("oracle")
        be, bi = g.covariances.index("estimated"), g.covariances.index("identity")
        cs = [
            contrast(
                f"oracle, n_use {labels[a]}: estimated − identity",
                (a, be, io, last),
                (a, bi, io, last),
            )
            for a in range(len(g.n_uses))
        ]
        # "enough images": the largest n_use of the grid
        out.append(
            {
                "claim": claim,
                "holds": cs[-1]["verdict"] == "higher",
                "text": ", ".join(f"n_use {labels[a]}: {cs[a]['verdict']}" for a in range(len(cs))),
                "contrasts": cs,
            }
        )
    else:
        out.append({"claim": claim, "holds": None, "text": "not in this grid", "contrasts": []})
    return out


def mlp_payload(result: MLPProtocolResult) -> dict[str, Any]:
    """Everything behind the figure and the section, as JSON types (for ``results.json``)."""
    g = result.grid
    cells = []
    for a, n_use in enumerate(g.n_uses):
        for b, cov in enumerate(g.covariances):
            for i, pr in enumerate(g.prunings):
                for j, share in enumerate(g.shares):
                    cells.append(
                        {
                            "n_use": "all" if n_use is None else n_use,
                            "n_use_images": result.pool_per_class if n_use is None else n_use,
                            "covariance": cov,
                            "pruning": pr.name,
                            "rho": pr.rho,
                            "phi": pr.phi,
                            "share": share,
                            "m": result.synthetic_counts[j],
                            "accuracy_mean": float(result.accuracy_mean[a, b, i, j]),
                            "accuracy_se": float(result.accuracy_se[a, b, i, j]),
                            "accuracy_per_repeat": result.accuracy[:, a, b, i, j].tolist(),
                            "kept_fraction": _num(result.kept_fraction[a, b, i, j]),
                            "wrong_among_kept": _num(result.kept_noise[a, b, i, j]),
                        }
                    )
    return {
        "dataset": result.dataset,
        "seed": result.seed,
        "quick": result.quick,
        "seconds": result.seconds,
        "n_jobs": result.n_jobs,
        "grid": {**asdict(g), "n_uses": ["all" if u is None else u for u in g.n_uses]},
        "n_classes": result.n_classes,
        "n_train": g.n_per_class * result.n_classes,
        "n_test": result.n_test,
        "pool_per_class": result.pool_per_class,
        "synthetic_counts": list(result.synthetic_counts),
        "features": "pixels minus the real training images' mean, divided by one global scale "
        "(root mean per-pixel variance of those images)",
        "model": f"sklearn MLPClassifier: one hidden layer of {g.hidden} ReLU units, Adam, "
        f"batch {g.batch_size}, {g.steps} steps per fit, no early stopping",
        "label_noise": "each synthetic label independently, w.p. epsilon, to one of the other "
        "classes uniformly",
        "real_only_accuracy": float(result.accuracy_mean[0, 0, 0, 0]) if g.shares[0] == 0 else None,
        "real_only_se": float(result.accuracy_se[0, 0, 0, 0]) if g.shares[0] == 0 else None,
        "cells": cells,
        "findings": mlp_findings(result),
    }


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def mlp_summary(result: MLPProtocolResult) -> dict[str, Any]:
    """Headline numbers: real-only accuracy, accuracy at the largest share, verdicts, time."""
    g = result.grid
    labels = result.n_use_labels
    at_top = {
        pr.name: {
            f"n_use {labels[a]}, {cov}": round(float(result.accuracy_mean[a, b, i, -1]), 4)
            for a in range(len(g.n_uses))
            for b, cov in enumerate(g.covariances)
        }
        for i, pr in enumerate(g.prunings)
    }
    return {
        "real_only_accuracy": (
            round(float(result.accuracy_mean[0, 0, 0, 0]), 4) if g.shares[0] == 0 else None
        ),
        "largest_share": g.shares[-1],
        "accuracy_at_largest_share": at_top,
        "findings_hold": {f["claim"]: f["holds"] for f in mlp_findings(result)},
        "seconds": round(result.seconds, 1),
    }


# --------------------------------------------------------------------------- figure and report


def mlp_section(result: MLPProtocolResult, figure_path: str | os.PathLike[str]) -> Section:
    """A report section: protocol, figure, measured findings and every accuracy.

    Parameters
    ----------
    result : MLPProtocolResult
    figure_path : path-like
        The PNG written by :func:`plot_mlp_protocol`.

    Returns
    -------
    synthmix.report.html.Section
    """
    from synthmix.report.html import Bullets, Callout, Figure, Section, Table

    g = result.grid
    labels = result.n_use_labels
    findings = mlp_findings(result)
    checked = [f for f in findings if f["holds"] is not None]
    real = (
        f"Real images only: {result.accuracy_mean[0, 0, 0, 0]:.3f} ± "
        f"{result.accuracy_se[0, 0, 0, 0]:.3f}. "
        if g.shares[0] == 0
        else ""
    )
    protocol = (
        f"The paper's Fig. 5/7 protocol on all {result.n_classes} classes of {result.dataset}: "
        f"{g.n_per_class} real training images per class ({g.n_per_class * result.n_classes} "
        f"in all), {result.n_test} held-out real test images (never used to fit anything), "
        f"and m synthetic images from a per-class Gaussian fitted on n_use real images of the "
        f"class (all = the {result.pool_per_class} non-test images of a class), with identity "
        "or estimated covariance (rank ≤ n_use − 1, nothing added). "
        f"Each synthetic label is changed with probability ε = {g.epsilon:g} to one of the "
        "other classes at random, then pruned by independent coin flips (keep a right label "
        "w.p. φ, a wrong one w.p. ρ). Model: scikit-learn MLPClassifier with one hidden layer "
        f"of {g.hidden} ReLU units, Adam, {g.steps} steps of batch {g.batch_size} per fit "
        "(same budget whatever the data size). Features: pixels centred by the real training "
        "images' mean and divided by one global scale from them, so 'identity' covariance is "
        "isotropic noise with the real images' average per-pixel variance. "
        f"{g.n_repeats} repetitions (random splits); mean ± standard error."
    )
    verdict = (
        f"{real}{sum(bool(f['holds']) for f in checked)} of {len(checked)} qualitative claims "
        f"of the paper hold in this run (paired differences at share {g.shares[-1]:g}, "
        "'higher/lower' = beyond 2 paired s.e.). Wall time "
        f"{result.seconds:.0f} s (n_jobs = {result.n_jobs})."
    )
    bullets = []
    for f in findings:
        state = {True: "holds", False: "does not hold", None: "not tested"}[f["holds"]]
        detail = "; ".join(
            f"{c['what']}: {_points(c['diff'], c['se'])} ({c['verdict']})" for c in f["contrasts"]
        )
        bullets.append(f"{f['claim']} — {state}: {f['text']}." + (f" {detail}." if detail else ""))
    columns = ["n_use", "covariance", "pruning (ρ, φ)", *[f"share {s:g}" for s in g.shares]]
    rows = []
    for a in range(len(g.n_uses)):
        for b, cov in enumerate(g.covariances):
            for i, pr in enumerate(g.prunings):
                rows.append(
                    [
                        labels[a],
                        cov,
                        f"{pr.name} ({pr.rho:g}, {pr.phi:g})",
                        *[
                            f"{result.accuracy_mean[a, b, i, j]:.3f} ± "
                            f"{result.accuracy_se[a, b, i, j]:.3f}"
                            for j in range(len(g.shares))
                        ],
                    ]
                )
    kept = ", ".join(
        f"{pr.name} keeps {np.nanmean(result.kept_fraction[:, :, i, :]):.2f} of the synthetic "
        f"images ({np.nanmean(result.kept_noise[:, :, i, :]):.2f} of them mislabelled)"
        for i, pr in enumerate(g.prunings)
    )
    counts = ", ".join(
        f"{s:g} → m = {m}" for s, m in zip(g.shares, result.synthetic_counts, strict=True)
    )
    return Section(
        "A 10-class MLP on real + synthetic images (the paper's Fig. 5/7 protocol)",
        [
            protocol,
            Figure(
                figure_path,
                "Held-out accuracy of the MLP vs the synthetic share, per generator; lines per "
                "pruning setting (±2 s.e.); dashed: real images only.",
            ),
            Callout(verdict, "Measured"),
            Bullets(bullets),
            Table(
                columns,
                rows,
                caption=f"Test accuracy, mean ± s.e. over {g.n_repeats} repetitions. Synthetic "
                f"counts: {counts}. Measured pruning: {kept}.",
            ),
        ],
    )
