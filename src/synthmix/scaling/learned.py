"""Learning curves of learned models against the exact three-phase prediction.

:func:`run_learned_scaling` trains every arm's learners (:mod:`synthmix.scaling.learners`) on
nested training sets of a world's real/synthetic mixture (:mod:`synthmix.scaling.worlds`),
measures their prior-weighted test error over seeds, and compares each curve with the exact
``E(n)`` at the fitted generator's frequencies and with the breakpoints ``n1 = Z k^β / A`` and
``n2 = Z (k+1)^β / π`` of :func:`synthmix.scaling.breakpoints`;
:func:`synthmix.scaling.fit_three_phase` measures the breakpoints with a case bootstrap over
seeds. :func:`agreement` is the documented agreement rule of a curve with its prediction.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthmix._types import FloatArray, IntArray
from synthmix._validation import check_int, fail
from synthmix.parallel import map_tasks
from synthmix.scaling.fit import ThreePhaseFit, fit_three_phase
from synthmix.scaling.learners import LEARNERS, fit_predict, weighted_error
from synthmix.scaling.worlds import (
    DATA,
    MODES,
    Generator,
    World,
    check_beta,
    check_mixture,
    check_positive_number,
    cut_breakpoints,
    fit_generator,
    make_gaussian_world,
    make_mnist_world,
    predicted_error,
    sample_training_set,
)

__all__ = [
    "AGREEMENT_Z",
    "ArmResult",
    "ArmSettings",
    "CurveResult",
    "LearnedScalingResult",
    "LearnedScalingSettings",
    "agreement",
    "fit_json",
    "geometric_sizes",
    "run_learned_scaling",
    "three_phases_found",
]


# --------------------------------------------------------------------------------------------
# Settings and results
# --------------------------------------------------------------------------------------------


def geometric_sizes(lo: float, hi: float, count: int) -> tuple[int, ...]:
    """Distinct training-set sizes: ``count`` geometric steps from ``lo`` to ``hi``, rounded."""
    return tuple(int(v) for v in np.unique(np.round(np.geomspace(lo, hi, count))))


@dataclass(frozen=True)
class ArmSettings:
    """One arm of the experiment: a world, a generator mode and the learners run on it.

    Attributes
    ----------
    name : str
        Label in figures and tables.
    data : {"gaussian", "mnist"}
    mode : one of :data:`MODES`
    learners : tuple of str
        Subset of :data:`LEARNERS`.
    pi : float
        Real fraction of the training mixture.
    hallucination : float
        Share of synthetic draws with a wrong label.
    top_p, temperature, corruption_noise : float
        Generator parameters (see :func:`fit_generator`).
    n_pool : int, optional
        Real pool of this arm's generator (default: the settings' ``n_pool``).
    """

    name: str
    data: str
    mode: str
    learners: tuple[str, ...] = ("1nn", "logistic")
    pi: float = 0.05
    hallucination: float = 0.0
    top_p: float = 0.90
    temperature: float = 0.5
    corruption_noise: float = 0.5
    n_pool: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise fail("name", "be a non-empty string", self.name)
        if self.data not in DATA:
            raise fail("data", f"be one of {', '.join(DATA)}", self.data)
        if self.mode not in MODES:
            raise fail("mode", f"be one of {', '.join(MODES)}", self.mode)
        if not self.learners or any(x not in LEARNERS for x in self.learners):
            raise fail("learners", f"be a non-empty subset of {', '.join(LEARNERS)}", self.learners)
        check_mixture(self.pi, self.hallucination)
        if self.n_pool is not None:
            check_int(self.n_pool, "n_pool", minimum=1)


@dataclass(frozen=True)
class LearnedScalingSettings:
    """Everything that determines a run besides the seed.

    Attributes
    ----------
    arms : tuple of ArmSettings
    sizes : tuple of int
        Training-set sizes (increasing, >= 1; at least 8 for the three-phase fit).
    n_seeds : int
        Independent repetitions (>= 2): each has its own generator pool and nested training sets.
    beta : float
        Zipf exponent of both worlds.
    n_items, dim, noise, n_test_per_item : int, int, float, int
        Gaussian world (:func:`make_gaussian_world`).
    clusters_per_digit, n_components : int
        Real-data world (:func:`make_mnist_world`).
    n_pool : int
        Real pool of each fitted generator.
    n_boot : int
        Bootstrap replicates of each three-phase fit.
    """

    arms: tuple[ArmSettings, ...]
    sizes: tuple[int, ...]
    n_seeds: int = 5
    beta: float = 2.0
    n_items: int = 200
    dim: int = 32
    noise: float = 0.25
    n_test_per_item: int = 5
    clusters_per_digit: int = 6
    n_components: int = 40
    n_pool: int = 20000
    n_boot: int = 200

    def __post_init__(self) -> None:
        if not self.arms or not all(isinstance(a, ArmSettings) for a in self.arms):
            raise fail("arms", "be a non-empty tuple of ArmSettings", self.arms)
        if len({a.name for a in self.arms}) != len(self.arms):
            raise fail("arms", "have distinct names", [a.name for a in self.arms])
        sizes = [check_int(s, "sizes", minimum=1) for s in self.sizes]
        if len(sizes) < 8 or any(b <= a for a, b in itertools.pairwise(sizes)):
            raise fail("sizes", "be at least 8 strictly increasing sizes", self.sizes)
        check_int(self.n_seeds, "n_seeds", minimum=2)
        check_beta(self.beta)
        check_int(self.n_items, "n_items", minimum=2)
        check_int(self.dim, "dim", minimum=1)
        check_positive_number(self.noise, "noise")
        check_int(self.n_test_per_item, "n_test_per_item", minimum=1)
        check_int(self.clusters_per_digit, "clusters_per_digit", minimum=1)
        check_int(self.n_components, "n_components", minimum=2)
        check_int(self.n_pool, "n_pool", minimum=1)
        check_int(self.n_boot, "n_boot", minimum=10)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (the registry's cache key)."""
        out: dict[str, Any] = {
            k: getattr(self, k)
            for k in (
                "n_seeds",
                "beta",
                "n_items",
                "dim",
                "noise",
                "n_test_per_item",
                "clusters_per_digit",
                "n_components",
                "n_pool",
                "n_boot",
            )
        }
        out["sizes"] = list(self.sizes)
        out["arms"] = [
            {
                "name": a.name,
                "data": a.data,
                "mode": a.mode,
                "learners": list(a.learners),
                "pi": a.pi,
                "hallucination": a.hallucination,
                "top_p": a.top_p,
                "temperature": a.temperature,
                "corruption_noise": a.corruption_noise,
                "n_pool": a.n_pool,
            }
            for a in self.arms
        ]
        return out


@dataclass(frozen=True, eq=False)
class CurveResult:
    """The learning curve of one learner on one arm, its prediction and its three-phase fit.

    Attributes
    ----------
    arm, learner : str
    sizes : ndarray, shape (S,)
    errors : ndarray, shape (R, S)
        Measured prior-weighted test error, one row per seed.
    mean, stderr : ndarray, shape (S,)
        Mean over seeds and its standard error (``std(ddof=1)/sqrt(R)``).
    seen_error : ndarray, shape (R, S)
        The error's part on classes present in the training labels (0 for a perfect memoriser;
        the finite-size deviation from the ``a = 0`` model).
    fit : ThreePhaseFit
        :func:`fit_three_phase` of all seeds' points with a case bootstrap over seeds (errors
        floored at ``error_floor``).
    n_floored : int
        Points raised to ``error_floor`` before the log–log fit (measured error 0).
    error_floor : float
    """

    arm: str
    learner: str
    sizes: IntArray
    errors: FloatArray
    mean: FloatArray
    stderr: FloatArray
    seen_error: FloatArray
    fit: ThreePhaseFit
    n_floored: int
    error_floor: float


@dataclass(frozen=True, eq=False)
class ArmResult:
    """One arm: its settings, generators, the exact prediction and the learners' curves.

    Attributes
    ----------
    settings : ArmSettings
    world_name : str
    k : ndarray, shape (R,)
        Classes each seed's generator keeps.
    predicted : ndarray, shape (R, S)
        Exact ``E(n)`` per seed (:func:`predicted_error` with that seed's generator).
    predicted_mean : ndarray, shape (S,)
    predicted_seen : ndarray, shape (R, S)
        The part of ``predicted`` on seen classes, ``Σ_i p_i s_i(n) e_i`` (0 without
        hallucinated labels).
    predicted_dense : ndarray, shape (2, G)
        ``(n, mean exact E(n))`` on a fine grid for plotting.
    predicted_breakpoints : ndarray, shape (2,)
        ``(n1, n2)`` from :func:`synthmix.scaling.breakpoints` at the median ``k`` (nan for
        arms without a cut below ``K``).
    exact_fit : ThreePhaseFit
        The same three-phase fit applied to the exact prediction at the measured sizes (what a
        perfect memoriser would give without sampling noise).
    curves : tuple of CurveResult
    """

    settings: ArmSettings
    world_name: str
    k: IntArray
    predicted: FloatArray
    predicted_mean: FloatArray
    predicted_seen: FloatArray
    predicted_dense: FloatArray
    predicted_breakpoints: FloatArray
    exact_fit: ThreePhaseFit
    curves: tuple[CurveResult, ...]


@dataclass(frozen=True, eq=False)
class LearnedScalingResult:
    """Result of :func:`run_learned_scaling`.

    Attributes
    ----------
    settings : LearnedScalingSettings
    arms : tuple of ArmResult
    seed : int
    seconds : float
    """

    settings: LearnedScalingSettings
    arms: tuple[ArmResult, ...]
    seed: int
    seconds: float = field(default=0.0)


# --------------------------------------------------------------------------------------------
# Running the curves
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Task:
    world: World
    generator: Generator
    learner: str
    n: int
    pi: float
    hallucination: float
    stream: np.random.SeedSequence


def _run_task(task: _Task, rng: np.random.Generator) -> tuple[float, float]:
    """Error and seen-class error of one (arm, learner, size, seed)."""
    train = sample_training_set(
        task.world,
        task.generator,
        task.n,
        pi=task.pi,
        hallucination=task.hallucination,
        rng=task.stream,
    )
    pred = fit_predict(task.learner, train.X, train.y, task.world.test_X, rng=rng)
    err, per_item = weighted_error(task.world, pred)
    seen = np.zeros(task.world.n_items, dtype=bool)
    seen[train.y] = True
    return err, float(task.world.p[seen] @ per_item[seen])


def _fit_curve(
    sizes: IntArray, errors: FloatArray, floor: float, seq: np.random.SeedSequence, n_boot: int
) -> tuple[ThreePhaseFit, int]:
    n_seeds = errors.shape[0]
    floored = int(np.count_nonzero(errors < floor))
    fit = fit_three_phase(
        np.tile(sizes, n_seeds).astype(np.float64),
        np.maximum(errors, floor).ravel(),
        seeds=np.repeat(np.arange(n_seeds), sizes.shape[0]),
        rng=seq,
        n_boot=n_boot,
    )
    return fit, floored


def run_learned_scaling(
    settings: LearnedScalingSettings,
    *,
    seed: int = 0,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LearnedScalingResult:
    """Measure every arm's learning curves and fit and predict their three phases.

    Seeding: the worlds use ``SeedSequence(seed, spawn_key=(0, j))`` (``j`` = index in
    :data:`DATA`), arm ``a``'s generator of repetition ``r`` uses ``spawn_key=(1, a, r)``, its
    nested training sets ``spawn_key=(2, a, r)`` (shared by the learners), the learners'
    own randomness the children of ``spawn_key=(3,)`` given by :func:`synthmix.parallel.map_tasks`
    (one per task), and the fits ``spawn_key=(4, a, l)``. Results do not depend on ``n_jobs``.

    Parameters
    ----------
    settings : LearnedScalingSettings
        The arms, sizes and seeds (the reproduction's presets are
        :data:`synthmix.experiments.scaling_learned.FULL` and ``QUICK``).
    seed : int, default 0
    n_jobs : int, default 1
    scheduler : str, optional
        Dask scheduler address.
    progress : callable, optional
        ``progress(done, total)`` over the (arm, learner, size, seed) tasks.

    Returns
    -------
    LearnedScalingResult
    """
    if not isinstance(settings, LearnedScalingSettings):
        raise fail("settings", "be a LearnedScalingSettings", settings)
    seed = check_int(seed, "seed", minimum=0)
    start = time.perf_counter()
    st = settings
    worlds: dict[str, World] = {}
    for j, data in enumerate(DATA):
        if not any(a.data == data for a in st.arms):
            continue
        ws = np.random.SeedSequence(seed, spawn_key=(0, j))
        if data == "gaussian":
            worlds[data] = make_gaussian_world(
                n_items=st.n_items,
                dim=st.dim,
                beta=st.beta,
                noise=st.noise,
                n_test_per_item=st.n_test_per_item,
                rng=ws,
            )
        else:
            worlds[data] = make_mnist_world(
                clusters_per_digit=st.clusters_per_digit,
                beta=st.beta,
                n_components=st.n_components,
                rng=ws,
            )
    sizes = np.asarray(st.sizes, dtype=np.int64)
    gens: list[list[Generator]] = []
    tasks: list[_Task] = []
    for a, arm in enumerate(st.arms):
        world = worlds[arm.data]
        gens.append(
            [
                fit_generator(
                    world,
                    mode=arm.mode,
                    n_pool=st.n_pool if arm.n_pool is None else arm.n_pool,
                    top_p=arm.top_p,
                    temperature=arm.temperature,
                    corruption_noise=arm.corruption_noise,
                    rng=np.random.SeedSequence(seed, spawn_key=(1, a, r)),
                )
                for r in range(st.n_seeds)
            ]
        )
        for learner in arm.learners:
            for r in range(st.n_seeds):
                stream = np.random.SeedSequence(seed, spawn_key=(2, a, r))
                for n in st.sizes:
                    tasks.append(
                        _Task(world, gens[a][r], learner, n, arm.pi, arm.hallucination, stream)
                    )
    # largest tasks first keeps both workers busy to the end; results are reordered below
    order = sorted(range(len(tasks)), key=lambda i: -tasks[i].n)
    rngs_root = np.random.SeedSequence(seed, spawn_key=(3,))
    children = rngs_root.spawn(len(tasks))
    out = map_tasks(
        _run_indexed,
        [(tasks[i], children[i]) for i in order],
        n_jobs=n_jobs,
        rng=0,
        scheduler=scheduler,
        progress=progress,
    )
    results: list[tuple[float, float]] = [(0.0, 0.0)] * len(tasks)
    for i, res in zip(order, out, strict=True):
        results[i] = res
    arms_out = []
    pos = 0
    dense_n = np.geomspace(max(1.0, sizes[0] / 2), sizes[-1] * 2, 200)
    for a, arm in enumerate(st.arms):
        world = worlds[arm.data]
        pred = np.stack(
            [
                predicted_error(world, g, sizes, pi=arm.pi, hallucination=arm.hallucination)
                for g in gens[a]
            ]
        )
        clean = np.stack([predicted_error(world, g, sizes, pi=arm.pi) for g in gens[a]])
        dense = np.mean(
            [
                predicted_error(world, g, dense_n, pi=arm.pi, hallucination=arm.hallucination)
                for g in gens[a]
            ],
            axis=0,
        )
        ks = np.array([g.k for g in gens[a]], dtype=np.int64)
        k_med = int(np.median(ks))
        bps = np.array(
            cut_breakpoints(st.beta, k_med, arm.pi, world.n_items)
            if arm.mode != "temperature"
            else (math.nan, math.nan)
        )
        floor = float(np.min(world.p)) / max(1, int(np.max(np.bincount(world.test_y))))
        exact_fit, _ = _fit_curve(
            sizes,
            pred,
            floor,
            np.random.SeedSequence(seed, spawn_key=(4, a, len(LEARNERS))),
            st.n_boot,
        )
        curves = []
        for li, learner in enumerate(arm.learners):
            block = results[pos : pos + st.n_seeds * sizes.shape[0]]
            pos += st.n_seeds * sizes.shape[0]
            errs = np.array([e for e, _ in block]).reshape(st.n_seeds, sizes.shape[0])
            seen = np.array([s for _, s in block]).reshape(st.n_seeds, sizes.shape[0])
            fit, floored = _fit_curve(
                sizes, errs, floor, np.random.SeedSequence(seed, spawn_key=(4, a, li)), st.n_boot
            )
            curves.append(
                CurveResult(
                    arm=arm.name,
                    learner=learner,
                    sizes=sizes,
                    errors=errs,
                    mean=errs.mean(axis=0),
                    stderr=errs.std(axis=0, ddof=1) / np.sqrt(st.n_seeds),
                    seen_error=seen,
                    fit=fit,
                    n_floored=floored,
                    error_floor=floor,
                )
            )
        arms_out.append(
            ArmResult(
                settings=arm,
                world_name=world.name,
                k=ks,
                predicted=pred,
                predicted_mean=pred.mean(axis=0),
                predicted_seen=pred - clean,
                predicted_dense=np.stack([dense_n, dense]),
                predicted_breakpoints=bps,
                exact_fit=exact_fit,
                curves=tuple(curves),
            )
        )
    return LearnedScalingResult(
        settings=st, arms=tuple(arms_out), seed=seed, seconds=time.perf_counter() - start
    )


def _run_indexed(
    item: tuple[_Task, np.random.SeedSequence], _rng: np.random.Generator
) -> tuple[float, float]:
    """Run a task with the child generator fixed by its original index (order-independent)."""
    task, child = item
    return _run_task(task, np.random.default_rng(child))


# --------------------------------------------------------------------------------------------
# Summaries, payload and report
# --------------------------------------------------------------------------------------------

#: Agreement rule of a curve with the exact prediction (docs/conventions.md, theory vs Monte-Carlo).
AGREEMENT_Z = 4.0


def agreement(curve: CurveResult, arm: ArmResult) -> dict[str, Any]:
    """``|mean − exact| <= z · se + bias`` per size, ``bias`` from the seen-class error.

    The exact ``E(n)`` assumes a perfect memoriser (``a = b = 0``; with hallucinated labels, a
    seen class is wrong with the predicted ``e_i``); the measured error's part on classes present
    in the training labels minus its predicted value is exactly what that assumption gets wrong,
    so its largest absolute mean over sizes is the documented bias term.

    Returns
    -------
    dict
        ``z``, ``bias``, ``within`` (list of bool per size), ``all_within``, ``max_abs_z``
        (``|mean − exact| / se`` over sizes with ``se > 0``), ``max_abs_error``.
    """
    gap = np.abs(curve.mean - arm.predicted_mean)
    bias = float(np.max(np.abs(curve.seen_error.mean(axis=0) - arm.predicted_seen.mean(axis=0))))
    within = gap <= AGREEMENT_Z * curve.stderr + bias + 1e-12
    se = curve.stderr
    zs = np.divide(gap, se, out=np.zeros_like(gap), where=se > 0)
    return {
        "z": AGREEMENT_Z,
        "bias": bias,
        "within": within.tolist(),
        "all_within": bool(np.all(within)),
        "max_abs_z": float(np.max(zs)),
        "max_abs_error": float(np.max(gap)),
    }


def three_phases_found(fit: ThreePhaseFit) -> bool:
    """BIC prefers three segments and the middle one is the flattest (a plateau-like phase)."""
    s1, s2, s3 = fit.slopes
    return bool(fit.n_phases == 3 and s2 > s1 and s2 > s3)


def fit_json(fit: ThreePhaseFit) -> dict[str, Any]:
    return {
        "breakpoints": fit.breakpoints.tolist(),
        "breakpoints_ci": fit.breakpoints_ci.tolist(),
        "slopes": fit.slopes.tolist(),
        "slopes_ci": fit.slopes_ci.tolist(),
        "n_phases": fit.n_phases,
        "bic": {str(k): v for k, v in fit.bic.items()},
        "plateau_consistent": fit.plateau_consistent,
        "three_phases_found": three_phases_found(fit),
        "residual_sd": fit.residual_sd,
        "bootstrap": fit.bootstrap,
        "n_boot": fit.n_boot,
        "confidence": fit.confidence,
    }
