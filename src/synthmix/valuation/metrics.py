"""Agreement of valuations with ground truth, and their stability (docs/math/valuation.md).

Correlations (Spearman, Kendall, Pearson) between a method's values and a ground truth over the
sources of one market, with percentile-bootstrap intervals over sources; the same pooled over
many markets (mean of per-market correlations, bootstrap over markets); and the stability of a
method's values when every source is subsampled (the paper's Table 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import kendalltau, pearsonr, spearmanr

from synthmix._random import RngLike, as_generator
from synthmix._types import FloatArray
from synthmix._validation import check_int, fail
from synthmix.data import Dataset

__all__ = ["CORRELATIONS", "Agreement", "agreement", "market_agreement", "stability"]

CORRELATIONS = ("spearman", "kendall", "pearson")


def _corr(kind: str, a: FloatArray, b: FloatArray) -> float:
    if np.ptp(a) == 0.0 or np.ptp(b) == 0.0:
        return 0.0  # a constant valuation carries no ranking information
    if kind == "spearman":
        return float(spearmanr(a, b).statistic)
    if kind == "kendall":
        return float(kendalltau(a, b).statistic)
    return float(pearsonr(a, b).statistic)


@dataclass(frozen=True)
class Agreement:
    """Correlation of values with a ground truth, with bootstrap intervals.

    Attributes
    ----------
    estimate : dict of str to float
        ``spearman``, ``kendall``, ``pearson``.
    ci : dict of str to tuple of float
        Percentile-bootstrap interval of each, at ``confidence``.
    n : int
        Sources (one market) or markets (pooled).
    unit : str
        ``"sources"`` or ``"markets"``: what the bootstrap resampled.
    confidence : float
    n_boot : int
    """

    estimate: dict[str, float]
    ci: dict[str, tuple[float, float]]
    n: int
    unit: str
    confidence: float
    n_boot: int


def _paired(values: Mapping[str, float], truth: Mapping[str, float]) -> tuple[FloatArray, ...]:
    if set(values) != set(truth):
        raise fail("truth", "value the same sources as values", sorted(set(values) ^ set(truth)))
    if len(values) < 3:
        raise fail("values", "cover at least 3 sources", len(values))
    names = list(values)
    return (
        np.array([values[n] for n in names], dtype=np.float64),
        np.array([truth[n] for n in names], dtype=np.float64),
    )


def _interval(boot: FloatArray, confidence: float) -> tuple[float, float]:
    a = 0.5 * (1.0 - confidence)
    lo, hi = np.nanquantile(boot, [a, 1.0 - a])
    return float(lo), float(hi)


def agreement(
    values: Mapping[str, float],
    truth: Mapping[str, float],
    *,
    rng: RngLike = 0,
    n_boot: int = 1000,
    confidence: float = 0.9,
) -> Agreement:
    """Spearman, Kendall and Pearson correlation of ``values`` with ``truth`` over sources.

    Parameters
    ----------
    values, truth : mapping of str to float
        The same ≥ 3 source names; higher = more valuable in both.
    rng : seed
    n_boot : int, default 1000
        Bootstrap resamples of the sources (with replacement).
    confidence : float, default 0.9

    Returns
    -------
    Agreement
    """
    v, t = _paired(values, truth)
    n_boot = check_int(n_boot, "n_boot", minimum=10)
    gen = as_generator(rng)
    idx = gen.integers(0, v.shape[0], size=(n_boot, v.shape[0]))
    est = {k: _corr(k, v, t) for k in CORRELATIONS}
    ci = {
        k: _interval(np.array([_corr(k, v[i], t[i]) for i in idx]), confidence)
        for k in CORRELATIONS
    }
    return Agreement(est, ci, int(v.shape[0]), "sources", float(confidence), n_boot)


def market_agreement(
    pairs: Sequence[tuple[Mapping[str, float], Mapping[str, float]]],
    *,
    rng: RngLike = 0,
    n_boot: int = 2000,
    confidence: float = 0.9,
) -> Agreement:
    """Mean per-market correlation over many markets, bootstrap over markets.

    Parameters
    ----------
    pairs : sequence of (values, truth)
        One pair of mappings per market.
    rng, n_boot, confidence
        As :func:`agreement`.

    Returns
    -------
    Agreement
        ``estimate[k]``: the mean over markets of the per-market correlation ``k``.
    """
    if len(pairs) < 2:
        raise fail("pairs", "hold at least 2 markets", len(pairs))
    per = np.array([[_corr(k, *_paired(v, t)) for k in CORRELATIONS] for v, t in pairs])
    gen = as_generator(rng)
    idx = gen.integers(0, per.shape[0], size=(check_int(n_boot, "n_boot", minimum=10), len(per)))
    boot = per[idx].mean(axis=1)  # (n_boot, 3)
    est = {k: float(per[:, j].mean()) for j, k in enumerate(CORRELATIONS)}
    ci = {k: _interval(boot[:, j], confidence) for j, k in enumerate(CORRELATIONS)}
    return Agreement(est, ci, int(per.shape[0]), "markets", float(confidence), int(n_boot))


def stability(
    value_fn: Callable[[Mapping[str, Dataset], Any], Mapping[str, float]],
    sources: Mapping[str, Dataset],
    *,
    fractions: Sequence[float] = (0.1, 0.25, 0.5),
    rng: RngLike = 0,
) -> dict[float, float]:
    """Spearman correlation of values on subsampled sources with the full-data values.

    Parameters
    ----------
    value_fn : callable
        ``value_fn(sources, rng) -> {name: value}`` (e.g. a closure over
        :func:`~synthmix.valuation.value_sources` with the reference fixed).
    sources : mapping of str to Dataset
    fractions : sequence of float
        Each source keeps ``max(2, round(f·n))`` samples drawn without replacement.
    rng : seed
        Child 0 values the full data, child ``i`` subsamples and values fraction ``i``.

    Returns
    -------
    dict of float to float
        Fraction → Spearman correlation with the full-data values.
    """
    for f in fractions:
        if not 0.0 < float(f) <= 1.0:
            raise fail("fractions", "lie in (0, 1]", f)
    kids = np.random.SeedSequence(as_generator(rng).integers(2**63)).spawn(len(fractions) + 1)
    full = value_fn(sources, kids[0])
    names = list(sources)
    out: dict[float, float] = {}
    for f, kid in zip(fractions, kids[1:], strict=True):
        gen = np.random.default_rng(kid)
        sub = {
            n: ds.subset(gen.choice(ds.n, size=max(2, round(f * ds.n)), replace=False))
            for n, ds in sources.items()
        }
        part = value_fn(sub, kid)
        out[float(f)] = _corr(
            "spearman", np.array([full[n] for n in names]), np.array([part[n] for n in names])
        )
    return out
