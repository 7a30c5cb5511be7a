"""Acceptance: fitted breakpoints on exact-model curves with 5% multiplicative noise.

For every setting of the spec's grid with n2/n1 ≥ 10, the curve E(n) of the exact model is
observed at 60 log-spaced sizes around [n1, n2] with lognormal noise of 5%; the continuous
three-segment fit must land within a factor 2 of n1 and n2 in ≥ 80% of settings, and across the
grid the fitted breakpoints must scale as the predicted ones (log–log slope in [0.9, 1.1]).
Curves without truncation (k = M) must not be reported as three-phase.
"""

from __future__ import annotations

import itertools

import numpy as np

from synthmix.scaling import LongTailModel, breakpoints, expected_error, fit_three_phase


def _noisy_curve(
    model: LongTailModel, lo: float, hi: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = np.logspace(np.log10(lo), np.log10(hi), 60)
    return n, expected_error(model, n) * np.exp(0.05 * rng.standard_normal(n.size))


def test_fitted_breakpoints_track_the_exact_model() -> None:
    rng = np.random.default_rng(0)
    predicted, fitted, within = [], [], []
    for beta, k, pi in itertools.product((1.5, 2.0, 3.0), (10, 30, 100), (0.01, 0.05, 0.1)):
        model = LongTailModel(beta=beta, k=k, pi=pi, M=10**6)
        n1, n2 = breakpoints(model)
        if n2 / n1 < 10:
            continue
        n, err = _noisy_curve(model, n1 / 100, n2 * 100, rng)
        fit = fit_three_phase(n, err, rng=0, n_boot=20)
        predicted.append((n1, n2))
        fitted.append(tuple(fit.breakpoints))
        within.append(all(0.5 <= fit.breakpoints[i] / (n1, n2)[i] <= 2.0 for i in range(2)))
    assert len(within) >= 20
    assert np.mean(within) >= 0.8
    logp, logf = np.log(np.array(predicted)), np.log(np.array(fitted))
    for i in range(2):
        slope = np.polyfit(logp[:, i], logf[:, i], 1)[0]
        assert 0.9 <= slope <= 1.1, (i, slope)


def test_untruncated_curves_are_not_three_phase() -> None:
    rng = np.random.default_rng(1)
    for beta in (1.5, 2.0, 3.0):
        model = LongTailModel(beta=beta, k=10**5, pi=0.1, M=10**5)  # k = M: nothing truncated
        n, err = _noisy_curve(model, 10, 1e6, rng)
        assert fit_three_phase(n, err, rng=0, n_boot=20).n_phases < 3


def test_intervals_are_calibrated_on_fresh_noise() -> None:
    """90% breakpoint intervals of 40 noisy refits (2 settings × 20) cover the noise-free fit.

    Threshold 31/40: a calibrated interval (coverage 0.9) falls below it with probability 0.5%
    (binomial); the hinge-resampling bootstrap this replaced covered 60-80% on such curves
    (measured), which passes with probability 6% at coverage 0.65 and 20% at 0.7. Refits on
    fresh noise must also land inside one fit's
    replicate interval about 90% of the time (pairs of refits; ≥ 0.8 asserted).
    """
    rng = np.random.default_rng(7)
    covered = np.zeros(2)
    inside = []
    for beta, k, pi in ((2.0, 30, 0.01), (3.0, 10, 0.1)):
        model = LongTailModel(beta=beta, k=k, pi=pi)
        n1, n2 = breakpoints(model)
        n = np.logspace(np.log10(n1 / 100), np.log10(n2 * 100), 60)
        clean = expected_error(model, n)
        target = fit_three_phase(n, clean, rng=0, n_boot=10).breakpoints
        fits = [
            fit_three_phase(n, clean * np.exp(0.05 * rng.standard_normal(n.size)), rng=r, n_boot=50)
            for r in range(20)
        ]
        for fit in fits:
            ci = fit.breakpoints_ci
            covered += (ci[:, 0] <= target) & (target <= ci[:, 1])
        est = np.array([f.breakpoints for f in fits])
        for j, fit in enumerate(fits):
            rep = fit.breakpoints_replicate_ci
            others = np.delete(est, j, axis=0)
            inside.append(np.mean((rep[:, 0] <= others) & (others <= rep[:, 1]), axis=0))
    assert np.all(covered >= 31), covered
    assert np.all(np.mean(inside, axis=0) >= 0.8), np.mean(inside, axis=0)
