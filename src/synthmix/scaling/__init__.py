"""Three-phase scaling under real–synthetic mixtures (docs/math/scaling.md)."""

from synthmix.scaling.fit import ThreePhaseFit, fit_three_phase
from synthmix.scaling.model import (
    LongTailModel,
    PhaseAsymptotics,
    breakpoints,
    expected_error,
    mixture_error,
    phase_asymptotics,
    sample_error,
)

__all__ = [
    "LongTailModel",
    "PhaseAsymptotics",
    "ThreePhaseFit",
    "breakpoints",
    "expected_error",
    "fit_three_phase",
    "mixture_error",
    "phase_asymptotics",
    "sample_error",
]
