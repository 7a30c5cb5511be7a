"""run_learned_scaling records what its documented seeding and formulas give, field by field."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from synthmix.scaling.fit import fit_three_phase
from synthmix.scaling.learned import (
    AGREEMENT_Z,
    ArmSettings,
    LearnedScalingResult,
    LearnedScalingSettings,
    agreement,
    fit_json,
    geometric_sizes,
    run_learned_scaling,
    three_phases_found,
)
from synthmix.scaling.learners import LEARNERS, fit_predict, weighted_error
from synthmix.scaling.worlds import (
    Generator,
    World,
    fit_generator,
    make_gaussian_world,
    predicted_error,
    sample_training_set,
)

SEED = 7
_SETTINGS = LearnedScalingSettings(
    arms=(
        ArmSettings("cut", "gaussian", "top_p", ("1nn",), pi=0.2, hallucination=0.3),
        ArmSettings("soft", "gaussian", "temperature", ("1nn",), pi=0.1, n_pool=300),
    ),
    sizes=(4, 8, 16, 32, 64, 128, 256, 512),
    n_seeds=2,
    n_items=30,
    dim=4,
    n_pool=500,
    n_boot=10,
)


@pytest.fixture(scope="module")
def run() -> tuple[LearnedScalingResult, list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []
    out = run_learned_scaling(_SETTINGS, seed=SEED, progress=lambda d, t: calls.append((d, t)))
    return out, calls


@pytest.fixture(scope="module")
def result(run: tuple[LearnedScalingResult, list[tuple[int, int]]]) -> LearnedScalingResult:
    return run[0]


def test_progress_counts_every_arm_learner_size_and_seed(
    run: tuple[LearnedScalingResult, list[tuple[int, int]]],
) -> None:
    result, calls = run
    total = 2 * 8 * 2  # arms with one learner each, sizes, seeds
    assert calls[-1] == (total, total)
    assert all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert result.seed == SEED and result.settings is _SETTINGS and result.seconds > 0
    assert [a.settings.name for a in result.arms] == ["cut", "soft"]


@pytest.fixture(scope="module")
def world() -> World:
    """The Gaussian world of the documented seeding, ``SeedSequence(seed, spawn_key=(0, 0))``."""
    st = _SETTINGS
    return make_gaussian_world(
        n_items=st.n_items,
        dim=st.dim,
        beta=st.beta,
        noise=st.noise,
        n_test_per_item=st.n_test_per_item,
        rng=np.random.SeedSequence(SEED, spawn_key=(0, 0)),
    )


def _generators(a: int) -> list[Generator]:
    arm = _SETTINGS.arms[a]
    w = make_gaussian_world(
        n_items=_SETTINGS.n_items,
        dim=_SETTINGS.dim,
        rng=np.random.SeedSequence(SEED, spawn_key=(0, 0)),
    )
    return [
        fit_generator(
            w,
            mode=arm.mode,
            n_pool=_SETTINGS.n_pool if arm.n_pool is None else arm.n_pool,
            top_p=arm.top_p,
            temperature=arm.temperature,
            corruption_noise=arm.corruption_noise,
            rng=np.random.SeedSequence(SEED, spawn_key=(1, a, r)),
        )
        for r in range(_SETTINGS.n_seeds)
    ]


@pytest.mark.parametrize("a", [0, 1])
def test_prediction_uses_each_seeds_generator_and_the_arms_mixture(
    result: LearnedScalingResult, world: World, a: int
) -> None:
    arm = _SETTINGS.arms[a]
    out = result.arms[a]
    gens = _generators(a)
    sizes = np.array(_SETTINGS.sizes, dtype=float)
    np.testing.assert_array_equal(out.k, [g.k for g in gens])
    want = np.stack(
        [predicted_error(world, g, sizes, pi=arm.pi, hallucination=arm.hallucination) for g in gens]
    )
    np.testing.assert_allclose(out.predicted, want, rtol=1e-12)
    np.testing.assert_allclose(out.predicted_mean, want.mean(axis=0), rtol=1e-12)
    clean = np.stack([predicted_error(world, g, sizes, pi=arm.pi) for g in gens])
    np.testing.assert_allclose(out.predicted_seen, want - clean, rtol=1e-12, atol=1e-15)
    dense_n = np.geomspace(2.0, 1024.0, 200)
    np.testing.assert_allclose(out.predicted_dense[0], dense_n, rtol=1e-12)
    dense = np.mean(
        [
            predicted_error(world, g, dense_n, pi=arm.pi, hallucination=arm.hallucination)
            for g in gens
        ],
        axis=0,
    )
    np.testing.assert_allclose(out.predicted_dense[1], dense, rtol=1e-12)


def test_the_arms_pi_differs_from_predicted_errors_default(world: World) -> None:
    """Guards the test above: pi = 0.2 and 0.1 are not predicted_error's default 0.05."""
    gen = _generators(0)[0]
    n = np.array([10.0, 100.0])
    assert not np.allclose(predicted_error(world, gen, n, pi=0.2), predicted_error(world, gen, n))


def test_hallucinated_arm_has_a_positive_seen_part(result: LearnedScalingResult) -> None:
    seen = result.arms[0].predicted_seen
    assert np.all(seen[:, -1] > 0)
    np.testing.assert_array_equal(result.arms[1].predicted_seen, 0.0)


def test_breakpoints_at_the_median_cut_and_none_for_temperature(
    result: LearnedScalingResult, world: World
) -> None:
    cut = result.arms[0]
    k = int(np.median(cut.k))
    assert 1 <= k < world.n_items
    # n1 = Z k^β / A with A = π + (1 − π)/P_k, n2 = Z (k+1)^β / π (β = 2)
    z = float(np.sum(np.arange(1, world.n_items + 1, dtype=float) ** -2.0))
    head = float(np.sum(np.arange(1, k + 1, dtype=float) ** -2.0)) / z
    big_a = 0.2 + 0.8 / head
    np.testing.assert_allclose(
        cut.predicted_breakpoints, [z * k**2 / big_a, z * (k + 1) ** 2 / 0.2], rtol=1e-10
    )
    soft = result.arms[1]
    assert np.all(soft.k < world.n_items)  # a cut would exist: nan comes from the mode only
    assert soft.predicted_breakpoints.shape == (2,)
    assert all(math.isnan(v) for v in soft.predicted_breakpoints)


def _floor(world: World) -> float:
    return float(world.p.min()) / int(np.bincount(world.test_y).max())


@pytest.mark.parametrize("a", [0, 1])
def test_fits_use_the_documented_streams_and_floor(
    result: LearnedScalingResult, world: World, a: int
) -> None:
    out = result.arms[a]
    sizes = np.array(_SETTINGS.sizes, dtype=float)
    floor = _floor(world)
    assert floor == pytest.approx(world.p[-1] / _SETTINGS.n_test_per_item, rel=1e-12)
    seeds = np.repeat(np.arange(2), sizes.shape[0])
    exact = fit_three_phase(
        np.tile(sizes, 2),
        np.maximum(out.predicted, floor).ravel(),
        seeds=seeds,
        rng=np.random.SeedSequence(SEED, spawn_key=(4, a, len(LEARNERS))),
        n_boot=_SETTINGS.n_boot,
    )
    np.testing.assert_allclose(out.exact_fit.breakpoints_ci, exact.breakpoints_ci, rtol=1e-10)
    np.testing.assert_allclose(out.exact_fit.slopes_ci, exact.slopes_ci, rtol=1e-10)
    (curve,) = out.curves
    assert curve.error_floor == floor
    assert curve.n_floored == int(np.count_nonzero(curve.errors < floor))
    fit = fit_three_phase(
        np.tile(sizes, 2),
        np.maximum(curve.errors, floor).ravel(),
        seeds=seeds,
        rng=np.random.SeedSequence(SEED, spawn_key=(4, a, 0)),
        n_boot=_SETTINGS.n_boot,
    )
    np.testing.assert_allclose(curve.fit.breakpoints_ci, fit.breakpoints_ci, rtol=1e-10)
    np.testing.assert_allclose(curve.fit.slopes_ci, fit.slopes_ci, rtol=1e-10)
    np.testing.assert_array_equal(curve.sizes, _SETTINGS.sizes)
    np.testing.assert_allclose(curve.mean, curve.errors.mean(axis=0), rtol=1e-12)
    se = np.abs(curve.errors[0] - curve.errors[1]) / 2.0  # std(ddof=1)/sqrt(2) of two values
    np.testing.assert_allclose(curve.stderr, se, rtol=1e-12, atol=1e-15)
    assert curve.arm == _SETTINGS.arms[a].name and curve.learner == "1nn"
    assert out.settings is _SETTINGS.arms[a] and out.world_name == "gaussian"


def test_agreement_of_a_hand_made_curve(result: LearnedScalingResult) -> None:
    """gap = |mean − exact|, bias = max |seen − predicted seen|, within: gap <= 4 se + bias."""
    arm = dataclasses.replace(
        result.arms[0],
        predicted_mean=np.array([0.5, 0.25, 0.25, 0.0]),
        predicted_seen=np.array([[0.0, 0.25, 0.0, 0.0]] * 2),
    )
    curve = dataclasses.replace(
        result.arms[0].curves[0],
        mean=np.array([1.0, 0.5, 0.25, 1.0]),
        stderr=np.array([0.0625, 0.0625, 0.0, 0.0625]),
        seen_error=np.array([[0.125, 0.0, 0.0, 0.0]] * 2),
    )
    out = agreement(curve, arm)
    assert AGREEMENT_Z == 4.0 and out["z"] == 4.0
    assert out["bias"] == 0.25  # |0 − 0.25| beats |0.125 − 0|
    # gaps 0.5, 0.25, 0, 1 against 4 se + bias = 0.5 (equal: inside), 0.5, 0.25, 0.5
    assert out["within"] == [True, True, True, False]
    assert out["all_within"] is False
    assert out["max_abs_z"] == 16.0  # 1 / 0.0625; the se = 0 size is left out
    assert out["max_abs_error"] == 1.0
    close = dataclasses.replace(curve, mean=np.array([0.53125, 0.25, 0.25, 0.0]))
    inside = agreement(close, arm)
    assert inside["within"] == [True] * 4 and inside["all_within"] is True
    assert inside["max_abs_z"] == 0.5  # 0.03125 / 0.0625; a size with se = 0 counts as 0


def test_three_phases_found_needs_three_segments_and_the_flattest_middle(
    result: LearnedScalingResult,
) -> None:
    base = result.arms[0].exact_fit

    def found(slopes: list[float], n_phases: int = 3) -> bool:
        fit = dataclasses.replace(base, slopes=np.array(slopes), n_phases=n_phases)
        return three_phases_found(fit)

    assert found([-1.0, -0.1, -0.6]) is True
    assert found([-1.0, -0.1, -0.6], n_phases=2) is False
    assert found([-1.0, -1.0, -1.2]) is False  # middle not above the first
    assert found([-1.0, -0.6, -0.6]) is False  # middle not above the last
    assert found([-0.1, -0.5, -0.6]) is False


def test_fit_json_holds_every_reported_field(result: LearnedScalingResult) -> None:
    fit = result.arms[0].curves[0].fit
    doc = fit_json(fit)
    assert doc["breakpoints"] == fit.breakpoints.tolist()
    assert doc["breakpoints_ci"] == fit.breakpoints_ci.tolist()
    assert doc["slopes"] == fit.slopes.tolist()
    assert doc["slopes_ci"] == fit.slopes_ci.tolist()
    assert doc["n_phases"] == fit.n_phases
    assert doc["bic"] == {str(k): v for k, v in fit.bic.items()} and len(doc["bic"]) == 3
    assert doc["plateau_consistent"] == fit.plateau_consistent
    assert doc["three_phases_found"] == three_phases_found(fit)
    assert doc["residual_sd"] == fit.residual_sd
    assert doc["bootstrap"] == "seeds"
    assert doc["n_boot"] == 10 and doc["confidence"] == fit.confidence


def test_geometric_sizes_are_rounded_distinct_integers() -> None:
    assert geometric_sizes(1, 1000, 4) == (1, 10, 100, 1000)
    # 4^(j/6): 1, 1.26, 1.59, 2, 2.52, 3.17, 4 round to 1, 1, 2, 2, 3, 3, 4
    sizes = geometric_sizes(1, 4, 7)
    assert sizes == (1, 2, 3, 4) and all(type(v) is int for v in sizes)
    assert geometric_sizes(1, 9, 5) == (1, 2, 3, 5, 9)  # 1, 1.73, 3, 5.20, 9 rounded


@pytest.mark.parametrize("a", [0, 1])
def test_one_nn_errors_come_from_the_documented_training_streams(
    result: LearnedScalingResult, world: World, a: int
) -> None:
    """1-NN needs no randomness of its own: each point is reproducible from the seeding."""
    arm = _SETTINGS.arms[a]
    (curve,) = result.arms[a].curves
    for r, gen in enumerate(_generators(a)):
        stream = np.random.SeedSequence(SEED, spawn_key=(2, a, r))
        for j, n in enumerate(_SETTINGS.sizes):
            train = sample_training_set(
                world, gen, n, pi=arm.pi, hallucination=arm.hallucination, rng=stream
            )
            err, per_item = weighted_error(
                world, fit_predict("1nn", train.X, train.y, world.test_X)
            )
            seen = np.isin(np.arange(world.n_items), train.y)
            assert curve.errors[r, j] == pytest.approx(err, rel=1e-12, abs=1e-15)
            assert curve.seen_error[r, j] == pytest.approx(
                float(world.p[seen] @ per_item[seen]), rel=1e-12, abs=1e-15
            )
    assert np.any(curve.seen_error > 0)  # d = 4: classes overlap, seen classes err too
