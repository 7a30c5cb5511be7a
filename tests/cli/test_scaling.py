"""``synthmix scaling predict``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthmix.cli import main
from synthmix.scaling import LongTailModel, breakpoints, expected_error


def test_json_matches_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "scaling",
                "predict",
                "--beta",
                "2",
                "--k",
                "30",
                "--pi",
                "0.1",
                "--M",
                "100000",
                "--n",
                "10,1e4,1e7",
                "--json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    model = LongTailModel(beta=2.0, k=30, pi=0.1, M=100000)
    np.testing.assert_allclose(doc["breakpoints"], breakpoints(model), rtol=1e-12)
    np.testing.assert_allclose(
        doc["points"]["error"], expected_error(model, [10, 1e4, 1e7]), rtol=1e-12
    )
    assert doc["points"]["phase"] == [1, 2, 3]


def test_table_names_the_phases(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scaling", "predict", "--top-p", "0.95", "--M", "10000", "--n", "10,1e9"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# beta=2") and "rapid learning" in out and "tail learning" in out
    assert main(["scaling", "predict", "--temperature", "0.5", "--M", "1000", "--n", "100"]) == 0
    assert "no breakpoints" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["--beta", "1"], "beta"),
        (["--pi", "0"], "pi"),
        (["--k", "10", "--top-p", "0.9"], "k"),
        (["--n", "a,b"], "n"),
        (["--beta", "2"], "k"),  # no truncation given: the cut is not silently k = 30
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], name: str
) -> None:
    argv = argv if "--k" in argv or name == "k" else ["--k", "5", *argv]
    assert main(["scaling", "predict", "--M", "1000", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"synthmix: error: {name} must")


def _curve_file(tmp_path, seeds: bool = False, power_law: bool = False):  # type: ignore[no-untyped-def]
    from synthmix.scaling import LongTailModel, expected_error

    model = LongTailModel(beta=2.0, k=30, pi=0.05, M=10**5)
    n = np.logspace(1, 7, 36)
    rng = np.random.default_rng(0)
    lines = ["n,error" + (",seed" if seeds else "")]
    for s in range(2 if seeds else 1):
        clean = 0.8 * n**-0.5 if power_law else expected_error(model, n)
        err = clean * np.exp(0.05 * rng.standard_normal(n.size))
        lines += [f"{a},{b}" + (f",{s}" if seeds else "") for a, b in zip(n, err, strict=True)]
    path = tmp_path / "curve.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fit_matches_the_library_and_draws_a_figure(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    from synthmix.scaling import fit_three_phase

    path = _curve_file(tmp_path)
    png = tmp_path / "fit.png"
    assert (
        main(["scaling", "fit", str(path), "--n-boot", "20", "--figure", str(png), "--json"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    lib = fit_three_phase(data[:, 0], data[:, 1], rng=0, n_boot=20)
    np.testing.assert_allclose(doc["fit"]["breakpoints"], lib.breakpoints, rtol=1e-12)
    np.testing.assert_allclose(doc["fit"]["breakpoints_ci"], lib.breakpoints_ci, rtol=1e-12)
    assert doc["points"]["phase"] == lib.phase_of(data[:, 0]).tolist()
    assert png.stat().st_size > 10_000


def test_fit_table_and_seed_bootstrap(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["scaling", "fit", str(_curve_file(tmp_path, seeds=True)), "--n-boot", "20"]) == 0
    out = capsys.readouterr().out
    assert "n1 (end of rapid learning)" in out and "phase 3" in out


@pytest.mark.parametrize("content", [None, "a,b\n1,2\n", "n,error\nx,1\n"])
def test_fit_bad_files(tmp_path, capsys: pytest.CaptureFixture[str], content: str | None) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "c.csv"
    if content is not None:
        path.write_text(content)
    assert main(["scaling", "fit", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("synthmix: error: curve must")


def test_fit_without_three_phases_reports_no_breakpoints(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    """A plain power law (one segment) with 5% noise: the text and JSON say so, and quote no
    breakpoint, plateau or phase; the forced three-segment fit stays under its own name."""
    path = _curve_file(tmp_path, power_law=True)
    assert main(["scaling", "fit", str(path), "--n-boot", "20"]) == 0
    out = capsys.readouterr().out
    assert "the data do not show three phases: BIC prefers 1 segment (1 segment" in out
    assert "no breakpoints are reported" in out
    for word in ("n1", "n2", "plateau", "phase 1", "slope"):
        assert word not in out, word
    assert main(["scaling", "fit", str(path), "--n-boot", "20", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["three_phases"] is False and doc["fit"]["n_phases"] == 1
    assert doc["fit"]["breakpoints"] is None and doc["fit"]["breakpoints_ci"] is None
    assert doc["points"]["phase"] is None
    assert len(doc["forced_three_segment_fit"]["breakpoints"]) == 2


def test_fit_with_three_phases_says_so(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["scaling", "fit", str(_curve_file(tmp_path)), "--n-boot", "20", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["three_phases"] is True and doc["forced_three_segment_fit"] is None
    assert doc["verdict"].startswith("three phases (BIC: 1 segment ")
    assert len(doc["fit"]["breakpoints"]) == 2 and set(doc["points"]["phase"]) == {1, 2, 3}


def test_predict_states_the_corners_a_fit_would_measure(capsys: pytest.CaptureFixture[str]) -> None:
    """With enough sizes the corners are those of the exact curve at the given sizes; with too
    few, of the default window around the breakpoints (and the output says which)."""
    from synthmix.scaling import hinge_sizes, predicted_hinges

    model = LongTailModel(beta=2.0, k=10, pi=0.1, M=10**4)
    base = ["scaling", "predict", "--k", "10", "--pi", "0.1", "--M", "10000", "--json"]
    sizes = np.logspace(1, 6, 12)
    assert main([*base, "--n", ",".join(f"{v:.17g}" for v in sizes)]) == 0
    doc = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(doc["fitted_hinges"]["n"], predicted_hinges(model, sizes))
    assert doc["fitted_hinges"]["sizes"] == "these sizes"
    assert main([*base, "--n", "10,1e3,1e5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(
        doc["fitted_hinges"]["n"], predicted_hinges(model, hinge_sizes(model))
    )
    assert doc["fitted_hinges"]["sizes"] == "60 sizes from n1/100 to 100·n2"
    assert main([*base[:-1], "--n", "10,1e3,1e5"]) == 0
    out = capsys.readouterr().out.splitlines()
    h1, h2 = doc["fitted_hinges"]["n"]
    assert out[1] == (
        "# a three-segment fit ('synthmix scaling fit') of this curve at 60 sizes from n1/100 to "
        f"100·n2 measures corners n1={h1:.4g}, n2={h2:.4g}: compare fitted breakpoints with these"
    )
    assert main(["scaling", "predict", "--temperature", "0.5", "--M", "1000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fitted_hinges"] is None


def test_fit_compares_with_the_models_corners(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    """--k/--pi: the corners at the curve's sizes and, for each, whether the interval holds it."""
    from synthmix.scaling import predicted_hinges

    path = _curve_file(tmp_path, seeds=True)
    argv = ["scaling", "fit", str(path), "--n-boot", "20", "--k", "30", "--pi", "0.05"]
    assert main([*argv, "--M", "100000", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    pred = doc["prediction"]
    model = LongTailModel(beta=2.0, k=30, pi=0.05, M=10**5)
    np.testing.assert_allclose(pred["coverage_breakpoints"], breakpoints(model))
    n = np.unique(np.loadtxt(path, delimiter=",", skiprows=1)[:, 0])
    np.testing.assert_allclose(pred["fitted_hinges"]["n"], predicted_hinges(model, n))
    ci = np.array(doc["fit"]["breakpoints_ci"])
    h = np.array(pred["fitted_hinges"]["n"])
    assert pred["inside_interval"] == ((ci[:, 0] <= h) & (h <= ci[:, 1])).tolist()
    assert main([*argv, "--M", "100000"]) == 0
    line = next(s for s in capsys.readouterr().out.splitlines() if s.startswith("model beta"))
    words = ["inside" if ok else "OUTSIDE" for ok in pred["inside_interval"]]
    assert line == (
        "model beta=2 k=30 pi=0.05 M=100000 predicts corners at these sizes: "
        f"n1 {h[0]:.4g} ({words[0]} the 90% interval), n2 {h[1]:.4g} ({words[1]} the 90% interval)"
    )
    assert main(["scaling", "fit", str(path), "--k", "30"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "synthmix: error: k must be given together with --pi to compare with the model; got 30"
    )


@pytest.mark.parametrize(
    ("args", "header"),
    [
        (["--k", "1", "--M", "1"], "k = M = 1 leaves no tail, no breakpoints"),
        (["--temperature", "1e-9"], "no hard cut, no breakpoints"),
        (["--beta", "1e6", "--k", "3"], "n1=inf (end of rapid learning), n2=inf"),
        (["--k", "30", "--M", "1000000000000"], "M=1000000000000: n1=1454"),
    ],
)
def test_degenerate_and_huge_models_answer_with_numbers(
    capsys: pytest.CaptureFixture[str], args: list[str], header: str
) -> None:
    """Where the model has a limit, the command prints it: no NaN, no traceback, no hang."""
    beta = [] if "--beta" in args else ["--beta", "2"]
    code = main(["scaling", "predict", *beta, "--pi", "0.1", "--n", "10,1000,100000", *args])
    out, err = capsys.readouterr()
    assert code == 0 and err == "", err
    assert header in out.splitlines()[0]
    rows = [line.split() for line in out.splitlines() if not line.startswith("#")][1:]
    errors = [float(r[1]) for r in rows]
    assert len(errors) == 3 and all(0.0 <= e <= 1.0 for e in errors), out
