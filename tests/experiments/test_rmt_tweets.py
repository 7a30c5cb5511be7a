"""rmt-tweets: the Fig 6 analogue on real tweets embedded with all-MiniLM-L6-v2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthmix.data import TextCorpus
from synthmix.exceptions import ValidationError
from synthmix.experiments import registry
from synthmix.experiments import rmt_tweets as rt
from synthmix.surrogate import Protocol

# A small run (400 tweets embedded into a cold cache, 2 repetitions): about 10 s on 2 cores.
SMALL = Protocol(
    n=200,
    n_use=200,
    epsilon=0.2,
    gamma=0.1,
    shares=(0.001, 0.5, 0.9),
    n_components=16,
    n_repeats=2,
)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[registry.ReproductionResult, dict]:
    out = tmp_path_factory.mktemp("rmt-tweets")
    res = rt._reproduce_tweets(
        out=out,
        quick=True,
        seed=0,
        n_jobs=1,
        scheduler=None,
        progress=None,
        n_tweets=400,
        protocol=SMALL,
        cache_dir=tmp_path_factory.mktemp("embedding-cache"),
    )
    return res, json.loads(Path(res.results_path).read_text())


def test_results_hold_every_condition_and_the_headline(
    small_run: tuple[registry.ReproductionResult, dict],
) -> None:
    res, payload = small_run
    assert res.name == "rmt-tweets" and res.quick
    (task,) = payload["tasks"]
    cells = task["conditions"]
    assert len(cells) == len(SMALL.shares) * len(rt.SETTINGS)
    assert {c["setting"] for c in cells} == {"oracle", "none", "model verifier"}
    for c in cells:
        for key in ("share", "m", "predicted", "measured", "measured_stderr", "gap_points"):
            assert np.isfinite(c[key])
        assert 0.5 < c["predicted"] < 1 and c["measured_stderr"] >= 0
        assert c["gap_points"] == pytest.approx(100 * (c["predicted"] - c["measured"]))
        # every gap above 3 points is explained, and only those
        assert (c["explanation"] is not None) == (abs(c["gap_points"]) > 3.0)
    gaps = [abs(c["gap_points"]) for c in cells]
    assert payload["mean_abs_gap_points"] == pytest.approx(np.mean(gaps))
    assert set(payload["mean_abs_gap_points_by_setting"]) == {"oracle", "none", "model verifier"}
    assert payload["protocol"]["epsilon"] == 0.2 and payload["protocol"]["gamma"] == 0.1
    # the real verifier's measured rates were fed to the theory
    ver = [c for c in cells if c["setting"] == "model verifier"]
    assert all(0 <= c["rho"] < c["phi"] <= 1 for c in ver)
    assert payload["data"]["used"] == 400 and payload["data"]["used_per_class"] == 200
    assert res.summary["mean_abs_gap_points"] == payload["mean_abs_gap_points"]


def test_the_report_is_self_contained(small_run: tuple[registry.ReproductionResult, dict]) -> None:
    res, _ = small_run
    assert all(Path(f).is_file() for f in res.figures)
    html = Path(res.report_path).read_text()
    assert "data:image/png;base64," in html and "http://" not in html
    assert "tweets" in html and "all-MiniLM-L6-v2" in html


def test_registered_for_synthmix_reproduce() -> None:
    assert "rmt-tweets" in registry.available()
    assert registry.get("rmt-tweets").config["protocol"]["n"] == 800


def test_the_paper_protocol() -> None:
    """Fig 6: n = 800, γ = 0.1, ε = 0.2, shares 0.001–0.94, oracle vs none (+ a real verifier)."""
    assert (rt.FULL.n, rt.FULL.gamma, rt.FULL.epsilon) == (800, 0.1, 0.2)
    assert min(rt.FULL.shares) == 0.001 and max(rt.FULL.shares) == 0.94
    assert rt.FULL.n_components is not None and rt.FULL.n_components <= rt.FULL.n // 8
    assert rt.QUICK.shares == rt.FULL.shares


def test_negative_positive_drops_neutral_duplicates_and_conflicts() -> None:
    corpus = TextCorpus(
        ["a", "a", "b", "c", "c", "d"],
        ["positive", "positive", "negative", "negative", "positive", "neutral"],
        [1.0, 0.5, np.nan, 1.0, 1.0, 1.0],
    )
    texts, y = rt._negative_positive(corpus)
    assert texts == ["a", "b"] and y.tolist() == [1, -1]


def test_subsample_size_is_validated() -> None:
    with pytest.raises(ValidationError, match="n_tweets"):
        rt.load_tweet_task(n_tweets=2)
