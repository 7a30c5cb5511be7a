"""Real data → the theory: surrogate models of real tasks, and predicted vs measured accuracy."""

from synthmix.surrogate.compare import (
    ConditionResult,
    Protocol,
    PruningSetting,
    TaskComparison,
    compare_on_task,
)
from synthmix.surrogate.fit import Surrogate, fit_surrogate
from synthmix.surrogate.holdout import HoldoutCheck, holdout_check, validity_warnings
from synthmix.surrogate.predict_data import DataPrediction, predict_from_data

__all__ = [
    "ConditionResult",
    "DataPrediction",
    "HoldoutCheck",
    "Protocol",
    "PruningSetting",
    "Surrogate",
    "TaskComparison",
    "compare_on_task",
    "fit_surrogate",
    "holdout_check",
    "predict_from_data",
    "validity_warnings",
]
