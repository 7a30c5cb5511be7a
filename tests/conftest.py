"""Test-session settings shared by every test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

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


_SYSTEM_MISSING = Path(__file__).resolve().parents[1] / ".venv" / "system-missing"


def _require_system_package(package: str, present: bool) -> None:
    """Skip only when ``make system`` tried to install ``package`` and could not.

    ``tools/system-packages`` (run by ``make test``) installs the Debian packages the suite
    needs and records, in ``.venv/system-missing``, each one it could not install (no root, no
    apt, no mirror). A package that is absent but was never recorded is a broken setup, not a
    reason to skip: the test then fails and says so.
    """
    if present:
        return
    recorded = _SYSTEM_MISSING.read_text().split() if _SYSTEM_MISSING.exists() else []
    if package in recorded:
        pytest.skip(f"Debian package {package!r} could not be installed: apt-get install {package}")
    pytest.fail(f"Debian package {package!r} is missing: run `make system` ({package})")


@pytest.fixture
def require_system_package() -> Callable[[str, bool], None]:
    """The :func:`_require_system_package` check, for tests that need a Debian package."""
    return _require_system_package


@pytest.fixture(autouse=True, scope="session")
def _fresh_library_caches() -> None:
    """Empty the library's per-process caches when a test session starts.

    A run that forks from a process that already filled them (the mutation runner does) must
    still execute the cached code under test.
    """
    from synthmix.valuation import markets

    markets._load_task.cache_clear()
