"""Bad input is refused with the parameter's name, the rule it breaks and the value given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.valuation.attribution import attribution_values
from synthmix.valuation.metrics import agreement
from synthmix.valuation.mmd import mmd, power_weights
from synthmix.valuation.shapley import exact_shapley, permutation_shapley

CASES: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: agreement({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "d": 3}),
        "truth must value the same sources as values; got ['c', 'd']",
    ),
    (
        lambda: mmd(np.zeros((1, 3)), np.zeros((5, 3))),
        "X must have at least 2 rows (samples); got '1 rows'",
    ),
    (
        lambda: power_weights(np.zeros((3, 2)), np.zeros((3, 2))),
        "X and Y must have at least 4 rows each (two pairs); got '3, 3'",
    ),
    (
        lambda: exact_shapley(lambda c: 0.0, []),
        "players must contain at least one player; got ()",
    ),
    (
        lambda: permutation_shapley(lambda c: 0.0, ["a", "b"], truncation="x"),
        "truncation must be a number or an array of numbers; got 'x'",
    ),
    (
        lambda: attribution_values(
            {}, Dataset(np.zeros((4, 2)), np.arange(4) % 2), method="tracin"
        ),
        "sources must hold at least one source; got 'an empty mapping'",
    ),
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_message_names_parameter_rule_and_value(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value) == message


def test_a_one_class_training_set_predicts_that_class() -> None:
    from synthmix.valuation.ground_truth import training_accuracy

    train = Dataset(np.zeros((5, 2)), np.full(5, 1))
    test = Dataset(np.zeros((4, 2)), np.array([1, 1, 1, 0]))
    assert training_accuracy(train, test) == 0.75
