"""What every reproduction writes: the ``results.json`` header, the report's run block, and
the atomic publication of results and report (one module for all reproductions)."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from synthmix._io import write_json
from synthmix.experiments.registry import ReproductionResult

__all__ = [
    "RMT_PAPER",
    "SCALING_PAPER",
    "header",
    "metadata",
    "mode_text",
    "publish",
]

#: The paper the random-matrix reproductions follow.
RMT_PAPER = (
    "El Firdoussi et al., “Maximizing the Potential of Synthetic Data: Insights from Random "
    "Matrix Theory” (ICLR 2025)"
)
#: The paper the scaling and valuation reproductions follow.
SCALING_PAPER = "Wang et al., Data Value in the Age of Scaling (arXiv 2511.13640)"


def header(
    name: str, *, paper: str, seed: int, quick: bool, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """The opening block of every ``results.json``: name, paper, version, seed, settings."""
    from synthmix import __version__

    return {
        "name": name,
        "paper": paper,
        "synthmix_version": __version__,
        "seed": seed,
        "quick": quick,
        "settings": settings,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def metadata(seconds: float, seed: int, n_jobs: int, scheduler: str | None) -> dict[str, Any]:
    """The run block every report shows: version, runtime, processes, seed."""
    from synthmix import __version__

    return {
        "synthmix version": __version__,
        "runtime": f"{seconds:.1f} s",
        "processes": "Dask cluster " + scheduler if scheduler else str(n_jobs),
        "seed": seed,
        "python / numpy": f"{platform.python_version()} / {np.__version__}",
    }


def mode_text(quick: bool) -> str:
    """How a report names the run mode."""
    return "quick (reduced sizes, for tests and a first look)" if quick else "full"


def publish(
    name: str,
    out: Path,
    payload: dict[str, Any],
    figures: tuple[Path, ...],
    summary: Mapping[str, Any],
    start: float,
    *,
    seed: int,
    quick: bool,
    report: Callable[[Path, float], Path],
) -> ReproductionResult:
    """Stamp the runtime, write ``results.json`` and the report, and describe what was written."""
    payload["seconds"] = time.perf_counter() - start
    results_path = out / "results.json"
    write_json(results_path, payload)
    report_path = report(out / "report.html", time.perf_counter() - start)
    return ReproductionResult(
        name=name,
        out_dir=out,
        results_path=results_path,
        report_path=report_path,
        figures=figures,
        seconds=time.perf_counter() - start,
        quick=quick,
        seed=seed,
        summary=summary,
    )
