"""Three-phase scaling under real–synthetic mixtures (docs/math/scaling.md).

The exact long-tail model and its breakpoints (:mod:`~synthmix.scaling.model`), the measured
three-phase fit (:mod:`~synthmix.scaling.fit`), the hinges such a fit measures on the exact
model (:mod:`~synthmix.scaling.hinges`), Zipf worlds with generators fitted on them
(:mod:`~synthmix.scaling.worlds`), learners scored on them (:mod:`~synthmix.scaling.learners`)
and learning curves against the exact prediction (:mod:`synthmix.scaling.learned`, imported
on its own: it brings the parallel engine).
"""

from synthmix.scaling.fit import ThreePhaseFit, fit_three_phase, segment_breakpoints
from synthmix.scaling.hinges import HINGE_POINTS, HINGE_SPAN, hinge_sizes, predicted_hinges
from synthmix.scaling.learners import LEARNERS, fit_predict, weighted_error
from synthmix.scaling.model import (
    LongTailModel,
    PhaseAsymptotics,
    breakpoints,
    expected_error,
    mixture_error,
    phase_asymptotics,
    sample_error,
)
from synthmix.scaling.worlds import (
    Generator,
    TrainingSet,
    World,
    fit_generator,
    make_gaussian_world,
    make_mnist_world,
    predicted_error,
    sample_training_set,
    training_frequencies,
)

__all__ = [
    "HINGE_POINTS",
    "HINGE_SPAN",
    "LEARNERS",
    "Generator",
    "LongTailModel",
    "PhaseAsymptotics",
    "ThreePhaseFit",
    "TrainingSet",
    "World",
    "breakpoints",
    "expected_error",
    "fit_generator",
    "fit_predict",
    "fit_three_phase",
    "hinge_sizes",
    "make_gaussian_world",
    "make_mnist_world",
    "mixture_error",
    "phase_asymptotics",
    "predicted_error",
    "predicted_hinges",
    "sample_error",
    "sample_training_set",
    "segment_breakpoints",
    "training_frequencies",
    "weighted_error",
]
