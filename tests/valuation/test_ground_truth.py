"""Tests of retraining ground truth: standalone accuracy, leave-one-out, exact Shapley."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.valuation.ground_truth import (
    GroundTruth,
    leave_one_out,
    shapley_truth,
    standalone_accuracy,
    training_accuracy,
)
from synthmix.valuation.markets import Market, make_market

Z = 4.0


@pytest.fixture(scope="module")
def small_market() -> Market:
    specs: list[dict[str, Any]] = [
        {"kind": "real", "size": 120},
        {"kind": "synthetic", "size": 150, "n_fit_per_class": 5},
        {"kind": "label_noise", "size": 100, "rate": 0.4},
        {"kind": "truncated", "size": 80, "top_p": 0.6},
    ]
    return make_market("digits", rng=21, specs=specs)


def test_clean_real_beats_half_label_noise() -> None:
    specs: list[dict[str, Any]] = [
        {"kind": "real", "size": 250},
        {"kind": "label_noise", "size": 250, "rate": 0.5},
    ]
    m = make_market("digits", rng=2, specs=specs)
    gt = standalone_accuracy(m, model="mlp", seeds=3, rng=0)
    clean, noisy = gt.values["c00-real"], gt.values["c01-label_noise"]
    se = math.hypot(gt.stderr["c00-real"], gt.stderr["c01-label_noise"])
    assert gt.stderr["c00-real"] > 0  # seeds vary the MLP
    assert clean - noisy > max(Z * se, 0.02), (clean, noisy, se)
    logistic = standalone_accuracy(m, model="logistic", seeds=3, rng=0)
    assert logistic.values["c00-real"] > logistic.values["c01-label_noise"]
    assert logistic.stderr == {"c00-real": 0.0, "c01-label_noise": 0.0}  # deterministic fit


def test_standalone_result_fields(small_market: Market) -> None:
    gt = standalone_accuracy(small_market, model="logistic", seeds=2, rng=5)
    assert isinstance(gt, GroundTruth)
    assert list(gt.values) == list(small_market.names) == list(gt.stderr)
    assert gt.kind == "standalone" and gt.model == "logistic" and gt.seeds == 2
    assert gt.market == small_market.name and gt.seed == 5 and gt.seconds > 0
    assert all(0.0 <= v <= 1.0 for v in gt.values.values())
    # pooled training beats the majority-class guess by far on digits
    assert gt.utility_full > gt.utility_empty + 0.5
    expected_empty = np.mean(small_market.test.y == np.bincount(small_market.reference.y).argmax())
    assert gt.utility_empty == pytest.approx(expected_empty)
    # a contributor's standalone accuracy is the accuracy of training on it alone
    name = small_market.names[0]
    direct = training_accuracy(small_market.contributors[name], small_market.test)
    assert gt.values[name] == pytest.approx(direct)


def test_standalone_identical_for_any_n_jobs() -> None:
    specs: list[dict[str, Any]] = [
        {"kind": "real", "size": 60},
        {"kind": "mixed", "size": 60},
        {"kind": "noise"},
    ]
    market = make_market("digits", rng=6, specs=specs)
    one = standalone_accuracy(market, model="mlp", seeds=2, rng=3, n_jobs=1)
    two = standalone_accuracy(market, model="mlp", seeds=2, rng=3, n_jobs=2)
    assert one.values == two.values
    assert one.stderr == two.stderr
    assert one.utility_full == two.utility_full


def test_shapley_efficiency_on_four_contributors(small_market: Market) -> None:
    gt = shapley_truth(small_market, model="logistic", rng=0)
    assert gt.kind == "shapley" and len(gt.values) == 4
    total = sum(gt.values.values())
    assert total == pytest.approx(gt.utility_full - gt.utility_empty, abs=1e-12)
    standalone = standalone_accuracy(small_market, model="logistic", rng=0)
    assert gt.utility_full == pytest.approx(standalone.utility_full)
    assert gt.utility_empty == pytest.approx(standalone.utility_empty)
    # the clean real contributor is worth more than the truncated synthetic one
    assert gt.values["c00-real"] > gt.values["c03-truncated"]


def test_shapley_refuses_large_markets(small_market: Market) -> None:
    with pytest.raises(ValidationError, match=r"^market must have at most max_players = 3"):
        shapley_truth(small_market, max_players=3)
    big = make_market("digits", rng=0, n_contributors=11)
    with pytest.raises(ValidationError, match=r"^market"):
        shapley_truth(big)
    with pytest.raises(ValidationError, match=r"^max_players"):
        shapley_truth(small_market, max_players=11)


def test_leave_one_out_adversarial_contributor_is_negative() -> None:
    specs: list[dict[str, Any]] = [
        {"kind": "real", "size": 150},
        {"kind": "real", "size": 150},
        {"kind": "label_noise", "size": 400, "rate": 1.0},
    ]
    m = make_market("digits", rng=4, specs=specs)
    gt = leave_one_out(m, model="logistic", rng=0)
    assert gt.kind == "loo"
    assert gt.values["c02-label_noise"] < -0.05
    # values are full-minus-without differences of real trainings
    without = Dataset.concatenate([m.contributors["c00-real"], m.contributors["c01-real"]])
    direct = gt.utility_full - training_accuracy(without, m.test)
    assert gt.values["c02-label_noise"] == pytest.approx(direct)


def test_degenerate_training_sets() -> None:
    test = Dataset(np.zeros((4, 2)), [0, 1, 1, 2])
    single = Dataset(np.ones((3, 2)), [1, 1, 1])
    assert training_accuracy(single, test) == 0.5
    empty = single.subset(np.zeros(0, dtype=np.intp))
    assert training_accuracy(empty, test, fallback=2) == 0.25
    with pytest.raises(ValidationError, match=r"^train"):
        training_accuracy(empty, test)


@pytest.mark.parametrize("fn", [standalone_accuracy, leave_one_out, shapley_truth])
@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"model": "svm"}, "model"),
        ({"seeds": 0}, "seeds"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"rng": -3}, "rng"),
    ],
)
def test_bad_parameters(fn: Any, kwargs: dict[str, Any], param: str, small_market: Market) -> None:
    with pytest.raises(ValidationError, match=rf"^{param}"):
        fn(small_market, **kwargs)


@pytest.mark.parametrize("fn", [standalone_accuracy, leave_one_out, shapley_truth])
def test_market_must_be_a_market(fn: Any) -> None:
    with pytest.raises(ValidationError, match=r"^market"):
        fn({"a": Dataset(np.eye(2), [0, 1])})


@pytest.mark.slow
def test_shapley_truth_on_a_ten_contributor_market() -> None:
    m = make_market("digits", rng=9)
    gt = shapley_truth(m, model="logistic", rng=0, n_jobs=2)
    assert len(gt.values) == 10
    assert sum(gt.values.values()) == pytest.approx(gt.utility_full - gt.utility_empty)


def _sklearn_accuracy(train: Dataset, test: Dataset, model: str, seed: int = 0) -> float:
    """The module docstring's models, fitted with sklearn directly (independent reference)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train.X)
    clf: Any = (
        LogisticRegression(C=1.0, max_iter=300)
        if model == "logistic"
        else MLPClassifier(hidden_layer_sizes=(64,), max_iter=100, random_state=seed)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(scaler.transform(train.X), train.y)
    return float(np.mean(clf.predict(scaler.transform(test.X)) == test.y))


@pytest.fixture(scope="module")
def tiny_market() -> Market:
    specs: list[dict[str, Any]] = [
        {"kind": "real", "size": 40},
        {"kind": "label_noise", "size": 40, "rate": 0.6},
    ]
    return make_market("digits", rng=3, specs=specs)


@pytest.mark.parametrize("fn", [standalone_accuracy, leave_one_out])
def test_the_model_argument_is_the_model_trained(fn: Any, tiny_market: Market) -> None:
    m = tiny_market
    pooled = Dataset.concatenate([m.contributors[n] for n in m.names])
    logistic = fn(m, model="logistic", rng=0)
    assert logistic.model == "logistic"
    assert logistic.utility_full == _sklearn_accuracy(pooled, m.test, "logistic")
    assert logistic.utility_full != _sklearn_accuracy(pooled, m.test, "mlp")  # models differ here
    mlp = fn(m, model="mlp", seeds=1, rng=0)
    assert mlp.model == "mlp"
    assert mlp.utility_full != logistic.utility_full


@pytest.mark.parametrize(("model", "fits_per_coalition"), [("logistic", 1), ("mlp", 3)])
def test_logistic_is_fitted_once_per_coalition(
    model: str, fits_per_coalition: int, tiny_market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The logistic fit is deterministic, so ``seeds`` fits of it would be wasted work."""
    from synthmix.valuation import ground_truth

    seeds_seen: list[int] = []
    inner = ground_truth.training_accuracy

    def spy(train: Dataset, test: Dataset, **kwargs: Any) -> float:
        seeds_seen.append(kwargs["seed"])
        return inner(train, test, **kwargs) if model == "logistic" else 0.5

    monkeypatch.setattr(ground_truth, "training_accuracy", spy)
    gt = standalone_accuracy(tiny_market, model=model, seeds=3, rng=4)
    assert gt.seeds == 3
    n_coalitions = len(tiny_market.names) + 1  # each contributor alone, then all pooled
    assert len(seeds_seen) == n_coalitions * fits_per_coalition
    assert len(set(seeds_seen)) == fits_per_coalition  # the same seeds for every coalition


def test_seed_averages_and_standard_errors(
    tiny_market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a stand-in model whose accuracy depends on the training set and the seed, each
    notion is its per-seed formula averaged over seeds, with stderr std(ddof=1) / sqrt(S)."""
    from synthmix.valuation import ground_truth

    def fake(train: Dataset, test: Dataset, *, model: str, seed: int, fallback: Any) -> float:
        return (train.n % 13) / 20 + (seed % 7) / 100

    m = tiny_market
    a, b = m.names
    n = {a: m.contributors[a].n, b: m.contributors[b].n}
    majority = np.bincount(m.reference.y).argmax()
    u_empty = float(np.mean(m.test.y == majority))

    def check(gt: GroundTruth, per_seed: dict[str, np.ndarray], full: np.ndarray) -> None:
        assert gt.model == "mlp" and gt.seeds == 3 and gt.seed == 17
        assert gt.utility_empty == pytest.approx(u_empty, abs=1e-15)
        assert gt.utility_full == pytest.approx(full.mean(), abs=1e-12)
        for name, v in per_seed.items():
            assert gt.values[name] == pytest.approx(v.mean(), abs=1e-12)
            assert gt.stderr[name] == pytest.approx(v.std(ddof=1) / math.sqrt(3), abs=1e-12)

    seeds: list[int] = []

    def recording(train: Dataset, test: Dataset, **kw: Any) -> float:
        seeds.append(kw["seed"])
        return fake(train, test, **kw)

    monkeypatch.setattr(ground_truth, "training_accuracy", recording)
    gt = standalone_accuracy(m, model="mlp", seeds=3, rng=17)
    s = np.array(sorted(set(seeds)))
    assert s.size == 3

    def u(size: int) -> np.ndarray:
        return (size % 13) / 20 + (s % 7) / 100

    full = u(n[a] + n[b])
    check(gt, {a: u(n[a]), b: u(n[b])}, full)
    check(
        leave_one_out(m, model="mlp", seeds=3, rng=17), {a: full - u(n[b]), b: full - u(n[a])}, full
    )
    phi_a = 0.5 * (u(n[a]) - u_empty) + 0.5 * (full - u(n[b]))
    phi_b = 0.5 * (u(n[b]) - u_empty) + 0.5 * (full - u(n[a]))
    check(shapley_truth(m, model="mlp", seeds=3, rng=17), {a: phi_a, b: phi_b}, full)
