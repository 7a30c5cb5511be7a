"""Cross-checks of :func:`synthmix.theory.predict` against the dense reference implementation.

:func:`synthmix.theory.reference.reference_predict` evaluates docs/math/rmt.md's corrected theorem
literally (scalar fixed point by plain iteration, dense ``Q̄`` from a ``p × p`` solve, the
spec's ``t1 … T2, E`` formulas with dense products). ``predict`` evaluates the same formulas
by another route: a safeguarded Newton solve and a Woodbury reduction to 2×2 systems, either in
the common eigenbasis (the fast O(p) path, used whenever the covariances commute) or with
Cholesky solves (the dense fallback, :class:`~synthmix.theory._equivalents.DenseBackend`).
Both are deterministic, so they must agree to round-off: relative 1e-8 on accuracy, risk,
mean and second moment. The reference has real covariance ``I_p``, so the models below vary
the synthetic covariance ``C`` (identity, diagonal spectrum, full rotated, singular) and the
mean shift (aligned, shifted, anti-aligned).

The last tests pin down where the paper's public code (``pruning="weight"``: δ_s multiplied
by α) departs from the corrected theory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.simulate import simulate
from synthmix.theory import MixtureModel, marchenko_pastur_quantiles, predict
from synthmix.theory._equivalents import DenseBackend, Points, evaluate
from synthmix.theory.reference import reference_predict

RTOL = 1e-8
FIELDS = ("accuracy", "risk", "mean", "second_moment")

Point = tuple[str, float, float, float, float, float, float]


@dataclass(frozen=True)
class Case:
    """A model and its parameters: ``(mu, mu_s, C)`` with ``C`` None, 1-D or 2-D."""

    mu: np.ndarray
    mu_s: np.ndarray
    cov: np.ndarray | None

    @property
    def p(self) -> int:
        return int(self.mu.shape[0])

    def model(self) -> MixtureModel:
        return MixtureModel(self.mu, mu_synth=self.mu_s, cov_synth=self.cov)

    def dense_cov(self) -> np.ndarray:
        if self.cov is None:
            return np.eye(self.p)
        return np.diag(self.cov) if self.cov.ndim == 1 else self.cov


def _orthonormal(rng: np.random.Generator, p: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    return q * np.sign(np.diag(r))


def _unit_orthogonal(rng: np.random.Generator, v: np.ndarray) -> np.ndarray:
    w = rng.standard_normal(v.shape[0])
    w -= (w @ v) / (v @ v) * v
    return w / np.linalg.norm(w)


@cache
def case(name: str) -> Case:
    """The test models (cached: the full ones take an eigendecomposition to build)."""
    rng = np.random.default_rng(sum(map(ord, name)))
    if name == "iso20":  # C = I, no mean shift
        mu = np.r_[1.2, np.zeros(19)]
        return Case(mu, mu.copy(), None)
    if name == "diag60":  # diagonal spectrum, shifted mean
        mu = np.r_[1.0, 0.5, np.zeros(58)]
        return Case(mu, 0.8 * mu + 0.5 * _unit_orthogonal(rng, mu), np.linspace(0.3, 2.5, 60))
    if name == "rot120":  # full rotated C, generic mean direction
        mu = 1.3 * _unit_orthogonal(rng, np.ones(120))
        basis = _orthonormal(rng, 120)
        cov = (basis * np.linspace(0.2, 3.0, 120)) @ basis.T
        return Case(mu, 0.8 * mu + 0.5 * _unit_orthogonal(rng, mu), 0.5 * (cov + cov.T))
    if name == "anti150":  # Marchenko-Pastur spectrum, anti-aligned generator mean
        mu = np.r_[1.5, np.zeros(149)]
        spectrum = rng.permutation(marchenko_pastur_quantiles(150, 0.5))
        return Case(mu, -0.6 * mu + 0.3 * _unit_orthogonal(rng, mu), spectrum)
    if name == "rot300":  # full rotated, singular C (a third of the eigenvalues are 0)
        mu = 1.1 * _unit_orthogonal(rng, np.ones(300))
        basis = _orthonormal(rng, 300)
        eig = np.r_[np.zeros(100), np.linspace(0.5, 4.0, 200)]
        cov = (basis * eig) @ basis.T
        return Case(mu, mu.copy(), 0.5 * (cov + cov.T))
    raise KeyError(name)


# (model, n, m, epsilon, rho, phi, gamma): oracle (0, 1), strong (0.1, 0.9), none (1, 1),
# adversarial (rho > phi), alpha = 0, n = 0, m = 0, epsilon up to 0.9, gamma 1e-2 .. 10.
POINTS: list[Point] = [
    ("iso20", 40, 100, 0.2, 0.1, 0.9, 1.0),
    ("iso20", 0, 30, 0.3, 0.0, 1.0, 0.01),
    ("iso20", 25, 0, 0.0, 1.0, 1.0, 0.1),
    ("diag60", 30, 90, 0.9, 1.0, 1.0, 0.1),
    ("diag60", 0, 200, 0.4, 0.9, 0.2, 10.0),
    ("diag60", 100, 50, 0.0, 0.1, 0.9, 0.03),
    ("diag60", 40, 80, 1.0, 0.0, 0.7, 0.5),
    ("rot120", 60, 60, 0.3, 0.1, 0.9, 0.01),
    ("rot120", 0, 500, 0.6, 0.0, 1.0, 1.0),
    ("rot120", 200, 0, 0.0, 1.0, 1.0, 0.5),
    ("anti150", 100, 300, 0.1, 1.0, 1.0, 1.0),
    ("anti150", 50, 400, 0.5, 0.7, 0.3, 0.05),
    ("anti150", 0, 150, 0.2, 0.1, 0.9, 0.01),
    ("rot300", 150, 450, 0.25, 0.1, 0.9, 0.1),
    ("rot300", 0, 1000, 0.9, 0.05, 1.0, 3.0),
    ("rot300", 300, 300, 0.5, 0.0, 0.0, 0.2),
]


@pytest.fixture(autouse=True, scope="module")
def _fresh_caches() -> None:
    """Recompute the cached references in every test session: a run that forks from a process
    that already filled them (the mutation runner does) must still execute the code under test."""
    case.cache_clear()
    reference.cache_clear()


def _point_id(point: Point) -> str:
    name, n, m, eps, rho, phi, gamma = point
    return f"{name}-n{n}-m{m}-eps{eps}-rho{rho}-phi{phi}-g{gamma}"


@cache
def reference(point: Point) -> dict[str, float]:
    name, n, m, eps, rho, phi, gamma = point
    c = case(name)
    return reference_predict(
        c.mu, c.mu_s, c.cov, n=n, m=m, epsilon=eps, rho=rho, phi=phi, gamma=gamma
    )


def _assert_close(got: dict[str, float], want: dict[str, float]) -> None:
    for field in FIELDS:
        np.testing.assert_allclose(got[field], want[field], rtol=RTOL, atol=0, err_msg=field)


@pytest.mark.parametrize("point", POINTS, ids=_point_id)
def test_fast_path_matches_reference(point: Point) -> None:
    name, n, m, eps, rho, phi, gamma = point
    model = case(name).model()
    assert model.commuting  # identity real covariance: always the O(p) path
    pred = predict(model, n=n, m=m, epsilon=eps, rho=rho, phi=phi, gamma=gamma)
    want = reference(point)
    assert np.isfinite(want["accuracy"])
    _assert_close({f: float(getattr(pred, f)) for f in FIELDS}, want)


@pytest.mark.parametrize("point", POINTS, ids=_point_id)
def test_dense_fallback_matches_reference(point: Point) -> None:
    """The Cholesky backend ``predict`` uses for non-commuting covariances, fed ``Σ_r = I``."""
    name, n, m, eps, rho, phi, gamma = point
    c = case(name)
    backend = DenseBackend(np.eye(c.p), c.dense_cov(), c.mu, c.mu_s)
    pts = Points(*(np.array([float(v)]) for v in (n, m, eps, rho, phi, gamma)))
    out = evaluate(backend, pts)
    got = {f: float(getattr(out, f)[0]) for f in FIELDS}
    _assert_close(got, reference(point))


@pytest.mark.parametrize("name", ["iso20", "diag60", "rot120", "anti150", "rot300"])
def test_vectorised_sweep_matches_reference(name: str) -> None:
    """One broadcast ``predict`` call over a model's points equals the per-point reference."""
    points = [pt for pt in POINTS if pt[0] == name]
    cols = np.array([pt[1:] for pt in points], dtype=float).T
    pred = predict(
        case(name).model(),
        n=cols[0],
        m=cols[1],
        epsilon=cols[2],
        rho=cols[3],
        phi=cols[4],
        gamma=cols[5],
    )
    for i, point in enumerate(points):
        _assert_close({f: float(getattr(pred, f)[i]) for f in FIELDS}, reference(point))


# --- the public code's error: pruning as a weight ------------------------------------------


@pytest.mark.parametrize(
    ("name", "n", "m", "eps", "rho", "phi", "gamma"),
    [
        ("rot120", 60, 60, 0.0, 0.2, 1.0, 0.01),  # phi = 1, epsilon = 0: alpha = 1
        ("diag60", 0, 50, 0.4, 1.0, 1.0, 0.1),  # rho = phi = 1: alpha = 1
        ("anti150", 40, 120, 0.0, 0.0, 1.0, 0.05),  # oracle without noise: alpha = 1
    ],
)
def test_weight_coincides_with_corrected_theory_when_alpha_is_one(
    name: str, n: float, m: float, eps: float, rho: float, phi: float, gamma: float
) -> None:
    c = case(name)
    kw: dict[str, Any] = {"n": n, "m": m, "epsilon": eps, "rho": rho, "phi": phi, "gamma": gamma}
    weight = reference_predict(c.mu, c.mu_s, c.cov, pruning="weight", **kw)
    bernoulli = reference_predict(c.mu, c.mu_s, c.cov, **kw)
    assert weight["alpha"] == 1.0
    _assert_close(weight, bernoulli)
    pred = predict(c.model(), **kw)
    _assert_close({f: float(getattr(pred, f)) for f in FIELDS}, weight)


# (n, m, epsilon, rho, phi, gamma, sigma, beta, M, V) at p = 100, |μ| = |μ_⊥| = 1,
# C = σ²I, μ_s = βμ + √(1-β²)μ_⊥: E[g] and E[g²] of the paper's public code
# (test_expectation / test_expectation_2 in rmt_results.py of
# github.com/elfirdoussilab1/Synthetic-data at 0206998), re-evaluated by hand-typed formulas.
PUBLIC_CODE = [
    (50, 100, 0.5, 0.1, 0.9, 0.1, 1.0, 1.0, 0.37984632509582344, 1.2052448135342828),
    (50, 100, 0.5, 0.1, 0.9, 0.1, 1.0, 0.8, 0.3573081383206089, 1.2151116768057573),
    (50, 200, 0.3, 0.0, 1.0, 0.5, 1.5, 0.6, 0.1983163850104302, 0.22437173838158528),
    (100, 300, 0.2, 0.2, 0.7, 1.0, 0.7, 0.9, 0.26917760649564926, 0.18132370268451337),
]


@pytest.mark.parametrize("row", PUBLIC_CODE)
def test_weight_reproduces_the_public_code(row: tuple[float, ...]) -> None:
    n, m, eps, rho, phi, gamma, sigma, beta, mean, second = row
    mu, mu_perp = np.eye(100)[0], np.eye(100)[1]
    mu_s = beta * mu + np.sqrt(1.0 - beta**2) * mu_perp
    out = reference_predict(
        mu,
        mu_s,
        np.full(100, sigma**2),
        n=n,
        m=m,
        epsilon=eps,
        rho=rho,
        phi=phi,
        gamma=gamma,
        pruning="weight",
    )
    assert out["mean"] == pytest.approx(mean, rel=1e-9)
    assert out["second_moment"] == pytest.approx(second, rel=1e-9)


def test_weight_differs_under_strong_pruning_and_monte_carlo_sides_with_bernoulli() -> None:
    """Strong pruning at p = n + αm (p = 100, n = 50, m = 100, α = 0.5): the public code's
    accuracy is ~0.03 low; Monte-Carlo (400 trials) agrees with the corrected theory within
    4 standard errors plus a finite-size bias of 0.005 (measured ≈ 0.0035 at p = 100)."""
    mu = np.r_[1.0, np.zeros(99)]
    kw: dict[str, Any] = {"n": 50, "m": 100, "epsilon": 0.5, "rho": 0.1, "phi": 0.9, "gamma": 0.1}
    bernoulli = reference_predict(mu, None, None, **kw)
    weight = reference_predict(mu, None, None, pruning="weight", **kw)
    assert abs(bernoulli["accuracy"] - weight["accuracy"]) > 0.01
    mc = simulate(MixtureModel(mu), n_trials=400, rng=20250101, **kw)
    tol = 4.0 * mc.accuracy_stderr + 0.005
    assert abs(mc.accuracy_mean - bernoulli["accuracy"]) <= tol
    assert abs(mc.accuracy_mean - weight["accuracy"]) > tol + 0.01


def test_weight_yields_negative_variance_near_p_equal_n_plus_alpha_m() -> None:
    """p = 100, n = 20, m = 100, ε = 0.3, (ρ, φ) = (0.1, 0.9): α = 0.66, p/(n + αm) ≈ 1.16,
    γ = 0.01. The public code's variance is negative (NaN accuracy); the corrected theory is
    finite and matches ``predict``. The paper's public code (``rmt_results.py`` of
    github.com/elfirdoussilab1/Synthetic-data at 0206998) gives M = 0.448006278425 and
    V = -14.0662597398 here; ``pruning="weight"`` reproduces both."""
    mu = np.r_[1.0, np.zeros(99)]
    kw: dict[str, Any] = {"n": 20, "m": 100, "epsilon": 0.3, "rho": 0.1, "phi": 0.9, "gamma": 0.01}
    weight = reference_predict(mu, None, None, pruning="weight", **kw)
    assert weight["variance"] < 0
    assert np.isnan(weight["accuracy"])
    assert weight["mean"] == pytest.approx(0.448006278425, rel=1e-9)
    assert weight["second_moment"] == pytest.approx(-14.0662597398, rel=1e-9)
    bernoulli = reference_predict(mu, None, None, **kw)
    assert bernoulli["variance"] > 0
    assert 0.5 < bernoulli["accuracy"] < 1.0
    pred = predict(MixtureModel(mu), **kw)
    _assert_close({f: float(getattr(pred, f)) for f in FIELDS}, bernoulli)


def test_alpha_zero_drops_the_synthetic_terms() -> None:
    """Nothing kept (ρ = φ = 0): the generator's mean and covariance are irrelevant, only
    N = n + m still counts the dropped samples."""
    c = case("rot120")
    kw: dict[str, Any] = {"n": 80, "m": 40, "epsilon": 0.3, "rho": 0.0, "phi": 0.0, "gamma": 0.2}
    out = reference_predict(c.mu, c.mu_s, c.cov, **kw)
    plain = reference_predict(c.mu, -c.mu, None, **kw)
    _assert_close(out, plain)
    assert out["alpha"] == 0.0 and np.isfinite(out["accuracy"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pruning": "coin"}, "pruning"),
        ({"n": 0, "m": 0}, "n \\+ m"),
        ({"gamma": 0.0}, "gamma"),
        ({"epsilon": 1.5}, "epsilon"),
        ({"n": [1, 2]}, "n must be a scalar"),
        ({"damping": 0.0}, r"^damping must lie in \(0, 1\]"),
        ({"damping": 1.5}, r"^damping must lie in \(0, 1\]"),
    ],
)
def test_reference_validates_its_inputs(kwargs: dict[str, object], match: str) -> None:
    base: dict[str, object] = {
        "n": 10,
        "m": 10,
        "epsilon": 0.1,
        "rho": 0.1,
        "phi": 0.9,
        "gamma": 1.0,
    }
    base.update(kwargs)
    with pytest.raises(ValidationError, match=match):
        reference_predict(np.ones(5), None, None, **base)  # type: ignore[arg-type]


def test_reference_reports_the_kept_fractions_of_the_closed_form() -> None:
    """``alpha = φ(1−ε) + ρε`` (kept share) and ``lam = φ(1−ε) − ρε`` (signal share)."""
    out = reference_predict(
        np.r_[1.0, np.zeros(9)], None, None, n=50, m=80, epsilon=0.2, rho=0.3, phi=0.9, gamma=1.0
    )
    assert out["alpha"] == pytest.approx(0.9 * 0.8 + 0.3 * 0.2, rel=1e-14)
    assert out["lam"] == pytest.approx(0.9 * 0.8 - 0.3 * 0.2, rel=1e-14)
    assert set(out) == {
        "accuracy",
        "risk",
        "mean",
        "second_moment",
        "variance",
        "delta",
        "delta_s",
        "h",
        "alpha",
        "lam",
    }
