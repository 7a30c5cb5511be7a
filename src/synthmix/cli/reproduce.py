"""``synthmix reproduce``: one paper figure with its results.json and HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synthmix._validation import fail
from synthmix.cli.options import LocalJobsOpt, RootSeedOpt, SchedulerOpt
from synthmix.cli.output import echo_written, error
from synthmix.cli.progress import StageProgress

__all__ = ["register", "reproduce_command"]


def reproduce_command(
    name: Annotated[
        str | None,
        typer.Argument(help="Reproduction to run (see --list).", show_default=False),
    ] = None,
    list_names: Annotated[
        bool, typer.Option("--list", help="List the reproductions with descriptions and exit.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output folder (default synthmix-reproduce/NAME).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="Reduced sizes: seconds; never cached.")
    ] = False,
    seed: RootSeedOpt = 0,
    n_jobs: LocalJobsOpt = 1,
    scheduler: SchedulerOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Recompute a full run even when its cached result exists."),
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print what was written (paths, summary) as JSON."),
    ] = False,
) -> None:
    """Reproduce a paper figure: figures, results.json and a self-contained HTML report.

    Example: synthmix reproduce --list; synthmix reproduce scaling-exact --out runs/scaling

    A full run is cached in its output folder and reused unless --force is given.
    """
    try:
        from synthmix.experiments import registry
    except ImportError as exc:  # not an input error: report it and exit with status 1
        error(f"reproductions are unavailable ({exc})")
        raise typer.Exit(1) from None
    if list_names:
        names = registry.available()
        width = max((len(k) for k in names), default=0)
        for key, description in names.items():
            typer.echo(f"{key.ljust(width)}  {description}")
        return
    if name is None:
        raise fail("name", f"be one of {', '.join(registry.available())} (or use --list)", None)
    with StageProgress() as bar:
        result = registry.run(
            name,
            out=out,
            quick=quick,
            seed=seed,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=bar,
            force=force,
        )
    if json_output:
        echo_written(
            "reproduce", result, name=result.name, out_dir=result.out_dir, cached=result.cached
        )
        return
    if result.cached:
        typer.echo(f"reused the cached full run in {result.out_dir} (--force recomputes it)")
    typer.echo(f"report written to {result.report_path}")


def register(app: typer.Typer) -> None:
    """Add ``reproduce`` to the top-level app."""
    app.command("reproduce")(reproduce_command)
