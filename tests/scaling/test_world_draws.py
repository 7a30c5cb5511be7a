"""Worlds' draws rebuilt with numpy from the documented streams: Zipf weights, real-data draws,
fitted generators in every mode and the real/synthetic/hallucinated training mixture."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.scaling.worlds import (
    Generator,
    World,
    _draw_real,
    _streams,
    _zipf,
    fit_generator,
    make_gaussian_world,
    sample_training_set,
)


@pytest.fixture(scope="module")
def world() -> World:
    return make_gaussian_world(n_items=10, dim=2, beta=1.5, noise=0.25, n_test_per_item=1, rng=2)


def test_zipf_weights_are_normalised_doubles_for_any_exponent_type() -> None:
    for beta in (2, 2.0, np.int64(3)):
        w = _zipf(6, beta)
        direct = np.array([1 / i ** float(beta) for i in range(1, 7)])
        np.testing.assert_allclose(w, direct / direct.sum(), rtol=1e-14)
        assert w.dtype == np.float64 and w.sum() == pytest.approx(1.0, rel=1e-14)


def test_real_draw_picks_the_uth_point_of_each_class_in_pool_order() -> None:
    pool_y = np.array([2, 0, 1, 2, 0, 2], dtype=np.int64)
    pool_X = np.arange(12, dtype=np.float64).reshape(6, 2)
    w = World(
        name="toy",
        p=np.array([0.5, 0.3, 0.2]),
        rank=np.array([1, 2, 3]),
        beta=2.0,
        test_X=np.zeros((3, 2)),
        test_y=np.arange(3),
        pool_X=pool_X,
        pool_y=pool_y,
    )
    items = np.array([0, 0, 1, 2, 2, 2, 2], dtype=np.int64)
    u = np.array([0.1, 0.99, 0.5, 0.0, 0.34, 0.67, 1.0])
    want = []
    for c, v in zip(items, u, strict=True):
        rows = np.flatnonzero(pool_y == c)  # the class's points in pool order
        want.append(pool_X[rows[min(int(np.floor(v * rows.size)), rows.size - 1)]])
    np.testing.assert_array_equal(_draw_real(w, items, np.zeros((7, 2)), u), np.array(want))


def _pool(world: World, n_pool: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The generator's real pool: classes ~ p, then normals, then the (unused) uniforms."""
    g = np.random.default_rng(seed)
    items = g.choice(world.n_items, size=n_pool, p=world.p)
    assert world.means is not None
    return items, world.means[items] + world.noise * g.standard_normal((n_pool, world.dim))


@pytest.mark.parametrize("mode", ["top_p", "temperature", "pool"])
def test_fitted_generator_is_the_pool_statistics_of_its_mode(world: World, mode: str) -> None:
    gen = fit_generator(world, mode=mode, n_pool=60, top_p=0.7, temperature=0.4, rng=5)
    items, X = _pool(world, 60, 5)
    counts = np.bincount(items, minlength=10)
    np.testing.assert_array_equal(gen.pool_counts, counts)
    p_hat = counts / 60
    if mode == "top_p":  # the smallest most-frequent prefix (ties by index) with mass >= 0.7
        order = sorted(range(10), key=lambda i: (-counts[i], i))
        kept, mass = [], 0.0
        for i in order:
            if mass >= 0.7 - 1e-12:
                break
            kept.append(i)
            mass += p_hat[i]
        prior = np.where(np.isin(np.arange(10), kept), p_hat, 0.0)
    elif mode == "temperature":
        prior = p_hat ** (1 / 0.4)
    else:
        prior = p_hat
    np.testing.assert_allclose(gen.prior, prior / prior.sum(), rtol=1e-12)
    assert gen.prior.dtype == np.float64
    assert gen.k == np.count_nonzero(prior) and gen.n_pool == 60
    for c in np.flatnonzero(counts >= 2):
        np.testing.assert_allclose(gen.means[c], X[items == c].mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(gen.scales[c], X[items == c].std(axis=0, ddof=1), rtol=1e-10)


def test_a_one_point_pool_falls_back_to_the_worlds_noise_variance(world: World) -> None:
    gen = fit_generator(world, mode="pool", n_pool=1, rng=3)
    items, X = _pool(world, 1, 3)
    np.testing.assert_allclose(gen.scales, np.full((10, 2), 0.25), rtol=1e-14)
    np.testing.assert_allclose(gen.means[items[0]], X[0], rtol=1e-14)
    assert gen.k == 1 and gen.prior[items[0]] == 1.0


def test_corruption_noise_is_in_units_of_the_worlds_noise(world: World) -> None:
    gen = fit_generator(world, mode="corruption", corruption_noise=0.8)
    assert gen.corruption_noise == pytest.approx(0.8 * 0.25, rel=1e-14)
    np.testing.assert_array_equal(gen.prior, world.p)
    assert gen.k == 10 and gen.n_pool == 0


def _rebuild(
    world: World, gen: Generator, n: int, pi: float, h: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Five uniforms per draw (real?, class, hallucinated?, wrong label, unused here), world
    normals and extra normals, each from its own stream."""
    uniforms, normals, extra = _streams(seed, 3)
    u = uniforms.random((n, 5))
    z = normals.standard_normal((n, world.dim))
    e = extra.standard_normal((n, world.dim))
    syn = u[:, 0] >= pi
    K = world.n_items
    item = np.empty(n, dtype=np.int64)
    for r in range(n):
        w = gen.prior if syn[r] else world.p
        cdf = np.cumsum(w)
        item[r] = min(int(np.sum(cdf <= u[r, 1] * cdf[-1])), K - 1)
    assert world.means is not None
    X = world.means[item] + world.noise * z
    if gen.mode == "corruption":
        X[syn] += gen.corruption_noise * e[syn]
    else:
        X[syn] = gen.means[item[syn]] + gen.scales[item[syn]] * e[syn]
    y = item.copy()
    wrong = syn & (u[:, 2] < h)
    y[wrong] = (item[wrong] + 1 + np.floor(u[wrong, 3] * (K - 1)).astype(np.int64)) % K
    return X, y, item, syn


@pytest.mark.parametrize("mode", ["top_p", "corruption"])
def test_training_set_is_the_documented_mixture_of_streams(world: World, mode: str) -> None:
    gen = fit_generator(world, mode=mode, n_pool=80, top_p=0.8, corruption_noise=2.0, rng=1)
    train = sample_training_set(world, gen, 300, pi=0.3, hallucination=0.5, rng=11)
    X, y, item, syn = _rebuild(world, gen, 300, 0.3, 0.5, 11)
    np.testing.assert_array_equal(train.synthetic, syn)
    np.testing.assert_array_equal(train.item, item)
    np.testing.assert_allclose(train.X, X, rtol=1e-12)
    np.testing.assert_array_equal(train.y, y)
    wrong = train.y != train.item
    assert np.all(train.synthetic[wrong])  # only synthetic draws carry wrong labels
    assert 0 < wrong.sum() < train.synthetic.sum() < 300
    small = sample_training_set(world, gen, 40, pi=0.3, hallucination=0.5, rng=11)
    np.testing.assert_array_equal(small.X, train.X[:40])  # nested: a prefix of the draw
    np.testing.assert_array_equal(small.y, train.y[:40])
