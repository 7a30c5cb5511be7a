"""Labelled tables from the user's files: format peeking, label columns, clean labels.

The readers behind ``synthmix prune`` and ``synthmix predict --real``: a synthetic file with
its (possibly noisy) labels and, when present, a column of clean labels; a real file whose
feature columns are matched to the synthetic file's by name. Every error names the option
(``synthetic``, ``real``, ``label``, ``true_label``) the file or column came from.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix._io import atomic_open
from synthmix._types import BoolArray, FloatArray, IntArray
from synthmix._validation import fail
from synthmix.data.dataset import Dataset
from synthmix.data.loaders import (
    DEFAULT_TRUE_LABEL,
    ID_COLUMNS,
    PROVENANCE_COLUMN,
    check_column_names,
    is_reserved,
    iter_table,
    json_object,
    load_table,
)
from synthmix.exceptions import ValidationError

__all__ = [
    "DEFAULT_TRUE_LABEL",
    "ID_COLUMNS",
    "LABEL_CANDIDATES",
    "PAIR_RULE",
    "PROVENANCE_COLUMN",
    "LabelCoding",
    "SyntheticTable",
    "check_negative",
    "feature_columns",
    "file_coding",
    "iter_synthetic",
    "label_coding",
    "label_columns",
    "left_out_count",
    "left_out_note",
    "load_option",
    "named_features",
    "npz_array",
    "option_blocks",
    "pair_rows",
    "peek_columns",
    "read_real",
    "read_synthetic",
    "resolve_label",
    "write_kept_rows",
]

#: Label columns looked for, in this order (case-insensitively), when none is named.
LABEL_CANDIDATES = ("label", "target", "y", "class")
#: The rule of a coding whose two labels were named among more (``--positive``/``--negative``).
PAIR_RULE = "the pair chosen by --positive/--negative; rows of other labels left out"


def _key(value: Any) -> str:
    """A label's canonical form: booleans and integral numbers as integers, text stripped.

    So ``True``, ``1``, ``1.0``, ``"1"`` and ``"true"`` are one class across files and formats.
    """
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    text = str(value).strip()
    low = text.lower()
    if low in ("true", "false"):
        return "1" if low == "true" else "0"
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else repr(number)


@dataclass(frozen=True)
class LabelCoding:
    """How a file's labels become the theory's -1/+1, and why.

    Attributes
    ----------
    positive : str
        The label coded +1 (canonical form: integers for booleans and integral numbers).
    negative : str or None
        The label coded -1; None codes every other label -1 (one-vs-rest).
    rule : str
        How ``positive`` was chosen, as shown to the user.
    source : str
        The file whose labels set the coding (named in errors).
    pair : bool
        True when ``--positive``/``--negative`` named the two labels: rows of any other label
        are left out (:meth:`rows`) before anything else, never coded.
    """

    positive: str
    negative: str | None
    rule: str
    source: str = ""
    pair: bool = False

    def describe(self) -> str:
        """E.g. ``"+1 = 'dog', -1 = 'cat' (the label that sorts last; --positive chooses)"``."""
        rest = "every other label" if self.negative is None else repr(self.negative)
        return f"+1 = {self.positive!r}, -1 = {rest} ({self.rule})"

    def encode(self, y: Any, what: str) -> IntArray:
        """``y`` (any label type) as int64 -1/+1; a label outside the coding is an error."""
        arr = np.asarray(y)
        if arr.ndim != 1:
            raise fail(what, "be a 1-D column of labels", f"shape {arr.shape}")
        uniq, inverse = np.unique(arr, return_inverse=True)
        keys = [_key(v) for v in uniq.tolist()]
        if self.negative is not None:
            extra = sorted({k for k in keys if k not in (self.positive, self.negative)})
            if extra:
                where = f" (as in {self.source})" if self.source else ""
                raise fail(
                    what,
                    f"contain only the labels {self.negative!r} and {self.positive!r}{where}",
                    f"values {extra[:5]}",
                )
        codes = np.array([1 if k == self.positive else -1 for k in keys], dtype=np.int64)
        return codes[inverse.reshape(-1)]

    def rows(self, y: Any) -> BoolArray:
        """Which rows of ``y`` (any label type) carry the positive or the negative label.

        Every row for a one-vs-rest coding (``negative`` None).
        """
        arr = np.asarray(y)
        if self.negative is None:
            return np.ones(arr.shape[0], dtype=bool)
        uniq, inverse = np.unique(arr, return_inverse=True)
        inside = np.array([_key(v) in (self.positive, self.negative) for v in uniq.tolist()])
        return inside.astype(bool)[inverse.reshape(-1)]


def check_negative(positive: Any, negative: Any) -> None:
    """Refuse ``--negative`` without ``--positive`` (a pair needs both names)."""
    if negative is not None and positive is None:
        raise fail(
            "negative", "be given only together with --positive (they name a pair)", negative
        )


def label_coding(
    y: Any,
    *,
    positive: Any = None,
    what: str = "label",
    source: str = "",
    negative: Any = None,
) -> LabelCoding:
    """Choose the -1/+1 coding of the labels ``y``: stated, never silently guessed.

    ±1 and 0/1 (and booleans) code 1 as positive; two other labels code the one that sorts
    last as positive unless ``positive`` names it; with more than two labels ``positive`` is
    required and the rest become -1 (one-vs-rest), unless ``negative`` names the label coded
    -1: then the coding is that pair (``pair`` True) and rows of other labels are left out.
    Both names must be labels of ``y``.
    """
    check_negative(positive, negative)
    keys = sorted({_key(v) for v in np.unique(np.asarray(y)).tolist()})
    if negative is not None:
        pos, neg = _key(positive), _key(negative)
        for option, name, value in (("positive", pos, positive), ("negative", neg, negative)):
            if name not in keys:
                where = f" of {source}" if source else ""
                raise fail(option, f"be one of the labels{where} {keys[:10]}", value)
        if pos == neg:
            raise fail("negative", "differ from --positive", negative)
        return LabelCoding(pos, neg, PAIR_RULE, source, pair=True)
    if positive is not None:
        pos = _key(positive)
        if pos not in keys:
            raise fail("positive", f"be one of the labels {keys[:10]}", positive)
        others = [k for k in keys if k != pos]
        if not others:
            raise fail(what, "contain a second label besides the positive one", f"only {keys}")
        if len(others) == 1:
            return LabelCoding(pos, others[0], "chosen by --positive", source)
        rule = f"one-vs-rest: {len(keys)} labels, --positive chose one"
        return LabelCoding(pos, None, rule, source)
    if len(keys) != 2:
        rule = "hold two labels (name one with --positive for one-vs-rest)"
        raise fail(what, rule, f"{len(keys)} labels {keys[:10]}")
    if keys in (["-1", "1"], ["0", "1"]):
        return LabelCoding("1", keys[0], "1 is positive", source)
    return LabelCoding(keys[1], keys[0], "the label that sorts last; --positive chooses", source)


def label_columns(spec: str | None, files: tuple[str, ...]) -> dict[str, str | None]:
    """The label column named for each file by a ``--label`` value.

    ``spec`` is one column for every file (``target``) or per file, comma-separated
    (``real=target,synthetic=y``); a file not named gets None (auto-detected by
    :func:`resolve_label`).

    Parameters
    ----------
    spec : str or None
        The option's value.
    files : tuple of str
        The file names the command accepts (e.g. ``("real", "synthetic")``).

    Returns
    -------
    dict of str to str or None
        One entry per name in ``files``.
    """
    named: dict[str, str | None] = dict.fromkeys(files)
    if spec is None:
        return named
    parts = [part.strip() for part in spec.split(",")]
    if not any("=" in part for part in parts):
        return dict.fromkeys(files, spec)
    rule = "be one column, or " + ",".join(f"{f}=COLUMN" for f in files) + " (any of them)"
    for part in parts:
        key, sep, column = (text.strip() for text in part.partition("="))
        if not sep or key not in named or not column or named[key] is not None:
            raise fail("label", rule, spec)
        named[key] = column
    return named


def resolve_label(path: Path, label: str | None) -> tuple[str, bool]:
    """The label column of ``path``: ``label`` when named, else the first of
    :data:`LABEL_CANDIDATES` it has (case-insensitively). Returns ``(column, detected)``.
    """
    if label is not None or path.suffix.lower() == ".npz":
        return (label or "label"), False
    columns = peek_columns(path)
    if columns is None:
        return "label", False
    by_lower = {c.lower(): c for c in columns}
    for name in LABEL_CANDIDATES:
        if name in by_lower:
            return by_lower[name], by_lower[name] != "label"
    raise fail(
        "label",
        f"name the label column of {path.name} (it has none of {', '.join(LABEL_CANDIDATES)})",
        columns[:8],
    )


def file_coding(
    path: Path,
    label: str,
    option: str,
    positive: Any = None,
    negative: Any = None,
    rows: int = 100_000,
) -> LabelCoding:
    """:func:`label_coding` of the label column of ``path`` (read as ``option`` reads it), in
    blocks of ``rows`` rows with one feature column converted alongside: never the whole
    table at once (the features are checked when the table itself is read)."""
    columns = None if path.suffix.lower() == ".npz" else peek_columns(path)
    first = _first(None if columns is None else feature_columns(columns, label, None))
    y = np.concatenate(
        [b.y for b in option_blocks(path, option, rows, label=label, features=first)]
    )
    return label_coding(
        y, positive=positive, what=f"label ({path.name})", source=path.name, negative=negative
    )


def peek_columns(path: Path) -> list[str] | None:
    """Column names of a tabular file, read cheaply; None when they cannot be peeked.

    None leaves it to :func:`load_table` to read the file and report what is wrong with it.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, encoding="utf-8-sig", newline="") as fh:
                header = next(csv.reader(fh), None)
            if header is not None:
                check_column_names(header)  # repeated names: None, and load_table refuses them
            return None if header is None else [str(h) for h in header]
        if suffix == ".jsonl":
            with open(path, encoding="utf-8-sig") as fh:
                for line in fh:
                    if line.strip():
                        record = json.loads(line, object_pairs_hook=json_object)
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
        raise _pointed(exc, option, path) from None


def option_blocks(path: Path, option: str, rows: int, **kwargs: Any) -> Iterator[Dataset]:
    """:func:`iter_table`, with its errors pointed at ``option`` (as :func:`load_option`)."""
    blocks = iter_table(path, rows=rows, **kwargs)
    while True:
        try:
            block = next(blocks)
        except StopIteration:
            return
        except ValidationError as exc:
            raise _pointed(exc, option, path) from None
        yield block


def _pointed(exc: ValidationError, option: str, path: Path) -> ValidationError:
    """A loader's error about ``path`` said of ``option`` (the file the user named)."""
    message = str(exc)
    if message.startswith("path "):
        return ValidationError(option + message[len("path") :])
    return ValidationError(f"{message} (reading --{option} {path})")


def npz_array(path: Path, key: str) -> NDArray[Any] | None:
    """The array ``key`` of an ``.npz`` archive, or None when it has none."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return np.asarray(archive[key]) if key in archive.files else None
    except (OSError, ValueError):
        return None  # load_table has already read the archive and reports damage itself


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
    coding : LabelCoding
        How the file's labels became -1/+1.
    rows : ndarray of bool, shape (rows of the file,), or None
        With a pair coding, the file's rows that were read (label, and clean label when the
        file has them, in the pair); ``data``, ``y`` and ``y_true`` hold only those. None when
        every row was read.
    """

    data: Dataset
    y: IntArray
    y_true: IntArray | None
    true_label: str | None
    feature_names: list[str] | None
    provenance: bool  # the file has its own synthetic flags
    coding: LabelCoding
    rows: BoolArray | None = None

    @property
    def left_out(self) -> int:
        """Rows of the file left out by a pair coding (0 without one)."""
        return left_out_count(self.rows)


def left_out_count(rows: BoolArray | None) -> int:
    """Rows a pair coding left out, from the flags of the rows read (None: every row read)."""
    return 0 if rows is None else int(np.count_nonzero(~rows))


def read_synthetic(
    path: Path,
    label: str,
    true_label: str | None,
    coding: LabelCoding | None = None,
    positive: Any = None,
    negative: Any = None,
) -> SyntheticTable:
    """Read a synthetic file: features, labels ``label`` and clean labels ``true_label``.

    ``true_label`` None reads :data:`DEFAULT_TRUE_LABEL` when the file has it; a named
    ``true_label`` the file lacks is an error. The clean labels are never a feature. Labels
    of any type are coded -1/+1 by ``coding`` (default: :func:`label_coding` of this file's
    labels with ``positive`` and ``negative``; pass the real file's coding so that both files
    agree). A pair coding leaves out the rows whose label, or clean label, is outside the
    pair (``rows`` says which were read).
    """
    wanted = DEFAULT_TRUE_LABEL if true_label is None else true_label
    if path.suffix.lower() == ".npz":
        data = load_option(path, "synthetic")
        truth = npz_array(path, wanted)
        if truth is None and true_label is not None:
            raise fail(
                "true_label", "name a column (or .npz array) of the synthetic file", true_label
            )
        provenance = npz_array(path, PROVENANCE_COLUMN) is not None
        return _coded(path, data, truth, wanted, None, provenance, coding, positive, negative)
    names, has_truth, provenance = _synthetic_plan(path, label, true_label)
    data = load_option(path, "synthetic", label=label, features=names)
    truth = None
    if has_truth:  # only the labels are wanted: one feature column converted, not all again
        truth = load_option(path, "synthetic", label=wanted, features=_first(names)).y
    return _coded(path, data, truth, wanted, names, provenance, coding, positive, negative)


def iter_synthetic(
    path: Path,
    label: str,
    true_label: str | None,
    coding: LabelCoding,
    rows: int = 100_000,
) -> Iterator[SyntheticTable]:
    """:func:`read_synthetic` of a ``.csv`` or ``.jsonl`` file in blocks of ``rows`` rows,
    every block coded by ``coding`` (one coding for the whole file: read it first, from the
    real file or the synthetic one, :func:`file_coding`). ``rows`` of each table marks the
    block's rows read; memory holds one block (:func:`~synthmix.data.loaders.iter_table`)."""
    wanted = DEFAULT_TRUE_LABEL if true_label is None else true_label
    names, has_truth, provenance = _synthetic_plan(path, label, true_label)
    blocks = option_blocks(path, "synthetic", rows, label=label, features=names)
    truths = None
    if has_truth:  # only the labels are wanted: one feature column converted, not all again
        truths = option_blocks(path, "synthetic", rows, label=wanted, features=_first(names))
    for data in blocks:
        truth = None if truths is None else next(truths).y
        yield _coded(path, data, truth, wanted, names, provenance, coding, None, None)


def _first(names: list[str] | None) -> list[str] | None:
    """The first feature column only: enough to read a label column through the loader."""
    return None if names is None else names[:1]


def _synthetic_plan(
    path: Path, label: str, true_label: str | None
) -> tuple[list[str] | None, bool, bool]:
    """How a tabular synthetic file is read: its feature columns (None when the header cannot
    be peeked: the loader's defaults then apply and report problems), whether it holds the
    clean labels, and whether it carries provenance flags. A named ``true_label`` the file
    lacks, or one equal to ``label``, is an error."""
    wanted = DEFAULT_TRUE_LABEL if true_label is None else true_label
    columns = peek_columns(path)
    has_truth = columns is not None and wanted in columns
    provenance = columns is not None and PROVENANCE_COLUMN in columns
    if columns is None or (not has_truth and true_label is None):
        # No true labels expected: let load_table use its defaults (and report problems).
        names = None if columns is None else feature_columns(columns, label, None)
        if true_label is not None:
            raise fail(
                "true_label", "name a column (or .npz array) of the synthetic file", true_label
            )
        return names, False, provenance
    if not has_truth:
        raise fail("true_label", f"name a column of the synthetic file ({columns})", wanted)
    if wanted == label:
        raise fail("true_label", "differ from the label column", wanted)
    return feature_columns(columns, label, wanted), True, provenance


def _coded(
    path: Path,
    data: Dataset,
    truth: Any,
    wanted: str,
    names: list[str] | None,
    provenance: bool,
    coding: LabelCoding | None,
    positive: Any,
    negative: Any,
) -> SyntheticTable:
    """Labels and clean labels of ``data`` coded -1/+1 (``coding``, or this file's own), the
    rows outside a pair coding left out."""
    coding = coding or label_coding(
        data.y, positive=positive, what=f"label ({path.name})", source=path.name, negative=negative
    )
    rows = None
    if coding.pair:
        rows = coding.rows(data.y)
        if truth is not None:
            rows &= coding.rows(truth)
            truth = np.asarray(truth)[rows]
        data = data.subset(rows)
    y = coding.encode(data.y, f"label ({path.name})")
    y_true = None
    if truth is not None:
        y_true = coding.encode(truth, f"true labels {wanted!r} ({path.name})")
    return SyntheticTable(
        data=data,
        y=y,
        y_true=y_true,
        true_label=None if y_true is None else wanted,
        feature_names=names,
        provenance=provenance,
        coding=coding,
        rows=rows,
    )


def named_features(
    path: Path, label: str, order: list[str] | None, option: str, against: str = "reference"
) -> list[str] | None:
    """Feature columns of a tabular file, matched by name to ``order`` when given.

    Returns None for files whose columns cannot be named (``.npz``, unreadable headers: the
    loader then reports what is wrong). With ``order`` (the features of the file ``against``
    names), the columns must be the same set, returned in ``order``; a missing or extra
    column is an error naming ``option``.
    """
    columns = None if path.suffix.lower() == ".npz" else peek_columns(path)
    if columns is None:
        return None
    names = feature_columns(columns, label, None)
    if order is None:
        return names
    return _by_name(names, order, option, f"have the feature columns of the {against}")


def _by_name(names: list[str], order: list[str], option: str, rule: str) -> list[str]:
    """``names`` matched to ``order`` by name: ``order`` when they are the same set, else an
    error naming ``option`` and the missing and extra columns."""
    missing = [c for c in order if c not in names]
    extra = [c for c in names if c not in order]
    if missing or extra:
        raise fail(option, rule, f"missing {missing[:5]}, extra {extra[:5]}")
    return list(order)


def feature_columns(columns: list[str], label: str, true_label: str | None) -> list[str]:
    """Feature columns: all but the label, the true labels, provenance flags and row ids."""
    return [c for c in columns if c not in (label, true_label) and not is_reserved(c)]


def read_real(
    path: Path, label: str, true_label: str, synthetic: SyntheticTable
) -> tuple[FloatArray, IntArray, int]:
    """Read a real file with both labels, its features aligned to ``synthetic``'s by name.

    Returns ``(X, y, left_out)`` with ``X`` of shape ``(n, d)`` (float64), ``y`` -1/+1, shape
    ``(n,)``, and the number of rows a pair coding left out (labels outside the pair; 0
    without one); ``d`` must equal the synthetic file's.
    """
    features: list[str] | None = None
    columns = None if path.suffix.lower() == ".npz" else peek_columns(path)
    if columns is not None:
        features = feature_columns(columns, label, true_label)
        if synthetic.feature_names is not None:  # by name, never by position
            rule = f"have the synthetic file's feature columns ({path.name})"
            features = _by_name(features, synthetic.feature_names, "real", rule)
    if features is None:
        data = load_option(path, "real", label=label)
    else:
        data = load_option(path, "real", label=label, features=features)
    data, left_out = pair_rows(data, synthetic.coding)
    y = synthetic.coding.encode(data.y, f"label ({path.name})")
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
    return np.asarray(data.X, dtype=np.float64), y, left_out


def pair_rows(data: Dataset, coding: LabelCoding) -> tuple[Dataset, int]:
    """The rows of ``data`` a pair coding reads, and how many it left out.

    ``data`` itself and 0 unless ``coding.pair``; otherwise the rows whose label is one of the
    pair, in file order.
    """
    if not coding.pair:
        return data, 0
    rows = coding.rows(data.y)
    return data.subset(rows), int(np.count_nonzero(~rows))


def left_out_note(coding: LabelCoding, counts: dict[str, int], clean: str | None = None) -> str:
    """The rows a pair coding left out, per file, as shown to the user.

    E.g. ``"rows of other labels left out: 50 real, 212 synthetic (label, or 'y_true',
    neither 'b' nor 'c')"``; ``clean`` names the synthetic file's clean-label column.
    """
    per_file = ", ".join(f"{n} {name}" for name, n in counts.items())
    where = "label" + ("" if clean is None else f", or {clean!r},")
    pair = f"{where} neither {coding.positive!r} nor {coding.negative!r}"
    return f"rows of other labels left out: {per_file} ({pair})"


def write_kept_rows(
    source: Path,
    out: Path,
    keep: NDArray[np.bool_],
    score: FloatArray,
    rows: NDArray[np.bool_] | None = None,
) -> bool:
    """Copy the kept rows of ``source`` to ``out`` with every column as given, plus a score.

    Only for a ``.csv`` or ``.jsonl`` source written to the same format; returns False (and
    writes nothing) otherwise, so the caller can write its own table. The score column is
    ``score`` (``verifier_score`` when the file already has a ``score``), and a ``synthetic``
    column (all true) is added when the file has no provenance flags; ``out`` appears whole
    or not at all. ``rows`` (one flag per row of ``source``) marks the rows that ``keep`` and
    ``score`` describe, in order (:attr:`SyntheticTable.rows`); the others were not judged and
    are not written. None: every row.
    """
    if rows is not None:
        judged = np.flatnonzero(rows)
        if judged.shape[0] != keep.shape[0]:
            raise ValueError("keep must have one flag per row marked in rows")
        full_keep, full_score = np.zeros(rows.shape[0], dtype=bool), np.zeros(rows.shape[0])
        full_keep[judged], full_score[judged] = keep, score
        keep, score = full_keep, full_score
    kind = source.suffix.lower()
    if kind not in (".csv", ".jsonl") or out.suffix.lower() != kind:
        return False
    # One pass, one row in memory at a time (a 10^6-row file is never held as text); a file
    # with another number of rows than the loader read is left to the caller, nothing written.
    try:
        with atomic_open(out) as fh:
            written = _copy_kept(source, kind, fh, keep, score)
    except _RowCountMismatch:
        return False
    return written


class _RowCountMismatch(Exception):
    """The source has another number of data rows than ``keep`` describes."""


def _copy_kept(
    source: Path, kind: str, fh: Any, keep: NDArray[np.bool_], score: FloatArray
) -> bool:
    """Stream ``source``'s rows to ``fh``, keeping those flagged (see :func:`write_kept_rows`)."""
    n = keep.shape[0]
    with open(source, encoding="utf-8-sig", newline="" if kind == ".csv" else None) as src:
        rows: Iterator[Any]
        if kind == ".csv":
            rows = (r for r in csv.reader(src) if r)
            header: list[str] = next(rows, [])
        else:
            lines = (json.loads(line) for line in src if line.strip())
            first = next(lines, None)
            header = [] if first is None else list(first)
            rows = itertools.chain([] if first is None else [first], lines)
        column = "verifier_score" if "score" in header else "score"
        # Every row of the input is synthetic: say so where the file does not.
        flag = [] if PROVENANCE_COLUMN in header else [PROVENANCE_COLUMN]
        if kind == ".csv":
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow([*header, *flag, column])
        extra = dict.fromkeys(flag, True)
        i = -1
        for i, row in enumerate(rows):
            if i >= n:
                raise _RowCountMismatch
            if not keep[i]:
                continue
            if kind == ".csv":
                writer.writerow([*row, *(["true"] * len(flag)), repr(float(score[i]))])
            else:
                fh.write(json.dumps({**row, **extra, column: float(score[i])}) + "\n")
        if i + 1 != n:
            raise _RowCountMismatch
    return True
