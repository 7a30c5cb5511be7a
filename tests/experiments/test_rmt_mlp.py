"""The paper's 10-class MLP protocol (Fig 5/7) with random label noise and coin-flip pruning."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthmix._io import to_jsonable
from synthmix.data import load_mnist
from synthmix.exceptions import ValidationError
from synthmix.experiments import rmt_mlp as mm
from synthmix.report.html import Section, render_html


@pytest.fixture(scope="module")
def mnist() -> tuple[np.ndarray, np.ndarray]:
    ds = load_mnist()
    return np.asarray(ds.X), np.asarray(ds.y)


@pytest.fixture(scope="module")
def quick(mnist: tuple[np.ndarray, np.ndarray]) -> mm.MLPProtocolResult:
    X, y = mnist
    return mm.run_mlp_protocol(X, y, quick=True, seed=0, n_jobs=1, dataset_name="MNIST")


def test_quick_run_on_mnist(quick: mm.MLPProtocolResult) -> None:
    g = mm.MLP_QUICK
    shape = (len(g.n_uses), len(g.covariances), len(g.prunings), len(g.shares))
    assert quick.accuracy_mean.shape == quick.accuracy_se.shape == shape
    assert quick.kept_fraction.shape == quick.kept_noise.shape == shape
    assert quick.accuracy.shape == (g.n_repeats, *shape)
    assert np.all(np.isfinite(quick.accuracy)) and np.all(np.isfinite(quick.accuracy_se))
    assert np.all((quick.accuracy >= 0) & (quick.accuracy <= 1))
    assert quick.quick and quick.n_classes == 10 and quick.n_test == 1500
    assert quick.pool_per_class == 350 and quick.n_use_labels == ("100",)
    # share 0 is the one real-only fit; the MLP learns MNIST from 500 images
    assert np.all(quick.accuracy[..., 0] == quick.accuracy[:, :1, :1, :1, 0])
    assert quick.accuracy_mean[0, 0, 0, 0] > 0.8
    assert np.all(np.isnan(quick.kept_fraction[..., 0]))
    oracle, strong, none = (quick.kept_fraction[0, 0, i, 1] for i in range(3))
    assert oracle == pytest.approx(0.7, abs=0.03) and none == 1.0
    assert strong == pytest.approx(0.9 * 0.7 + 0.1 * 0.3, abs=0.03)
    assert quick.kept_noise[0, 0, 0, 1] == 0.0  # the oracle keeps no wrong label
    assert quick.kept_noise[0, 0, 2, 1] == pytest.approx(0.3, abs=0.03)
    assert quick.synthetic_counts == (0, 2000)


def test_same_results_for_any_n_jobs(mnist: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = mnist
    keep = np.flatnonzero(np.arange(y.size) % 10 < 1)  # 500 images, ~50 per class
    grid = mm.MLPGrid(
        shares=(0.0, 0.5),
        n_uses=(5, None),
        covariances=("identity", "estimated"),
        n_per_class=5,
        test_per_class=10,
        n_repeats=2,
        steps=15,
        hidden=8,
    )
    a = mm.run_mlp_protocol(X[keep], y[keep], seed=4, n_jobs=1, grid=grid)
    b = mm.run_mlp_protocol(X[keep], y[keep], seed=4, n_jobs=2, grid=grid)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    np.testing.assert_array_equal(a.kept_fraction, b.kept_fraction)
    np.testing.assert_array_equal(a.kept_noise, b.kept_noise)
    assert a.accuracy.shape == (2, 2, 2, 3, 2)
    c = mm.run_mlp_protocol(X[keep], y[keep], seed=5, n_jobs=1, grid=grid)
    assert not np.array_equal(a.accuracy, c.accuracy)


def test_protocol_refuses_bad_input(mnist: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = mnist
    with pytest.raises(ValidationError, match="y must have at least"):
        mm.run_mlp_protocol(X[::20], y[::20], quick=True)
    with pytest.raises(ValidationError, match="shares"):
        mm.MLPGrid(shares=(0.0, 1.0))
    with pytest.raises(ValidationError, match="covariances"):
        mm.MLPGrid(covariances=("diagonal",))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="rho"):
        mm.MLPPruning("bad", rho=2.0, phi=1.0)


def test_figure_section_and_payload(quick: mm.MLPProtocolResult, tmp_path: Path) -> None:
    png = mm.plot_mlp_protocol(quick, tmp_path / "mlp.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    section = mm.mlp_section(quick, png)
    assert isinstance(section, Section) and "Fig. 5/7" in section.title
    html = render_html("t", [section])
    assert "data:image/png;base64," in html and "oracle (0, 1)" in html
    payload = json.loads(json.dumps(to_jsonable(mm.mlp_payload(quick))))
    assert len(payload["cells"]) == quick.accuracy_mean.size
    assert payload["real_only_accuracy"] == pytest.approx(quick.accuracy_mean[0, 0, 0, 0])
    assert {f["claim"] for f in payload["findings"]} == set(mm.mlp_summary(quick)["findings_hold"])


def _fake(acc: np.ndarray) -> mm.MLPProtocolResult:
    nan = np.full(acc.shape[1:], np.nan)
    g = mm.MLPGrid(shares=(0.0, 0.9), n_uses=(10, None), covariances=("identity", "estimated"))
    return mm.MLPProtocolResult(
        "fake", g, acc, acc.mean(0), acc.std(0, ddof=1), nan, nan, (0, 4500), 10, 350, 1500, 0,
        False, 1.0,
    )  # fmt: skip


def test_findings_read_the_numbers() -> None:
    rng = np.random.default_rng(0)
    acc = np.full((3, 2, 2, 3, 2), 0.85) + 0.001 * rng.standard_normal((3, 2, 2, 3, 2))
    acc[..., 0] = acc[:, :1, :1, :1, 0]  # one real-only fit per repetition
    acc[:, :, :, 0, 1] += 0.04  # oracle helps
    acc[:, :, :, 1, 1] += 0.02  # strong helps less
    acc[:, :, :, 2, 1] -= 0.05  # no pruning hurts
    acc[:, 1, 1, 0, 1] += 0.02  # all images + estimated covariance: the best generator
    found = {f["claim"]: f["holds"] for f in mm.mlp_findings(_fake(acc))}
    assert all(found.values()), found
    acc[:, :, :, 0, 1] -= 0.10  # now oracle pruning hurts
    found = {f["claim"]: f["holds"] for f in mm.mlp_findings(_fake(acc))}
    assert found["oracle pruning helps or does not hurt as the synthetic share grows"] is False


def test_rmt_mnist_quick_carries_the_mlp_protocol(tmp_path: Path) -> None:
    from synthmix.experiments import rmt_realdata as rd

    res = rd.reproduce_mnist(
        out=tmp_path, quick=True, seed=0, n_jobs=1, scheduler=None, progress=None
    )
    payload = json.loads(Path(res.results_path).read_text())
    block = payload["mlp_protocol"]
    assert block["quick"] is True and block["n_classes"] == 10
    assert len(block["cells"]) == 3 * len(mm.MLP_QUICK.shares)
    assert all(0 <= c["accuracy_mean"] <= 1 for c in block["cells"])
    assert res.summary["mlp_protocol"]["real_only_accuracy"] == pytest.approx(
        block["real_only_accuracy"], abs=1e-4
    )
    assert [Path(f).name for f in res.figures] == ["overlay.png", "mlp.png"]
    assert "10-class MLP" in Path(res.report_path).read_text()
    assert res.seconds < 60
