"""``synthmix demo``: the headline experiments and their self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synthmix.cli.options import LocalJobsOpt, RootSeedOpt, SchedulerOpt
from synthmix.cli.output import echo_written, error
from synthmix.cli.progress import StageProgress

__all__ = ["demo_command", "register"]


def demo_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Output folder for figures, data and the HTML report.", file_okay=False
        ),
    ] = Path("synthmix-demo"),
    quick: Annotated[
        bool, typer.Option("--quick", help="Small sizes: a minute instead of many.")
    ] = False,
    seed: RootSeedOpt = 0,
    n_jobs: LocalJobsOpt = 1,
    scheduler: SchedulerOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Recompute every stage, even those a previous run finished."),
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print the decisions, stages and paths as JSON."),
    ] = False,
) -> None:
    """Run the headline experiments and write a self-contained HTML report.

    Example: synthmix demo --quick --out synthmix-demo
    """
    try:
        from synthmix.experiments.demo import run_demo
    except ImportError as exc:  # not an input error: report it and exit with status 1
        error(f"the demo is unavailable ({exc})")
        raise typer.Exit(1) from None
    with StageProgress() as bar:
        result = run_demo(
            out=out,
            quick=quick,
            seed=seed,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=bar,
            force=force,
        )
    if json_output:
        stages = [
            {"name": st.name, "config_hash": st.config_hash, "reused": st.reused}
            for st in result.stages
        ]
        echo_written("demo", result, stages=stages)
        return
    typer.echo(f"report written to {result.report_path}")


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the top-level app."""
    app.command("demo")(demo_command)
