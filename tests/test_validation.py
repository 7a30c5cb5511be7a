"""One table of bad values fed to every public function (docs/conventions.md, "Validation").

Each row: the call, and the parameter name the ValidationError message must start with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import SynthmixError, ValidationError
from synthmix.parallel import map_tasks
from synthmix.simulate import simulate, simulate_estimated_generator
from synthmix.theory import (
    MixtureModel,
    marchenko_pastur_density,
    marchenko_pastur_quantiles,
    predict,
    predict_estimated_generator,
    transition_epsilon,
)

MODEL = MixtureModel(np.r_[1.0, 0.0, 0.0, 0.0])
OK = dict(n=10, m=10, epsilon=0.1, rho=0.2, phi=0.9, gamma=1.0)
TOY = dict(p=4, mu_norm=1.0, n=10, n_hat=10, m=10)


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


def _task(task: int, rng: np.random.Generator) -> int:
    return task


CASES: list[tuple[str, Callable[[], Any], str]] = []


def _case(name: str, param: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        CASES.append((name, fn, param))
        return fn

    return register


for bad_name, bad_value in [
    ("n", -1),
    ("m", -5.0),
    ("n", np.nan),
    ("epsilon", 1.5),
    ("epsilon", -0.1),
    ("rho", 2.0),
    ("phi", np.inf),
    ("gamma", 0.0),
    ("gamma", -1.0),
    ("gamma", "abc"),
]:
    _case(f"predict-{bad_name}={bad_value}", bad_name)(
        lambda k=bad_name, v=bad_value: predict(MODEL, **_with(OK, **{k: v}))
    )
    _case(f"toy-{bad_name}={bad_value}", bad_name)(
        lambda k=bad_name, v=bad_value: predict_estimated_generator(**_with(TOY, **{k: v}))
    )
    _case(f"simulate-{bad_name}={bad_value}", bad_name)(
        lambda k=bad_name, v=bad_value: simulate(MODEL, **_with(OK, **{k: v}), n_trials=2)
    )

_case("predict-no-samples", "n + m")(lambda: predict(MODEL, n=0, m=0))
_case("predict-shapes", "n and m")(lambda: predict(MODEL, n=[1, 2], m=[1, 2, 3]))
_case("predict-model", "model")(lambda: predict("not a model", n=1, m=1))  # type: ignore[arg-type]
_case("toy-n_hat", "n_hat")(lambda: predict_estimated_generator(**_with(TOY, n_hat=0)))
_case("toy-p", "p")(lambda: predict_estimated_generator(**_with(TOY, p=0)))
_case("toy-p-float", "p")(lambda: predict_estimated_generator(**_with(TOY, p=3.5)))
_case("toy-mu_norm", "mu_norm")(lambda: predict_estimated_generator(**_with(TOY, mu_norm=-1)))
_case("transition-rho", "rho")(lambda: transition_epsilon(rho=-0.1, phi=0.5))
_case("transition-zero", "rho + phi")(lambda: transition_epsilon(rho=0.0, phi=0.0))
_case("simulate-n-float", "n")(lambda: simulate(MODEL, **_with(OK, n=2.5)))
_case("simulate-trials", "n_trials")(lambda: simulate(MODEL, **OK, n_trials=1))
_case("simulate-rng", "rng")(lambda: simulate(MODEL, **OK, n_trials=2, rng=-3))
_case("simulate-array", "epsilon")(lambda: simulate(MODEL, **_with(OK, epsilon=[0.1, 0.2])))
_case("simulate-no-samples", "n + m")(lambda: simulate(MODEL, **_with(OK, n=0, m=0)))
_case("simulate-model", "model")(lambda: simulate(None, **OK))  # type: ignore[arg-type]
_case("toy-sim-n_hat", "n_hat")(
    lambda: simulate_estimated_generator(**_with(TOY, n_hat=0), n_trials=2)
)
_case("toy-sim-bool", "n")(lambda: simulate_estimated_generator(**_with(TOY, n=True), n_trials=2))
_case("map-n_jobs", "n_jobs")(lambda: map_tasks(_task, [1], n_jobs=0))
_case("mp-quantiles-ratio", "ratio")(lambda: marchenko_pastur_quantiles(10, 0.0))
_case("mp-quantiles-p", "p")(lambda: marchenko_pastur_quantiles(0, 1.0))
_case("mp-density-x", "x")(lambda: marchenko_pastur_density([np.nan], 1.0))
_case("model-mu", "mu_real")(lambda: MixtureModel([np.nan, 1.0]))
_case("model-psd", "cov_synth")(
    lambda: MixtureModel([1.0, 0.0], cov_synth=[[0.0, 1.0], [1.0, 0.0]])
)


@pytest.mark.parametrize(
    ("call", "param"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_validation_error_naming_parameter(
    call: Callable[[], Any], param: str
) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    message = str(info.value)
    assert message.startswith(param + " must"), message
    assert "\n" not in message
    assert isinstance(info.value, SynthmixError) and isinstance(info.value, ValueError)


def test_a_ragged_value_is_shown_as_given() -> None:
    # numpy refuses to make an array of uneven nesting; the message still names the value.
    from synthmix._validation import fail

    err = fail("sources", "be (name, Dataset) pairs", [("a", 1), ("b",)])
    assert str(err) == "sources must be (name, Dataset) pairs; got [('a', 1), ('b',)]"
