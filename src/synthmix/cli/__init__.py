"""The ``synthmix`` command line.

``app`` is the typer application, :func:`main` runs it in-process and returns the exit status
(for tests and embedding), :func:`run` is the console-script entry point.
"""

from synthmix.cli.app import app, main, run

__all__ = ["app", "main", "run"]
