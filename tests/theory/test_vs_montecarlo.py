"""Theory vs Monte-Carlo at diverse parameter points.

Each case compares :func:`synthmix.theory.predict` (or ``predict_estimated_generator``) with its
Monte-Carlo twin. The tolerance follows docs/conventions.md: ``|mc - theory| <= z * se + bias`` with
``z = 4`` and a documented finite-size bias — 0.004 in accuracy and 1% (relative) in risk. The
theory is exact only as p, n, m → ∞; at p ≥ 50 its O(1/p) finite-size error stays below these
bias terms. Seeds are fixed; nothing is rerun.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from synthmix.simulate import simulate, simulate_estimated_generator
from synthmix.theory import MixtureModel, predict, predict_estimated_generator

Z = 4.0
ACC_BIAS = 0.004
RISK_REL_BIAS = 0.01

ORACLE = {"rho": 0.0, "phi": 1.0}
STRONG = {"rho": 0.1, "phi": 0.9}
NONE = {"rho": 1.0, "phi": 1.0}
ADVERSARIAL = {"rho": 0.9, "phi": 0.2}  # keeps wrong labels more often than right ones


def _e1(p: int, norm: float) -> np.ndarray:
    v = np.zeros(p)
    v[0] = norm
    return v


def _shifted(p: int, norm: float, angle_deg: float, scale: float = 1.0) -> np.ndarray:
    v = np.zeros(p)
    t = np.deg2rad(angle_deg)
    v[0], v[1] = scale * norm * np.cos(t), scale * norm * np.sin(t)
    return v


def _rotated_cov(p: int, low: float, high: float, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((p, p)))
    return (q * np.linspace(low, high, p)) @ q.T


def _wishart(p: int, ratio: float, seed: int) -> np.ndarray:
    z = np.random.default_rng(seed).standard_normal((p, int(p / ratio)))
    return z @ z.T / z.shape[1]


@dataclass(frozen=True)
class Case:
    name: str
    model: dict[str, Any] | None  # MixtureModel kwargs builder output; None: estimated generator
    params: dict[str, Any]
    trials: int = 60
    estimated: dict[str, Any] = field(default_factory=dict)


def _cases() -> list[Case]:
    c: list[Case] = []
    # --- identity covariances, aligned means: sizes, eta = p/N from 0.01 to 2, gamma 1e-2..10
    c.append(
        Case(
            "p50-eta0.01-oracle",
            {"mu_real": _e1(50, 1.0)},
            dict(n=1000, m=4000, epsilon=0.3, **ORACLE, gamma=1.0),
        )
    )
    c.append(
        Case(
            "p1000-eta2-none",
            {"mu_real": _e1(1000, 2.0)},
            dict(n=300, m=200, epsilon=0.1, **NONE, gamma=0.5),
            trials=50,
        )
    )
    c.append(
        Case(
            "p1000-eta1-gamma0.01",
            {"mu_real": _e1(1000, 1.5)},
            dict(n=600, m=400, epsilon=0.2, **STRONG, gamma=0.01),
            trials=50,
        )
    )
    c.append(
        Case(
            "p400-eta0.1-gamma10",
            {"mu_real": _e1(400, 2.0)},
            dict(n=1000, m=3000, epsilon=0.2, **STRONG, gamma=10.0),
        )
    )
    c.append(Case("p200-m0-real-only", {"mu_real": _e1(200, 1.5)}, dict(n=250, m=0, gamma=0.1)))
    c.append(Case("p200-m0-gamma0.01", {"mu_real": _e1(200, 1.0)}, dict(n=400, m=0, gamma=0.01)))
    c.append(
        Case(
            "p100-n0-synthetic-only",
            {"mu_real": _e1(100, 1.0)},
            dict(n=0, m=500, epsilon=0.3, rho=0.3, phi=0.8, gamma=1.0),
        )
    )
    c.append(
        Case(
            "p100-n0-eps0.9-oracle",
            {"mu_real": _e1(100, 1.2)},
            dict(n=0, m=800, epsilon=0.9, **ORACLE, gamma=0.1),
        )
    )
    c.append(
        Case(
            "p100-n0-eps0.9-none",
            {"mu_real": _e1(100, 1.2)},
            dict(n=0, m=800, epsilon=0.9, **NONE, gamma=0.1),
        )
    )
    c.append(
        Case(
            "p200-eps0.5-adversarial",
            {"mu_real": _e1(200, 1.5)},
            dict(n=100, m=900, epsilon=0.5, **ADVERSARIAL, gamma=1.0),
        )
    )
    c.append(
        Case(
            "p200-strong-near-p=n+alpha*m",
            {"mu_real": _e1(200, 1.5)},
            dict(n=100, m=250, epsilon=0.4, rho=0.05, phi=0.6, gamma=0.05),
        )
    )
    c.append(
        Case(
            "p300-eta1.5-strong",
            {"mu_real": _e1(300, 2.0)},
            dict(n=50, m=150, epsilon=0.3, **STRONG, gamma=0.2),
        )
    )
    # --- mean shift, including anti-aligned synthetic means
    c.append(
        Case(
            "p200-shift-30deg",
            {"mu_real": _e1(200, 1.5), "mu_synth": _shifted(200, 1.5, 30)},
            dict(n=100, m=1000, epsilon=0.2, **STRONG, gamma=1.0),
        )
    )
    c.append(
        Case(
            "p200-shift-90deg",
            {"mu_real": _e1(200, 1.5), "mu_synth": _shifted(200, 1.5, 90)},
            dict(n=200, m=600, epsilon=0.1, **NONE, gamma=0.3),
        )
    )
    c.append(
        Case(
            "p200-anti-aligned",
            {"mu_real": _e1(200, 1.5), "mu_synth": _e1(200, -1.0)},
            dict(n=50, m=1000, epsilon=0.1, **STRONG, gamma=1.0),
        )
    )
    c.append(
        Case(
            "p100-anti-aligned-n0",
            {"mu_real": _e1(100, 1.5), "mu_synth": _e1(100, -1.5)},
            dict(n=0, m=400, epsilon=0.0, **NONE, gamma=0.5),
        )
    )
    c.append(
        Case(
            "p500-shift-135deg-eta0.5",
            {"mu_real": _e1(500, 2.0), "mu_synth": _shifted(500, 2.0, 135, 0.7)},
            dict(n=400, m=600, epsilon=0.2, **ORACLE, gamma=0.1),
            trials=50,
        )
    )
    # --- non-identity synthetic covariance C (diagonal spectrum, rotated full, Wishart)
    c.append(
        Case(
            "p200-C-spectrum",
            {"mu_real": _e1(200, 1.5), "cov_synth": np.linspace(0.2, 3.0, 200)},
            dict(n=100, m=800, epsilon=0.2, **STRONG, gamma=0.5),
        )
    )
    c.append(
        Case(
            "p200-C-rotated",
            {"mu_real": _e1(200, 1.5), "cov_synth": _rotated_cov(200, 0.3, 2.5, 1)},
            dict(n=150, m=600, epsilon=0.3, **ORACLE, gamma=0.1),
        )
    )
    c.append(
        Case(
            "p100-C-rank-deficient",
            {"mu_real": _e1(100, 1.0), "cov_synth": _wishart(100, 2.0, 2)},
            dict(n=100, m=400, epsilon=0.2, **NONE, gamma=0.05),
        )
    )
    c.append(
        Case(
            "p150-C-small-gamma-n0",
            {"mu_real": _e1(150, 1.5), "cov_synth": np.linspace(0.5, 1.5, 150)},
            dict(n=0, m=300, epsilon=0.2, **STRONG, gamma=0.01),
        )
    )
    c.append(
        Case(
            "p200-C-and-shift-adversarial",
            {
                "mu_real": _e1(200, 1.5),
                "mu_synth": _shifted(200, 1.5, 45, 0.8),
                "cov_synth": np.linspace(2.0, 0.3, 200),
            },
            dict(n=300, m=500, epsilon=0.4, **ADVERSARIAL, gamma=1.0),
        )
    )
    # --- non-identity real covariance (commuting and not)
    c.append(
        Case(
            "p200-Sr-diagonal",
            {
                "mu_real": _e1(200, 1.5),
                "cov_real": np.linspace(0.5, 2.0, 200),
                "cov_synth": np.linspace(2.0, 0.5, 200),
            },
            dict(n=200, m=400, epsilon=0.2, **STRONG, gamma=0.3),
        )
    )
    c.append(
        Case(
            "p100-Sr-full-noncommuting",
            {
                "mu_real": _e1(100, 1.5),
                "cov_real": _rotated_cov(100, 0.5, 2.0, 3),
                "cov_synth": _rotated_cov(100, 0.3, 1.5, 4),
                "mu_synth": _shifted(100, 1.5, 20),
            },
            dict(n=80, m=300, epsilon=0.2, **STRONG, gamma=0.3),
        )
    )
    c.append(
        Case(
            "p100-Sr-full-m0",
            {"mu_real": _shifted(100, 2.0, 60), "cov_real": _rotated_cov(100, 0.3, 3.0, 5)},
            dict(n=150, m=0, gamma=0.05),
        )
    )
    # --- estimated generator (toy setting): C = sample covariance of n_hat real samples
    c.append(
        Case(
            "toy-p50-fig3",
            None,
            dict(n=1000, m=3000, epsilon=0.2, **ORACLE, gamma=1.0),
            estimated=dict(p=50, mu_norm=0.7, n_hat=1000),
        )
    )
    c.append(
        Case(
            "toy-p500-fig3-weak",
            None,
            dict(n=1000, m=1000, epsilon=0.3, rho=0.3, phi=0.6, gamma=1.0),
            trials=50,
            estimated=dict(p=500, mu_norm=0.7, n_hat=1000),
        )
    )
    c.append(
        Case(
            "toy-p200-ratio1-gamma0.1",
            None,
            dict(n=300, m=1500, epsilon=0.1, **NONE, gamma=0.1),
            estimated=dict(p=200, mu_norm=1.0, n_hat=200),
        )
    )
    c.append(
        Case(
            "toy-p300-ratio2-gamma0.05",
            None,
            dict(n=200, m=2000, epsilon=0.2, **STRONG, gamma=0.05),
            estimated=dict(p=300, mu_norm=1.5, n_hat=150),
        )
    )
    c.append(
        Case(
            "toy-p200-ratio4-gamma0.01",
            None,
            dict(n=100, m=1000, epsilon=0.0, **NONE, gamma=0.01),
            estimated=dict(p=200, mu_norm=1.5, n_hat=50),
        )
    )
    c.append(
        Case(
            "toy-p400-ratio1-n0",
            None,
            dict(n=0, m=2000, epsilon=0.1, **ORACLE, gamma=0.1),
            trials=50,
            estimated=dict(p=400, mu_norm=1.0, n_hat=400),
        )
    )
    c.append(
        Case(
            "toy-p1000-paper-hang",
            None,
            dict(n=1000, m=10, gamma=0.01),
            trials=50,
            estimated=dict(p=1000, mu_norm=0.7, n_hat=1000),
        )
    )
    return c


CASES = _cases()


def test_at_least_thirty_diverse_points() -> None:
    assert len(CASES) >= 30
    ps = {c.estimated.get("p") or len(c.model["mu_real"]) for c in CASES}  # type: ignore[index]
    assert min(ps) <= 50 and max(ps) >= 1000
    assert any(c.params["n"] == 0 for c in CASES) and any(c.params["m"] == 0 for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_theory_matches_montecarlo(case: Case) -> None:
    if case.model is None:
        theory = predict_estimated_generator(**case.estimated, **case.params)
        mc = simulate_estimated_generator(
            **case.estimated, **case.params, n_trials=case.trials, rng=2024
        )
    else:
        model = MixtureModel(**case.model)
        theory = predict(model, **case.params)
        mc = simulate(model, **case.params, n_trials=case.trials, rng=2024)
    acc_gap = abs(mc.accuracy_mean - float(theory.accuracy))
    risk_gap = abs(mc.risk_mean - float(theory.risk))
    assert acc_gap <= Z * mc.accuracy_stderr + ACC_BIAS, (
        f"accuracy: theory {float(theory.accuracy):.5f}, "
        f"MC {mc.accuracy_mean:.5f} ± {mc.accuracy_stderr:.5f}"
    )
    assert risk_gap <= Z * mc.risk_stderr + RISK_REL_BIAS * float(theory.risk), (
        f"risk: theory {float(theory.risk):.5f}, MC {mc.risk_mean:.5f} ± {mc.risk_stderr:.5f}"
    )


SLOW_CASES = [
    Case(
        "p1500-eta1-strong-C",
        {"mu_real": _e1(1500, 1.5), "cov_synth": np.linspace(0.3, 2.0, 1500)},
        dict(n=750, m=1500, epsilon=0.3, **STRONG, gamma=0.05),
        trials=150,
    ),
    Case(
        "p1500-anti-aligned",
        {"mu_real": _e1(1500, 2.0), "mu_synth": _shifted(1500, 2.0, 160, 0.8)},
        dict(n=500, m=2500, epsilon=0.2, **ORACLE, gamma=0.2),
        trials=150,
    ),
    Case(
        "toy-p1500-ratio1.5-gamma0.05",
        None,
        dict(n=1000, m=3000, epsilon=0.2, **STRONG, gamma=0.05),
        trials=150,
        estimated=dict(p=1500, mu_norm=1.0, n_hat=1000),
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_CASES, ids=[c.name for c in SLOW_CASES])
def test_theory_matches_montecarlo_large_p(case: Case) -> None:
    """Large p, many trials: the same rule with standard errors ~3x smaller than above."""
    test_theory_matches_montecarlo(case)
