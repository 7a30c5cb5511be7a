"""Bad input is refused with the parameter's name, the rule it breaks and the value given."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.experiments.scaling_learned import QUICK
from synthmix.scaling import (
    LongTailModel,
    breakpoints,
    expected_error,
    fit_generator,
    fit_three_phase,
    make_gaussian_world,
    make_mnist_world,
    mixture_error,
    phase_asymptotics,
    sample_error,
    sample_training_set,
)
from synthmix.scaling.learned import ArmSettings, run_learned_scaling
from synthmix.scaling.learners import fit_predict, weighted_error
from synthmix.scaling.worlds import (
    check_positive_number,
    predicted_error,
    training_frequencies,
)

_WORLD = make_gaussian_world(n_items=20, dim=4, rng=0)
_N8 = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]
_E8 = [1.0, 0.7, 0.5, 0.35, 0.25, 0.18, 0.12, 0.09]
_ARM = ArmSettings("a", "gaussian", "top_p")
_SOFT: dict[str, Any] = {"beta": 2.0, "temperature": 0.5, "M": 100}


def _fit() -> Any:
    return fit_three_phase(_N8, _E8, n_boot=10, rng=0)


def _arm(**kw: Any) -> ArmSettings:
    return dataclasses.replace(_ARM, **kw)


def _settings(**kw: Any) -> Any:
    return dataclasses.replace(QUICK, **kw)


def _model(**kw: Any) -> LongTailModel:
    return LongTailModel(**{"beta": 2.0, "k": 10, "pi": 0.1, "M": 100, **kw})


def _no_features(**pool: Any) -> Any:
    world = dataclasses.replace(_WORLD, means=None, **pool)
    return sample_training_set(world, fit_generator(_WORLD, n_pool=100, rng=0), 5, pi=1.0)


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
    # fit.py: fit_three_phase and ThreePhaseFit
    (lambda: fit_three_phase([0, 1], [1, 1]), "n must be > 0; got [0, 1]"),
    (lambda: fit_three_phase("n", [1, 1]), "n must be a number or an array of numbers; got 'n'"),
    (lambda: fit_three_phase([1, 2], [1, -1]), "err must be > 0; got [1, -1]"),
    (lambda: fit_three_phase([[1, 2]], [1, 2]), "n must be a 1-D array; got 'shape (1, 2)'"),
    (lambda: fit_three_phase([1, 2], [[1, 2]]), "err must be a 1-D array; got 'shape (1, 2)'"),
    (
        lambda: fit_three_phase([1, 2, 3], [1, 2]),
        "err must have the length of n (3); got 'length 2'",
    ),
    (lambda: fit_three_phase(_N8[:7], _E8[:7]), "n must have at least 8 points; got '7 points'"),
    (
        lambda: fit_three_phase([1, 1, 2, 2, 3, 3, 4, 4], _E8),
        "n must have at least 6 distinct values (two per segment); got '4 distinct values'",
    ),
    (
        lambda: fit_three_phase(_N8, _E8, seeds=[0, 1]),
        "seeds must be a 1-D array of length 8; got [0, 1]",
    ),
    (
        lambda: fit_three_phase(_N8, _E8, seeds=[[0, 1] * 4]),
        "seeds must be a 1-D array of length 8; got array of shape (1, 8)",
    ),
    (
        lambda: fit_three_phase(_N8, _E8, seeds=[[0], [1]] * 4),
        "seeds must be a 1-D array of length 8; got array of shape (8, 1)",
    ),
    (
        lambda: fit_three_phase(_N8, _E8, seeds=[3] * 8),
        "seeds must contain at least 2 distinct seed ids; got array of shape (8,)",
    ),
    (lambda: fit_three_phase(_N8, _E8, n_boot=9), "n_boot must be >= 10; got 9"),
    (
        lambda: fit_three_phase(_N8, _E8, confidence="high"),  # type: ignore[arg-type]
        "confidence must be a number or an array of numbers; got 'high'",
    ),
    (
        lambda: fit_three_phase(_N8, _E8, confidence=math.nan),
        "confidence must be finite (no NaN or inf); got nan",
    ),
    (
        lambda: fit_three_phase(_N8, _E8, confidence=1.0),
        "confidence must be a number in (0, 1); got 1.0",
    ),
    (
        lambda: fit_three_phase(_N8, _E8, confidence=0.0),
        "confidence must be a number in (0, 1); got 0.0",
    ),
    (
        lambda: fit_three_phase(_N8, _E8, confidence=[0.5]),  # type: ignore[arg-type]
        "confidence must be a number in (0, 1); got [0.5]",
    ),
    (lambda: _fit().predict(0.0), "n must be > 0; got 0.0"),
    (lambda: _fit().phase_of([-1]), "n must be > 0; got [-1]"),
    # learned.py: ArmSettings, LearnedScalingSettings, run_learned_scaling
    (lambda: _arm(name=""), "name must be a non-empty string; got ''"),
    (lambda: _arm(name=3), "name must be a non-empty string; got 3"),
    (lambda: _arm(data="cifar"), "data must be one of gaussian, mnist; got 'cifar'"),
    (
        lambda: _arm(mode="nucleus"),
        "mode must be one of top_p, temperature, pool, corruption; got 'nucleus'",
    ),
    (
        lambda: _arm(learners=()),
        "learners must be a non-empty subset of 1nn, logistic, mlp; got ()",
    ),
    (
        lambda: _arm(learners=("1nn", "knn")),
        "learners must be a non-empty subset of 1nn, logistic, mlp; got ('1nn', 'knn')",
    ),
    (lambda: _arm(pi=0.0), "pi must lie in (0, 1]; got 0.0"),
    (lambda: _arm(pi=1.5), "pi must lie in [0, 1]; got 1.5"),
    (lambda: _arm(hallucination=-0.1), "hallucination must lie in [0, 1]; got -0.1"),
    (lambda: _arm(n_pool=0), "n_pool must be >= 1; got 0"),
    (lambda: _settings(arms=()), "arms must be a non-empty tuple of ArmSettings; got ()"),
    (
        lambda: _settings(arms=(_ARM, "b")),
        "arms must be a non-empty tuple of ArmSettings; got (" + repr(_ARM) + ", 'b')",
    ),
    (lambda: _settings(arms=(_ARM, _ARM)), "arms must have distinct names; got ['a', 'a']"),
    (lambda: _settings(sizes=(0, 1, 2, 3, 4, 5, 6, 7)), "sizes must be >= 1; got 0"),
    (lambda: _settings(sizes=(1, 2.5)), "sizes must be an integer; got 2.5"),
    (
        lambda: _settings(sizes=(1, 2, 3)),
        "sizes must be at least 8 strictly increasing sizes; got (1, 2, 3)",
    ),
    (
        lambda: _settings(sizes=(1, 2, 3, 4, 5, 6, 7, 7)),
        "sizes must be at least 8 strictly increasing sizes; got array of shape (8,)",
    ),
    (lambda: _settings(n_seeds=1), "n_seeds must be >= 2; got 1"),
    (
        lambda: _settings(beta=1.0),
        "beta must be a number > 1 (a normalisable long tail); got 1.0",
    ),
    (lambda: _settings(n_items=1), "n_items must be >= 2; got 1"),
    (lambda: _settings(dim=0), "dim must be >= 1; got 0"),
    (lambda: _settings(noise=0.0), "noise must be a finite number > 0; got 0.0"),
    (lambda: _settings(n_test_per_item=0), "n_test_per_item must be >= 1; got 0"),
    (lambda: _settings(clusters_per_digit=0), "clusters_per_digit must be >= 1; got 0"),
    (lambda: _settings(n_pool=0), "n_pool must be >= 1; got 0"),
    (lambda: _settings(n_boot=9), "n_boot must be >= 10; got 9"),
    (
        lambda: run_learned_scaling("quick"),  # type: ignore[arg-type]
        "settings must be a LearnedScalingSettings; got 'quick'",
    ),
    (lambda: run_learned_scaling(QUICK, seed=-1), "seed must be >= 0; got -1"),
    # learners.py
    (
        lambda: weighted_error(_WORLD, np.zeros(3, dtype=np.int64)),
        "predicted must have shape (100,); got (3,)",
    ),
    # model.py
    (lambda: _model(beta="x"), "beta must be a number or an array of numbers; got 'x'"),
    (lambda: _model(M=0, k=None), "M must be >= 1; got 0"),
    (lambda: _model(pi=0.0), "pi must lie in (0, 1]; got 0.0"),
    (lambda: _model(pi=1.5), "pi must lie in (0, 1]; got 1.5"),
    (lambda: _model(a=-1.0), "a must be >= 0; got -1.0"),
    (lambda: _model(alpha=-1.0), "alpha must be >= 0; got -1.0"),
    (lambda: _model(b=-1.0), "b must be >= 0; got -1.0"),
    (lambda: _model(lam=-1.0), "lam must be >= 0; got -1.0"),
    (
        lambda: _model(k=None, temperature=0.5, pool=10),
        "k must be the only truncation given (also got pool); got None",
    ),
    (
        lambda: _model(top_p=0.5, pool=10),
        "k must be the only truncation given (also got top_p, pool); got 10",
    ),
    (lambda: _model(k=0), "k must be >= 1; got 0"),
    (lambda: _model(k=101), "k must be <= 100; got 101"),
    (lambda: _model(k=None, top_p=0.0), "top_p must lie in (0, 1]; got 0.0"),
    (lambda: _model(k=None, top_p=1.5), "top_p must lie in (0, 1]; got 1.5"),
    (lambda: _model(k=None, temperature=0.0), "temperature must lie in (0, 1]; got 0.0"),
    (lambda: _model(k=None, temperature=1.5), "temperature must lie in (0, 1]; got 1.5"),
    (lambda: _model(k=None, pool=0), "pool must be >= 1; got 0"),
    (lambda: expected_error(_model(), -1), "n must be >= 0; got -1"),
    (lambda: mixture_error([-1.0, 0.5], [0.5, 0.5], 1.0), "p must be >= 0; got [-1.0, 0.5]"),
    (lambda: mixture_error([0.5, 0.5], [0.5, -0.5], 1.0), "q must be >= 0; got [0.5, -0.5]"),
    (
        lambda: mixture_error([0.5, 0.5], [0.5, 0.5], 1.0, wrong_seen=2.0),
        "wrong_seen must lie in [0, 1]; got 2.0",
    ),
    (
        lambda: mixture_error([0.5, 0.5], [0.5, 0.5], 1.0, right_unseen=-0.5),
        "right_unseen must lie in [0, 1]; got -0.5",
    ),
    (
        lambda: breakpoints(LongTailModel(**_SOFT)),
        "model must truncate at a rank k (k or top_p) to have breakpoints; got 'no hard cut'",
    ),
    (
        lambda: phase_asymptotics(LongTailModel(**_SOFT)),
        "model must truncate at a rank k (k or top_p) for the phase formulas; got 'no hard cut'",
    ),
    # worlds.py
    (lambda: make_gaussian_world(n_items=1), "n_items must be >= 2; got 1"),
    (
        lambda: make_gaussian_world(beta=1.0),
        "beta must be a number > 1 (a normalisable long tail); got 1.0",
    ),
    (
        lambda: make_gaussian_world(beta=True),
        "beta must be a number > 1 (a normalisable long tail); got True",
    ),
    (
        lambda: make_gaussian_world(beta=math.inf),
        "beta must be a number > 1 (a normalisable long tail); got inf",
    ),
    (lambda: make_gaussian_world(noise=-1.0), "noise must be a finite number > 0; got -1.0"),
    (lambda: make_gaussian_world(n_test_per_item=0), "n_test_per_item must be >= 1; got 0"),
    (lambda: make_mnist_world(clusters_per_digit=0), "clusters_per_digit must be >= 1; got 0"),
    (
        lambda: make_mnist_world(beta=0.5),
        "beta must be a number > 1 (a normalisable long tail); got 0.5",
    ),
    (lambda: make_mnist_world(n_components=1), "n_components must be >= 2; got 1"),
    (lambda: make_mnist_world(core_fraction=1.5), "core_fraction must lie in [0, 1]; got 1.5"),
    (lambda: make_mnist_world(core_fraction=0.0), "core_fraction must lie in (0, 1]; got 0.0"),
    (lambda: make_mnist_world(test_fraction=-0.1), "test_fraction must lie in [0, 1]; got -0.1"),
    (lambda: make_mnist_world(test_fraction=0.0), "test_fraction must lie in (0, 1); got 0.0"),
    (lambda: make_mnist_world(test_fraction=1.0), "test_fraction must lie in (0, 1); got 1.0"),
    (
        # every point kept: the smallest sub-cluster has exactly one point
        lambda: make_mnist_world(clusters_per_digit=8, limit=160, core_fraction=1.0, rng=0),
        "clusters_per_digit must leave at least 2 points per sub-cluster; got 8",
    ),
    (
        lambda: _no_features(pool_X=np.zeros((3, 4))),
        "world must have means (Gaussian) or pool_X/pool_y (real data); got 'gaussian'",
    ),
    (
        lambda: _no_features(pool_y=np.zeros(3, dtype=np.int64)),
        "world must have means (Gaussian) or pool_X/pool_y (real data); got 'gaussian'",
    ),
    (
        _no_features,
        "world must have means (Gaussian) or pool_X/pool_y (real data); got 'gaussian'",
    ),
    (
        lambda: fit_generator("w"),  # type: ignore[arg-type]
        "world must be a World (make_gaussian_world / make_mnist_world); got 'w'",
    ),
    (
        lambda: fit_generator(_WORLD, mode="nucleus"),
        "mode must be one of top_p, temperature, pool, corruption; got 'nucleus'",
    ),
    (lambda: fit_generator(_WORLD, n_pool=0), "n_pool must be >= 1; got 0"),
    (lambda: fit_generator(_WORLD, top_p=1.5), "top_p must lie in [0, 1]; got 1.5"),
    (lambda: fit_generator(_WORLD, temperature=0.0), "temperature must lie in (0, 1]; got 0.0"),
    (lambda: fit_generator(_WORLD, temperature=2.0), "temperature must lie in [0, 1]; got 2.0"),
    (
        lambda: fit_generator(_WORLD, corruption_noise="x"),  # type: ignore[arg-type]
        "corruption_noise must be a number >= 0; got 'x'",
    ),
    (
        lambda: fit_generator(_WORLD, corruption_noise=math.nan),
        "corruption_noise must be a number >= 0; got nan",
    ),
    (
        lambda: sample_training_set(_WORLD, fit_generator(_WORLD, n_pool=100), 0),
        "n must be >= 1; got 0",
    ),
    (
        lambda: sample_training_set(_WORLD, fit_generator(_WORLD, n_pool=100), 5, hallucination=2),
        "hallucination must lie in [0, 1]; got 2",
    ),
    (
        lambda: training_frequencies(_WORLD, fit_generator(_WORLD, n_pool=100), pi=0.0),
        "pi must lie in (0, 1]; got 0.0",
    ),
    (
        lambda: predicted_error(_WORLD, fit_generator(_WORLD, n_pool=100), 10, pi=1.5),
        "pi must lie in [0, 1]; got 1.5",
    ),
    (
        lambda: predicted_error(_WORLD, fit_generator(_WORLD, n_pool=100), 10, hallucination=-0.5),
        "hallucination must lie in [0, 1]; got -0.5",
    ),
    (
        lambda: check_positive_number(math.nan, "noise"),
        "noise must be a finite number > 0; got nan",
    ),
    (lambda: check_positive_number("1", "noise"), "noise must be a finite number > 0; got '1'"),
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_message_names_parameter_rule_and_value(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value) == message


def test_a_limit_leaving_a_digit_fewer_images_than_clusters_is_refused() -> None:
    # 100 of 5,000 images: some digit gets fewer than 5, which KMeans cannot split in 5.
    with pytest.raises(ValidationError) as info:
        make_mnist_world(clusters_per_digit=5, limit=100, rng=0)
    assert re.fullmatch(
        r"clusters_per_digit must be at most the number of images of each digit "
        r"\(digit \d has [0-4]\); got 5",
        str(info.value),
    ), str(info.value)
