"""One engine for embarrassingly parallel work: :func:`map_tasks` and :func:`stage_callback`."""

from synthmix.parallel.engine import map_tasks, stage_callback

__all__ = ["map_tasks", "stage_callback"]
