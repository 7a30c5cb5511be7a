"""Labels of any type become -1/+1 by a stated rule; label columns are found by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthmix.data.labeled import (
    feature_columns,
    label_coding,
    label_columns,
    read_synthetic,
    resolve_label,
    write_kept_rows,
)
from synthmix.exceptions import ValidationError


@pytest.mark.parametrize(
    ("labels", "positive", "negative", "rule"),
    [
        ([-1, 1, 1], "1", "-1", "1 is positive"),
        ([0, 1, 0], "1", "0", "1 is positive"),
        ([False, True], "1", "0", "1 is positive"),
        (["true", "false"], "1", "0", "1 is positive"),
        ([0.0, 1.0], "1", "0", "1 is positive"),
        (["cat", "dog", "cat"], "dog", "cat", "the label that sorts last; --positive chooses"),
    ],
)
def test_two_labels_get_a_stated_coding(
    labels: list[object], positive: str, negative: str, rule: str
) -> None:
    coding = label_coding(np.array(labels))
    assert (coding.positive, coding.negative, coding.rule) == (positive, negative, rule)
    want = [1 if str(v).lower() in ("1", "1.0", "true", "dog") else -1 for v in labels]
    assert coding.encode(np.array(labels), "y").tolist() == want


def test_positive_chooses_and_more_than_two_labels_are_one_vs_rest() -> None:
    coding = label_coding(np.array(["cat", "dog"]), positive="cat", source="a.csv")
    assert coding.describe() == "+1 = 'cat', -1 = 'dog' (chosen by --positive)"
    assert coding.encode(np.array(["dog", "cat"]), "y").tolist() == [-1, 1]
    three = label_coding(np.array([0, 1, 2, 2]), positive=2)
    assert three.negative is None and three.rule == "one-vs-rest: 3 labels, --positive chose one"
    assert three.encode(np.array([2, 0, 1, 2]), "y").tolist() == [1, -1, -1, 1]
    assert three.describe().startswith("+1 = '2', -1 = every other label")


def test_a_named_pair_codes_two_labels_and_marks_the_rows_of_others() -> None:
    labels = np.array(["c", "a", "b", "c", "a"])
    coding = label_coding(labels, positive="b", negative="c", source="t.csv")
    assert (coding.positive, coding.negative, coding.pair) == ("b", "c", True)
    assert coding.describe() == (
        "+1 = 'b', -1 = 'c' (the pair chosen by --positive/--negative; rows of other labels "
        "left out)"
    )
    assert coding.rows(labels).tolist() == [True, False, True, True, False]
    assert coding.encode(labels[[0, 2, 3]], "y").tolist() == [-1, 1, -1]
    # without --negative nothing changes: one-vs-rest, every row read
    rest = label_coding(labels, positive="b")
    assert (rest.negative, rest.pair) == (None, False)
    assert rest.rows(labels).all()


def test_a_pair_set_by_the_synthetic_file_reads_and_writes_only_its_rows(tmp_path: Path) -> None:
    """No real file: the synthetic file's labels set the pair; rows whose label or clean label
    is another one are left out, and only judged rows can be written."""
    src = tmp_path / "s.csv"
    src.write_text(
        "id,x,label,y_true\n0,0.5,a,a\n1,1.5,b,b\n2,2.5,c,b\n3,3.5,b,a\n4,4.5,c,c\n5,5.5,b,c\n"
    )
    syn = read_synthetic(src, "label", None, positive="b", negative="c")
    assert syn.rows is not None and syn.rows.tolist() == [False, True, True, False, True, True]
    assert syn.left_out == 2
    assert syn.data.X[:, 0].tolist() == [1.5, 2.5, 4.5, 5.5]
    assert syn.y.tolist() == [1, -1, -1, 1]
    assert syn.y_true is not None and syn.y_true.tolist() == [1, 1, -1, -1]
    out = tmp_path / "kept.csv"
    keep, score = np.array([True, False, True, True]), np.array([0.9, 0.1, 0.8, 0.7])
    assert write_kept_rows(src, out, keep, score, syn.rows)
    assert out.read_text() == (
        "id,x,label,y_true,synthetic,score\n"
        "1,1.5,b,b,true,0.9\n4,4.5,c,c,true,0.8\n5,5.5,b,c,true,0.7\n"
    )


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("n_keep", [2, 4])
def test_kept_rows_of_a_file_of_another_length_are_left_to_the_caller(
    tmp_path: Path, suffix: str, n_keep: int
) -> None:
    """The rows are streamed: a file longer or shorter than the flags writes nothing."""
    src = tmp_path / f"s{suffix}"
    if suffix == ".csv":
        src.write_text("x,label\n1,a\n2,b\n3,a\n")
    else:
        src.write_text("".join(f'{{"x": {i}, "label": "a"}}\n' for i in range(3)))
    out = tmp_path / f"kept{suffix}"
    keep, score = np.ones(n_keep, dtype=bool), np.zeros(n_keep)
    assert not write_kept_rows(src, out, keep, score)
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]  # no output, no temporary
    keep, score = np.array([False, True, True]), np.array([0.0, 0.5, 0.25])
    assert write_kept_rows(src, out, keep, score)
    lines = out.read_text().splitlines()
    if suffix == ".csv":
        assert lines == ["x,label,synthetic,score", "2,b,true,0.5", "3,a,true,0.25"]
    else:
        assert [json.loads(line) for line in lines] == [
            {"x": i, "label": "a", "synthetic": True, "score": v} for i, v in ((1, 0.5), (2, 0.25))
        ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: label_coding(np.array([0, 1, 2])),
            "label must hold two labels (name one with --positive for one-vs-rest); "
            "got \"3 labels ['0', '1', '2']\"",
        ),
        (
            lambda: label_coding(np.array(["a", "b"]), positive="c"),
            "positive must be one of the labels ['a', 'b']; got 'c'",
        ),
        (
            lambda: label_coding(np.array(["a", "a"]), positive="a"),
            "label must contain a second label besides the positive one; got \"only ['a']\"",
        ),
        (
            lambda: label_coding(np.array([0, 1]), source="real.csv").encode(
                np.array([1, -1]), "label (s.csv)"
            ),
            "label (s.csv) must contain only the labels '0' and '1' (as in real.csv); "
            "got \"values ['-1']\"",
        ),
        (
            lambda: label_coding(np.array(["a", "b", "c"]), negative="b"),
            "negative must be given only together with --positive (they name a pair); got 'b'",
        ),
        (
            lambda: label_coding(np.array(["a", "b", "c"]), positive="a", negative="d"),
            "negative must be one of the labels ['a', 'b', 'c']; got 'd'",
        ),
        (
            lambda: label_coding(np.array(["a", "b"]), positive="a", negative="a", source="r.csv"),
            "negative must differ from --positive; got 'a'",
        ),
    ],
)
def test_bad_labels_are_named(call: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()  # type: ignore[operator]
    assert str(info.value) == message


def test_label_column_is_found_by_name(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,a,Target,b\n1,0.5,x,2\n")
    assert resolve_label(path, None) == ("Target", True)
    assert resolve_label(path, "a") == ("a", False)
    plain = tmp_path / "p.csv"
    plain.write_text("a,label\n1,1\n")
    assert resolve_label(plain, None) == ("label", False)
    none = tmp_path / "n.csv"
    none.write_text("a,b\n1,1\n")
    with pytest.raises(ValidationError) as info:
        resolve_label(none, None)
    assert str(info.value) == (
        "label must name the label column of n.csv (it has none of label, target, y, class); "
        "got ['a', 'b']"
    )


def test_ids_clean_labels_and_provenance_are_never_features() -> None:
    columns = ["ID", "x", "label", "y_true", "synthetic", "Unnamed: 0", "row_id", "z"]
    assert feature_columns(columns, "label", None) == ["x", "z"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, {"real": None, "synthetic": None}),
        ("target", {"real": "target", "synthetic": "target"}),
        ("real=diagnosis", {"real": "diagnosis", "synthetic": None}),
        (" synthetic = y , real=t ", {"real": "t", "synthetic": "y"}),
    ],
)
def test_label_columns_one_for_all_or_per_file(
    spec: str | None, expected: dict[str, str | None]
) -> None:
    assert label_columns(spec, ("real", "synthetic")) == expected


@pytest.mark.parametrize("spec", ["reel=y", "real=y,real=z", "real=", "real=y,target", "=y"])
def test_label_columns_name_the_rule(spec: str) -> None:
    with pytest.raises(ValidationError) as info:
        label_columns(spec, ("real", "synthetic"))
    assert str(info.value) == (
        f"label must be one column, or real=COLUMN,synthetic=COLUMN (any of them); got {spec!r}"
    )
