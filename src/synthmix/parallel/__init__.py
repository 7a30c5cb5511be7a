"""One engine for embarrassingly parallel work: :func:`map_tasks`."""

from synthmix.parallel.engine import map_tasks

__all__ = ["map_tasks"]
