"""Worlds, training sets and the exact prediction against direct computations and defaults."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.scaling.worlds import (
    World,
    fit_generator,
    make_gaussian_world,
    make_mnist_world,
    predicted_error,
    sample_training_set,
)


@pytest.fixture(scope="module")
def world() -> World:
    return make_gaussian_world(n_items=12, dim=3, beta=1.5, rng=2)


def _direct(p: np.ndarray, prior: np.ndarray, n: np.ndarray, pi: float, h: float) -> np.ndarray:
    """``Σ_i p_i [(1 − u_i) e_i + u_i]`` with ``u_i = (1 − q_i)^n``, ``q = π p + (1 − π) p'``.

    ``e_i = (1 − π) h p'_i / q_i``: the chance that a seen class's nearest point is mislabelled.
    """
    q = pi * p + (1 - pi) * prior
    e = np.where(q > 0, (1 - pi) * h * prior / np.where(q > 0, q, 1.0), 0.0)
    unseen = (1.0 - q)[None, :] ** n[:, None]
    return ((1.0 - unseen) * e + unseen) @ p


def test_predicted_error_is_the_direct_sum_and_defaults_to_pi_005_without_hallucination(
    world: World,
) -> None:
    gen = fit_generator(world, mode="top_p", top_p=0.7, n_pool=500, rng=3)
    assert 1 <= gen.k < world.n_items
    n = np.array([0.0, 3.0, 50.0, 700.0])
    got = predicted_error(world, gen, n, pi=0.3, hallucination=0.4)
    np.testing.assert_allclose(got, _direct(world.p, gen.prior, n, 0.3, 0.4), rtol=1e-10)
    default = predicted_error(world, gen, n)
    np.testing.assert_allclose(default, _direct(world.p, gen.prior, n, 0.05, 0.0), rtol=1e-10)
    assert default[0] == pytest.approx(1.0)  # nothing seen at n = 0


def test_training_set_defaults_are_pi_005_no_hallucination_seed_0(world: World) -> None:
    gen = fit_generator(world, n_pool=500, rng=3)
    default = sample_training_set(world, gen, 4000)
    explicit = sample_training_set(world, gen, 4000, pi=0.05, hallucination=0.0, rng=0)
    np.testing.assert_array_equal(default.X, explicit.X)
    np.testing.assert_array_equal(default.y, explicit.y)
    np.testing.assert_array_equal(default.synthetic, explicit.synthetic)
    np.testing.assert_array_equal(default.y, default.item)  # no hallucinated label
    real = 1.0 - default.synthetic.mean()
    assert abs(real - 0.05) <= 4 * np.sqrt(0.05 * 0.95 / 4000)
    other = sample_training_set(world, gen, 4000, rng=1)
    assert not np.array_equal(default.X, other.X)


def test_fit_generator_defaults_are_top_p_090_pool_20000_seed_0(world: World) -> None:
    default = fit_generator(world)
    explicit = fit_generator(
        world,
        mode="top_p",
        n_pool=20000,
        top_p=0.90,
        temperature=0.5,
        corruption_noise=0.5,
        rng=0,
    )
    assert default.mode == "top_p" and default.top_p == 0.9 and default.n_pool == 20000
    assert int(default.pool_counts.sum()) == 20000
    np.testing.assert_array_equal(default.pool_counts, explicit.pool_counts)
    np.testing.assert_array_equal(default.prior, explicit.prior)
    assert not np.array_equal(fit_generator(world, rng=1).pool_counts, default.pool_counts)


@pytest.fixture(scope="module")
def digits() -> World:
    return make_mnist_world(limit=600, rng=0)


def test_real_data_world_defaults(digits: World) -> None:
    """Defaults: 6 sub-clusters per digit, β = 2, 40 components, half kept, 20% tested."""
    w = digits
    explicit = make_mnist_world(
        clusters_per_digit=6,
        beta=2.0,
        n_components=40,
        core_fraction=0.5,
        test_fraction=0.2,
        limit=600,
        rng=0,
    )
    np.testing.assert_array_equal(w.test_X, explicit.test_X)
    np.testing.assert_array_equal(w.rank, explicit.rank)
    assert w.n_items == 60 and w.dim == 40 and w.beta == 2.0
    np.testing.assert_array_equal(np.sort(w.rank), np.arange(1, 61))
    np.testing.assert_allclose(w.p, w.rank**-2.0 / np.sum(np.arange(1, 61) ** -2.0), rtol=1e-12)
    assert w.pool_X is not None and w.pool_y is not None
    n_test = np.bincount(w.test_y, minlength=60)
    total = n_test + np.bincount(w.pool_y, minlength=60)
    np.testing.assert_array_equal(
        n_test, np.minimum(total - 1, np.maximum(1, np.round(0.2 * total)))
    )
    assert 300 <= total.sum() <= 300 + 10  # the core half of each digit's 60-odd images
    X = np.concatenate([w.test_X, w.pool_X])
    y = np.concatenate([w.test_y, w.pool_y])
    within = [np.var(X[y == i], axis=0) for i in range(60)]
    assert w.noise == pytest.approx(float(np.sqrt(np.mean(within))), rel=1e-12)
