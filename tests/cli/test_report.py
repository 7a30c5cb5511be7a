"""``synthmix report ARTIFACT_DIR``: the command calls the library; bad folders exit 2.

The real rebuild (from a demo run) is tested in tests/experiments/test_demo.py; here the CLI
layer: arguments, output, and one-line errors naming the argument.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from synthmix.cli import main
from synthmix.cli.app import app
from synthmix.cli.report import register


@pytest.fixture(autouse=True)
def report_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app with ``report`` registered (whether or not app.py registers it already)."""
    monkeypatch.setattr(app, "registered_commands", list(app.registered_commands))
    if not any(c.name == "report" for c in app.registered_commands):
        register(app)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_report_calls_rebuild_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []

    def fake_rebuild(artifact_dir: Path) -> Path:
        calls.append(artifact_dir)
        return Path(artifact_dir) / "report.html"

    stub = types.ModuleType("synthmix.experiments.demo")
    stub.rebuild_report = fake_rebuild  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "synthmix.experiments.demo", stub)
    code, out, err = run_cli(capsys, "report", str(tmp_path))
    assert code == 0, err
    assert calls == [tmp_path]
    assert out.strip() == f"report written to {tmp_path / 'report.html'}"


@pytest.mark.parametrize("case", ["missing", "empty"])
def test_a_folder_without_artifacts_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    target = tmp_path / "run"
    if case == "empty":
        target.mkdir()
    code, out, err = run_cli(capsys, "report", str(target))
    assert code == 2
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "artifact_dir must" in err and str(target) in err


def test_the_folder_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "report")
    assert code == 2 and out == ""
    assert "ARTIFACT_DIR" in err and len(err.strip().splitlines()) == 1


def test_help_lists_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "report", "--help")
    assert code == 0 and "synthmix report" in out and "ARTIFACT_DIR" in out
    assert "Rebuild report.html" in out
