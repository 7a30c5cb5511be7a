"""Bad input is refused with the parameter's name, the rule it breaks and the value given."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from synthmix.exceptions import ValidationError
from synthmix.experiments.scaling_learned import QUICK
from synthmix.scaling import LongTailModel, make_gaussian_world, sample_error

CASES: list[tuple[Callable[[], Any], str]] = [
    (lambda: dataclasses.replace(QUICK, n_components=1), "n_components must be >= 2; got 1"),
    (lambda: make_gaussian_world(dim=0), "dim must be >= 1; got 0"),
    (
        lambda: sample_error(LongTailModel(beta=2.0, k=10, pi=0.1, M=100), -1),
        "n must be >= 0; got -1",
    ),
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_message_names_parameter_rule_and_value(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value) == message
