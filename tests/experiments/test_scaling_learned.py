"""scaling-learned: learned models on Zipf classes vs the exact long-tail prediction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from synthmix.experiments import scaling_learned as sl
from synthmix.experiments.registry import run


def test_quick_reproduction_writes_report(tmp_path: Path) -> None:
    res = run("scaling-learned", out=tmp_path, quick=True, seed=0)
    assert res.report_path == tmp_path / "report.html"
    assert len(res.figures) == 2 and all(Path(f).is_file() for f in res.figures)
    payload = json.loads((tmp_path / "results.json").read_text())
    assert payload["paper"].startswith("Wang et al.")
    assert payload["reproduction"]["name"] == "scaling-learned"
    arms = {a["name"]: a for a in payload["arms"]}
    assert set(arms) == {"gaussian top-p", "gaussian corruption"}
    top = arms["gaussian top-p"]
    assert top["predicted_breakpoints"][0] < top["predicted_breakpoints"][1]
    assert arms["gaussian corruption"]["predicted_breakpoints"] == [None, None]
    for arm in payload["arms"]:
        for curve in arm["curves"]:
            assert len(curve["mean"]) == len(sl.QUICK.sizes)
            # the exact prediction is the mean error of the same mixtures: it must be close
            gap = np.abs(np.array(curve["mean"]) - np.array(arm["predicted_mean"]))
            assert np.max(gap) < 0.05
    key = "gaussian top-p / 1nn"
    assert set(res.summary[key]) >= {"fitted_n1_n2", "fitted_ci", "n_phases", "plateau_consistent"}
    html = res.report_path.read_text()
    assert "data:image/png;base64," in html and "three phases" in html
    assert "corruption" in html and "http://" not in html
