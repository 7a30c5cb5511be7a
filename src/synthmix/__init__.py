"""synthmix: what synthetic data does to a model, how it scales, and what each source is worth."""

from synthmix.exceptions import ConvergenceError, SynthmixError, ValidationError
from synthmix.theory import (
    MixtureModel,
    Prediction,
    predict,
    predict_estimated_generator,
    transition_epsilon,
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
