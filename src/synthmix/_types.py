"""Array aliases shared by every module (ground layer: imports nothing from synthmix).

``FloatArray`` is the float64 array every numeric function returns; ``IntArray`` holds
int64 labels and counts; ``IndexArray`` holds ``np.intp`` positions (the dtype numpy's
indexing and ``argsort`` produce); ``BoolArray`` holds masks such as provenance flags.
``StageProgress`` is the callback every long run reports its stages to.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["BoolArray", "FloatArray", "IndexArray", "IntArray", "StageProgress"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
IndexArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

#: Progress callback of a long run: ``progress(stage, done, total)``.
StageProgress = Callable[[str, int, int], None]
