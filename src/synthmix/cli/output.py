"""How commands print and save: text tables, JSON documents, one-line errors.

Every command formats through these helpers, so a table, a ``--json`` document and an
error line look the same whichever command printed them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import typer

from synthmix import __version__
from synthmix._io import config_hash, to_jsonable, write_json
from synthmix._validation import fail
from synthmix.cli.config import GRID_AXES, Parameters

__all__ = [
    "build_document",
    "context_line",
    "echo_written",
    "emit",
    "error",
    "format_table",
    "format_value",
]


def format_value(value: Any, digits: int = 6) -> str:
    """Integers plainly, parameters compactly, metrics with fixed ``digits``."""
    if isinstance(value, str):
        return value
    x = float(value)
    if not np.isfinite(x):
        return str(x)
    if digits < 0:
        return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:g}"
    return f"{x:.{digits}f}"


def format_table(columns: Mapping[str, Sequence[Any]], digits: Mapping[str, int]) -> str:
    """Right-aligned text table; ``digits[name]`` < 0 formats a column as a parameter."""
    cells = {
        name: [format_value(v, digits.get(name, 6)) for v in values]
        for name, values in columns.items()
    }
    widths = {name: max(len(name), *(len(c) for c in col)) for name, col in cells.items()}
    lines = ["  ".join(name.rjust(widths[name]) for name in cells)]
    rows = len(next(iter(cells.values())))
    for i in range(rows):
        lines.append("  ".join(cells[name][i].rjust(widths[name]) for name in cells))
    return "\n".join(lines)


def context_line(params: Parameters) -> str:
    """A ``# p=... mu=...`` comment line describing the model above a table."""
    parts = [f"p={params.p}", f"mu={params.mu:g}"]
    if params.n_hat is not None:
        parts.append(f"n_hat={format_value(params.n_hat, -1)} (estimated generator)")
    else:
        for key in ("mu_synth", "cov_synth", "cov_real"):
            value = params.generator.get(key)
            if value is not None:
                text = json.dumps(to_jsonable(value), separators=(",", ":"))
                parts.append(f"{key}={text if len(text) <= 60 else text[:57] + '...'}")
    return "# " + "  ".join(parts) + f"  ({params.grid.size} point{'s' * (params.grid.size != 1)})"


def build_document(
    command: str, params: Parameters, results: Mapping[str, Any], *, simulation: bool
) -> dict[str, Any]:
    described = params.describe(simulation=simulation)
    return {
        "synthmix_version": __version__,
        "command": command,
        "parameters": described,
        "config_hash": config_hash(described),
        "axes": list(GRID_AXES),
        "grid_shape": list(params.grid.shape),
        "results": dict(results),
    }


def emit(document: Mapping[str, Any], table: str, *, as_json: bool, out: Path | None) -> None:
    """Print the table or the JSON document; optionally write the JSON to ``out``."""
    if out is not None:
        try:
            write_json(out, document)
        except OSError as exc:
            raise fail("out", "be a writable file path", f"{out} ({exc.strerror or exc})") from None
    if as_json:
        typer.echo(json.dumps(to_jsonable(document), indent=2))
    else:
        typer.echo(table)


def echo_written(command: str, result: Any, **extra: Any) -> None:
    """Print, as JSON, what a run that writes a report folder produced (``--json``)."""
    doc = {
        "synthmix_version": __version__,
        "command": command,
        **extra,
        "report": result.report_path,
        "results": result.results_path,
        "figures": list(result.figures),
        "seed": result.seed,
        "quick": result.quick,
        "seconds": result.seconds,
        "summary": result.summary,
    }
    typer.echo(json.dumps(to_jsonable(doc), indent=2))


def error(message: str) -> None:
    """Print ``synthmix: error: <message>`` as exactly one line on stderr."""
    text = " ".join(str(message).split()) or "invalid input"
    sys.stderr.write(f"synthmix: error: {text}\n")
    sys.stderr.flush()
