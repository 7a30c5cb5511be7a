"""Atomic writes: whole file or nothing, usual permissions, JSON-able numpy."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from synthmix._io import atomic_open, config_hash, write_json


def test_failed_write_leaves_previous_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("partial")
        raise RuntimeError("boom")
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_mode_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "x.json", {})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == 0o644


def test_numpy_values_and_hash(tmp_path: Path) -> None:
    data = {"x": np.arange(3.0), "y": np.float64(2.5), "z": float("nan")}
    write_json(tmp_path / "d.json", data)
    assert json.loads((tmp_path / "d.json").read_text()) == {
        "x": [0.0, 1.0, 2.0],
        "y": 2.5,
        "z": None,
    }
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1}) != config_hash({"a": 2})


def test_temporaries_of_dead_writers_are_removed_by_the_next_write(tmp_path: Path) -> None:
    """A writer killed with SIGKILL leaves ``.<name>.<pid>.*.tmp``; the next write of that
    file removes it when no process has that pid, and leaves a live writer's alone."""
    import os

    from synthmix._io import write_json

    dead = tmp_path / ".out.json.4194305.abc.tmp"  # above Linux's largest pid: never alive
    live = tmp_path / f".out.json.{os.getppid()}.def.tmp"  # our parent: alive
    other = tmp_path / ".other.json.4194305.abc.tmp"  # another file's: not ours to judge
    for path in (dead, live, other):
        path.write_text("partial")
    write_json(tmp_path / "out.json", {"a": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.json", live.name, other.name])


def test_output_folder_is_made_first_and_removed_again_when_the_work_fails(tmp_path: Path) -> None:
    from synthmix._io import output_folder
    from synthmix.exceptions import ValidationError

    made = tmp_path / "a" / "b"
    with pytest.raises(RuntimeError), output_folder(made):
        assert made.is_dir()  # exists before the work
        raise RuntimeError("the work failed")
    assert not made.exists()  # created here, still empty: removed
    kept = tmp_path / "kept"
    kept.mkdir()
    with pytest.raises(RuntimeError), output_folder(kept):
        raise RuntimeError
    assert kept.is_dir()  # the user's folder stays
    with pytest.raises(RuntimeError), output_folder(made):
        (made / "partial.json").write_text("{}")
        raise RuntimeError
    assert (made / "partial.json").is_file()  # never deletes a file
    (tmp_path / "file").write_text("x")
    refused = pytest.raises(ValidationError, match=r"^--out must be a folder that can be created")
    with refused, output_folder(tmp_path / "file" / "sub", "--out"):
        pass
