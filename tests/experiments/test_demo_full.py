"""The full (non-quick) demo, as `make demo` runs it: every Monte-Carlo marker agrees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthmix.experiments.demo import run_demo


@pytest.mark.slow
def test_full_demo_markers_agree_with_theory(tmp_path: Path) -> None:
    result = run_demo(out=tmp_path, quick=False, seed=0, n_jobs=2)
    summary = json.loads(result.results_path.read_text())["summary"]
    assert summary["n_markers"] >= 60
    assert summary["all_within"], summary
    assert result.seconds < 180
