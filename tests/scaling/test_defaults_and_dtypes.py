"""Defaults, dtypes, exact boundaries and passed-through arguments across ``synthmix.scaling``.

Each test pins one documented default, promised dtype, boundary or forwarded argument against
values computed here by hand (numpy/scipy sums, the documented rule) or against a spy that
records what a helper was called with.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest
from scipy.special import gamma as gamma_fn

# --------------------------------------------------------------------------------------------
# fit.py
from tests.scaling.test_exact_grid import SMALL_GRID

import synthmix.data
from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.scaling import fit as fitmod
from synthmix.scaling import learned as learnedmod
from synthmix.scaling import model as modelmod
from synthmix.scaling import sweeps as sweepsmod
from synthmix.scaling.fit import ThreePhaseFit, fit_three_phase
from synthmix.scaling.learned import ArmSettings, LearnedScalingSettings, run_learned_scaling
from synthmix.scaling.learners import fit_predict, weighted_error
from synthmix.scaling.model import (
    LongTailModel,
    PhaseAsymptotics,
    expected_error,
    mixture_error,
    phase_asymptotics,
    sample_error,
)
from synthmix.scaling.sweeps import (
    ROBUSTNESS_VARIANTS,
    SettingFit,
    _calibration,
    _loglog_slope,
    robustness_sweep,
    scaling_exact_grid,
)
from synthmix.scaling.worlds import (
    Generator,
    World,
    _draw_real,
    _streams,
    cut_breakpoints,
    fit_generator,
    make_gaussian_world,
    make_mnist_world,
    predicted_error,
    sample_training_set,
    training_frequencies,
)


def test_exactly_eight_points_six_distinct_sizes_and_two_seeds_are_accepted() -> None:
    """The minimum sample (8 points, 6 distinct n) and the minimum of 2 seed ids are fittable."""
    n = np.array([1.0, 1.0, 2.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    err = n**-0.5 * np.array([1.0, 1.1, 0.9, 1.05, 1.0, 0.95, 1.02, 1.0])
    fit = fit_three_phase(n, err, n_boot=10, rng=0)
    assert fit.n_points == 8 and fit.breakpoints.shape == (2,)
    seeded = fit_three_phase(n, err, n_boot=10, rng=0, seeds=[0, 1] * 4)
    assert seeded.bootstrap == "seeds" and seeded.n_points == 8


def test_fit_defaults_are_seed_0_200_replicates_and_90_percent() -> None:
    """Without rng, n_boot and confidence the fit records seed 0, 200 replicates and 0.9."""
    n = 2.0 ** np.arange(8.0)
    err = n**-0.4 * np.exp(0.05 * np.random.default_rng(1).standard_normal(8))
    fit = fit_three_phase(n, err)
    assert (fit.seed, fit.n_boot, fit.confidence) == (0, 200, 0.9)


def test_three_phase_fit_optional_fields_default_to_nan_and_none() -> None:
    """A ThreePhaseFit built without the optional fields has NaN intervals and width, no seed."""
    fit = ThreePhaseFit(
        breakpoints=np.array([10.0, 100.0]),
        breakpoints_ci=np.ones((2, 2)),
        slopes=np.array([-0.5, 0.0, -0.5]),
        slopes_ci=np.zeros((3, 2)),
        intercept=0.0,
        n_phases=3,
        bic={1: 0.0, 2: 0.0, 3: 0.0},
        plateau_consistent=True,
        middle_slope_ci=np.zeros(2),
        residual_sd=0.0,
        n_boot=10,
        confidence=0.9,
        bootstrap="residual",
        breakpoints_se=np.zeros(2),
        slopes_se=np.zeros(3),
        n_points=8,
    )
    assert fit.breakpoints_replicate_ci.shape == (2, 2)
    assert np.all(np.isnan(fit.breakpoints_replicate_ci))
    assert math.isnan(fit.transition_width) and fit.seed is None


@pytest.mark.parametrize(
    ("b0", "want"),
    [
        # k = 2: the second vertex (2.5, 8.1) passes u[-2] = 8 and steps down to (2.5, 6.9)
        ([2.5, 7.5], [[2.5, 7.5], [3.1, 7.5], [2.5, 6.9]]),
        # k = 1: the only other vertex, 8.1, steps down to 6.9
        ([7.5], [[7.5], [6.9]]),
    ],
)
def test_refine_starts_from_a_feasible_simplex_on_every_vertex(
    b0: list[float], want: list[list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Vertex i is b0 + step e_i, or b0 − step e_i when that leaves the feasible set (last too)."""
    seen: list[np.ndarray] = []
    real = fitmod.minimize

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(np.array(kwargs["options"]["initial_simplex"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(fitmod, "minimize", spy)
    x = np.arange(10.0)
    y = -0.5 * x
    fitmod._refine(x, float(x.mean()), np.unique(x), y, np.array(b0), 0.6)
    np.testing.assert_allclose(seen[0], want, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# model.py


def _zipf_p(beta: float, M: int) -> np.ndarray:
    w = np.arange(1, M + 1, dtype=np.float64) ** -beta
    return w / w.sum()


@pytest.mark.parametrize("block", [1, 2, 4])
def test_block_sums_reach_the_last_item_for_any_block_size(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E(n), the synthetic normaliser and the top-p rank sum all M items, whatever the block."""
    monkeypatch.setattr(modelmod, "_BLOCK", block)
    M, beta, pi = 10, 1.5, 0.3
    p = _zipf_p(beta, M)
    i = np.arange(1, M + 1, dtype=np.float64)
    es, gu = 0.2 * i**-0.5, 0.3 * i**-1.0
    n = np.array([0.0, 2.0, 30.0, 500.0])
    synths = {
        "k": np.where(i <= 4, p, 0.0),
        "temperature": p ** (1 / 0.5),
        "pool": p * (1.0 - (1.0 - p) ** 7),
    }
    extra: dict[str, dict[str, Any]] = {
        "k": {"k": 4},
        "temperature": {"temperature": 0.5},
        "pool": {"pool": 7},
    }
    for name, synth in synths.items():
        q = pi * p + (1 - pi) * synth / synth.sum()
        model = LongTailModel(
            beta=beta, pi=pi, M=M, a=0.2, alpha=0.5, b=0.3, lam=1.0, **extra[name]
        )
        unseen = (1.0 - q)[None, :] ** n[:, None]
        want = ((1.0 - unseen) * es + unseen * (1.0 - gu)) @ p
        np.testing.assert_allclose(expected_error(model, n), want, rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(mixture_error(p, q, n, wrong_seen=es, right_unseen=gu), want)
    cum = np.cumsum(p)
    for j in range(M):  # just above P_j needs rank j + 1; exactly P_j is reached at rank j
        lo = cum[j - 1] if j else 0.0
        assert LongTailModel(beta=beta, top_p=0.5 * (lo + cum[j]), M=M).k == j + 1
    assert LongTailModel(beta=beta, top_p=float(cum[M - 3]), M=M).k == M - 2


def test_top_p_rank_of_a_two_item_model() -> None:
    """M = 2 with the default block: a small threshold is met by the first item alone."""
    assert LongTailModel(beta=2.0, top_p=0.5, M=2).k == 1
    assert LongTailModel(beta=2.0, top_p=0.9, M=2).k == 2


def test_long_tail_model_defaults() -> None:
    """β = 2, cut k = 30, π = 0.1, M = 10^6 and perfect per-item correctness by default."""
    m = LongTailModel()
    assert (m.beta, m.k, m.cut, m.pi, m.M) == (2.0, 30, 30, 0.1, 10**6)
    assert (m.a, m.alpha, m.b, m.lam) == (0.0, 0.0, 0.0, 0.0)
    assert m.top_p is None and m.temperature is None and m.pool is None
    z = float(np.sum(np.arange(1, 10**6 + 1, dtype=np.float64) ** -2.0))
    assert math.isclose(m.Z, z, rel_tol=1e-12)


def test_model_boundaries_are_accepted() -> None:
    """π = 1, τ = 1, k = M and a one-draw pool are inside the documented ranges."""
    M = 12
    p = _zipf_p(2.0, M)
    n = np.array([3.0, 40.0])
    want = (1.0 - p)[None, :] ** n[:, None] @ p  # q = p: all real, or p' = p
    for model in (
        LongTailModel(beta=2.0, k=3, pi=1.0, M=M),
        LongTailModel(beta=2.0, temperature=1.0, pi=0.4, M=M),
        LongTailModel(beta=2.0, k=M, pi=0.4, M=M),
    ):
        np.testing.assert_allclose(expected_error(model, n), want, rtol=1e-12)
    one = LongTailModel(beta=2.0, pool=1, pi=0.4, M=M)
    synth = p * p / np.sum(p * p)  # p (1 − (1 − p)^1) = p²
    q = 0.4 * p + 0.6 * synth
    np.testing.assert_allclose(expected_error(one, n), (1.0 - q)[None, :] ** n[:, None] @ p)


def test_sample_error_defaults_redone_by_hand() -> None:
    """Default 100 trials from default_rng(0): mean and std(ddof=1)/√100 of the seen-set error."""
    model = LongTailModel(beta=2.0, k=5, pi=0.2, M=40, a=0.1, alpha=0.5, b=0.2, lam=1.0)
    i = np.arange(1, 41, dtype=np.float64)
    p = _zipf_p(2.0, 40)
    q = 0.2 * p + 0.8 * np.where(i <= 5, p, 0.0) / p[:5].sum()
    es, gu = 0.1 * i**-0.5, 0.2 / i
    gen = np.random.default_rng(0)
    errs = [
        np.sum(p * np.where(gen.multinomial(25, q / q.sum()) > 0, es, 1 - gu)) for _ in range(100)
    ]
    mean, se = sample_error(model, 25)
    assert mean == pytest.approx(np.mean(errs), rel=1e-12)
    assert se == pytest.approx(np.std(errs, ddof=1) / 10.0, rel=1e-10)


def test_mixture_error_defaults_to_perfect_correctness() -> None:
    """wrong_seen = right_unseen = 0: E(n) = Σ p_i (1 − q_i)^n."""
    p = np.array([0.5, 0.3, 0.2])
    q = np.array([0.2, 0.2, 0.6])
    n = np.array([1.0, 4.0])
    want = (1.0 - q)[None, :] ** n[:, None] @ p
    np.testing.assert_allclose(mixture_error(p, q, n), want, rtol=1e-13)


def test_phase3_is_double_precision_with_all_lemma_terms() -> None:
    """phase3 at rate π from float32/int sizes equals the float64 Lemma-1 form."""
    beta, M, a, alpha, b, lam, pi = 2.0, 50, 0.2, 0.5, 0.3, 1.0, 0.15
    model = LongTailModel(beta=beta, k=4, pi=pi, M=M, a=a, alpha=alpha, b=b, lam=lam)
    i = np.arange(1, M + 1, dtype=np.float64)
    z = float(np.sum(i**-beta))
    seen = a * float(np.sum(i ** -(beta + alpha))) / z

    def front(g: float, cn: np.ndarray) -> np.ndarray:
        c = gamma_fn((beta + g - 1) / beta) / (beta * z)
        return np.asarray(c * (cn / z) ** ((1 - beta - g) / beta))

    n = np.array([30.0, 700.0, 9000.0])
    cn = pi * n
    want = seen + front(0.0, cn) - a * front(alpha, cn) - b * front(lam, cn)
    asym = phase_asymptotics(model)
    for given in (n, n.astype(np.float32), n.astype(np.int64)):
        got = asym.phase3(given)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_phase_asymptotics_defaults_are_the_unit_a_b_zero_model() -> None:
    """Defaults β = 2, Z = 1 and no correctness terms: phase1 = Γ(1/2)/2 · (A n)^(-1/2)."""
    ph = PhaseAsymptotics(constant=1.0, head_rate=4.0, tail_rate=0.5, plateau=0.1, exponent=0.5)
    assert (ph.beta, ph.Z, ph.a, ph.alpha, ph.b, ph.lam, ph.seen_error) == (
        2.0,
        1.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    )
    n = np.array([1.0, 9.0])
    np.testing.assert_allclose(ph.phase1(n), math.gamma(0.5) / 2 * (4.0 * n) ** -0.5, rtol=1e-14)


# --------------------------------------------------------------------------------------------
# learners.py


class _FakeMLP:
    """Records the MLPClassifier arguments and predicts class 1 everywhere."""

    calls: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, **kwargs: Any) -> None:
        _FakeMLP.calls.append(kwargs)

    def fit(self, X: np.ndarray, y: np.ndarray) -> _FakeMLP:
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.ones(X.shape[0], dtype=np.int32)


@pytest.mark.parametrize(
    ("n", "batch", "epochs"),
    [(90, 90, 300), (1000, 128, 188), (1280, 128, 150), (12800, 128, 20)],
)
def test_mlp_runs_about_1500_steps_in_20_to_300_epochs(
    n: int, batch: int, epochs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """batch = min(128, n); epochs = clip(ceil(1500 / ceil(n / batch)), 20, 300); rng 0."""
    import sklearn.neural_network

    _FakeMLP.calls = []
    monkeypatch.setattr(sklearn.neural_network, "MLPClassifier", _FakeMLP)
    X = np.zeros((n, 1))
    y = np.arange(n) % 2
    pred = fit_predict("mlp", X, y, np.zeros((3, 1)))  # the default rng
    assert pred.dtype == np.int64 and pred.tolist() == [1, 1, 1]
    (kw,) = _FakeMLP.calls
    assert kw["batch_size"] == batch and kw["max_iter"] == epochs
    assert kw["n_iter_no_change"] == epochs + 1 and kw["early_stopping"] is False
    assert kw["hidden_layer_sizes"] == (64,) and kw["learning_rate_init"] == 3e-3
    assert kw["random_state"] == int(np.random.default_rng(0).integers(2**31))


@pytest.mark.parametrize("learner", ["logistic", "mlp", "1nn"])
def test_a_single_training_label_is_predicted_everywhere_as_int64(learner: str) -> None:
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([3, 3, 3], dtype=np.int32)
    pred = fit_predict(learner, X, y, np.array([[5.0], [-1.0]]))  # type: ignore[arg-type]
    assert pred.dtype == np.int64 and pred.tolist() == [3, 3]


def test_weighted_error_keeps_classes_missing_from_the_test_set() -> None:
    """Classes beyond the last tested label still get an entry (error 0) in per-class errors."""
    p = np.array([0.4, 0.3, 0.2, 0.1])
    world = World(
        name="toy",
        p=p,
        rank=np.arange(1, 5),
        beta=2.0,
        test_X=np.zeros((4, 1)),
        test_y=np.array([0, 0, 1, 2]),
    )
    err, per_item = weighted_error(world, np.array([0, 1, 1, 0]))
    np.testing.assert_array_equal(per_item, [0.5, 0.0, 1.0, 0.0])
    assert per_item.dtype == np.float64
    assert err == pytest.approx(0.4 * 0.5 + 0.2 * 1.0, rel=1e-14)


# --------------------------------------------------------------------------------------------
# worlds.py


def test_gaussian_world_defaults() -> None:
    """200 classes in 32 dimensions, β = 2, noise 0.25, 5 tests per class, seed 0."""
    default = make_gaussian_world()
    explicit = make_gaussian_world(
        n_items=200, dim=32, beta=2.0, noise=0.25, n_test_per_item=5, rng=0
    )
    assert default.test_X.shape == (1000, 32) and default.noise == 0.25
    np.testing.assert_array_equal(default.test_X, explicit.test_X)
    np.testing.assert_array_equal(default.means, explicit.means)
    np.testing.assert_allclose(default.p, _zipf_p(2.0, 200), rtol=1e-13)
    assert default.rank.dtype == np.int64 and default.test_y.dtype == np.int64
    other = make_gaussian_world(rng=1)
    assert default.means is not None and other.means is not None
    assert not np.array_equal(default.means, other.means)


def _fake_loader(X: np.ndarray, y: np.ndarray, name: str = "fake-digits") -> Any:
    data = Dataset(X, y, name=name)
    return lambda: data


def _rings() -> tuple[np.ndarray, np.ndarray]:
    """Per digit d: two inner points (±1, 0) and two outer ones (0, ±10) around (40 d, 3 d)."""
    pts, lab = [], []
    for d in range(10):
        c = np.array([40.0 * d, 3.0 * d])
        for off in ([1.0, 0.0], [-1.0, 0.0], [0.0, 10.0], [0.0, -10.0]):
            pts.append(c + off)
            lab.append(d)
    return np.array(pts), np.array(lab, dtype=np.int64)


def test_one_cluster_per_digit_keeps_the_points_nearest_the_digit_mean(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """c = 1: margin = −distance to the centroid, so the inner pair survives; features are
    PCA scores divided by √(mean variance), which leaves each kept pair 2/s apart."""
    X, y = _rings()
    monkeypatch.setattr(synthmix.data, "load_mnist", _fake_loader(X, y))
    w = make_mnist_world(clusters_per_digit=1)
    s = math.sqrt(float(np.var(X, axis=0).sum()) / 2)  # two components keep the total variance
    assert w.name == "fake-digits" and w.n_items == 10 and w.dim == 2
    assert w.pool_X is not None and w.pool_y is not None
    for item in range(10):
        a, b = w.test_X[w.test_y == item], w.pool_X[w.pool_y == item]
        assert a.shape == b.shape == (1, 2)
        assert np.linalg.norm(a - b) == pytest.approx(2.0 / s, rel=1e-9)
    assert w.noise == pytest.approx(1.0 / (s * math.sqrt(2.0)), rel=1e-9)
    assert w.rank.dtype == np.int64
    np.testing.assert_array_equal(np.sort(w.rank), np.arange(1, 11))
    np.testing.assert_allclose(w.p, w.rank**-2.0 / np.sum(np.arange(1, 11) ** -2.0), rtol=1e-12)
    np.testing.assert_array_equal(w.rank, make_mnist_world(clusters_per_digit=1, rng=0).rank)
    assert not np.array_equal(w.rank, make_mnist_world(clusters_per_digit=1, rng=1).rank)


def test_a_digit_with_exactly_as_many_images_as_clusters_passes_the_count_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Digit 0 has exactly c = 2 images: KMeans may split it, and the refusal that follows is
    about one-point sub-clusters, not about too few images."""
    X, y = _rings()
    keep = np.r_[[0, 2], np.arange(4, 40)]
    monkeypatch.setattr(synthmix.data, "load_mnist", _fake_loader(X[keep], y[keep]))
    with pytest.raises(ValidationError) as info:
        make_mnist_world(clusters_per_digit=2, core_fraction=1.0, rng=0)
    assert (
        str(info.value) == "clusters_per_digit must leave at least 2 points per sub-cluster; got 2"
    )


def test_real_draws_follow_pool_order_for_a_large_pool() -> None:
    """A class's points are indexed in pool order (a stable sort) and come back as float64."""
    gen = np.random.default_rng(0)
    pool_y = gen.integers(0, 5, 400)
    pool_X = np.stack([np.arange(400), -np.arange(400)], axis=1).astype(np.float32)
    world = World(
        name="toy",
        p=_zipf_p(2.0, 5),
        rank=np.arange(1, 6),
        beta=2.0,
        test_X=np.zeros((5, 2)),
        test_y=np.arange(5),
        pool_X=pool_X,  # type: ignore[arg-type]  # float32 on purpose
        pool_y=pool_y,
    )
    items, u, want = [], [], []
    for c in range(5):
        rows = np.flatnonzero(pool_y == c)
        for j in range(rows.size):
            items.append(c)
            u.append((j + 0.5) / rows.size)
            want.append(pool_X[rows[j]])
    got = _draw_real(world, np.array(items), np.zeros((len(items), 2)), np.array(u))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, np.array(want, dtype=np.float64))


@pytest.mark.parametrize(("k", "n_items"), [(3, 30), (7, 8)])
def test_cut_breakpoints_sum_over_the_worlds_items(k: int, n_items: int) -> None:
    """n1 = Z k^β/A, n2 = Z (k+1)^β/π with Z and P_k summed over the world's K items only."""
    w = np.arange(1, n_items + 1, dtype=np.float64) ** -1.5
    z, head = float(w.sum()), float(w[:k].sum() / w.sum())
    n1, n2 = cut_breakpoints(1.5, k, 0.2, n_items)
    assert n1 == pytest.approx(z * k**1.5 / (0.2 + 0.8 / head), rel=1e-12)
    assert n2 == pytest.approx(z * (k + 1) ** 1.5 / 0.2, rel=1e-12)


def test_cut_breakpoints_are_nan_once_the_cut_covers_every_item() -> None:
    assert all(math.isnan(v) for v in cut_breakpoints(2.0, 8, 0.1, 8))
    assert all(math.isnan(v) for v in cut_breakpoints(2.0, 9, 0.1, 8))


@pytest.fixture(scope="module")
def world() -> World:
    return make_gaussian_world(n_items=10, dim=2, beta=1.5, rng=3)


@pytest.mark.parametrize("mode", ["top_p", "temperature", "pool", "corruption"])
def test_generator_records_its_mode(world: World, mode: str) -> None:
    assert fit_generator(world, mode=mode, n_pool=50, rng=0).mode == mode


def test_temperature_and_corruption_defaults(world: World) -> None:
    """τ = 0.5 (prior ∝ p̂²) and corruption noise 0.5 · world.noise by default."""
    temp = fit_generator(world, mode="temperature", n_pool=80, rng=2)
    assert temp.temperature == 0.5
    p_hat = temp.pool_counts / 80
    np.testing.assert_allclose(temp.prior, p_hat**2 / np.sum(p_hat**2), rtol=1e-12)
    corr = fit_generator(world, mode="corruption")
    assert corr.corruption_noise == pytest.approx(0.5 * world.noise, rel=1e-14)


def test_top_p_exactly_at_a_cumulative_mass_keeps_that_prefix(world: World) -> None:
    """A threshold equal to the top-2 pool mass keeps exactly 2 classes; top_p = 1 keeps all."""
    counts = fit_generator(world, mode="pool", n_pool=200, rng=4).pool_counts
    p_hat = counts / counts.sum()
    order = np.argsort(-p_hat, kind="stable")
    assert p_hat[order[1]] > p_hat[order[2]]
    t = float(p_hat[order[0]] + p_hat[order[1]])
    gen = fit_generator(world, mode="top_p", top_p=t, n_pool=200, rng=4)
    assert gen.k == 2 and set(np.flatnonzero(gen.prior)) == set(order[:2])
    full = fit_generator(world, mode="top_p", top_p=1.0, n_pool=200, rng=4)
    np.testing.assert_allclose(full.prior, p_hat, rtol=1e-12)


def test_training_set_boundaries_u_equal_to_pi_is_synthetic_and_to_h_is_not_mislabelled(
    world: World,
) -> None:
    """Real iff u0 < π; a synthetic draw is mislabelled iff u2 < hallucination."""
    gen = fit_generator(world, mode="pool", n_pool=100, rng=1)
    u = _streams(4, 3)[0].random((60, 5))
    pi = float(u[7, 0])
    train = sample_training_set(world, gen, 60, pi=pi, rng=4)
    np.testing.assert_array_equal(train.synthetic, u[:, 0] >= pi)
    assert train.synthetic[7]
    assert train.item.dtype == np.int64 and train.y.dtype == np.int64
    j = int(np.flatnonzero(u[:, 0] >= 0.5)[0])
    h = float(u[j, 2])
    bad = sample_training_set(world, gen, 60, pi=0.5, hallucination=h, rng=4)
    np.testing.assert_array_equal(bad.y != bad.item, (u[:, 0] >= 0.5) & (u[:, 2] < h))
    assert bad.y[j] == bad.item[j]


def test_training_frequencies_are_doubles_at_the_default_pi() -> None:
    """q = 0.05 p + 0.95 p' in float64, even from float32 priors."""
    p = np.array([0.5, 0.25, 0.25], dtype=np.float32)
    prior = np.array([0.75, 0.25, 0.0], dtype=np.float32)
    world = World(
        name="toy",
        p=p,  # type: ignore[arg-type]  # float32 on purpose
        rank=np.arange(1, 4),
        beta=2.0,
        test_X=np.zeros((3, 1)),
        test_y=np.arange(3),
    )
    gen = Generator(
        mode="pool",
        prior=prior,  # type: ignore[arg-type]  # float32 on purpose
        means=np.zeros((3, 1)),
        scales=np.ones((3, 1)),
        pool_counts=np.array([3, 1, 0]),
        n_pool=4,
        k=2,
    )
    q = training_frequencies(world, gen)
    assert q.dtype == np.float64
    np.testing.assert_allclose(q, [0.05 * 0.5 + 0.95 * 0.75, 0.25, 0.05 * 0.25], rtol=1e-7)


# --------------------------------------------------------------------------------------------
# sweeps.py


def _fake_fit(covered: list[float], hits: list[float], pred: list[float], got: list[float]) -> Any:
    ratio = np.array(got) / np.array(pred)
    return SimpleNamespace(
        eligible=pred[1] / pred[0] >= 10,
        predicted=np.array(pred),
        fitted=np.array(got),
        refits=2,
        covered=np.array(covered),
        replicate_hits=np.array(hits),
        within_factor_2=bool(np.all((ratio >= 0.5) & (ratio <= 2))),
    )


def _fits() -> list[Any]:
    return [
        _fake_fit([2, 1], [1.0, 0.5], [10.0, 200.0], [12.0, 150.0]),
        _fake_fit([0, 2], [0.0, 1.0], [40.0, 300.0], [35.0, 900.0]),  # ratio 7.5: not eligible
        _fake_fit([1, 1], [0.5, 0.5], [100.0, 5000.0], [90.0, 4000.0]),
    ]


_GRID: dict[str, Any] = {**SMALL_GRID, "ks": (3, 5, 8)}


def _spy_map(calls: list[dict[str, Any]], fits: list[Any]) -> Any:
    def fake(fn: Any, tasks: Any, **kwargs: Any) -> list[Any]:
        calls.append({"fn": fn.__name__, "tasks": list(tasks), **kwargs})
        if kwargs.get("progress") is not None:
            kwargs["progress"](1, 1)
        if fn.__name__ == "_fit_setting":
            return fits
        if fn.__name__ == "_control":
            return [(2.0, 3, True)]
        return ["mc"] * len(tasks)

    return fake


def test_grid_pools_coverage_per_breakpoint_over_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """coverage = Σ covered / Σ refits per breakpoint, replicate = mean hits: shape (2,)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(sweepsmod, "map_tasks", _spy_map(calls, _fits()))
    out = scaling_exact_grid(_GRID)
    np.testing.assert_allclose(out.coverage, [3 / 6, 4 / 6], rtol=1e-14)
    np.testing.assert_allclose(out.replicate_coverage, [0.5, 2 / 3], rtol=1e-14)
    assert out.n_eligible == 2 and out.within_factor_2 == 1.0
    assert out.slope_n1 == pytest.approx(math.log(90 / 12) / math.log(100 / 10), rel=1e-12)
    assert out.slope_n2 == pytest.approx(math.log(4000 / 150) / math.log(5000 / 200), rel=1e-12)
    assert out.controls == ((2.0, 3, True),) and out.monte_carlo == ("mc",) * 3


def test_grid_forwards_jobs_scheduler_seeds_and_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """All three stages get n_jobs, scheduler, root child i and their own progress stage."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(sweepsmod, "map_tasks", _spy_map(calls, _fits()))
    stages: list[tuple[str, int, int]] = []
    scaling_exact_grid(
        _GRID, rng=9, n_jobs=3, scheduler="tcp://nowhere:1", progress=lambda *a: stages.append(a)
    )
    assert [c["fn"] for c in calls] == ["_fit_setting", "_control", "_monte_carlo"]
    for i, c in enumerate(calls):
        assert c["n_jobs"] == 3 and c["scheduler"] == "tcp://nowhere:1"
        assert c["rng"].entropy == 9 and tuple(c["rng"].spawn_key) == (i,)
    assert [b for b, *_ in calls[0]["tasks"]] == [2.0] * 3
    assert [t[1] for t in calls[0]["tasks"]] == [3, 5, 8]
    assert len(stages) == 3 and all(s[1:] == (1, 1) for s in stages)
    assert stages[0][0] == "grid fits" and "controls" in stages[1][0]
    assert stages[2][0].startswith("Monte-Carlo")
    calls.clear()
    scaling_exact_grid(_GRID)
    for i, c in enumerate(calls):
        assert c["n_jobs"] == 1 and c["scheduler"] is None and c["progress"] is None
        assert c["rng"].entropy == 0 and tuple(c["rng"].spawn_key) == (i,)


def test_robustness_sweep_defaults_and_forwarding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every variant, seed 0, one job and no scheduler by default; stage "robustness"."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(sweepsmod, "map_tasks", _spy_map(calls, []))
    settings = {"robust": {}, "points": 12}
    assert robustness_sweep(settings) == ("mc",) * len(ROBUSTNESS_VARIANTS)
    (c,) = calls
    assert [v for v, _ in c["tasks"]] == list(ROBUSTNESS_VARIANTS)
    assert all(s == settings and s is not settings for _, s in c["tasks"])
    assert (c["rng"], c["n_jobs"], c["scheduler"], c["progress"]) == (0, 1, None, None)
    calls.clear()
    stages: list[tuple[str, int, int]] = []
    robustness_sweep(
        settings,
        rng=4,
        n_jobs=2,
        scheduler="tcp://x:1",
        progress=lambda *a: stages.append(a),
        variants=("zipf",),
    )
    (c,) = calls
    assert (c["rng"], c["n_jobs"], c["scheduler"]) == (4, 2, "tcp://x:1")
    assert [v for v, _ in c["tasks"]] == ["zipf"] and stages == [("robustness", 1, 1)]


def test_loglog_slope_needs_two_points() -> None:
    assert _loglog_slope(np.array([10.0, 1000.0]), np.array([20.0, 200.0])) == pytest.approx(0.5)
    assert math.isnan(_loglog_slope(np.array([10.0]), np.array([20.0])))


def test_one_refit_is_no_calibration_and_draws_nothing() -> None:
    """refits < 2: NaN coverage and hits, and the generator is left untouched."""
    n = np.geomspace(1.0, 1e4, 10)
    gen = np.random.default_rng(5)
    cov, hits = _calibration(
        n, n**-0.5, np.array([10.0, 100.0]), noise=0.05, refits=1, n_boot=10, gen=gen
    )
    assert cov.shape == hits.shape == (2,) and np.all(np.isnan(cov)) and np.all(np.isnan(hits))
    assert gen.random() == np.random.default_rng(5).random()


def _setting(predicted: list[float], fitted: list[float], slopes: list[float]) -> SettingFit:
    z2, z3 = np.zeros(2), np.zeros(3)
    return SettingFit(
        beta=2.0,
        k=3,
        pi=0.1,
        predicted=np.array(predicted),
        fitted=np.array(fitted),
        ci=np.zeros((2, 2)),
        replicate_ci=np.zeros((2, 2)),
        clean=z2,
        slopes=np.array(slopes),
        slopes_ci=np.zeros((3, 2)),
        clean_slopes=z3,
        asymptotic_slope=-0.5,
        n_phases=3,
        plateau_consistent=True,
        plateau_error=0.1,
        covered=z2,
        replicate_hits=z2,
        refits=2,
        n=z2,
        observed=z2,
        fit_curve=z2,
        clean_curve=z2,
    )


def test_setting_fit_properties_at_their_boundaries() -> None:
    """n2/n1 = 10 is eligible; ratios 0.5 and 2 are within a factor 2; flatness = s2/s1."""
    f = _setting([4.0, 40.0], [2.0, 80.0], [-0.5, -0.125, -0.5])
    assert f.eligible is True and f.within_factor_2 is True
    np.testing.assert_array_equal(f.ratio, [0.5, 2.0])
    assert f.ratio.dtype == np.float64 and f.flatness == 0.25
    g = _setting([4.0, 39.9], [1.9, 80.1], [-0.5, 0.0, -0.5])
    assert g.eligible is False and g.within_factor_2 is False and g.flatness == 0.0


# --------------------------------------------------------------------------------------------
# learned.py


def test_learned_run_forwards_jobs_scheduler_and_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """The task map gets n_jobs, scheduler, progress and seed 0 by default; the run seed is 0."""
    calls: list[dict[str, Any]] = []

    def fake(fn: Any, tasks: Any, **kwargs: Any) -> list[Any]:
        calls.append(kwargs)
        return [(0.5, 0.0)] * len(tasks)

    monkeypatch.setattr(learnedmod, "map_tasks", fake)
    st = LearnedScalingSettings(
        arms=(ArmSettings("a", "gaussian", "pool", ("1nn",)),),
        sizes=(1, 2, 3, 4, 5, 6, 7, 8),
        n_seeds=2,
        n_items=5,
        dim=2,
        n_pool=20,
        n_boot=10,
    )

    def progress(done: int, total: int) -> None:
        """Never called: the fake map does not report."""

    out = run_learned_scaling(st, n_jobs=3, scheduler="tcp://x:1", progress=progress)
    assert out.seed == 0
    (c,) = calls
    assert (c["n_jobs"], c["scheduler"], c["progress"], c["rng"]) == (3, "tcp://x:1", progress, 0)
    calls.clear()
    run_learned_scaling(st, seed=1)
    (c,) = calls
    assert (c["n_jobs"], c["scheduler"], c["progress"]) == (1, None, None)


def _sub_clusters() -> tuple[np.ndarray, np.ndarray]:
    """Per digit two blobs of 10 points, 8 apart; a third, noisier axis that 2 PCs drop."""
    g = np.random.default_rng(0)
    pts, lab = [], []
    for d in range(10):
        for s in range(2):
            centre = np.array([30.0 * d, 8.0 * s, 0.0])
            pts.append(centre + g.normal(0.0, [1.0, 1.0, 2.5], size=(10, 3)))
            lab += [d] * 10
    return np.concatenate(pts), np.array(lab, dtype=np.int64)


def test_learned_mnist_arms_use_the_settings_world_and_generator_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """clusters_per_digit, β, n_components reach the real-data world; top_p, τ and the
    corruption noise reach the generators; the dense grid starts at max(1, sizes[0]/2)."""
    X, y = _sub_clusters()
    monkeypatch.setattr(synthmix.data, "load_mnist", _fake_loader(X, y))
    arms = (
        ArmSettings("cut", "mnist", "top_p", ("1nn",), pi=0.3, top_p=0.6),
        ArmSettings("soft", "mnist", "temperature", ("1nn",), pi=0.3, temperature=0.3),
        ArmSettings("noisy", "mnist", "corruption", ("1nn",), pi=0.3, corruption_noise=20.0),
    )
    st = LearnedScalingSettings(
        arms=arms,
        sizes=(1, 2, 3, 4, 6, 8, 11, 16),
        n_seeds=2,
        beta=1.5,
        clusters_per_digit=2,
        n_components=2,
        n_pool=60,
        n_boot=10,
    )
    out = run_learned_scaling(st, seed=3)
    world = make_mnist_world(
        clusters_per_digit=2,
        beta=1.5,
        n_components=2,
        rng=np.random.SeedSequence(3, spawn_key=(0, 1)),
    )
    assert world.n_items == 20 and world.dim == 2
    sizes = np.array(st.sizes, dtype=np.float64)
    for a, (arm, res) in enumerate(zip(arms, out.arms, strict=True)):
        assert res.world_name == "fake-digits"
        gens = [
            fit_generator(
                world,
                mode=arm.mode,
                n_pool=60,
                top_p=arm.top_p,
                temperature=arm.temperature,
                corruption_noise=arm.corruption_noise,
                rng=np.random.SeedSequence(3, spawn_key=(1, a, r)),
            )
            for r in range(2)
        ]
        assert res.k.dtype == np.int64
        np.testing.assert_array_equal(res.k, [g.k for g in gens])
        want = np.stack([predicted_error(world, g, sizes, pi=0.3) for g in gens])
        np.testing.assert_allclose(res.predicted, want, rtol=1e-12)
        assert res.predicted_dense.shape == (2, 200)
        assert res.predicted_dense[0, 0] == 1.0 and res.predicted_dense[0, -1] == 32.0
        (curve,) = res.curves
        for r, g in enumerate(gens):
            stream = np.random.SeedSequence(3, spawn_key=(2, a, r))
            for j, n in enumerate(st.sizes):
                train = sample_training_set(world, g, n, pi=0.3, rng=stream)
                err, _ = weighted_error(world, fit_predict("1nn", train.X, train.y, world.test_X))
                assert curve.errors[r, j] == pytest.approx(err, rel=1e-12, abs=1e-15)
    cut_k = int(np.median(out.arms[0].k))
    assert cut_k < 20
    w = np.arange(1, 21, dtype=np.float64) ** -1.5
    head = w[:cut_k].sum() / w.sum()
    np.testing.assert_allclose(
        out.arms[0].predicted_breakpoints,
        [w.sum() * cut_k**1.5 / (0.3 + 0.7 / head), w.sum() * (cut_k + 1) ** 1.5 / 0.3],
        rtol=1e-10,
    )
