"""Progress bars on stderr for long CLI runs (rich), shown only on a terminal.

The library reports progress through plain callbacks — ``progress(done, total)`` for
:func:`synthmix.simulate.simulate`, ``progress(stage, done, total)`` for the demo — so it never
depends on a UI. :class:`StageProgress` turns those calls into one rich progress task per
stage name. Bars are drawn only when both stdout and stderr are terminals and ``--quiet`` was
not given (:func:`bars_wanted`), which keeps piped output, CI logs and tests clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["StageProgress", "bars_wanted", "set_quiet", "stderr_is_tty"]

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Turn progress bars off for this process (``synthmix --quiet``)."""
    global _QUIET
    _QUIET = bool(quiet)


def _is_tty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (OSError, ValueError):  # closed or detached stream
        return False


def bars_wanted() -> bool:
    """Bars are drawn unless ``--quiet`` was given or stdout or stderr is not a terminal
    (piped output, CI logs, tests)."""
    return not _QUIET and _is_tty(sys.stdout) and _is_tty(sys.stderr)


def stderr_is_tty() -> bool:
    """True when ``sys.stderr`` is an interactive terminal."""
    return _is_tty(sys.stderr)


class StageProgress:
    """Context manager adapting progress callbacks to rich bars, one task per stage.

    Parameters
    ----------
    enabled : bool, optional
        Show bars; default: only when stderr is a terminal.
    file : text stream, optional
        Where to draw (default ``sys.stderr``); for tests.

    Examples
    --------
    >>> with StageProgress(enabled=False) as bar:
    ...     bar("fit", 1, 10)          # progress(stage, done, total), as the demo calls it
    ...     tick = bar.callback("simulate")
    ...     tick(3, 10)                # progress(done, total), as simulate calls it
    """

    def __init__(self, *, enabled: bool | None = None, file: TextIO | None = None) -> None:
        self.enabled = bars_wanted() if enabled is None else bool(enabled)
        self._file = file
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> StageProgress:
        if self.enabled:
            console = Console(file=self._file if self._file is not None else sys.stderr)
            self._progress = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
            )
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        self._tasks.clear()

    @property
    def stages(self) -> tuple[str, ...]:
        """Stage names seen so far (in order of first appearance)."""
        return tuple(self._tasks)

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Record that ``done`` of ``total`` units of ``stage`` are finished."""
        if self._progress is None:
            return
        task = self._tasks.get(stage)
        if task is None:
            task = self._progress.add_task(stage, total=total)
            self._tasks[stage] = task
        self._progress.update(task, completed=done, total=total)

    def callback(
        self, stage: str, *, offset: int = 0, total: int | None = None
    ) -> Callable[[int, int], None]:
        """A ``progress(done, total)`` callback feeding ``stage``.

        Parameters
        ----------
        stage : str
            Task name.
        offset : int, default 0
            Units already done before this callback's work (for several calls sharing one
            bar, such as the points of a grid).
        total : int, optional
            Grand total of the bar; default: the ``total`` the callback receives.
        """

        def report(done: int, sub_total: int) -> None:
            self(stage, offset + done, sub_total if total is None else total)

        return report
