"""Zipf worlds, fitted generators, learners and learned curves (docs/math/scaling.md)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.experiments.scaling_learned import QUICK
from synthmix.scaling import LongTailModel, expected_error
from synthmix.scaling.learned import (
    ArmSettings,
    LearnedScalingSettings,
    _fit_curve,
    run_learned_scaling,
)
from synthmix.scaling.learners import LEARNERS, fit_predict, weighted_error
from synthmix.scaling.worlds import (
    Generator,
    World,
    fit_generator,
    make_gaussian_world,
    make_mnist_world,
    predicted_error,
    sample_training_set,
    training_frequencies,
)


@pytest.fixture(scope="module")
def world() -> World:
    return make_gaussian_world(n_items=200, dim=32, beta=2.0, rng=11)


def test_one_nn_tracks_the_exact_prediction(world: World) -> None:
    """1-NN on well-separated Gaussian classes is the spec's perfect memoriser (a = b = 0).

    Rule (docs/conventions.md): |mean - exact| <= 4 se + bias over 24 independent training
    sets, with bias = the largest mean error on classes present in the training labels —
    exactly the part the a = 0 model sets to zero (here it must itself be tiny).
    """
    gen = fit_generator(world, mode="top_p", rng=1)
    sizes = (20, 60, 200, 700, 2500)
    reps = 24
    errs = np.empty((reps, len(sizes)))
    seen_err = np.empty((reps, len(sizes)))
    for r in range(reps):
        train = sample_training_set(
            world, gen, sizes[-1], pi=0.05, rng=np.random.SeedSequence(5, spawn_key=(r,))
        )
        for j, n in enumerate(sizes):
            pred = fit_predict("1nn", train.X[:n], train.y[:n], world.test_X)
            errs[r, j], per_item = weighted_error(world, pred)
            seen = np.zeros(world.n_items, dtype=bool)
            seen[train.y[:n]] = True
            seen_err[r, j] = world.p[seen] @ per_item[seen]
    exact = predicted_error(world, gen, np.array(sizes, dtype=float), pi=0.05)
    mean = errs.mean(axis=0)
    se = errs.std(axis=0, ddof=1) / np.sqrt(reps)
    bias = float(np.max(seen_err.mean(axis=0)))
    assert bias < 1e-3
    assert np.all(se > 0)
    assert np.all(np.abs(mean - exact) <= 4.0 * se + bias), (mean, exact, se)


def test_prediction_matches_the_zipf_model_for_an_exact_cut(world: World) -> None:
    k = 6
    prior = np.where(np.arange(world.n_items) < k, world.p, 0.0)
    gen = Generator(
        mode="top_p",
        prior=prior / prior.sum(),
        means=world.means,  # type: ignore[arg-type]
        scales=np.zeros((world.n_items, world.dim)),
        pool_counts=np.zeros(world.n_items, dtype=np.int64),
        n_pool=0,
        k=k,
    )
    n = np.geomspace(10, 1e5, 7)
    model = LongTailModel(beta=2.0, k=k, pi=0.1, M=world.n_items)
    np.testing.assert_allclose(
        predicted_error(world, gen, n, pi=0.1), expected_error(model, n), rtol=1e-10
    )


def test_top_p_keeps_the_head_of_the_right_size(world: World) -> None:
    gen = fit_generator(world, mode="top_p", top_p=0.9, n_pool=200_000, rng=2)
    expected_k = LongTailModel(beta=2.0, top_p=0.9, M=world.n_items).k
    assert expected_k == 6
    assert gen.k == expected_k
    kept = np.flatnonzero(gen.prior > 0)
    np.testing.assert_array_equal(kept, np.arange(expected_k))  # the head, by rank
    p_hat = gen.pool_counts / gen.pool_counts.sum()
    assert p_hat[kept].sum() >= 0.9 > p_hat[kept].sum() - p_hat[kept].min()
    np.testing.assert_allclose(gen.prior[kept], p_hat[kept] / p_hat[kept].sum())


def test_temperature_thins_without_cutting(world: World) -> None:
    gen = fit_generator(world, mode="temperature", temperature=0.5, n_pool=5000, rng=3)
    in_pool = gen.pool_counts > 0
    np.testing.assert_array_equal(gen.prior > 0, in_pool)  # every class the pool knows
    assert gen.k == int(in_pool.sum()) > 50
    p_hat = gen.pool_counts / gen.pool_counts.sum()
    i, j = 0, int(np.flatnonzero(in_pool)[-1])
    assert gen.prior[j] / gen.prior[i] == pytest.approx((p_hat[j] / p_hat[i]) ** 2)
    assert gen.prior[5:].sum() < p_hat[5:].sum()  # the tail is thinned


def test_pool_mode_only_knows_pool_classes(world: World) -> None:
    gen = fit_generator(world, mode="pool", n_pool=40, rng=4)
    in_pool = gen.pool_counts > 0
    assert gen.k == int(in_pool.sum()) < 40
    np.testing.assert_allclose(gen.prior, gen.pool_counts / 40)
    train = sample_training_set(world, gen, 3000, pi=0.2, rng=5)
    assert np.all(in_pool[train.item[train.synthetic]])
    assert not np.all(in_pool[train.item[~train.synthetic]])  # real draws reach the tail


def test_corruption_arm_keeps_the_full_prior(world: World) -> None:
    gen = fit_generator(world, mode="corruption", corruption_noise=2.0, rng=6)
    np.testing.assert_array_equal(gen.prior, world.p)
    assert gen.k == world.n_items
    train = sample_training_set(world, gen, 40_000, pi=0.1, rng=7)
    syn = train.item[train.synthetic]
    freq = np.bincount(syn, minlength=world.n_items) / syn.shape[0]
    se = np.sqrt(world.p * (1 - world.p) / syn.shape[0])
    assert np.all(np.abs(freq - world.p)[:20] <= 4 * se[:20])
    np.testing.assert_array_equal(train.y, train.item)  # corruption never changes labels
    assert world.means is not None
    dev = np.linalg.norm(train.X - world.means[train.item], axis=1)
    # noise sd 0.25 (real) vs sqrt(0.25^2 + 0.5^2) (corrupted), in d = 32
    assert dev[train.synthetic].mean() > 2.0 * dev[~train.synthetic].mean()
    q = training_frequencies(world, gen, pi=0.1)
    np.testing.assert_allclose(q, world.p)


def test_hallucination_fraction_is_respected(world: World) -> None:
    gen = fit_generator(world, rng=8)
    train = sample_training_set(world, gen, 20_000, pi=0.2, hallucination=0.3, rng=9)
    syn = train.synthetic
    wrong = train.y != train.item
    rate = wrong[syn].mean()
    assert abs(rate - 0.3) <= 4 * np.sqrt(0.3 * 0.7 / syn.sum())
    assert not np.any(wrong[~syn])  # real draws keep their labels
    assert abs(syn.mean() - 0.8) <= 4 * np.sqrt(0.8 * 0.2 / syn.shape[0])
    # the prediction of a hallucinating mixture is higher than of a clean one
    n = np.array([100.0, 1000.0])
    assert np.all(
        predicted_error(world, gen, n, hallucination=0.3) > predicted_error(world, gen, n)
    )


def test_training_sets_are_nested(world: World) -> None:
    gen = fit_generator(world, rng=10)
    small = sample_training_set(world, gen, 50, hallucination=0.2, rng=12)
    large = sample_training_set(world, gen, 400, hallucination=0.2, rng=12)
    np.testing.assert_array_equal(small.X, large.X[:50])
    np.testing.assert_array_equal(small.y, large.y[:50])


def test_weighted_error_weights_by_the_prior(world: World) -> None:
    assert weighted_error(world, world.test_y)[0] == 0.0
    wrong = (world.test_y + 1) % world.n_items
    assert weighted_error(world, wrong)[0] == pytest.approx(1.0)
    only_head_wrong = np.where(world.test_y == 0, wrong, world.test_y)
    assert weighted_error(world, only_head_wrong)[0] == pytest.approx(world.p[0])


def test_learners_memorise_separated_classes(world: World) -> None:
    gen = fit_generator(world, rng=13)
    train = sample_training_set(world, gen, 300, pi=0.3, rng=14)
    seen = np.isin(world.test_y, train.y)
    for learner in LEARNERS:
        pred = fit_predict(learner, train.X, train.y, world.test_X, rng=0)
        assert np.all(pred[~seen] != world.test_y[~seen])  # unseen classes are never predicted
        assert np.mean(pred[seen] == world.test_y[seen]) > 0.9, learner


def test_real_data_world(tmp_path: Path) -> None:
    w = make_mnist_world(clusters_per_digit=3, beta=1.5, limit=1500, rng=0)
    assert w.n_items == 30 and w.beta == 1.5
    assert w.p.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(np.sort(w.rank), np.arange(1, 31))
    assert w.pool_y is not None and set(np.unique(w.test_y)) == set(np.unique(w.pool_y))
    assert np.all(np.bincount(w.test_y, minlength=30) >= 1)
    gen = fit_generator(w, rng=1)
    assert 1 <= gen.k < w.n_items
    train = sample_training_set(w, gen, 200, rng=2)
    assert train.X.shape == (200, w.dim)


def _tiny_settings() -> LearnedScalingSettings:
    return replace(
        QUICK,
        arms=(ArmSettings("g", "gaussian", "top_p", ("1nn", "logistic")),),
        sizes=(5, 10, 20, 40, 80, 160, 320, 640),
        n_items=50,
        n_pool=2000,
        n_boot=10,
    )


def test_same_results_for_any_n_jobs() -> None:
    a = run_learned_scaling(_tiny_settings(), seed=3, n_jobs=1)
    b = run_learned_scaling(_tiny_settings(), seed=3, n_jobs=2)
    for ca, cb in zip(a.arms[0].curves, b.arms[0].curves, strict=True):
        np.testing.assert_array_equal(ca.errors, cb.errors)
        np.testing.assert_array_equal(ca.fit.breakpoints, cb.fit.breakpoints)
    np.testing.assert_array_equal(a.arms[0].predicted, b.arms[0].predicted)
    assert a.arms[0].world_name == "gaussian" and a.seconds > 0 and a.seed == 3


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda w: make_gaussian_world(n_items=1), "n_items"),
        (lambda w: make_gaussian_world(beta=1.0), "beta"),
        (lambda w: make_gaussian_world(noise=-1.0), "noise"),
        (lambda w: make_gaussian_world(n_test_per_item=0), "n_test_per_item"),
        (lambda w: make_mnist_world(test_fraction=1.0), "test_fraction"),
        (lambda w: make_mnist_world(core_fraction=0.0), "core_fraction"),
        (lambda w: fit_generator(w, mode="nucleus"), "mode"),
        (lambda w: fit_generator(w, top_p=1.5), "top_p"),
        (lambda w: fit_generator(w, top_p=0.0), "top_p"),
        (lambda w: fit_generator(w, temperature=0.0), "temperature"),
        (lambda w: fit_generator(w, n_pool=0), "n_pool"),
        (lambda w: fit_generator(w, corruption_noise=-0.1), "corruption_noise"),
        (lambda w: fit_generator("w"), "world"),
        (lambda w: sample_training_set(w, fit_generator(w), 0), "n"),
        (lambda w: sample_training_set(w, fit_generator(w), 5, pi=0.0), "pi"),
        (
            lambda w: sample_training_set(w, fit_generator(w), 5, hallucination=2),
            "hallucination",
        ),
        (lambda w: fit_predict("svm", w.test_X, w.test_y, w.test_X), "learner"),
        (lambda w: weighted_error(w, w.test_y[:3]), "predicted"),
        (lambda w: ArmSettings("a", "cifar", "top_p"), "data"),
        (lambda w: ArmSettings("a", "gaussian", "top_p", ("knn",)), "learners"),
        (lambda w: ArmSettings("a", "gaussian", "top_p", n_pool=0), "n_pool"),
        (lambda w: replace(QUICK, sizes=(1, 2, 3)), "sizes"),
        (lambda w: replace(QUICK, n_seeds=1), "n_seeds"),
        (lambda w: run_learned_scaling(QUICK, seed=-1), "seed"),
    ],
)
def test_bad_parameters_name_the_parameter(call: Any, name: str, world: World) -> None:
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        call(world)


def test_settings_as_dict_round_trips_every_field() -> None:
    """The cache key holds every setting and every arm's settings, as plain JSON values."""
    import dataclasses
    import json

    st = QUICK
    doc = st.as_dict()
    json.dumps(doc)  # JSON-able
    for f in dataclasses.fields(st):
        if f.name == "arms":
            continue
        want = getattr(st, f.name)
        assert doc[f.name] == (list(want) if isinstance(want, tuple) else want), f.name
    assert len(doc["arms"]) == len(st.arms)
    for got, arm in zip(doc["arms"], st.arms, strict=True):
        for f in dataclasses.fields(arm):
            want = getattr(arm, f.name)
            assert got[f.name] == (list(want) if isinstance(want, tuple) else want), f.name


def test_gaussian_world_ranks_and_corruption_pool(world: World) -> None:
    """Items are ranked 1..K by their Zipf frequency; the corruption control fits no pool."""
    np.testing.assert_array_equal(world.rank, np.arange(1, world.n_items + 1))
    gen = fit_generator(world, mode="corruption", rng=0)
    assert gen.pool_counts.dtype == np.int64
    np.testing.assert_array_equal(gen.pool_counts, np.zeros(world.n_items, dtype=np.int64))


def test_gaussian_world_ranks_are_one_to_k_with_zipf_frequencies() -> None:
    world = make_gaussian_world(n_items=7, dim=3, beta=1.5, rng=0)
    np.testing.assert_array_equal(world.rank, np.arange(1, 8))
    zipf = np.arange(1, 8) ** -1.5
    np.testing.assert_allclose(world.p, zipf / zipf.sum(), rtol=1e-12)


def test_learned_curve_fit_resamples_whole_seeds_and_counts_floored_points() -> None:
    sizes = np.unique(np.geomspace(10, 1e5, 12).astype(np.int64))
    x = np.log(sizes)
    base = np.exp(-0.5 * x + 0.3 * np.maximum(0, x - np.log(300)))  # strictly decreasing
    errors = np.stack([base * (1 + 0.02 * k) for k in range(3)])
    floor = float(np.sort(errors.ravel())[4])  # four points strictly below it
    seq = np.random.SeedSequence(11)
    fit, floored = _fit_curve(sizes, errors, floor, seq, 20)
    assert floored == 4
    assert fit.bootstrap == "seeds"
    assert fit.n_points == errors.size
    assert fit.seed == 11
