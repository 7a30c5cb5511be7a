"""Real data → the theory: surrogate models of real tasks, and predicted vs measured accuracy."""

from synthmix.surrogate.compare import (
    ConditionResult,
    Protocol,
    PruningSetting,
    TaskComparison,
    compare_on_task,
)
from synthmix.surrogate.fit import Surrogate, fit_surrogate

__all__ = [
    "ConditionResult",
    "Protocol",
    "PruningSetting",
    "Surrogate",
    "TaskComparison",
    "compare_on_task",
    "fit_surrogate",
]
