"""synthmix: what synthetic data does to a model, how it scales, and what each source is worth."""

from typing import TYPE_CHECKING, Any

from synthmix.exceptions import ConvergenceError, SynthmixError, ValidationError

if TYPE_CHECKING:
    from synthmix.theory import (
        MixtureModel,
        Prediction,
        predict,
        predict_estimated_generator,
        transition_epsilon,
    )

_THEORY = (
    "MixtureModel",
    "Prediction",
    "predict",
    "predict_estimated_generator",
    "transition_epsilon",
)

__version__ = "0.1.0"

__all__ = [
    "ConvergenceError",
    "MixtureModel",
    "Prediction",
    "SynthmixError",
    "ValidationError",
    "__version__",
    "predict",
    "predict_estimated_generator",
    "transition_epsilon",
]


def __getattr__(name: str) -> Any:
    """The theory's entry points, loaded on first use: ``import synthmix`` stays light, so
    the console script (:mod:`synthmix._entry`) can guard the CLI's import against Ctrl-C."""
    if name in _THEORY:
        from synthmix import theory

        return getattr(theory, name)
    raise AttributeError(f"module 'synthmix' has no attribute {name!r}")
