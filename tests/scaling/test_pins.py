"""Defaults, dtypes, seeds and branches of the scaling helpers, against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthmix.scaling import (
    LongTailModel,
    fit_three_phase,
    mixture_error,
    phase_asymptotics,
    sample_error,
)
from synthmix.scaling.learners import fit_predict
from synthmix.scaling.sweeps import robustness_sweep, variant_frequencies
from synthmix.scaling.worlds import fit_generator, make_gaussian_world

_MODEL = LongTailModel(beta=2.0, k=10, pi=0.1, M=200)


def test_sample_error_default_seed_is_zero() -> None:
    assert sample_error(_MODEL, 30, n_trials=5) == sample_error(_MODEL, 30, n_trials=5, rng=0)
    assert sample_error(_MODEL, 30, n_trials=5) != sample_error(_MODEL, 30, n_trials=5, rng=1)


def test_frequencies_and_phase1_compute_in_double_precision_for_any_input_dtype() -> None:
    """Ranks and sizes given as float32 give the float64 answer (not float32 rounding)."""
    ranks = np.arange(1, 8)
    i = ranks.astype(np.float64)
    z = float(np.sum(np.arange(1, 201, dtype=np.float64) ** -2.0))
    head = float(np.sum(np.arange(1, 11, dtype=np.float64) ** -2.0))
    p_want = i**-2.0 / z
    q_want = 0.1 * p_want + 0.9 * (i**-2.0 / head)  # every rank <= k = 10
    for given in (ranks, ranks.astype(np.float32)):
        p, q = _MODEL.frequencies(given)
        assert p.dtype == q.dtype == np.float64
        np.testing.assert_allclose(p, p_want, rtol=1e-13)
        np.testing.assert_allclose(q, q_want, rtol=1e-13)
    asym = phase_asymptotics(_MODEL)
    n = np.array([3.0, 7.0, 11.0])
    # F_0(c n) = Γ(1 − 1/β)/(β Z) (c n / Z)^{-(1 − 1/β)}, c = A = π + (1 − π)/P_k
    big_a = 0.1 + 0.9 * z / head
    want = math.gamma(0.5) / (2.0 * z) * (big_a * n / z) ** -0.5
    for given in (n, n.astype(np.float32), np.array([3, 7, 11])):
        got = asym.phase1(given)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_mandelbrot_variant_flattens_the_head_and_cuts_at_k() -> None:
    beta, k, pi, M = 2.0, 5, 0.2, 50
    p, q, cut, text = variant_frequencies("mandelbrot", beta, k, pi, M, np.random.default_rng(0))
    i = np.arange(1, M + 1, dtype=np.float64)
    p_want = (i + 10.0) ** -beta / np.sum((i + 10.0) ** -beta)
    synth = np.where(i <= k, p_want, 0.0) / p_want[:k].sum()
    np.testing.assert_allclose(p, p_want, rtol=1e-12)
    np.testing.assert_allclose(q, pi * p_want + (1 - pi) * synth, rtol=1e-12)
    assert cut == k
    assert text == "Zipf–Mandelbrot (i + 10)^-2: a flattened head"
    np.testing.assert_allclose(q[k:], pi * p[k:], rtol=1e-12)  # the tail: real draws only


def test_zipf_variant_is_the_hard_cut_mixture() -> None:
    p, q, cut, text = variant_frequencies("zipf", 1.5, 4, 0.3, 20, np.random.default_rng(0))
    i = np.arange(1, 21, dtype=np.float64)
    p_want = i**-1.5 / np.sum(i**-1.5)
    synth = np.r_[p_want[:4] / p_want[:4].sum(), np.zeros(16)]
    np.testing.assert_allclose(p, p_want, rtol=1e-12)
    np.testing.assert_allclose(q, 0.3 * p_want + 0.7 * synth, rtol=1e-12)
    assert cut == 4 and text == "pure Zipf, β = 1.5 (the reference)"


_ROBUST = {
    "robust": {"beta": 2.0, "k": 10, "pi": 0.1, "M": 2000},
    "points": 12,
    "span": 10.0,
    "noise": 0.0,
    "n_boot": 10,
}


def test_robustness_rows_predict_breakpoints_only_for_a_hard_cut() -> None:
    zipf, temp = robustness_sweep(_ROBUST, variants=("zipf", "temperature"))
    i = np.arange(1, 2001, dtype=np.float64)
    z = float(np.sum(i**-2.0))
    head = float(np.sum(i[:10] ** -2.0)) / z
    want = [z * 10**2 / (0.1 + 0.9 / head), z * 11**2 / 0.1]
    assert zipf.name == "zipf" and zipf.beta_head == pytest.approx(2.0, rel=1e-9)
    np.testing.assert_allclose(zipf.zipf_prediction, want, rtol=1e-6)
    # the frontier rule n1 = 1/q_k, n2 = 1/(π p_{k+1}) on the exact Zipf frequencies
    p_k, p_k1 = 10**-2.0 / z, 11**-2.0 / z
    q_k = 0.1 * p_k + 0.9 * p_k / head
    np.testing.assert_allclose(zipf.frontier_prediction, [1 / q_k, 1 / (0.1 * p_k1)], rtol=1e-9)
    # noise 0: the fitted curve is the exact mixture curve on the frontier's sizes
    lo, hi = zipf.frontier_prediction
    n = np.geomspace(lo / 10.0, hi * 10.0, 12)
    p = i**-2.0 / z
    q = 0.1 * p + 0.9 * np.where(i <= 10, p, 0.0) / head
    clean = fit_three_phase(n, mixture_error(p, q, n), n_boot=10, rng=0)
    np.testing.assert_allclose(zipf.fitted, clean.breakpoints, rtol=1e-9)
    np.testing.assert_allclose(zipf.slopes, clean.slopes, rtol=1e-9, atol=1e-12)
    assert zipf.n_phases == clean.n_phases
    assert zipf.description == "pure Zipf, β = 2 (the reference)"
    assert temp.name == "temperature"
    assert temp.description == "temperature τ = 0.5 generator: thins the tail, no hard cut"
    assert np.all(np.isnan(temp.zipf_prediction)) and np.all(np.isnan(temp.frontier_prediction))
    assert temp.zipf_prediction.shape == temp.frontier_prediction.shape == (2,)


def test_generator_records_the_parameter_of_its_own_mode() -> None:
    world = make_gaussian_world(n_items=20, dim=3, rng=0)
    temp = fit_generator(world, mode="temperature", temperature=0.25, n_pool=200, rng=1)
    assert temp.temperature == 0.25 and temp.top_p is None
    cut = fit_generator(world, mode="top_p", top_p=0.8, n_pool=200, rng=1)
    assert cut.top_p == 0.8 and cut.temperature is None
    pool = fit_generator(world, mode="pool", n_pool=200, rng=1)
    assert pool.top_p is None and pool.temperature is None


@pytest.mark.parametrize("learner", ["1nn", "logistic"])
def test_predictions_are_int64_labels(learner: str) -> None:
    """Labels come back as int64 whatever integer type the training labels have."""
    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    y = np.array([0, 0, 3, 3], dtype=np.int32)
    X_test = np.array([[0.05, 0.0], [5.05, 5.0], [4.0, 4.0]])
    pred = fit_predict(learner, X, y, X_test, rng=0)  # type: ignore[arg-type]
    assert pred.dtype == np.int64
    np.testing.assert_array_equal(pred, [0, 3, 3])


def test_noiseless_broken_power_law_recovers_breakpoints_between_grid_points() -> None:
    """Exactly two sizes inside the middle phase and breakpoints off the grid's midpoints.

    The grid optimum's first breakpoint moved right by the simplex step leaves one point in the
    middle (infeasible), so the refinement must start from the step to the left and still
    reach the exact breakpoints and slopes of the noiseless curve.
    """
    t = np.arange(16.0)  # log2 n
    b1, b2 = 3.3, 5.7
    s1, s2, s3 = -1.0, -0.2, -0.6
    log2_err = s1 * t + (s2 - s1) * np.maximum(0.0, t - b1) + (s3 - s2) * np.maximum(0.0, t - b2)
    fit = fit_three_phase(2.0**t, 2.0**log2_err, n_boot=10, rng=0)
    np.testing.assert_allclose(np.log2(fit.breakpoints), [b1, b2], atol=1e-5)
    np.testing.assert_allclose(fit.slopes, [s1, s2, s3], atol=1e-5)


def test_an_exactly_flat_curve_is_plateau_consistent() -> None:
    """Constant error: every slope and the middle slope's CI are exactly 0, and 0 is inside."""
    fit = fit_three_phase(2.0 ** np.arange(8.0), np.ones(8), n_boot=10, rng=0)
    np.testing.assert_array_equal(fit.middle_slope_ci, [0.0, 0.0])
    assert fit.plateau_consistent is True


def test_robustness_sweep_default_seed_is_zero() -> None:
    noisy = {**_ROBUST, "noise": 0.05}
    default = robustness_sweep(noisy, variants=("cutoff",))[0]
    zero = robustness_sweep(noisy, rng=0, variants=("cutoff",))[0]
    one = robustness_sweep(noisy, rng=1, variants=("cutoff",))[0]
    np.testing.assert_array_equal(default.fitted, zero.fitted)
    assert not np.array_equal(default.fitted, one.fitted)


_I = np.arange(1, 201, dtype=np.float64)


def _normed(x: np.ndarray) -> np.ndarray:
    return x / x.sum()


@pytest.mark.parametrize(
    ("name", "p_want", "synth", "cut", "text"),
    [
        (
            "cutoff",
            _normed(_I**-2.0 * np.exp(-_I / 120.0)),
            None,
            4,
            "Zipf with an exponential cut-off at 120",
        ),
        (
            "temperature",
            _normed(_I**-2.0),
            _normed(_I**-4.0),
            None,
            "temperature τ = 0.5 generator: thins the tail, no hard cut",
        ),
        (
            "pool",
            _normed(_I**-2.0),
            _normed(_normed(_I**-2.0) * (1 - (1 - _normed(_I**-2.0)) ** 160)),
            None,
            "generator knowing a finite pool of 160 real draws",
        ),
        (
            "broken",
            _normed(np.where(_I <= 12, _I**-1.5, 12**0.5 * _I**-2.0)),
            None,
            4,
            "broken power law: β = 1.5 up to rank 12, 2 beyond",
        ),
    ],
)
def test_variant_frequencies_closed_forms(
    name: str, p_want: np.ndarray, synth: np.ndarray | None, cut: int | None, text: str
) -> None:
    p, q, got_cut, got_text = variant_frequencies(name, 2.0, 4, 0.25, 200, np.random.default_rng(0))
    if synth is None:  # a hard cut at k = 4
        synth = np.where(_I <= 4, p_want, 0.0) / p_want[:4].sum()
    np.testing.assert_allclose(p, p_want, rtol=1e-12)
    np.testing.assert_allclose(q, 0.25 * p_want + 0.75 * synth, rtol=1e-10)
    assert got_cut == cut and got_text == text


def test_lognormal_variant_resorts_noisy_zipf_weights() -> None:
    p, q, cut, text = variant_frequencies("lognormal", 2.0, 4, 0.25, 200, np.random.default_rng(9))
    z = np.random.default_rng(9).standard_normal(200)
    want = _normed(np.sort(_I**-2.0 * np.exp(0.5 * z))[::-1])
    np.testing.assert_allclose(p, want, rtol=1e-12)
    np.testing.assert_allclose(
        q, 0.25 * want + 0.75 * np.where(_I <= 4, want, 0.0) / want[:4].sum()
    )
    assert cut == 4
    assert text == "Zipf × lognormal(σ = 0.5) noise, re-sorted: a bumpy, not-quite power law"


def test_hallucinated_variant_text_names_the_percentage() -> None:
    _, _, cut, text = variant_frequencies(
        "hallucinated-20", 2.0, 4, 0.25, 50, np.random.default_rng(0)
    )
    assert cut == 4 and text == "20% of synthetic draws are hallucinated items no test asks"
