"""``synthmix predict --real ...``: the data-driven prediction from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthmix.cli import main
from synthmix.data import Dataset, save_table
from synthmix.data.generators import GaussianGenerator
from synthmix.surrogate import predict_from_data

P = 12


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    y = rng.choice([-1, 1], 500)
    mu = np.zeros(P)
    mu[0] = 1.4
    x = 1.0 + np.outer(y, mu) + rng.standard_normal((500, P))
    z, yt = GaussianGenerator(mu=0.8 * mu, cov=1.2 * np.eye(P)).sample(800, rng=1)
    folder = tmp_path_factory.mktemp("predict-data")
    save_table(Dataset(x, y), folder / "real.csv")
    save_table(Dataset(1.0 + z, yt), folder / "syn.npz")
    return {
        "real": folder / "real.csv",
        "syn": folder / "syn.npz",
        "x": x,
        "y": y,
        "zs": 1.0 + z,
        "ys": yt,
    }  # type: ignore[dict-item]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_synthetic_file_matches_the_library(
    files: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _json(
        capsys,
        [
            "predict",
            "--real",
            str(files["real"]),
            "--synthetic",
            str(files["syn"]),
            "--n",
            "100",
            "--m",
            "0,300,3000",
            "--epsilon",
            "0.2",
            "--rho",
            "0.1",
            "--phi",
            "0.9",
            "--json",
        ],
    )
    lib = predict_from_data(
        files["x"],
        files["y"],
        X_synth=files["zs"],
        y_synth=files["ys"],
        n=100,
        m=[0, 300, 3000],
        epsilon=0.2,
        rho=0.1,
        phi=0.9,
    )
    np.testing.assert_allclose(doc["results"]["accuracy"], lib.prediction.accuracy, rtol=1e-12)
    assert doc["data"]["n_real"] == 500 and doc["data"]["k"] == P


def test_gaussian_generator_and_default_n(files: dict, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(
        capsys,
        [
            "predict",
            "--real",
            str(files["real"]),
            "--generator",
            "gaussian",
            "--n-use",
            "100",
            "--m",
            "0,1000",
            "--seed",
            "3",
            "--json",
        ],
    )
    lib = predict_from_data(files["x"], files["y"], n_use=100, m=[0, 1000], rng=3)
    np.testing.assert_allclose(doc["results"]["accuracy"], lib.prediction.accuracy, rtol=1e-12)
    assert doc["results"]["n"] == [500.0, 500.0]


def test_table_output(files: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "predict",
                "--real",
                str(files["real"]),
                "--generator",
                "gaussian",
                "--components",
                "5",
                "--m",
                "100",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("# real=real.csv (500 samples, 12 features -> k=5)") and "accuracy" in out


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        (["--p", "5", "--generator", "gaussian"], "p"),
        ([], "generator"),
        (["--generator", "gan"], "generator"),
        (["--generator", "gaussian", "--generator-cov", "full"], "generator_cov"),
        (["--generator", "gaussian", "--components", "0"], "components"),
        (["--generator", "gaussian", "--n-use", "2"], "n_use"),
    ],
)
def test_bad_combinations(
    files: dict, capsys: pytest.CaptureFixture[str], extra: list[str], name: str
) -> None:
    assert main(["predict", "--real", str(files["real"]), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"synthmix: error: {name}")


def test_data_options_need_real(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--generator", "gaussian"]) == 2
    assert "generator must be given only with --real" in capsys.readouterr().err


def test_verifier_option_reports_measured_rates(
    files: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _json(
        capsys,
        [
            "predict",
            "--real",
            str(files["real"]),
            "--synthetic",
            str(files["syn"]),
            "--verifier",
            "model",
            "--m",
            "0,1000",
            "--epsilon",
            "0.3",
            "--json",
        ],
    )
    rates = doc["data"]["rates"]
    assert doc["data"]["verifier"] == "model" and rates["phi"] > rates["rho"]
    assert doc["parameters"]["grid"]["rho"] == [1.0]  # the flag's default; the rates replaced it
    assert (
        main(
            [
                "predict",
                "--real",
                str(files["real"]),
                "--generator",
                "gaussian",
                "--verifier",
                "knn",
                "--m",
                "100",
            ]
        )
        == 0
    )
    assert "verifier=knn: rho_hat=" in capsys.readouterr().out
    assert (
        main(
            [
                "predict",
                "--real",
                str(files["real"]),
                "--generator",
                "gaussian",
                "--verifier",
                "oracle",
            ]
        )
        == 2
    )
    assert capsys.readouterr().err.startswith("synthmix: error: verifier must")
