"""Retraining ground truth for data markets (docs/math/valuation.md, "Ground truth and agreement").

Three notions of what a contributor is worth, each measured by training models from scratch
and scoring them on the market's held-out ``test`` set (never seen by valuation methods):

* :func:`standalone_accuracy` — test accuracy of a model trained on the contributor alone;
* :func:`leave_one_out` — accuracy of the model trained on all contributors pooled minus the
  accuracy without the contributor;
* :func:`shapley_truth` — exact Shapley value (:func:`synthmix.valuation.shapley.exact_shapley`)
  of the contributor in the game whose utility is the pooled-training test accuracy.

Models (``model=``): ``"logistic"`` — standardised features, multinomial
``sklearn.linear_model.LogisticRegression`` (lbfgs, ``C = 1``, ``max_iter = 300``);
``"mlp"`` — standardised features, ``sklearn.neural_network.MLPClassifier`` with one hidden
layer of 64 ReLU units (adam, ``max_iter = 100`` epochs, ``random_state`` = the seed). The logistic
fit is a convex problem solved deterministically, so its seeds give identical accuracies:
it is trained once per training set and its standard errors are 0. MLP seeds change the
initialisation and the mini-batch order; seed ``s`` is shared by every training set (common
random numbers), which makes differences such as leave-one-out values less noisy.

Degenerate training sets: an empty one (the empty coalition) predicts the majority class of
``market.reference`` (the only data a data buyer holds before buying; ties go to the smallest
label); a set with a single class predicts that class.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix._random import RngLike, seed_sequence
from synthmix._validation import check_int, fail
from synthmix.data import Dataset
from synthmix.parallel import check_n_jobs, map_tasks
from synthmix.valuation.markets import Market
from synthmix.valuation.proxy import _logistic_predict
from synthmix.valuation.shapley import MAX_EXACT_PLAYERS, exact_shapley

__all__ = [
    "MODELS",
    "GroundTruth",
    "leave_one_out",
    "shapley_truth",
    "standalone_accuracy",
    "training_accuracy",
]

#: Models ground truth can train.
MODELS = ("logistic", "mlp")
_MLP_HIDDEN = 64
_MLP_MAX_ITER = 100


@dataclass(frozen=True)
class GroundTruth:
    """Retraining values of a market's contributors.

    Attributes
    ----------
    values : dict
        Contributor name -> value, in market order: mean test accuracy (``"standalone"``),
        mean accuracy drop when left out (``"loo"``) or mean Shapley value (``"shapley"``),
        averaged over seeds.
    stderr : dict
        Contributor name -> standard error of the mean over seeds (0 when ``seeds == 1`` or
        the model is deterministic).
    kind : str
        ``"standalone"``, ``"loo"`` or ``"shapley"``.
    model : str
        ``"logistic"`` or ``"mlp"``.
    seeds : int
        Model seeds averaged over.
    seconds : float
        Wall time.
    utility_full : float
        Mean test accuracy of the model trained on all contributors pooled.
    utility_empty : float
        Test accuracy of predicting the majority class of ``market.reference``.
    market : str
        The market's name.
    seed : int
        Root of the model seeds (``rng``), so the result can be reproduced.
    """

    values: dict[str, float]
    stderr: dict[str, float]
    kind: str
    model: str
    seeds: int
    seconds: float
    utility_full: float
    utility_empty: float
    market: str
    seed: int


# --------------------------------------------------------------------------------------------
# training


def _majority(y: NDArray[Any]) -> Any:
    classes, counts = np.unique(y, return_counts=True)
    return classes[int(np.argmax(counts))]


def _fit_predict(train: Dataset, X_test: NDArray[np.float64], model: str, seed: int) -> Any:
    """Predicted labels (n_test,) of ``model`` trained on ``train`` (at least 2 classes)."""
    if model == "logistic":  # the logistic proxy's model: one fit serves both
        return _logistic_predict(train.X, train.y, X_test)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train.X)
    clf = MLPClassifier(
        hidden_layer_sizes=(_MLP_HIDDEN,), max_iter=_MLP_MAX_ITER, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(scaler.transform(train.X), train.y)
    return clf.predict(scaler.transform(X_test))


def training_accuracy(
    train: Dataset, test: Dataset, *, model: str = "logistic", seed: int = 0, fallback: Any = None
) -> float:
    """Test accuracy of ``model`` trained from scratch on ``train``.

    Parameters
    ----------
    train : Dataset
        Training data, shape (n, d); may be empty (``n = 0``) when ``fallback`` is given.
    test : Dataset
        Test data, shape (n_test, d).
    model : {"logistic", "mlp"}, default "logistic"
        See the module docstring.
    seed : int, default 0
        ``random_state`` of the MLP (the logistic fit does not use it).
    fallback : label, optional
        Predicted for every test point when ``train`` is empty.

    Returns
    -------
    float
        Fraction of test points whose label is predicted, in [0, 1]. A training set with one
        class predicts that class.
    """
    if train.n == 0:
        if fallback is None:
            raise fail("train", "hold at least one sample (or pass fallback)", train.n)
        return float(np.mean(test.y == fallback))
    classes = train.classes
    if classes.shape[0] < 2:
        return float(np.mean(test.y == classes[0]))
    pred = _fit_predict(train, test.X, model, seed)
    return float(np.mean(pred == test.y))


# --------------------------------------------------------------------------------------------
# validation and tasks


def _check_market(market: Any) -> Market:
    if not isinstance(market, Market):
        raise fail("market", "be a Market (see make_market)", type(market).__name__)
    return market


def _check_model(model: Any) -> str:
    if not isinstance(model, str) or model not in MODELS:
        raise fail("model", f"be one of {list(MODELS)}", model)
    return model


def _model_seeds(rng: RngLike, seeds: Any, model: str) -> tuple[int, list[int]]:
    """The result's seed and one int seed per model fit (a single fit for ``"logistic"``)."""
    n_seeds = check_int(seeds, "seeds", minimum=1)
    seq = seed_sequence(rng)
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        root = int(rng)
    else:
        root = int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    draws = np.random.SeedSequence(root).generate_state(n_seeds, dtype=np.uint32)
    model_seeds = [int(s) >> 1 for s in draws]
    return root, (model_seeds[:1] if model == "logistic" else model_seeds)


def _pool(market: Market, names: Sequence[str]) -> Dataset:
    parts = [market.contributors[n] for n in names]
    if not parts:
        return market.reference.subset(np.zeros(0, dtype=np.intp))
    return Dataset.concatenate(parts)


def _train_task(
    task: tuple[tuple[str, ...], int], rng: np.random.Generator, *, market: Market, model: str
) -> float:
    """``map_tasks`` worker: accuracy of the model trained on a coalition with one seed."""
    names, seed = task
    fallback = _majority(market.reference.y)
    return training_accuracy(
        _pool(market, names), market.test, model=model, seed=seed, fallback=fallback
    )


def _run(
    market: Market, coalitions: list[tuple[str, ...]], seeds: list[int], model: str, n_jobs: int
) -> NDArray[np.float64]:
    """Accuracies, shape (len(coalitions), len(seeds))."""
    tasks = [(c, s) for c in coalitions for s in seeds]
    fn = partial(_train_task, market=market, model=model)
    out = map_tasks(fn, tasks, n_jobs=n_jobs, rng=0)
    return np.asarray(out, dtype=np.float64).reshape(len(coalitions), len(seeds))


def _stderr(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard error of the mean along the last axis (0 for a single value)."""
    n = values.shape[-1]
    if n < 2:
        return np.zeros(values.shape[:-1])
    return np.asarray(values.std(axis=-1, ddof=1) / np.sqrt(n))


def _result(
    market: Market,
    per_seed: NDArray[np.float64],
    full: NDArray[np.float64],
    kind: str,
    model: str,
    n_seeds: int,
    root: int,
    start: float,
) -> GroundTruth:
    names = market.names
    mean = per_seed.mean(axis=1)
    err = _stderr(per_seed)
    return GroundTruth(
        values={n: float(v) for n, v in zip(names, mean, strict=True)},
        stderr={n: float(e) for n, e in zip(names, err, strict=True)},
        kind=kind,
        model=model,
        seeds=n_seeds,
        seconds=time.perf_counter() - start,
        utility_full=float(full.mean()),
        utility_empty=float(np.mean(market.test.y == _majority(market.reference.y))),
        market=market.name,
        seed=root,
    )


# --------------------------------------------------------------------------------------------
# public API


def standalone_accuracy(
    market: Market,
    *,
    model: str = "logistic",
    seeds: int = 3,
    rng: RngLike = None,
    n_jobs: int = 1,
) -> GroundTruth:
    """Test accuracy of a model trained from scratch on each contributor alone.

    Parameters
    ----------
    market : Market
        From :func:`synthmix.valuation.markets.make_market`.
    model : {"logistic", "mlp"}, default "logistic"
        See the module docstring.
    seeds : int, default 3
        Model seeds averaged over (the logistic model is deterministic: fitted once).
    rng : None, int, SeedSequence or Generator
        Root of the model seeds.
    n_jobs : int, default 1
        Worker processes for the ``K x seeds`` trainings (plus one pooled training per seed);
        results do not depend on it.

    Returns
    -------
    GroundTruth
        ``kind="standalone"``; ``values[c]`` = mean accuracy on ``market.test`` in [0, 1].

    Examples
    --------
    >>> from synthmix.valuation.markets import make_market
    >>> gt = standalone_accuracy(make_market("digits", rng=0), rng=0)
    >>> len(gt.values), 0.0 <= min(gt.values.values()) <= max(gt.values.values()) <= 1.0
    (10, True)
    """
    start = time.perf_counter()
    market = _check_market(market)
    model = _check_model(model)
    n_jobs = check_n_jobs(n_jobs)
    root, model_seeds = _model_seeds(rng, seeds, model)
    names = market.names
    acc = _run(market, [(n,) for n in names] + [names], model_seeds, model, n_jobs)
    return _result(market, acc[:-1], acc[-1], "standalone", model, seeds, root, start)


def leave_one_out(
    market: Market,
    *,
    model: str = "logistic",
    seeds: int = 3,
    rng: RngLike = None,
    n_jobs: int = 1,
) -> GroundTruth:
    """Accuracy of the model on all contributors pooled minus the accuracy without each one.

    Parameters
    ----------
    market : Market
    model : {"logistic", "mlp"}, default "logistic"
    seeds : int, default 3
        Model seeds; seed ``s`` is used for the full and every leave-one-out training, and
        the value is the mean over seeds of the per-seed differences.
    rng : None, int, SeedSequence or Generator
    n_jobs : int, default 1

    Returns
    -------
    GroundTruth
        ``kind="loo"``; ``values[c] = U(all) - U(all minus c)`` in [-1, 1]: negative for a
        contributor whose data hurts the pooled model.
    """
    start = time.perf_counter()
    market = _check_market(market)
    model = _check_model(model)
    n_jobs = check_n_jobs(n_jobs)
    root, model_seeds = _model_seeds(rng, seeds, model)
    names = market.names
    without = [tuple(m for m in names if m != n) for n in names]
    acc = _run(market, [names, *without], model_seeds, model, n_jobs)
    return _result(market, acc[0] - acc[1:], acc[0], "loo", model, seeds, root, start)


def shapley_truth(
    market: Market,
    *,
    model: str = "logistic",
    seeds: int = 1,
    rng: RngLike = None,
    n_jobs: int = 1,
    max_players: int = MAX_EXACT_PLAYERS,
) -> GroundTruth:
    """Exact Shapley values of the contributors for the pooled-training test accuracy.

    The utility of a coalition ``S`` is the test accuracy of the model trained on the union
    of the contributors in ``S``; ``U(∅)`` is the accuracy of predicting the majority class of
    ``market.reference``. All ``2^K`` coalitions are trained (``K = 10``: 1024 trainings per
    seed, about a minute with the logistic model on two cores).

    Parameters
    ----------
    market : Market
        At most ``max_players`` contributors.
    model : {"logistic", "mlp"}, default "logistic"
    seeds : int, default 1
        Model seeds; the Shapley values are computed per seed and averaged (Shapley values
        are linear in the utility, so this equals the values of the seed-averaged utility).
    rng : None, int, SeedSequence or Generator
    n_jobs : int, default 1
        Worker processes for the trainings.
    max_players : int, default 10
        Refuse markets with more contributors (at most 10: ``2^K`` trainings).

    Returns
    -------
    GroundTruth
        ``kind="shapley"``; ``sum(values.values()) == utility_full - utility_empty`` (up to
        round-off: efficiency).

    Raises
    ------
    synthmix.exceptions.ValidationError
        ``market`` has more than ``max_players`` contributors (message starts ``market``).
    """
    start = time.perf_counter()
    market = _check_market(market)
    model = _check_model(model)
    n_jobs = check_n_jobs(n_jobs)
    max_players = check_int(max_players, "max_players", minimum=1, maximum=MAX_EXACT_PLAYERS)
    names = market.names
    k = len(names)
    if k > max_players:
        raise fail(
            "market",
            f"have at most max_players = {max_players} contributors for exact Shapley "
            f"ground truth (2^K trainings); use standalone_accuracy or leave_one_out",
            f"{k} contributors",
        )
    root, model_seeds = _model_seeds(rng, seeds, model)
    coalitions = [tuple(n for i, n in enumerate(names) if m >> i & 1) for m in range(2**k)]
    acc = _run(market, coalitions, model_seeds, model, n_jobs)  # (2^K, S)
    acc[0] = np.mean(market.test.y == _majority(market.reference.y))
    per_seed = np.empty((k, len(model_seeds)))
    for j in range(len(model_seeds)):
        table: dict[tuple[Hashable, ...], float] = dict(
            zip(coalitions, acc[:, j].tolist(), strict=True)
        )
        res = exact_shapley(table.__getitem__, list(names))
        per_seed[:, j] = [res.values[n] for n in names]
    return _result(market, per_seed, acc[-1], "shapley", model, seeds, root, start)
