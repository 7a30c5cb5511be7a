"""Read and write :class:`~synthmix.data.Dataset` tables.

Formats, chosen by the file's extension:

``.npz``
    Arrays ``X`` (n, d), ``y`` (n,), optionally ``synthetic`` (n,) bool and a 0-d ``name``.
``.npy``
    A structured array (named fields, one per column) or a plain 2-D numeric array whose
    columns are named by position (``"0"``, ``"1"``, ...).
``.csv``
    A header line, then one row per sample (read with pandas when installed, else with the
    standard library).
``.jsonl``
    One JSON object per line, the same keys on every line.
``.parquet``
    Needs the ``parquet`` extra (pyarrow).

For the tabular formats the label column is named by ``label`` (or given as a position),
features are every other column unless ``features`` lists them — but never, by default, the
clean labels (``y_true``), the provenance flags or a row id (``id``, ``row_id``, ``index``,
``Unnamed: 0``, any case) — and a boolean column named ``synthetic`` (when present) becomes
the provenance flags.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import os
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix._io import atomic_open
from synthmix._validation import fail
from synthmix.data.dataset import Dataset

__all__ = ["load_table", "save_table"]

PathLike = str | os.PathLike[str]
Columns = dict[str, NDArray[Any]]

_READ_EXTENSIONS = (".npy", ".npz", ".csv", ".jsonl", ".parquet")
_WRITE_EXTENSIONS = (".npz", ".csv", ".jsonl")
_DEFAULT_SYNTHETIC = "synthetic"
#: Column (or ``.npz`` array) read as the clean labels when no other is named.
DEFAULT_TRUE_LABEL = "y_true"
#: :func:`load_table`'s default provenance column.
PROVENANCE_COLUMN = _DEFAULT_SYNTHETIC
#: Row identifiers: never features (compared case-insensitively).
ID_COLUMNS = ("id", "row_id", "index", "unnamed: 0")


def is_reserved(column: str) -> bool:
    """Whether ``column`` is never a default feature: the clean labels (``y_true``), the
    provenance flags (``synthetic``) or a row id (:data:`ID_COLUMNS`, any case)."""
    return column in (DEFAULT_TRUE_LABEL, PROVENANCE_COLUMN) or (
        column.strip().lower() in ID_COLUMNS
    )


_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


def load_table(
    path: PathLike,
    *,
    label: str | int = "label",
    features: Sequence[str | int] | None = None,
    synthetic: str | None = _DEFAULT_SYNTHETIC,
    text: str | None = None,
) -> Dataset:
    """Read a data set from ``.npy``, ``.npz``, ``.csv``, ``.jsonl`` or ``.parquet``.

    Parameters
    ----------
    path : str or os.PathLike
        The file; its extension picks the format (see the module docstring).
    label : str or int, default "label"
        The label column: a name, or a position in the file's column order. Ignored for
        ``.npz``, whose labels are the array ``y``.
    features : sequence of str or int, optional
        Feature columns, in the order they become columns of ``X`` (names or positions; for
        ``.npz`` positions in ``X``). Default: every column but the label, the provenance
        flags (``synthetic``), the clean labels (``y_true``) and row ids (``id``, ``row_id``,
        ``index``, ``Unnamed: 0``, any case) — name those here to use them as features.
        Each must hold finite numbers (booleans count as 0/1).
    synthetic : str or None, default "synthetic"
        Column holding provenance flags (booleans, ``true``/``false`` or 0/1). The default
        column may be absent (every sample is then real); a column named explicitly must
        exist. None reads no provenance.
    text : str, optional
        A column of raw text (e.g. the ``"text"`` key of a JSONL file of generated samples):
        the features become its all-MiniLM-L6-v2 sentence embeddings (384 columns, cached on
        disk; needs the ``text`` extra), and ``features`` must be left out.

    Returns
    -------
    Dataset
        ``X`` of shape (n, len(features)), ``y`` of shape (n,); named after the file's stem
        (``.npz`` files written by :func:`save_table` keep their stored name).

    Raises
    ------
    synthmix.exceptions.ValidationError
        ``path`` missing, unreadable, of an unknown extension, or malformed; ``label`` not a
        column; ``features`` naming a missing or non-numeric column; ``synthetic`` not
        boolean.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from synthmix.data import Dataset, load_table, save_table
    >>> ds = Dataset(np.arange(6.0).reshape(3, 2), [0, 1, 0], synthetic=np.r_[False, True, True])
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.csv")
    >>> save_table(ds, path)
    >>> back = load_table(path)
    >>> back.X.tolist(), back.y.tolist(), back.n_synthetic
    ([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], [0, 1, 0], 2)
    """
    target = _check_read_arguments(path, label, features, synthetic)
    if text is not None and (not isinstance(text, str) or features is not None):
        raise fail("text", "be a column name, given without features", text)
    suffix = target.suffix.lower()
    if suffix == ".npz":
        return _load_npz(target, features)
    if suffix == ".npy":
        columns = _read_npy(target)
    elif suffix == ".csv":
        columns = _read_csv(target)
    elif suffix == ".jsonl":
        columns = _read_jsonl(target)
    else:
        columns = _read_parquet(target)
    if text is not None:
        columns = _embed_text_column(columns, text, keep=(label, synthetic))
    return _table_to_dataset(columns, label, features, synthetic, name=target.stem)


def iter_table(
    path: PathLike,
    *,
    label: str | int = "label",
    features: Sequence[str | int] | None = None,
    synthetic: str | None = _DEFAULT_SYNTHETIC,
    rows: int = 100_000,
) -> Iterator[Dataset]:
    """:func:`load_table` in blocks of at most ``rows`` rows, in file order.

    ``.csv`` (read with pandas) and ``.jsonl`` files are streamed: memory holds one block, not
    the file. Every block is checked as :func:`load_table` checks a whole file (repeated or
    renamed columns, non-numeric or missing features, empty labels), and concatenating the
    blocks gives what :func:`load_table` returns — except that the type of a column is
    inferred per block (a label column holding ``1`` and ``"a"`` in different blocks comes
    out as numbers in one and text in another). Other formats are one block.

    Raises
    ------
    synthmix.exceptions.ValidationError
        As :func:`load_table`, raised when the block holding the problem is read.
    """
    target = _check_read_arguments(path, label, features, synthetic)
    rows = int(rows)
    if rows < 1:
        raise fail("rows", "be >= 1", rows)
    suffix = target.suffix.lower()
    blocks: Iterator[Columns] | None = None
    if suffix == ".csv":
        blocks = _csv_blocks(target, rows)
    elif suffix == ".jsonl":
        blocks = _jsonl_blocks(target, rows)
    if blocks is None:  # whole-file formats (and CSV without pandas)
        yield load_table(target, label=label, features=features, synthetic=synthetic)
        return
    for columns in blocks:
        yield _table_to_dataset(columns, label, features, synthetic, name=target.stem)


def _csv_blocks(target: Path, rows: int) -> Iterator[Columns] | None:
    """The columns of each block of ``rows`` rows of a CSV file (pandas' chunked reader);
    None without pandas."""
    header = csv_header(target)
    if importlib.util.find_spec("pandas") is None:
        return None

    def blocks() -> Iterator[Columns]:
        n = 0
        for frame in _csv_frames(target, rows):
            n += len(frame)
            yield _frame_columns(frame, header)
        if n == 0:
            raise fail("path", "hold at least one data row", f"{target.stem}: header only")

    return blocks()


def _jsonl_blocks(target: Path, rows: int) -> Iterator[Columns]:
    """The columns of each block of ``rows`` JSON lines; every line must carry the first
    line's keys, no more and no fewer."""
    keys: list[str] | None = None
    block: list[dict[str, Any]] = []
    try:
        with open(target, encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, start=1):
                record = _json_record(line, lineno)
                if record is None:
                    continue
                if keys is None:
                    keys = list(record)
                elif set(record) != set(keys):
                    missing = [k for k in keys if k not in record]
                    key = missing[0] if missing else next(k for k in record if k not in keys)
                    raise fail("path", f"have key {key!r} on every line", f"line {lineno}")
                block.append(record)
                if len(block) == rows:
                    yield _records_columns(block, keys)
                    block = []
    except (OSError, UnicodeDecodeError) as exc:
        raise fail("path", "be a readable UTF-8 JSON-lines file", str(target)) from exc
    if keys is None:
        raise fail("path", "hold at least one JSON object", str(target))
    if block:
        yield _records_columns(block, keys)


def estimate_cells(path: PathLike) -> tuple[int, int] | None:
    """``(rows, columns)`` of a table, estimated without reading it; None when unknown.

    Exact for ``.npz`` (``X``'s header), ``.npy`` and ``.parquet`` (metadata); for ``.csv`` and
    ``.jsonl`` the rows are the file's size over the mean size of its first 1,000 lines (a
    size estimate for a memory budget, not a count). Nothing is validated: a file that cannot
    be sized returns None and :func:`load_table` reports what is wrong with it.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    try:
        if suffix == ".npz":
            with zipfile.ZipFile(target) as archive, archive.open("X.npy") as member:
                major, _ = np.lib.format.read_magic(member)
                read = (
                    np.lib.format.read_array_header_1_0
                    if major == 1
                    else np.lib.format.read_array_header_2_0
                )
                shape = read(member)[0]
            return (int(shape[0]), int(np.prod(shape[1:], dtype=np.int64)))
        if suffix == ".npy":
            arr = np.load(target, mmap_mode="r", allow_pickle=False)
            cols = len(arr.dtype.names) if arr.dtype.names else int(np.prod(arr.shape[1:]))
            return (int(arr.shape[0]), int(cols))
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(target).metadata
            return (int(meta.num_rows), int(meta.num_columns))
        if suffix in (".csv", ".jsonl"):
            size = target.stat().st_size
            with open(target, "rb") as fh:
                lines = [fh.readline() for _ in range(1001)]
            lines = [line for line in lines if line.strip()]
            if suffix == ".csv":
                header, lines = lines[:1], lines[1:]
                if not header:
                    return None
                cols = len(next(csv.reader([header[0].decode("utf-8-sig", "replace")])))
            else:
                cols = len(json.loads(lines[0])) if lines else 0
            if not lines:
                return (0, cols)
            per_row = sum(len(line) for line in lines) / len(lines)
            return (max(len(lines), round(size / per_row)), cols)
    except (OSError, ValueError, KeyError, ImportError, StopIteration, zipfile.BadZipFile):
        return None
    return None


def _embed_text_column(
    columns: Columns, text: str, *, keep: tuple[str | int | None, ...]
) -> Columns:
    """Replace the text column by its sentence embeddings; keep only the ``keep`` columns."""
    from synthmix.data.embeddings import embed_texts

    names = list(columns)
    col = _resolve(text, names, "text")
    values = columns[col]
    if values.dtype.kind not in "US" or np.any(values == ""):
        raise fail("text", "name a column of non-empty strings", f"column {col!r}")
    emb = np.asarray(embed_texts([str(v) for v in values]), dtype=np.float64)
    kept = {names[k] if isinstance(k, int) and 0 <= k < len(names) else k for k in keep}
    rest = {c: columns[c] for c in names if c != col and c in kept}
    return {**rest, **{f"{col}_{j}": emb[:, j] for j in range(emb.shape[1])}}


def save_table(dataset: Dataset, path: PathLike) -> None:
    """Write ``dataset`` to ``.npz``, ``.csv`` or ``.jsonl``, atomically.

    Parameters
    ----------
    dataset : Dataset
        What to write: features, labels, provenance (and, for ``.npz``, the name).
    path : str or os.PathLike
        Target file; its extension picks the format. Parent folders are created. The file
        appears whole or not at all.

    Notes
    -----
    ``.csv`` and ``.jsonl`` get columns ``x0 .. x{d-1}``, ``label`` and ``synthetic``; floats
    are written with ``repr`` so they read back bit for bit. :func:`load_table` with its
    defaults reads every format back to an equal data set.
    """
    if not isinstance(dataset, Dataset):
        raise fail("dataset", "be a Dataset", type(dataset).__name__)
    if not isinstance(path, str | os.PathLike):
        raise fail("path", "be a file path", path)
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in _WRITE_EXTENSIONS:
        raise fail("path", f"end in one of {', '.join(_WRITE_EXTENSIONS)}", str(path))
    if suffix == ".npz":
        arrays: dict[str, NDArray[Any]] = {
            "X": dataset.X,
            "y": dataset.y,
            "synthetic": dataset.synthetic,
        }
        if dataset.name is not None:
            arrays["name"] = np.asarray(dataset.name)
        with atomic_open(target, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        return
    names = [f"x{j}" for j in range(dataset.d)]
    labels = dataset.y.tolist()
    flags = dataset.synthetic.tolist()
    rows = dataset.X.tolist()
    with atomic_open(target, "w") as fh:
        if suffix == ".csv":
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow([*names, "label", "synthetic"])
            for row, lab, flag in zip(rows, labels, flags, strict=True):
                writer.writerow([*map(repr, row), lab, "true" if flag else "false"])
        else:
            for row, lab, flag in zip(rows, labels, flags, strict=True):
                record = dict(zip(names, row, strict=True))
                record["label"] = lab
                record["synthetic"] = flag
                fh.write(json.dumps(record) + "\n")


# ---------------------------------------------------------------------- helpers
def _check_read_arguments(path: Any, label: Any, features: Any, synthetic: Any) -> Path:
    """The checks :func:`load_table` and :func:`iter_table` share; the existing file."""
    target = _existing_file(path, _READ_EXTENSIONS)
    if label is None or isinstance(label, bool) or not isinstance(label, str | int):
        raise fail("label", "be a column name or a column position", label)
    if features is not None and (
        isinstance(features, str | bytes) or not isinstance(features, Sequence)
    ):
        raise fail("features", "be a sequence of column names or positions", features)
    if synthetic is not None and not isinstance(synthetic, str):
        raise fail("synthetic", "be a column name or None", synthetic)
    return target


def _existing_file(path: Any, extensions: Sequence[str]) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise fail("path", "be a file path", path)
    target = Path(path)
    if target.suffix.lower() not in extensions:
        raise fail("path", f"end in one of {', '.join(extensions)}", str(path))
    if not target.is_file():
        raise fail("path", "be an existing file", str(path))
    return target


def _load_npz(target: Path, features: Sequence[str | int] | None) -> Dataset:
    try:
        with np.load(target, allow_pickle=False) as archive:
            stored = {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as exc:
        raise fail("path", "be a readable .npz archive (no pickled objects)", str(target)) from exc
    if "X" not in stored or "y" not in stored:
        raise fail("path", "be an .npz holding arrays 'X' and 'y'", sorted(stored))
    X = stored["X"]
    if features is not None:
        X = np.asarray(X)
        if X.ndim != 2:
            raise fail("path", "hold a 2-D array 'X'", f"shape {X.shape}")
        cols = []
        for feat in features:
            if isinstance(feat, bool) or not isinstance(feat, int | np.integer):
                raise fail("features", "be column positions of X for an .npz file", feat)
            if not -X.shape[1] <= int(feat) < X.shape[1]:
                raise fail("features", f"be positions in [0, {X.shape[1]})", feat)
            cols.append(int(feat))
        if not cols:
            raise fail("features", "name at least one column", list(features))
        X = X[:, cols]
    name = str(stored["name"]) if "name" in stored else target.stem
    return Dataset(X, stored["y"], synthetic=stored.get("synthetic"), name=name)


def _read_npy(target: Path) -> Columns:
    try:
        arr = np.load(target, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise fail("path", "be a readable .npy array (no pickled objects)", str(target)) from exc
    if arr.dtype.names:
        if arr.ndim != 1:
            raise fail("path", "hold a 1-D structured array (one record per row)", arr.shape)
        return {field: np.asarray(arr[field]) for field in arr.dtype.names}
    if arr.ndim != 2:
        raise fail("path", "hold a structured array or a 2-D array", f"shape {arr.shape}")
    return {str(j): arr[:, j] for j in range(arr.shape[1])}


def check_column_names(names: Sequence[str]) -> None:
    """Refuse a table whose column names repeat (an error naming ``path``).

    Checked on the names as written, before any parser renames anything: pandas turns a
    repeated ``a`` into ``a.1`` and JSON keeps only the last of two equal keys, so the data of
    one of them would silently vanish or move under another name.
    """
    repeated = sorted({h for h in names if list(names).count(h) > 1})
    if repeated:
        raise fail("path", "have distinct column names", "repeated: " + ", ".join(repeated))


def csv_header(target: Path) -> list[str]:
    """The header line of a CSV file as written (a UTF-8 byte-order mark dropped), checked by
    :func:`check_column_names`.

    Raises
    ------
    synthmix.exceptions.ValidationError
        Naming ``path``: unreadable, no header line, or a column name used twice.
    """
    try:
        with open(target, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise fail("path", "be a readable UTF-8 CSV file", str(target)) from exc
    if not header:
        raise fail("path", "start with a header line", str(target))
    check_column_names(header)
    return header


def json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook: a JSON object whose keys repeat is refused, not silently merged."""
    check_column_names([k for k, _ in pairs])
    return dict(pairs)


def _read_csv(target: Path) -> Columns:
    header = csv_header(target)
    if importlib.util.find_spec("pandas") is None:
        return _read_csv_stdlib(target, header)
    return _frame_columns(next(_csv_frames(target, None)), header)


def _csv_frames(target: Path, rows: int | None) -> Iterator[Any]:
    """pandas frames of a CSV file: the whole table (``rows`` None) or blocks of ``rows`` rows.

    Each call into pandas runs under the same rules — a row longer than the header would
    silently lose data, so pandas' warning about it is an error — and any failure is one
    ``path`` error; what the caller does with a frame between blocks runs outside them.
    """
    import pandas as pd

    def read(step: Callable[[], Any]) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                return step()
        except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserWarning) as exc:
            # pandas' ParserError and EmptyDataError are ValueErrors
            raise fail("path", "be a readable CSV file with a header line", str(target)) from exc

    if rows is None:
        yield read(lambda: pd.read_csv(target, index_col=False, encoding="utf-8-sig"))
        return
    reader = read(
        lambda: pd.read_csv(target, index_col=False, encoding="utf-8-sig", chunksize=rows)
    )
    with reader:
        while (frame := read(lambda: next(reader, None))) is not None:
            yield frame


def _frame_columns(frame: Any, header: list[str]) -> Columns:
    """A pandas frame's columns as arrays, its names checked against the file's ``header``."""
    # never a renamed column (pandas names an empty one "Unnamed: j", as in its own index column)
    renamed = [h for h, c in zip(header, frame.columns, strict=False) if h and str(c) != h]
    if renamed or len(frame.columns) != len(header):
        raise fail("path", "have column names pandas reads as written", renamed or header)
    return {str(col): _series_to_array(frame[col]) for col in frame.columns}


def _series_to_array(series: Any) -> NDArray[Any]:
    kind = series.dtype.kind
    if kind in "biuf":
        return np.asarray(series.to_numpy())
    values = series.to_numpy(dtype=object)
    return _infer_column(["" if _is_missing(v) else str(v) for v in values])


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _read_csv_stdlib(target: Path, header: list[str]) -> Columns:
    try:
        with open(target, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise fail("path", "be a readable UTF-8 CSV file", str(target)) from exc
    body = [r for r in rows[1:] if r]
    for number, row in enumerate(body, start=1):
        if len(row) != len(header):
            raise fail(
                "path", f"have {len(header)} fields on every row", f"{len(row)} in row {number}"
            )
    # an empty name reads as pandas names it ("Unnamed: 0" is then the index pandas wrote)
    return {
        name or f"Unnamed: {j}": _infer_column([r[j] for r in body])
        for j, name in enumerate(header)
    }


def _infer_column(cells: list[str]) -> NDArray[Any]:
    """Type a column of text cells: bool, int, float (empty cells -> NaN) or str."""
    present = [c.strip() for c in cells if c.strip() != ""]
    if present and all(c in _TRUE or c in _FALSE for c in present) and len(present) == len(cells):
        return np.array([c.strip() in _TRUE for c in cells], dtype=np.bool_)
    try:
        if len(present) == len(cells):
            return np.array([int(c) for c in present], dtype=np.int64)
    except (ValueError, OverflowError):
        pass
    try:
        return np.array([float(c) if c.strip() else math.nan for c in cells], dtype=np.float64)
    except ValueError:
        return np.array(cells, dtype=str)


def _read_jsonl(target: Path) -> Columns:
    records: list[dict[str, Any]] = []
    try:
        with open(target, encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, start=1):
                record = _json_record(line, lineno)
                if record is not None:
                    records.append(record)
    except (OSError, UnicodeDecodeError) as exc:
        raise fail("path", "be a readable UTF-8 JSON-lines file", str(target)) from exc
    if not records:
        raise fail("path", "hold at least one JSON object", str(target))
    return _records_columns(records, list(dict.fromkeys(k for r in records for k in r)))


def _json_record(line: str, lineno: int) -> dict[str, Any] | None:
    """One line of a JSON-lines file as an object (None for a blank line)."""
    if not line.strip():
        return None
    try:
        record = json.loads(line, object_pairs_hook=json_object)
    except json.JSONDecodeError:
        raise fail("path", "hold one JSON object per line", f"line {lineno}") from None
    if not isinstance(record, dict):
        raise fail("path", "hold one JSON object per line", f"line {lineno}")
    return record


def _records_columns(records: list[dict[str, Any]], keys: list[str]) -> Columns:
    """Columns ``keys`` of JSON ``records``; a record without one of them is an error."""
    columns: Columns = {}
    for key in keys:
        values = []
        for lineno, record in enumerate(records, start=1):
            if key not in record:
                raise fail("path", f"have key {key!r} on every line", f"record {lineno}")
            values.append(record[key])
        columns[key] = _json_column(values)
    return columns


def _json_column(values: list[Any]) -> NDArray[Any]:
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.bool_)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:  # beyond ±2^63: a number like any other, as in CSV
            return np.array(values, dtype=np.float64)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.float64)
    if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
        return np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    if all(isinstance(v, str) for v in values):
        return np.array(values, dtype=str)
    return np.array(values, dtype=object)


def _read_parquet(target: Path) -> Columns:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise fail(
            "path",
            "be a format whose reader is installed: .parquet needs pyarrow "
            "(pip install 'synthmix[parquet]')",
            str(target),
        ) from None
    try:
        table = pq.read_table(target)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise fail("path", "be a readable Parquet file", str(target)) from exc
    columns: Columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        arr = np.asarray(column.to_numpy(zero_copy_only=False))
        columns[str(name)] = _json_column(arr.tolist()) if arr.dtype.kind == "O" else arr
    return columns


def _resolve(key: str | int, names: list[str], param: str) -> str:
    """The column named (or at the position) ``key``."""
    if isinstance(key, bool) or not isinstance(key, str | int | np.integer):
        raise fail(param, "be column names or positions", key)
    if isinstance(key, str):
        if key not in names:
            raise fail(param, f"name a column of the file (columns: {names[:20]})", key)
        return key
    if not -len(names) <= int(key) < len(names):
        raise fail(param, f"be a column position in [0, {len(names)})", key)
    return names[int(key)]


def _table_to_dataset(
    columns: Columns,
    label: str | int,
    features: Sequence[str | int] | None,
    synthetic: str | None,
    *,
    name: str,
) -> Dataset:
    names = list(columns)
    if not names or next(iter(columns.values())).shape[0] == 0:
        raise fail("path", "hold at least one data row", f"{name}: header only")
    label_col = _resolve(label, names, "label")
    flags = None
    synth_col = None
    if synthetic is not None and (synthetic in columns or synthetic != _DEFAULT_SYNTHETIC):
        synth_col = _resolve(synthetic, names, "synthetic")
        if synth_col == label_col:
            raise fail("synthetic", "differ from the label column", synthetic)
        flags = _as_flags(columns[synth_col])
    if features is None:
        feature_cols = [
            c for c in names if c not in (label_col, synth_col) and not is_reserved(str(c))
        ]
    else:
        feature_cols = [_resolve(f, names, "features") for f in features]
        if label_col in feature_cols:
            raise fail("features", "not include the label column", label_col)
    if not feature_cols:
        raise fail("features", "name at least one numeric column besides the label", names)
    X = np.empty((columns[label_col].shape[0], len(feature_cols)), dtype=np.float64)
    for j, col in enumerate(feature_cols):
        values = columns[col]
        if values.dtype.kind not in "biuf":
            raise fail("features", "be numeric columns", f"column {col!r} of dtype {values.dtype}")
        X[:, j] = values
        if not np.all(np.isfinite(X[:, j])):
            raise fail("features", "hold finite numbers (no missing values)", f"column {col!r}")
    y = columns[label_col]
    if y.dtype.kind == "O":
        raise fail("label", "hold numbers or strings", f"column {label_col!r} of mixed types")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise fail("label", "have a value on every row", f"column {label_col!r}")
    elif y.dtype.kind in "US" and np.any(y == ""):
        raise fail("label", "have a value on every row", f"column {label_col!r}")
    return Dataset(X, y, synthetic=flags, name=name)


def _as_flags(values: NDArray[Any]) -> NDArray[np.bool_]:
    if values.dtype.kind == "b":
        return values
    if values.dtype.kind in "iuf" and np.all((values == 0) | (values == 1)):
        return values.astype(np.bool_)
    if values.dtype.kind == "U":
        lowered = np.char.lower(np.char.strip(values))
        if np.all(np.isin(lowered, ["true", "false", "1", "0"])):
            return np.isin(lowered, ["true", "1"])
    raise fail("synthetic", "be a boolean column (true/false or 0/1)", values)
