"""Memory budgets: refuse work that cannot fit before allocating any of it.

A command estimates the bytes its sizes need (p, rows × features, trials × workers, ...) and
calls :func:`check_memory` first; the error names the parameter, the estimate and the budget,
so ``synthmix predict --p 1000000000`` answers in a second instead of being killed by the
kernel's OOM killer after minutes of swapping on a shared machine.
"""

from __future__ import annotations

import os
from typing import Any

from synthmix._validation import fail

__all__ = ["DEFAULT_FRACTION", "available_memory", "check_memory", "format_bytes", "memory_budget"]

#: Share of the available memory a command may plan to use by default.
DEFAULT_FRACTION = 0.5


def available_memory() -> int | None:
    """Bytes the kernel reports as available (``MemAvailable``), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def memory_budget(max_memory_gib: float | None = None) -> int | None:
    """The budget in bytes: ``max_memory_gib`` GiB, else half the available memory (None when
    the platform does not say how much is available)."""
    if max_memory_gib is not None:
        value = float(max_memory_gib)
        if not value > 0 or value != value or value == float("inf"):
            raise fail("max_memory", "be a positive number of GiB", max_memory_gib)
        return int(value * 2**30)
    free = available_memory()
    return None if free is None else int(DEFAULT_FRACTION * free)


def format_bytes(n: float) -> str:
    """``1536`` → ``'1.5 KiB'``; binary units up to PiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024:
            return f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} PiB"


def check_memory(
    need: float, *, param: str, value: Any, max_memory_gib: float | None = None
) -> None:
    """Refuse (a ValidationError naming ``param``) when ``need`` bytes exceed the budget.

    Parameters
    ----------
    need : float
        Estimated peak bytes of the work.
    param : str
        The size that drives the estimate (e.g. ``"p"``), named in the message.
    value : Any
        Its value, shown after "got".
    max_memory_gib : float, optional
        The budget in GiB (``--max-memory``); default half the available memory.
    """
    budget = memory_budget(max_memory_gib)
    if budget is not None and need > budget:
        source = (
            f"--max-memory {max_memory_gib:g}"
            if max_memory_gib is not None
            else "half the available memory; --max-memory sets another"
        )
        rule = (
            f"keep the memory needed (about {format_bytes(need)}) within the budget of "
            f"{format_bytes(budget)} ({source})"
        )
        raise fail(param, rule, value)
