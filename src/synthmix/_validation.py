"""Shared input checks.

Each helper validates one parameter and returns it in canonical form (a float64 array or a
Python scalar). Messages always read ``<name> must <rule>; got <value>`` so the CLI can print
them as they are.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._types import FloatArray, IntArray
from synthmix.exceptions import ValidationError

__all__ = [
    "as_float_array",
    "check_feature_matrix",
    "check_finite_vector",
    "check_int",
    "check_labels",
    "check_nonnegative",
    "check_positive",
    "check_probability",
    "check_psd_matrix",
    "check_psd_spectrum",
    "check_symmetric_matrix",
    "fail",
]


def _show(value: Any) -> str:
    try:
        arr = np.asarray(value) if not isinstance(value, str) else None
    except ValueError:  # ragged nesting, e.g. [("a", ds), ("b",)]: shown as given
        arr = None
    if arr is not None and arr.ndim > 0 and arr.size > 6:
        return f"array of shape {arr.shape}"
    return repr(value.tolist() if isinstance(value, np.ndarray) else value)


def fail(name: str, rule: str, value: Any) -> ValidationError:
    """Build the standard error for parameter ``name`` breaking ``rule``."""
    return ValidationError(f"{name} must {rule}; got {_show(value)}")


def as_float_array(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """Convert to a finite float64 array (any shape)."""
    if isinstance(value, str | bytes):
        raise fail(name, "be a number or an array of numbers", value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(name, "be a number or an array of numbers", value) from None
    if not np.all(np.isfinite(arr)):
        raise fail(name, "be finite (no NaN or inf)", value)
    return arr


def check_nonnegative(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """Finite array with every entry >= 0."""
    arr = as_float_array(value, name)
    if np.any(arr < 0):
        raise fail(name, "be >= 0", value)
    return arr


def check_positive(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """Finite array with every entry > 0."""
    arr = as_float_array(value, name)
    if np.any(arr <= 0):
        raise fail(name, "be > 0", value)
    return arr


def check_probability(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """Finite array with every entry in [0, 1]."""
    arr = as_float_array(value, name)
    if np.any((arr < 0) | (arr > 1)):
        raise fail(name, "lie in [0, 1]", value)
    return arr


def check_int(
    value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """A Python int (bools and non-integral floats are refused) within optional bounds."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer | float | np.floating):
        raise fail(name, "be an integer", value)
    if isinstance(value, float | np.floating) and (
        not math.isfinite(value) or not float(value).is_integer()
    ):
        raise fail(name, "be an integer", value)
    out = int(value)
    if minimum is not None and out < minimum:
        raise fail(name, f"be >= {minimum}", value)
    if maximum is not None and out > maximum:
        raise fail(name, f"be <= {maximum}", value)
    return out


def check_finite_vector(
    value: ArrayLike, name: str, *, size: int | None = None
) -> NDArray[np.float64]:
    """A finite 1-D float64 vector, optionally of a given length."""
    arr = as_float_array(value, name)
    if arr.ndim != 1:
        raise fail(name, "be a 1-D vector", value)
    if size is not None and arr.shape[0] != size:
        raise fail(name, f"have length {size} (the dimension p)", f"length {arr.shape[0]}")
    if arr.shape[0] == 0:
        raise fail(name, "not be empty", value)
    return arr


def check_symmetric_matrix(value: ArrayLike, name: str, *, size: int) -> NDArray[np.float64]:
    """A finite, symmetric ``(size, size)`` matrix (relative tolerance 1e-10)."""
    arr = as_float_array(value, name)
    if arr.shape != (size, size):
        raise fail(name, f"have shape ({size}, {size})", f"shape {arr.shape}")
    scale = max(float(np.max(np.abs(arr))), 1e-300)
    if np.max(np.abs(arr - arr.T)) > 1e-10 * scale:
        raise fail(name, "be symmetric", "a non-symmetric matrix")
    return arr


def check_psd_spectrum(eigenvalues: ArrayLike, name: str) -> None:
    """Eigenvalues of a covariance: the smallest may be negative by at most 1e-10 times the
    largest magnitude (round-off), never more."""
    values = np.asarray(eigenvalues, dtype=np.float64)
    scale = max(float(np.max(np.abs(values))), 1e-300)
    lo = float(np.min(values))
    if lo < -1e-10 * scale:
        raise fail(name, "be positive semi-definite", f"a matrix with eigenvalue {lo:.3g}")


def check_psd_matrix(value: ArrayLike, name: str, *, size: int) -> NDArray[np.float64]:
    """A finite, symmetric, positive semi-definite ``(size, size)`` matrix."""
    arr = check_symmetric_matrix(value, name, size=size)
    check_psd_spectrum(np.linalg.eigvalsh(arr), name)
    return arr


def check_labels(value: ArrayLike, name: str, *, size: int | None = None) -> IntArray:
    """Binary labels in {-1, +1} as a 1-D int64 vector, optionally of length ``size``.

    Any other coding ({0, 1}, strings, three classes) is refused: the theory's convention
    is ±1 and guessing which value is "positive" would silently flip results.
    """
    if isinstance(value, str | bytes):
        raise fail(name, "be a 1-D array of labels -1 and +1", value)
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise fail(name, "be a 1-D array of labels -1 and +1", f"dtype {arr.dtype}")
    arr = as_float_array(arr, name)
    if arr.ndim != 1:
        raise fail(name, "be a 1-D array of labels -1 and +1", f"shape {arr.shape}")
    bad = (arr != 1.0) & (arr != -1.0)
    if np.any(bad):
        shown = np.unique(arr[bad])[:5].tolist()
        raise fail(name, "contain only the labels -1 and +1", f"values {shown}")
    if size is not None and arr.shape[0] != size:
        raise fail(name, f"have length {size} (one label per sample)", f"length {arr.shape[0]}")
    return arr.astype(np.int64)


def check_feature_matrix(
    value: ArrayLike, name: str, *, n_features: int | None = None
) -> FloatArray:
    """A finite float64 matrix of shape (m, d), with ``d == n_features`` when given."""
    arr = as_float_array(value, name)
    if arr.ndim != 2:
        raise fail(name, "be a 2-D array of shape (samples, features)", f"shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise fail(
            name,
            f"have {n_features} columns (the features of the real data)",
            f"shape {arr.shape}",
        )
    return arr
