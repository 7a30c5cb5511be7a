"""Bad input is refused with the parameter's name, the rule it breaks and the value given."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from synthmix.exceptions import ValidationError
from synthmix.experiments.scaling_learned import QUICK
from synthmix.scaling import (
    LongTailModel,
    fit_generator,
    make_gaussian_world,
    make_mnist_world,
    mixture_error,
    sample_error,
    sample_training_set,
)

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
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_message_names_parameter_rule_and_value(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value) == message
