"""``run_demo`` end to end (quick mode), and the Fig. 3 / Fig. 4 experiments it runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import synthmix
from synthmix.exceptions import ValidationError
from synthmix.experiments import fig3_toy_setting, fig4_phase_transition
from synthmix.experiments.demo import DemoResult, run_demo
from synthmix.simulate import simulate
from synthmix.theory import MixtureModel, predict, predict_estimated_generator, transition_epsilon

Z, BIAS = 4.0, 0.004  # DESIGN.md: |mc - theory| <= z * stderr + bias


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, list[tuple[str, int, int]]]:
    calls: list[tuple[str, int, int]] = []
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out=out, quick=True, seed=0, progress=lambda s, d, t: calls.append((s, d, t)))
    return result, calls


@pytest.fixture(scope="module")
def results(demo: tuple[DemoResult, list[tuple[str, int, int]]]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(demo[0].results_path.read_text(encoding="utf-8"))
    return doc


def all_markers(results: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [
        (fig, curve, mk)
        for fig in ("fig3_toy", "fig4_phase")
        for curve in results[fig]["curves"]
        for mk in curve["markers"]
    ]


def test_outputs_exist(demo: tuple[DemoResult, list[tuple[str, int, int]]]) -> None:
    res, _ = demo
    out = res.report_path.parent
    assert res.report_path == out / "report.html"
    assert res.results_path == out / "results.json"
    assert [p.name for p in res.figures] == ["fig3_toy.png", "fig4_phase.png"]
    for path in (res.report_path, res.results_path, *res.figures):
        assert path.is_file() and path.stat().st_size > 0
    for fig in res.figures:
        assert fig.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporaries
    assert 0 < res.seconds < 60


def test_results_json_structure(results: dict[str, Any]) -> None:
    assert results["synthmix_version"] == synthmix.__version__
    assert results["seed"] == 0 and results["quick"] is True
    assert {"rule", "z", "bias"} <= set(results["agreement_rule"])
    fig3, fig4 = results["fig3_toy"], results["fig4_phase"]
    assert fig3["choice"]["epsilon"] == fig3["parameters"]["epsilon"]
    assert fig3["choice"]["weak_verifier"] and fig3["choice"]["reason"]
    assert len(fig3["curves"]) == len(fig3["parameters"]["verifiers"]) * len(
        fig3["parameters"]["p_values"]
    )
    assert len(fig4["curves"]) == len(fig4["parameters"]["m_values"])
    for _, curve, mk in all_markers(results):
        assert len(curve["theory"]["x"]) == len(curve["theory"]["accuracy"]) >= 50
        assert {
            "x",
            "m",
            "n_trials",
            "mc_mean",
            "mc_stderr",
            "theory",
            "z",
            "within",
            "seed_key",
        } <= set(mk)
        assert mk["mc_stderr"] > 0
        assert mk["z"] == pytest.approx((mk["mc_mean"] - mk["theory"]) / mk["mc_stderr"])
    markers = all_markers(results)
    summary = results["summary"]
    assert summary["n_markers"] == len(markers)
    assert summary["n_within"] == sum(mk["within"] for _, _, mk in markers)
    assert summary["max_abs_z"] == pytest.approx(max(abs(mk["z"]) for _, _, mk in markers))


def test_report_is_self_contained(demo: tuple[DemoResult, list[tuple[str, int, int]]]) -> None:
    html = demo[0].report_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, flags=re.IGNORECASE)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert html.count("data:image/png;base64,") == 2
    assert "Fig. 3" in html and "Fig. 4" in html and synthmix.__version__ in html


def test_every_marker_agrees_with_an_independent_theory_call(results: dict[str, Any]) -> None:
    """Recompute the theory at each marker's exact parameters; compare with the simulation."""
    fig3 = results["fig3_toy"]["parameters"]
    fig4 = results["fig4_phase"]["parameters"]
    mu = np.zeros(fig4["p"])
    mu[0] = fig4["mu_norm"]
    model = MixtureModel(mu)
    for fig, curve, mk in all_markers(results):
        if fig == "fig3_toy":
            theory = predict_estimated_generator(
                p=curve["parameters"]["p"],
                mu_norm=fig3["mu_norm"],
                n=fig3["n"],
                n_hat=fig3["n_hat"],
                m=mk["m"],
                epsilon=mk["epsilon"],
                rho=mk["rho"],
                phi=mk["phi"],
                gamma=fig3["gamma"],
            ).accuracy
        else:
            theory = predict(
                model,
                n=0,
                m=mk["m"],
                epsilon=mk["epsilon"],
                rho=mk["rho"],
                phi=mk["phi"],
                gamma=fig4["gamma"],
            ).accuracy
        assert float(theory) == pytest.approx(mk["theory"], abs=1e-12)
        assert abs(mk["mc_mean"] - float(theory)) <= Z * mk["mc_stderr"] + BIAS, (
            fig,
            curve["label"],
            mk,
        )


def test_fig4_curves_cross_one_half_at_epsilon_star(
    demo: tuple[DemoResult, list[tuple[str, int, int]]],
) -> None:
    fig4 = demo[0].fig4
    eps_star = float(transition_epsilon(rho=fig4.rho, phi=fig4.phi))
    assert fig4.epsilon_star == eps_star
    np.testing.assert_allclose(fig4.accuracy_at_transition, 0.5, atol=1e-9, rtol=0)
    for curve in fig4.curves:
        x, acc = curve.theory_x, curve.theory_accuracy
        assert np.all(acc[x < eps_star - 1e-12] > 0.5)
        assert np.all(acc[x > eps_star + 1e-12] < 0.5)
        assert acc[np.argmin(np.abs(x - eps_star))] == pytest.approx(0.5, abs=1e-9)


def test_fig3_curves_have_the_claimed_shapes(
    demo: tuple[DemoResult, list[tuple[str, int, int]]],
) -> None:
    """The chosen epsilon and weak verifier do what the docstring says: oracle rises, weak dips."""
    fig3 = demo[0].fig3
    for p in fig3.p_values:
        oracle = fig3.curve("oracle", p).theory_accuracy
        assert np.all(np.diff(oracle) >= -1e-12)
        weak = fig3.curve("weak", p).theory_accuracy
        k = int(np.argmin(weak))
        assert 0 < k < weak.size - 1
        if p >= 200:
            assert weak[0] - weak[k] > 0.01 and weak[-1] - weak[k] > 0.01


def test_progress_reports_each_stage_to_completion(
    demo: tuple[DemoResult, list[tuple[str, int, int]]],
) -> None:
    _, calls = demo
    stages = list(dict.fromkeys(s for s, _, _ in calls))
    assert stages == ["Fig. 3 Monte-Carlo", "Fig. 4 Monte-Carlo"]
    for stage in stages:
        done = [d for s, d, _ in calls if s == stage]
        totals = {t for s, _, t in calls if s == stage}
        assert len(totals) == 1 and done == list(range(1, totals.pop() + 1))


def test_a_marker_is_reproducible_from_its_seed_key(results: dict[str, Any]) -> None:
    curve = results["fig4_phase"]["curves"][0]
    mk = curve["markers"][1]
    params = results["fig4_phase"]["parameters"]
    mu = np.zeros(params["p"])
    mu[0] = params["mu_norm"]
    rerun = simulate(
        MixtureModel(mu),
        n=0,
        m=mk["m"],
        epsilon=mk["epsilon"],
        rho=mk["rho"],
        phi=mk["phi"],
        gamma=params["gamma"],
        n_trials=mk["n_trials"],
        rng=np.random.SeedSequence(results["seed"], spawn_key=tuple(mk["seed_key"])),
    )
    assert rerun.accuracy_mean == mk["mc_mean"]
    assert rerun.accuracy_stderr == mk["mc_stderr"]


def _numbers(result: Any) -> list[tuple[Any, ...]]:
    return [
        (
            c.label,
            c.theory_accuracy.tolist(),
            [(mk.x, mk.accuracy_mean, mk.accuracy_stderr, mk.seed_key) for mk in c.markers],
        )
        for c in result.curves
    ]


def test_results_do_not_depend_on_n_jobs() -> None:
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
    ("kwargs", "name"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"scheduler": 3}, "scheduler"),
    ],
)
def test_run_demo_rejects_bad_arguments(tmp_path: Path, kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        run_demo(out=tmp_path, quick=True, **kwargs)
    assert not any(tmp_path.iterdir())


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
