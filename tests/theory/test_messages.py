"""Bad input is refused with the parameter's name, the rule it breaks and the value given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.theory import (
    MixtureModel,
    marchenko_pastur_support,
    predict,
    predict_estimated_generator,
    transition_epsilon,
)
from synthmix.theory.predict import estimated_generator_model
from synthmix.theory.reference import reference_predict
from synthmix.theory.spectra import marchenko_pastur_density, marchenko_pastur_quantiles

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
    # reference_predict: every scalar parameter by its rule, and each branch of each check.
    (
        lambda: reference_predict(np.ones(3), None, None, **{**_KW, "epsilon": 2}),
        "epsilon must lie in [0, 1]; got 2",
    ),
    (
        lambda: reference_predict(np.ones(3), None, None, **{**_KW, "phi": -0.5}),
        "phi must lie in [0, 1]; got -0.5",
    ),
    (
        lambda: reference_predict(np.ones(3), None, None, **{**_KW, "n": -1}),
        "n must be >= 0; got -1",
    ),
    (
        lambda: reference_predict(np.ones(3), None, None, **{**_KW, "m": -2.5}),
        "m must be >= 0; got -2.5",
    ),
    (
        lambda: reference_predict(np.ones(3), None, None, **{**_KW, "n": [1, 2]}),
        "n must be a scalar (reference_predict evaluates one point); got [1, 2]",
    ),
    (
        lambda: reference_predict(np.ones(3), None, None, **{**_KW, "gamma": [1.0]}),
        "gamma must be a scalar (reference_predict evaluates one point); got [1.0]",
    ),
    (
        lambda: reference_predict(np.ones(3), None, np.ones(2), **_KW),
        "cov_synth must be a non-negative spectrum of length 3; got [1.0, 1.0]",
    ),
    (
        lambda: reference_predict(np.ones(3), None, np.eye(2), **_KW),
        "cov_synth must be None, a length-3 spectrum or a (3, 3) matrix; got (2, 2)",
    ),
    (
        lambda: reference_predict(np.ones(3), None, np.ones((3, 3, 1)), **_KW),
        "cov_synth must be None, a length-3 spectrum or a (3, 3) matrix; got (3, 3, 1)",
    ),
    (
        lambda: reference_predict(np.ones(3), None, None, **_KW, pruning="coin"),  # type: ignore[arg-type]
        "pruning must be 'bernoulli' or 'weight'; got 'coin'",
    ),
    (
        lambda: reference_predict(np.ones(3), None, None, **_KW, damping=0.0),
        "damping must lie in (0, 1]; got 0.0",
    ),
    (
        lambda: reference_predict(np.ones(3), None, None, **_KW, damping=1.5),
        "damping must lie in (0, 1]; got 1.5",
    ),
    (
        lambda: reference_predict([[1.0, 2.0]], None, None, **_KW),
        "mu_real must be a 1-D vector; got [[1.0, 2.0]]",
    ),
    (
        lambda: reference_predict([1.0, np.inf], None, None, **_KW),
        "mu_real must be finite (no NaN or inf); got [1.0, inf]",
    ),
    # MixtureModel: every form of covariance and every scalar option.
    (lambda: MixtureModel([]), "mu_real must not be empty; got []"),
    (
        lambda: MixtureModel(np.ones(3), mu_synth=[1.0, 2.0]),
        "mu_synth must have length 3 (the dimension p); got 'length 2'",
    ),
    (
        lambda: MixtureModel(np.ones(3), cov_synth=-1.0),
        "cov_synth must be >= 0 (a scalar covariance scales the identity); got -1.0",
    ),
    (
        lambda: MixtureModel(np.ones(3), cov_real=-0.5),
        "cov_real must be >= 0 (a scalar covariance scales the identity); got -0.5",
    ),
    (
        lambda: MixtureModel(np.ones(3), cov_synth=[1.0, 2.0]),
        "cov_synth must have length 3 (the dimension p) when given as a spectrum; got 'length 2'",
    ),
    (
        lambda: MixtureModel(np.ones(3), cov_real=[1, -1, 1]),
        "cov_real must have non-negative entries (a diagonal covariance is PSD); got [1, -1, 1]",
    ),
    (
        lambda: MixtureModel(np.ones(3), cov_synth=np.eye(2)),
        "cov_synth must have shape (3, 3); got 'shape (2, 2)'",
    ),
    (
        lambda: MixtureModel(np.ones(2), cov_real=[[1.0, 0.5], [0.0, 1.0]]),
        "cov_real must be symmetric; got 'a non-symmetric matrix'",
    ),
    (
        lambda: MixtureModel(np.ones(2), cov_synth=np.ones((2, 2, 2))),
        "cov_synth must be None, a scalar, a 1-D spectrum or a 2-D (p, p) matrix; got '3-D array'",
    ),
    (
        lambda: MixtureModel(np.ones(2), cov_synth="abc"),
        "cov_synth must be a number or an array of numbers; got 'abc'",
    ),
    (lambda: MixtureModel(np.ones(2), mean_noise=-1), "mean_noise must be >= 0; got -1"),
    (
        lambda: MixtureModel(np.ones(2), mean_noise=[0.1, 0.2]),
        "mean_noise must be a scalar; got [0.1, 0.2]",
    ),
    (
        lambda: MixtureModel(np.ones(2), mean_cross_noise=[0.1]),
        "mean_cross_noise must be a scalar; got [0.1]",
    ),
    (
        lambda: MixtureModel(np.ones(2), mean_cross_noise=np.nan),
        "mean_cross_noise must be finite (no NaN or inf); got nan",
    ),
    # An indefinite full covariance, on each of the paths that read its spectrum.
    (
        lambda: MixtureModel(np.ones(2), cov_real=[[1.0, 2.0], [2.0, 1.0]]),
        "cov_real must be positive semi-definite; got 'a matrix with eigenvalue -1'",
    ),
    (
        lambda: MixtureModel(np.ones(2), cov_synth=[[1.0, 2.0], [2.0, 1.0]]),
        "cov_synth must be positive semi-definite; got 'a matrix with eigenvalue -1'",
    ),
    (
        lambda: MixtureModel(np.ones(2), cov_real=[2.0, 2.0], cov_synth=[[1.0, 3.0], [3.0, 1.0]]),
        "cov_synth must be positive semi-definite; got 'a matrix with eigenvalue -2'",
    ),
    (
        lambda: MixtureModel(
            np.ones(2), cov_real=[[1.0, 3.0], [3.0, 1.0]], cov_synth=[[2.0, 1.0], [1.0, 2.0]]
        ),
        "cov_real must be positive semi-definite; got 'a matrix with eigenvalue -2'",
    ),
    (
        lambda: MixtureModel(
            np.ones(2), cov_real=[[2.0, 1.0], [1.0, 3.0]], cov_synth=[[1.0, 3.0], [3.0, 1.0]]
        ),
        "cov_synth must be positive semi-definite; got 'a matrix with eigenvalue -2'",
    ),
    (
        lambda: MixtureModel(
            np.ones(2), cov_real=[[1.0, 3.0], [3.0, 1.0]], cov_synth=[[2.0, 1.0], [1.0, 3.0]]
        ),
        "cov_real must be positive semi-definite; got 'a matrix with eigenvalue -2'",
    ),
    # predict and its relatives.
    (
        lambda: predict("model", n=1, m=1),  # type: ignore[arg-type]
        "model must be a synthmix.theory.MixtureModel; got 'str'",
    ),
    (
        lambda: predict(MixtureModel(np.ones(3)), n=[1, 2], m=[1, 2, 3]),
        "n and m must have broadcastable shapes; got 'n of shape (2,), m of shape (3,)'",
    ),
    (
        lambda: predict(MixtureModel(np.ones(3)), n=[1, 2], m=1, gamma=[1.0, 2.0, 3.0]),
        "n and gamma must have broadcastable shapes; got 'n of shape (2,), gamma of shape (3,)'",
    ),
    (lambda: predict(MixtureModel(np.ones(3)), n=-1, m=1), "n must be >= 0; got -1"),
    (lambda: predict(MixtureModel(np.ones(3)), n=1, m=-1), "m must be >= 0; got -1"),
    (
        lambda: predict(MixtureModel(np.ones(3)), n=1, m=1, epsilon=1.5),
        "epsilon must lie in [0, 1]; got 1.5",
    ),
    (
        lambda: predict(MixtureModel(np.ones(3)), n=1, m=1, rho=-0.1),
        "rho must lie in [0, 1]; got -0.1",
    ),
    (
        lambda: predict(MixtureModel(np.ones(3)), n=1, m=1, phi=[0.5, 1.1]),
        "phi must lie in [0, 1]; got [0.5, 1.1]",
    ),
    (
        lambda: predict(MixtureModel(np.ones(3)), n=1, m=1, gamma=0),
        "gamma must be > 0; got 0",
    ),
    (
        lambda: predict(MixtureModel(np.ones(3)), n=[1, 0], m=[1, 0]),
        "n + m must be > 0 (at least one training sample); got 0",
    ),
    (
        lambda: predict_estimated_generator(p=3, mu_norm=1.0, n=1, n_hat=0, m=1),
        "n_hat must be > 0; got 0",
    ),
    (
        lambda: predict_estimated_generator(p=0, mu_norm=1.0, n=1, n_hat=5, m=1),
        "p must be >= 1; got 0",
    ),
    (
        lambda: predict_estimated_generator(p=3, mu_norm=-1.0, n=1, n_hat=5, m=1),
        "mu_norm must be >= 0; got -1.0",
    ),
    (lambda: estimated_generator_model(3, 1.0, 0.0), "n_hat must be > 0; got 0.0"),
    (lambda: estimated_generator_model(3, -2, 5.0), "mu_norm must be >= 0; got -2"),
    (
        lambda: transition_epsilon(rho=0.0, phi=[0.5, 0.0]),
        "rho + phi must be > 0 (a verifier that keeps nothing has no transition); got [0.5, 0.0]",
    ),
    (lambda: marchenko_pastur_quantiles(0, 1.0), "p must be >= 1; got 0"),
    (lambda: marchenko_pastur_quantiles(-3, 1.0), "p must be >= 1; got -3"),
    (lambda: marchenko_pastur_quantiles(3, -1.0), "ratio must be > 0; got -1.0"),
    (
        lambda: marchenko_pastur_density("x", 1.0),
        "x must be a number or an array of numbers; got 'x'",
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
