"""Standard errors and 90 % intervals of source values (docs/math/valuation.md, Uncertainty).

The reference set ``V`` is a sample of the test distribution, so every value computed from it
carries ``V``'s sampling noise. :func:`synthmix.valuation.value_sources` measures it by a
bootstrap over ``V``'s rows: ``B`` resamples of ``|V|`` row indices drawn with replacement,
each re-scoring per-row quantities that were computed once on the full reference (model
predictions, attribution scores, kernel sums, transport potentials), so no model is refitted.
The standard error is the standard deviation of the ``B`` bootstrap values (``ddof=1``), the
90 % interval their 5th and 95th percentiles.

The resamples come from ``child_sequence(seed_sequence(rng), BOOTSTRAP_KEY)``: a child of the
valuation's seed sequence that no method spawns, so drawing them changes no value and the same
``rng`` gives the same resamples (:func:`bootstrap_indices` rebuilds them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthmix._random import RngLike, child_sequence, seed_sequence
from synthmix._types import FloatArray, IndexArray
from synthmix._validation import check_int

__all__ = [
    "BOOTSTRAP_KEY",
    "DEFAULT_N_BOOTSTRAP",
    "Z90",
    "Uncertainty",
    "bootstrap_indices",
    "check_n_bootstrap",
    "from_bootstrap",
    "from_stderr",
    "resample_counts",
    "zero",
]

#: Spawn key of the bootstrap's child of the valuation's seed sequence (no method spawns it).
BOOTSTRAP_KEY = 0xB007
#: Reference resamples drawn by default.
DEFAULT_N_BOOTSTRAP = 50
#: Two-sided 90 % quantile of the standard normal, ``Φ⁻¹(0.95)``.
Z90 = 1.6448536269514722


@dataclass(frozen=True)
class Uncertainty:
    """Standard error and 90 % interval of each of ``K`` values.

    Attributes
    ----------
    stderr : ndarray, shape (K,)
    lower, upper : ndarray, shape (K,)
    description : str
        How they were obtained (e.g. ``"bootstrap over 50 reference resamples"``).
    status : str
        Convergence of a Monte-Carlo estimate (``"converged"``, ``"not converged at
        max_permutations"``) or ``"n/a"`` when the method has no stopping rule.
    """

    stderr: FloatArray
    lower: FloatArray
    upper: FloatArray
    description: str
    status: str = "n/a"


def check_n_bootstrap(n_bootstrap: object) -> int:
    """``n_bootstrap`` as an int ``>= 2`` (a standard deviation needs two resamples)."""
    return check_int(n_bootstrap, "n_bootstrap", minimum=2)


def bootstrap_indices(rng: RngLike, n_reference: int, n_bootstrap: int) -> IndexArray:
    """The reference resamples :func:`~synthmix.valuation.value_sources` uses for ``rng``.

    Parameters
    ----------
    rng : seed
        The ``rng`` given to ``value_sources`` (an int, SeedSequence or Generator).
    n_reference : int
        Rows of the reference.
    n_bootstrap : int
        Resamples.

    Returns
    -------
    ndarray of intp, shape (n_bootstrap, n_reference)
        Row ``b``: the reference rows of resample ``b``, drawn uniformly with replacement by
        ``numpy.random.default_rng(child_sequence(seed_sequence(rng), BOOTSTRAP_KEY))``.
    """
    gen = np.random.default_rng(child_sequence(seed_sequence(rng), BOOTSTRAP_KEY))
    return np.asarray(gen.integers(0, n_reference, size=(n_bootstrap, n_reference)), dtype=np.intp)


def resample_counts(indices: IndexArray, n_reference: int) -> FloatArray:
    """Multiplicity of each reference row in each resample, shape ``(B, n_reference)``.

    A per-row mean over resample ``b`` is ``counts[b] @ per_row / n_reference``.
    """
    B = indices.shape[0]
    flat = (indices + n_reference * np.arange(B)[:, None]).ravel()
    return np.bincount(flat, minlength=B * n_reference).reshape(B, n_reference).astype(np.float64)


def from_bootstrap(
    boot: FloatArray, description: str, *, extra_stderr: FloatArray | None = None
) -> Uncertainty:
    """Standard deviation (``ddof=1``) and 5th/95th percentiles of bootstrap values ``(B, K)``.

    ``extra_stderr`` (shape ``(K,)``): an independent noise (e.g. Monte-Carlo error) added in
    quadrature to the standard error; the interval is then the percentile interval of the
    bootstrap values plus normal draws with that standard deviation (fixed seed).
    """
    b = np.asarray(boot, dtype=np.float64)
    se = b.std(axis=0, ddof=1)
    if extra_stderr is not None:
        extra = np.asarray(extra_stderr, dtype=np.float64)
        se = np.sqrt(se**2 + extra**2)
        b = b + extra[None, :] * np.random.default_rng(BOOTSTRAP_KEY).standard_normal(b.shape)
    lo, hi = np.percentile(b, [5.0, 95.0], axis=0)
    return Uncertainty(se, lo, hi, description)


def from_stderr(values: FloatArray, stderr: FloatArray, description: str) -> Uncertainty:
    """A normal interval ``value ± Z90 · stderr``."""
    v = np.asarray(values, dtype=np.float64)
    se = np.broadcast_to(np.asarray(stderr, dtype=np.float64), v.shape).copy()
    return Uncertainty(se, v - Z90 * se, v + Z90 * se, description)


def zero(values: FloatArray, description: str) -> Uncertainty:
    """No sampling noise: standard error 0 and the interval ``(value, value)``."""
    v = np.asarray(values, dtype=np.float64)
    return Uncertainty(np.zeros_like(v), v.copy(), v.copy(), description)
