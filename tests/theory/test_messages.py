"""Bad input is refused with the parameter's name, the rule it breaks and the value given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.theory import MixtureModel, marchenko_pastur_support, predict, transition_epsilon
from synthmix.theory.predict import estimated_generator_model
from synthmix.theory.reference import reference_predict
from synthmix.theory.spectra import marchenko_pastur_density

_KW = {"n": 10, "m": 10, "epsilon": 0.1, "rho": 0.1, "phi": 0.9, "gamma": 1.0}

CASES: list[tuple[Callable[[], Any], str]] = [
    (lambda: transition_epsilon(rho=2.0, phi=0.5), "rho must lie in [0, 1]; got 2.0"),
    (lambda: marchenko_pastur_support(0.0), "ratio must be > 0; got 0.0"),
    (
        lambda: reference_predict(np.ones(5), None, "abc", **_KW),
        "cov_synth must be a number or an array of numbers; got 'abc'",
    ),
    (
        lambda: reference_predict(np.ones(5), None, None, **{**_KW, "rho": 2}),
        "rho must lie in [0, 1]; got 2",
    ),
    (
        lambda: reference_predict(np.ones(5), None, None, **{**_KW, "n": 0, "m": 0}),
        "n + m must be > 0 (at least one training sample); got 0.0",
    ),
    (
        lambda: reference_predict(np.ones(3), np.ones(2), None, **_KW),
        "mu_synth must have length 3 (the dimension p); got 'length 2'",
    ),
    (
        lambda: reference_predict(np.ones(3), None, None, **{**_KW, "gamma": 0.0}),
        "gamma must be > 0; got 0.0",
    ),
    (lambda: marchenko_pastur_density([1.0], 0.0), "ratio must be > 0; got 0.0"),
    (lambda: estimated_generator_model(0, 1.0, 10.0), "p must be >= 1; got 0"),
    (lambda: estimated_generator_model(2.5, 1.0, 10.0), "p must be an integer; got 2.5"),
    (lambda: transition_epsilon(rho=0.2, phi=2.0), "phi must lie in [0, 1]; got 2.0"),
    (
        lambda: predict(MixtureModel(np.ones(3)), **{**_KW, "n": 0, "m": 0}),
        "n + m must be > 0 (at least one training sample); got 0",
    ),
    (
        lambda: reference_predict(np.ones(3), None, np.array([1.0, -1.0, 1.0]), **_KW),
        "cov_synth must be a non-negative spectrum of length 3; got [1.0, -1.0, 1.0]",
    ),
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_message_names_parameter_rule_and_value(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value) == message


def test_nothing_kept_is_the_real_only_model() -> None:
    """With φ = ρ = 0 no synthetic sample is kept, so the fit is the real-only one.

    The ridge loss averages over all ``N = n + m`` samples, ``(1/N) Σ_real ℓ + γ‖w‖²``, which is
    ``(n/N)`` times the real-only objective with penalty ``γ N / n``.
    """
    mu = np.r_[1.5, np.zeros(19)]
    kw = {"epsilon": 0.3, "rho": 0.0, "phi": 0.0}
    none_kept = reference_predict(mu, None, None, n=80, m=40, gamma=0.5, **kw)
    real_only = reference_predict(mu, None, None, n=80, m=0, gamma=0.5 * 120 / 80, **kw)
    for key in ("accuracy", "risk", "mean", "second_moment"):
        assert none_kept[key] == pytest.approx(real_only[key], rel=1e-9), key


def test_real_covariance_given_as_a_spectrum_is_its_diagonal_matrix() -> None:
    spectrum = np.linspace(0.5, 2.0, 6)
    model = MixtureModel(np.r_[1.0, np.zeros(5)], cov_real=spectrum)
    np.testing.assert_allclose(model.real_covariance(), np.diag(spectrum), atol=1e-12)
