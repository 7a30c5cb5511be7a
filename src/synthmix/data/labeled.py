"""Labelled tables from the user's files: format peeking, label columns, clean labels.

The readers behind ``synthmix prune`` and ``synthmix predict --real``: a synthetic file with
its (possibly noisy) labels and, when present, a column of clean labels; a real file whose
feature columns are matched to the synthetic file's by name. Every error names the option
(``synthetic``, ``real``, ``label``, ``true_label``) the file or column came from.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix._types import FloatArray, IntArray
from synthmix._validation import check_labels, fail
from synthmix.data.dataset import Dataset
from synthmix.data.loaders import load_table
from synthmix.exceptions import ValidationError

__all__ = [
    "DEFAULT_TRUE_LABEL",
    "PROVENANCE_COLUMN",
    "SyntheticTable",
    "feature_columns",
    "load_option",
    "npz_array",
    "option_labels",
    "peek_columns",
    "read_real",
    "read_synthetic",
]

#: Column (or ``.npz`` array) read as the clean labels when no other is named.
DEFAULT_TRUE_LABEL = "y_true"
#: :func:`~synthmix.data.load_table`'s default provenance column.
PROVENANCE_COLUMN = "synthetic"


def peek_columns(path: Path) -> list[str] | None:
    """Column names of a tabular file, read cheaply; None when they cannot be peeked.

    None leaves it to :func:`load_table` to read the file and report what is wrong with it.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, encoding="utf-8", newline="") as fh:
                header = next(csv.reader(fh), None)
            return None if header is None else [str(h) for h in header]
        if suffix == ".jsonl":
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        record = json.loads(line)
                        return [str(k) for k in record] if isinstance(record, dict) else None
            return None
        if suffix == ".npy":
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
            if arr.dtype.names:
                return [str(n) for n in arr.dtype.names]
            return [str(j) for j in range(arr.shape[1])] if arr.ndim == 2 else None
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return [str(n) for n in pq.read_schema(path).names]
    except (OSError, ValueError, UnicodeDecodeError, ImportError, csv.Error):
        return None
    return None


def load_option(path: Path, option: str, **kwargs: Any) -> Dataset:
    """:func:`load_table`, with its errors pointed at ``option`` (``synthetic`` or ``real``)."""
    try:
        return load_table(path, **kwargs)
    except ValidationError as exc:
        message = str(exc)
        if message.startswith("path "):
            raise ValidationError(option + message[len("path") :]) from None
        raise ValidationError(f"{message} (reading --{option} {path})") from None


def npz_array(path: Path, key: str) -> NDArray[Any] | None:
    """The array ``key`` of an ``.npz`` archive, or None when it has none."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return np.asarray(archive[key]) if key in archive.files else None
    except (OSError, ValueError):
        return None  # load_table has already read the archive and reports damage itself


def option_labels(y: Any, what: str, path: Path) -> IntArray:
    """``y`` checked to be -1/+1 labels, an error naming ``what`` and the file."""
    return check_labels(y, f"{what} ({path.name})")


@dataclass(frozen=True, eq=False)
class SyntheticTable:
    """A synthetic file read by :func:`read_synthetic`.

    Attributes
    ----------
    data : Dataset
        Features, labels (as given) and provenance flags, shape ``(m, d)``.
    y : ndarray of int64, shape (m,)
        The given labels, checked to be -1/+1.
    y_true : ndarray of int64, shape (m,), or None
        The clean labels, when the file has them.
    true_label : str or None
        The column (or ``.npz`` array) ``y_true`` came from.
    feature_names : list of str or None
        Feature columns by name (None for ``.npz`` files and files that could not be peeked).
    provenance : bool
        Whether the file carries its own ``synthetic`` flags.
    """

    data: Dataset
    y: IntArray
    y_true: IntArray | None
    true_label: str | None
    feature_names: list[str] | None
    provenance: bool  # the file has its own synthetic flags


def read_synthetic(path: Path, label: str, true_label: str | None) -> SyntheticTable:
    """Read a synthetic file: features, labels ``label`` and clean labels ``true_label``.

    ``true_label`` None reads :data:`DEFAULT_TRUE_LABEL` when the file has it; a named
    ``true_label`` the file lacks is an error. The clean labels are never a feature.
    """
    wanted = DEFAULT_TRUE_LABEL if true_label is None else true_label
    if path.suffix.lower() == ".npz":
        data = load_option(path, "synthetic")
        truth = npz_array(path, wanted)
        provenance = npz_array(path, PROVENANCE_COLUMN) is not None
        names = None
    else:
        columns = peek_columns(path)
        has_truth = columns is not None and wanted in columns
        if columns is None or (not has_truth and true_label is None):
            # No true labels expected: let load_table use its defaults (and report problems).
            data = load_option(path, "synthetic", label=label)
            names = None if columns is None else feature_columns(columns, label, None)
            truth = None
        else:
            if not has_truth:
                raise fail("true_label", f"name a column of the synthetic file ({columns})", wanted)
            if wanted == label:
                raise fail("true_label", "differ from the label column", wanted)
            names = feature_columns(columns, label, wanted)
            data = load_option(path, "synthetic", label=label, features=names)
            truth = load_option(path, "synthetic", label=wanted, features=names).y
        provenance = columns is not None and PROVENANCE_COLUMN in columns
    if truth is None and true_label is not None:
        raise fail("true_label", "name a column (or .npz array) of the synthetic file", true_label)
    y = option_labels(data.y, "label", path)
    y_true = None
    if truth is not None:
        y_true = check_labels(truth, f"true labels {wanted!r} ({path.name})", size=y.shape[0])
    return SyntheticTable(
        data=data,
        y=y,
        y_true=y_true,
        true_label=None if y_true is None else wanted,
        feature_names=names,
        provenance=provenance,
    )


def feature_columns(columns: list[str], label: str, true_label: str | None) -> list[str]:
    """Feature columns: all but the label, the true label and the provenance flags."""
    return [c for c in columns if c not in (label, true_label, PROVENANCE_COLUMN)]


def read_real(
    path: Path, label: str, true_label: str, synthetic: SyntheticTable
) -> tuple[FloatArray, IntArray]:
    """Read a real file with both labels, its features aligned to ``synthetic``'s by name.

    Returns ``(X, y)`` with ``X`` of shape ``(n, d)`` (float64) and ``y`` -1/+1, shape
    ``(n,)``; ``d`` must equal the synthetic file's.
    """
    features: list[str] | None = None
    columns = None if path.suffix.lower() == ".npz" else peek_columns(path)
    if columns is not None:
        features = feature_columns(columns, label, true_label)
        # Same columns under the same names: align them by name, not by position.
        if synthetic.feature_names is not None and set(features) == set(synthetic.feature_names):
            features = list(synthetic.feature_names)
    if features is None:
        data = load_option(path, "real", label=label)
    else:
        data = load_option(path, "real", label=label, features=features)
    y = option_labels(data.y, "label", path)
    if not (np.any(y == 1) and np.any(y == -1)):
        raise fail(
            f"label ({path.name})",
            "contain both labels -1 and +1 in the real data",
            f"only {np.unique(y).tolist()}",
        )
    if data.d != synthetic.data.d:
        raise fail(
            "synthetic",
            f"have as many feature columns as the real data ({data.d} in {path.name})",
            f"{synthetic.data.d} feature columns",
        )
    return np.asarray(data.X, dtype=np.float64), y
