"""load_table / save_table: round trips, column selection, and errors naming the parameter."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthmix.data import Dataset, load_table, save_table
from synthmix.exceptions import ValidationError


def _mixed(labels: Any = None) -> Dataset:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 3)) * 10.0 ** rng.integers(-5, 5, size=(7, 3))
    y = labels if labels is not None else rng.integers(0, 3, size=7)
    return Dataset(X, y, synthetic=np.arange(7) % 3 == 0, name="mix")


def _assert_same(a: Dataset, b: Dataset) -> None:
    np.testing.assert_array_equal(a.X, b.X)  # bit for bit
    np.testing.assert_array_equal(a.y, b.y)
    assert a.y.dtype.kind == b.y.dtype.kind
    np.testing.assert_array_equal(a.synthetic, b.synthetic)


@pytest.fixture(params=["pandas", "stdlib"])
def csv_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run CSV tests through pandas and through the standard-library fallback."""
    if request.param == "stdlib":
        monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now raises
    return str(request.param)


@pytest.mark.parametrize("suffix", [".npz", ".csv", ".jsonl"])
@pytest.mark.parametrize(
    "labels", [None, ["a", "b b", "a,c", "b", "a", "é", "b"], [1.0, -1.0] * 3 + [1.0]]
)
def test_round_trip(tmp_path: Path, csv_reader: str, suffix: str, labels: Any) -> None:
    ds = _mixed(labels)
    path = tmp_path / "sub" / f"data{suffix}"
    save_table(ds, path)
    back = load_table(path)
    _assert_same(ds, back)
    assert back.name == ("mix" if suffix == ".npz" else "data")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind


def test_save_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    save_table(_mixed(), path)
    small = Dataset(np.ones((1, 1)), [4])
    save_table(small, path)
    _assert_same(load_table(path), small)


def test_csv_columns_by_name_and_position(tmp_path: Path, csv_reader: str) -> None:
    path = tmp_path / "iris.csv"
    path.write_text(
        "a,species,b,note,is_synth\n1.5,setosa,2,x,0\n3,virginica,4.25,y,1\n", encoding="utf-8"
    )
    ds = load_table(path, label="species", features=["b", "a"], synthetic="is_synth")
    np.testing.assert_array_equal(ds.X, [[2.0, 1.5], [4.25, 3.0]])
    assert ds.y.tolist() == ["setosa", "virginica"]
    assert ds.synthetic.tolist() == [False, True]
    by_position = load_table(path, label=1, features=[0, -3])
    np.testing.assert_array_equal(by_position.X, [[1.5, 2.0], [3.0, 4.25]])
    assert not by_position.synthetic.any()  # no column named "synthetic": all real


def test_npy_structured_and_plain(tmp_path: Path) -> None:
    rec = np.zeros(3, dtype=[("f1", "f8"), ("f2", "i4"), ("label", "U5"), ("synthetic", "?")])
    rec["f1"], rec["f2"] = [0.5, 1.5, 2.5], [1, 2, 3]
    rec["label"], rec["synthetic"] = ["x", "y", "x"], [True, False, False]
    np.save(tmp_path / "rec.npy", rec)
    ds = load_table(tmp_path / "rec.npy")
    np.testing.assert_array_equal(ds.X, [[0.5, 1], [1.5, 2], [2.5, 3]])
    assert ds.y.tolist() == ["x", "y", "x"] and ds.synthetic.tolist() == [True, False, False]
    plain = np.array([[0.1, 0.2, 1], [0.3, 0.4, 0]])
    np.save(tmp_path / "plain.npy", plain)
    ds2 = load_table(tmp_path / "plain.npy", label=-1)
    np.testing.assert_array_equal(ds2.X, plain[:, :2])
    np.testing.assert_array_equal(ds2.y, [1.0, 0.0])
    assert load_table(tmp_path / "plain.npy", label="2", features=["0"]).d == 1


def test_npz_feature_positions(tmp_path: Path) -> None:
    ds = _mixed()
    save_table(ds, tmp_path / "a.npz")
    back = load_table(tmp_path / "a.npz", features=[2, 0])
    np.testing.assert_array_equal(back.X, ds.X[:, [2, 0]])
    np.savez(tmp_path / "bare.npz", X=np.ones((2, 2)), y=[0, 1])
    bare = load_table(tmp_path / "bare.npz")
    assert bare.name == "bare" and not bare.synthetic.any()


def test_jsonl_types(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    rows = [
        {"u": 1, "v": 0.5, "label": "pos", "synthetic": True},
        {"u": 2, "v": None, "label": "neg", "synthetic": False},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    ds = load_table(path, features=["u"])
    np.testing.assert_array_equal(ds.X, [[1.0], [2.0]])
    assert ds.y.tolist() == ["pos", "neg"] and ds.synthetic.tolist() == [True, False]


def test_parquet_reads_with_pyarrow_or_says_how_to_get_it(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    if importlib.util.find_spec("pyarrow") is not None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({"a": [1.0, 2.0], "b": [3, 4], "label": ["x", "y"], "synthetic": [0, 1]})
        pq.write_table(table, path)
        ds = load_table(path)
        np.testing.assert_array_equal(ds.X, [[1.0, 3.0], [2.0, 4.0]])
        assert ds.y.tolist() == ["x", "y"] and ds.synthetic.tolist() == [False, True]
    else:
        path.write_bytes(b"PAR1")
        with pytest.raises(ValidationError, match=r"^path must .*pyarrow.*synthmix\[parquet\]"):
            load_table(path)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ERRORS: list[tuple[str, Callable[[Path], Any], str]] = [
    ("unknown-extension", lambda t: load_table(_write(t, "d.txt", "a\n1\n")), "path"),
    ("missing-file", lambda t: load_table(t / "nope.csv"), "path"),
    ("not-a-path", lambda t: load_table(3), "path"),  # type: ignore[arg-type]
    ("missing-label", lambda t: load_table(_write(t, "d.csv", "a,b\n1,2\n")), "label"),
    ("label-position", lambda t: load_table(_write(t, "d.csv", "a,b\n1,2\n"), label=5), "label"),
    ("label-type", lambda t: load_table(_write(t, "d.csv", "a,b\n1,2\n"), label=None), "label"),  # type: ignore[arg-type]
    (
        "label-missing-value",
        lambda t: load_table(_write(t, "d.csv", "a,label\n1,\n2,3\n")),
        "label",
    ),
    (
        "non-numeric-feature",
        lambda t: load_table(_write(t, "d.csv", "a,b,label\n1,x,0\n2,y,1\n")),
        "features",
    ),
    (
        "missing-feature-value",
        lambda t: load_table(_write(t, "d.csv", "a,b,label\n1,,0\n2,3,1\n")),
        "features",
    ),
    (
        "unknown-feature",
        lambda t: load_table(_write(t, "d.csv", "a,label\n1,0\n"), features=["zz"]),
        "features",
    ),
    (
        "feature-is-label",
        lambda t: load_table(_write(t, "d.csv", "a,label\n1,0\n"), features=["a", "label"]),
        "features",
    ),
    (
        "features-str",
        lambda t: load_table(_write(t, "d.csv", "a,label\n1,0\n"), features="a"),
        "features",
    ),
    ("no-features", lambda t: load_table(_write(t, "d.csv", "label\n1\n")), "features"),
    (
        "synthetic-not-bool",
        lambda t: load_table(_write(t, "d.csv", "a,label,synthetic\n1,0,maybe\n")),
        "synthetic",
    ),
    (
        "synthetic-missing",
        lambda t: load_table(_write(t, "d.csv", "a,label\n1,0\n"), synthetic="flag"),
        "synthetic",
    ),
    ("npz-keys", lambda t: load_table(_npz(t, Z=np.ones(2))), "path"),
    (
        "npz-features",
        lambda t: load_table(_npz(t, X=np.ones((2, 2)), y=[0, 1]), features=[3]),
        "features",
    ),
    ("npz-bad-X", lambda t: load_table(_npz(t, X=np.ones(2), y=[0, 1])), "X"),
    ("npy-3d", lambda t: load_table(_npy(t, np.ones((2, 2, 2)))), "path"),
    ("jsonl-garbage", lambda t: load_table(_write(t, "d.jsonl", '{"a": 1}\nnot json\n')), "path"),
    ("jsonl-array", lambda t: load_table(_write(t, "d.jsonl", "[1, 2]\n")), "path"),
    (
        "jsonl-key",
        lambda t: load_table(_write(t, "d.jsonl", '{"a":1,"label":0}\n{"label":1}\n')),
        "path",
    ),
    ("jsonl-empty", lambda t: load_table(_write(t, "d.jsonl", "\n")), "path"),
    (
        "save-extension",
        lambda t: save_table(Dataset(np.ones((1, 1)), [0]), t / "d.parquet"),
        "path",
    ),
    ("save-dataset", lambda t: save_table(np.ones((1, 1)), t / "d.npz"), "dataset"),  # type: ignore[arg-type]
]


def _npz(tmp_path: Path, **arrays: Any) -> Path:
    np.savez(tmp_path / "d.npz", **arrays)
    return tmp_path / "d.npz"


def _npy(tmp_path: Path, arr: Any) -> Path:
    np.save(tmp_path / "d.npy", arr)
    return tmp_path / "d.npy"


@pytest.mark.parametrize(
    ("call", "param"), [(c, p) for _, c, p in ERRORS], ids=[i for i, _, _ in ERRORS]
)
def test_errors_name_the_parameter(
    tmp_path: Path, csv_reader: str, call: Callable[[Path], Any], param: str
) -> None:
    with pytest.raises(ValidationError) as info:
        call(tmp_path)
    assert str(info.value).startswith(f"{param} must "), str(info.value)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a,a,label\n1,10,0\n2,20,1\n", "repeated: a"),
        ("a,label,b,label\n1,0,2,0\n2,1,3,1\n", "repeated: label"),
        ("a,a.1,a,label\n1,2,3,0\n", "repeated: a$"),
    ],
)
def test_repeated_column_names_are_refused_before_any_renaming(
    tmp_path: Path, csv_reader: str, text: str, match: str
) -> None:
    """pandas would rename the second ``a`` to ``a.1`` and read its data under that name."""
    path = _write(tmp_path, "dup.csv", text)
    with pytest.raises(ValidationError, match=r"^path must have distinct column names; got "):
        load_table(path)
    with pytest.raises(ValidationError, match=match.rstrip("$") + "'$"):
        load_table(path)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_byte_order_mark_is_read_like_its_absence(tmp_path: Path, suffix: str) -> None:
    ds = _mixed()
    plain = tmp_path / f"plain{suffix}"
    save_table(ds, plain)
    bom = tmp_path / f"bom{suffix}"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    _assert_same(load_table(plain), load_table(bom))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_file_without_rows_is_refused(tmp_path: Path, csv_reader: str, suffix: str) -> None:
    text = "x,label\n" if suffix == ".csv" else "\n\n"
    path = _write(tmp_path, f"e{suffix}", text)
    with pytest.raises(ValidationError, match=r"^path must hold at least one"):
        load_table(path)


def test_repeated_json_keys_are_refused_not_merged(tmp_path: Path) -> None:
    """``json.loads`` alone would keep the second ``a`` and drop the first silently."""
    path = _write(tmp_path, "d.jsonl", '{"a": 1, "a": 2, "label": 0}\n{"a": 3, "label": 1}\n')
    with pytest.raises(
        ValidationError, match=r"^path must have distinct column names; got 'repeated: a'$"
    ):
        load_table(path)


def test_integers_beyond_int64_are_read_as_numbers_in_every_format(
    tmp_path: Path, csv_reader: str
) -> None:
    """10^20 overflows int64: JSON lines and CSV both read it as the float it is."""
    rows = [(10**20, 0), (2, 1), (3, 0)]
    csv_path = _write(tmp_path, "big.csv", "a,label\n" + "".join(f"{a},{y}\n" for a, y in rows))
    jsonl = _write(
        tmp_path, "big.jsonl", "".join(json.dumps({"a": a, "label": y}) + "\n" for a, y in rows)
    )
    for path in (csv_path, jsonl):
        assert load_table(path).X[:, 0].tolist() == [1e20, 2.0, 3.0]


def test_ragged_csv_is_refused(tmp_path: Path, csv_reader: str) -> None:
    path = _write(tmp_path, "r.csv", "a,label\n1,0,7,8\n2,1\n")
    with pytest.raises(ValidationError, match=r"^path must "):
        load_table(path)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_clean_labels_provenance_and_row_ids_are_never_default_features(
    tmp_path: Path, csv_reader: str, suffix: str
) -> None:
    """Issue "hold under hostile input": the label, ``y_true``, id and provenance columns are
    never features, in any column order, unless named in ``features``."""
    header = ["Row_ID", "b", "y_true", "label", "synthetic", "a", "ID"]
    rows = [[7, 2.5, 1, 0, 1, -1.0, 70], [8, 3.5, 0, 1, 0, -2.0, 80]]
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        lines = [",".join(header), *(",".join(map(str, r)) for r in rows)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        path.write_text(
            "".join(json.dumps(dict(zip(header, r, strict=True))) + "\n" for r in rows),
            encoding="utf-8",
        )
    ds = load_table(path)
    np.testing.assert_array_equal(ds.X, [[2.5, -1.0], [3.5, -2.0]])  # b and a, file order
    assert ds.y.tolist() == [0, 1] and ds.synthetic.tolist() == [True, False]
    named = load_table(path, features=["ID", "y_true", "a"])
    np.testing.assert_array_equal(named.X, [[70.0, 1.0, -1.0], [80.0, 0.0, -2.0]])


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".npz"])
@pytest.mark.parametrize("rows", [1, 3, 100])
def test_iter_table_blocks_concatenate_to_load_table(
    tmp_path: Path, suffix: str, rows: int
) -> None:
    from synthmix.data.loaders import iter_table

    ds = _mixed(["a", "b b", "a,c", "b", "a", "é", "b"])
    path = tmp_path / f"d{suffix}"
    save_table(ds, path)
    blocks = list(iter_table(path, rows=rows))
    expected = 1 if suffix == ".npz" else -(-ds.n // rows)
    assert len(blocks) == expected and all(b.n <= rows or suffix == ".npz" for b in blocks)
    whole = load_table(path)
    np.testing.assert_array_equal(np.vstack([b.X for b in blocks]), whole.X)
    np.testing.assert_array_equal(np.concatenate([b.y for b in blocks]), whole.y)
    np.testing.assert_array_equal(np.concatenate([b.synthetic for b in blocks]), whole.synthetic)


def test_iter_table_refuses_what_load_table_refuses(tmp_path: Path) -> None:
    from synthmix.data.loaders import iter_table

    (tmp_path / "late.jsonl").write_text('{"x": 1, "label": 0}\n{"x": 2, "label": 1, "z": 3}\n')
    with pytest.raises(ValidationError, match=r"^path must have key 'z' on every line"):
        list(iter_table(tmp_path / "late.jsonl", rows=1))
    (tmp_path / "head.csv").write_text("x,label\n")
    with pytest.raises(ValidationError, match=r"^path must hold at least one data row"):
        list(iter_table(tmp_path / "head.csv"))
    (tmp_path / "dup.csv").write_text("x,x,label\n1,2,0\n")
    with pytest.raises(ValidationError, match=r"^path "):
        list(iter_table(tmp_path / "dup.csv"))
    with pytest.raises(ValidationError, match=r"^rows must be >= 1"):
        list(iter_table(tmp_path / "head.csv", rows=0))


def test_estimate_cells_is_exact_for_binary_tables_and_close_for_text(tmp_path: Path) -> None:
    """The sizes behind ``value``'s memory budget, read without loading the table."""
    from synthmix.data.loaders import estimate_cells

    gen = np.random.default_rng(0)
    ds = Dataset(gen.standard_normal((2500, 7)), gen.integers(0, 2, 2500))
    save_table(ds, tmp_path / "t.npz")
    np.save(tmp_path / "t.npy", ds.X)
    assert estimate_cells(tmp_path / "t.npz") == (2500, 7)
    assert estimate_cells(tmp_path / "t.npy") == (2500, 7)
    for suffix in (".csv", ".jsonl"):
        save_table(ds, tmp_path / f"t{suffix}")
        rows, cols = estimate_cells(tmp_path / f"t{suffix}")  # type: ignore[misc]
        assert cols == 9 and abs(rows - 2500) < 0.1 * 2500, (suffix, rows)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert estimate_cells(tmp_path / "bad.npz") is None
    assert estimate_cells(tmp_path / "missing.csv") is None
