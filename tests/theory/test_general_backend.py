"""The general-covariance backend and the single-point path (docs/math/rmt.md, eq. G).

Each quantity is checked against a direct evaluation written here with dense numpy algebra
(an explicit inverse and literal traces), so the tolerances are round-off: 1e-10 relative
unless the test says why otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.theory import MixtureModel, predict
from synthmix.theory import _equivalents as eq
from synthmix.theory._equivalents import DenseBackend, MeanNoise, Points, solve_fixed_point

RTOL = 1e-10
P = 40


def _pair(p: int = P, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A non-commuting pair: real covariance in one random basis, synthetic in another."""
    gen = np.random.default_rng(seed)
    q1, _ = np.linalg.qr(gen.standard_normal((p, p)))
    q2, _ = np.linalg.qr(gen.standard_normal((p, p)))
    real = (q1 * gen.uniform(0.5, 2.0, p)) @ q1.T
    synth = (q2 * gen.uniform(0.1, 3.0, p)) @ q2.T
    mu = gen.standard_normal(p) * 0.3
    return real, synth, mu, 0.7 * mu + 0.1 * gen.standard_normal(p)


def _direct(
    real: np.ndarray, synth: np.ndarray, u: np.ndarray, a: float, b: float, gamma: float
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Traces (eq. FP, T) and forms (eq. W) from ``R = inv(γI + aΣ_r + bC)``, literally."""
    r = np.linalg.inv(gamma * np.eye(real.shape[0]) + a * real + b * synth)
    sr, sc = real @ r, synth @ r
    s1 = np.array([np.trace(sr), np.trace(sc)])
    s2 = np.array([np.trace(sr @ sr), np.trace(sr @ sc), np.trace(sc @ sc)])
    mats = [u.T @ r @ u, u.T @ r @ real @ r @ u, u.T @ r @ synth @ r @ u]
    forms = [float(m[i, j]) for m in mats for i, j in ((0, 0), (0, 1), (1, 1))]
    return s1, s2, forms


@pytest.mark.parametrize(
    ("a", "b", "gamma", "why"),
    [
        (0.6, 0.05, 1.0, "Σ_r carries more weight: C diagonal, Σ_r dense"),
        (0.05, 0.6, 1.0, "C carries more weight: Σ_r diagonal, C dense"),
        (0.3, 0.0, 0.5, "no synthetic weight"),
        (0.0, 0.4, 0.5, "no real weight"),
        (0.0, 0.0, 2.0, "R = I/γ"),
        (1e-3, 2e-3, 50.0, "the ridge dominates: products formed directly"),
    ],
)
def test_traces_and_forms_match_dense_algebra(a: float, b: float, gamma: float, why: str) -> None:
    real, synth, mu, mu_s = _pair()
    backend = DenseBackend(real, synth, mu, mu_s)
    s1, s2, forms = _direct(real, synth, np.stack([mu, mu_s], axis=1), a, b, gamma)
    got = backend.point_traces(a, b, gamma)
    np.testing.assert_allclose(got, [*s1, *s2], rtol=RTOL, err_msg=why)
    np.testing.assert_allclose(backend.point_forms(a, b, gamma), forms, rtol=RTOL, atol=1e-14)
    b1, b2 = backend.traces(np.array([a]), np.array([b]), np.array([gamma]))
    np.testing.assert_allclose(np.r_[b1[0], b2[0]], got, rtol=0, atol=0)


def test_identity_and_direct_products_give_the_same_predictions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The resolvent identity (eq. G) against forming ``BR`` by a product at every point."""
    real, synth, mu, mu_s = _pair()
    kw = dict(n=np.array([0.0, 20.0, 60.0]), m=[[5.0], [30.0], [300.0]], epsilon=0.2, rho=0.1)
    fast = predict(MixtureModel(mu, mu_synth=mu_s, cov_real=real, cov_synth=synth), **kw)
    monkeypatch.setattr(DenseBackend, "_DIRECT_SHARE", 2.0)  # tr-share is at most 1: always direct
    slow = predict(MixtureModel(mu, mu_synth=mu_s, cov_real=real, cov_synth=synth), **kw)
    for field in ("accuracy", "risk", "delta", "delta_s"):
        np.testing.assert_allclose(getattr(fast, field), getattr(slow, field), rtol=RTOL)


def _sweep(size: int = 12) -> Points:
    m = np.linspace(0.0, 400.0, size)
    ones = np.ones(size)
    return Points(30.0 * ones, m, 0.2 * ones, 0.1 * ones, 0.9 * ones, np.geomspace(0.05, 5, size))


def test_approximation_start_reaches_the_same_fixed_point_in_fewer_evaluations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real, synth, mu, mu_s = _pair()
    pts = _sweep()
    calls = {"n": 0}
    original = DenseBackend._evaluate

    def counted(self: DenseBackend, a: float, b: float, gamma: float) -> object:
        calls["n"] += 1
        return original(self, a, b, gamma)

    monkeypatch.setattr(DenseBackend, "_evaluate", counted)
    upper = solve_fixed_point(DenseBackend(real, synth, mu, mu_s), pts)
    from_upper = calls["n"] - pts.size  # the upper bound itself is analytic (R = I/γ)
    calls["n"] = 0
    started = eq._solve(solve_fixed_point, DenseBackend(real, synth, mu, mu_s), pts)
    np.testing.assert_allclose(started, upper, rtol=1e-11)  # both within RTOL = 1e-12
    assert calls["n"] < from_upper


def test_finishing_reuses_the_last_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    real, synth, mu, mu_s = _pair()
    backend = DenseBackend(real, synth, mu, mu_s)
    pts = _sweep(5)
    x = eq._solve(solve_fixed_point, backend, pts)

    def fail(*_: object) -> None:
        raise AssertionError("evaluated again")

    monkeypatch.setattr(DenseBackend, "_evaluate", fail)
    eq._finish(backend, pts, x, MeanNoise())


def _models() -> dict[str, MixtureModel]:
    real, synth, mu, mu_s = _pair()
    spec = np.linspace(0.3, 2.0, P)
    return {
        "diagonal": MixtureModel(mu, mu_synth=mu_s, cov_synth=spec, cov_real=spec[::-1]),
        "rotated": MixtureModel(mu, mu_synth=mu_s, cov_synth=synth),
        "general": MixtureModel(mu, mu_synth=mu_s, cov_real=real, cov_synth=synth),
        "mean-noise": MixtureModel(mu, mu_synth=mu_s, cov_synth=synth, mean_noise=0.01),
        "sample-covariance": MixtureModel(mu, mu_synth=mu_s, cov_real=real, real_samples=3 * P),
    }


@pytest.mark.parametrize("name", list(_models()))
@pytest.mark.parametrize(
    "point",
    [
        dict(n=30, m=200.0, epsilon=0.3, rho=0.2, phi=0.8, gamma=0.5),
        dict(n=0, m=150, epsilon=0.1, rho=0.0, phi=1.0, gamma=2),
        dict(n=25.0, m=0, epsilon=0.0, rho=1.0, phi=1.0, gamma=1e-3),
        dict(n=0.0, m=80.0, epsilon=0.5, rho=0.0, phi=0.0, gamma=1.0),  # nothing kept
    ],
    ids=["mixed", "synthetic-only", "real-only", "nothing-kept"],
)
def test_single_point_path_equals_the_batch_path(name: str, point: dict) -> None:
    """A call with plain numbers takes the float path; the same point as 1-element arrays
    takes the batch path. Both must agree to round-off in every field."""
    model = _models()[name]
    one = predict(model, **point)
    batch = predict(model, **{k: np.array([v], dtype=float) for k, v in point.items()})
    assert isinstance(one.accuracy, np.float64)
    for field in ("accuracy", "risk", "mean", "second_moment", "delta", "delta_s", "n", "gamma"):
        np.testing.assert_allclose(
            getattr(one, field), getattr(batch, field)[0], rtol=1e-11, atol=1e-15, err_msg=field
        )


def test_single_point_path_rejects_what_the_batch_path_rejects() -> None:
    """Out-of-range numbers fall through to the general validation and its messages."""
    model = _models()["diagonal"]
    from synthmix.exceptions import ValidationError

    for bad, msg in (
        (dict(n=-1.0, m=3.0), "^n must"),
        (dict(n=0, m=0), r"^n \+ m must"),
        (dict(n=1.0, m=3.0, epsilon=1.5), "^epsilon must"),
        (dict(n=1.0, m=3.0, gamma=0.0), "^gamma must"),
        (dict(n=float("nan"), m=3.0), "^n must"),
    ):
        with pytest.raises(ValidationError, match=msg):
            predict(model, **bad)  # type: ignore[arg-type]
