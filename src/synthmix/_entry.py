"""The ``synthmix`` console script, light enough to catch Ctrl-C while the CLI still loads.

Importing the CLI (typer, rich, numpy, scipy, every command) takes most of a second; a Ctrl-C
or SIGTERM in that window used to print a traceback of whatever module was loading. This
module, like ``import synthmix`` (whose theory entry points load on first use), imports
nothing heavy: it installs its signal handling first, then loads
:func:`synthmix.cli.app.run`. An interruption before that point is one line and exit status
130 (Ctrl-C) or 143 (SIGTERM) — nothing has been written yet.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

__all__ = ["run"]

_STARTUP_INTERRUPTED = "synthmix: error: interrupted while starting; nothing was written\n"
_STARTUP_TERMINATED = "synthmix: error: terminated while starting; nothing was written\n"


class _Terminated(KeyboardInterrupt):
    """SIGTERM during start-up."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated


def run() -> None:
    """Console-script entry point: load the CLI, then :func:`synthmix.cli.app.run`."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        from synthmix.cli.app import run as run_app
    except _Terminated:
        sys.stderr.write(_STARTUP_TERMINATED)
        sys.exit(143)
    except KeyboardInterrupt:
        sys.stderr.write(_STARTUP_INTERRUPTED)
        sys.exit(130)
    run_app()  # installs the CLI's own SIGTERM handling before it runs anything
