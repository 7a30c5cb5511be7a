"""``synthmix report ARTIFACT_DIR``: rebuild a demo's report from its saved artifacts.

Redraws ``figures/*.png`` and ``report.html`` from ``results.json`` (or the finished
``stages/*.json``) written by ``synthmix demo``; nothing is recomputed. Examples::

    synthmix demo --out synthmix-demo
    synthmix report synthmix-demo        # e.g. after changing the report's template
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``report`` to the top-level app."""

    @app.command("report")
    def report_command(
        artifact_dir: Annotated[
            Path,
            typer.Argument(
                help="The --out folder of `synthmix demo` (results.json and/or stages/*.json).",
                metavar="ARTIFACT_DIR",
                show_default=False,
            ),
        ],
    ) -> None:
        """Rebuild report.html and its figures from a demo's saved results, without computing.

        A folder without complete demo artifacts is an error naming ARTIFACT_DIR (exit 2).

        Example: synthmix report synthmix-demo
        """
        from synthmix.experiments.demo import rebuild_report

        path = rebuild_report(artifact_dir)
        typer.echo(f"report written to {path}")
