"""Monte-Carlo twin of the random-matrix predictions.

Each trial draws exactly what the model states — ``n`` real samples, ``m`` synthetic samples
whose labels flip with probability ε and which a verifier keeps by a coin flip (φ for a right
label, ρ for a wrong one) — fits the ridge classifier of docs/math/rmt.md (normalised by
``N = n + m``, pruned samples included in ``N``), and scores it *exactly* on the real test
distribution: given ``w`` the score ``wᵀx`` of a fresh real point is Gaussian, so

    accuracy = Φ(wᵀμ / ‖Σ_r^{1/2} w‖),   risk = (wᵀμ - 1)² + wᵀΣ_r w,

with no test-set sampling noise. Trials are independent, one child seed each, and run
through :func:`synthmix.parallel.map_tasks`; the numbers do not depend on ``n_jobs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.linalg.blas
from scipy.special import ndtr

from synthmix._random import RngLike, int_seed, seed_sequence
from synthmix._types import FloatArray
from synthmix._validation import (
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    fail,
)
from synthmix.parallel import check_n_jobs, map_tasks
from synthmix.simulate.ridge import solve_ridge
from synthmix.theory.model import MixtureModel

__all__ = ["SimulationResult", "simulate", "simulate_estimated_generator"]

Factor = FloatArray | None  # None: identity; 1-D: diagonal sqrt; 2-D (p, r): F with F Fᵀ = Σ

_CHUNK_ROWS = 4096


@dataclass(frozen=True)
class SimulationResult:
    """Monte-Carlo means and standard errors over independent trials.

    Attributes
    ----------
    accuracy_mean, accuracy_stderr : float
        Mean over trials of the exact test accuracy ``Φ(wᵀμ/‖Σ_r^{1/2}w‖)`` (signed, not
        folded) and its standard error ``std/√n_trials``.
    risk_mean, risk_stderr : float
        Same for ``E[(wᵀx - y)²]``.
    mean_mean, mean_stderr, second_moment_mean, second_moment_stderr : float
        Same for ``wᵀμ`` and ``(wᵀμ)² + wᵀΣ_r w`` (the theory's ``mean`` and ``second_moment``).
    kept_fraction_mean : float
        Mean fraction of synthetic samples kept (estimates α; NaN when ``m = 0``).
    accuracies, risks : ndarray, shape (n_trials,)
        Per-trial values.
    n_trials : int
    seed : int or None
        The integer seed when one was given (None for a Generator or fresh entropy).
    n, m, epsilon, rho, phi, gamma, p : the parameters.
    n_hat : int or None
        Real samples behind the estimated generator (:func:`simulate_estimated_generator`).
    """

    accuracy_mean: float
    accuracy_stderr: float
    risk_mean: float
    risk_stderr: float
    mean_mean: float
    mean_stderr: float
    second_moment_mean: float
    second_moment_stderr: float
    kept_fraction_mean: float
    accuracies: FloatArray
    risks: FloatArray
    n_trials: int
    seed: int | None
    n: int
    m: int
    epsilon: float
    rho: float
    phi: float
    gamma: float
    p: int
    n_hat: int | None = None


@dataclass(frozen=True)
class _Spec:
    """Everything a trial needs (picklable)."""

    mu: FloatArray
    mu_s: FloatArray
    real_factor: Factor
    synth_factor: Factor
    n_hat: int | None
    n: int
    m: int
    epsilon: float
    rho: float
    phi: float
    gamma: float


def _factor(cov: FloatArray | None, diagonal: FloatArray | None) -> Factor:
    """A factor ``F`` with ``F Fᵀ = Σ``: Cholesky, or a symmetric square root if singular."""
    if diagonal is not None:
        return np.sqrt(diagonal)
    if cov is None:
        return None
    try:
        return scipy.linalg.cholesky(cov, lower=True)
    except np.linalg.LinAlgError:
        vals, vecs = scipy.linalg.eigh(cov)
        return vecs * np.sqrt(np.clip(vals, 0.0, None))


def _model_factors(model: MixtureModel) -> tuple[Factor, Factor]:
    """Factors of the model's covariances in the original (not eigen-) basis."""
    out: list[Factor] = []
    for name in ("cov_real", "cov_synth"):
        raw = getattr(model, name)
        if raw is None:
            out.append(None)
            continue
        arr = np.asarray(raw, dtype=float)
        if arr.ndim == 0:
            out.append(np.full(model.p, np.sqrt(float(arr))))
        elif arr.ndim == 1:
            out.append(_factor(None, arr))
        else:
            out.append(_factor(0.5 * (arr + arr.T), None))
    return out[0], out[1]


def _noise(rng: np.random.Generator, rows: int, p: int, factor: Factor) -> FloatArray:
    if factor is None:
        return rng.standard_normal((rows, p))
    if factor.ndim == 1:
        return rng.standard_normal((rows, p)) * factor
    return rng.standard_normal((rows, factor.shape[1])) @ factor.T


def _accumulate(
    rng: np.random.Generator,
    gram: FloatArray,
    rhs: FloatArray,
    y: FloatArray,
    labels: FloatArray,
    mean: FloatArray,
    factor: Factor,
) -> None:
    """Add ``Σ x xᵀ`` (upper triangle of the column-major ``gram``) and ``Σ label·x`` of samples
    ``x = y·mean + noise``, in row chunks.

    In place, through BLAS: the class means enter as a rank-one update of the noise (``ger``;
    ``y = ±1`` makes each product exact, so the samples are those of ``noise + y·mean``) and
    the Gram matrix as a symmetric rank-k update (``syrk``, half the products of ``xᵀx``).
    A trial thus writes no temporary beyond its samples, which keeps the memory it touches —
    and the page faults a forked worker pays on it — small."""
    p = mean.shape[0]
    for start in range(0, y.shape[0], _CHUNK_ROWS):
        yc = y[start : start + _CHUNK_ROWS]
        if yc.shape[0] == 0:
            continue
        # the samples are row-major (rows, p), so their transpose is the column-major (p, rows)
        # matrix BLAS updates in place; f2py would update a copy of anything else and return
        # it, so the returned arrays are the ones used
        xt = _noise(rng, yc.shape[0], p, factor).T
        xt = scipy.linalg.blas.dger(1.0, mean, yc, a=xt, overwrite_a=True)
        out = scipy.linalg.blas.dsyrk(1.0, xt, beta=1.0, c=gram, trans=0, overwrite_c=True)
        if out is not gram:  # gram not column-major: the update went to a copy
            gram[...] = out
        rhs += xt @ labels[start : start + _CHUNK_ROWS]


def _estimated_factor(rng: np.random.Generator, p: int, n_hat: int) -> FloatArray:
    """Factor of the sample covariance of ``n_hat`` fresh white real samples (centred by the
    known class means, so exactly white Wishart of ratio p/n̂). Rank ``min(p, n_hat)``."""
    z = rng.standard_normal((p, n_hat)) / np.sqrt(n_hat)
    if n_hat < p:
        return z  # (z g) with g ~ N(0, I_n̂) has covariance z zᵀ
    return _factor(z @ z.T, None)  # type: ignore[return-value]


def _trial(spec: _Spec, rng: np.random.Generator) -> FloatArray:
    """One trial: returns [accuracy, risk, wᵀμ, second moment, kept fraction]."""
    p = spec.mu.shape[0]
    synth_factor = spec.synth_factor
    if spec.n_hat is not None:
        synth_factor = _estimated_factor(rng, p, spec.n_hat)
    gram = np.zeros((p, p), order="F")  # upper triangle filled by _accumulate
    rhs = np.zeros(p)
    y_real = (rng.integers(0, 2, spec.n) * 2 - 1).astype(np.float64)
    _accumulate(rng, gram, rhs, y_real, y_real, spec.mu, spec.real_factor)
    y_syn = (rng.integers(0, 2, spec.m) * 2 - 1).astype(np.float64)
    flipped = rng.random(spec.m) < spec.epsilon
    kept = rng.random(spec.m) < np.where(flipped, spec.rho, spec.phi)
    labels: FloatArray = np.where(flipped, -y_syn, y_syn)
    _accumulate(rng, gram, rhs, y_syn[kept], labels[kept], spec.mu_s, synth_factor)
    w = solve_ridge(gram, rhs, spec.n + spec.m, spec.gamma)
    signal = float(w @ spec.mu)
    f = spec.real_factor
    spread = w if f is None else (w * f if f.ndim == 1 else f.T @ w)
    noise_var = float(spread @ spread)
    if noise_var > 0:
        acc = float(ndtr(signal / np.sqrt(noise_var)))
    else:  # w = 0 (nothing to train on): sign(0) is a tie, broken by a fair coin
        acc = 0.5 if signal == 0 else float(signal > 0)
    kept_frac = float(kept.mean()) if spec.m else np.nan
    return np.array(
        [acc, (signal - 1.0) ** 2 + noise_var, signal, signal**2 + noise_var, kept_frac]
    )


def _check_counts(n: Any, m: Any) -> tuple[int, int]:
    n_i = check_int(n, "n", minimum=0)
    m_i = check_int(m, "m", minimum=0)
    if n_i + m_i == 0:
        raise fail("n + m", "be > 0 (at least one training sample)", 0)
    return n_i, m_i


#: Below this estimated serial time a worker cannot pay for itself: where a worker cannot be
#: forked, a cold loky worker takes ~0.5 s to start and import numpy, scipy and synthmix on two
#: cores while this process works, and any worker adds pickling and a pipe per chunk
#: (``benchmarks/montecarlo_parallel.py``). The estimate is the first trial's time (run here,
#: one BLAS thread, kept) times the number of trials.
PARALLEL_MIN_SECONDS = 1.0


def _run(
    spec: _Spec,
    p: int,
    n_trials: int,
    rng: RngLike,
    n_jobs: int,
    scheduler: Any,
    progress: Callable[[int, int], None] | None,
) -> SimulationResult:
    n_trials = check_int(n_trials, "n_trials", minimum=2)
    n_jobs = check_n_jobs(n_jobs)
    seed = int_seed(rng)
    root = seed_sequence(rng)
    rows = np.array(
        map_tasks(
            _trial,
            [spec] * n_trials,
            n_jobs=n_jobs,
            rng=root,
            scheduler=scheduler,
            progress=progress,
            min_seconds=PARALLEL_MIN_SECONDS,
        )
    )
    mean = rows.mean(axis=0)
    se = rows.std(axis=0, ddof=1) / np.sqrt(n_trials)
    return SimulationResult(
        accuracy_mean=float(mean[0]),
        accuracy_stderr=float(se[0]),
        risk_mean=float(mean[1]),
        risk_stderr=float(se[1]),
        mean_mean=float(mean[2]),
        mean_stderr=float(se[2]),
        second_moment_mean=float(mean[3]),
        second_moment_stderr=float(se[3]),
        kept_fraction_mean=float(mean[4]),
        accuracies=rows[:, 0].copy(),
        risks=rows[:, 1].copy(),
        n_trials=n_trials,
        seed=seed,
        n=spec.n,
        m=spec.m,
        epsilon=spec.epsilon,
        rho=spec.rho,
        phi=spec.phi,
        gamma=spec.gamma,
        p=p,
        n_hat=spec.n_hat,
    )


def _scalars(epsilon: Any, rho: Any, phi: Any, gamma: Any) -> tuple[float, float, float, float]:
    vals = (
        check_probability(epsilon, "epsilon"),
        check_probability(rho, "rho"),
        check_probability(phi, "phi"),
        check_positive(gamma, "gamma"),
    )
    for name, v in zip(("epsilon", "rho", "phi", "gamma"), vals, strict=True):
        if v.ndim != 0:
            raise fail(name, "be a scalar (simulate runs one parameter point)", v)
    return float(vals[0]), float(vals[1]), float(vals[2]), float(vals[3])


def simulate(
    model: MixtureModel,
    *,
    n: int,
    m: int,
    epsilon: float = 0.0,
    rho: float = 1.0,
    phi: float = 1.0,
    gamma: float = 1.0,
    n_trials: int = 100,
    rng: RngLike = 0,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Monte-Carlo estimate of what :func:`synthmix.theory.predict` predicts, at one point.

    Parameters
    ----------
    model : MixtureModel
    n, m : int
        Real and synthetic sample counts (``n + m > 0``).
    epsilon, rho, phi, gamma : float
        As in :func:`synthmix.theory.predict`.
    n_trials : int, default 100
        Independent trials (≥ 2).
    rng : None, int, SeedSequence or Generator, default 0
        Root seed; trial ``i`` uses child ``i``.
    n_jobs : int, default 1
        Local processes; the result is identical for any value.
    scheduler : str or dask.distributed.Client, optional
        Run the trials on a Dask cluster instead; same result.
    progress : callable, optional
        ``progress(done, total)`` after each trial.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import numpy as np
    >>> from synthmix.theory import MixtureModel
    >>> from synthmix.simulate import simulate
    >>> model = MixtureModel(np.r_[1.5, np.zeros(49)])
    >>> res = simulate(model, n=100, m=200, epsilon=0.2, rho=0.1, phi=0.9, n_trials=20, rng=0)
    >>> 0.5 < res.accuracy_mean < 1.0
    True
    """
    if not isinstance(model, MixtureModel):
        raise fail("model", "be a synthmix.theory.MixtureModel", type(model).__name__)
    n_i, m_i = _check_counts(n, m)
    eps, rho_f, phi_f, gam = _scalars(epsilon, rho, phi, gamma)
    real_f, synth_f = _model_factors(model)
    assert model.mu_synth is not None
    spec = _Spec(
        model.mu_real, model.mu_synth, real_f, synth_f, None, n_i, m_i, eps, rho_f, phi_f, gam
    )
    return _run(spec, model.p, n_trials, rng, n_jobs, scheduler, progress)


def simulate_estimated_generator(
    *,
    p: int,
    mu_norm: float,
    n: int,
    n_hat: int,
    m: int,
    epsilon: float = 0.0,
    rho: float = 1.0,
    phi: float = 1.0,
    gamma: float = 1.0,
    n_trials: int = 100,
    rng: RngLike = 0,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Twin of :func:`synthmix.theory.predict_estimated_generator`.

    Every trial draws ``n_hat`` fresh real samples, takes their sample covariance (centred by
    the known class means) as the generator covariance, then proceeds as :func:`simulate`
    with ``mu_real = mu_synth = mu_norm·e₁`` and identity real covariance.
    """
    p = check_int(p, "p", minimum=1)
    mu_norm = float(check_nonnegative(mu_norm, "mu_norm"))
    n_hat_i = check_int(n_hat, "n_hat", minimum=1)
    n_i, m_i = _check_counts(n, m)
    eps, rho_f, phi_f, gam = _scalars(epsilon, rho, phi, gamma)
    mu = np.zeros(p)
    mu[0] = mu_norm
    spec = _Spec(mu, mu, None, None, n_hat_i, n_i, m_i, eps, rho_f, phi_f, gam)
    return _run(spec, p, n_trials, rng, n_jobs, scheduler, progress)
