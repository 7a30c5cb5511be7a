"""Learning curves from the user's files: a CSV of training-set sizes and test errors."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from synthmix._types import FloatArray
from synthmix._validation import fail

__all__ = ["load_learning_curve"]


def load_learning_curve(
    path: str | os.PathLike[str],
) -> tuple[FloatArray, FloatArray, NDArray[np.str_] | None]:
    """Columns ``n``, ``error`` and optionally ``seed`` of a CSV with a header.

    Parameters
    ----------
    path : path-like
        A CSV file whose header names ``n`` and ``error`` (and optionally ``seed``).

    Returns
    -------
    n, error : ndarray of float64, shape (R,)
    seeds : ndarray of str, shape (R,), or None
        The ``seed`` column as text (a grouping key for the bootstrap), when present.

    Raises
    ------
    synthmix.exceptions.ValidationError
        Naming ``curve``: a missing file, a header without ``n`` and ``error``, or cells that
        are not numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise fail("curve", "be an existing CSV file", str(path))
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"n", "error"} <= set(rows[0]):
        raise fail(
            "curve", "have a header with columns n and error (and optionally seed)", str(path)
        )
    try:
        n = np.array([float(r["n"]) for r in rows])
        err = np.array([float(r["error"]) for r in rows])
    except (TypeError, ValueError):
        raise fail("curve", "hold numbers in its n and error columns", str(path)) from None
    seeds = np.array([r["seed"] for r in rows]) if "seed" in rows[0] else None
    return n, err, seeds
