"""``synthmix demo`` end to end (quick mode): outputs, decisions, report, resumable stages.

One quick run is shared by the module (about 30 s on two cores); reruns reuse its stages, so
the cache tests are fast and also check that cached results are bit-identical.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import synthmix
from synthmix.exceptions import ValidationError
from synthmix.experiments import demo as demo_mod
from synthmix.experiments import fig3_toy_setting, fig4_phase_transition
from synthmix.experiments.demo import STAGES, DemoResult, decisions, rebuild_report, run_demo
from synthmix.report.demo_report import FIGURES
from synthmix.theory import transition_epsilon

PNG = b"\x89PNG\r\n\x1a\n"
Calls = list[tuple[str, int, int]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, Calls]:
    calls: Calls = []
    out = tmp_path_factory.mktemp("demo") / "run"
    result = run_demo(out, quick=True, seed=0, progress=lambda s, d, t: calls.append((s, d, t)))
    return result, calls


@pytest.fixture(scope="module")
def results(demo: tuple[DemoResult, Calls]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(demo[0].results_path.read_text(encoding="utf-8"))
    return doc


def _copy_run(demo: tuple[DemoResult, Calls], tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(demo[0].report_path.parent, dst)
    return dst


def _forbid_computing(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a stage was recomputed")

    for name in names or tuple(STAGES):
        monkeypatch.setitem(demo_mod.RUNNERS, name, boom)


# --------------------------------------------------------------------------------------------
# outputs and results.json


def test_outputs_exist(demo: tuple[DemoResult, Calls]) -> None:
    res, _ = demo
    out = res.report_path.parent
    assert res.report_path == out / "report.html"
    assert res.results_path == out / "results.json"
    assert [p.name for p in res.figures] == list(FIGURES.values())
    for path in (res.report_path, res.results_path, *res.figures):
        assert path.is_file() and path.stat().st_size > 0
    for fig in res.figures:
        assert fig.read_bytes().startswith(PNG)
    assert sorted(p.name for p in (out / "stages").iterdir()) == sorted(f"{n}.json" for n in STAGES)
    assert not list(out.rglob(".*.tmp"))  # atomic writes leave no temporaries
    assert [s.name for s in res.stages] == list(STAGES)
    assert not any(s.reused for s in res.stages)
    assert res.seconds > 0  # the time budget is measured by benchmarks/demo_time.py


def test_results_json_has_the_five_analyses_and_their_key_numbers(
    results: dict[str, Any],
) -> None:
    assert results["synthmix_version"] == synthmix.__version__
    assert results["seed"] == 0 and results["quick"] is True
    assert results["command"].startswith("synthmix demo --out ") and "--quick" in results["command"]
    assert {"numpy", "scipy", "scikit-learn", "python"} <= set(results["versions"])
    an = results["analyses"]
    assert set(an) == set(STAGES)
    assert set(results["summary"]) == {
        "synthetic_share",
        "verifier",
        "phase_transition",
        "scaling",
        "valuation",
        "text",
        "bottom_line",
    }
    val = results["summary"]["valuation"]
    best = max(an["valuation"]["methods"], key=lambda m: m["spearman"])
    assert results["summary"]["bottom_line"]["valuation_method"] == best["method"]
    assert f"Spearman {best['spearman']:.2f}" in results["summary"]["bottom_line"]["text"]
    assert val["best_method"] == best["method"]
    for dec in results["summary"].values():
        assert isinstance(dec["text"], str) and re.search(r"\d", dec["text"])

    share = an["synthetic_share"]
    assert {s["name"] for s in share["settings"]} == {"oracle", "model verifier", "no pruning"}
    for task in share["tasks"]:
        assert len(task["conditions"]) == 3 * len(share["protocol"]["shares"])
        for c in task["conditions"]:
            assert 0.5 < c["predicted"] < 1 and 0.5 < c["measured"] < 1
            assert c["measured_stderr"] > 0
            assert c["gap_points"] == pytest.approx(100 * (c["predicted"] - c["measured"]))
    assert share["mean_abs_gap_points"] < 5.0

    phase = an["phase_transition"]
    par = phase["parameters"]
    assert phase["epsilon_star"] == pytest.approx(
        float(transition_epsilon(rho=par["rho"], phi=par["phi"]))
    )
    assert phase["agreement"]["n_markers"] == sum(len(c["markers"]) for c in phase["curves"])

    scaling = an["scaling"]
    arm = scaling["arms"][0]
    n1, n2 = arm["predicted_breakpoints"]
    assert 0 < n1 < n2
    for curve in arm["curves"]:
        for lo, hi in curve["fit"]["breakpoints_ci"]:
            assert 0 < lo <= hi
        assert len(curve["mean"]) == len(scaling["sizes"]) == len(curve["stderr"])

    val = an["valuation"]
    assert len(val["sources"]) >= 10
    truth = val["ground_truth"]["values"]
    assert set(truth) == {s["name"] for s in val["sources"]}
    assert all(0 <= v <= 1 for v in truth.values())
    assert {m["method"] for m in val["methods"]} >= {
        "proxy_ensemble",
        "proxy",
        "mixture",
        "davinz",
        "size",
    }
    for m in val["methods"]:
        assert set(m["values"]) == set(truth)
        lo, hi = m["spearman_ci"]
        assert -1 <= lo <= hi <= 1 and -1 <= m["spearman"] <= 1


def test_decisions_are_derived_from_the_analyses(results: dict[str, Any]) -> None:
    assert decisions(results["analyses"]) == results["summary"]
    s = results["summary"]
    share = results["analyses"]["synthetic_share"]
    curves = demo_mod.share_curves(share)
    best = s["synthetic_share"]["settings"][s["synthetic_share"]["best_setting"]]
    meas = curves[s["synthetic_share"]["best_setting"]]["measured"]
    assert best["real_only_accuracy"] == meas[0]
    assert best["best_gain_points"] == pytest.approx(100 * (max(meas[1:]) - meas[0]))
    assert f"{100 * meas[0]:.1f}%" in s["synthetic_share"]["text"]
    ver = s["verifier"]
    assert ver["recommended"] != "oracle"  # a practical filter, not the oracle
    if ver["recommended"] == "model verifier":
        eps = float(transition_epsilon(rho=ver["rho"], phi=ver["phi"]))
        assert s["phase_transition"]["epsilon_star_model_verifier"] == pytest.approx(eps)
    sc = s["scaling"]
    assert sc["real_samples_to_exit_plateau"] == pytest.approx(sc["pi"] * sc["predicted_n1_n2"][1])
    val = s["valuation"]
    truth = results["analyses"]["valuation"]["ground_truth"]["values"]
    assert val["top"][0] == max(truth, key=lambda n: truth[n])
    assert val["top"][0] in val["text"]


def test_text_decision_follows_from_its_conditions(results: dict[str, Any]) -> None:
    """The text section's effect, verifier choice and valuation figures are recomputed from
    the saved conditions and market (two standard errors, the report's convention)."""
    stage, dec = results["analyses"]["text"], results["summary"]["text"]
    if not stage["available"]:
        assert dec["text"].startswith("Not run: ") and stage["reason"] in dec["text"]
        return
    cells = stage["share"]["conditions"]
    m_max = max(c["m"] for c in cells)
    at = {c["verifier"]: c for c in cells if c["m"] == m_max}
    base = next(c for c in cells if c["m"] == 0)
    assert {c["measured"] for c in cells if c["m"] == 0} == {base["measured"]}  # shared splits
    assert dec["effect_points"] == pytest.approx(100 * (at["none"]["measured"] - base["measured"]))
    usable = [v for v in ("model", "knn", "cleanlab", "llm judge") if v in at]
    best = max(usable, key=lambda v: at[v]["measured"])
    assert dec["best_verifier"] == best and "oracle" not in (dec["recommended"],)
    gain = 100 * (at[best]["measured"] - at["none"]["measured"])
    two_se = 200 * np.hypot(at[best]["measured_se"], at["none"]["measured_se"])
    assert dec["best_gain_points"] == pytest.approx(gain)
    assert dec["recommended"] == (best if gain > two_se else "no pruning")
    assert dec["mean_abs_gap_points"] == pytest.approx(
        np.mean([abs(c["gap_points"]) for c in cells])
    )
    truth = stage["valuation"]["ground_truth"]["values"]
    assert (
        dec["ranking"][0] == max(truth, key=lambda n: truth[n]) and dec["ranking"][0] in dec["text"]
    )
    ours = next(m for m in stage["valuation"]["methods"] if m["method"] == "proxy_ensemble")
    assert dec["spearman"] == ours["spearman"] and f"{ours['spearman']:.2f}" in dec["text"]
    clause = "For LLM-written text"
    assert clause in results["summary"]["bottom_line"]["text"]


def test_text_stage_without_its_data_says_why_and_the_report_still_renders(
    demo: tuple[DemoResult, Calls], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synthmix.data import DataUnavailableError
    from synthmix.experiments import rmt_llm

    def missing(*args: Any, **kwargs: Any) -> Any:
        raise DataUnavailableError("the SmolLM2 corpus is missing (test)")

    out = _copy_run(demo, tmp_path)
    (out / "stages" / "text.json").unlink()  # only the text stage is recomputed
    monkeypatch.setattr(rmt_llm, "run_rmt_llm", missing)
    res = run_demo(out, quick=True, seed=0)
    assert [s.name for s in res.stages if not s.reused] == ["text"]
    doc = json.loads(res.results_path.read_text(encoding="utf-8"))
    assert doc["analyses"]["text"] == {
        "available": False,
        "reason": "the SmolLM2 corpus is missing (test)",
    }
    assert doc["summary"]["text"]["text"] == "Not run: the SmolLM2 corpus is missing (test)."
    assert "For LLM-written text" not in doc["summary"]["bottom_line"]["text"]
    assert "Not run: the SmolLM2 corpus is missing (test)." in res.report_path.read_text("utf-8")


def test_phase_transition_curves_cross_one_half_at_epsilon_star(results: dict[str, Any]) -> None:
    phase = results["analyses"]["phase_transition"]
    eps = phase["epsilon_star"]
    np.testing.assert_allclose(phase["accuracy_at_transition"], 0.5, atol=1e-9, rtol=0)
    for curve in phase["curves"]:
        x, acc = np.array(curve["theory"]["x"]), np.array(curve["theory"]["accuracy"])
        assert np.all(acc[x < eps - 1e-12] > 0.5) and np.all(acc[x > eps + 1e-12] < 0.5)


def test_progress_reports_every_stage_to_completion(demo: tuple[DemoResult, Calls]) -> None:
    _, calls = demo
    labels = list(dict.fromkeys(s for s, _, _ in calls))
    assert labels == [*STAGES.values(), "report"]
    for label in labels:
        last = [(d, t) for s, d, t in calls if s == label][-1]
        assert last[0] == last[1] > 0


# --------------------------------------------------------------------------------------------
# the report


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.srcs.append(dict(attrs).get("src") or "")


def test_report_is_self_contained_with_the_summary_first(
    demo: tuple[DemoResult, Calls], results: dict[str, Any]
) -> None:
    html = demo[0].report_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, flags=re.IGNORECASE)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert html.count("data:image/png;base64,") == len(FIGURES)
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", html)
    assert headings[0].startswith("Summary")
    assert [h for h in headings if h[:2] in ("1.", "2.", "3.", "4.")] == headings[1:5]
    assert synthmix.__version__ in html
    assert results["command"] in html  # the exact command, in the metadata block
    assert "±" in html and "CI" in html


def test_report_renders_in_headless_chromium(
    demo: tuple[DemoResult, Calls],
    tmp_path: Path,
    require_system_package: Callable[[str, bool], None],
) -> None:
    chromium = shutil.which("chromium")
    require_system_package("chromium", chromium is not None)
    assert chromium is not None
    url = demo[0].report_path.resolve().as_uri()
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu"]
    shot = tmp_path / "report.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1280,4000", url],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = shot.read_bytes()
    assert data.startswith(PNG) and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1280, 4000)
    dom = subprocess.run(
        [*flags, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    assert "Summary — the decisions" in dom
    parser = _Images()
    parser.feed(dom)
    assert len(parser.srcs) == len(FIGURES)
    for src in parser.srcs:
        head, sep, payload = src.partition(",")
        assert sep and head == "data:image/png;base64" and payload
        assert base64.b64decode(payload, validate=True).startswith(PNG)


# --------------------------------------------------------------------------------------------
# resumable stages and the report rebuild


def test_a_rerun_reuses_every_stage(
    demo: tuple[DemoResult, Calls],
    results: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = _copy_run(demo, tmp_path)
    _forbid_computing(monkeypatch)
    again = run_demo(out, quick=True, seed=0)
    assert all(s.reused for s in again.stages)
    assert again.seconds < 30  # only the figures and the report are redrawn
    doc = json.loads(again.results_path.read_text(encoding="utf-8"))
    assert doc["analyses"] == results["analyses"] and doc["summary"] == results["summary"]
    assert all(st["reused"] for st in doc["run"]["stages"].values())


def test_a_deleted_stage_is_recomputed_alone(
    demo: tuple[DemoResult, Calls],
    results: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = _copy_run(demo, tmp_path)
    (out / "stages" / "phase_transition.json").unlink()
    (out / "stages" / "scaling.json").write_text("{truncated")  # e.g. a crash mid-write
    _forbid_computing(monkeypatch, "synthetic_share", "valuation", "text")
    again = run_demo(out, quick=True, seed=0)
    assert {s.name: s.reused for s in again.stages} == {
        "synthetic_share": True,
        "phase_transition": False,
        "scaling": False,
        "valuation": True,
        "text": True,
    }
    doc = json.loads(again.results_path.read_text(encoding="utf-8"))
    assert doc["analyses"] == results["analyses"]  # recomputed from the same seeds


def test_changed_settings_or_force_recompute(
    demo: tuple[DemoResult, Calls], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _copy_run(demo, tmp_path)
    _forbid_computing(monkeypatch)
    with pytest.raises(AssertionError, match="recomputed"):
        run_demo(out, quick=True, seed=0, force=True)
    with pytest.raises(AssertionError, match="recomputed"):
        run_demo(out, quick=True, seed=1)  # another seed: another cache key


def test_stage_results_do_not_depend_on_n_jobs(results: dict[str, Any], tmp_path: Path) -> None:
    _, doc = demo_mod._run_stage(
        "phase_transition",
        tmp_path,
        mode="quick",
        data="mnist",
        seed=0,
        n_jobs=2,
        scheduler=None,
        progress=None,
        force=True,
    )
    assert doc["result"] == results["analyses"]["phase_transition"]


def test_report_rebuilds_from_artifacts_without_computing(
    demo: tuple[DemoResult, Calls], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _copy_run(demo, tmp_path)
    shutil.rmtree(out / "figures")
    (out / "report.html").unlink()
    _forbid_computing(monkeypatch)
    monkeypatch.setattr(demo_mod, "data_source", lambda: pytest.fail("data were loaded"))
    path = rebuild_report(out)
    assert path == out / "report.html"
    html = path.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(FIGURES) and "rebuilt" in html
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(FIGURES.values())
    original = demo[0].report_path.read_text(encoding="utf-8")
    summary = re.search(r"<ul>.*?</ul>", original, flags=re.S)
    assert summary and summary.group(0) in html  # the same decisions
    # without results.json: from the stage files alone
    (out / "results.json").unlink()
    assert "reconstructed from the stage files" in rebuild_report(out).read_text(encoding="utf-8")


def test_rebuild_of_an_edited_stage_file_is_one_error_naming_the_folder(
    demo: tuple[DemoResult, Calls], tmp_path: Path
) -> None:
    out = _copy_run(demo, tmp_path)
    (out / "results.json").unlink()
    stage = out / "stages" / "scaling.json"
    doc = json.loads(stage.read_text(encoding="utf-8"))
    del doc["result"]["arms"]
    stage.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"^artifact_dir must hold the files .*'arms'"):
        rebuild_report(out)


@pytest.mark.parametrize("case", ["missing", "file", "empty", "no-stages"])
def test_rebuild_rejects_a_folder_without_artifacts(tmp_path: Path, case: str) -> None:
    target = tmp_path / "x"
    if case == "file":
        target.write_text("not a folder")
    elif case in ("empty", "no-stages"):
        target.mkdir()
        if case == "no-stages":
            (target / "results.json").write_text('{"analyses": {}}')
            (target / "stages").mkdir()
            (target / "stages" / "scaling.json").write_text("[]")
    with pytest.raises(ValidationError, match=r"^artifact_dir must"):
        rebuild_report(target)
    with pytest.raises(ValidationError, match=r"^artifact_dir must"):
        rebuild_report(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# bad arguments, and the experiments the demo builds on


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"scheduler": 3}, "scheduler"),
        ({"quick": "yes"}, "quick"),
        ({"force": 1}, "force"),
        ({"progress": 5}, "progress"),
    ],
)
def test_run_demo_rejects_bad_arguments(tmp_path: Path, kwargs: dict[str, Any], name: str) -> None:
    opts: dict[str, Any] = {"quick": True, **kwargs}
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        run_demo(tmp_path / "out", **opts)
    assert not any(tmp_path.iterdir())


def test_run_demo_rejects_a_file_as_out(tmp_path: Path) -> None:
    path = tmp_path / "file.txt"
    path.write_text("x")
    with pytest.raises(ValidationError, match=r"^out must"):
        run_demo(path, quick=True)
    with pytest.raises(ValidationError, match=r"^out must"):
        run_demo(None, quick=True)  # type: ignore[arg-type]


def _numbers(result: Any) -> list[tuple[Any, ...]]:
    return [
        (
            c.label,
            c.theory_accuracy.tolist(),
            [(mk.x, mk.accuracy_mean, mk.accuracy_stderr, mk.seed_key) for mk in c.markers],
        )
        for c in result.curves
    ]


def test_fig3_and_fig4_do_not_depend_on_n_jobs() -> None:
    kw3: dict[str, Any] = {
        "p_values": (10,),
        "n": 60,
        "n_hat": 60,
        "mc_proportions": (0.3, 0.7),
        "n_trials": 3,
        "rng": 5,
    }
    kw4: dict[str, Any] = {
        "p": 10,
        "m_values": (20,),
        "mc_epsilons": (0.2, 0.9),
        "n_trials": 3,
        "rng": 5,
    }
    assert _numbers(fig3_toy_setting(**kw3, n_jobs=1)) == _numbers(
        fig3_toy_setting(**kw3, n_jobs=2)
    )
    assert _numbers(fig4_phase_transition(**kw4, n_jobs=1)) == _numbers(
        fig4_phase_transition(**kw4, n_jobs=2)
    )


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: fig3_toy_setting(p_values=(), n_trials=2), "p_values"),
        (lambda: fig3_toy_setting(mc_proportions=(0.5, 1.0), n_trials=2), "mc_proportions"),
        (lambda: fig3_toy_setting(p_values=(10,), n_trials={20: 3}), "n_trials"),
        (lambda: fig3_toy_setting(verifiers={}, n_trials=2), "verifiers"),
        (lambda: fig4_phase_transition(p=0), "p"),
        (lambda: fig4_phase_transition(p=10, mc_epsilons=(1.5,)), "mc_epsilons"),
        (lambda: fig4_phase_transition(p=10, n_trials=1), "n_trials"),
    ],
)
def test_experiments_reject_bad_arguments(call: Any, name: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        call()


def test_importing_the_demo_does_not_import_matplotlib_or_jinja2() -> None:
    code = (
        "import sys, synthmix, synthmix.experiments.demo, synthmix.report; "
        "bad = [m for m in ('matplotlib', 'jinja2') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
