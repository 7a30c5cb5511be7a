"""Random-matrix predictions for ridge trained on real + pruned synthetic data.

The model and theorem are those of El Firdoussi et al., ICLR 2025, with its pruning error
corrected.

Deterministic: nothing here draws random numbers. See ``docs/math/rmt.md``.
"""

from synthmix.theory.model import MixtureModel
from synthmix.theory.predict import (
    Prediction,
    estimated_generator_model,
    predict,
    predict_estimated_generator,
    transition_epsilon,
)
from synthmix.theory.spectra import (
    marchenko_pastur_density,
    marchenko_pastur_quantiles,
    marchenko_pastur_support,
)

__all__ = [
    "MixtureModel",
    "Prediction",
    "estimated_generator_model",
    "marchenko_pastur_density",
    "marchenko_pastur_quantiles",
    "marchenko_pastur_support",
    "predict",
    "predict_estimated_generator",
    "transition_epsilon",
]
