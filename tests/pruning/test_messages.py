"""Bad input is refused with the parameter's name, the rule it breaks and the value given.

One case per validation site (and per branch of a compound condition) of synthmix.pruning,
each checked against the whole message ``<name> must <rule>; got <value>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from synthmix.exceptions import ValidationError
from synthmix.pruning import (
    ConfidentLearningVerifier,
    KNNVerifier,
    ModelVerifier,
    OracleVerifier,
    estimate_rates,
    flip_labels,
    flip_labels_multiclass,
    measure_rates,
)

_X = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 1.0], [1.1, 1.0]])  # real features, n = 4, d = 2
_Y = np.array([-1, -1, 1, 1])
_NOISY = np.array([1, -1, 1, -1])
_TRUE = np.array([1, 1, 1, -1])
_KEEP = np.array([True, False, True, True])


class _FakeClassifier:
    """A 'fitted' classifier with chosen classes_ (no fit method)."""

    def __init__(self, classes: Any) -> None:
        self.classes_ = classes

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.full((len(X), 2), 0.5)


class _NoKeep:
    """A verifier whose verdict has no keep decisions."""

    def decide(self, X_syn: Any, y_syn: Any, *, rng: Any = None, y_true: Any = None) -> object:
        return object()


def _fitted() -> LogisticRegression:
    return LogisticRegression().fit(_X, _Y)


_FILTERS = (
    "'prune_by_noise_rate', 'prune_by_class', 'both', 'confident_learning', "
    "'predicted_neq_given', 'low_normalized_margin', 'low_self_confidence'"
)
_SCORES = "'self_confidence', 'normalized_margin', 'confidence_weighted_entropy'"
_NOT_FITTED = "model must be fitted (have classes_); use the class's fit() factory; got 'unfitted'"

CASES: list[tuple[Callable[[], Any], str]] = [
    # flip_labels
    (lambda: flip_labels("ab", 0.1), "y must be a 1-D array of labels -1 and +1; got 'ab'"),
    (
        lambda: flip_labels(["a", "b"], 0.1),
        "y must be a 1-D array of labels -1 and +1; got 'dtype <U1'",
    ),
    (
        lambda: flip_labels([[1, -1]], 0.1),
        "y must be a 1-D array of labels -1 and +1; got 'shape (1, 2)'",
    ),
    (
        lambda: flip_labels([1, 0, 2, 0], 0.1),
        "y must contain only the labels -1 and +1; got 'values [0.0, 2.0]'",
    ),
    (lambda: flip_labels([1, -1], 1.5), "epsilon must lie in [0, 1]; got 1.5"),
    (lambda: flip_labels([1, -1], -0.5), "epsilon must lie in [0, 1]; got -0.5"),
    (
        lambda: flip_labels([1, -1], [0.1, 0.2]),  # type: ignore[arg-type]
        "epsilon must be a scalar probability; got [0.1, 0.2]",
    ),
    # flip_labels_multiclass
    (lambda: flip_labels_multiclass([0, 1], 0.1, 1), "n_classes must be >= 2; got 1"),
    (lambda: flip_labels_multiclass([0, 1], 0.1, 2.5), "n_classes must be an integer; got 2.5"),  # type: ignore[arg-type]
    (
        lambda: flip_labels_multiclass([[0, 1]], 0.1, 3),
        "y must be a 1-D array of integer class labels; got 'shape (1, 2)'",
    ),
    (
        lambda: flip_labels_multiclass([0.0, 1.0], 0.1, 3),
        "y must be a 1-D array of integer class labels; got 'shape (2,)'",
    ),
    (lambda: flip_labels_multiclass([0, 3, 3], 0.1, 3), "y must hold classes in 0..2; got [0, 3]"),
    (lambda: flip_labels_multiclass([-1, 1], 0.1, 3), "y must hold classes in 0..2; got [-1, 1]"),
    (lambda: flip_labels_multiclass([0, 1], 2.0, 3), "epsilon must lie in [0, 1]; got 2.0"),
    (
        lambda: flip_labels_multiclass([0, 1], [0.1], 3),  # type: ignore[arg-type]
        "epsilon must be a scalar probability; got [0.1]",
    ),
    # estimate_rates
    *[
        (
            (lambda c=c: estimate_rates(_KEEP, _NOISY, _TRUE, confidence=c)),
            f"confidence must be a single number strictly between 0 and 1; got {c!r}",
        )
        for c in (1.0, 0.0, 1.5, [0.9], True)
    ],
    (
        lambda: estimate_rates(_KEEP, _NOISY, _TRUE, confidence="high"),  # type: ignore[arg-type]
        "confidence must be a number or an array of numbers; got 'high'",
    ),
    (
        lambda: estimate_rates(_KEEP, [1, 2, 1, -1], _TRUE),
        "y_noisy must contain only the labels -1 and +1; got 'values [2.0]'",
    ),
    (
        lambda: estimate_rates(_KEEP, _NOISY, [1, 1, 1]),
        "y_true must have length 4 (one label per sample); got 'length 3'",
    ),
    (
        lambda: estimate_rates([1, 0, 1, 1], _NOISY, _TRUE),
        "keep must be a boolean array of shape (4,) (one decision per sample);"
        " got 'dtype int64, shape (4,)'",
    ),
    (
        lambda: estimate_rates([True, False], _NOISY, _TRUE),
        "keep must be a boolean array of shape (4,) (one decision per sample);"
        " got 'dtype bool, shape (2,)'",
    ),
    # measure_rates
    (
        lambda: measure_rates(OracleVerifier(), np.zeros((3, 1)), _NOISY, _TRUE),
        "X_syn must have 4 rows (one per label in y_noisy); got 'shape (3, 1)'",
    ),
    (
        lambda: measure_rates(OracleVerifier(), np.zeros((4, 1)), _NOISY, _TRUE, confidence=2),
        "confidence must be a single number strictly between 0 and 1; got 2",
    ),
    (
        lambda: measure_rates(OracleVerifier(), np.zeros((4, 1)), _NOISY, -_NOISY),
        "y_true must differ from y_noisy on at least one sample and agree on at least one "
        "(both rho and phi need samples); got 'no right labels among 4 samples'",
    ),
    (
        lambda: measure_rates(_NoKeep(), np.zeros((4, 1)), _NOISY, _TRUE),  # type: ignore[arg-type]
        "keep must be a boolean array of shape (4,) (one decision per sample);"
        " got 'dtype object, shape ()'",
    ),
    (
        lambda: measure_rates(object(), np.zeros((4, 1)), _NOISY, _TRUE),  # type: ignore[arg-type]
        "verifier must have a decide(X_syn, y_syn, *, rng, y_true) method; got 'object'",
    ),
    # OracleVerifier
    (lambda: OracleVerifier(rho=True), "rho must be a number in [0, 1]; got True"),
    (lambda: OracleVerifier(phi=False), "phi must be a number in [0, 1]; got False"),
    (lambda: OracleVerifier(phi=1.5), "phi must lie in [0, 1]; got 1.5"),
    (lambda: OracleVerifier(rho=-0.25), "rho must lie in [0, 1]; got -0.25"),
    (
        lambda: OracleVerifier(rho=[0.1, 0.2]),  # type: ignore[arg-type]
        "rho must be a single number in [0, 1]; got [0.1, 0.2]",
    ),
    (
        lambda: OracleVerifier().decide([[0.0]], [1]),
        "y_true must be given to OracleVerifier.decide (the clean labels, known in simulations);"
        " got None",
    ),
    (
        lambda: OracleVerifier().decide([[0.0]], [1], y_true=[1, 1]),
        "y_true must have length 1 (one label per sample); got 'length 2'",
    ),
    (
        lambda: OracleVerifier().decide([0.0, 1.0], [1, -1], y_true=[1, -1]),
        "X_syn must be a 2-D array of shape (samples, features); got 'shape (2,)'",
    ),
    (
        lambda: OracleVerifier().decide([[0.0], [1.0]], [1], y_true=[1]),
        "y_syn must have length 2 (one label per sample); got 'length 1'",
    ),
    # ModelVerifier and the classifier checks
    (
        lambda: ModelVerifier(object()),
        "model must be a classifier with a predict_proba method; got 'object'",
    ),
    (lambda: ModelVerifier(LogisticRegression()), _NOT_FITTED),
    (
        lambda: ModelVerifier(_FakeClassifier([0, 1])),
        "model must be fitted on labels -1 and +1; got 'classes [0.0, 1.0]'",
    ),
    (
        lambda: ModelVerifier(_FakeClassifier([-1, 0, 1])),
        "model must be fitted on labels -1 and +1; got 'classes [-1.0, 0.0, 1.0]'",
    ),
    (
        lambda: ModelVerifier(_FakeClassifier([-1, 1, 1])),
        "model must be fitted on labels -1 and +1; got 'classes [-1.0, 1.0, 1.0]'",
    ),
    (
        lambda: ModelVerifier(_FakeClassifier(["a", "b"])),
        "model must be fitted on labels -1 and +1; got \"classes ['a', 'b']\"",
    ),
    (lambda: ModelVerifier(_fitted(), threshold=2), "threshold must lie in [0, 1]; got 2"),
    (
        lambda: ModelVerifier.fit(_X, _Y, threshold=-0.1),
        "threshold must lie in [0, 1]; got -0.1",
    ),
    (
        lambda: ModelVerifier.fit(_X, [1, 1, 1, 1]),
        "y_real must contain both labels -1 and +1; got 'only [1]'",
    ),
    (
        lambda: ModelVerifier.fit(_X, [-1, -1, -1, -1]),
        "y_real must contain both labels -1 and +1; got 'only [-1]'",
    ),
    (
        lambda: ModelVerifier.fit(_X, _Y, model=object()),
        "model must be a classifier with fit and predict_proba methods (scikit-learn API);"
        " got 'object'",
    ),
    (
        lambda: ModelVerifier.fit(_X, _Y, model=LinearRegression()),
        "model must be a classifier with fit and predict_proba methods (scikit-learn API);"
        " got 'LinearRegression'",
    ),
    (
        lambda: ModelVerifier.fit(_X, _Y).decide(np.zeros((2, 3)), [1, -1]),
        "X_syn must have 2 columns (the features of the real data); got 'shape (2, 3)'",
    ),
    (
        lambda: ModelVerifier.fit(_X[:, 0], _Y),
        "X_real must be a 2-D array of shape (samples, features); got 'shape (4,)'",
    ),
    # ConfidentLearningVerifier
    (
        lambda: ConfidentLearningVerifier(_fitted(), filter_by="x"),  # type: ignore[arg-type]
        f"filter_by must be one of {_FILTERS}; got 'x'",
    ),
    (
        lambda: ConfidentLearningVerifier(_fitted(), filter_by=3),  # type: ignore[arg-type]
        f"filter_by must be one of {_FILTERS}; got 3",
    ),
    (
        lambda: ConfidentLearningVerifier(_fitted(), score_method="x"),  # type: ignore[arg-type]
        f"score_method must be one of {_SCORES}; got 'x'",
    ),
    (lambda: ConfidentLearningVerifier(LogisticRegression()), _NOT_FITTED),
    (
        lambda: ConfidentLearningVerifier.fit(_X, _Y, filter_by="x"),  # type: ignore[arg-type]
        f"filter_by must be one of {_FILTERS}; got 'x'",
    ),
    (
        lambda: ConfidentLearningVerifier.fit(_X, _Y, score_method="y"),  # type: ignore[arg-type]
        f"score_method must be one of {_SCORES}; got 'y'",
    ),
    (
        lambda: ConfidentLearningVerifier.fit(_X, [1, 1, 1, 1]),
        "y_real must contain both labels -1 and +1; got 'only [1]'",
    ),
    (
        lambda: ConfidentLearningVerifier.fit(_X, _Y).decide(np.zeros((2, 1)), [1, -1]),
        "X_syn must have 2 columns (the features of the real data); got 'shape (2, 1)'",
    ),
    # KNNVerifier
    (lambda: KNNVerifier(_X, _Y, k=0), "k must be >= 1; got 0"),
    (lambda: KNNVerifier(_X, _Y, k=5), "k must be <= 4; got 5"),
    (lambda: KNNVerifier(_X, _Y, k=2.5), "k must be an integer; got 2.5"),  # type: ignore[arg-type]
    (lambda: KNNVerifier(_X, _Y, k=True), "k must be an integer; got True"),
    (
        lambda: KNNVerifier(_X, _Y, k=2, threshold=True),
        "threshold must be a number in [0, 1]; got True",
    ),  # type: ignore[arg-type]
    (lambda: KNNVerifier(_X, _Y, k=2, threshold=1.5), "threshold must lie in [0, 1]; got 1.5"),
    (lambda: KNNVerifier(_X, _Y, k=2, standardize=1), "standardize must be True or False; got 1"),  # type: ignore[arg-type]
    (
        lambda: KNNVerifier.fit(_X, _Y, k=2, standardize="yes"),  # type: ignore[arg-type]
        "standardize must be True or False; got 'yes'",
    ),
    (
        lambda: KNNVerifier(_X, _Y[:3], k=2),  # type: ignore[arg-type]
        "y_real must have length 4 (one label per sample); got 'length 3'",
    ),
    (
        lambda: KNNVerifier(_X, -np.ones(4), k=2),  # type: ignore[arg-type]
        "y_real must contain both labels -1 and +1; got 'only [-1]'",
    ),
    (
        lambda: KNNVerifier(_X, _Y, k=2).decide(np.zeros((2, 3)), [1, -1]),
        "X_syn must have 2 columns (the features of the real data); got 'shape (2, 3)'",
    ),
    (
        lambda: KNNVerifier(_X, _Y, k=2).decide(np.zeros((2, 2)), [1, 0]),
        "y_syn must contain only the labels -1 and +1; got 'values [0.0]'",
    ),
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_message_names_parameter_rule_and_value(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value) == message
