"""``synthmix predict --real FILE (--synthetic FILE | --generator gaussian)``: the logic.

Reads the files (the same readers as ``synthmix prune``), fits the surrogate and the
generator, and evaluates the grid through :func:`synthmix.surrogate.predict_from_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from synthmix._validation import check_int, fail
from synthmix.cli.config import Parameters
from synthmix.cli.prune import build_verifier
from synthmix.data.labeled import (
    DEFAULT_TRUE_LABEL,
    LabelCoding,
    SyntheticTable,
    file_coding,
    label_columns,
    left_out_note,
    load_option,
    named_features,
    pair_rows,
    read_real,
    read_synthetic,
    resolve_label,
)
from synthmix.surrogate import DataPrediction, holdout_check, predict_from_data, validity_warnings
from synthmix.surrogate.holdout import GAP_TOLERANCE_POINTS, KN_WARN

__all__ = [
    "MODEL_FLAGS",
    "DataFiles",
    "DataOptions",
    "DataRun",
    "data_defaults",
    "read_files",
    "run_predict_data",
]

# Model options that the data replaces: refused together with --real.
MODEL_FLAGS = ("p", "mu", "n_hat")


@dataclass(frozen=True)
class DataRun:
    """What ``predict --real`` computed, and how to describe it."""

    result: DataPrediction
    context: str
    inputs: dict[str, Any]
    check: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()
    check_text: str = ""


@dataclass(frozen=True)
class DataOptions:
    """The "From data" options of ``synthmix predict``."""

    real: Path
    synthetic: Path | None = None
    generator: str | None = None
    n_use: int | None = None
    generator_cov: str = "estimated"
    components: int | None = None
    label: str | None = None
    verifier: str | None = None
    check: bool = True
    check_repeats: int = 10
    positive: str | None = None
    negative: str | None = None


@dataclass(frozen=True)
class DataFiles:
    """The files of ``predict --real``, read once: label columns, the coding, the synthetic rows.

    Attributes
    ----------
    label : str
        The real file's label column (named, or the first of label/target/y/class it has).
    coding : LabelCoding
        The -1/+1 coding the real file's labels set for both files.
    synthetic : SyntheticTable or None
        The synthetic file, coded by ``coding`` (None with ``--generator``).
    """

    label: str
    coding: LabelCoding
    synthetic: SyntheticTable | None
    synthetic_label: str | None = None
    detected: tuple[str, ...] = ()

    def describe(self) -> str:
        """Which label column each file was read with, and which were found by name."""
        found = " (found by name)"
        text = f"label column {self.label!r}" + (found if "real" in self.detected else "")
        if self.synthetic_label is not None:
            text += f" in the real file, {self.synthetic_label!r}" + (
                found if "synthetic" in self.detected else ""
            )
            text += " in the synthetic file"
        return text


def read_files(options: DataOptions) -> DataFiles:
    """Resolve the label columns, code the labels by the real file, read the synthetic file."""
    named = label_columns(options.label, ("real", "synthetic"))
    label, real_found = resolve_label(options.real, named["real"])
    coding = file_coding(options.real, label, "real", options.positive, options.negative)
    syn, syn_label, syn_found = None, None, False
    if options.synthetic is not None:
        syn_label, syn_found = resolve_label(options.synthetic, named["synthetic"])
        syn = read_synthetic(options.synthetic, syn_label, None, coding)
    detected = tuple(f for f, hit in (("real", real_found), ("synthetic", syn_found)) if hit)
    return DataFiles(
        label=label, coding=coding, synthetic=syn, synthetic_label=syn_label, detected=detected
    )


def data_defaults(flags: dict[str, Any], files: DataFiles) -> tuple[dict[str, Any], list[str]]:
    """Grid values the synthetic file determines when the user gave none, and what was taken.

    ``m`` defaults to ``0, M/4, M/2, M`` for a file of ``M`` rows; ``epsilon`` to the measured
    share of labels that differ from the ``y_true`` column, when the file has one. Returns
    the updated flags and one sentence per value taken from the data.
    """
    flags = dict(flags)
    notes: list[str] = []
    syn = files.synthetic
    if syn is None:
        return flags, notes
    rows = int(syn.y.shape[0])
    if flags.get("m") is None:
        flags["m"] = ",".join(str(v) for v in sorted({0, rows // 4, rows // 2, rows}))
        pair = "" if syn.rows is None else " of the pair"  # other labels were left out
        notes.append(f"m = {flags['m']} from the synthetic file's {rows} rows{pair}")
    if flags.get("epsilon") is None and syn.y_true is not None:
        wrong, rows, low, high = _measured_epsilon(syn)
        flags["epsilon"] = repr(wrong / rows)
        notes.append(
            f"epsilon = {wrong / rows:.3f} [95% CI {low:.3f}, {high:.3f}] measured: "
            f"{wrong} of {rows} labels differ from {syn.true_label}"
        )
    return flags, notes


def run_predict_data(
    params: Parameters,
    options: DataOptions,
    files: DataFiles,
    *,
    n_given: bool,
    defaulted: tuple[str, ...] = (),
) -> DataRun:
    """Evaluate ``params.grid`` on the model built from the files.

    With ``verifier`` ('model', 'knn' or 'cleanlab', fitted on the real data), its measured
    (ρ̂, φ̂) replace ``--rho``/``--phi``. With a synthetic file and ``options.check``, the
    prediction is checked on held-out real rows (:func:`synthmix.surrogate.holdout_check`);
    ``defaulted`` names grid values neither given nor measured (they become warnings).
    """
    real, synthetic, generator = options.real, options.synthetic, options.generator
    label, coding, syn = files.label, files.coding, files.synthetic
    n_use, generator_cov, components, verifier = (
        options.n_use,
        options.generator_cov,
        options.components,
        options.verifier,
    )
    if verifier is not None and verifier not in ("model", "knn", "cleanlab"):
        raise fail("verifier", "be one of model, knn, cleanlab (fitted on the real data)", verifier)
    if (synthetic is None) == (generator is None):
        raise fail(
            "generator", "be given (as 'gaussian') or replaced by --synthetic, not both", generator
        )
    if generator is not None and generator != "gaussian":
        raise fail("generator", "be 'gaussian'", generator)
    if synthetic is not None and n_use is not None:
        raise fail("n_use", "be given only with --generator gaussian", n_use)
    if generator_cov not in ("estimated", "identity"):
        raise fail("generator_cov", "be 'estimated' or 'identity'", generator_cov)
    if components is not None:
        components = check_int(components, "components", minimum=1)
    x_syn = y_syn = None
    if synthetic is not None and syn is not None:
        x_real, y_real, real_left_out = read_real(real, label, DEFAULT_TRUE_LABEL, syn)
        x_syn = np.asarray(syn.data.X, dtype=np.float64)
        # The generator's intended class: the clean label when the file has it.
        y_syn = syn.y_true if syn.y_true is not None else syn.y
        source = f"synthetic={synthetic.name} ({x_syn.shape[0]} samples)"
    else:
        features = named_features(real, label, None, "real")  # never ids or y_true
        data, real_left_out = pair_rows(
            load_option(real, "real", label=label, features=features), coding
        )
        x_real = np.asarray(data.X, dtype=np.float64)
        y_real = coding.encode(data.y, f"label ({real.name})")
        source = f"generator=gaussian ({generator_cov} covariance, n_use={n_use or 'all'})"
    points = params.grid.points()
    if not n_given:
        points["n"] = np.full_like(points["n"], float(x_real.shape[0]))
    fitted = None
    if verifier is not None:
        fitted = _fit_verifier(verifier, x_real, y_real)
    result = predict_from_data(
        x_real,
        y_real,
        X_synth=x_syn,
        y_synth=y_syn,
        n_use=n_use,
        covariance=generator_cov,  # type: ignore[arg-type]
        n_components=components,
        n=points["n"],
        m=points["m"],
        epsilon=points["epsilon"],
        rho=points["rho"],
        phi=points["phi"],
        gamma=points["gamma"],
        verifier=fitted,
        rng=params.seed,
    )
    warnings = validity_warnings(
        y_real,
        k=result.surrogate.k,
        n_train=int(np.min(points["n"])),
        generator_on_training_rows=generator is not None,
        corrected=result.corrected,
        defaulted=defaulted,
    )
    if syn is not None and syn.y_true is not None:
        warnings += _epsilon_warning(syn, np.unique(points["epsilon"]))
    check, check_text = None, ""
    if syn is not None and x_syn is not None:
        check, check_text = _self_check(
            options, params, points, x_real, y_real, x_syn, syn, result, warnings
        )
    if result.rates is not None:
        rates = result.rates
        source += (
            f"  verifier={verifier}: rho_hat={rates.rho:.3g} [{rates.rho_ci[0]:.3g}, "
            f"{rates.rho_ci[1]:.3g}], phi_hat={rates.phi:.3g} [{rates.phi_ci[0]:.3g}, "
            f"{rates.phi_ci[1]:.3g}]"
        )
    sur = result.surrogate
    left_out, notes = None, ""
    if coding.pair:  # rows of other labels: counted per file and stated
        left_out = {"real": real_left_out}
        if syn is not None:
            left_out["synthetic"] = syn.left_out
        clean = None if syn is None else syn.true_label
        notes = "\n# " + left_out_note(coding, left_out, clean)
    context = (
        f"# labels: {coding.describe()}; {files.describe()}\n"
        f"# real={real.name} ({x_real.shape[0]} samples, {x_real.shape[1]} features -> k={sur.k})  "
        f"{source}  |mu_hat|={np.linalg.norm(sur.mu):.3g}  mean_noise={sur.mean_noise:.3g}"
        f"{notes}"
    )
    inputs: dict[str, Any] = {
        "real": str(real),
        "synthetic": None if synthetic is None else str(synthetic),
        "generator": generator,
        "n_use": n_use,
        "generator_cov": generator_cov,
        "components": components,
        "n_real": int(x_real.shape[0]),
        "features": int(x_real.shape[1]),
        "k": sur.k,
        "verifier": verifier,
        "rates": None if result.rates is None else result.rates,
        "label": label,
        "synthetic_label": files.synthetic_label,
        "labels_found_by_name": list(files.detected),
        "labels": coding.describe(),
    }
    if left_out is not None:
        inputs["rows_left_out"] = left_out
    return DataRun(
        result=result,
        context=context,
        inputs=inputs,
        check=check,
        warnings=tuple(warnings),
        check_text=check_text,
    )


def _measured_epsilon(syn: Any) -> tuple[int, int, float, float]:
    """Labels differing from the clean ones: (wrong, rows, 95% CI low, high), exact binomial."""
    from scipy.stats import binomtest

    wrong, rows = int(np.sum(syn.y != syn.y_true)), int(syn.y.shape[0])
    ci = binomtest(wrong, rows).proportion_ci(0.95)
    return wrong, rows, float(ci.low), float(ci.high)


def _epsilon_warning(syn: Any, given: np.ndarray) -> list[str]:
    """A warning when a given epsilon lies outside the file's measured 95% interval."""
    wrong, rows, low, high = _measured_epsilon(syn)
    outside = [float(e) for e in given if not low <= e <= high]
    if not outside:
        return []
    return [
        f"epsilon = {', '.join(f'{e:g}' for e in outside)} was given, but {wrong} of {rows} "
        f"labels differ from {syn.true_label} (measured {wrong / rows:.3f}, 95% CI "
        f"[{low:.3f}, {high:.3f}]): the prediction assumes another noise rate than the file has"
    ]


def _self_check(
    options: DataOptions,
    params: Parameters,
    points: dict[str, np.ndarray],
    x_real: np.ndarray,
    y_real: np.ndarray,
    x_syn: np.ndarray,
    syn: Any,
    result: DataPrediction,
    warnings: list[str],
) -> tuple[dict[str, Any] | None, str]:
    """The hold-out check of the prediction (JSON and text); adds a warning per disagreement."""

    if not options.check:
        return None, ""
    name = options.verifier
    skipped = None
    if np.unique(points["epsilon"]).size > 1 or np.unique(points["gamma"]).size > 1:
        skipped = "the grid has several epsilon or gamma values (the file has one noise rate)"
    elif np.any(points["rho"] != 1.0) or np.any(points["phi"] != 1.0):
        skipped = "rho/phi describe a pruning the files do not carry out"
    if skipped is not None:
        return None, f"# hold-out check skipped: {skipped}"
    check = holdout_check(
        x_real,
        y_real,
        x_syn,
        syn.y,
        m=np.unique(points["m"]),
        y_intended=syn.y_true if syn.y_true is not None else syn.y,
        epsilon=float(points["epsilon"][0]),
        gamma=float(points["gamma"][0]),
        n_components=options.components,
        n_repeats=options.check_repeats,
        verifier=None if name is None else partial(_fit_verifier, name),
        rng=params.seed,
    )
    bad = check.disagrees()
    if bad.any():
        k_ratio = result.surrogate.k / check.n_train
        shape = np.abs(check.gaussian[bad] - check.measured[bad])
        if np.all(check.gap[bad] > 0) and k_ratio > KN_WARN:
            cause = f"the likely cause is k/n = {k_ratio:.2f} (optimistic covariance estimate" + (
                "; what the correction leaves)" if result.corrected else ")"
            )
        elif np.all(shape > GAP_TOLERANCE_POINTS / 100.0):
            cause = (
                "the likely cause is the scores' non-Gaussian shape: Gaussian scores with the "
                "measured moments would score "
                + ", ".join(f"{100 * g:.1f}%" for g in check.gaussian[bad])
                + "; trust the measured values"
            )
        elif warnings:
            cause = "possible causes: the warnings above"
        else:
            cause = (
                "no assumption check tripped, so the likely cause is the moments the model "
                "estimates (its mean and covariance of each class); trust the measured values"
            )
        warnings.append(
            f"at m = {', '.join(str(v) for v in check.m[bad])} the prediction is off the "
            f"hold-out by {', '.join(f'{100 * g:+.1f}' for g in check.gap[bad])} points "
            f"(beyond {GAP_TOLERANCE_POINTS:g} points and 2 s.e.); {cause}"
        )
    vague = check.unresolved()
    if vague.any():
        warnings.append(
            f"at m = {', '.join(str(v) for v in check.m[vague])} the prediction is "
            f"{', '.join(f'{100 * g:+.1f}' for g in check.gap[vague])} points from the hold-out, "
            f"more than {GAP_TOLERANCE_POINTS:g} points but within the measurement's noise "
            f"(2 s.e. = {', '.join(f'{200 * e:.1f}' for e in check.measured_se[vague])} points): "
            f"{check.n_test} held-out rows cannot confirm or refute it"
        )
    plugin, plugin_gap = check.predicted_plugin, check.gap_plugin
    rows: list[dict[str, Any]] = [
        {
            "m": int(m),
            "predicted": float(check.predicted[j]),
            "measured": float(check.measured[j]),
            "measured_se": float(check.measured_se[j]),
            "gap": float(check.gap[j]),
            "gaussian_score": float(check.gaussian[j]),
            "disagrees": bool(bad[j]),
            "unresolved": bool(vague[j]),
            "kept": None if check.kept is None else float(check.kept[j]),
            "predicted_plugin": None if plugin is None else float(plugin[j]),
            "gap_plugin": None if plugin_gap is None else float(plugin_gap[j]),
        }
        for j, m in enumerate(check.m)
    ]
    doc = {
        "n_train": check.n_train,
        "n_test": check.n_test,
        "n_repeats": check.n_repeats,
        "epsilon": check.epsilon,
        "gamma": check.gamma,
        "verifier": name,
        "rho": None if check.rho is None else check.rho.tolist(),
        "phi": None if check.phi is None else check.phi.tolist(),
        "conditions": rows,
    }
    if check.rho is None or check.phi is None:
        trained = "m synthetic rows (their labels as given)"
    else:
        trained = (
            f"the synthetic rows a {name} verifier refitted on them keeps of m (their labels as "
            f"given; rho_hat {np.mean(check.rho):.3g}, phi_hat {np.mean(check.phi):.3g} on average)"
        )
    lines = [
        f"# hold-out check: {check.n_repeats} seeded splits of the real rows, ridge trained on "
        f"{check.n_train} real + {trained}, scored on {check.n_test} held-out real rows",
        f"{'m':>8}  {'predicted':>9}  {'measured':>9}  {'± s.e.':>7}  {'gap':>7}"
        + ("" if check.kept is None else f"  {'kept':>7}"),
    ]
    lines += [
        f"{r['m']:>8}  {r['predicted']:>9.4f}  {r['measured']:>9.4f}  {r['measured_se']:>7.4f}  "
        f"{100 * r['gap']:>+6.1f}p"
        + ("" if r["kept"] is None else f"  {r['kept']:>7.1f}")
        + ("  !" if r["disagrees"] else "")
        for r in rows
    ]
    if plugin_gap is not None:
        gaps = ", ".join(f"{100 * g:+.1f}" for g in plugin_gap)
        lines.append(
            f"# predicted with the k/n covariance correction (k = {result.surrogate.k}, "
            f"n = {check.n_train}); with the sample covariance plugged in the gaps would be "
            f"{gaps} points"
        )
    return doc, "\n".join(lines)


def _fit_verifier(name: str, X: np.ndarray, y: np.ndarray) -> Any:
    """The named verifier fitted on real rows, as the prediction fits it on all of them."""
    return build_verifier(name, (X, y), threshold=0.5, k=10, rho=1.0, phi=1.0)
