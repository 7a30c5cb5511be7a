"""Fuzzing the table reader and the TOML reader: a clear error or the data as written.

Random tables (odd names, repeated names, quotes and commas in names, a byte-order mark,
CRLF line ends, integers beyond int64, empty cells, text cells) are written with the
standard library and read back by ``load_table``. Each read either raises a ValidationError
whose message names ``path``, ``label`` or ``features`` and states a rule ("... must ..."), or
returns exactly the numbers that were written, column for column: never a silently renamed,
dropped or shifted column. Random TOML documents fed to the CLI's configuration reader give
valid parameters or a ValidationError, never another exception.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthmix.data import load_table
from synthmix.exceptions import ValidationError

NAME = st.one_of(
    st.sampled_from(
        ["x", "x", "a.1", "label ", "Label", "y_true", "id", "Row_ID", "é", "a,b", 'q"t', ""]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6),
)
CELL = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from(["", "nan", "inf", "true", "1e400", "abc", "  3 "]),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[object]]]:
    width = draw(st.integers(1, 4))
    names = [draw(NAME) for _ in range(width)] + ["label"]
    rows = [
        [draw(CELL) for _ in range(width)] + [draw(st.sampled_from([0, 1, "a", "b"]))]
        for _ in range(draw(st.integers(0, 5)))
    ]
    return names, rows


def _csv_text(names: list[str], rows: list[list[object]], newline: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(names)
    writer.writerows(rows)
    return buf.getvalue()


def _as_number(cell: object) -> float | None:
    """What a numeric column should read back as; None for a cell that is not a number."""
    if isinstance(cell, int | float):
        return float(cell)
    try:
        value = float(str(cell))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _features(names: list[str], *, csv: bool) -> list[int]:
    """Positions of the columns read as features by default: all before the label but the
    clean labels, provenance flags and row ids (load_table's documented rule; a nameless
    first column of a CSV is the index pandas writes, read as "Unnamed: 0")."""
    ids = ("id", "row_id", "index", "unnamed: 0")
    return [
        j
        for j, n in enumerate(names[:-1])
        if n not in ("y_true", "synthetic")
        and n.strip().lower() not in ids
        and (n or j > 0 or not csv)
    ]


def _check(path: Path, names: list[str], rows: list[list[object]]) -> None:
    try:
        ds = load_table(path)
    except ValidationError as exc:
        message = str(exc)
        assert message.split(" ", 1)[0] in ("path", "label", "features"), message
        assert " must " in message, message
        return
    # read: the names were distinct, every row present, and each feature column is exactly
    # the numbers written under that name, in the file's order
    assert len(set(names)) == len(names)
    assert ds.n == len(rows) > 0
    features = _features(names, csv=path.suffix == ".csv")
    assert ds.X.shape == (len(rows), len(features))
    for col, j in enumerate(features):
        column = [r[j] for r in rows]
        if all(c == "true" for c in column):  # a true/false column is documented as 0/1
            expected: list[float | None] = [1.0] * len(column)
        else:
            expected = [_as_number(c) for c in column]
        assert None not in expected
        np.testing.assert_array_equal(ds.X[:, col], np.asarray(expected, dtype=np.float64))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=tables(), bom=st.booleans(), crlf=st.booleans())
def test_csv_reads_as_written_or_refuses(tmp_path: Path, table, bom: bool, crlf: bool) -> None:  # type: ignore[no-untyped-def]
    names, rows = table
    path = tmp_path / "t.csv"
    text = _csv_text(names, rows, "\r\n" if crlf else "\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    _check(path, names, rows)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=tables())
def test_jsonl_reads_as_written_or_refuses(tmp_path: Path, table) -> None:  # type: ignore[no-untyped-def]
    names, rows = table
    path = tmp_path / "t.jsonl"
    # repeated keys written literally: a JSON object may spell them, the reader must refuse
    lines = [
        "{"
        + ", ".join(f"{json.dumps(n)}: {json.dumps(c)}" for n, c in zip(names, r, strict=True))
        + "}"
        for r in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        ds = load_table(path)
    except ValidationError as exc:
        assert " must " in str(exc), str(exc)
        return
    assert len(set(names)) == len(names) and ds.n == len(rows) > 0
    assert ds.X.shape == (len(rows), len(_features(names, csv=False)))
    for col, j in enumerate(_features(names, csv=False)):
        np.testing.assert_array_equal(
            ds.X[:, col],
            np.asarray([float(r[j]) for r in rows], dtype=np.float64),  # type: ignore[arg-type]
        )


TOML_VALUE = st.recursive(
    st.one_of(
        st.integers(-(2**70), 2**70),
        st.floats(),
        st.booleans(),
        st.text(max_size=5),
    ),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=12,
)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(_toml(v) for v in value) + "]"  # type: ignore[attr-defined]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=st.dictionaries(
        st.sampled_from(
            [
                "p",
                "n",
                "m",
                "mu",
                "epsilon",
                "rho",
                "phi",
                "gamma",
                "cov_real",
                "mu_synth",
                "trials",
                "what",
            ]
        ),
        TOML_VALUE,
        max_size=4,
    )
)
def test_toml_configs_give_parameters_or_one_validation_error(tmp_path: Path, entries) -> None:  # type: ignore[no-untyped-def]
    from synthmix.cli.config import resolve_parameters

    path = tmp_path / "c.toml"
    path.write_text("".join(f"{k} = {_toml(v)}\n" for k, v in entries.items()), encoding="utf-8")
    try:
        params = resolve_parameters({}, config=path)
    except ValidationError as exc:
        assert " must " in str(exc) or " must" in str(exc), str(exc)
        return
    assert params.p >= 1 and params.grid.size >= 1
