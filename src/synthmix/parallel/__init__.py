"""One engine for embarrassingly parallel work: :func:`map_tasks`, :func:`stage_callback` and
:func:`check_n_jobs`."""

from synthmix.parallel.engine import check_n_jobs, map_tasks, stage_callback

__all__ = ["check_n_jobs", "map_tasks", "stage_callback"]
