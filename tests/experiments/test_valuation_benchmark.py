"""``valuation-benchmark``: calibration kept apart from evaluation; every method reported."""

from __future__ import annotations

import importlib.util
import json

import numpy as np

from synthmix._random import seed_sequence
from synthmix.experiments.registry import run
from synthmix.experiments.valuation_benchmark import BENCHMARK_SETTINGS, MIXTURE_VARIANTS


def test_quick_benchmark_reports_every_method_with_intervals(tmp_path) -> None:
    res = run("valuation-benchmark", out=tmp_path, quick=True, seed=0)
    for path in (res.report_path, res.results_path, *res.figures):
        assert path.exists() and path.stat().st_size > 0
    doc = json.loads(res.results_path.read_text())
    s = BENCHMARK_SETTINGS["quick"]
    methods = {row["method"] for row in doc["table"]}
    assert {label for label, _, _ in MIXTURE_VARIANTS} <= methods
    expected = set(s["baselines"]) | {"random"}
    if importlib.util.find_spec("ot") is None:  # pot (baselines extra) missing: lava "not run"
        expected.discard("lava")
    assert expected <= methods
    large = f"digits, {s['large_sources']} sources"
    assert {row["task"] for row in doc["table"]} == {"digits", large}
    for row in doc["table"]:
        if row["task"] == large:  # the large markets, summarised apart, without Shapley truth
            assert row["n_markets"] == s["large_markets"]
            assert "n_shapley_markets" not in row
            assert row["method"] != "proxy_shapley"  # exact proxy Shapley stops at 12 sources
        else:
            assert row["n_markets"] == s["n_markets"]
            assert row["n_shapley_markets"] == s["shapley_truth_markets"]  # third ground truth
        lo, hi = row["spearman_ci"]
        assert lo <= row["spearman"] <= hi
    # the yardstick row and the recommended valuer's coverage / top-3 checks, per group
    assert {r["task"] for r in doc["table"] if r["method"].startswith("ceiling")} == {
        "digits",
        large,
    }
    for check in doc["checks"]:
        assert 0.0 <= check["coverage"] <= 1.0 and 0.0 < check["expected_coverage"] < 1.0
        assert 0.0 <= check["top3_overlap_truth"] <= 1.0
    # a random valuation must not agree with retraining: its interval contains 0 or is weak
    random_row = next(r for r in doc["table"] if r["method"] == "random")
    assert random_row["spearman_ci"][0] < 0.3
    # the fitted weights are non-negative and came from markets the table never evaluates
    assert all(min(w["weights"]) >= 0 for w in doc["weights"])
    roots = seed_sequence(0).spawn(5)
    calibration = set(roots[0].generate_state(s["n_calibration"]).tolist())
    evaluation = set(roots[1].generate_state(s["n_markets"]).tolist())
    assert not calibration & evaluation
    assert len(doc["markets"]) == s["n_markets"] + s["large_markets"]
    assert (
        sorted(len(m["truth"]) for m in doc["markets"])
        == [10] * s["n_markets"] + [s["large_sources"]] * s["large_markets"]
    )
    assert np.isfinite([a["all terms"] for a in doc["ablation"]]).all()
    assert "Stability" in res.report_path.read_text()
