"""Fixed points converge in hard regimes, never hang, never return NaN silently."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.exceptions import ConvergenceError
from synthmix.theory import MixtureModel, _equivalents, predict, predict_estimated_generator


def test_public_code_hang_case_converges() -> None:
    """The paper's code loops forever at n = 1000, m = 10, γ = 0.01 in the toy setting."""
    pred = predict_estimated_generator(p=1000, mu_norm=0.7, n=1000, n_hat=1000, m=10, gamma=0.01)
    assert np.isfinite(pred.accuracy) and 0.5 < pred.accuracy < 1


@pytest.mark.parametrize("gamma", [1e-6, 1e-4, 1e-2])
@pytest.mark.parametrize("eta", [0.5, 0.99, 1.0, 1.01, 2.0, 50.0])
def test_extreme_regimes_are_finite(gamma: float, eta: float) -> None:
    p = 200
    n = p / eta
    model = MixtureModel(np.r_[1.5, np.zeros(p - 1)], cov_synth=np.linspace(0.0, 2.0, p))
    pred = predict(
        model, n=[n, 0.0, n / 2], m=[0.0, n, n / 2], epsilon=0.3, rho=0.05, phi=0.95, gamma=gamma
    )
    for field in ("accuracy", "risk", "delta", "delta_s", "second_moment"):
        assert np.all(np.isfinite(getattr(pred, field))), field
    assert np.all(pred.second_moment > pred.mean**2)


def test_huge_and_tiny_sample_counts() -> None:
    model = MixtureModel(np.r_[1.0, np.zeros(99)])
    pred = predict(model, n=[1e-3, 1e9, 5.0], m=[1e9, 1e-3, 0.0], epsilon=0.1, gamma=0.5)
    assert np.all(np.isfinite(pred.accuracy))


def test_nonconvergence_raises_naming_the_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_equivalents, "MAX_ITER", 1)
    with pytest.raises(ConvergenceError, match=r"did not converge.*n=123.*m=456.*gamma=0\.01"):
        predict(MixtureModel(np.r_[1.0, np.zeros(299)]), n=123, m=456, gamma=0.01)
