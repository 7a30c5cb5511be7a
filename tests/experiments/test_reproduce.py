"""``synthmix.experiments.registry`` and the three theory reproductions (quick mode)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import synthmix
from synthmix.exceptions import ValidationError
from synthmix.experiments import registry
from synthmix.experiments.registry import ReproductionResult, available, register, run
from synthmix.simulate.laws import (
    fixed_point_curves,
    ks_distance,
    marchenko_pastur_spectra,
    real_only_delta,
)
from synthmix.theory import marchenko_pastur_quantiles

NAMES = ("rmt-laws", "rmt-toy", "rmt-phase")
FIGURES = {
    "rmt-laws": ["fig1_marchenko_pastur.png", "fig2_fixed_point.png"],
    "rmt-toy": ["fig3_toy.png"],
    "rmt-phase": ["fig4_phase.png"],
}
STAGES = {"rmt-laws": "Fig. 1 eigenvalues", "rmt-toy": "Fig. 3 Monte-Carlo"}
STAGES["rmt-phase"] = "Fig. 4 Monte-Carlo"

Run = tuple[ReproductionResult, list[tuple[str, int, int]], float]


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    for name in NAMES:
        calls: list[tuple[str, int, int]] = []
        out = tmp_path_factory.mktemp(name)
        start = time.perf_counter()
        res = run(name, out=out / "out", quick=True, seed=3, progress=recorder(calls))
        runs[name] = (res, calls, time.perf_counter() - start)
    return runs


def recorder(calls: list[tuple[str, int, int]]) -> Callable[[str, int, int], None]:
    def progress(stage: str, done: int, total: int) -> None:
        calls.append((stage, done, total))

    return progress


def load(res: ReproductionResult) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(res.results_path.read_text(encoding="utf-8"))
    return doc


# ---------------------------------------------------------------------------------------------
# The three reproductions, quick mode


@pytest.mark.parametrize("name", NAMES)
def test_quick_run_writes_everything(quick_runs: dict[str, Run], name: str) -> None:
    res, calls, seconds = quick_runs[name]
    out = res.out_dir
    assert res.name == name and res.quick is True and res.seed == 3 and res.cached is False
    assert res.results_path == out / "results.json" and res.report_path == out / "report.html"
    assert [p.name for p in res.figures] == FIGURES[name]
    for path in (res.results_path, res.report_path, *res.figures):
        assert path.is_file() and path.stat().st_size > 0
    for fig in res.figures:
        assert fig.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporaries
    assert seconds < 20 and 0 < res.seconds <= seconds
    assert calls and {c[0] for c in calls} == {STAGES[name]}
    assert calls[-1][1] == calls[-1][2]  # progress reaches its total


@pytest.mark.parametrize("name", NAMES)
def test_results_json_is_stamped(quick_runs: dict[str, Run], name: str) -> None:
    res, _, _ = quick_runs[name]
    doc = load(res)
    assert doc["name"] == name and doc["seed"] == 3 and doc["quick"] is True
    assert doc["synthmix_version"] == synthmix.__version__
    stamp = doc["reproduction"]
    assert stamp["name"] == name and stamp["quick"] is True and stamp["seed"] == 3
    assert stamp["synthmix_version"] == synthmix.__version__
    assert stamp["config_hash"] == registry.get(name).config_hash
    assert stamp["figures"] == FIGURES[name] and stamp["report"] == "report.html"
    assert stamp["summary"] == dict(res.summary) == doc["summary"]


@pytest.mark.parametrize("name", NAMES)
def test_report_is_self_contained(quick_runs: dict[str, Run], name: str) -> None:
    res, _, _ = quick_runs[name]
    html = res.report_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, flags=re.IGNORECASE)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert html.count("data:image/png;base64,") == len(res.figures)
    assert synthmix.__version__ in html and "Reproducibility" in html


def test_laws_results(quick_runs: dict[str, Run]) -> None:
    res, _, _ = quick_runs["rmt-laws"]
    doc, summary = load(res), res.summary
    assert set(summary["ks_distance"]) == {"0.25", "1", "2"}
    # eigenvalues are rigid: a KS distance of a few 1/p at p = 400
    assert all(0 <= v < 0.03 for v in summary["ks_distance_max"].values())
    assert summary["zero_fraction"] == {"0.25": 0.0, "1": 0.0, "2": 0.5}
    assert summary["max_abs_delta_error"] < 1e-8
    fig1 = doc["fig1_marchenko_pastur"]
    for panel in fig1["panels"]:
        assert len(panel["ks_distance"]) == fig1["draws"]
        assert len(panel["quantiles"]) == len(panel["eigenvalues_draw0"]) == fig1["p"]
        assert panel["ks_distance_mean"] == pytest.approx(np.mean(panel["ks_distance"]))
        q = marchenko_pastur_quantiles(fig1["p"], panel["ratio"])
        assert ks_distance(panel["eigenvalues_draw0"], q) == panel["ks_distance"][0]
        edges, density = np.array(panel["histogram"]["edges"]), panel["histogram"]["density"]
        assert np.sum(np.diff(edges) * density) == pytest.approx(1 - panel["zero_fraction"])
    fig2 = doc["fig2_fixed_point"]
    assert fig2["max_abs_delta_error"] == summary["max_abs_delta_error"]
    real = [c for c in fig2["curves"] if c["closed_form"] is not None]
    mixed = [c for c in fig2["curves"] if c["closed_form"] is None]
    assert len(real) == 2 and len(mixed) == 2
    for c in real:
        gamma = c["parameters"]["gamma"]
        np.testing.assert_allclose(
            c["delta"], real_only_delta(c["p_over_n"], gamma), rtol=1e-9, atol=0
        )
    for c in mixed:  # the generator's spread puts delta_s below delta
        assert np.all(np.array(c["delta_s"]) < np.array(c["delta"]))


@pytest.mark.parametrize(("name", "figure"), [("rmt-toy", "fig3_toy"), ("rmt-phase", "fig4_phase")])
def test_monte_carlo_results(quick_runs: dict[str, Run], name: str, figure: str) -> None:
    res, _, _ = quick_runs[name]
    doc = load(res)
    markers = [mk for c in doc[figure]["curves"] for mk in c["markers"]]
    for curve in doc[figure]["curves"]:
        assert len(curve["theory"]["x"]) == len(curve["theory"]["accuracy"]) >= 50
    assert markers
    for mk in markers:
        assert {"mc_mean", "mc_stderr", "theory", "z", "within", "seed_key"} <= set(mk)
        assert mk["mc_stderr"] > 0
        assert mk["z"] == pytest.approx((mk["mc_mean"] - mk["theory"]) / mk["mc_stderr"])
    s = res.summary
    assert s["n_markers"] == len(markers)
    assert s["n_within"] == sum(mk["within"] for mk in markers)
    assert s["all_within"] is True  # fixed seed: every marker agrees with the theory
    assert s["max_abs_z"] == pytest.approx(max(abs(mk["z"]) for mk in markers))
    if name == "rmt-phase":
        assert s["epsilon_star"] == pytest.approx(0.8 / 1.1)
        assert s["max_abs_transition_error"] < 1e-9


def test_quick_runs_are_not_cached(quick_runs: dict[str, Run]) -> None:
    res, _, _ = quick_runs["rmt-laws"]
    again = run("rmt-laws", out=res.out_dir, quick=True, seed=3)
    assert again.cached is False and again.summary == res.summary  # same seed, same numbers


# ---------------------------------------------------------------------------------------------
# Caching of full runs


def test_full_run_is_cached_and_force_recomputes(tmp_path: Path) -> None:
    out = tmp_path / "laws"
    start = time.perf_counter()
    first = run("rmt-laws", out=out, seed=1)
    first_seconds = time.perf_counter() - start
    assert first.cached is False and first.quick is False and first_seconds < 10

    start = time.perf_counter()
    second = run("rmt-laws", out=out, seed=1)
    assert time.perf_counter() - start < 0.5
    assert second.cached is True
    assert second.summary == first.summary
    assert second.figures == first.figures and second.report_path == first.report_path
    assert second.seconds == pytest.approx(first.seconds)

    forced = run("rmt-laws", out=out, seed=1, force=True)
    assert forced.cached is False and forced.summary == first.summary
    assert load(forced)["reproduction"]["seconds"] == pytest.approx(forced.seconds)


@pytest.fixture
def fake() -> Iterator[list[dict[str, Any]]]:
    """A cheap registered reproduction that counts its calls."""
    calls: list[dict[str, Any]] = []

    @register("test-fake", description="A fake for the registry tests.", config={"k": 1})
    def fake_reproduction(
        *,
        out: Path,
        quick: bool,
        seed: int,
        n_jobs: int,
        scheduler: str | None,
        progress: Any,
    ) -> ReproductionResult:
        calls.append({"out": out, "quick": quick, "seed": seed, "n_jobs": n_jobs})
        (out / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        (out / "report.html").write_text("<!DOCTYPE html>", encoding="utf-8")
        (out / "results.json").write_text(json.dumps({"value": seed}), encoding="utf-8")
        return ReproductionResult(
            name="test-fake",
            out_dir=out,
            results_path=out / "results.json",
            report_path=out / "report.html",
            figures=(out / "fig.png",),
            seconds=0.01,
            quick=quick,
            seed=seed,
            summary={"value": seed, "pair": (1, 2)},
        )

    yield calls
    registry._REGISTRY.pop("test-fake", None)


def test_cache_key(fake: list[dict[str, Any]], tmp_path: Path) -> None:
    out = tmp_path / "fake"
    first = run("test-fake", out=out, seed=4, n_jobs=2)
    assert len(fake) == 1 and fake[0]["n_jobs"] == 2
    assert first.summary == {"value": 4, "pair": [1, 2]}  # as stored in results.json
    assert json.loads(first.results_path.read_text())["value"] == 4  # payload kept
    assert run("test-fake", out=out, seed=4).cached and len(fake) == 1
    run("test-fake", out=out, seed=5)  # another seed: recomputed
    assert len(fake) == 2
    assert run("test-fake", out=out, seed=5).cached and len(fake) == 2
    run("test-fake", out=out, seed=5, quick=True)  # quick: never cached, replaces the stamp
    run("test-fake", out=out, seed=5, quick=True)
    assert len(fake) == 4
    run("test-fake", out=out, seed=5)  # the folder now holds a quick run
    assert len(fake) == 5

    doc = json.loads((out / "results.json").read_text())
    doc["reproduction"]["synthmix_version"] = "0.0.0"  # another version
    (out / "results.json").write_text(json.dumps(doc))
    assert not run("test-fake", out=out, seed=5).cached and len(fake) == 6

    doc = json.loads((out / "results.json").read_text())
    doc["reproduction"]["config_hash"] = "0" * 16  # other settings
    (out / "results.json").write_text(json.dumps(doc))
    assert not run("test-fake", out=out, seed=5).cached and len(fake) == 7

    (out / "fig.png").unlink()  # an output went missing
    assert not run("test-fake", out=out, seed=5).cached and len(fake) == 8
    (out / "results.json").write_text("{not json")
    assert not run("test-fake", out=out, seed=5).cached and len(fake) == 9
    assert run("test-fake", out=out, seed=5).cached and len(fake) == 9


def test_default_out(fake: list[dict[str, Any]], tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    res = run("test-fake", quick=True)
    assert res.out_dir == Path("synthmix-reproduce") / "test-fake"
    assert (tmp_path / "synthmix-reproduce" / "test-fake" / "results.json").is_file()


# ---------------------------------------------------------------------------------------------
# Registry API and errors


def test_available() -> None:
    names = available()
    assert set(NAMES) <= set(names)
    assert list(names) == sorted(names)
    assert all(isinstance(d, str) and d for d in names.values())
    assert registry.get("rmt-laws").config_hash == registry.get("rmt-laws").config_hash


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "nope"}, r"name must be one of (.*, )?rmt-laws, .*rmt-toy.*; got 'nope'$"),
        ({"name": 3}, "name must be one of .*; got 3$"),
        ({"name": "rmt-laws", "seed": -1}, re.escape("seed must be >= 0")),
        ({"name": "rmt-laws", "seed": 1.5}, "seed must be an integer"),
        ({"name": "rmt-laws", "n_jobs": 0}, "n_jobs must be a positive integer or -1"),
        ({"name": "rmt-laws", "scheduler": 5}, "scheduler must be"),
        ({"name": "rmt-laws", "quick": "yes"}, "quick must be True or False"),
        ({"name": "rmt-laws", "force": 1}, "force must be True or False"),
        ({"name": "rmt-laws", "progress": 3}, "progress must be"),
    ],
)
def test_run_rejects_bad_input(kwargs: dict[str, Any], message: str, tmp_path: Path) -> None:
    name = kwargs.pop("name")
    with pytest.raises(ValidationError, match=message):
        run(name, out=tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()  # validated before anything is written


def test_register_rejects_bad_input(fake: list[dict[str, Any]]) -> None:
    def other(**kwargs: Any) -> ReproductionResult:
        raise AssertionError("never called: these registrations are all refused")

    with pytest.raises(ValidationError, match="name must be lower-case"):
        register("Bad Name", description="x")
    with pytest.raises(ValidationError, match="description must be a non-empty string"):
        register("ok-name", description=" ")
    with pytest.raises(ValidationError, match="config must be JSON-able"):
        register("ok-name", description="x", config={"f": object()})
    with pytest.raises(ValidationError, match="name must be unique"):
        register("test-fake", description="x")(other)
    assert "ok-name" not in available()


def test_function_must_return_a_result(tmp_path: Path) -> None:
    @register("test-broken", description="Returns the wrong type.")
    def broken(**kwargs: Any) -> Any:
        return {"not": "a result"}

    try:
        with pytest.raises(TypeError, match="not ReproductionResult"):
            run("test-broken", out=tmp_path / "b", quick=True)
    finally:
        registry._REGISTRY.pop("test-broken", None)


def test_import_synthmix_stays_light() -> None:
    code = (
        "import sys, synthmix\n"
        "assert 'synthmix.experiments.registry' not in sys.modules\n"
        "from synthmix.experiments import registry\n"
        "assert len(registry.available()) >= 3\n"
        "heavy = [m for m in ('matplotlib', 'jinja2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ---------------------------------------------------------------------------------------------
# The laws' building blocks


def test_ks_distance() -> None:
    assert ks_distance([0, 1, 2, 3], [0, 1, 2, 3]) == 0.0
    assert ks_distance([0, 1, 2, 3], [0, 1, 2, 3.5]) == 0.25
    assert ks_distance([0, 0, 1], [5, 6]) == 1.0
    with pytest.raises(ValidationError):
        ks_distance([], [1.0])


def test_real_only_delta_solves_the_quadratic() -> None:
    eta = np.geomspace(1e-3, 1e3, 50)[:, None]
    gamma = np.array([1e-3, 0.1, 1.0, 10.0])[None, :]
    d = real_only_delta(eta, gamma)
    assert d.shape == (50, 4) and np.all(d > 0)
    residual = gamma * d**2 + (gamma + 1 - eta) * d - eta
    np.testing.assert_allclose(residual / (eta + gamma * d**2), 0.0, atol=1e-12)
    assert float(real_only_delta(1.0, 1.0)) == pytest.approx((np.sqrt(5) - 1) / 2)
    with pytest.raises(ValidationError, match="gamma must be > 0"):
        real_only_delta(1.0, 0.0)


def test_marchenko_pastur_spectra_seeding_and_atom() -> None:
    res = marchenko_pastur_spectra(p=60, ratios=(0.5, 3.0), draws=2, rng=7)
    again = marchenko_pastur_spectra(p=60, ratios=(0.5, 3.0), draws=2, rng=7)
    for a, b in zip(res.panels, again.panels, strict=True):
        np.testing.assert_array_equal(a.eigenvalues, b.eigenvalues)
    # draw k of ratio i uses SeedSequence(seed, spawn_key=(i, k))
    z = np.random.default_rng(np.random.SeedSequence(7, spawn_key=(1, 1))).standard_normal((60, 20))
    expected = np.linalg.eigvalsh(z @ z.T / 20)
    np.testing.assert_allclose(res.panels[1].eigenvalues[1][40:], expected[40:], rtol=1e-10)
    wide = res.panels[1]
    assert wide.n_hat == 20 and wide.atom == pytest.approx(2 / 3)
    assert np.all(wide.eigenvalues[:, :40] == 0) and np.all(wide.eigenvalues[:, 40:] > 0)
    assert wide.zero_fraction == pytest.approx(2 / 3)
    with pytest.raises(ValidationError, match="ratios must be > 0"):
        marchenko_pastur_spectra(ratios=(0.0,))


def test_fixed_point_curves_against_closed_form() -> None:
    res = fixed_point_curves(p=50, ratios=[0.1, 1.0, 4.0])
    assert res.max_abs_error < 1e-9
    assert [c.closed_form is None for c in res.curves] == [False, False, True, True]
    real = res.curves[0]
    np.testing.assert_array_equal(real.delta, real.delta_s)  # C = I
    unpruned, pruned = res.curves[2], res.curves[3]
    assert np.all(pruned.delta > unpruned.delta)  # pruning drops samples that count in N
