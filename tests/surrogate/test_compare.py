"""compare_on_task on data that *is* a Gaussian mixture: predictions must match measurements.

When the real task satisfies the theory's assumptions exactly, the only gaps left are the
measurement's sampling error (its standard error over repetitions, z = 4) and the
finite-size error of an asymptotic theory at k = 20 (0.01, documented bias term).
"""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.surrogate import Protocol, PruningSetting, compare_on_task

SETTINGS = [
    PruningSetting("oracle", rho=0.0, phi=1.0),
    PruningSetting("none", rho=1.0, phi=1.0),
    PruningSetting("model verifier", verifier="model"),
]


def _gaussian_task(n: int = 2000, d: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 1], n)
    mu = np.zeros(d)
    mu[0] = 1.2
    return 3.0 + np.outer(y, mu) + rng.standard_normal((n, d)) * np.linspace(0.6, 1.4, d), y


PROTOCOL = Protocol(
    n=60, n_use=100, shares=(0.0, 0.5, 0.9), n_components=None, test_size=0.5, n_repeats=16
)


def test_gaussian_task_predictions_match_measurements() -> None:
    x, y = _gaussian_task()
    res = compare_on_task(x, y, settings=SETTINGS, protocol=PROTOCOL, task="gauss", rng=0)
    assert len(res.conditions) == 9
    for c in res.conditions:
        assert abs(c.predicted - c.measured) <= 4 * c.measured_stderr + 0.01, c
    verifier = [c for c in res.conditions if c.setting == "model verifier"]
    assert all(c.phi > c.rho for c in verifier)  # measured rates of a useful verifier
    assert res.mean_abs_gap_points < 2.0


def test_same_numbers_for_any_n_jobs() -> None:
    x, y = _gaussian_task(800, 10)
    pr = Protocol(n=40, n_use=60, shares=(0.0, 0.8), n_components=5, test_size=0.4, n_repeats=3)
    a = compare_on_task(x, y, settings=SETTINGS[:2], protocol=pr, rng=5, n_jobs=1)
    b = compare_on_task(x, y, settings=SETTINGS[:2], protocol=pr, rng=5, n_jobs=2)
    assert a.conditions == b.conditions


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: PruningSetting("x"), "rho"),
        (lambda: PruningSetting("x", rho=2.0, phi=1.0), "rho"),
        (lambda: PruningSetting("x", verifier="magic"), "verifier"),  # type: ignore[arg-type]
        (lambda: Protocol(shares=(0.5, 1.0)), "shares"),
        (lambda: Protocol(n_repeats=1), "n_repeats"),
        (lambda: Protocol(test_size=1.0), "test_size"),
        (lambda: Protocol(covariance="full"), "covariance"),  # type: ignore[arg-type]
    ],
)
def test_bad_settings(build, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        build()


def test_pool_too_small_is_reported() -> None:
    x, y = _gaussian_task(100, 5)
    with pytest.raises(ValidationError, match=r"^n must"):
        compare_on_task(
            x,
            y,
            settings=SETTINGS[:1],
            protocol=Protocol(n=90, n_use=10, n_repeats=2, n_components=None),
        )


def test_gmm_generator_through_its_moments() -> None:
    """Synthetic data from a Gaussian mixture; the theory sees its moment-matched Gaussian."""
    x, y = _gaussian_task()
    pr = Protocol(
        n=60,
        n_use=300,
        shares=(0.0, 0.5, 0.9),
        n_components=None,
        test_size=0.5,
        n_repeats=16,
        generator="gmm",
        gmm_components=2,
    )
    res = compare_on_task(x, y, settings=SETTINGS[:2], protocol=pr, rng=1)
    for c in res.conditions:
        assert abs(c.predicted - c.measured) <= 4 * c.measured_stderr + 0.01, c
