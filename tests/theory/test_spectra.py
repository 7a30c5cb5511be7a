"""Marchenko–Pastur spectrum used by the estimated-generator prediction."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from synthmix.theory import (
    marchenko_pastur_density,
    marchenko_pastur_quantiles,
    marchenko_pastur_support,
)


@pytest.mark.parametrize("ratio", [0.1, 0.5, 1.0, 2.0, 5.0])
def test_quantile_moments(ratio: float) -> None:
    """MP law of ratio c has mean 1 and second moment 1 + c (atom at 0 included)."""
    q = marchenko_pastur_quantiles(20000, ratio)
    assert np.all(np.diff(q) >= 0)
    assert q.mean() == pytest.approx(1.0, abs=2e-4)
    assert np.mean(q**2) == pytest.approx(1.0 + ratio, rel=2e-3)
    if ratio > 1:
        assert np.mean(q == 0) == pytest.approx(1 - 1 / ratio, abs=1e-4)


@pytest.mark.parametrize("ratio", [0.25, 1.0, 3.0])
def test_density_mass(ratio: float) -> None:
    a, b = marchenko_pastur_support(ratio)
    mass, _ = integrate.quad(lambda x: float(marchenko_pastur_density(x, ratio)), a, b, limit=200)
    assert mass == pytest.approx(min(1.0, 1.0 / ratio), rel=1e-6)


def test_quantiles_match_sample_covariance_spectrum() -> None:
    """Kolmogorov distance between a real Wishart spectrum and the quantiles is O(1/p)."""
    p, n_hat = 400, 800
    z = np.random.default_rng(0).standard_normal((p, n_hat))
    emp = np.sort(np.linalg.eigvalsh(z @ z.T / n_hat))
    q = marchenko_pastur_quantiles(p, p / n_hat)
    grid = np.linspace(0, q.max(), 500)
    ks = np.max(np.abs(np.searchsorted(emp, grid) - np.searchsorted(q, grid))) / p
    assert ks < 0.02


def test_density_is_elementwise_over_an_array() -> None:
    """An array in gives a float array of the same shape: the closed form inside, 0 outside."""
    c = 0.5
    a, b = (1 - np.sqrt(c)) ** 2, (1 + np.sqrt(c)) ** 2
    x = np.array([[0.0, a / 2, (a + b) / 2], [b, 2 * b, 1.0]])
    out = marchenko_pastur_density(x, c)
    assert out.shape == x.shape and out.dtype == np.float64
    want = np.where(
        (x > a) & (x < b),
        np.sqrt(np.clip((b - x) * (x - a), 0, None)) / (2 * np.pi * c * np.where(x > 0, x, 1)),
        0.0,
    )
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=0)
