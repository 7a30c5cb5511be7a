"""GaussianGenerator draws what it states; fitting recovers its parameters."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.data.generators import GaussianGenerator, class_moments
from synthmix.exceptions import ValidationError


def test_samples_have_the_stated_moments() -> None:
    d, m = 5, 40000
    mu = np.array([1.0, -0.5, 0.0, 0.2, 0.0])
    a = np.random.default_rng(0).standard_normal((d, d))
    cov = a @ a.T / d + 0.1 * np.eye(d)
    gen = GaussianGenerator(mu=mu, cov=cov)
    x, y = gen.sample(m, rng=1)
    assert set(np.unique(y)) == {-1, 1} and abs(y.mean()) < 4 / np.sqrt(m)
    # E[y x] = mu; E[(x - y mu)(x - y mu)^T] = cov; 4 standard errors
    ymean = (y[:, None] * x).mean(0)
    assert np.all(np.abs(ymean - mu) <= 4 * np.sqrt(np.diag(cov) / m))
    resid = x - np.outer(y, mu)
    np.testing.assert_allclose(
        resid.T @ resid / m, cov, atol=4 * np.sqrt(2 * np.max(np.diag(cov)) ** 2 / m)
    )


def test_fit_recovers_parameters_and_identity_option() -> None:
    gen = GaussianGenerator(mu=np.array([2.0, 0.0, 0.0]), cov=np.diag([1.0, 2.0, 0.5]))
    x, y = gen.sample(20000, rng=3)
    fitted = GaussianGenerator.fit(x, y)
    np.testing.assert_allclose(fitted.mu, gen.mu, atol=0.05)
    np.testing.assert_allclose(fitted.cov, gen.cov, atol=0.06)
    assert fitted.n_fit == 20000
    ident = GaussianGenerator.fit(x, y, covariance="identity")
    np.testing.assert_array_equal(ident.cov, np.eye(3))
    np.testing.assert_allclose(ident.mu, fitted.mu)


def test_class_moments_pooled_unbiased() -> None:
    x = np.array([[0.0], [2.0], [10.0], [14.0]])
    y = np.array([1, 1, -1, -1])
    mp, mn, cov, n_pos, n_neg = class_moments(x, y)
    assert (mp[0], mn[0], n_pos, n_neg) == (1.0, 12.0, 2, 2)
    assert cov[0, 0] == pytest.approx((1 + 1 + 4 + 4) / 2)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: GaussianGenerator(mu=np.ones(2), cov=np.eye(3)), "cov"),
        (lambda: GaussianGenerator(mu=np.ones(2), cov=-np.eye(2)), "cov"),
        (lambda: GaussianGenerator(mu=np.ones((2, 2)), cov=np.eye(2)), "mu"),
        (lambda: GaussianGenerator.fit(np.zeros((4, 2)), [1, 1, 1, -1]), "y"),
        (lambda: GaussianGenerator.fit(np.zeros((4, 2)), [1, 0, 1, 0]), "y"),
        (
            lambda: GaussianGenerator.fit(np.zeros((4, 2)), [1, 1, -1, -1], covariance="full"),
            "covariance",
        ),
        (lambda: GaussianGenerator(mu=np.ones(2), cov=np.eye(2)).sample(-1), "m"),
    ],
)
def test_bad_inputs(call, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        call()


def test_gmm_generator_moment_matching_and_determinism() -> None:
    """The moment-matched Gaussian has the mixture samples' E[y·x] and E[xxᵀ] (4 s.e.)."""
    from synthmix.data.generators import GMMGenerator

    rng = np.random.default_rng(4)
    y = rng.choice([-1, 1], 3000)
    comp = rng.integers(0, 2, 3000)
    x = (
        np.outer(y, [1.5, 0.0, 0.0])
        + np.outer(2 * comp - 1, [0.0, 2.0, 0.0])
        + 0.5
        + rng.standard_normal((3000, 3))
    )
    gmm = GMMGenerator.fit(x, y, n_components=2, rng=0)
    xs, ys = gmm.sample(60000, rng=1)
    mm = gmm.moment_matched()
    ymean = (ys[:, None] * xs).mean(0)
    second = xs.T @ xs / len(xs)
    np.testing.assert_allclose(ymean, mm.mu, atol=4 * np.sqrt(np.max(second) / len(xs)))
    expected = mm.cov + np.outer(mm.mu, mm.mu)  # offset already folded into cov
    np.testing.assert_allclose(
        second, expected, atol=4 * np.sqrt(2 * np.max(second) ** 2 / len(xs))
    )
    a, _ = gmm.sample(10, rng=7)
    b, _ = gmm.sample(10, rng=7)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValidationError, match=r"^n_components must"):
        GMMGenerator.fit(x[:5], np.r_[1, 1, 1, -1, -1], n_components=3)
