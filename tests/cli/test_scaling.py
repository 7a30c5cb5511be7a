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
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], name: str
) -> None:
    assert main(["scaling", "predict", "--M", "1000", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"synthmix: error: {name} must")
