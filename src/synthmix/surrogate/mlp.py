"""The paper's 10-class MLP protocol on real images (docs/math/rmt.md, Fig 5/7), made random.

The measured counterpart of the theory on a non-linear learner: :func:`run_mlp_protocol`.

One *trial* of the protocol, on a 10-class image set (MNIST or Fashion-MNIST):

1. per class, hold out ``test_per_class`` real images as the test set (never used to fit
   anything); the rest of the class is its real *pool*; ``n_per_class`` = 50 images of the
   pool are the real training set (500 images);
2. features: pixels centred by the mean of the 500 real training images and divided by one
   global scale, the root mean per-pixel variance of those images (a single number, so
   pixels that never vary in the training images are not blown up by a tiny per-pixel
   standard deviation). Everything below — generator, MLP, test — lives in these features;
3. a per-class Gaussian generator is fitted on ``n_use`` real images of the class drawn from
   its pool (``n_use = "all"``: the whole pool, i.e. every non-test image of the class): the
   class mean, and either the **identity** covariance (isotropic noise with the real images'
   average per-pixel variance) or the **estimated** sample covariance of those ``n_use``
   images (rank at most ``n_use − 1``; nothing is added to it). Samples are drawn exactly
   from that Gaussian, as ``mean + z·R/√(n_use − 1)`` with ``R`` the centred images;
4. for each synthetic proportion ``m/(n + m)``, ``m`` synthetic images (balanced over the
   classes) get their labels corrupted at ε = 0.3 by
   :func:`synthmix.pruning.flip_labels_multiclass` (each
   label independently, to one of the 9 other classes uniformly — not the paper's
   deterministic, order-dependent block), and each pruning setting keeps a right-label image
   with probability φ and a wrong one with probability ρ, by independent coin flips:
   oracle (0, 1), strong (0.1, 0.9), none (1, 1);
5. a scikit-learn :class:`~sklearn.neural_network.MLPClassifier` (one hidden layer of 100
   ReLU units, Adam, no early stopping) is trained on real + kept synthetic images and
   scored on the held-out real test images.

Every fit gets the same budget of Adam steps (``steps``; ``max_iter`` is the number of epochs
that makes it, and tolerance-based stopping is off), so adding synthetic images changes
*what* the network learns from, not *how long* it trains. Within one trial all pruning
settings see the same synthetic draws, noisy labels and coin values, and all generator
settings of one repetition share its split and real training set (common random numbers:
differences between settings are measured more precisely than the levels).

Trials run through :func:`synthmix.parallel.map_tasks`: per repetition one real-only trial
and one trial per (``n_use``, covariance); each trial receives its own child seed, so results
are identical for any ``n_jobs`` or backend. The result holds per-repetition accuracies and
their mean ± standard error over repetitions.

scikit-learn is imported inside the functions that use it, so importing this module is cheap.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._types import FloatArray, IntArray
from synthmix._validation import as_float_array, check_int, check_probability, fail
from synthmix.parallel import stage_callback
from synthmix.pruning import flip_labels_multiclass

if TYPE_CHECKING:
    from synthmix._types import StageProgress

__all__ = [
    "MLP_FULL",
    "MLP_QUICK",
    "PRUNINGS",
    "MLPGrid",
    "MLPProtocolResult",
    "MLPPruning",
    "mlp_config",
    "mlp_subsample",
    "run_mlp_protocol",
]

Covariance = Literal["identity", "estimated"]

#: Spawn key of this experiment's random stream: the MLP protocol's draws are independent of
#: the binary overlay's, which spawns from the same root seed.
_STREAM = 0x4D4C50  # "MLP"


@dataclass(frozen=True)
class MLPPruning:
    """A coin-flip verifier: keep a right-label image w.p. ``phi``, a wrong one w.p. ``rho``."""

    name: str
    rho: float
    phi: float

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise fail("name", "be a non-empty string", self.name)
        check_probability(self.rho, "rho")
        check_probability(self.phi, "phi")


#: The paper's three settings: oracle (ρ, φ) = (0, 1), strong (0.1, 0.9), none (1, 1).
PRUNINGS = (
    MLPPruning("oracle", rho=0.0, phi=1.0),
    MLPPruning("strong", rho=0.1, phi=0.9),
    MLPPruning("none", rho=1.0, phi=1.0),
)


@dataclass(frozen=True)
class MLPGrid:
    """Sizes, grid and training budget of the MLP protocol.

    Attributes
    ----------
    shares : tuple of float
        Synthetic proportions ``m/(n + m)`` in [0, 1); ``m = round(n·share/(1 − share))``.
    n_uses : tuple of int or None
        Real images per class the generator is fitted on; ``None`` = the whole pool of the
        class (every non-test image).
    covariances : tuple of {"identity", "estimated"}
    prunings : tuple of MLPPruning
    epsilon : float
        Label-noise rate of the synthetic images.
    n_per_class : int
        Real training images per class.
    test_per_class : int
        Held-out real test images per class.
    n_repeats : int
        Repetitions (random splits); standard errors are over them.
    steps : int
        Adam steps per fit (``max_iter`` = the epochs that make at least this many).
    hidden : int
        ReLU units of the single hidden layer.
    batch_size : int
    """

    shares: tuple[float, ...] = (0.0, 0.5, 0.8, 0.94)
    n_uses: tuple[int | None, ...] = (10, 100, None)
    covariances: tuple[Covariance, ...] = ("identity", "estimated")
    prunings: tuple[MLPPruning, ...] = PRUNINGS
    epsilon: float = 0.3
    n_per_class: int = 50
    test_per_class: int = 150
    n_repeats: int = 3
    steps: int = 1000
    hidden: int = 100
    batch_size: int = 128

    def __post_init__(self) -> None:
        shares = as_float_array(self.shares, "shares")
        if shares.ndim != 1 or shares.size == 0 or np.any((shares < 0) | (shares >= 1)):
            raise fail("shares", "be a non-empty list of proportions in [0, 1)", self.shares)
        if np.any(np.diff(shares) <= 0):
            raise fail("shares", "be strictly increasing", self.shares)
        if not self.n_uses:
            raise fail("n_uses", "name at least one generator size", self.n_uses)
        for n_use in self.n_uses:
            if n_use is not None:
                check_int(n_use, "n_uses", minimum=2)
        if not self.covariances or any(
            c not in ("identity", "estimated") for c in self.covariances
        ):
            raise fail(
                "covariances", "be a non-empty list of 'identity'/'estimated'", self.covariances
            )
        if not self.prunings or not all(isinstance(p, MLPPruning) for p in self.prunings):
            raise fail("prunings", "be a non-empty list of MLPPruning", self.prunings)
        check_probability(self.epsilon, "epsilon")
        check_int(self.n_per_class, "n_per_class", minimum=1)
        check_int(self.test_per_class, "test_per_class", minimum=1)
        check_int(self.n_repeats, "n_repeats", minimum=2)
        check_int(self.steps, "steps", minimum=1)
        check_int(self.hidden, "hidden", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)

    def synthetic_count(self, share: float, n_classes: int) -> int:
        """``m`` with ``m/(n + m) ≈ share`` for ``n = n_per_class · n_classes`` real images."""
        n = self.n_per_class * n_classes
        return round(n * share / (1.0 - share))


#: The full run: 4 shares × 3 n_use × 2 covariances × 3 prunings × 3 repetitions.
MLP_FULL = MLPGrid()
#: The quick run: 2 shares, one generator (n_use = 100, estimated), 2 repetitions, 300 steps.
MLP_QUICK = MLPGrid(
    shares=(0.0, 0.8), n_uses=(100,), covariances=("estimated",), n_repeats=2, steps=300
)


def mlp_config() -> dict[str, Any]:
    """JSON-able description of the full grid (part of a reproduction's cache key)."""
    return asdict(MLP_FULL)


@dataclass(frozen=True, eq=False)
class MLPProtocolResult:
    """Held-out accuracy of the MLP over the grid of :class:`MLPGrid`.

    Array axes: ``(n_use, covariance, pruning, share)``; share 0 (real images only) is the
    same real-only trial in every ``(n_use, covariance, pruning)`` row.

    Attributes
    ----------
    dataset : str
    grid : MLPGrid
    accuracy : ndarray, shape (n_repeats, n_use, covariance, pruning, share)
        Test accuracy of every fit.
    accuracy_mean, accuracy_se : ndarray, shape (n_use, covariance, pruning, share)
        Mean over repetitions and its standard error (``std(ddof=1)/√n_repeats``).
    kept_fraction : ndarray, shape (n_use, covariance, pruning, share)
        Mean fraction of synthetic images kept (NaN at share 0).
    kept_noise : ndarray, shape (n_use, covariance, pruning, share)
        Mean fraction of wrong labels among the kept synthetic images (NaN where none).
    synthetic_counts : tuple of int
        ``m`` per share (before pruning).
    n_classes : int
    pool_per_class : int
        Smallest real pool of a class (what ``n_use = "all"`` means).
    n_test : int
        Held-out real test images per repetition.
    seed : int
    quick : bool
    seconds : float
        Wall time of :func:`run_mlp_protocol`.
    n_jobs : int
    """

    dataset: str
    grid: MLPGrid
    accuracy: FloatArray
    accuracy_mean: FloatArray
    accuracy_se: FloatArray
    kept_fraction: FloatArray
    kept_noise: FloatArray
    synthetic_counts: tuple[int, ...]
    n_classes: int
    pool_per_class: int
    n_test: int
    seed: int
    quick: bool
    seconds: float
    n_jobs: int = 1

    def __post_init__(self) -> None:
        for name in ("accuracy", "accuracy_mean", "accuracy_se", "kept_fraction", "kept_noise"):
            arr = np.array(getattr(self, name), dtype=np.float64)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @property
    def n_use_labels(self) -> tuple[str, ...]:
        """``"10"``, ``"100"``, ``"all (350)"`` ... one per ``grid.n_uses``."""
        return tuple(
            str(u) if u is not None else f"all ({self.pool_per_class})" for u in self.grid.n_uses
        )


# --------------------------------------------------------------------------- helpers


def mlp_subsample(y: ArrayLike, per_class: int, *, seed: int) -> NDArray[np.intp]:
    """Indices of ``per_class`` random images of every class (sorted), from ``seed``'s stream.

    Used to give Fashion-MNIST (6,000 training images per class) the same kind of pool as
    the other runs; the draw is independent of the overlay's.
    """
    labels = np.asarray(y)
    per = check_int(per_class, "per_class", minimum=1)
    gen = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_STREAM, 1)))
    parts = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        if idx.size < per:
            raise fail("per_class", f"be at most the size of class {c} ({idx.size})", per)
        parts.append(gen.choice(idx, per, replace=False))
    return np.sort(np.concatenate(parts))


@dataclass(frozen=True, eq=False)
class _Trial:
    """One trial: the real-only fit (``generator is None``) or one generator setting."""

    X: FloatArray
    y: IntArray  # class indices 0..K−1
    n_classes: int
    grid: MLPGrid
    split_seed: np.random.SeedSequence
    generator: tuple[int | None, Covariance] | None


def _split(
    y: IntArray, n_classes: int, grid: MLPGrid, seed: np.random.SeedSequence
) -> tuple[NDArray[np.intp], NDArray[np.intp], list[NDArray[np.intp]]]:
    """Train indices, test indices and the per-class pools (train images included)."""
    gen = np.random.default_rng(seed)
    train, test, pools = [], [], []
    for c in range(n_classes):
        perm = gen.permutation(np.flatnonzero(y == c))
        test.append(perm[: grid.test_per_class])
        pool = perm[grid.test_per_class :]
        pools.append(pool)
        train.append(pool[: grid.n_per_class])
    return np.concatenate(train), np.concatenate(test), pools


def _fit_score(
    grid: MLPGrid,
    X: FloatArray,
    y: IntArray,
    X_test: FloatArray,
    y_test: IntArray,
    random_state: int,
) -> float:
    """Train the MLP for ``grid.steps`` Adam steps and return its test accuracy."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    batch = min(grid.batch_size, X.shape[0])
    epochs = max(1, math.ceil(grid.steps / math.ceil(X.shape[0] / batch)))
    clf = MLPClassifier(
        hidden_layer_sizes=(grid.hidden,),
        activation="relu",
        solver="adam",
        batch_size=batch,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,  # never stop on the loss plateau: a fixed budget
        early_stopping=False,
        random_state=random_state,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return float(np.mean(clf.predict(X_test) == y_test))


def _sample_class(
    gen: np.random.Generator, mean: FloatArray, centred: FloatArray | None, m: int
) -> FloatArray:
    """``m`` draws of N(mean, I) (``centred is None``) or N(mean, RᵀR/(n − 1))."""
    if centred is None:
        return mean + gen.standard_normal((m, mean.shape[0]))
    n_fit = centred.shape[0]
    return mean + gen.standard_normal((m, n_fit)) @ centred / math.sqrt(n_fit - 1)


def _run_trial(task: _Trial, rng: np.random.Generator) -> FloatArray:
    """Real-only: shape (1,) accuracy. Generator: (prunings, shares > 0, 3) of
    accuracy, kept fraction, wrong-label fraction among the kept."""
    grid, k = task.grid, task.n_classes
    train, test, pools = _split(task.y, k, grid, task.split_seed)
    X_train = task.X[train]
    centre = X_train.mean(axis=0)
    scale = float(np.sqrt(X_train.var(axis=0).mean()))
    if scale <= 0:
        raise fail("X", "vary across the real training images", "constant images")

    def features(idx: NDArray[np.intp]) -> FloatArray:
        out: FloatArray = (task.X[idx] - centre) / scale
        return out

    Z_train, Z_test = features(train), features(test)
    y_train, y_test = task.y[train], task.y[test]
    random_state = int(rng.integers(2**31 - 1))
    if task.generator is None:
        return np.array([_fit_score(grid, Z_train, y_train, Z_test, y_test, random_state)])

    n_use, covariance = task.generator
    means, factors = [], []
    for pool in pools:
        chosen = pool if n_use is None else rng.choice(pool, n_use, replace=False)
        Zc = features(np.asarray(chosen))
        mean = Zc.mean(axis=0)
        means.append(mean)
        factors.append(None if covariance == "identity" else Zc - mean)

    positive = [s for s in grid.shares if s > 0]
    out = np.full((len(grid.prunings), len(positive), 3), np.nan)
    for j, share in enumerate(positive):
        m = grid.synthetic_count(share, k)
        y_syn = rng.permutation(np.arange(m) % k).astype(np.int64)
        X_syn = np.empty((m, Z_train.shape[1]))
        for c in range(k):
            rows = np.flatnonzero(y_syn == c)
            X_syn[rows] = _sample_class(rng, means[c], factors[c], rows.size)
        y_noisy, flipped = flip_labels_multiclass(y_syn, grid.epsilon, k, rng=rng)
        coins = rng.random(m)  # one coin per image, shared by the prunings (common numbers)
        for i, pr in enumerate(grid.prunings):
            keep = coins < np.where(flipped, pr.rho, pr.phi)
            acc = _fit_score(
                grid,
                np.vstack([Z_train, X_syn[keep]]),
                np.concatenate([y_train, y_noisy[keep]]),
                Z_test,
                y_test,
                random_state,
            )
            noise = float(flipped[keep].mean()) if keep.any() else np.nan
            out[i, j] = acc, float(keep.mean()) if m else np.nan, noise
    return out


# --------------------------------------------------------------------------- the protocol


def run_mlp_protocol(
    X: ArrayLike,
    y: ArrayLike,
    *,
    quick: bool = False,
    seed: int = 0,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: StageProgress | None = None,
    dataset_name: str = "data",
    grid: MLPGrid | None = None,
) -> MLPProtocolResult:
    """Measure the 10-class MLP on real + noisy, pruned Gaussian synthetic images.

    Parameters
    ----------
    X : array_like, shape (n_images, d)
        Real images (e.g. pixels in [0, 1]).
    y : array_like, shape (n_images,)
        Integer class labels; every class needs at least ``test_per_class +
        max(n_per_class, n_use)`` images.
    quick : bool, default False
        Use :data:`MLP_QUICK` instead of :data:`MLP_FULL` (ignored when ``grid`` is given).
    seed : int, default 0
        Root seed (>= 0); the protocol draws from its own stream of it.
    n_jobs : int, default 1
        Worker processes (``-1``: all cores); results do not depend on it.
    scheduler : str, optional
        Dask scheduler address (see :func:`synthmix.parallel.map_tasks`).
    progress : callable, optional
        ``progress(stage, done, total)`` after each finished trial.
    dataset_name : str
        Recorded in the result and shown in figures.
    grid : MLPGrid, optional
        A custom grid (tests use tiny ones).

    Returns
    -------
    MLPProtocolResult
    """
    from synthmix.parallel import map_tasks

    start = time.perf_counter()
    g = grid if grid is not None else (MLP_QUICK if quick else MLP_FULL)
    if not isinstance(g, MLPGrid):
        raise fail("grid", "be an MLPGrid or None", grid)
    seed = check_int(seed, "seed", minimum=0)
    X_arr = as_float_array(X, "X")
    if X_arr.ndim != 2 or X_arr.shape[0] == 0:
        raise fail("X", "be a non-empty 2-D array (n_images, d)", f"shape {X_arr.shape}")
    y_raw = np.asarray(y)
    if y_raw.shape != (X_arr.shape[0],) or y_raw.dtype.kind not in "iu":
        raise fail("y", f"be integer labels of shape ({X_arr.shape[0]},)", f"shape {y_raw.shape}")
    classes, y_idx = np.unique(y_raw, return_inverse=True)
    k = int(classes.size)
    if k < 2:
        raise fail("y", "hold at least two classes", classes)
    counts = np.bincount(y_idx, minlength=k)
    largest_use = max([g.n_per_class, *(u for u in g.n_uses if u is not None)])
    need = g.test_per_class + largest_use
    if counts.min() < need:
        raise fail("y", f"have at least {need} images in every class", counts.tolist())

    splits = np.random.SeedSequence(seed, spawn_key=(_STREAM, 0)).spawn(g.n_repeats)
    generators: list[tuple[int | None, Covariance]] = [
        (u, c) for u in g.n_uses for c in g.covariances
    ]
    tasks = [
        _Trial(X_arr, y_idx.astype(np.int64), k, g, splits[r], gen)
        for r in range(g.n_repeats)
        for gen in [None, *generators]
    ]

    rows = map_tasks(
        _run_trial,
        tasks,
        n_jobs=n_jobs,
        rng=np.random.SeedSequence(seed, spawn_key=(_STREAM, 2)),
        scheduler=scheduler,
        progress=stage_callback(progress, f"{dataset_name}: MLP trials"),
    )
    shape = (len(g.n_uses), len(g.covariances), len(g.prunings), len(g.shares))
    acc = np.empty((g.n_repeats, *shape))
    kept = np.full((g.n_repeats, *shape), np.nan)
    noise = np.full((g.n_repeats, *shape), np.nan)
    first = 1 if g.shares[0] == 0 else 0
    per = 1 + len(generators)
    for r in range(g.n_repeats):
        block = rows[r * per : (r + 1) * per]
        if first:
            acc[r, ..., 0] = block[0][0]
        for t, gen in enumerate(generators):
            a, b = g.n_uses.index(gen[0]), g.covariances.index(gen[1])
            acc[r, a, b, :, first:] = block[1 + t][..., 0]
            kept[r, a, b, :, first:] = block[1 + t][..., 1]
            noise[r, a, b, :, first:] = block[1 + t][..., 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN share-0 columns
        kept_mean, noise_mean = np.nanmean(kept, axis=0), np.nanmean(noise, axis=0)
    return MLPProtocolResult(
        dataset=dataset_name,
        grid=g,
        accuracy=acc,
        accuracy_mean=acc.mean(axis=0),
        accuracy_se=acc.std(axis=0, ddof=1) / np.sqrt(g.n_repeats),
        kept_fraction=kept_mean,
        kept_noise=noise_mean,
        synthetic_counts=tuple(g.synthetic_count(s, k) for s in g.shares),
        n_classes=k,
        pool_per_class=int(counts.min()) - g.test_per_class,
        n_test=g.test_per_class * k,
        seed=seed,
        quick=bool(quick) if grid is None else False,
        seconds=time.perf_counter() - start,
        n_jobs=n_jobs,
    )
