"""rmt-mnist / rmt-fashion: predicted vs measured on real images, every big gap explained."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from synthmix.data import FASHION_MNIST_DIR, DataUnavailableError
from synthmix.experiments import rmt_realdata as rd
from synthmix.surrogate import ConditionResult, PruningSetting


@pytest.fixture(scope="module")
def mnist_quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, dict]:
    out = tmp_path_factory.mktemp("rmt-mnist")
    res = rd.reproduce_mnist(out=out, quick=True, seed=0, n_jobs=1, scheduler=None, progress=None)
    return res, json.loads(Path(res.results_path).read_text())


def test_outputs_and_headline_numbers(mnist_quick: tuple[object, dict]) -> None:
    res, payload = mnist_quick
    assert Path(res.report_path).exists() and all(Path(f).exists() for f in res.figures)  # type: ignore[attr-defined]
    assert len(payload["tasks"]) == 2
    cells = [c for t in payload["tasks"] for c in t["conditions"]]
    assert len(cells) == 2 * len(rd.QUICK.shares) * len(rd.SETTINGS)
    gaps = [abs(c["predicted"] - c["measured"]) * 100 for c in cells]
    assert payload["mean_abs_gap_points"] == pytest.approx(np.mean(gaps))
    # every gap above 3 points carries an explanation, and only those
    for c in cells:
        assert (c["explanation"] is not None) == (abs(c["gap_points"]) > 3.0)
    # a real verifier's measured rates were fed to the theory
    ver = [c for c in cells if c["setting"] == "model verifier"]
    assert all(0 <= c["rho"] < c["phi"] <= 1 for c in ver)
    html = Path(res.report_path).read_text()  # type: ignore[attr-defined]
    assert "data:image/png;base64," in html and "http://" not in html


def test_the_theory_tracks_real_mnist(mnist_quick: tuple[object, dict]) -> None:
    """Loose guard on the quick run (4 repetitions): the full run's figures are in the issue
    note (mean |gap| 1.54 points over 84 conditions); here the mean must stay under 3."""
    _, payload = mnist_quick
    assert payload["mean_abs_gap_points"] < 3.0


def test_same_results_for_any_n_jobs(tmp_path: Path) -> None:
    x = np.random.default_rng(0).standard_normal((400, 30))
    y = np.where(np.arange(400) % 2 == 0, 1, -1)
    x[:, 0] += 1.5 * y
    tasks = [("toy", x, y)]
    pr = rd.Protocol(n=40, n_use=60, shares=(0.0, 0.8), n_components=10, n_repeats=2)
    a = rd.run_overlay(tasks, protocol=pr, seed=3, n_jobs=1)
    b = rd.run_overlay(tasks, protocol=pr, seed=3, n_jobs=2)
    assert a[0].conditions == b[0].conditions


def _cell(predicted: float, measured: float, gauss: float) -> ConditionResult:
    return ConditionResult("s", 0.5, 100, predicted, measured, 0.01, 0.1, 0.9, gauss)


def test_explanations_name_the_broken_assumption() -> None:
    coin = PruningSetting("strong", rho=0.1, phi=0.9)
    real = PruningSetting("model verifier", verifier="model")
    assert rd.explain_gap(_cell(0.95, 0.93, 0.95), coin) is None  # 2 points: no explanation owed
    assert "not Gaussian" in str(rd.explain_gap(_cell(0.95, 0.90, 0.948), coin))
    assert "verifier" in str(rd.explain_gap(_cell(0.95, 0.90, 0.91), real))
    assert "surrogate" in str(rd.explain_gap(_cell(0.95, 0.90, 0.91), coin))


def test_fashion_runs_or_says_what_is_missing(
    tmp_path: Path, require_system_package: Callable[[str, bool], None]
) -> None:
    """With the Debian package (installed by ``make system``) the reproduction runs; where it
    could not be installed (e.g. no root) it answers with one clear error, no traceback."""
    present = (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").exists()
    if not present:
        with pytest.raises(DataUnavailableError, match="dataset-fashion-mnist"):
            rd.reproduce_fashion(
                out=tmp_path, quick=True, seed=0, n_jobs=1, scheduler=None, progress=None
            )
    require_system_package("dataset-fashion-mnist", present)
    res = rd.reproduce_fashion(
        out=tmp_path, quick=True, seed=0, n_jobs=1, scheduler=None, progress=None
    )
    payload = json.loads(Path(res.results_path).read_text())
    assert len(payload["tasks"]) == 2 and payload["mean_abs_gap_points"] < 3.0
