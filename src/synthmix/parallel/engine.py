"""``map_tasks``: run ``fn(task, rng)`` over tasks, locally or on a Dask cluster.

Locally this process works beside ``n_jobs − 1`` workers (:func:`_local`): forked for the call
where that is safe, else loky's reusable spawned pool; on a cluster, joblib's Dask backend runs
the tasks.

Each task receives its own child generator spawned from ``rng`` by index, so results are
identical for any ``n_jobs``, batch size or backend (docs/conventions.md, "Randomness").

Tasks run with one BLAS thread each: parallelism comes from running tasks side by side, and
the tasks synthmix runs (Monte-Carlo trials, retrainings) multiply matrices too small for
threaded BLAS to pay off, while idle BLAS threads spinning against another busy process slow
them down 5-30x.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import joblib
import numpy as np
from threadpoolctl import ThreadpoolController

from synthmix._random import RngLike, spawn
from synthmix._types import StageProgress
from synthmix._validation import check_int, fail

__all__ = ["map_tasks", "stage_callback"]

T = TypeVar("T")
R = TypeVar("R")


_CONNECT_TIMEOUT = "10s"  # how long to wait for a Dask scheduler before giving up
_CHUNKS_PER_PROCESS = 16  # chunks per local process: balance against per-chunk pickling
_IDLE_SECONDS = 300  # a local pool's workers exit after this long unused
_CONTROLLER: ThreadpoolController | None = None


def _controller() -> ThreadpoolController:
    """One controller per process (building it scans the loaded libraries, ~1 ms)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


_WATCHED: list[int] = []  # the pid this worker process watches (set once per process)


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """Exit this process as soon as ``parent`` is gone (it is then re-parented)."""
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(1)  # the run it worked for was killed: nothing left to report to


def _watch_parent(caller: int) -> None:
    """In a local worker process: a daemon thread that ends the worker when ``caller`` dies.

    A parent killed with SIGKILL cannot stop its loky workers, which then ran on as orphans
    (minutes, at full CPU); now they exit within half a second of its death. Only a direct
    child of ``caller`` (the process that called :func:`map_tasks`) watches, once.
    """
    if _WATCHED or os.getpid() == caller or os.getppid() != caller:
        return
    _WATCHED.append(caller)
    threading.Thread(target=_exit_with_parent, args=(caller,), daemon=True).start()


def _single_threaded(
    fn: Callable[[T, np.random.Generator], R],
    task: T,
    rng: np.random.Generator,
    caller: int | None = None,
) -> R:
    """Run ``fn(task, rng)`` with one BLAS thread in whatever process executes it; a local
    worker started by ``caller`` (a pid) exits if that process dies."""
    if caller is not None:
        _watch_parent(caller)
    with _controller().limit(limits=1, user_api="blas"):
        return fn(task, rng)


@contextlib.contextmanager
def _dask_backend(scheduler: str | Any) -> Iterator[None]:
    """joblib's Dask backend on a client for ``scheduler`` (an address or a ``Client``)."""
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - depends on the environment
        raise fail(
            "scheduler",
            "be used with the 'dask' extra installed (pip install synthmix[dask])",
            scheduler,
        ) from None
    if isinstance(scheduler, Client):
        client, owned = scheduler, False
    else:
        _check_address(scheduler)
        try:
            client, owned = Client(scheduler, timeout=_CONNECT_TIMEOUT, set_as_default=False), True
        except (OSError, TimeoutError, ValueError) as exc:
            raise fail(
                "scheduler", "be the address of a reachable Dask scheduler", f"{scheduler} ({exc})"
            ) from None
    try:
        with client.as_current(), joblib.parallel_config(backend="dask"):
            yield
    finally:
        if owned:
            client.close()


def _check_address(scheduler: Any) -> None:
    """Refuse a malformed scheduler address before a ``Client`` is built: a client that fails
    half-constructed prints a traceback from its finaliser 20 s later, after the error line."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    rule = "be the address of a Dask scheduler, such as tcp://host:8786"
    if not isinstance(scheduler, str):
        raise fail("scheduler", rule, scheduler)
    try:
        scheme, location = parse_address(scheduler)
        if scheme not in backends:
            raise ValueError(f"unknown scheme {scheme!r}")
        if scheme != "inproc":
            parse_host_port(location)  # a host and a port
    except (ValueError, TypeError) as exc:
        raise fail("scheduler", rule, f"{scheduler} ({exc})") from None


def map_tasks(
    fn: Callable[[T, np.random.Generator], R],
    tasks: Sequence[T],
    *,
    n_jobs: int = 1,
    rng: RngLike = None,
    scheduler: str | Any | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """Apply ``fn(task, child_rng)`` to every task, in order.

    Parameters
    ----------
    fn : callable
        A picklable function of ``(task, rng)``.
    tasks : sequence
        The tasks; task ``i`` always receives child generator ``i`` of ``rng``.
    n_jobs : int, default 1
        Local processes: this one and ``n_jobs − 1`` reusable loky workers; ``-1`` for all
        cores, never more than the cores or the tasks. Ignored with ``scheduler``.
    rng : None, int, SeedSequence or Generator
        Root of the child generators.
    scheduler : str or dask.distributed.Client, optional
        Run on this Dask cluster (address such as ``tcp://host:8786``) through joblib's Dask
        backend. Needs the ``dask`` extra.
    progress : callable, optional
        Called as ``progress(done, total)`` from this thread as tasks finish (``done``
        increases; by chunks when several processes run them).

    Returns
    -------
    list
        ``[fn(tasks[0], rng_0), fn(tasks[1], rng_1), ...]``.
    """
    n_jobs = check_n_jobs(n_jobs)
    tasks = list(tasks)
    rngs = spawn(rng, len(tasks))
    total = len(tasks)
    results: list[R] = []
    # never more workers than cores or tasks: --n-jobs 1000 on 2 cores starts 2 (same results)
    n_jobs = min(usable_cores() if n_jobs == -1 else n_jobs, usable_cores(), max(total, 1))
    if scheduler is None and (n_jobs == 1 or total <= 1):
        for i, (task, child) in enumerate(zip(tasks, rngs, strict=True)):
            results.append(_single_threaded(fn, task, child))
            if progress is not None:
                progress(i + 1, total)
        return results
    if scheduler is None:
        return _local(fn, tasks, rngs, n_jobs, progress)
    with _dask_backend(scheduler):
        parallel = joblib.Parallel(n_jobs=-1, return_as="generator")
        for i, res in enumerate(
            parallel(
                joblib.delayed(_single_threaded)(fn, t, g) for t, g in zip(tasks, rngs, strict=True)
            )
        ):
            results.append(res)
            if progress is not None:
                progress(i + 1, total)
    return results


def _run_chunk(
    fn: Callable[[T, np.random.Generator], R],
    tasks: Sequence[T],
    rngs: Sequence[np.random.Generator],
    caller: int | None,
) -> list[R]:
    return [_single_threaded(fn, t, g, caller) for t, g in zip(tasks, rngs, strict=True)]


def _local(
    fn: Callable[[T, np.random.Generator], R],
    tasks: list[T],
    rngs: list[np.random.Generator],
    n_jobs: int,
    progress: Callable[[int, int], None] | None,
) -> list[R]:
    """``n_jobs`` processes: this one and ``n_jobs − 1`` loky workers (a reusable pool).

    Tasks go out in chunks (:data:`_CHUNKS_PER_PROCESS` per process, so that one chunk's
    arguments are pickled once). The workers are fed chunks from the front, one each at a
    time, the next as each finishes; this process runs chunks from the back meanwhile. So
    work starts at once — a worker's start-up overlaps with it instead of preceding it — and
    part of the results never cross a pipe. Workers are forked for the call where that is safe
    (:func:`_executor`). Which process runs a task never changes its numbers (child generator
    ``i`` goes with task ``i``). ``progress`` is called from this thread only.
    """
    from concurrent.futures import Future

    total = len(tasks)
    size = max(1, -(-total // (_CHUNKS_PER_PROCESS * n_jobs)))
    bounds = [(a, min(a + size, total)) for a in range(0, total, size)]
    executor, owned = _executor(n_jobs - 1)
    caller = os.getpid()
    chunks: list[list[R] | None] = [None] * len(bounds)
    errors: list[BaseException] = []
    state = {"front": 0, "back": len(bounds) - 1, "done": 0, "stop": False}
    changed = threading.Condition()
    futures: list[Future[list[R]]] = []

    def claim(end: str) -> int | None:  # under `changed`
        if state["stop"] or state["front"] > state["back"]:
            return None
        k = state[end]
        state[end] += 1 if end == "front" else -1
        return k

    def finish(k: int, out: list[R] | None, error: BaseException | None) -> None:
        with changed:
            chunks[k] = out
            if error is not None:
                errors.append(error)
                state["stop"] = True
            state["done"] += 1
            changed.notify_all()

    def feed() -> None:  # give a worker the next chunk from the front
        with changed:
            k = claim("front")
            if k is None:
                return
            a, b = bounds[k]
            fut = executor.submit(_run_chunk, fn, tasks[a:b], rngs[a:b], caller)
            futures.append(fut)
        fut.add_done_callback(lambda f, k=k: landed(k, f))

    def landed(k: int, fut: Future[list[R]]) -> None:
        if fut.cancelled():
            finish(k, None, None)
            return
        error = fut.exception()
        finish(k, None if error is not None else fut.result(), error)
        if error is None:
            feed()

    def report() -> None:
        if progress is not None:
            progress(sum(len(c) for c in chunks if c is not None), total)

    try:
        for _ in range(n_jobs - 1):
            feed()
        while True:
            with changed:
                k = claim("back")
            if k is None:
                break
            a, b = bounds[k]
            try:
                out = _run_chunk(fn, tasks[a:b], rngs[a:b], None)
            except Exception as exc:
                finish(k, None, exc)
                break
            finish(k, out, None)
            report()
        while True:
            with changed:
                if state["done"] == len(bounds) or errors:
                    break
                changed.wait()
            report()
    except BaseException:
        with changed:
            state["stop"] = True
        for fut in futures:
            fut.cancel()
        if owned:
            _stop(executor)
        raise
    if owned:
        if errors:
            _stop(executor)
        else:
            executor.shutdown(wait=True)
    if errors:
        for fut in futures:
            fut.cancel()
        raise errors[0]
    report()
    return [r for chunk in chunks if chunk is not None for r in chunk]


def _stop(executor: Any) -> None:
    """End an owned pool now: pending chunks cancelled, running ones killed (an interrupted or
    failed map must not wait for a worker's chunk to finish)."""
    processes = list(getattr(executor, "_processes", {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()


def _fork_is_safe() -> bool:
    """Whether a forked worker may start from this process: on Linux, with no other Python
    thread (a lock another thread holds at the fork stays held in the child) and without torch
    loaded (its OpenMP pool does not survive a fork)."""
    return (
        sys.platform.startswith("linux")
        and threading.active_count() == 1
        and "torch" not in sys.modules
        and os.environ.get("SYNTHMIX_NO_FORK", "") == ""
    )


def _executor(workers: int) -> tuple[Any, bool]:
    """``(executor, owned)``: a pool of ``workers`` processes for :func:`_local`.

    Where :func:`_fork_is_safe`, a fresh ``fork`` pool owned by this call: its workers start in
    milliseconds with every module already imported (a spawned worker needs ~0.5 s to import
    numpy, scipy and synthmix, which a short run cannot amortise) and exit when the call ends.
    Otherwise loky's reusable pool (spawned workers, kept warm for :data:`_IDLE_SECONDS`)."""
    if _fork_is_safe():
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")), True
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(max_workers=workers, timeout=_IDLE_SECONDS), False


def check_n_jobs(n_jobs: Any) -> int:
    """``n_jobs`` as an int: a positive number of workers or ``-1`` (all cores), else a
    :class:`~synthmix.exceptions.ValidationError` naming it."""
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0 or n_jobs < -1:
        raise fail("n_jobs", "be a positive integer or -1 (all cores)", n_jobs)
    return n_jobs


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def stage_callback(progress: StageProgress | None, stage: str) -> Callable[[int, int], None] | None:
    """``progress`` bound to one ``stage``: what :func:`synthmix.parallel.map_tasks` calls."""
    if progress is None:
        return None

    def inner(done: int, total: int) -> None:
        progress(stage, done, total)

    return inner
