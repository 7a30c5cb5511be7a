"""The paper's 10-class MLP protocol on real images (docs/math/rmt.md, Fig 5/7), made random.

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

Matplotlib, scikit-learn and the report classes are imported inside the functions that use
them, so importing this module is cheap.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._types import FloatArray, IntArray
from synthmix._validation import as_float_array, check_int, check_probability, fail
from synthmix.parallel import stage_callback
from synthmix.pruning import flip_labels_multiclass

if TYPE_CHECKING:
    import os

    from synthmix.experiments.registry import StageProgress
    from synthmix.report.html import Section

__all__ = [
    "MLP_FULL",
    "MLP_QUICK",
    "MLPGrid",
    "MLPProtocolResult",
    "MLPPruning",
    "mlp_config",
    "mlp_findings",
    "mlp_payload",
    "mlp_section",
    "mlp_subsample",
    "mlp_summary",
    "plot_mlp_protocol",
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


# --------------------------------------------------------------------------- reading it


def _paired(
    result: MLPProtocolResult, a: tuple[Any, ...], b: tuple[Any, ...]
) -> tuple[float, float]:
    """Mean and paired standard error over repetitions of ``accuracy[a] − accuracy[b]``."""
    d = result.accuracy[(slice(None), *a)] - result.accuracy[(slice(None), *b)]
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.shape[0]))


def _verdict(mean: float, se: float) -> str:
    if mean > 2 * se:
        return "higher"
    if mean < -2 * se:
        return "lower"
    return "no clear difference"


def _points(mean: float, se: float) -> str:
    return f"{100 * mean:+.1f} ± {100 * se:.1f} pts"


def mlp_findings(result: MLPProtocolResult) -> list[dict[str, Any]]:
    """The paper's qualitative claims, checked against the measured accuracies.

    Each finding compares accuracies at the largest synthetic share by *paired* differences
    over repetitions (same split, same real images), and calls a difference ``"higher"`` or
    ``"lower"`` when it exceeds two paired standard errors.

    Returns
    -------
    list of dict
        ``{"claim", "holds", "text", "contrasts"}``; ``holds`` is True, False, or None when
        the grid lacks what the claim needs; ``contrasts`` lists ``{"what", "diff", "se",
        "verdict"}``.
    """
    g = result.grid
    last = len(g.shares) - 1
    top = g.shares[last]
    names = [p.name for p in g.prunings]
    labels = result.n_use_labels
    configs = [(a, b) for a in range(len(g.n_uses)) for b in range(len(g.covariances))]

    def cfg(a: int, b: int) -> str:
        return f"n_use {labels[a]}, {g.covariances[b]}"

    def contrast(what: str, x: tuple[Any, ...], y: tuple[Any, ...]) -> dict[str, Any]:
        mean, se = _paired(result, x, y)
        return {"what": what, "diff": mean, "se": se, "verdict": _verdict(mean, se)}

    out: list[dict[str, Any]] = []
    has_zero = g.shares[0] == 0 and top > 0
    for setting, claim, want in (
        ("oracle", "oracle pruning helps or does not hurt as the synthetic share grows", "ok"),
        ("none", "without pruning, ε = 0.3 label noise degrades accuracy", "lower"),
    ):
        if setting not in names or not has_zero:
            out.append({"claim": claim, "holds": None, "text": "not in this grid", "contrasts": []})
            continue
        i = names.index(setting)
        cs = [
            contrast(
                f"{setting}, {cfg(a, b)}: share {top:g} − real only", (a, b, i, last), (a, b, i, 0)
            )
            for a, b in configs
        ]
        groups = {
            v: [
                f"{labels[a]} {g.covariances[b]}"
                for (a, b), c in zip(configs, cs, strict=True)
                if c["verdict"] == v
            ]
            for v in ("higher", "lower", "no clear difference")
        }
        holds = not groups["lower"] if want == "ok" else len(groups["lower"]) > len(cs) / 2
        text = f"{setting} at share {top:g} vs real images only: " + "; ".join(
            f"{v} in {len(names_)} of {len(cs)} generator settings"
            + (f" (n_use {', '.join(names_)})" if 0 < len(names_) < len(cs) else "")
            for v, names_ in groups.items()
            if names_
        )
        out.append({"claim": claim, "holds": holds, "text": text, "contrasts": cs})

    claim = "pruning (oracle, strong) beats no pruning at the largest share"
    if {"oracle", "none"} <= set(names) and top > 0:
        io, i_n = names.index("oracle"), names.index("none")
        cs = [
            contrast(f"oracle − none, {cfg(a, b)}", (a, b, io, last), (a, b, i_n, last))
            for a, b in configs
        ]
        if "strong" in names:
            i_s = names.index("strong")
            cs += [
                contrast(f"strong − none, {cfg(a, b)}", (a, b, i_s, last), (a, b, i_n, last))
                for a, b in configs
            ]
        n_higher = sum(c["verdict"] == "higher" for c in cs)
        out.append(
            {
                "claim": claim,
                "holds": n_higher > len(cs) / 2,
                "text": f"higher in {n_higher} of {len(cs)} contrasts",
                "contrasts": cs,
            }
        )
    else:
        out.append({"claim": claim, "holds": None, "text": "not in this grid", "contrasts": []})

    claim = "a better generator (more images n_use) helps, under oracle pruning"
    if len(g.n_uses) > 1 and "oracle" in names and top > 0:
        io = names.index("oracle")
        hi = len(g.n_uses) - 1
        cs = [
            contrast(
                f"oracle, {g.covariances[b]}: n_use {labels[hi]} − n_use {labels[0]}",
                (hi, b, io, last),
                (0, b, io, last),
            )
            for b in range(len(g.covariances))
        ]
        n_higher = sum(c["verdict"] == "higher" for c in cs)
        out.append(
            {
                "claim": claim,
                "holds": n_higher > 0 and not any(c["verdict"] == "lower" for c in cs),
                "text": f"higher in {n_higher} of {len(cs)} covariance settings",
                "contrasts": cs,
            }
        )
    else:
        out.append({"claim": claim, "holds": None, "text": "not in this grid", "contrasts": []})

    claim = "estimated covariance beats identity when it is estimated from enough images"
    if {"identity", "estimated"} <= set(g.covariances) and "oracle" in names and top > 0:
        io = names.index("oracle")
        be, bi = g.covariances.index("estimated"), g.covariances.index("identity")
        cs = [
            contrast(
                f"oracle, n_use {labels[a]}: estimated − identity",
                (a, be, io, last),
                (a, bi, io, last),
            )
            for a in range(len(g.n_uses))
        ]
        # "enough images": the largest n_use of the grid
        out.append(
            {
                "claim": claim,
                "holds": cs[-1]["verdict"] == "higher",
                "text": ", ".join(f"n_use {labels[a]}: {cs[a]['verdict']}" for a in range(len(cs))),
                "contrasts": cs,
            }
        )
    else:
        out.append({"claim": claim, "holds": None, "text": "not in this grid", "contrasts": []})
    return out


def mlp_payload(result: MLPProtocolResult) -> dict[str, Any]:
    """Everything behind the figure and the section, as JSON types (for ``results.json``)."""
    g = result.grid
    cells = []
    for a, n_use in enumerate(g.n_uses):
        for b, cov in enumerate(g.covariances):
            for i, pr in enumerate(g.prunings):
                for j, share in enumerate(g.shares):
                    cells.append(
                        {
                            "n_use": "all" if n_use is None else n_use,
                            "n_use_images": result.pool_per_class if n_use is None else n_use,
                            "covariance": cov,
                            "pruning": pr.name,
                            "rho": pr.rho,
                            "phi": pr.phi,
                            "share": share,
                            "m": result.synthetic_counts[j],
                            "accuracy_mean": float(result.accuracy_mean[a, b, i, j]),
                            "accuracy_se": float(result.accuracy_se[a, b, i, j]),
                            "accuracy_per_repeat": result.accuracy[:, a, b, i, j].tolist(),
                            "kept_fraction": _num(result.kept_fraction[a, b, i, j]),
                            "wrong_among_kept": _num(result.kept_noise[a, b, i, j]),
                        }
                    )
    return {
        "dataset": result.dataset,
        "seed": result.seed,
        "quick": result.quick,
        "seconds": result.seconds,
        "n_jobs": result.n_jobs,
        "grid": {**asdict(g), "n_uses": ["all" if u is None else u for u in g.n_uses]},
        "n_classes": result.n_classes,
        "n_train": g.n_per_class * result.n_classes,
        "n_test": result.n_test,
        "pool_per_class": result.pool_per_class,
        "synthetic_counts": list(result.synthetic_counts),
        "features": "pixels minus the real training images' mean, divided by one global scale "
        "(root mean per-pixel variance of those images)",
        "model": f"sklearn MLPClassifier: one hidden layer of {g.hidden} ReLU units, Adam, "
        f"batch {g.batch_size}, {g.steps} steps per fit, no early stopping",
        "label_noise": "each synthetic label independently, w.p. epsilon, to one of the other "
        "classes uniformly",
        "real_only_accuracy": float(result.accuracy_mean[0, 0, 0, 0]) if g.shares[0] == 0 else None,
        "real_only_se": float(result.accuracy_se[0, 0, 0, 0]) if g.shares[0] == 0 else None,
        "cells": cells,
        "findings": mlp_findings(result),
    }


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def mlp_summary(result: MLPProtocolResult) -> dict[str, Any]:
    """Headline numbers: real-only accuracy, accuracy at the largest share, verdicts, time."""
    g = result.grid
    labels = result.n_use_labels
    at_top = {
        pr.name: {
            f"n_use {labels[a]}, {cov}": round(float(result.accuracy_mean[a, b, i, -1]), 4)
            for a in range(len(g.n_uses))
            for b, cov in enumerate(g.covariances)
        }
        for i, pr in enumerate(g.prunings)
    }
    return {
        "real_only_accuracy": (
            round(float(result.accuracy_mean[0, 0, 0, 0]), 4) if g.shares[0] == 0 else None
        ),
        "largest_share": g.shares[-1],
        "accuracy_at_largest_share": at_top,
        "findings_hold": {f["claim"]: f["holds"] for f in mlp_findings(result)},
        "seconds": round(result.seconds, 1),
    }


# --------------------------------------------------------------------------- figure and report


def plot_mlp_protocol(result: MLPProtocolResult, path: str | os.PathLike[str]) -> Path:
    """One panel per (covariance, n_use): accuracy vs synthetic share, a line per pruning.

    Error bars are ±2 standard errors over repetitions; the dashed grey line is the
    real-only accuracy (share 0). All panels share the y axis.

    Parameters
    ----------
    result : MLPProtocolResult
    path : path-like
        PNG, written atomically.

    Returns
    -------
    Path
    """
    from synthmix.plotting import PALETTE, new_figure, save_figure

    g = result.grid
    rows, cols = len(g.covariances), len(g.n_uses)
    fig = new_figure(max(4.2 * cols, 6.0), 3.3 * rows + (1.2 if cols > 1 else 1.5))
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    shares = np.asarray(g.shares)
    labels = result.n_use_labels
    lo = np.nanmin(result.accuracy_mean - 2 * result.accuracy_se)
    hi = np.nanmax(result.accuracy_mean + 2 * result.accuracy_se)
    pad = 0.05 * max(hi - lo, 0.02)
    markers = ("o", "s", "^", "D", "v")
    for b, cov in enumerate(g.covariances):
        for a in range(len(g.n_uses)):
            ax = axes[b, a]
            if g.shares[0] == 0:
                ax.axhline(
                    result.accuracy_mean[a, b, 0, 0],
                    color="0.5",
                    ls="--",
                    lw=1.0,
                    label="real images only",
                )
            for i, pr in enumerate(g.prunings):
                offset = (i - (len(g.prunings) - 1) / 2) * 0.006  # keep error bars apart
                ax.errorbar(
                    shares + offset,
                    result.accuracy_mean[a, b, i],
                    yerr=2 * result.accuracy_se[a, b, i],
                    color=PALETTE[i % len(PALETTE)],
                    marker=markers[i % len(markers)],
                    ms=4.5,
                    lw=1.6,
                    capsize=3,
                    label=f"{pr.name} (ρ={pr.rho:g}, φ={pr.phi:g})",
                )
            ax.set_title(f"n_use = {labels[a]}, {cov} covariance", fontsize=10)
            ax.set_ylim(lo - pad, hi + pad)
            ax.set_xticks(shares)
            ax.set_xticklabels([f"{s:g}" for s in shares])
            ax.grid(alpha=0.3)
            if b == rows - 1:
                ax.set_xlabel("synthetic proportion m / (n + m)")
            if a == 0:
                ax.set_ylabel("test accuracy (10 classes)")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        names,
        loc="outside lower center",
        ncol=4 if cols > 1 else 2,
        fontsize=9,
        frameon=False,
    )
    fig.suptitle(
        f"{result.dataset}: MLP on {g.n_per_class} real images/class + Gaussian synthetic "
        f"images\nlabel noise ε = {g.epsilon:g}; mean ± 2 s.e. over {g.n_repeats} repetitions",
        fontsize=11,
    )
    return save_figure(fig, path)


def mlp_section(result: MLPProtocolResult, figure_path: str | os.PathLike[str]) -> Section:
    """A report section: protocol, figure, measured findings and every accuracy.

    Parameters
    ----------
    result : MLPProtocolResult
    figure_path : path-like
        The PNG written by :func:`plot_mlp_protocol`.

    Returns
    -------
    synthmix.report.html.Section
    """
    from synthmix.report.html import Bullets, Callout, Figure, Section, Table

    g = result.grid
    labels = result.n_use_labels
    findings = mlp_findings(result)
    checked = [f for f in findings if f["holds"] is not None]
    real = (
        f"Real images only: {result.accuracy_mean[0, 0, 0, 0]:.3f} ± "
        f"{result.accuracy_se[0, 0, 0, 0]:.3f}. "
        if g.shares[0] == 0
        else ""
    )
    protocol = (
        f"The paper's Fig. 5/7 protocol on all {result.n_classes} classes of {result.dataset}: "
        f"{g.n_per_class} real training images per class ({g.n_per_class * result.n_classes} "
        f"in all), {result.n_test} held-out real test images (never used to fit anything), "
        f"and m synthetic images from a per-class Gaussian fitted on n_use real images of the "
        f"class (all = the {result.pool_per_class} non-test images of a class), with identity "
        "or estimated covariance (rank ≤ n_use − 1, nothing added). "
        f"Each synthetic label is changed with probability ε = {g.epsilon:g} to one of the "
        "other classes at random, then pruned by independent coin flips (keep a right label "
        "w.p. φ, a wrong one w.p. ρ). Model: scikit-learn MLPClassifier with one hidden layer "
        f"of {g.hidden} ReLU units, Adam, {g.steps} steps of batch {g.batch_size} per fit "
        "(same budget whatever the data size). Features: pixels centred by the real training "
        "images' mean and divided by one global scale from them, so 'identity' covariance is "
        "isotropic noise with the real images' average per-pixel variance. "
        f"{g.n_repeats} repetitions (random splits); mean ± standard error."
    )
    verdict = (
        f"{real}{sum(bool(f['holds']) for f in checked)} of {len(checked)} qualitative claims "
        f"of the paper hold in this run (paired differences at share {g.shares[-1]:g}, "
        "'higher/lower' = beyond 2 paired s.e.). Wall time "
        f"{result.seconds:.0f} s (n_jobs = {result.n_jobs})."
    )
    bullets = []
    for f in findings:
        state = {True: "holds", False: "does not hold", None: "not tested"}[f["holds"]]
        detail = "; ".join(
            f"{c['what']}: {_points(c['diff'], c['se'])} ({c['verdict']})" for c in f["contrasts"]
        )
        bullets.append(f"{f['claim']} — {state}: {f['text']}." + (f" {detail}." if detail else ""))
    columns = ["n_use", "covariance", "pruning (ρ, φ)", *[f"share {s:g}" for s in g.shares]]
    rows = []
    for a in range(len(g.n_uses)):
        for b, cov in enumerate(g.covariances):
            for i, pr in enumerate(g.prunings):
                rows.append(
                    [
                        labels[a],
                        cov,
                        f"{pr.name} ({pr.rho:g}, {pr.phi:g})",
                        *[
                            f"{result.accuracy_mean[a, b, i, j]:.3f} ± "
                            f"{result.accuracy_se[a, b, i, j]:.3f}"
                            for j in range(len(g.shares))
                        ],
                    ]
                )
    kept = ", ".join(
        f"{pr.name} keeps {np.nanmean(result.kept_fraction[:, :, i, :]):.2f} of the synthetic "
        f"images ({np.nanmean(result.kept_noise[:, :, i, :]):.2f} of them mislabelled)"
        for i, pr in enumerate(g.prunings)
    )
    counts = ", ".join(
        f"{s:g} → m = {m}" for s, m in zip(g.shares, result.synthetic_counts, strict=True)
    )
    return Section(
        "A 10-class MLP on real + synthetic images (the paper's Fig. 5/7 protocol)",
        [
            protocol,
            Figure(
                figure_path,
                "Held-out accuracy of the MLP vs the synthetic share, per generator; lines per "
                "pruning setting (±2 s.e.); dashed: real images only.",
            ),
            Callout(verdict, "Measured"),
            Bullets(bullets),
            Table(
                columns,
                rows,
                caption=f"Test accuracy, mean ± s.e. over {g.n_repeats} repetitions. Synthetic "
                f"counts: {counts}. Measured pruning: {kept}.",
            ),
        ],
    )
