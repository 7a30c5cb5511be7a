"""map_tasks gives the same numbers for any n_jobs and for a Dask cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.parallel import engine, map_tasks
from synthmix.simulate import simulate
from synthmix.theory import MixtureModel


def _draw(task: int, rng: np.random.Generator) -> float:
    return float(task + rng.standard_normal())


def test_results_independent_of_n_jobs_and_in_order() -> None:
    seen: list[tuple[int, int]] = []
    one = map_tasks(_draw, range(12), n_jobs=1, rng=5, progress=lambda d, t: seen.append((d, t)))
    two = map_tasks(_draw, range(12), n_jobs=2, rng=5)
    assert one == two
    assert seen[-1] == (12, 12) and len(seen) == 12
    assert map_tasks(_draw, range(12), rng=6) != one


def test_workers_are_capped_at_cores_and_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """--n-jobs 1000 on a 2-core machine runs 2 processes, never 1000; on one core (or one
    task) no pool at all, with the same numbers."""
    started: list[int] = []
    real = engine._local

    def counting(fn, tasks, rngs, n_jobs, progress):  # type: ignore[no-untyped-def]
        started.append(n_jobs)
        return real(fn, tasks, rngs, n_jobs, progress)

    monkeypatch.setattr(engine, "_local", counting)
    monkeypatch.setattr(engine, "usable_cores", lambda: 2)
    reference = map_tasks(_draw, range(5), n_jobs=1, rng=3)
    assert map_tasks(_draw, range(5), n_jobs=1000, rng=3) == reference
    assert map_tasks(_draw, range(5), n_jobs=-1, rng=3) == reference
    assert started == [2, 2]
    monkeypatch.setattr(engine, "usable_cores", lambda: 1)
    assert map_tasks(_draw, range(5), n_jobs=50, rng=3) == reference
    assert started == [2, 2]  # one core: run in this process


def _pid(task: int, rng: np.random.Generator) -> tuple[int, float]:
    return os.getpid(), float(task + rng.standard_normal())


def test_this_process_works_beside_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """n_jobs=2 is this process and one worker: the worker takes chunks from the front, this
    process from the back (all of them, if it finishes before a cold worker has started); the
    numbers and their order are those of a serial run."""
    monkeypatch.setattr(engine, "usable_cores", lambda: 2)
    seen: list[tuple[int, int]] = []
    out = map_tasks(_pid, range(40), n_jobs=2, rng=4, progress=lambda d, t: seen.append((d, t)))
    pids = [pid for pid, _ in out]
    assert [v for _, v in out] == [v for _, v in map_tasks(_pid, range(40), rng=4)]
    assert pids[-1] == os.getpid()
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1] == (40, 40)


def _fails_at(task: int, rng: np.random.Generator) -> int:
    if task == 3:
        raise ValueError("task 3 failed")
    return task


def test_a_failing_task_fails_the_map_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "usable_cores", lambda: 2)
    with pytest.raises(ValueError, match="task 3 failed"):
        map_tasks(_fails_at, range(40), n_jobs=2)  # task 3: a worker's first chunk
    with pytest.raises(ValueError, match="task 3 failed"):
        map_tasks(_fails_at, range(5), n_jobs=2)  # one task per chunk: any process


def test_child_streams_do_not_depend_on_task_count() -> None:
    assert map_tasks(_draw, range(3), rng=1) == map_tasks(_draw, range(10), rng=1)[:3]


@pytest.mark.parametrize("n_jobs", [0, -2, 1.5, "2"])
def test_bad_n_jobs(n_jobs: object) -> None:
    with pytest.raises(ValidationError, match=r"^n_jobs must"):
        map_tasks(_draw, range(2), n_jobs=n_jobs)  # type: ignore[arg-type]


@pytest.mark.integration
def test_simulate_identical_on_one_two_jobs_and_dask_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from synthmix.simulate import montecarlo

    distributed = pytest.importorskip("dask.distributed")
    model = MixtureModel(np.r_[1.5, np.zeros(29)], cov_synth=np.linspace(0.5, 1.5, 30))
    kw = dict(n=40, m=80, epsilon=0.2, rho=0.1, phi=0.9, gamma=0.5, n_trials=8, rng=11)
    a = simulate(model, n_jobs=1, **kw)
    monkeypatch.setattr(montecarlo, "PARALLEL_MIN_SECONDS", 0.0)  # workers even for this tiny run
    b = simulate(model, n_jobs=2, **kw)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        c = simulate(model, scheduler=cluster.scheduler_address, **kw)
    np.testing.assert_array_equal(a.accuracies, b.accuracies)
    np.testing.assert_array_equal(a.accuracies, c.accuracies)
    assert a.accuracy_mean == b.accuracy_mean == c.accuracy_mean


def test_unreachable_scheduler_is_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr(engine, "_CONNECT_TIMEOUT", "1s")
    with pytest.raises(ValidationError, match=r"^scheduler must"):
        map_tasks(_draw, range(2), scheduler="tcp://127.0.0.1:9")


def test_small_runs_stay_in_process_and_large_ones_use_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Below PARALLEL_MIN_SECONDS of estimated serial work, n_jobs=2 runs serially (worker start-up
    would cost more than it saves); above, it uses the workers for all trials but the first,
    which timed the estimate here and is kept. The numbers never change."""
    from synthmix.simulate import montecarlo

    started: list[int] = []
    real = engine._local

    def counting(fn, tasks, rngs, n_jobs, progress):  # type: ignore[no-untyped-def]
        started.append(len(tasks))
        return real(fn, tasks, rngs, n_jobs, progress)

    monkeypatch.setattr(engine, "_local", counting)
    monkeypatch.setattr(engine, "usable_cores", lambda: 2)
    model = MixtureModel(np.r_[1.5, np.zeros(19)])
    kw = dict(n=20, m=40, epsilon=0.1, n_trials=6, rng=2)
    small = simulate(model, n_jobs=2, **kw)
    assert started == []
    monkeypatch.setattr(montecarlo, "PARALLEL_MIN_SECONDS", 0.0)
    large = simulate(model, n_jobs=2, **kw)
    assert started == [6]  # min_seconds 0: no probe, every trial to _local
    np.testing.assert_array_equal(small.accuracies, large.accuracies)


def test_min_seconds_probes_with_the_first_task_and_keeps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """map_tasks(min_seconds=...) runs task 0 here, then either the rest serially (estimate too
    short) or the rest across processes; task 0 runs once, progress counts every task once."""
    monkeypatch.setattr(engine, "usable_cores", lambda: 2)
    reference = map_tasks(_pid, range(30), rng=8)
    for min_seconds in (1e9, 1e-9):
        seen: list[tuple[int, int]] = []
        out = map_tasks(
            _pid,
            range(30),
            n_jobs=2,
            rng=8,
            min_seconds=min_seconds,
            progress=lambda d, t, seen=seen: seen.append((d, t)),
        )
        assert [v for _, v in out] == [v for _, v in reference]
        assert out[0][0] == os.getpid()  # the probe ran here
        if min_seconds > 1:  # a worker may or may not start in time for 29 quick tasks
            assert {pid for pid, _ in out} == {os.getpid()}
        done = [d for d, _ in seen]
        assert done[0] == 1 and done == sorted(done) and seen[-1] == (30, 30)


def _child_json(code: str, *args: str) -> tuple[dict[str, Any], str]:
    """Run ``code`` in a fresh interpreter (pytest's own threads make this one unsafe to fork):
    the JSON document on its last line of output, and what it wrote to stderr."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


_FORK_CHILD = """
import json, os, threading, time
from synthmix.parallel import engine, map_tasks

def task(i, rng):
    time.sleep(0.02)
    return os.getpid(), i + float(rng.standard_normal())

def fails(i, rng):
    if i == 30:
        raise ValueError("task 30 failed")
    time.sleep(0.01)
    return i

engine.usable_cores = lambda: 2
safe = engine._fork_is_safe()
serial = map_tasks(task, range(40), n_jobs=1, rng=7)
first = map_tasks(task, range(40), n_jobs=2, rng=7)
threads_after = threading.active_count()
second = map_tasks(task, range(40), n_jobs=2, rng=7)
try:
    map_tasks(fails, range(40), n_jobs=2)
    error = None
except ValueError as exc:
    error = str(exc)
me = os.getpid()
stop = threading.Event()
helper = threading.Thread(target=stop.wait)
helper.start()
with_thread = engine._fork_is_safe()
stop.set()
helper.join()
import sys
from pathlib import Path
from typing import Any
sys.modules["torch"] = sys  # torch's OpenMP pool does not survive a fork
with_torch = engine._fork_is_safe()
print(json.dumps({
    "unsafe": [with_thread, with_torch],
    "safe": safe,
    "same": [v for _, v in first] == [v for _, v in serial] == [v for _, v in second],
    "forked": sorted({p != me for p, _ in first} | {p != me for p, _ in second}),
    "threads_after": threads_after,
    "error": error,
}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork workers: Linux only")
def test_forked_workers_in_a_plain_process_give_the_serial_numbers() -> None:
    """A process with one thread and no torch forks its workers (they start in milliseconds),
    for each call when the tasks live in ``__main__``: the numbers equal a serial run, both
    processes work, nothing is left running afterwards (so the next call forks again), and a
    failing task fails the map; with another thread or torch loaded it would not fork."""
    doc, _ = _child_json(_FORK_CHILD)
    assert doc["safe"] is True
    assert doc["same"] is True
    assert doc["forked"] == [False, True]  # tasks ran in this process and in a worker
    assert doc["threads_after"] == 1
    assert doc["error"] == "task 30 failed"
    assert doc["unsafe"] == [False, False]  # another thread, or torch loaded: loky's spawned pool


_KEPT_MODULE = """
import os, time

def task(i, rng):
    time.sleep(0.01)
    return os.getpid(), i + float(rng.standard_normal())

def fails(i, rng):
    if i == 20:
        raise ValueError("task 20 failed")
    time.sleep(0.01)
    return os.getpid(), i
"""

_KEPT_CHILD = """
import json, os, sys, threading, time
sys.path.insert(0, sys.argv[1])
from kept_tasks import fails, task
from synthmix.parallel import engine, map_tasks

engine.usable_cores = lambda: 2
me = os.getpid()

def workers(out):
    return sorted({pid for pid, _ in out} - {me})

serial = map_tasks(task, range(40), n_jobs=1, rng=7)
first = map_tasks(task, range(40), n_jobs=2, rng=7)
kept_threads = threading.active_count()
second = map_tasks(task, range(40), n_jobs=2, rng=7)
pool = engine._KEPT["executor"]
worker = list(pool._processes.values())[0]
try:
    map_tasks(fails, range(40), n_jobs=2)
    error = None
except ValueError as exc:
    error = str(exc)
after_error = (engine._KEPT.get("executor") is None, threading.active_count())
engine._KEEP_SECONDS = 0.5  # an idle kept worker exits after 1 s
third = map_tasks(task, range(40), n_jobs=2, rng=7)
idle_worker = list(engine._KEPT["executor"]._processes.values())[0]
time.sleep(2.5)
print(json.dumps({
    "same": [v for _, v in first] == [v for _, v in serial] == [v for _, v in second]
    == [v for _, v in third],
    "workers": [workers(first), workers(second)],
    "kept_threads": kept_threads,
    "error": error,
    "first_worker_alive_after_error": worker.is_alive(),
    "after_error": after_error,
    "third_new_worker": workers(third) != workers(first),
    "idle_worker_exited": not idle_worker.is_alive(),
}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork workers: Linux only")
def test_a_forked_pool_is_kept_for_library_functions(tmp_path: Path) -> None:
    """Tasks whose function lives in an importable module keep the forked pool for the next
    call (its worker and its pages are warm): the same worker serves both calls with the serial
    numbers; a failing task ends it (the next call forks afresh), and a kept worker left idle
    exits by itself after twice _KEEP_SECONDS."""
    (tmp_path / "kept_tasks.py").write_text(_KEPT_MODULE)
    doc, stderr = _child_json(_KEPT_CHILD, str(tmp_path))
    assert doc["same"] is True
    first, second = doc["workers"]
    assert len(first) == 1 and first == second  # one worker, the same in both calls
    assert doc["kept_threads"] > 1  # the pool's threads wait for the next call
    assert doc["error"] == "task 20 failed"
    assert doc["first_worker_alive_after_error"] is False
    assert doc["after_error"] == [True, 1]  # nothing kept, no thread left
    assert doc["third_new_worker"] is True
    assert doc["idle_worker_exited"] is True
    assert stderr == ""
