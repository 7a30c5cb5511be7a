"""``synthmix scaling ...``: the three-phase scaling model from the command line."""

from __future__ import annotations

import json
from typing import Annotated, Any

import numpy as np
import typer

from synthmix import __version__
from synthmix._io import to_jsonable
from synthmix._validation import fail

__all__ = ["scaling_app"]

scaling_app = typer.Typer(
    help="Three-phase scaling of real + synthetic training (spec/scaling.md).",
    no_args_is_help=True,
    add_completion=False,
)


def _sizes(text: str) -> np.ndarray:
    try:
        values = np.array([float(v) for v in text.split(",") if v.strip()])
    except ValueError:
        raise fail("n", "be a comma-separated list of sizes", text) from None
    if values.size == 0:
        raise fail("n", "list at least one size", text)
    return values


@scaling_app.command("predict")
def predict_command(
    beta: Annotated[float, typer.Option("--beta", help="Zipf exponent (> 1).")] = 2.0,
    k: Annotated[int | None, typer.Option("--k", help="Synthetic data covers items 1..k.")] = None,
    pi: Annotated[float, typer.Option("--pi", help="Real fraction of the training mix.")] = 0.1,
    M: Annotated[int, typer.Option("--M", help="Number of knowledge items.")] = 10**6,
    top_p: Annotated[float | None, typer.Option("--top-p", help="Cut at this head mass.")] = None,
    temperature: Annotated[
        float | None, typer.Option("--temperature", help="Thin the tail instead (0 < t <= 1).")
    ] = None,
    pool: Annotated[
        int | None, typer.Option("--pool", help="Generator saw this many real draws.")
    ] = None,
    n: Annotated[
        str | None,
        typer.Option("--n", help="Training sizes, comma-separated (default: 10 to 1e8, log grid)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON document.")] = False,
) -> None:
    """Breakpoints n1 ≈ k^β, n2 ≈ k^β/π, the phase of each size, and the exact error curve."""
    from synthmix.scaling import LongTailModel, breakpoints, expected_error

    model = LongTailModel(
        beta=beta, k=k, pi=pi, M=M, top_p=top_p, temperature=temperature, pool=pool
    )
    sizes = np.logspace(1, 8, 15) if n is None else _sizes(n)
    error = np.asarray(expected_error(model, sizes), dtype=float)
    points: dict[str, Any] = {"n": sizes, "error": error}
    n1 = n2 = None
    if model.cut is not None:
        n1, n2 = breakpoints(model)
        points["phase"] = np.where(sizes < n1, 1, np.where(sizes < n2, 2, 3))
    if json_output:
        doc = {
            "synthmix_version": __version__,
            "command": "scaling predict",
            "model": {
                "beta": model.beta,
                "k": model.cut,
                "pi": pi,
                "M": model.M,
                "top_p": top_p,
                "temperature": temperature,
                "pool": pool,
            },
            "breakpoints": None if n1 is None else [n1, n2],
            "plateau_error": None if model.cut is None else 1.0 - model.head_mass(),
            "points": points,
        }
        typer.echo(json.dumps(to_jsonable(doc), indent=2))
        return
    if n1 is None:
        typer.echo(f"# beta={model.beta:g} pi={pi:g} M={model.M}: no hard cut, no breakpoints")
    else:
        typer.echo(
            f"# beta={model.beta:g} k={model.cut} pi={pi:g} M={model.M}: n1={n1:.4g} (end of rapid "
            f"learning), n2={n2:.4g} (start of tail learning), plateau error "
            f"{1.0 - model.head_mass():.4g}"
        )
    header = f"{'n':>12}  {'error':>10}" + ("  phase" if "phase" in points else "")
    typer.echo(header)
    for i, size in enumerate(sizes):
        row = f"{size:>12.4g}  {error[i]:>10.5g}"
        if "phase" in points:
            row += f"  {['rapid learning', 'plateau', 'tail learning'][points['phase'][i] - 1]}"
        typer.echo(row)
