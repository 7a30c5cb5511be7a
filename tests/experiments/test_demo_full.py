"""The full (non-quick) demo, as `make demo` runs it: within budget, and the evidence holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthmix.experiments.demo import STAGES, run_demo


@pytest.mark.slow
def test_full_demo_within_budget_and_consistent(tmp_path: Path) -> None:
    result = run_demo(tmp_path, quick=False, seed=0, n_jobs=2)
    assert result.seconds < 600  # the budget on two cores
    doc = json.loads(result.results_path.read_text())
    an, summary = doc["analyses"], doc["summary"]
    assert set(an) == set(STAGES) and not any(s.reused for s in result.stages)
    assert an["phase_transition"]["agreement"]["all_within"], an["phase_transition"]["agreement"]
    assert an["phase_transition"]["agreement"]["n_markers"] >= 28
    assert len(an["synthetic_share"]["tasks"]) == 3
    assert an["synthetic_share"]["mean_abs_gap_points"] < 3.0
    assert summary["verifier"]["recommended"] == "model verifier"
    top_p, control = an["scaling"]["arms"]  # the truncating generator and the control
    assert any(c["three_phases_found"] for c in top_p["curves"])
    assert not any(c["three_phases_found"] for c in control["curves"])
    val = an["valuation"]
    assert len(val["sources"]) >= 16
    assert {m["method"] for m in val["methods"]} == {
        "proxy_ensemble",
        "proxy",
        "mixture",
        "davinz",
        "size",
        "tracin",
    }
    mixture = next(m for m in val["methods"] if m["method"] == "mixture")
    assert mixture["spearman"] > 0
    again = run_demo(tmp_path, quick=False, seed=0, n_jobs=1)  # cached: n_jobs is not in the key
    assert all(s.reused for s in again.stages) and again.seconds < 60
