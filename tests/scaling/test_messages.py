"""Bad input is refused with the parameter's name, the rule it breaks and the value given."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.experiments.scaling_learned import QUICK
from synthmix.scaling import (
    LongTailModel,
    expected_error,
    fit_generator,
    make_gaussian_world,
    make_mnist_world,
    mixture_error,
    sample_error,
    sample_training_set,
)
from synthmix.scaling.learners import fit_predict
from synthmix.scaling.worlds import check_positive_number

_WORLD = make_gaussian_world(n_items=20, dim=4, rng=0)

CASES: list[tuple[Callable[[], Any], str]] = [
    (lambda: dataclasses.replace(QUICK, n_components=1), "n_components must be >= 2; got 1"),
    (lambda: make_gaussian_world(dim=0), "dim must be >= 1; got 0"),
    (
        lambda: sample_error(LongTailModel(beta=2.0, k=10, pi=0.1, M=100), -1),
        "n must be >= 0; got -1",
    ),
    (lambda: mixture_error([0.5, 0.5], [0.5, 0.5], -1.0), "n must be >= 0; got -1.0"),
    (
        lambda: sample_training_set(_WORLD, fit_generator(_WORLD, rng=0), 10, pi=0.0),
        "pi must lie in (0, 1]; got 0.0",
    ),
    (
        lambda: make_mnist_world(clusters_per_digit=3, limit=50),
        "limit must be >= 60; got 50",
    ),
    (
        lambda: LongTailModel(beta=1.0, k=10, pi=0.1, M=100),
        "beta must be > 1 (a normalisable long tail); got 1.0",
    ),
    (
        lambda: LongTailModel(beta=2.0, k=10, pi=0.1, M=100, top_p=0.5),
        "k must be the only truncation given (also got top_p); got 10",
    ),
    (
        lambda: expected_error("model", 10),  # type: ignore[arg-type]
        "model must be a synthmix.scaling.LongTailModel; got 'str'",
    ),
    (lambda: mixture_error([0.5, 0.5], [1.0], 1.0), "q must have the shape of p (2,); got (1,)"),
    (
        lambda: mixture_error([0.0, 0.0], [0.5, 0.5], 1.0),
        "p and q must each have positive total mass; got 'totals 0 and 1'",
    ),
    (
        lambda: sample_error(LongTailModel(beta=2.0, k=10, pi=0.1, M=100), 5, n_trials=1),
        "n_trials must be >= 2; got 1",
    ),
    (lambda: check_positive_number(0.0, "noise"), "noise must be a finite number > 0; got 0.0"),
    (lambda: check_positive_number(-1, "noise"), "noise must be a finite number > 0; got -1"),
    (lambda: fit_generator(_WORLD, top_p=0.0, rng=0), "top_p must lie in (0, 1]; got 0.0"),
    (
        lambda: fit_generator(_WORLD, corruption_noise=-1.0, rng=0),
        "corruption_noise must be a number >= 0; got -1.0",
    ),
    (
        lambda: fit_predict("svm", np.zeros((4, 2)), np.array([0, 1, 0, 1]), np.zeros((2, 2))),
        "learner must be one of 1nn, logistic, mlp; got 'svm'",
    ),
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_message_names_parameter_rule_and_value(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value) == message
