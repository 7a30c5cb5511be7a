"""Empirical checks of the random-matrix laws the theory rests on (docs/math/rmt.md).

:func:`marchenko_pastur_spectra` draws real sample covariances ``(1/n̂) Z Zᵀ`` and sets their
eigenvalues against the Marchenko–Pastur law of ratio ``c = p/n̂`` (density, atom at 0 when
``c > 1``, the mid-quantiles the theory uses in place of a random spectrum);
:func:`fixed_point_curves` solves the theorem's fixed-point scalars ``(δ, δ_s)`` along ``p/n``
and checks them against the closed form of the real-only case (:func:`real_only_delta`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from synthmix._random import RngLike, child_sequence, root_entropy, seed_sequence
from synthmix._types import FloatArray, StageProgress
from synthmix._validation import check_int, check_positive, fail
from synthmix.theory import (
    MixtureModel,
    marchenko_pastur_quantiles,
    marchenko_pastur_support,
    predict,
)

__all__ = [
    "FIG1_STAGE",
    "FIG2_SETTINGS",
    "FixedPointCurve",
    "FixedPointResult",
    "MarchenkoPasturResult",
    "SpectrumPanel",
    "fixed_point_curves",
    "ks_distance",
    "marchenko_pastur_spectra",
    "real_only_delta",
]

#: Progress stage reported by :func:`marchenko_pastur_spectra`.
FIG1_STAGE = "Fig. 1 eigenvalues"

#: Settings of the four Fig. 2 curves: ``n`` real samples with ``p/n`` on the x-axis, plus
#: ``m = m_over_n * n`` synthetic samples from a generator whose covariance spectrum is the
#: Marchenko–Pastur law of ratio ``generator_ratio`` (estimated from ``p/generator_ratio``
#: real samples), labels flipped with probability ``epsilon``, verifier ``(rho, phi)``.
FIG2_SETTINGS: tuple[Mapping[str, Any], ...] = (
    {"label": "real only, γ = 1", "gamma": 1.0, "m_over_n": 0.0},
    {"label": "real only, γ = 0.1", "gamma": 0.1, "m_over_n": 0.0},
    {
        "label": "real + synthetic (m = n), no pruning",
        "gamma": 1.0,
        "m_over_n": 1.0,
        "generator_ratio": 0.5,
        "epsilon": 0.4,
        "rho": 1.0,
        "phi": 1.0,
    },
    {
        "label": "real + synthetic (m = n), pruned (ρ = 0.1, φ = 0.9)",
        "gamma": 1.0,
        "m_over_n": 1.0,
        "generator_ratio": 0.5,
        "epsilon": 0.4,
        "rho": 0.1,
        "phi": 0.9,
    },
)


@dataclass(frozen=True, eq=False)
class SpectrumPanel:
    """Eigenvalues of sample covariances of one ratio, and the law they follow.

    Attributes
    ----------
    ratio : float
        ``c = p/n̂``.
    p, n_hat : int
        Dimension and number of samples of each sample covariance.
    eigenvalues : ndarray, shape (draws, p)
        Sorted eigenvalues of ``(1/n̂) Z Zᵀ`` per independent draw; the ``p - n̂`` smallest are
        set to exactly 0 when ``p > n̂`` (the matrix has rank ``n̂``).
    quantiles : ndarray, shape (p,)
        :func:`~synthmix.theory.marchenko_pastur_quantiles` ``(p, c)``.
    ks : ndarray, shape (draws,)
        Kolmogorov–Smirnov distance between each draw's eigenvalues and ``quantiles``.
    atom : float
        Mass of the law at 0: ``max(0, 1 - 1/c)``.
    support : (float, float)
        Edges ``((1-√c)², (1+√c)²)`` of the continuous part.
    """

    ratio: float
    p: int
    n_hat: int
    eigenvalues: FloatArray
    quantiles: FloatArray
    ks: FloatArray
    atom: float
    support: tuple[float, float]

    @property
    def zero_fraction(self) -> float:
        """Fraction of exactly-zero eigenvalues, pooled over draws."""
        return float(np.mean(self.eigenvalues == 0.0))

    def histogram(self, bins: int) -> tuple[FloatArray, FloatArray]:
        """Histogram of the non-zero eigenvalues, pooled over draws, as a density.

        The bins cover the support ``[a, b]`` widened by 3% of its length on each side; the
        density is normalised by the count of *all* eigenvalues, so that it integrates to
        the non-zero fraction (``min(1, 1/c)``), like
        :func:`~synthmix.theory.marchenko_pastur_density`.

        Parameters
        ----------
        bins : int

        Returns
        -------
        edges : ndarray, shape (bins + 1,)
        density : ndarray, shape (bins,)
        """
        a, b = self.support
        pad = 0.03 * (b - a)
        values = self.eigenvalues[self.eigenvalues > 0.0]
        counts, edges = np.histogram(values, bins=bins, range=(max(0.0, a - pad), b + pad))
        density = counts / (self.eigenvalues.size * np.diff(edges))
        return edges.astype(np.float64), density.astype(np.float64)


@dataclass(frozen=True, eq=False)
class MarchenkoPasturResult:
    """Fig. 1: sample-covariance spectra against the Marchenko–Pastur law.

    Attributes
    ----------
    panels : tuple of SpectrumPanel
        One per ratio, in the order given.
    p : int
    draws : int
        Independent matrices per ratio.
    bins : int
        Histogram bins of the figure.
    seed_entropy : int
        Root seed; draw ``k`` of panel ``i`` uses ``SeedSequence(seed, spawn_key=(i, k))``.
    seconds : float
    """

    panels: tuple[SpectrumPanel, ...]
    p: int
    draws: int
    bins: int
    seed_entropy: int
    seconds: float


def ks_distance(a: ArrayLike, b: ArrayLike) -> float:
    """Two-sample Kolmogorov–Smirnov distance ``sup_x |F_a(x) - F_b(x)|``.

    Parameters
    ----------
    a, b : array_like, shape (k,) and (l,)
        Samples (finite); ties, such as repeated zeros, are handled exactly.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> ks_distance([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.5])
    0.25
    """
    x = np.sort(np.asarray(a, dtype=np.float64).ravel())
    y = np.sort(np.asarray(b, dtype=np.float64).ravel())
    if x.size == 0 or y.size == 0:
        raise fail("samples", "be non-empty", (x.size, y.size))
    points = np.concatenate([x, y])
    fx = np.searchsorted(x, points, side="right") / x.size
    fy = np.searchsorted(y, points, side="right") / y.size
    return float(np.max(np.abs(fx - fy)))


def marchenko_pastur_spectra(
    *,
    p: int = 400,
    ratios: Sequence[float] = (0.25, 1.0, 2.0),
    draws: int = 10,
    bins: int = 60,
    rng: RngLike = 0,
    progress: StageProgress | None = None,
) -> MarchenkoPasturResult:
    """Fig. 1: eigenvalues of white sample covariances vs the Marchenko–Pastur law.

    For each ratio ``c``, draws ``draws`` matrices ``Z`` of shape ``(p, n̂)`` with
    ``n̂ = round(p/c)`` and i.i.d. N(0, 1) entries, and computes the spectrum of
    ``(1/n̂) Z Zᵀ`` (``eigh``). The theory replaces that random spectrum by the deterministic
    mid-quantiles of the law (docs/math/rmt.md, "Generator estimated from n̂ real samples"); their
    Kolmogorov–Smirnov distance to each draw measures how good the replacement is.

    Parameters
    ----------
    p : int, default 400
        Dimension.
    ratios : sequence of float, default (0.25, 1, 2)
        ``c = p/n̂`` (> 0), one panel each.
    draws : int, default 10
        Independent matrices per ratio.
    bins : int, default 60
        Histogram bins used by the figure.
    rng : None, int, SeedSequence or Generator, default 0
        Root seed; draw ``k`` of ratio ``i`` uses the child ``(i, k)``.
    progress : callable, optional
        ``progress("Fig. 1 eigenvalues", done, total)`` after each matrix.

    Returns
    -------
    MarchenkoPasturResult

    Examples
    --------
    >>> res = marchenko_pastur_spectra(p=50, ratios=(0.5, 2.0), draws=2)
    >>> res.panels[1].n_hat, res.panels[1].atom, res.panels[1].zero_fraction
    (25, 0.5, 0.5)
    """
    start = time.perf_counter()
    p = check_int(p, "p", minimum=2)
    draws = check_int(draws, "draws", minimum=1)
    bins = check_int(bins, "bins", minimum=5)
    cs = tuple(float(check_positive(c, "ratios")) for c in ratios)
    if not cs:
        raise fail("ratios", "not be empty", ratios)
    root = seed_sequence(rng)
    total, done = len(cs) * draws, 0
    panels = []
    for i, c in enumerate(cs):
        n_hat = max(1, round(p / c))
        ratio = p / n_hat  # the realised ratio
        quantiles = marchenko_pastur_quantiles(p, ratio)
        eig = np.empty((draws, p))
        for k in range(draws):
            gen = np.random.default_rng(child_sequence(root, i, k))
            z = gen.standard_normal((p, n_hat))
            values = np.linalg.eigvalsh(z @ z.T / n_hat)
            values[: max(0, p - n_hat)] = 0.0  # rank n̂: the null space is exactly zero
            eig[k] = np.maximum(values, 0.0)
            done += 1
            if progress is not None:
                progress(FIG1_STAGE, done, total)
        panels.append(
            SpectrumPanel(
                ratio=ratio,
                p=p,
                n_hat=n_hat,
                eigenvalues=eig,
                quantiles=quantiles,
                ks=np.array([ks_distance(row, quantiles) for row in eig]),
                atom=max(0.0, 1.0 - 1.0 / ratio),
                support=marchenko_pastur_support(ratio),
            )
        )
    return MarchenkoPasturResult(
        panels=tuple(panels),
        p=p,
        draws=draws,
        bins=bins,
        seed_entropy=root_entropy(root),
        seconds=time.perf_counter() - start,
    )


# --------------------------------------------------------------------------------------------
# Fig. 2: the fixed-point scalars
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FixedPointCurve:
    """``(δ, δ_s)`` of the theorem along a ``p/n`` grid for one setting.

    Attributes
    ----------
    label : str
    parameters : mapping
        The setting (one entry of :data:`FIG2_SETTINGS`).
    ratio : ndarray, shape (k,)
        ``p/n`` (``n`` real samples; ``m = m_over_n · n``).
    delta, delta_s : ndarray, shape (k,)
        From :func:`~synthmix.theory.predict`.
    closed_form : ndarray, shape (k,) or None
        Real-only curves: :func:`real_only_delta` at ``η = p/n``; None otherwise.
    """

    label: str
    parameters: Mapping[str, Any]
    ratio: FloatArray
    delta: FloatArray
    delta_s: FloatArray
    closed_form: FloatArray | None

    @property
    def max_abs_error(self) -> float:
        """``max |δ - closed form|`` (NaN without a closed form)."""
        if self.closed_form is None:
            return math.nan
        return float(np.max(np.abs(self.delta - self.closed_form)))


@dataclass(frozen=True, eq=False)
class FixedPointResult:
    """Fig. 2: the fixed-point scalars vs ``p/n``.

    Attributes
    ----------
    curves : tuple of FixedPointCurve
    p : int
    max_abs_error : float
        Largest ``|δ - closed form|`` over the real-only curves.
    seconds : float
    """

    curves: tuple[FixedPointCurve, ...]
    p: int
    max_abs_error: float
    seconds: float


def real_only_delta(eta: ArrayLike, gamma: ArrayLike) -> FloatArray:
    """Closed-form ``δ`` of real-only training: positive root of ``γδ² + (γ+1-η)δ - η = 0``.

    With ``m = 0`` (so ``π = 1``) and identity covariance the theorem's fixed point reads
    ``δ = η / (γ + 1/(1+δ))`` with ``η = p/n``, i.e. the quadratic above.

    Parameters
    ----------
    eta : array_like
        ``p/n`` (> 0).
    gamma : array_like
        Ridge penalty (> 0).

    Returns
    -------
    ndarray
        Broadcast shape; computed without cancellation (``2η / (b + sqrt(b² + 4γη))``).

    Examples
    --------
    >>> float(real_only_delta(1.0, 1.0))  # δ² + δ - 1 = 0
    0.6180339887498949
    """
    e = check_positive(eta, "eta")
    g = check_positive(gamma, "gamma")
    b = g + 1.0 - e
    root = np.sqrt(b * b + 4.0 * g * e)
    # (-b + root)/(2γ) = 2η/(b + root); use the form without cancellation for each sign of b.
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b >= 0, 2.0 * e / (b + root), (root - b) / (2.0 * g))
    return np.asarray(out, dtype=np.float64)


def fixed_point_curves(
    *,
    p: int = 400,
    ratios: ArrayLike | None = None,
    settings: Sequence[Mapping[str, Any]] = FIG2_SETTINGS,
) -> FixedPointResult:
    """Fig. 2: ``(δ, δ_s)`` from :func:`~synthmix.theory.predict` vs ``p/n``.

    Parameters
    ----------
    p : int, default 400
        Dimension; the x-axis moves ``n = p/ratio`` (real samples, need not be integers).
    ratios : array_like, shape (k,), optional
        ``p/n`` grid (> 0); default 241 points from 0.02 to 10, geometric.
    settings : sequence of mapping, default :data:`FIG2_SETTINGS`
        Keys ``label``, ``gamma``, ``m_over_n`` and, when ``m_over_n > 0``,
        ``generator_ratio``, ``epsilon``, ``rho``, ``phi``.

    Returns
    -------
    FixedPointResult
        Real-only settings (``m_over_n = 0``) carry the closed form of
        :func:`real_only_delta`.

    Examples
    --------
    >>> res = fixed_point_curves(p=100, ratios=[0.5, 1.0, 2.0])
    >>> len(res.curves), bool(res.max_abs_error < 1e-8)
    (4, True)
    """
    start = time.perf_counter()
    p = check_int(p, "p", minimum=1)
    grid = (
        np.geomspace(0.02, 10.0, 241)
        if ratios is None
        else np.sort(check_positive(ratios, "ratios").ravel())
    )
    if grid.size == 0:
        raise fail("ratios", "not be empty", ratios)
    if not settings:
        raise fail("settings", "not be empty", settings)
    n = p / grid
    mu = np.zeros(p)
    mu[0] = 1.0  # δ and δ_s do not depend on the means
    curves = []
    for s in settings:
        gamma = float(check_positive(s["gamma"], "gamma"))
        m_over_n = float(s.get("m_over_n", 0.0))
        if m_over_n > 0:
            cov = marchenko_pastur_quantiles(p, float(s["generator_ratio"]))
            model = MixtureModel(mu, cov_synth=cov)
            pred = predict(
                model,
                n=n,
                m=m_over_n * n,
                epsilon=s["epsilon"],
                rho=s["rho"],
                phi=s["phi"],
                gamma=gamma,
            )
            closed = None
        else:
            pred = predict(MixtureModel(mu), n=n, m=0.0, gamma=gamma)
            closed = real_only_delta(grid, gamma)
        curves.append(
            FixedPointCurve(
                label=str(s["label"]),
                parameters=dict(s),
                ratio=grid.copy(),
                delta=np.asarray(pred.delta, dtype=np.float64),
                delta_s=np.asarray(pred.delta_s, dtype=np.float64),
                closed_form=closed,
            )
        )
    errors = [c.max_abs_error for c in curves if c.closed_form is not None]
    return FixedPointResult(
        curves=tuple(curves),
        p=p,
        max_abs_error=max(errors) if errors else math.nan,
        seconds=time.perf_counter() - start,
    )


# --------------------------------------------------------------------------------------------
# Shared output helpers
# --------------------------------------------------------------------------------------------
