"""Candidate valuers on the development markets, against the ridge proxy: how defaults are chosen.

Run from the repository root::

    .venv/bin/python benchmarks/valuation_candidates.py digits 30
    .venv/bin/python benchmarks/valuation_candidates.py mnist 20      # also fashion, tweets
    .venv/bin/python benchmarks/valuation_candidates.py digits 30 mlp # against an MLP truth

The development markets (``make_markets(task, n, rng=SeedSequence(20261204))``) are disjoint
from every market of ``synthmix reproduce valuation-benchmark``: a candidate is chosen here and
measured there once, never tuned on the markets it is judged on. Ground truth is the
benchmark's: the stand-alone held-out accuracy of logistic regression retrained on each
source (or, with a third argument ``mlp``, of a one-hidden-layer MLP, a model no candidate
shares). Each candidate is scored, per market, by the Spearman correlation of its values with
that truth; the table prints the mean and the paired difference against the ridge proxy (the
simplest honest baseline) with a 90% bootstrap interval over markets.

Candidates (features standardised with the reference's statistics, each model fitted on one
source alone and scored on the reference): ``ridge`` and ``lda`` (the two proxies), ``ens``
(their mean: the default until the logistic member), ``logistic`` (logistic regression on the
source's own standardisation), ``ens3`` (the mean of the three: the current default,
``proxy_ensemble``), ridge at penalties 10 and 100, nearest centroid, 5-NN, ``lda_soft`` (the
LDA posterior of the true class, averaged over the reference) and mixes of them.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import RidgeClassifier
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid

from synthmix.valuation import value_sources
from synthmix.valuation.ground_truth import training_accuracy
from synthmix.valuation.markets import make_markets

DEV_SEED = 20261204


def _candidates(market: object) -> dict[str, np.ndarray]:
    names = list(market.contributors)  # type: ignore[attr-defined]
    sources, ref = market.contributors, market.reference  # type: ignore[attr-defined]
    out: dict[str, list[float]] = {}
    for model in ("ridge", "lda", "logistic"):
        res = value_sources(sources, ref, method="proxy", model=model)
        out[model] = [res.values[c] for c in names]
    mean = ref.X.mean(0)
    scale = np.where(ref.X.std(0) > 0, ref.X.std(0), 1.0)
    Zr = (ref.X - mean) / scale
    models = {
        "ridge_a10": lambda: RidgeClassifier(alpha=10.0),
        "ridge_a100": lambda: RidgeClassifier(alpha=100.0),
        "centroid": NearestCentroid,
        "knn5": lambda: KNeighborsClassifier(5),
    }
    for c in names:
        src = sources[c]
        Z = (src.X - mean) / scale
        classes = np.unique(src.y)
        for key, make in models.items():
            if classes.shape[0] < 2:
                value = float(np.mean(ref.y == classes[0]))
            else:
                est = make()
                if key == "knn5":
                    est.set_params(n_neighbors=min(5, src.n))
                value = float(est.fit(Z, src.y).score(Zr, ref.y))
            out.setdefault(key, []).append(value)
        if classes.shape[0] < 2:
            soft = float(np.mean(ref.y == classes[0]))
        else:
            lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(Z, src.y)
            proba = lda.predict_proba(Zr)
            column = {k: j for j, k in enumerate(lda.classes_)}
            soft = float(
                np.mean([proba[i, column[y]] if y in column else 0.0 for i, y in enumerate(ref.y)])
            )
        out.setdefault("lda_soft", []).append(soft)
    arr = {k: np.asarray(v) for k, v in out.items()}
    arr["ens"] = (arr["ridge"] + arr["lda"]) / 2
    arr["ens3"] = (arr["ridge"] + arr["lda"] + arr["logistic"]) / 3
    arr["ens+soft"] = (arr["ridge"] + arr["lda"] + arr["lda_soft"]) / 3
    arr["ens+centroid"] = (arr["ridge"] + arr["lda"] + arr["centroid"]) / 3
    arr["ens+knn"] = (arr["ridge"] + arr["lda"] + arr["knn5"]) / 3
    return arr


def main() -> None:
    task, n = sys.argv[1], int(sys.argv[2])
    truth_model = sys.argv[3] if len(sys.argv) > 3 else "logistic"
    # scikit-learn's LDA warns of one-sample classes in tiny sources; the fits are still valid
    warnings.simplefilter("ignore", UserWarning)
    rows = []
    for market in make_markets(task, n, rng=np.random.SeedSequence(DEV_SEED)):
        truth = [
            training_accuracy(market.contributors[c], market.test, model=truth_model)
            for c in market.contributors
        ]
        cands = _candidates(market)
        rows.append({k: float(spearmanr(v, truth).statistic) for k, v in cands.items()})
    keys = list(rows[0])
    table = np.array([[r[k] for k in keys] for r in rows])
    gen = np.random.default_rng(0)
    base = table[:, keys.index("ridge")]
    print(f"{task}: {n} development markets (root seed {DEV_SEED}), {truth_model} truth")
    print(f"{'candidate':<14}{'Spearman':>9}  vs ridge proxy, 90% interval")
    for j, key in enumerate(keys):
        diff = table[:, j] - base
        boot = [diff[gen.integers(0, n, n)].mean() for _ in range(2000)]
        lo, hi = np.quantile(boot, [0.05, 0.95])
        print(f"{key:<14}{table[:, j].mean():>9.3f}  {diff.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]")


if __name__ == "__main__":
    main()
