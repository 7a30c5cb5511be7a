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
_CHUNKS_PER_PROCESS = 16  # at least this many chunks per local process (progress, balance)
_AHEAD = 2  # chunks queued per worker: the next waits in its queue while one runs
_IDLE_SECONDS = 300  # a loky pool's workers exit after this long unused
_KEEP_SECONDS = 60.0  # a kept forked pool unused this long is replaced at the next call
_KEPT: dict[str, Any] = {}  # the kept forked pool: executor, workers, pid, busy, last use
_KEPT_LOCK = threading.Lock()
_CONTROLLER: ThreadpoolController | None = None


def _controller() -> ThreadpoolController:
    """One controller per process (building it scans the loaded libraries, ~7 ms)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


_WATCHED: list[int] = []  # the pid this worker process watches (set once per process)
# in a worker: whether a chunk is running, when the last one ended, and after how many idle
# seconds to exit (a kept forked worker only; None for the others)
_WORKER: dict[str, Any] = {"busy": False, "last": time.monotonic(), "idle_exit": None}


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """Exit this process as soon as ``parent`` is gone (it is then re-parented), or once it
    has been idle longer than ``_WORKER["idle_exit"]`` seconds."""
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(1)  # the run it worked for was killed: nothing left to report to
        limit, idle = _WORKER["idle_exit"], time.monotonic() - _WORKER["last"]
        if limit is not None and not _WORKER["busy"] and idle > limit:
            os._exit(0)  # a kept pool nobody used for a while: give its memory back


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
    fn: Callable[[T, np.random.Generator], R], task: T, rng: np.random.Generator
) -> R:
    """Run ``fn(task, rng)`` with one BLAS thread in whatever process executes it."""
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
    min_seconds: float = 0.0,
) -> list[R]:
    """Apply ``fn(task, child_rng)`` to every task, in order.

    Parameters
    ----------
    fn : callable
        A picklable function of ``(task, rng)``.
    tasks : sequence
        The tasks; task ``i`` always receives child generator ``i`` of ``rng``.
    n_jobs : int, default 1
        Local processes: this one and ``n_jobs − 1`` workers (:func:`_executor`); ``-1`` for
        all cores, never more than the cores or the tasks. Ignored with ``scheduler``.
    rng : None, int, SeedSequence or Generator
        Root of the child generators.
    scheduler : str or dask.distributed.Client, optional
        Run on this Dask cluster (address such as ``tcp://host:8786``) through joblib's Dask
        backend. Needs the ``dask`` extra.
    progress : callable, optional
        Called as ``progress(done, total)`` from this thread as tasks finish (``done``
        increases; by chunks when several processes run them).
    min_seconds : float, default 0
        With ``n_jobs > 1`` locally: run task 0 here first, and start workers only if its time
        times the number of tasks reaches ``min_seconds`` (below that a worker costs more than
        it saves); 0 always starts them. Task 0's result is kept either way.

    Returns
    -------
    list
        ``[fn(tasks[0], rng_0), fn(tasks[1], rng_1), ...]``.
    """
    n_jobs = check_n_jobs(n_jobs)
    tasks = list(tasks)
    rngs = spawn(rng, len(tasks))
    total = len(tasks)
    if scheduler is not None:
        return _on_cluster(fn, tasks, rngs, scheduler, progress)
    # never more workers than cores or tasks: --n-jobs 1000 on 2 cores starts 2 (same results)
    n_jobs = min(usable_cores() if n_jobs == -1 else n_jobs, usable_cores(), max(total, 1))
    results: list[R] = []
    if n_jobs > 1 and min_seconds > 0:
        _controller()  # built once per process (~7 ms): not part of the task's time
        start = time.perf_counter()
        results.append(_single_threaded(fn, tasks[0], rngs[0]))
        if progress is not None:
            progress(1, total)
        if (time.perf_counter() - start) * total < min_seconds:
            n_jobs = 1
    first = len(results)
    if n_jobs > 1 and total - first > 1:
        shifted = None if progress is None else lambda done, _: progress(first + done, total)
        return results + _local(fn, tasks[first:], rngs[first:], n_jobs, shifted)
    for i in range(first, total):
        results.append(_single_threaded(fn, tasks[i], rngs[i]))
        if progress is not None:
            progress(i + 1, total)
    return results


def _on_cluster(
    fn: Callable[[T, np.random.Generator], R],
    tasks: list[T],
    rngs: list[np.random.Generator],
    scheduler: str | Any,
    progress: Callable[[int, int], None] | None,
) -> list[R]:
    """:func:`map_tasks` on a Dask cluster, through joblib's Dask backend."""
    results: list[R] = []
    with _dask_backend(scheduler):
        parallel = joblib.Parallel(n_jobs=-1, return_as="generator")
        for i, res in enumerate(
            parallel(
                joblib.delayed(_single_threaded)(fn, t, g) for t, g in zip(tasks, rngs, strict=True)
            )
        ):
            results.append(res)
            if progress is not None:
                progress(i + 1, len(tasks))
    return results


def _run_chunk(
    fn: Callable[[T, np.random.Generator], R],
    tasks: Sequence[T],
    rngs: Sequence[np.random.Generator],
    caller: int | None,
    idle_exit: float | None = None,
) -> list[R]:
    """Run a chunk; in a worker started by ``caller`` (a pid), also watch that process and,
    with ``idle_exit``, exit after that many seconds without a chunk."""
    if caller is not None:
        _watch_parent(caller)
        _WORKER["idle_exit"] = idle_exit
    _WORKER["busy"] = True
    try:
        return [_single_threaded(fn, t, g) for t, g in zip(tasks, rngs, strict=True)]
    finally:
        _WORKER["busy"] = False
        _WORKER["last"] = time.monotonic()


def _local(
    fn: Callable[[T, np.random.Generator], R],
    tasks: list[T],
    rngs: list[np.random.Generator],
    n_jobs: int,
    progress: Callable[[int, int], None] | None,
) -> list[R]:
    """``n_jobs`` processes: this one and ``n_jobs − 1`` workers (:func:`_executor`).

    The workers take chunks of tasks from the front, this process from the back, until they
    meet; so work starts at once (a worker's start-up overlaps with it) and part of the results
    never cross a pipe. Chunks are claimed as work goes, guided: a quarter of what is left per
    process (:func:`_chunk_size`), never more than 1/:data:`_CHUNKS_PER_PROCESS` of one
    process's share, so where the two ends meet chunks are one task long and every process
    finishes within about a task of the others. Each worker holds :data:`_AHEAD` chunks, the
    next queued while one runs, so it never waits for this process to hand it work. Which
    process runs a task never changes its numbers (child generator ``i`` goes with task ``i``).
    ``progress`` is called from this thread only.
    """
    from concurrent.futures import Future

    total = len(tasks)
    cap = max(1, -(-total // (_CHUNKS_PER_PROCESS * n_jobs)))
    executor, kind = _executor(n_jobs - 1, fn, tasks[0])
    idle_exit = 2 * _KEEP_SECONDS if kind == "kept" else None
    caller = os.getpid()
    pieces: dict[int, list[R]] = {}  # first task index -> the chunk's results
    errors: list[BaseException] = []
    state = {"front": 0, "back": total, "done": 0, "stop": False}
    changed = threading.Condition()
    futures: list[Future[list[R]]] = []

    def claim(end: str) -> tuple[int, int] | None:  # under `changed`
        left = state["back"] - state["front"]
        if state["stop"] or left <= 0:
            return None
        size = _chunk_size(left, n_jobs, cap)
        if end == "front":
            state["front"] += size
            return state["front"] - size, state["front"]
        state["back"] -= size
        return state["back"], state["back"] + size

    def finish(a: int, b: int, out: list[R] | None, error: BaseException | None) -> None:
        with changed:
            if out is not None:
                pieces[a] = out
            if error is not None:
                errors.append(error)
                state["stop"] = True
            state["done"] += b - a
            changed.notify_all()

    def feed() -> None:  # queue the next chunk from the front for the workers
        with changed:
            span = claim("front")
            if span is None:
                return
            a, b = span
            fut = executor.submit(_run_chunk, fn, tasks[a:b], rngs[a:b], caller, idle_exit)
            futures.append(fut)
        fut.add_done_callback(lambda f, a=a, b=b: landed(a, b, f))

    def landed(a: int, b: int, fut: Future[list[R]]) -> None:
        if fut.cancelled():
            finish(a, b, None, None)
            return
        error = fut.exception()
        finish(a, b, None if error is not None else fut.result(), error)
        if error is None:
            feed()

    def report() -> None:
        if progress is not None:
            with changed:
                done = sum(len(c) for c in pieces.values())
            progress(done, total)

    try:
        for _ in range(_AHEAD * (n_jobs - 1)):
            feed()
        while True:
            with changed:
                span = claim("back")
            if span is None:
                break
            a, b = span
            try:
                out = _run_chunk(fn, tasks[a:b], rngs[a:b], None)
            except Exception as exc:
                finish(a, b, None, exc)
                break
            finish(a, b, out, None)
            report()
        while True:
            with changed:
                if state["done"] == total or errors:
                    break
                changed.wait()
            report()
    except BaseException:
        with changed:
            state["stop"] = True
        for fut in futures:
            fut.cancel()
        _release(executor, kind, failed=True)
        raise
    _release(executor, kind, failed=bool(errors))
    if errors:
        for fut in futures:
            fut.cancel()
        raise errors[0]
    report()
    return [r for a in sorted(pieces) for r in pieces[a]]


def _chunk_size(left: int, n_jobs: int, cap: int) -> int:
    """Tasks in the next chunk when ``left`` are unclaimed: guided self-scheduling (a quarter
    of each process's share of what is left, at least one), at most ``cap``."""
    return min(cap, max(1, left // (2 * n_jobs)))


def _stop(executor: Any) -> None:
    """End a pool now: pending chunks cancelled, running ones killed (an interrupted or failed
    map must not wait for a worker's chunk to finish)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    manager = getattr(executor, "_executor_manager_thread", None)  # shutdown forgets it
    executor.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    if manager is not None:
        manager.join()  # it ends with the killed workers: no thread left, fork-safe again


def _release(executor: Any, kind: str, *, failed: bool) -> None:
    """After a call: a pool forked for it ends (killed if the map failed); the kept forked pool
    is marked used now, or ended if the map failed; loky's pool stays as loky keeps it."""
    if kind == "loky":
        return
    if failed:
        _stop(executor)
    elif kind == "call":
        executor.shutdown(wait=True)
    if kind == "kept":
        with _KEPT_LOCK:
            if failed:
                _KEPT.clear()
            else:
                _KEPT.update(busy=False, last=time.monotonic())


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


def _keepable(fn: Callable[..., Any], task: Any) -> bool:
    """Whether a worker forked by an earlier call may run ``fn`` on tasks like ``task``: it
    unpickles them by reference to their modules, so nothing they refer to may live in
    ``__main__`` (defined after the fork, it would be missing there). Arrays are left out of
    the check's pickle (out-of-band buffers), so it costs microseconds."""
    import pickle

    try:
        blob = pickle.dumps((fn, task), protocol=5, buffer_callback=lambda _: False)
    except Exception:  # not picklable: the submit will say so
        return False
    return b"__main__" not in blob


def _kept_pool(workers: int, fn: Callable[..., Any], task: Any) -> Any | None:
    """The kept forked pool if this call may use it, else None (ending a stale one first)."""
    with _KEPT_LOCK:
        pool = _KEPT.get("executor")
        if pool is None or _KEPT["busy"]:
            return None
        ours = _KEPT["pid"] == os.getpid()  # not a copy inherited through a fork
        if (
            ours
            and _KEPT["workers"] == workers
            and not getattr(pool, "_broken", False)
            and time.monotonic() - _KEPT["last"] < _KEEP_SECONDS
            and _keepable(fn, task)
        ):
            _KEPT["busy"] = True
            return pool
        _KEPT.clear()
    if ours:
        pool.shutdown(wait=True)  # its worker exits; this process is fork-safe again
    return None


def _executor(workers: int, fn: Callable[..., Any], task: Any) -> tuple[Any, str]:
    """``(executor, kind)``: a pool of ``workers`` processes for :func:`_local`.

    Where :func:`_fork_is_safe`, a ``fork`` pool: its workers start in milliseconds with every
    module already imported (a spawned worker needs ~0.5 s to import numpy, scipy and
    synthmix, which a short run cannot amortise). It is kept for the next call (kind
    ``"kept"``) when ``fn`` and the tasks live in importable modules (:func:`_keepable`): a
    worker forked per call pays a page fault on every page of this process's heap it or this
    process writes first, ~10 % of a one-second Monte-Carlo run, which a kept one pays once. A
    kept pool unused for :data:`_KEEP_SECONDS` is ended at the next call, and its worker exits
    by itself after twice that, so its copy-on-write share of this process's memory is given
    back. Otherwise the pool is forked for this call only (``"call"``), or, where forking is
    unsafe, loky's reusable pool of spawned workers, kept warm for :data:`_IDLE_SECONDS`
    (``"loky"``). Like loky's workers, a kept worker does not see module globals changed
    after it started."""
    pool = _kept_pool(workers, fn, task)
    if pool is not None:
        return pool, "kept"
    if _fork_is_safe():
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        if not _keepable(fn, task):
            return pool, "call"
        with _KEPT_LOCK:
            _KEPT.update(executor=pool, workers=workers, pid=os.getpid(), busy=True, last=0.0)
        return pool, "kept"
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(max_workers=workers, timeout=_IDLE_SECONDS), "loky"


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
