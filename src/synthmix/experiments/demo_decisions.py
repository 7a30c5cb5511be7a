"""The demo report's decisions: each analysis's bottom line, a sentence with its numbers.

Pure functions of the saved stage documents (the ``analyses`` of the demo's
``results.json``), so ``synthmix report`` reaches the same verdicts without recomputing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["decisions", "share_curves"]


def _pct(x: float, digits: int = 1) -> str:
    return f"{100.0 * x:.{digits}f}%"


def _n(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:,.0f}"


def share_curves(stage: Mapping[str, Any]) -> dict[str, dict[str, list[float]]]:
    """Per pruning setting, accuracy vs synthetic share averaged over the tasks.

    Returns
    -------
    dict
        ``setting -> {"share", "measured", "stderr", "predicted", "rho", "phi"}`` (lists over
        shares); the standard error of the task average is ``sqrt(Σ se²) / T``.
    """
    out: dict[str, dict[str, list[float]]] = {}
    names = [s["name"] for s in stage["settings"]]
    shares = [float(s) for s in stage["protocol"]["shares"]]
    for name in names:
        cells = [
            [
                next(c for c in t["conditions"] if c["setting"] == name and c["share"] == s)
                for s in shares
            ]
            for t in stage["tasks"]
        ]
        arr = {
            key: np.array([[c[key] for c in row] for row in cells], dtype=float)
            for key in ("measured", "measured_stderr", "predicted", "rho", "phi")
        }
        t = len(cells)
        out[name] = {
            "share": shares,
            "measured": arr["measured"].mean(axis=0).tolist(),
            "stderr": (np.sqrt((arr["measured_stderr"] ** 2).sum(axis=0)) / t).tolist(),
            "predicted": arr["predicted"].mean(axis=0).tolist(),
            "rho": arr["rho"].mean(axis=0).tolist(),
            "phi": arr["phi"].mean(axis=0).tolist(),
        }
    return out


#: A theory-vs-measurement gap is called systematic when at least this share of the conditions
#: have the same sign and its mean exceeds the effect the predictions are used for.
BIAS_SIGN_SHARE = 0.75


def _theory_bias(stage: Mapping[str, Any], effect: float) -> dict[str, Any]:
    """Signed theory-minus-measurement gaps over every condition, and whether they are a bias.

    ``effect`` (points) is the size of what the predictions qualify: the largest measured gain
    or loss from adding synthetic data (over the practical pruning settings). A bias larger
    than it means the absolute predicted accuracies cannot tell the decision, only their
    differences between settings can.
    """
    gaps = {
        t["task"]: 100.0 * np.array([c["predicted"] - c["measured"] for c in t["conditions"]])
        for t in stage["tasks"]
    }
    every = np.concatenate(list(gaps.values()))
    mean = float(every.mean())
    same_sign = int(np.sum(every > 0) if mean > 0 else np.sum(every < 0))
    systematic = bool(same_sign >= BIAS_SIGN_SHARE * every.size and abs(mean) > effect)
    worst = max(gaps, key=lambda t: abs(float(gaps[t].mean())))
    side = "above" if mean > 0 else "below"
    return {
        "mean_gap_points": mean,
        "same_sign": same_sign,
        "n_conditions": int(every.size),
        "effect_points": float(effect),
        "largest_task": worst,
        "largest_task_gap_points": float(gaps[worst].mean()),
        "systematic": systematic,
        "text": (
            f"the theory sits {side} measurement in {same_sign} of {every.size} conditions "
            f"(mean {mean:+.1f} points, {float(gaps[worst].mean()):+.1f} on {worst}), more than "
            f"the {effect:.1f}-point effect of synthetic data it is used to predict, so trust its "
            "differences between settings rather than its absolute accuracies"
        ),
    }


def _share_decision(stage: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    curves = share_curves(stage)
    eps = float(stage["protocol"]["epsilon"])
    n_real = int(stage["protocol"]["n"])
    per_setting: dict[str, Any] = {}
    for name, c in curves.items():
        meas, pred, se = np.array(c["measured"]), np.array(c["predicted"]), np.array(c["stderr"])
        gain, pgain = meas - meas[0], pred - pred[0]
        j = 1 + int(np.argmax(gain[1:])) if len(gain) > 1 else 0
        pj = 1 + int(np.argmax(pgain[1:])) if len(pgain) > 1 else 0
        no_loss = [s for s, g in zip(c["share"], gain, strict=True) if g >= 0.0]
        worst = int(np.argmin(gain))
        per_setting[name] = {
            "real_only_accuracy": float(meas[0]),
            "best_share": c["share"][j],
            "best_accuracy": float(meas[j]),
            "best_accuracy_stderr": float(se[j]),
            "best_gain_points": float(100.0 * gain[j]),
            "predicted_best_share": c["share"][pj],
            "predicted_best_gain_points": float(100.0 * pgain[pj]),
            "predicted_gain_at_best_share_points": float(100.0 * pgain[j]),
            "no_loss_up_to_share": max(no_loss),
            "worst_share": c["share"][worst],
            "worst_gain_points": float(100.0 * gain[worst]),
            "rho": float(np.mean(c["rho"][1:] or c["rho"])),
            "phi": float(np.mean(c["phi"][1:] or c["phi"])),
        }
    practical = [n for n in curves if n != "oracle"]
    best = max(practical, key=lambda n: float(np.mean(curves[n]["measured"][1:] or [0.0])))
    b = per_setting[best]
    tasks = ", ".join(t["task"] for t in stage["tasks"])
    worst_name = min(practical, key=lambda n: per_setting[n]["worst_gain_points"])
    w = per_setting[worst_name]
    if b["best_gain_points"] > 0:
        head = (
            f"Pruned by the {best}, synthetic images (ε = {eps:.0%} of their labels wrong) "
            f"added to n = {n_real} real ones raise held-out accuracy from "
            f"{_pct(b['real_only_accuracy'])} (real only) to {_pct(b['best_accuracy'])} ± "
            f"{100 * 2 * b['best_accuracy_stderr']:.1f} at a synthetic share of "
            f"{b['best_share']:.0%} ({b['best_gain_points']:+.1f} points; the theory predicted "
            f"{b['predicted_gain_at_best_share_points']:+.1f})"
        )
        head += (
            f", and stay at or above real-only up to a share of {b['no_loss_up_to_share']:.0%}"
            if b["no_loss_up_to_share"] >= b["best_share"]
            else ""
        )
    else:
        head = (
            f"Synthetic data does not help here: even pruned by the {best}, accuracy stays at "
            f"or below real-only {_pct(b['real_only_accuracy'])} (n = {n_real} real images, "
            f"ε = {eps:.0%})"
        )
    text = head + (
        f"; unfiltered ({worst_name}) they cost up to {-w['worst_gain_points']:.1f} "
        f"points (at a share of {w['worst_share']:.0%})."
        if w["worst_gain_points"] < 0 and worst_name != best
        else "."
    )
    # the effect the predictions qualify: the largest gain or loss synthetic data brought
    effect = max(
        max(abs(per_setting[n]["best_gain_points"]), abs(per_setting[n]["worst_gain_points"]))
        for n in practical
    )
    bias = _theory_bias(stage, effect=effect)
    text += (
        f" Theory vs measurement: mean |gap| {stage['mean_abs_gap_points']:.1f} points ({tasks})"
    )
    text += f"; {bias['text']}." if bias["systematic"] else "."
    share_dec = {
        "text": text,
        "best_setting": best,
        "epsilon": eps,
        "n_real": n_real,
        "mean_abs_gap_points": stage["mean_abs_gap_points"],
        "bias": bias,
        "settings": per_setting,
    }
    # which verifier: compare at the share where a perfect filter matters most
    o, none = curves.get("oracle"), curves.get("no pruning")
    if o is not None and none is not None:
        diff = np.array(o["measured"]) - np.array(none["measured"])
        j = int(np.argmax(diff))
    else:
        j = len(curves[best]["share"]) - 1
    share = curves[best]["share"][j]
    acc = {name: curves[name]["measured"][j] for name in curves}
    se_at = {name: curves[name]["stderr"][j] for name in curves}
    recovered = None
    if o is not None and none is not None and acc["oracle"] - acc["no pruning"] > 0.002:
        recovered = (acc[best] - acc["no pruning"]) / (acc["oracle"] - acc["no pruning"])
    others = [n for n in practical if n != best]
    text = (
        f"Use the {best}"
        + (
            f" (keeps φ̂ = {b['phi']:.2f} of the right and ρ̂ = {b['rho']:.2f} of the wrong labels)"
            if best == "model verifier"
            else ""
        )
        + f": at a synthetic share of {share:.0%} it reaches {_pct(acc[best])} ± "
        f"{100 * 2 * se_at[best]:.1f}"
        + "".join(f" vs {_pct(acc[n])} with {n}" for n in others)
        + (
            f" and {_pct(acc['oracle'])} with a perfect (oracle) filter — "
            + (f"{recovered:.0%} of the oracle's gain" if recovered is not None else "")
            if "oracle" in acc
            else ""
        )
        + "."
    )
    verifier_dec = {
        "text": text,
        "recommended": best,
        "share": share,
        "accuracy": acc,
        "stderr": se_at,
        "oracle_gain_recovered": recovered,
        "rho": b["rho"],
        "phi": b["phi"],
    }
    return share_dec, verifier_dec


def _phase_decision(stage: Mapping[str, Any], verifier: Mapping[str, Any] | None) -> dict[str, Any]:
    from synthmix.theory import transition_epsilon

    par = stage["parameters"]
    ag = stage["agreement"]
    eps = float(stage["epsilon_star"])
    text = (
        f"Synthetic data alone trains a classifier only while the label-noise rate stays below "
        f"ε* = φ/(φ+ρ): {eps:.2f} for a verifier with ρ = {par['rho']:g}, φ = {par['phi']:g}"
    )
    out: dict[str, Any] = {"epsilon_star": eps, "rho": par["rho"], "phi": par["phi"]}
    if verifier is not None and verifier.get("recommended") == "model verifier":
        e2 = float(transition_epsilon(rho=verifier["rho"], phi=verifier["phi"]))
        out["epsilon_star_model_verifier"] = e2
        text += f", {e2:.2f} for the model verifier measured above"
    text += (
        ", 0.50 without pruning; above it the classifier learns the opposite task, and more "
        f"data sharpens the transition but never moves it. Theory vs simulation: "
        f"{ag['n_within']}/{ag['n_markers']} Monte-Carlo points agree (max |z| = "
        f"{ag['max_abs_z']:.1f})."
    )
    out.update({"text": text, "n_within": ag["n_within"], "n_markers": ag["n_markers"]})
    return out


def _scaling_decision(stage: Mapping[str, Any]) -> dict[str, Any]:
    arm = next(a for a in stage["arms"] if a["mode"] == "top_p")
    n1, n2 = arm["predicted_breakpoints"]
    curve = next((c for c in arm["curves"] if c["learner"] == "1nn"), arm["curves"][0])
    fit = curve["fit"]
    (f1, f2), ((l1, h1), (l2, h2)) = fit["breakpoints"], fit["breakpoints_ci"]
    conf = round(100 * fit["confidence"])
    pi = float(arm["pi"])
    world = stage["world"]
    real_exit = None if n2 is None else pi * n2
    found = [c["learner"] for c in arm["curves"] if c["three_phases_found"]]
    text = (
        f"With a generator that keeps only the k = {arm['k_median']} most frequent of "
        f"{world['n_items']} Zipf classes (top-p {arm['top_p']:g}) and a real share π = "
        f"{pi:.0%}, learning stalls between n1 ≈ {_n(n1)} and n2 ≈ {_n(n2)} training samples "
        f"(predicted"
        + (f"; plateau error ≈ {_pct(arm['plateau_error'])}" if arm["plateau_error"] else "")
        + (
            f"); the {curve['learner']} curve puts them at {_n(f1)} [{conf}% CI {_n(l1)}, "
            f"{_n(h1)}] and {_n(f2)} [{_n(l2)}, {_n(h2)}]"
            if curve["learner"] in found
            else f"); the {curve['learner']} curve does not show three phases, so it locates "
            "no breakpoint"
        )
        + ". Getting out of the plateau takes ≈ "
        f"{_n(real_exit)} real samples (π·n2): past n1, more synthetic data from the same "
        "truncated generator does not lower the error, only real data covering the tail does."
        + (
            f" Three phases are significant (BIC) for {', '.join(found)}."
            if found
            else " The fit does not single out three phases at this sample size (BIC)."
        )
    )
    return {
        "text": text,
        "k": arm["k_median"],
        "pi": pi,
        "predicted_n1_n2": [n1, n2],
        "fitted_learner": curve["learner"],
        "fitted_n1_n2": [f1, f2],
        "fitted_ci": fit["breakpoints_ci"],
        "real_samples_to_exit_plateau": real_exit,
        "plateau_error": arm["plateau_error"],
        "three_phases_found": found,
    }


def _valuation_decision(stage: Mapping[str, Any]) -> dict[str, Any]:
    truth = stage["ground_truth"]["values"]
    by_name = {s["name"]: s for s in stage["sources"]}
    ranked = sorted(truth, key=lambda n: -truth[n])
    methods = {m["method"]: m for m in stage["methods"]}
    ours = methods.get("proxy_ensemble", methods.get("mixture", stage["methods"][0]))
    conf = round(100 * stage["confidence"])

    def src(n: str) -> str:
        s = by_name[n]
        return f"{n} ({s['size']} samples: {_pct(truth[n])})"

    others = ", ".join(
        f"{m['label'].split(' (')[0]} {m['spearman']:.2f}"
        for m in stage["methods"]
        if m is not ours
    )
    text = (
        f"Of {len(ranked)} sources, the most valuable (accuracy of a model trained on each "
        "alone) are "
        + ", ".join(src(n) for n in ranked[:3])
        + "; least: "
        + ", ".join(src(n) for n in ranked[-2:])
        + f". The retraining-free {ours['method']} score ranks the sources with Spearman "
        f"{ours['spearman']:.2f} [{conf}% CI {ours['spearman_ci'][0]:.2f}, "
        f"{ours['spearman_ci'][1]:.2f}] against retraining"
        + (f" (baselines: {others})" if others else "")
        + f", in {ours['seconds']:.1f} s without retraining."
    )
    best = max(stage["methods"], key=lambda m: m["spearman"])
    if best is not ours:
        text += (
            f" On this market {best['label'].split(' (')[0]} ranks them best "
            f"({best['spearman']:.2f}); the intervals show how uncertain a ranking of "
            f"{len(ranked)} sources is."
        )
    return {
        "text": text,
        "ranking": ranked,
        "top": ranked[:3],
        "bottom": ranked[-2:],
        "method": ours["method"],
        "spearman": ours["spearman"],
        "spearman_ci": ours["spearman_ci"],
        "best_method": best["method"],
        "best_label": best["label"].split(" (")[0],
        "best_spearman": best["spearman"],
        "best_spearman_ci": best["spearman_ci"],
        "n_methods": len(stage["methods"]),
    }


#: Verifiers a user can run on generated text (the ``oracle`` is the reference labeller that
#: defines the texts' classes, so it is shown as the ceiling, never recommended).
_TEXT_VERIFIERS = ("model", "knn", "cleanlab", "llm judge")


def _text_decision(stage: Mapping[str, Any]) -> dict[str, Any]:
    """What SmolLM2-written tweets do, which verifier to use on them, what text sources are worth.

    A difference counts when it exceeds two standard errors (``sqrt(se1² + se2²)``, which
    ignores that the verifiers share their splits and so is conservative).
    """
    if not stage.get("available"):
        return {
            "text": f"Not run: {stage.get('reason', 'the text data are unavailable')}.",
            "available": False,
            "recommended": None,
        }
    share, val = stage["share"], stage["valuation"]
    setting = share["settings"][0]
    name, eps = setting["setting"], float(setting["epsilon"])
    cells = [c for c in share["conditions"] if c["setting"] == name]
    m_max = max(c["m"] for c in cells)
    at = {c["verifier"]: c for c in cells if c["m"] == m_max}
    base = next(c for c in cells if c["m"] == 0)

    def diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[float, float]:
        se = math.hypot(float(a["measured_se"]), float(b["measured_se"]))
        return 100.0 * (float(a["measured"]) - float(b["measured"])), 200.0 * se

    effect, effect_2se = diff(at["none"], base)
    usable = [v for v in _TEXT_VERIFIERS if v in at]
    best = max(usable, key=lambda v: at[v]["measured"]) if usable else None
    gaps = [abs(float(c["gap_points"])) for c in cells]
    n_train = int(share["n_user_train"])
    text = (
        f"Adding {m_max} SmolLM2 tweets ({name}; label noise ε̂ = {eps:.2f} against a reference "
        f"labeller) to {n_train} real ones moves held-out accuracy from "
        f"{_pct(base['measured'])} to {_pct(at['none']['measured'])} unfiltered "
        f"({effect:+.1f} ± {effect_2se:.1f} points)"
    )
    recommended = "no pruning"
    gain = gain_2se = 0.0
    if best is not None:
        gain, gain_2se = diff(at[best], at["none"])
        rates = setting["verifiers"][best]
        if gain > gain_2se:
            recommended = best
            text += (
                f"; filtering with the {best} verifier (keeps {_pct(rates['kept_fraction'], 0)}"
                f", ρ̂ = {rates['rho']:.2f}, φ̂ = {rates['phi']:.2f}) gives "
                f"{_pct(at[best]['measured'])} ({gain:+.1f} ± {gain_2se:.1f} points over "
                "unfiltered)"
            )
        else:
            text += (
                f"; no verifier separates from adding them unfiltered (the best, {best}, "
                f"{gain:+.1f} ± {gain_2se:.1f} points)"
            )
    judge = setting["verifiers"].get("llm judge", {})
    if judge.get("run") and "llm judge" in at:
        j_gain, j_2se = diff(at["llm judge"], at["none"])
        text += (
            f"; the LLM judge keeps {_pct(judge['kept_fraction'], 0)} (ρ̂ = {judge['rho']:.2f}, "
            f"φ̂ = {judge['phi']:.2f}), {j_gain:+.1f} ± {j_2se:.1f} points"
        )
    text += (
        f". The theory predicted these accuracies within {np.mean(gaps):.1f} points on average "
        f"(at most {max(gaps):.1f})."
    )
    truth = val["ground_truth"]["values"]
    kinds = {s_["name"]: s_["kind"] for s_ in val["sources"]}
    ranked = sorted(truth, key=lambda n: -truth[n])
    methods = {m_["method"]: m_ for m_ in val["methods"]}
    ours = methods.get("proxy_ensemble", val["methods"][0])
    conf = round(100 * val["confidence"])
    by_kind: dict[str, list[float]] = {}
    for n, v in truth.items():
        by_kind.setdefault(kinds[n], []).append(v)
    kind_means = {k: float(np.mean(v)) for k, v in by_kind.items()}
    text += (
        f" Of {len(ranked)} text sources, worth most: "
        + ", ".join(f"{n} ({kinds[n]}, {_pct(truth[n])})" for n in ranked[:3])
        + "; mean stand-alone accuracy by kind: "
        + ", ".join(f"{k} {_pct(v)}" for k, v in sorted(kind_means.items(), key=lambda kv: -kv[1]))
        + f". The {ours['method']} valuer ranks them with Spearman {ours['spearman']:.2f} "
        f"[{conf}% CI {ours['spearman_ci'][0]:.2f}, {ours['spearman_ci'][1]:.2f}] against "
        f"retraining, in {ours['seconds']:.1f} s."
    )
    return {
        "text": text,
        "available": True,
        "setting": name,
        "epsilon": eps,
        "m": m_max,
        "effect_points": effect,
        "effect_2se": effect_2se,
        "recommended": recommended,
        "best_verifier": best,
        "best_gain_points": gain,
        "best_gain_2se": gain_2se,
        "mean_abs_gap_points": float(np.mean(gaps)),
        "ranking": ranked,
        "kind_means": kind_means,
        "method": ours["method"],
        "spearman": ours["spearman"],
        "spearman_ci": ours["spearman_ci"],
    }


def _bottom_line(dec: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The report's closing advice, one clause per decision, each following its numbers."""
    ver, sc, val = dec["verifier"], dec["scaling"], dec["valuation"]
    share = dec["synthetic_share"]
    parts = [
        "add synthetic data unfiltered"
        if ver["recommended"] == "no pruning"
        else f"filter synthetic data before using it ({ver['recommended']})",
        "keep its label noise well below ε*",
    ]
    if sc["three_phases_found"]:
        parts.append(
            "budget real data for the long tail (past n1, more synthetic data from a truncated "
            "generator does not end the plateau)"
        )
    else:
        parts.append(
            "measure a longer learning curve before budgeting for the long tail (no curve "
            "showed three phases)"
        )
    lo, hi = val["best_spearman_ci"]
    if lo > 0:
        parts.append(
            f"rank sources with {val['best_label']} (Spearman {val['best_spearman']:.2f} "
            f"[{lo:.2f}, {hi:.2f}] against retraining, the best of the {val['n_methods']} "
            "methods measured here)"
        )
    else:
        parts.append(
            f"do not trust any valuation ranking on this market (the best, {val['best_label']}, "
            f"has Spearman {val['best_spearman']:.2f} [{lo:.2f}, {hi:.2f}], an interval "
            "reaching 0)"
        )
    text = ", ".join(parts[:-1]) + " and " + parts[-1] + "."
    text = text[0].upper() + text[1:]
    txt = dec.get("text", {})
    if txt.get("available"):
        if txt["recommended"] == "no pruning":
            text += (
                " For LLM-written text, no verifier measured here beat adding it unfiltered "
                f"({txt['setting']}: best {txt['best_verifier']}, "
                f"{txt['best_gain_points']:+.1f} ± {txt['best_gain_2se']:.1f} points)."
            )
        else:
            text += (
                f" For LLM-written text, filter with the {txt['recommended']} verifier "
                f"({txt['best_gain_points']:+.1f} ± {txt['best_gain_2se']:.1f} points)."
            )
    bias = share["bias"]
    if bias["systematic"]:
        text += f" Mind the bias: {bias['text']}."
    return {"text": text, "valuation_method": val["best_method"], "bias": bias["systematic"]}


def decisions(analyses: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The report's decisions, each a sentence with its numbers, from the five analyses.

    Parameters
    ----------
    analyses : mapping
        Stage name -> stage result (``results.json["analyses"]``).

    Returns
    -------
    dict
        ``synthetic_share``, ``verifier``, ``phase_transition``, ``scaling``, ``valuation``,
        ``text`` and ``bottom_line`` (the closing advice built from the others); each has
        ``text`` and the numbers it quotes.
    """
    share, verifier = _share_decision(analyses["synthetic_share"])
    out: dict[str, dict[str, Any]] = {
        "synthetic_share": share,
        "verifier": verifier,
        "phase_transition": _phase_decision(analyses["phase_transition"], verifier),
        "scaling": _scaling_decision(analyses["scaling"]),
        "valuation": _valuation_decision(analyses["valuation"]),
        "text": _text_decision(analyses.get("text", {"reason": "not in this run"})),
    }
    out["bottom_line"] = _bottom_line(out)
    return out
