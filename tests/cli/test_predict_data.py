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
    assert out.startswith("# labels: +1 = '1', -1 = '-1' (1 is positive); label column 'label'")
    assert out.splitlines()[1].startswith("# real=real.csv (500 samples, 12 features -> k=5)")
    assert "accuracy" in out


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
            "0,800",
            "--epsilon",
            "0.3",
            "--json",
        ],
    )
    rates = doc["data"]["rates"]
    assert doc["data"]["verifier"] == "model" and rates["phi"] > rates["rho"]
    assert doc["parameters"]["grid"]["rho"] == [1.0]  # the flag's default; the rates replaced it
    check = doc["check"]  # checked with the verifier refitted on every split, not skipped
    assert check["verifier"] == "model" and len(check["rho"]) == check["n_repeats"]
    assert np.all(np.array(check["phi"]) > np.array(check["rho"]))
    kept = [c["kept"] for c in check["conditions"]]
    assert [c["m"] for c in check["conditions"]] == [0, 800] and kept[0] == 0
    assert 0 < kept[1] < 800
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


def _noisy_csv(files: dict, folder: Path, flip: float) -> tuple[Path, int]:
    """The synthetic rows as a CSV whose labels are flipped at ``flip``, clean ones in y_true."""
    x, yt = files["zs"], files["ys"]
    wrong = np.random.default_rng(11).random(yt.shape[0]) < flip
    y = np.where(wrong, -yt, yt)
    head = ",".join([f"x{j}" for j in range(P)] + ["label", "y_true"])
    rows = [
        ",".join([*(repr(float(v)) for v in r), str(a), str(b)])
        for r, a, b in zip(x, y, yt, strict=True)
    ]
    path = folder / f"noisy-{flip}.csv"
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    return path, int(wrong.sum())


def test_every_prediction_from_files_comes_with_its_hold_out(
    files: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --m: m comes from the file's 800 rows; no y_true and no --epsilon: ε = 0 is a warned
    default. Each checked m carries predicted, measured, measured_se and gap."""
    doc = _json(
        capsys,
        ["predict", "--real", str(files["real"]), "--synthetic", str(files["syn"]), "--json"],
    )
    assert doc["results"]["m"] == [0.0, 200.0, 400.0, 800.0]
    assert doc["data"]["taken_from_data"] == [
        "m = 0,200,400,800 from the synthetic file's 800 rows"
    ]
    check = doc["check"]
    assert (check["n_train"], check["n_test"], check["n_repeats"]) == (350, 150, 10)
    assert [c["m"] for c in check["conditions"]] == [0, 200, 400, 800]
    for c in check["conditions"]:
        assert c["gap"] == pytest.approx(c["predicted"] - c["measured"], abs=1e-15)
        assert 0.5 < c["measured"] <= 1 and 0 < c["measured_se"] < 0.05
        # the k/n correction applies (348 > k): the plug-in prediction is reported beside it
        assert c["gap_plugin"] == pytest.approx(c["predicted_plugin"] - c["measured"], abs=1e-15)
        assert c["predicted_plugin"] != c["predicted"]
    assert (
        "epsilon was neither given nor measured: the prediction assumes its default"
        in (doc["warnings"])
    )


def test_epsilon_is_measured_from_y_true_and_a_wrong_one_is_caught(
    files: dict, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    noisy, wrong = _noisy_csv(files, tmp_path, 0.3)
    doc = _json(
        capsys, ["predict", "--real", str(files["real"]), "--synthetic", str(noisy), "--json"]
    )
    assert doc["results"]["epsilon"] == [wrong / 800] * 4
    assert doc["data"]["taken_from_data"][1].startswith(
        f"epsilon = {wrong / 800:.3f} [95% CI "
    ) and doc["data"]["taken_from_data"][1].endswith(f"{wrong} of 800 labels differ from y_true")
    assert not any("epsilon was neither" in w for w in doc["warnings"])
    # most labels wrong, the theory told none are: the check flags it and says why it might be
    flipped, _ = _noisy_csv(files, tmp_path, 0.7)
    argv = ["predict", "--real", str(files["real"]), "--synthetic", str(flipped)]
    doc = _json(capsys, [*argv, "--epsilon", "0", "--m", "800", "--json"])
    (cond,) = doc["check"]["conditions"]
    assert cond["disagrees"] and cond["gap"] > 0.02
    flips = doc["data"]["rates"]  # None: no verifier; the told ε is the cause, and said so
    assert flips is None and doc["warnings"][0].startswith("epsilon = 0 was given, but ")
    assert doc["warnings"][0].endswith(
        "the prediction assumes another noise rate than the file has"
    )
    assert doc["warnings"][-1] == (
        f"at m = 800 the prediction is off the hold-out by {100 * cond['gap']:+.1f} points "
        "(beyond 2 points and 2 s.e.); possible causes: the warnings above"
    )
    assert main([*argv, "--epsilon", "0", "--m", "800"]) == 0
    out = capsys.readouterr().out
    assert "# hold-out check: 10 seeded splits" in out and "\nwarning: at m = 800" in out
    assert main([*argv, "--epsilon", "0", "--m", "800", "--no-check"]) == 0
    out = capsys.readouterr().out
    assert "hold-out" not in out and "warning: at m" not in out


def test_no_check_is_only_for_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--p", "10", "--no-check"]) == 2
    assert capsys.readouterr().err.startswith("synthmix: error: no_check must be given only with")
