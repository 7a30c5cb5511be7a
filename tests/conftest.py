"""Test-session settings shared by every test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread() -> Iterator[None]:
    """One BLAS thread per test process.

    The suite's dense algebra is small (p ≤ 1000), and pytest-xdist already runs one process
    per core: threaded BLAS on top of that only spins against the other worker (a 200×200
    product went from 0.6 ms to 15 ms under load). Same policy as ``map_tasks``.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield
