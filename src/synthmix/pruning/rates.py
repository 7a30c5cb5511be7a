"""Measured verifier rates ``(ρ̂, φ̂)`` with exact confidence intervals.

The theory (docs/math/rmt.md) summarises a verifier by ``φ = P(keep | label right)`` and
``ρ = P(keep | label wrong)``. On synthetic samples whose label flips are known (clean labels
``y_true`` next to the given ``y_noisy``), both are binomial proportions: ``φ̂ = kept_right /
n_right`` and ``ρ̂ = kept_wrong / n_wrong``, each with an exact Clopper–Pearson interval.
:meth:`VerifierRates.as_theory_kwargs` hands them to :func:`synthmix.theory.predict`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import beta

from synthmix._random import RngLike, as_generator, int_seed
from synthmix._types import BoolArray
from synthmix._validation import as_float_array, check_feature_matrix, check_labels, fail
from synthmix.pruning.verifiers import Verifier

__all__ = ["VerifierRates", "estimate_rates", "measure_rates"]


@dataclass(frozen=True)
class VerifierRates:
    """Estimated keep probabilities of a verifier, by whether the label is right.

    Attributes
    ----------
    phi : float
        ``φ̂ = kept_right / n_right``, the estimate of ``P(keep | label right)``.
    phi_ci : tuple of float
        Exact (Clopper–Pearson) two-sided interval for ``φ`` at level ``confidence``.
    phi_stderr : float
        ``sqrt(φ̂(1-φ̂)/n_right)``.
    rho, rho_ci, rho_stderr : float, tuple of float, float
        The same for ``ρ = P(keep | label wrong)`` over the ``n_wrong`` flipped samples.
    n_right, n_wrong : int
        Samples whose given label is right / wrong (``y_noisy == y_true`` / ``!=``).
    kept_right, kept_wrong : int
        How many of those the verifier kept.
    epsilon : float
        Observed flip rate ``ε̂ = n_wrong / m``.
    kept_fraction : float
        Observed kept fraction ``α̂ = (kept_right + kept_wrong) / m``.
    confidence : float
        Level of the intervals.
    verifier : str or None
        Class name of the verifier measured (None for :func:`estimate_rates`).
    seed : int or None
        The integer seed passed as ``rng`` (None for a Generator, fresh entropy, or none used).
    """

    phi: float
    phi_ci: tuple[float, float]
    phi_stderr: float
    rho: float
    rho_ci: tuple[float, float]
    rho_stderr: float
    n_right: int
    n_wrong: int
    kept_right: int
    kept_wrong: int
    epsilon: float
    kept_fraction: float
    confidence: float
    verifier: str | None = None
    seed: int | None = None

    def as_theory_kwargs(self) -> dict[str, float]:
        """``{"rho": ρ̂, "phi": φ̂}``, ready for ``synthmix.theory.predict(model, **kw, ...)``."""
        return {"rho": self.rho, "phi": self.phi}


def _check_confidence(value: float) -> float:
    arr = as_float_array(value, "confidence")
    if arr.ndim != 0 or isinstance(value, bool) or not 0.0 < float(arr) < 1.0:
        raise fail("confidence", "be a single number strictly between 0 and 1", value)
    return float(arr)


def _clopper_pearson(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Exact two-sided interval for a binomial proportion with ``k`` successes in ``n``."""
    tail = (1.0 - confidence) / 2.0
    lo = 0.0 if k == 0 else float(beta.ppf(tail, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1.0 - tail, k + 1, n - k))
    return lo, hi


def _rates(
    keep: BoolArray,
    wrong: BoolArray,
    confidence: float,
    verifier: str | None,
    seed: int | None,
) -> VerifierRates:
    """Counts, proportions and intervals from keep decisions and the flip pattern."""
    m = int(wrong.shape[0])
    n_wrong = int(np.count_nonzero(wrong))
    n_right = m - n_wrong
    kept_wrong = int(np.count_nonzero(keep & wrong))
    kept_right = int(np.count_nonzero(keep & ~wrong))
    phi = kept_right / n_right
    rho = kept_wrong / n_wrong
    return VerifierRates(
        phi=phi,
        phi_ci=_clopper_pearson(kept_right, n_right, confidence),
        phi_stderr=float(np.sqrt(phi * (1.0 - phi) / n_right)),
        rho=rho,
        rho_ci=_clopper_pearson(kept_wrong, n_wrong, confidence),
        rho_stderr=float(np.sqrt(rho * (1.0 - rho) / n_wrong)),
        n_right=n_right,
        n_wrong=n_wrong,
        kept_right=kept_right,
        kept_wrong=kept_wrong,
        epsilon=n_wrong / m,
        kept_fraction=(kept_right + kept_wrong) / m,
        confidence=confidence,
        verifier=verifier,
        seed=seed,
    )


def _check_flips(y_noisy: ArrayLike, y_true: ArrayLike, size: int | None = None) -> BoolArray:
    """The flip pattern ``y_noisy != y_true``, with at least one right and one wrong label."""
    noisy = check_labels(y_noisy, "y_noisy", size=size)
    truth = check_labels(y_true, "y_true", size=noisy.shape[0])
    wrong: BoolArray = noisy != truth
    if not np.any(wrong) or np.all(wrong):
        what = "no wrong labels" if not np.any(wrong) else "no right labels"
        raise fail(
            "y_true",
            "differ from y_noisy on at least one sample and agree on at least one "
            "(both rho and phi need samples)",
            f"{what} among {noisy.shape[0]} samples",
        )
    return wrong


def _check_keep(keep: object, size: int) -> BoolArray:
    arr = np.asarray(keep)
    if arr.dtype != np.bool_ or arr.shape != (size,):
        raise fail(
            "keep",
            f"be a boolean array of shape ({size},) (one decision per sample)",
            f"dtype {arr.dtype}, shape {arr.shape}",
        )
    return arr


def estimate_rates(
    keep: ArrayLike,
    y_noisy: ArrayLike,
    y_true: ArrayLike,
    *,
    confidence: float = 0.95,
) -> VerifierRates:
    """Estimate ``(ρ, φ)`` from keep decisions already made.

    Parameters
    ----------
    keep : array_like of bool, shape (m,)
        Keep decisions (e.g. ``Verdict.keep``).
    y_noisy : array_like, shape (m,)
        Given labels in {-1, +1}.
    y_true : array_like, shape (m,)
        Clean labels in {-1, +1}; at least one must differ from ``y_noisy`` and one agree.
    confidence : float, default 0.95
        Level of the Clopper–Pearson intervals, in (0, 1).

    Returns
    -------
    VerifierRates

    Examples
    --------
    >>> r = estimate_rates([True, False, True, True], [1, 1, -1, -1], [1, -1, -1, 1])
    >>> r.phi, r.rho, r.n_right, r.n_wrong
    (1.0, 0.5, 2, 2)
    """
    conf = _check_confidence(confidence)
    wrong = _check_flips(y_noisy, y_true)
    return _rates(_check_keep(keep, wrong.shape[0]), wrong, conf, None, None)


def measure_rates(
    verifier: Verifier,
    X_syn: ArrayLike,
    y_noisy: ArrayLike,
    y_true: ArrayLike,
    *,
    rng: RngLike = None,
    confidence: float = 0.95,
) -> VerifierRates:
    """Run a verifier on synthetic samples with known flips and estimate its ``(ρ, φ)``.

    Parameters
    ----------
    verifier : Verifier
        Any object with ``decide(X_syn, y_syn, *, rng, y_true) -> Verdict``.
    X_syn : array_like, shape (m, d)
        Synthetic features.
    y_noisy : array_like, shape (m,)
        Given (possibly flipped) labels in {-1, +1}; what the verifier judges.
    y_true : array_like, shape (m,)
        Clean labels in {-1, +1}; at least one must differ from ``y_noisy`` and one agree.
        Passed to the verifier too (only :class:`OracleVerifier` uses it).
    rng : None, int, SeedSequence or numpy Generator, optional
        Passed to the verifier (its coin flips, if any).
    confidence : float, default 0.95
        Level of the Clopper–Pearson intervals, in (0, 1).

    Returns
    -------
    VerifierRates
        ``rates.as_theory_kwargs()`` gives ``{"rho": ρ̂, "phi": φ̂}`` for
        :func:`synthmix.theory.predict`.

    Examples
    --------
    >>> from synthmix.pruning import OracleVerifier, flip_labels
    >>> y = np.tile([1, -1], 2000)
    >>> y_noisy, _ = flip_labels(y, 0.3, rng=0)
    >>> X = np.zeros((y.size, 1))
    >>> r = measure_rates(OracleVerifier(rho=0.1, phi=0.9), X, y_noisy, y, rng=1)
    >>> r.rho_ci[0] < 0.1 < r.rho_ci[1] and r.phi_ci[0] < 0.9 < r.phi_ci[1]
    True
    """
    if not callable(getattr(verifier, "decide", None)):
        raise fail(
            "verifier",
            "have a decide(X_syn, y_syn, *, rng, y_true) method",
            type(verifier).__name__,
        )
    conf = _check_confidence(confidence)
    wrong = _check_flips(y_noisy, y_true)
    X = check_feature_matrix(X_syn, "X_syn")
    if X.shape[0] != wrong.shape[0]:
        raise fail(
            "X_syn",
            f"have {wrong.shape[0]} rows (one per label in y_noisy)",
            f"shape {X.shape}",
        )
    seed = int_seed(rng)
    gen = as_generator(rng)
    verdict = verifier.decide(X, y_noisy, rng=gen, y_true=y_true)
    keep = _check_keep(getattr(verdict, "keep", None), wrong.shape[0])
    return _rates(keep, wrong, conf, type(verifier).__name__, seed)
