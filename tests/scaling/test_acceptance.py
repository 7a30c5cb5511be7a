"""Issue 4 acceptance: fitted breakpoints on exact-model curves with 5% multiplicative noise.

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
