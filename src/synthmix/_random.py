"""Random-number plumbing: one ``rng`` argument everywhere, one child generator per task."""

from __future__ import annotations

import numpy as np

from synthmix._validation import fail

__all__ = [
    "RngLike",
    "as_generator",
    "child_sequence",
    "int_seed",
    "root_entropy",
    "seed_sequence",
    "spawn",
]

RngLike = None | int | np.integer | np.random.Generator | np.random.SeedSequence


def seed_sequence(rng: RngLike) -> np.random.SeedSequence:
    """The :class:`numpy.random.SeedSequence` behind ``rng``.

    An int (or None, for fresh entropy) seeds a new sequence; a Generator contributes its
    bit generator's sequence, so spawning from it is reproducible and independent of draws.
    """
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        seq = rng.bit_generator.seed_seq
        if not isinstance(seq, np.random.SeedSequence):  # pragma: no cover - exotic bit generators
            return np.random.SeedSequence(int(rng.integers(2**63)))
        return seq
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer) or int(rng) < 0:
        raise fail("rng", "be None, a non-negative int, a SeedSequence or a numpy Generator", rng)
    return np.random.SeedSequence(int(rng))


def as_generator(rng: RngLike) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from None, an int, a SeedSequence or a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(seed_sequence(rng))


def spawn(rng: RngLike, k: int) -> list[np.random.Generator]:
    """``k`` statistically independent child generators, determined by ``rng`` alone.

    Child ``i`` is the same whatever else is spawned, so a task's draws do not depend on how
    tasks are split across workers.
    """
    children = seed_sequence(rng).spawn(k)
    return [np.random.default_rng(c) for c in children]


def child_sequence(root: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The child of ``root`` at ``key``: what repeated ``spawn`` on a fresh ``root`` gives.

    ``child_sequence(root, i, j)`` equals ``root.spawn(...)[i].spawn(...)[j]`` on a fresh root,
    without spawning (or mutating) anything, so any one task can be re-run on its own.
    """
    return np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, *key), pool_size=root.pool_size
    )


def root_entropy(root: np.random.SeedSequence) -> int:
    """The integer entropy of ``root`` (recorded in results), or -1 when it is not an int."""
    ent = root.entropy
    return int(ent) if isinstance(ent, int | np.integer) else -1


def int_seed(rng: RngLike) -> int | None:
    """``rng`` as the integer seed a result records, or None when it is not an integer."""
    return int(rng) if isinstance(rng, int | np.integer) and not isinstance(rng, bool) else None
