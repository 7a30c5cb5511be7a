"""The ``synthmix`` command line, run in-process through ``main(argv)``."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import synthmix
from synthmix.cli import app, main
from synthmix.cli.config import Grid, parse_number_list, resolve_parameters
from synthmix.cli.progress import StageProgress
from synthmix.exceptions import ValidationError
from synthmix.simulate import simulate, simulate_estimated_generator
from synthmix.theory import (
    MixtureModel,
    marchenko_pastur_quantiles,
    predict,
    predict_estimated_generator,
)

AXES = ("n", "m", "epsilon", "rho", "phi", "gamma")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, *argv, "--json")
    assert code == 0, err
    assert err == ""
    doc: dict[str, Any] = json.loads(out)
    return doc


def parse_table(text: str) -> list[dict[str, float]]:
    lines = [line for line in text.strip().splitlines() if not line.startswith("#")]
    header = lines[0].split()
    return [dict(zip(header, map(float, line.split()), strict=True)) for line in lines[1:]]


def write(tmp_path: Path, text: str, name: str = "run.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def e1(p: int, scale: float = 1.0) -> np.ndarray:
    vec = np.zeros(p)
    vec[0] = scale
    return vec


# ---------------------------------------------------------------------------------------------
# Basics


def test_exports() -> None:
    import typer

    assert isinstance(app, typer.Typer)
    assert callable(synthmix.cli.run)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--version")
    assert code == 0
    assert out.strip() == f"synthmix {synthmix.__version__}"
    assert err == ""


@pytest.mark.parametrize("command", [[], ["predict"], ["simulate"], ["demo"]])
def test_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, err = run_cli(capsys, *command, "--help")
    assert code == 0
    assert "Usage" in out
    assert err == ""


def test_no_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys)
    assert code == 0
    assert "predict" in out and "simulate" in out and "demo" in out


# ---------------------------------------------------------------------------------------------
# predict


def test_predict_table_matches_theory(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "predict", "--p", "50", "--n", "100", "--m", "0,200",
        "--epsilon", "0.2", "--rho", "0.1", "--phi", "0.9", "--gamma", "0.5",
    )  # fmt: skip
    assert code == 0 and err == ""
    rows = parse_table(out)
    expected = predict(
        MixtureModel(e1(50)),
        n=100,
        m=np.array([0.0, 200.0]),
        epsilon=0.2,
        rho=0.1,
        phi=0.9,
        gamma=0.5,
    )
    assert [row["m"] for row in rows] == [0.0, 200.0]
    assert list(rows[0]) == [*AXES, "accuracy", "risk"]
    np.testing.assert_allclose([r["accuracy"] for r in rows], expected.accuracy, atol=1e-6)
    np.testing.assert_allclose([r["risk"] for r in rows], expected.risk, atol=1e-6)


def test_predict_json_grid_matches_theory(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(
        capsys, "predict", "--p", "40", "--mu", "1.5", "--m", "0,100,1000",
        "--epsilon", "0.1,0.3", "--rho", "0.2", "--phi", "0.8", "--gamma", "0.5,1",
    )  # fmt: skip
    assert doc["command"] == "predict"
    assert doc["synthmix_version"] == synthmix.__version__
    assert doc["axes"] == list(AXES)
    assert doc["grid_shape"] == [1, 3, 2, 1, 1, 2]
    res = doc["results"]
    for key in (*AXES, "accuracy", "risk", "mean", "second_moment"):
        assert len(res[key]) == 12
    # C order over the grid: gamma fastest, then epsilon, then m.
    assert res["m"][:4] == [0.0] * 4 and res["gamma"][:4] == [0.5, 1.0, 0.5, 1.0]
    expected = predict(
        MixtureModel(e1(40, 1.5)),
        n=200,
        m=np.array([0.0, 100.0, 1000.0])[:, None, None],
        epsilon=np.array([0.1, 0.3])[None, :, None],
        rho=0.2,
        phi=0.8,
        gamma=np.array([0.5, 1.0])[None, None, :],
    )
    np.testing.assert_allclose(res["accuracy"], expected.accuracy.ravel(), rtol=1e-12)
    np.testing.assert_allclose(res["risk"], expected.risk.ravel(), rtol=1e-12)
    assert doc["parameters"]["grid"]["m"] == [0.0, 100.0, 1000.0]
    assert doc["parameters"]["p"] == 40 and doc["parameters"]["mu"] == 1.5


def test_predict_out_writes_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "sub" / "pred.json"
    code, out, err = run_cli(capsys, "predict", "--p", "20", "--m", "0,50", "--out", str(target))
    assert code == 0 and err == ""
    assert len(parse_table(out)) == 2  # the table still goes to stdout
    written = json.loads(target.read_text(encoding="utf-8"))
    doc = run_json(capsys, "predict", "--p", "20", "--m", "0,50")
    assert written == doc


def test_predict_config_angle_and_linspace(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write(
        tmp_path,
        """
        p = 30
        mu = 1.2
        n = 50
        m = [100, 400]
        epsilon = 0.1
        gamma = 0.7
        mu_synth = {norm = 1.0, angle_deg = 30}
        cov_synth = {kind = "linspace", low = 0.5, high = 2.0}
        cov_real = 1.5
        """,
    )
    doc = run_json(capsys, "predict", "--config", str(config))
    theta = np.deg2rad(30.0)
    mu_s = np.zeros(30)
    mu_s[:2] = [np.cos(theta), np.sin(theta)]
    model = MixtureModel(
        e1(30, 1.2), mu_synth=mu_s, cov_synth=np.linspace(0.5, 2.0, 30), cov_real=1.5
    )
    expected = predict(model, n=50, m=np.array([100.0, 400.0]), epsilon=0.1, gamma=0.7)
    np.testing.assert_allclose(doc["results"]["accuracy"], expected.accuracy, rtol=1e-12)
    np.testing.assert_allclose(doc["results"]["risk"], expected.risk, rtol=1e-12)
    params = doc["parameters"]
    assert params["mu_synth"] == {"norm": 1.0, "angle_deg": 30}
    assert params["cov_synth"]["kind"] == "linspace"
    assert params["config"] == str(config)


def test_predict_config_marchenko_pastur_and_spectrum(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    real = np.linspace(1.0, 2.0, 10)
    config = write(
        tmp_path,
        f"""
        p = 10
        m = 80
        mu_synth = -0.5
        cov_synth = {{kind = "marchenko-pastur", ratio = 0.5}}
        cov_real = {real.tolist()}
        """,
    )
    doc = run_json(capsys, "predict", "--config", str(config))
    model = MixtureModel(
        e1(10),
        mu_synth=e1(10, -0.5),
        cov_synth=marchenko_pastur_quantiles(10, 0.5),
        cov_real=real,
    )
    expected = predict(model, n=200, m=80)
    assert doc["results"]["accuracy"] == pytest.approx([float(expected.accuracy)], rel=1e-12)


def test_flags_override_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = write(tmp_path, "p = 25\nm = [0, 100]\ngamma = 2.0\nepsilon = 0.3\n")
    doc = run_json(capsys, "predict", "--config", str(config), "--m", "50", "--p", "15")
    res = doc["results"]
    assert res["m"] == [50.0]
    assert res["gamma"] == [2.0] and res["epsilon"] == [0.3]  # from the file
    expected = predict(MixtureModel(e1(15)), n=200, m=50, epsilon=0.3, gamma=2.0)
    assert res["accuracy"] == pytest.approx([float(expected.accuracy)], rel=1e-12)


def test_predict_n_hat_matches_estimated_generator(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(
        capsys, "predict", "--p", "60", "--mu", "0.7", "--n", "100", "--n-hat", "80",
        "--m", "10,500", "--epsilon", "0.2", "--rho", "0.1", "--phi", "0.9",
    )  # fmt: skip
    expected = predict_estimated_generator(
        p=60, mu_norm=0.7, n=100, n_hat=80, m=np.array([10.0, 500.0]), epsilon=0.2, rho=0.1, phi=0.9
    )
    np.testing.assert_allclose(doc["results"]["accuracy"], expected.accuracy, rtol=1e-12)
    np.testing.assert_allclose(doc["results"]["risk"], expected.risk, rtol=1e-12)
    assert doc["parameters"]["n_hat"] == 80.0


# ---------------------------------------------------------------------------------------------
# simulate


def test_simulate_json_matches_library(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(
        capsys, "simulate", "--p", "20", "--n", "40", "--m", "40", "--trials", "4",
        "--seed", "3", "--epsilon", "0.2", "--rho", "0.1", "--phi", "0.9", "--gamma", "0.5",
    )  # fmt: skip
    direct = simulate(
        MixtureModel(e1(20)),
        n=40,
        m=40,
        epsilon=0.2,
        rho=0.1,
        phi=0.9,
        gamma=0.5,
        n_trials=4,
        rng=3,
    )
    res = doc["results"]
    assert res["accuracy_mean"] == [direct.accuracy_mean]
    assert res["accuracy_stderr"] == [direct.accuracy_stderr]
    assert res["risk_mean"] == [direct.risk_mean]
    assert res["risk_stderr"] == [direct.risk_stderr]
    assert res["n"] == [40] and res["m"] == [40]
    assert doc["parameters"]["trials"] == 4 and doc["parameters"]["seed"] == 3


def test_simulate_grid_and_n_hat(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(
        capsys, "simulate", "--p", "10", "--n", "20", "--m", "0,30", "--trials", "3",
        "--n-hat", "15", "--seed", "1",
    )  # fmt: skip
    assert doc["grid_shape"] == [1, 2, 1, 1, 1, 1]
    second = simulate_estimated_generator(
        p=10, mu_norm=1.0, n=20, n_hat=15, m=30, n_trials=3, rng=1
    )
    assert doc["results"]["m"] == [0, 30]
    assert doc["results"]["accuracy_mean"][1] == second.accuracy_mean


def test_simulate_compare_prints_z_score(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", "--p", "20", "--n", "40", "--m", "40", "--trials", "4", "--compare"]
    code, out, err = run_cli(capsys, *argv)
    assert code == 0 and err == ""
    header = next(line for line in out.splitlines() if not line.startswith("#"))
    assert "z_acc" in header.split() and "theory_acc" in header.split()
    assert "±" in out

    doc = run_json(capsys, *argv)
    res = doc["results"]
    theory = predict(MixtureModel(e1(20)), n=40, m=40)
    assert res["theory_accuracy"] == pytest.approx([float(theory.accuracy)], rel=1e-12)
    z = (res["accuracy_mean"][0] - res["theory_accuracy"][0]) / res["accuracy_stderr"][0]
    assert res["z_accuracy"][0] == pytest.approx(z)
    assert f"{z:+.2f}" in out


# ---------------------------------------------------------------------------------------------
# demo (the experiments module is replaced by a stub, so this does not depend on it)


def test_demo_calls_run_demo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run_demo(**kwargs: Any) -> Any:
        calls.append(kwargs)
        kwargs["progress"]("theory", 1, 2)
        kwargs["progress"]("theory", 2, 2)
        return types.SimpleNamespace(report_path=kwargs["out"] / "report.html")

    stub = types.ModuleType("synthmix.experiments.demo")
    stub.run_demo = fake_run_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "synthmix.experiments.demo", stub)
    code, out, err = run_cli(capsys, "demo", "--out", str(tmp_path / "d"), "--quick", "--seed", "5")
    assert code == 0, err
    assert out.strip() == f"report written to {tmp_path / 'd' / 'report.html'}"
    (kwargs,) = calls
    assert kwargs["out"] == tmp_path / "d" and isinstance(kwargs["out"], Path)
    assert kwargs["quick"] is True and kwargs["seed"] == 5 and kwargs["n_jobs"] == 1
    assert kwargs["scheduler"] is None


def test_demo_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run_demo(**kwargs: Any) -> Any:
        stage = types.SimpleNamespace(name="scaling", config_hash="abc", reused=True)
        return types.SimpleNamespace(
            report_path=kwargs["out"] / "report.html",
            results_path=kwargs["out"] / "results.json",
            figures=(kwargs["out"] / "f.png",),
            seed=kwargs["seed"],
            quick=kwargs["quick"],
            seconds=1.5,
            stages=(stage,),
            summary={"verifier": "model"},
        )

    stub = types.ModuleType("synthmix.experiments.demo")
    stub.run_demo = fake_run_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "synthmix.experiments.demo", stub)
    code, out, _ = run_cli(capsys, "demo", "--out", str(tmp_path), "--quick", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["command"] == "demo" and doc["summary"] == {"verifier": "model"}
    assert doc["stages"] == [{"name": "scaling", "config_hash": "abc", "reused": True}]


def test_demo_unavailable_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "synthmix.experiments.demo", None)
    code, out, err = run_cli(capsys, "demo")
    assert code == 1
    assert out == "" and len(err.splitlines()) == 1 and "demo" in err


# ---------------------------------------------------------------------------------------------
# Invalid input: exit status 2, one line on stderr naming the parameter, no traceback

BAD_FLAGS = [
    (["predict", "--n", "-5"], "n must be >= 0; got -5.0"),
    (["predict", "--epsilon", "1.5"], "epsilon must lie in [0, 1]"),
    (["predict", "--gamma", "0"], "gamma must be > 0; got 0.0"),
    (["predict", "--gamma", "-1"], "gamma must be > 0; got -1.0"),
    (["predict", "--gamma", "nan"], "gamma must be finite"),
    (["predict", "--rho", "0.5,2"], "rho must lie in [0, 1]"),
    (["predict", "--m", "1,,2"], "m must be a number"),
    (["predict", "--m", "abc"], "m must be a number"),
    (["predict", "--p", "0"], "p must be >= 1"),
    (["predict", "--p", "x"], "--p"),
    (["predict", "--mu", "-1"], "mu must be >= 0"),
    (["predict", "--n", "0", "--m", "0"], "n + m"),
    (["predict", "--bogus", "1"], "--bogus"),
    (["frobnicate"], "frobnicate"),
    (["simulate", "--n", "40.5", "--trials", "2"], "n must be an integer"),
    (["simulate", "--trials", "1"], "trials must be >= 2"),
    (["simulate", "--seed", "-1"], "seed must be >= 0"),
    (["simulate", "--p", "5", "--n", "5", "--m", "5", "--trials", "2", "--n-jobs", "0"], "n_jobs"),
    (["simulate", "--n-hat", "10.5"], "n_hat must be an integer"),
    (["predict", "--n-hat", "0"], "n_hat must be > 0"),
]

BAD_CONFIGS = [
    ("p = [1, 2", "config must be valid TOML"),
    ("foo = 1", "'foo'"),
    ("p = 10\ncov_synth = [1.0, 2.0, 3.0]", "cov_synth must have length 10"),
    ("p = 2\ncov_real = [[1.0, 2.0], [2.0, 1.0]]", "cov_real must be positive semi-definite"),
    ("p = 3\ncov_synth = [1.0, -1.0, 1.0]", "cov_synth must have non-negative entries"),
    ("cov_synth = -2.0", "cov_synth must be >= 0"),
    ('cov_synth = {kind = "wishart"}', "cov_synth.kind"),
    ('cov_synth = {kind = "linspace", low = 1.0}', "cov_synth must have the key 'high'"),
    ('cov_synth = {kind = "marchenko-pastur", ratio = -1}', "cov_synth.ratio must be > 0"),
    ("cov_real = {norm = 1}", "cov_real must be a number"),
    ("mu_synth = {norm = 1.0, angle = 3}", "mu_synth keys"),
    ("mu_synth = {norm = -1.0}", "mu_synth.norm must be >= 0"),
    ("p = 1\nmu_synth = {norm = 1.0, angle_deg = 90}", "mu_synth.angle_deg"),
    ("p = 4\nmu_synth = [1.0, 2.0]", "mu_synth must have length 4"),
    ('p = "ten"', "p must be an integer"),
    ("epsilon = [true]", "epsilon must be a number"),
    ("gamma = []", "gamma must not be empty"),
    ("mu_synth = 0.5\nn_hat = 100", "n_hat must not be combined with mu_synth"),
]


def assert_one_line_error(code: int, out: str, err: str, needle: str) -> None:
    assert code == 2, (out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("synthmix: error: ")
    assert needle in lines[0]


@pytest.mark.parametrize(("argv", "needle"), BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_bad_flags(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    assert_one_line_error(*run_cli(capsys, *argv), needle)


@pytest.mark.parametrize(("text", "needle"), BAD_CONFIGS, ids=[n for _, n in BAD_CONFIGS])
def test_bad_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, needle: str
) -> None:
    config = write(tmp_path, text)
    assert_one_line_error(*run_cli(capsys, "predict", "--config", str(config)), needle)


def test_missing_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    code, out, err = run_cli(capsys, "predict", "--config", str(missing))
    assert_one_line_error(code, out, err, "config must be a readable file")
    assert "nope.toml" in err


def test_unwritable_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = run_cli(capsys, "predict", "--p", "5", "--out", str(blocker / "x.json"))
    assert code == 2 and "Traceback" not in err
    assert len(err.splitlines()) == 1 and "out must be a writable file path" in err


def test_subprocess_user_error_exit_code() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "synthmix.cli", "predict", "--gamma", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == ["synthmix: error: gamma must be > 0; got -1.0"]


# ---------------------------------------------------------------------------------------------
# Building blocks


def test_parse_number_list() -> None:
    assert parse_number_list("0, 100,1e3", "m") == (0.0, 100.0, 1000.0)
    with pytest.raises(ValidationError, match="m must be a number"):
        parse_number_list("1;2", "m")


def test_grid_points_c_order() -> None:
    grid = Grid(n=(1.0, 2.0), m=(3.0,), epsilon=(0.0,), rho=(1.0,), phi=(1.0,), gamma=(0.5, 1.0))
    assert grid.shape == (2, 1, 1, 1, 1, 2) and grid.size == 4
    pts = grid.points()
    assert pts["n"].tolist() == [1.0, 1.0, 2.0, 2.0]
    assert pts["gamma"].tolist() == [0.5, 1.0, 0.5, 1.0]
    assert [p["gamma"] for p in grid.iter_points()] == [0.5, 1.0, 0.5, 1.0]


def test_resolve_parameters_defaults_and_model() -> None:
    params = resolve_parameters({"p": 8, "m": "0,10"})
    assert params.grid.m == (0.0, 10.0) and params.grid.n == (200.0,)
    assert params.trials == 100 and params.seed == 0 and params.n_hat is None
    model = params.model()
    assert model.p == 8 and model.mu_real.tolist() == e1(8).tolist()
    with pytest.raises(ValidationError, match="n must be an integer"):
        resolve_parameters({"n": "1.5"}, integer_counts=True)


def test_stage_progress_draws_one_task_per_stage() -> None:
    sink = io.StringIO()
    with StageProgress(enabled=True, file=sink) as bar:
        bar("fit", 1, 3)
        bar("score", 2, 2)
        bar("fit", 3, 3)
        tick = bar.callback("simulate", offset=10, total=20)
        tick(5, 10)
        assert bar.stages == ("fit", "score", "simulate")
    with StageProgress() as quiet:  # stderr is captured, not a terminal: no bar
        assert not quiet.enabled
        quiet("fit", 1, 2)
        assert quiet.stages == ()


# ---------------------------------------------------------------------------------------------
# reproduce


def test_reproduce_list(capsys: pytest.CaptureFixture[str]) -> None:
    from synthmix.experiments.registry import available

    code, out, err = run_cli(capsys, "reproduce", "--list")
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(available())
    assert {"rmt-laws", "rmt-toy", "rmt-phase"} <= {line.split()[0] for line in lines}
    for line, description in zip(lines, available().values(), strict=True):
        assert line.endswith(description)


def test_reproduce_quick_writes_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_dir = tmp_path / "laws"
    code, out, err = run_cli(
        capsys, "reproduce", "rmt-laws", "--quick", "--out", str(out_dir), "--seed", "2"
    )
    assert code == 0, err
    assert err == ""  # no progress bar when stderr is not a terminal
    assert out.strip() == f"report written to {out_dir / 'report.html'}"
    doc = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    assert doc["reproduction"]["name"] == "rmt-laws"
    assert doc["reproduction"]["seed"] == 2 and doc["reproduction"]["quick"] is True
    assert (out_dir / "fig1_marchenko_pastur.png").is_file()


def test_reproduce_passes_options_and_reports_cache(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from synthmix.experiments import registry

    seen: dict[str, Any] = {}

    def fake_run(name: str, **kwargs: Any) -> registry.ReproductionResult:
        seen.update(kwargs, name=name)
        return registry.ReproductionResult(
            name=name,
            out_dir=tmp_path,
            results_path=tmp_path / "results.json",
            report_path=tmp_path / "report.html",
            figures=(),
            seconds=1.0,
            quick=False,
            seed=kwargs["seed"],
            cached=True,
        )

    monkeypatch.setattr(registry, "run", fake_run)
    code, out, err = run_cli(
        capsys, "reproduce", "rmt-toy", "--seed", "4", "--n-jobs", "2", "--force"
    )
    assert code == 0, err
    assert seen["name"] == "rmt-toy" and seen["out"] is None  # registry default: NAME folder
    assert seen["seed"] == 4 and seen["n_jobs"] == 2 and seen["force"] is True
    assert seen["quick"] is False and seen["scheduler"] is None
    assert callable(seen["progress"])
    assert "cached" in out and f"report written to {tmp_path / 'report.html'}" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["reproduce", "no-such-figure"], "name must be one of "),
        (["reproduce", "no-such-figure"], "rmt-laws, "),
        (["reproduce", "no-such-figure"], "got 'no-such-figure'"),
        (["reproduce"], "or use --list"),
        (["reproduce", "rmt-laws", "--quick", "--seed", "-1"], "seed must be >= 0"),
    ],
)
def test_reproduce_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], needle: str
) -> None:
    code, out, err = run_cli(capsys, *argv, "--out", str(tmp_path / "never"))
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("synthmix: error: ")
    assert needle in err
    assert not (tmp_path / "never").exists()


def test_bars_need_two_terminals_and_no_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    from synthmix.cli import progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(progress.sys, "stdout", Tty())
    monkeypatch.setattr(progress.sys, "stderr", Tty())
    progress.set_quiet(False)
    assert progress.bars_wanted()
    progress.set_quiet(True)
    assert not progress.bars_wanted()
    progress.set_quiet(False)
    monkeypatch.setattr(progress.sys, "stdout", io.StringIO())  # stdout piped: no bars
    assert not progress.bars_wanted()


def test_quiet_flag_is_accepted_and_reset(capsys: pytest.CaptureFixture[str]) -> None:
    from synthmix.cli import progress

    code, _, _ = run_cli(capsys, "--quiet", "scaling", "predict", "--k", "5", "--M", "1000")
    assert code == 0 and progress._QUIET
    code, _, _ = run_cli(capsys, "scaling", "predict", "--k", "5", "--M", "1000")
    assert code == 0 and not progress._QUIET


def test_ctrl_c_exits_130_and_leaves_only_whole_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupt a reproduction while it writes its report: exit 130, one line, and every file
    in the folder is complete (results.json parses, PNGs are whole, no temporary leftovers)."""
    import json as _json

    from synthmix.report import html

    real_render = html.render_html

    def interrupted(*args: object, **kwargs: object) -> str:
        real_render(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(html, "render_html", interrupted)
    code, _, err = run_cli(capsys, "reproduce", "rmt-laws", "--quick", "--out", str(tmp_path))
    assert code == 130 and err.count("\n") == 1 and "Traceback" not in err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "report.html" not in names and not [n for n in names if n.endswith(".tmp")]
    _json.loads((tmp_path / "results.json").read_text())
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "command",
    [
        ["predict"],
        ["simulate"],
        ["prune"],
        ["value"],
        ["reproduce"],
        ["demo"],
        ["scaling", "predict"],
        ["scaling", "fit"],
        ["report"],
    ],
)
def test_every_command_help_has_an_example(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, *command, "--help")
    assert code == 0 and f"Example: synthmix {' '.join(command)}" in " ".join(out.split())


def test_reproduce_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "reproduce", "rmt-laws", "--quick", "--out", str(tmp_path), "--json"
    )
    doc = json.loads(out)
    assert code == 0 and doc["name"] == "rmt-laws" and doc["quick"] and not doc["cached"]
    assert Path(doc["report"]).is_file() and all(Path(f).is_file() for f in doc["figures"])


def test_an_internal_error_is_one_line_with_exit_1_and_debug_shows_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unforeseen failure (a bug) is one line naming it and --debug; --debug re-raises."""
    import synthmix.cli.predict as predict_mod

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("arms")

    monkeypatch.setattr(predict_mod, "predict_grid", broken)
    code = main(["predict", "--p", "20"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == (
        "synthmix: error: internal error (KeyError: 'arms'); rerun with --debug for the "
        "traceback and report it\n"
    )
    with pytest.raises(KeyError, match="arms"):
        main(["predict", "--p", "20", "--debug"])


def test_user_strings_in_figures_are_drawn_as_written(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A source named like broken TeX is a name: the figure is drawn, nothing half-written."""
    good = tmp_path / "good.csv"
    good.write_text("x0,x1,label\n0,0,0\n1,1,1\n0.5,0.2,0\n0.9,0.8,1\n")
    out = tmp_path / "v"
    code = main(
        [
            "value",
            "--source",
            "$\\frac{1}$=" + str(good),
            "--source",
            f"b={good}",
            "--reference",
            str(good),
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["values.json", "values.png"]


def _long_simulation(out: Path, args: list[str], **popen: Any) -> Any:
    """``synthmix simulate --p 300 --n 200 ARGS --out OUT`` started in a child process: a run
    long enough (seconds) to be signalled or killed while it works."""
    cmd = [sys.executable, "-m", "synthmix", "simulate", "--p", "300", "--n", "200", *args]
    return subprocess.Popen([*cmd, "--out", str(out)], **popen)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_is_handled_like_ctrl_c_with_exit_143(tmp_path: Path) -> None:
    """A terminated run says so in one line, exits 143 and leaves no temporary file."""
    import signal
    import subprocess
    import time

    proc = _long_simulation(
        tmp_path / "sim.json",
        ["--m", "200,400,800", "--trials", "5000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(5)
    assert proc.poll() is None, "finished before the signal; make the run longer"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert err == (
        "synthmix: error: terminated; every file already written is complete (outputs are atomic)\n"
    )
    assert list(tmp_path.iterdir()) == []


def _children(pid: int) -> set[int]:
    """Pids whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_no_worker_outlives_a_run_killed_with_sigkill(tmp_path: Path) -> None:
    """kill -9 of an --n-jobs 2 run: within 10 s no process it started is left running."""
    import signal
    import subprocess
    import time

    proc = _long_simulation(
        tmp_path / "sim.json",
        ["--m", "200,400,800,1600", "--trials", "4000", "--n-jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not started:
        time.sleep(0.5)
        started |= _children(proc.pid)
    assert started, "the run started no worker process"
    time.sleep(1.0)  # a forked pool has one child; loky's also starts a resource tracker
    started |= _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in started):
        time.sleep(0.25)
    left = [p for p in started if _alive(p)]
    for p in left:  # do not leave them behind for the rest of the suite
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    assert left == [], f"still running 10 s after the kill: {left}"


_SIGNAL_DURING_STARTUP = """
import os, signal, sys

class SignalOnImport:
    '''Send the signal while the CLI module is being imported: the start-up window.'''

    def find_spec(self, name, path=None, target=None):
        if name == "synthmix.cli.app":
            os.kill(os.getpid(), SIGNAL)
        return None

SIGNAL = getattr(signal, sys.argv[1])
sys.meta_path.insert(0, SignalOnImport())
sys.argv = ["synthmix", "--version"]
from synthmix._entry import run
run()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("name", "code", "word"), [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")]
)
def test_a_signal_while_the_cli_loads_is_one_line(name: str, code: int, word: str) -> None:
    """Ctrl-C during start-up used to print an import traceback and die by the signal (rc -2)."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", _SIGNAL_DURING_STARTUP, name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == code
    assert proc.stdout == ""
    assert proc.stderr == f"synthmix: error: {word} while starting; nothing was written\n"


def test_a_malformed_scheduler_is_one_line_with_nothing_after_it() -> None:
    """A half-built Dask client used to print an "Exception ignored ... TimeoutError" traceback
    from its finaliser 20 s after the error line; the address is now checked first."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "synthmix", "simulate", "--trials", "2", "--scheduler", "nonsense"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("synthmix: error: scheduler must be the address of a Dask")
    assert proc.stderr.count("\n") == 1, proc.stderr
