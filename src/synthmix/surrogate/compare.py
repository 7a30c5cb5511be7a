"""Predicted vs measured accuracy on a real binary task ("Real data → model").

One repetition of the protocol, on a fresh random split of the real task:

1. hold out ``test_size`` of the real data as the test set (never seen by anything else);
2. fit the :class:`~synthmix.surrogate.Surrogate` on the rest (the real *pool*), train on a
   random ``n`` of the pool, fit the generator on a random ``n_use`` of the pool;
3. for each synthetic share, draw ``m`` synthetic samples, flip labels at rate ε, prune them
   with each setting's verifier — an oracle-type coin flip with given (ρ, φ), or a real
   verifier trained on the ``n`` real training samples, whose (ρ̂, φ̂) are measured on a
   separate calibration batch with known flips — train ridge on real + kept synthetic and
   measure test accuracy;
4. predict the same with the theory from the surrogate, the generator and (ρ, φ) or (ρ̂, φ̂).

Repetitions run through :func:`synthmix.parallel.map_tasks` (identical for any ``n_jobs``);
the measured accuracy is averaged over them, with its standard error, and compared to the
mean prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._random import RngLike, int_seed, seed_sequence
from synthmix._types import FloatArray
from synthmix._validation import (
    as_float_array,
    check_int,
    check_labels,
    check_positive,
    check_probability,
    fail,
)
from synthmix.data.generators import GaussianGenerator, GMMGenerator
from synthmix.parallel import map_tasks
from synthmix.pruning import (
    ConfidentLearningVerifier,
    KNNVerifier,
    ModelVerifier,
    OracleVerifier,
    estimate_rates,
    flip_labels,
)
from synthmix.simulate.ridge import score_ridge, solve_ridge
from synthmix.surrogate.fit import fit_surrogate
from synthmix.theory import predict

__all__ = ["ConditionResult", "Protocol", "PruningSetting", "TaskComparison", "compare_on_task"]

RealVerifier = Literal["model", "knn", "cleanlab"]
_CALIBRATION = 2000  # synthetic samples with known flips behind a real verifier's (ρ̂, φ̂)


@dataclass(frozen=True)
class PruningSetting:
    """How synthetic samples are pruned: coin flips with (ρ, φ), or a real verifier.

    Examples: ``PruningSetting("oracle", rho=0, phi=1)``, ``PruningSetting("none", rho=1, phi=1)``,
    ``PruningSetting("model verifier", verifier="model")``.
    """

    name: str
    rho: float | None = None
    phi: float | None = None
    verifier: RealVerifier | None = None

    def __post_init__(self) -> None:
        if self.verifier is None:
            if self.rho is None or self.phi is None:
                raise fail("rho", "be given with phi unless a real verifier is named", self.rho)
            check_probability(self.rho, "rho")
            check_probability(self.phi, "phi")
        elif self.verifier not in ("model", "knn", "cleanlab"):
            raise fail("verifier", "be 'model', 'knn' or 'cleanlab'", self.verifier)


@dataclass(frozen=True)
class Protocol:
    """Sizes and rates of the comparison (defaults: the paper's MNIST setting, ε = 0.3).

    ``generator="gmm"`` draws synthetic data from a per-class Gaussian mixture
    (``gmm_components`` components, :class:`~synthmix.data.generators.GMMGenerator`) while the
    theory uses its moment-matched Gaussian: a check of the theory's Gaussian universality.
    """

    n: int = 100
    n_use: int | None = 200
    covariance: Literal["estimated", "identity"] = "estimated"
    epsilon: float = 0.3
    gamma: float = 1.0
    shares: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9, 0.95)
    n_components: int | None = 50
    test_size: float = 0.4
    n_repeats: int = 12
    generator: Literal["gaussian", "gmm"] = "gaussian"
    gmm_components: int = 3

    def __post_init__(self) -> None:
        check_int(self.n, "n", minimum=4)
        if self.n_use is not None:
            check_int(self.n_use, "n_use", minimum=4)
        if self.covariance not in ("estimated", "identity"):
            raise fail("covariance", "be 'estimated' or 'identity'", self.covariance)
        check_probability(self.epsilon, "epsilon")
        check_positive(self.gamma, "gamma")
        shares = as_float_array(self.shares, "shares")
        if shares.ndim != 1 or shares.size == 0 or np.any((shares < 0) | (shares >= 1)):
            raise fail(
                "shares", "be a non-empty list of synthetic proportions in [0, 1)", self.shares
            )
        if not 0 < self.test_size < 1:
            raise fail("test_size", "lie in (0, 1)", self.test_size)
        check_int(self.n_repeats, "n_repeats", minimum=2)
        if self.generator not in ("gaussian", "gmm"):
            raise fail("generator", "be 'gaussian' or 'gmm'", self.generator)
        check_int(self.gmm_components, "gmm_components", minimum=1)

    def synthetic_count(self, share: float) -> int:
        """``m`` such that ``m/(n + m)`` is the share."""
        return round(self.n * share / (1.0 - share))


@dataclass(frozen=True)
class ConditionResult:
    """One (setting, share) cell: predicted vs measured test accuracy.

    ``gaussian_score`` is the mean over repetitions of ``Φ(M/√(V − M²))`` with the trained
    classifier's measured test moments — the accuracy a Gaussian score would have.
    """

    setting: str
    share: float
    m: int
    predicted: float
    measured: float
    measured_stderr: float
    rho: float
    phi: float
    gaussian_score: float

    @property
    def gap_points(self) -> float:
        """Predicted minus measured, in accuracy points."""
        return 100.0 * (self.predicted - self.measured)


@dataclass(frozen=True)
class TaskComparison:
    """All cells of one task, with the headline mean absolute gap."""

    task: str
    protocol: Protocol
    conditions: tuple[ConditionResult, ...]
    seed: int | None

    @property
    def mean_abs_gap_points(self) -> float:
        return float(np.mean([abs(c.gap_points) for c in self.conditions]))


@dataclass(frozen=True)
class _Repeat:
    X: FloatArray
    y: NDArray[np.int64]
    protocol: Protocol
    settings: tuple[PruningSetting, ...]


def _real_verifier(kind: RealVerifier, Z: FloatArray, y: NDArray[np.int64]) -> Any:
    if kind == "model":
        return ModelVerifier.fit(Z, y)
    if kind == "knn":
        return KNNVerifier.fit(Z, y)
    return ConfidentLearningVerifier.fit(Z, y)


def _one_repeat(job: _Repeat, rng: np.random.Generator) -> FloatArray:
    """Returns (settings, shares, 5): measured, predicted, ρ used, φ used, Gaussian-score."""
    pr = job.protocol
    total = job.y.shape[0]
    perm = rng.permutation(total)
    n_test = round(pr.test_size * total)
    test, pool = perm[:n_test], perm[n_test:]
    if pool.shape[0] < max(pr.n, pr.n_use or 0):
        raise fail("n", f"leave room in the real pool ({pool.shape[0]} samples)", pr.n)
    sur = fit_surrogate(job.X[pool], job.y[pool], n_components=pr.n_components)
    z_pool, z_test = sur.transform(job.X[pool]), sur.transform(job.X[test])
    y_pool, y_test = job.y[pool], job.y[test]
    train = rng.permutation(pool.shape[0])[: pr.n]
    gen_idx = rng.permutation(pool.shape[0])[: pr.n_use] if pr.n_use else np.arange(pool.shape[0])
    generator: GaussianGenerator | GMMGenerator
    if pr.generator == "gmm":
        generator = GMMGenerator.fit(
            z_pool[gen_idx], y_pool[gen_idx], n_components=pr.gmm_components, rng=rng
        )
        moments = generator.moment_matched()
    else:
        generator = GaussianGenerator.fit(
            z_pool[gen_idx], y_pool[gen_idx], covariance=pr.covariance
        )
        moments = generator
    model = sur.model(moments, shared_samples=True)
    z_tr, y_tr = z_pool[train], y_pool[train]
    gram0, rhs0 = z_tr.T @ z_tr, z_tr.T @ y_tr

    rates: list[tuple[float, float]] = []
    verifiers: list[Any] = []
    for s in job.settings:
        if s.verifier is None:
            verifiers.append(OracleVerifier(rho=float(s.rho), phi=float(s.phi)))  # type: ignore[arg-type]
            rates.append((float(s.rho), float(s.phi)))  # type: ignore[arg-type]
            continue
        ver = _real_verifier(s.verifier, z_tr, y_tr)
        x_cal, y_cal = generator.sample(_CALIBRATION, rng=rng)
        noisy_cal, _ = flip_labels(y_cal, max(pr.epsilon, 0.2), rng=rng)  # both kinds present
        est = estimate_rates(ver.decide(x_cal, noisy_cal, rng=rng).keep, noisy_cal, y_cal)
        verifiers.append(ver)
        rates.append((est.rho, est.phi))

    out = np.empty((len(job.settings), len(pr.shares), 5))
    for j, share in enumerate(pr.shares):
        m = pr.synthetic_count(share)
        x_syn, y_true = generator.sample(m, rng=rng)
        y_noisy, _ = flip_labels(y_true, pr.epsilon, rng=rng)
        for i, ver in enumerate(verifiers):
            keep = (
                ver.decide(x_syn, y_noisy, rng=rng, y_true=y_true).keep if m else np.zeros(0, bool)
            )
            xk, yk = x_syn[keep], y_noisy[keep]
            w = solve_ridge(gram0 + xk.T @ xk, rhs0 + xk.T @ yk, pr.n + m, pr.gamma)
            rho, phi = rates[i]
            pred = predict(model, n=pr.n, m=m, epsilon=pr.epsilon, rho=rho, phi=phi, gamma=pr.gamma)
            measured, gauss = score_ridge(w, z_test, y_test)
            out[i, j] = measured, float(pred.accuracy), rho, phi, gauss
    return out


def compare_on_task(
    X: ArrayLike,
    y: ArrayLike,
    *,
    settings: Sequence[PruningSetting],
    protocol: Protocol | None = None,
    task: str = "task",
    rng: RngLike = 0,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> TaskComparison:
    """Predict and measure ridge accuracy on real + pruned synthetic data for one real task.

    Parameters
    ----------
    X : array_like, shape (n_total, d)
        Real features of a binary task.
    y : array_like, shape (n_total,)
        Labels ±1.
    settings : sequence of PruningSetting
        Pruning settings to compare (each is applied to the same synthetic draws).
    protocol : Protocol, optional
        Sizes, label-noise rate, ridge penalty, shares, repetitions.
    task : str
        Name recorded in the result.
    rng, n_jobs, scheduler, progress
        As in :func:`synthmix.parallel.map_tasks` (one child seed per repetition).

    Returns
    -------
    TaskComparison
        Per (setting, share): the mean prediction over repetitions, the mean measured
        held-out accuracy and its standard error, and the (ρ, φ) fed to the theory.
    """
    pr = protocol or Protocol()
    X_arr = as_float_array(X, "X")
    if X_arr.ndim != 2:
        raise fail("X", "be a 2-D array (n, d)", f"shape {X_arr.shape}")
    labels = check_labels(y, "y", size=X_arr.shape[0]).astype(np.int64)
    settings = tuple(settings)
    if not settings:
        raise fail("settings", "name at least one pruning setting", settings)
    seed = int_seed(rng)
    job = _Repeat(X_arr, labels, pr, settings)
    rows = np.array(
        map_tasks(
            _one_repeat,
            [job] * pr.n_repeats,
            n_jobs=n_jobs,
            rng=seed_sequence(rng),
            scheduler=scheduler,
            progress=progress,
        )
    )  # (repeats, settings, shares, 4)
    mean, se = rows.mean(axis=0), rows.std(axis=0, ddof=1) / np.sqrt(pr.n_repeats)
    cells = [
        ConditionResult(
            setting=s.name,
            share=float(share),
            m=pr.synthetic_count(share),
            predicted=float(mean[i, j, 1]),
            measured=float(mean[i, j, 0]),
            measured_stderr=float(se[i, j, 0]),
            rho=float(mean[i, j, 2]),
            phi=float(mean[i, j, 3]),
            gaussian_score=float(mean[i, j, 4]),
        )
        for i, s in enumerate(settings)
        for j, share in enumerate(pr.shares)
    ]
    return TaskComparison(task=task, protocol=pr, conditions=tuple(cells), seed=seed)
