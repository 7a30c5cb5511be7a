"""``scaling-exact``: the exact-model grid, the coverage-frontier rule and the robustness sweep."""

from __future__ import annotations

import json

from synthmix.experiments.registry import run


def test_quick_reproduction_writes_report_and_meets_its_checks(tmp_path) -> None:
    res = run("scaling-exact", out=tmp_path, quick=True, seed=0)
    for path in (res.report_path, res.results_path, *res.figures):
        assert path.exists() and path.stat().st_size > 0
    doc = json.loads(res.results_path.read_text())
    fits = doc["grid"]["fits"]
    assert len(fits) == 6  # 1 β × 2 k × 3 π
    assert res.summary["controls_three_phase"] == 0
    assert res.summary["max_abs_mc_z"] < 4.0  # exact vs sampled training sets, 4 s.e.
    assert res.summary["n_eligible"] == sum(f["eligible"] for f in fits) >= 3
    html = res.report_path.read_text()
    assert "Fitted vs predicted breakpoints" in html and "Robustness" in html
