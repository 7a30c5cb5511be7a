"""Theory against simulation: Monte-Carlo markers on theory curves, and whether they agree.

A :class:`Curve` is one theory curve on a dense grid with the Monte-Carlo markers that check
it; :class:`MonteCarloMarker` carries a marker's mean, standard error and z-score against the
theory, and :func:`agreement_summary` counts the markers within the agreement rule
``|mc_mean - theory| <= z * mc_stderr + bias`` (docs/conventions.md, "Theory vs Monte-Carlo
tests"). :class:`ToySettingResult` and :class:`PhaseTransitionResult` hold the two sweeps of
docs/math/rmt.md (Fig. 3: real + pruned synthetic data from an estimated generator; Fig. 4:
synthetic-only accuracy across the label-noise phase transition).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from synthmix._types import FloatArray
from synthmix._validation import fail

__all__ = [
    "AGREEMENT_BIAS",
    "AGREEMENT_Z",
    "AgreementSummary",
    "Curve",
    "MonteCarloMarker",
    "PhaseTransitionResult",
    "ToySettingResult",
    "agreement_summary",
]

#: Agreement rule between a Monte-Carlo marker and the theory (docs/conventions.md, "Theory vs
#: Monte-Carlo tests"): ``|mc_mean - theory| <= AGREEMENT_Z * mc_stderr + AGREEMENT_BIAS``. The
#: bias term absorbs finite-size corrections of the asymptotic theory (O(1/sqrt(p)) effects at
#: p = 50-500) and the noise of a standard error estimated from few trials.
AGREEMENT_Z = 4.0
AGREEMENT_BIAS = 0.004


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonteCarloMarker:
    """One Monte-Carlo point compared with the theory at exactly the same parameters.

    Attributes
    ----------
    x : float
        Position on the figure's x-axis (synthetic proportion ``m/(n+m)`` for Fig. 3, the
        label-noise rate ε for Fig. 4).
    n, m : int
        Real and synthetic sample counts of the simulation.
    epsilon, rho, phi : float
        Label-flip rate and verifier keep probabilities.
    accuracy_mean, accuracy_stderr : float
        Monte-Carlo mean test accuracy over ``n_trials`` trials and its standard error.
    theory : float
        Theoretical accuracy at ``(n, m, epsilon, rho, phi)`` (integer ``m``, not the grid).
    z : float
        ``(accuracy_mean - theory) / accuracy_stderr`` (``±inf`` when the standard error is 0
        and the two differ, 0 when they are equal).
    n_trials : int
        Independent trials.
    seed_key : tuple of int
        ``spawn_key`` of the marker's :class:`numpy.random.SeedSequence` (the root entropy is
        the experiment's seed).
    """

    x: float
    n: int
    m: int
    epsilon: float
    rho: float
    phi: float
    accuracy_mean: float
    accuracy_stderr: float
    theory: float
    z: float
    n_trials: int
    seed_key: tuple[int, ...]

    def tolerance(self, z: float = AGREEMENT_Z, bias: float = AGREEMENT_BIAS) -> float:
        """Allowed ``|accuracy_mean - theory|``: ``z * accuracy_stderr + bias``."""
        return z * self.accuracy_stderr + bias

    def agrees(self, z: float = AGREEMENT_Z, bias: float = AGREEMENT_BIAS) -> bool:
        """Whether ``|accuracy_mean - theory| <= z * accuracy_stderr + bias``."""
        return abs(self.accuracy_mean - self.theory) <= self.tolerance(z, bias)


@dataclass(frozen=True, eq=False)
class Curve:
    """A theory curve and the Monte-Carlo markers that check it.

    Attributes
    ----------
    label : str
        Legend label, e.g. ``"p = 200"`` or ``"m = 10p (p/m = 0.1)"``.
    parameters : mapping of str to float or str
        What distinguishes this curve (``p``, ``rho``, ``phi``, ``m``, verifier name ...).
    theory_x : ndarray, shape (k,)
        Dense x grid of the theory.
    theory_accuracy : ndarray, shape (k,)
        Theoretical accuracy on ``theory_x``.
    markers : tuple of MonteCarloMarker
        Monte-Carlo markers, in increasing ``x``.
    """

    label: str
    parameters: Mapping[str, float | str]
    theory_x: FloatArray
    theory_accuracy: FloatArray
    markers: tuple[MonteCarloMarker, ...]


@dataclass(frozen=True)
class AgreementSummary:
    """How well Monte-Carlo markers agree with the theory.

    Attributes
    ----------
    n_markers : int
    n_within : int
        Markers with ``|mc - theory| <= z * stderr + bias``.
    max_abs_z : float
        Largest ``|z|`` (NaN without markers).
    max_abs_error : float
        Largest ``|mc - theory|`` in accuracy units (NaN without markers).
    z, bias : float
        The rule's constants.
    """

    n_markers: int
    n_within: int
    max_abs_z: float
    max_abs_error: float
    z: float = AGREEMENT_Z
    bias: float = AGREEMENT_BIAS

    @property
    def all_within(self) -> bool:
        """True when every marker satisfies the rule."""
        return self.n_within == self.n_markers


@dataclass(frozen=True, eq=False)
class ToySettingResult:
    """Fig. 3: accuracy vs synthetic proportion with an estimated generator.

    Attributes
    ----------
    curves : tuple of Curve
        One per (verifier, p), verifiers outermost; ``curve.parameters`` holds ``verifier``,
        ``p``, ``rho`` and ``phi``. ``theory_x`` is the synthetic proportion ``m/(n+m)``.
    p_values : tuple of int
    verifiers : mapping of str to (float, float)
        ``name -> (rho, phi)``.
    n, n_hat : int
        Real training samples and real samples behind the generator.
    mu_norm, gamma, epsilon : float
    choice : str
        Why ε and the weak verifier were chosen (the paper does not state them).
    seed_entropy : int
        Entropy of the root :class:`numpy.random.SeedSequence`; with ``seed_key`` of each
        marker it reproduces any marker.
    seconds : float
        Wall time of the experiment.
    """

    curves: tuple[Curve, ...]
    p_values: tuple[int, ...]
    verifiers: Mapping[str, tuple[float, float]]
    n: int
    n_hat: int
    mu_norm: float
    gamma: float
    epsilon: float
    choice: str
    seed_entropy: int
    seconds: float

    def curve(self, verifier: str, p: int) -> Curve:
        """The curve of ``verifier`` at dimension ``p``."""
        for c in self.curves:
            if c.parameters["verifier"] == verifier and c.parameters["p"] == p:
                return c
        raise fail(
            "verifier and p",
            f"name a curve of this result ({list(self.verifiers)}, {list(self.p_values)})",
            (verifier, p),
        )


@dataclass(frozen=True, eq=False)
class PhaseTransitionResult:
    """Fig. 4: synthetic-only accuracy vs label noise ε, for several sample sizes.

    Attributes
    ----------
    curves : tuple of Curve
        One per ``m`` (``curve.parameters["m"]``); ``theory_x`` is ε on [0, 1].
    m_values : tuple of int
    p : int
    mu_norm, gamma, rho, phi : float
    epsilon_star : float
        ``φ/(φ+ρ)``, where every curve crosses 1/2.
    accuracy_at_transition : ndarray, shape (len(m_values),)
        Theoretical accuracy at exactly ``epsilon_star`` for each curve (1/2 up to round-off).
    step_high, step_low : float
        Infinite-sample limits ``Φ(|μ|)`` (ε < ε*) and ``1 - Φ(|μ|)`` (ε > ε*).
    seed_entropy : int
    seconds : float
    """

    curves: tuple[Curve, ...]
    m_values: tuple[int, ...]
    p: int
    mu_norm: float
    gamma: float
    rho: float
    phi: float
    epsilon_star: float
    accuracy_at_transition: FloatArray
    step_high: float
    step_low: float
    seed_entropy: int
    seconds: float


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def agreement_summary(
    curves: Sequence[Curve], *, z: float = AGREEMENT_Z, bias: float = AGREEMENT_BIAS
) -> AgreementSummary:
    """Summarise the agreement of every marker of ``curves`` with its theory value.

    Parameters
    ----------
    curves : sequence of Curve
    z, bias : float
        A marker agrees when ``|mc - theory| <= z * stderr + bias``.

    Returns
    -------
    AgreementSummary
    """
    markers = [mk for c in curves for mk in c.markers]
    if not markers:
        return AgreementSummary(0, 0, math.nan, math.nan, z, bias)
    return AgreementSummary(
        n_markers=len(markers),
        n_within=sum(mk.agrees(z, bias) for mk in markers),
        max_abs_z=max(abs(mk.z) for mk in markers),
        max_abs_error=max(abs(mk.accuracy_mean - mk.theory) for mk in markers),
        z=z,
        bias=bias,
    )
