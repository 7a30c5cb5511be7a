"""Theory-vs-Monte-Carlo sweeps of Figs. 3-4 of El Firdoussi et al. (ICLR 2025), docs/math/rmt.md.

Each experiment evaluates the random-matrix theory on a dense grid (one vectorised call per
curve) and checks it with Monte-Carlo markers from :mod:`synthmix.simulate`. Results are frozen
dataclasses of :mod:`synthmix.simulate.compare` holding every number a figure or a report
needs; drawing lives in :mod:`synthmix.plotting.rmt`.

Seeds: Monte-Carlo marker ``j`` of curve ``i`` uses the :class:`numpy.random.SeedSequence`
``SeedSequence(root.entropy, spawn_key=root.spawn_key + (i, j))`` — exactly
``seed_sequence(rng).spawn(...)[i].spawn(...)[j]`` on a fresh root — so every marker can be
re-run on its own and nothing depends on ``n_jobs`` or on the order of the work.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from synthmix._random import RngLike, child_sequence, root_entropy, seed_sequence
from synthmix._types import FloatArray
from synthmix._validation import (
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    fail,
)
from synthmix.simulate import SimulationResult, simulate, simulate_estimated_generator
from synthmix.simulate.compare import (
    Curve,
    MonteCarloMarker,
    PhaseTransitionResult,
    ToySettingResult,
)
from synthmix.theory import MixtureModel, predict, predict_estimated_generator, transition_epsilon

__all__ = [
    "FIG3_EPSILON",
    "FIG3_VERIFIERS",
    "fig3_toy_setting",
    "fig4_phase_transition",
]

Progress = Callable[[int, int], None]

#: Label-flip rate of the synthetic data in Fig. 3 (the paper does not state it; see
#: :func:`fig3_toy_setting`).
FIG3_EPSILON = 0.4

#: The two verifiers of Fig. 3 as ``name -> (rho, phi)``: an oracle, and a weak verifier that
#: keeps 90% of right labels and 85% of wrong ones (chosen numerically, see
#: :func:`fig3_toy_setting`).
FIG3_VERIFIERS: Mapping[str, tuple[float, float]] = {"oracle": (0.0, 1.0), "weak": (0.85, 0.9)}

_FIG3_CHOICE = (
    "The paper gives neither the label-noise rate nor the weak verifier's rates. With the theory "
    "(instantaneous) we scanned epsilon in [0.3, 0.5] and rho, phi in [0.3, 1]: the oracle curve "
    "rises monotonically for every epsilon (it keeps only right labels), while a weak verifier "
    "produces a dip followed by a recovery when the flip rate among kept samples, "
    "rho*eps/alpha, is about 0.4. epsilon = 0.4 with (rho, phi) = (0.85, 0.9) (an almost "
    "uninformative verifier: kept flip rate 0.39) gives a dip of about 0.02 in accuracy for "
    "p = 200 and p = 500 near a synthetic proportion of 0.7, well above the Monte-Carlo "
    "standard errors, then a recovery by 0.02-0.03 as synthetic data dominate."
)


def _z_score(mean: float, theory: float, se: float) -> float:
    if se > 0:
        return (mean - theory) / se
    return 0.0 if mean == theory else math.copysign(math.inf, mean - theory)


def _trials_for(n_trials: int | Mapping[int, int], key: int, name: str) -> int:
    if isinstance(n_trials, Mapping):
        if key not in n_trials:
            raise fail(name, f"give a number of trials for {key}", dict(n_trials))
        return check_int(n_trials[key], name, minimum=2)
    return check_int(n_trials, name, minimum=2)


def _int_tuple(values: Sequence[Any], name: str, minimum: int) -> tuple[int, ...]:
    out = tuple(check_int(v, name, minimum=minimum) for v in values)
    if not out:
        raise fail(name, "not be empty", values)
    return out


def _scalar(value: Any, name: str, check: Callable[[Any, str], FloatArray]) -> float:
    arr = check(value, name)
    if arr.ndim != 0:
        raise fail(name, "be a single number", value)
    return float(arr)


def _grid(values: ArrayLike, name: str, *, open_interval: bool) -> FloatArray:
    arr = np.sort(check_probability(values, name).ravel())
    if arr.size == 0:
        raise fail(name, "not be empty", values)
    if open_interval and (arr[0] <= 0 or arr[-1] >= 1):
        raise fail(name, "lie strictly inside (0, 1)", values)
    return arr


class _Counter:
    """Turns per-simulation ``progress(done, total)`` into experiment-wide counts."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self.progress = progress

    def for_point(self) -> Progress | None:
        if self.progress is None:
            return None
        base = self.done
        outer = self.progress

        def inner(done: int, total: int) -> None:
            outer(base + done, self.total)

        return inner

    def finish_point(self, n_trials: int) -> None:
        self.done += n_trials


def _marker(
    res: SimulationResult, x: float, theory: float, key: tuple[int, ...]
) -> MonteCarloMarker:
    return MonteCarloMarker(
        x=float(x),
        n=res.n,
        m=res.m,
        epsilon=res.epsilon,
        rho=res.rho,
        phi=res.phi,
        accuracy_mean=res.accuracy_mean,
        accuracy_stderr=res.accuracy_stderr,
        theory=float(theory),
        z=_z_score(res.accuracy_mean, float(theory), res.accuracy_stderr),
        n_trials=res.n_trials,
        seed_key=key,
    )


# --------------------------------------------------------------------------------------------
# Fig. 3
# --------------------------------------------------------------------------------------------


def _default_fig3_grid() -> FloatArray:
    """60 proportions from 0.001 to 0.95, uniform in logit (log-like near 0, dense near 1)."""
    lo, hi = math.log(0.001 / 0.999), math.log(0.95 / 0.05)
    return 1.0 / (1.0 + np.exp(-np.linspace(lo, hi, 60)))


def fig3_toy_setting(
    *,
    p_values: Sequence[int] = (50, 200, 500),
    n: int = 1000,
    n_hat: int = 1000,
    mu_norm: float = 0.7,
    gamma: float = 1.0,
    epsilon: float = FIG3_EPSILON,
    verifiers: Mapping[str, tuple[float, float]] = FIG3_VERIFIERS,
    theory_proportions: ArrayLike | None = None,
    mc_proportions: ArrayLike = (0.01, 0.2, 0.5, 0.7, 0.85, 0.95),
    n_trials: int | Mapping[int, int] = 10,
    rng: RngLike = 0,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: Progress | None = None,
) -> ToySettingResult:
    """Fig. 3 (toy setting): accuracy vs the synthetic share, oracle vs weak pruning.

    ``n`` real samples (``x = y μ + z``, ``|μ| = mu_norm``) are mixed with ``m`` synthetic ones
    from a generator whose covariance is the sample covariance of ``n_hat`` other real samples
    (docs/math/rmt.md, "Generator estimated from n̂ real samples"); synthetic labels flip with
    probability ``epsilon`` and a verifier keeps a sample with probability ``phi`` (right label)
    or ``rho`` (wrong label). The x-axis is the synthetic proportion ``m/(n+m)``.

    Choice of ε and of the weak verifier (not given by the paper): ``epsilon = 0.4``,
    weak ``(rho, phi) = (0.85, 0.9)``. A theory scan over ε ∈ [0.3, 0.5] and ρ, φ ∈ [0.3, 1]
    shows that the oracle curve rises monotonically for every ε (it keeps only right labels),
    while a weak verifier makes the curve dip and then recover when the flip rate among kept
    samples, ρε/α, is about 0.4. With the chosen values (kept flip rate 0.39, an almost
    uninformative verifier) the dip is about 0.02 in accuracy at p = 200 and 500, near a
    synthetic proportion of 0.7, far above the Monte-Carlo standard errors (≈ 0.002), followed
    by a recovery of 0.02-0.03 when synthetic data dominate.

    Parameters
    ----------
    p_values : sequence of int, default (50, 200, 500)
        Dimensions, one curve each.
    n, n_hat : int, default 1000
        Real training samples; real samples behind the generator's covariance.
    mu_norm : float, default 0.7
        ``|μ|``.
    gamma : float, default 1
        Ridge penalty.
    epsilon : float, default :data:`FIG3_EPSILON`
        Synthetic label-flip rate.
    verifiers : mapping of str to (float, float), default :data:`FIG3_VERIFIERS`
        ``name -> (rho, phi)``; one panel each.
    theory_proportions : array_like, shape (k,), optional
        Theory grid of synthetic proportions in (0, 1); default: 60 points from 0.001 to 0.95,
        uniform in logit.
    mc_proportions : array_like, shape (j,)
        Synthetic proportions of the Monte-Carlo markers, in (0, 1); the simulated
        ``m = round(n r/(1-r))`` and the marker sits at the realised ``m/(n+m)``.
    n_trials : int or mapping of int to int, default 10
        Trials per marker, or ``p -> trials``.
    rng : None, int, SeedSequence or Generator, default 0
        Root seed; marker ``j`` of curve ``i`` uses child key ``(i, j)``.
    n_jobs : int, default 1
        Local processes for the trials of each marker; results do not depend on it.
    scheduler : str or dask.distributed.Client, optional
        Run the trials on a Dask cluster.
    progress : callable, optional
        ``progress(done_trials, total_trials)`` as Monte-Carlo trials finish.

    Returns
    -------
    ToySettingResult
        ``len(verifiers) * len(p_values)`` curves with ``k`` theory points and ``j`` markers.

    Examples
    --------
    >>> res = fig3_toy_setting(p_values=(20,), n=200, n_hat=200, mc_proportions=(0.5,), n_trials=3)
    >>> len(res.curves), res.curves[0].theory_x.shape
    (2, (60,))
    """
    start = time.perf_counter()
    ps = _int_tuple(p_values, "p_values", 1)
    n = check_int(n, "n", minimum=1)
    n_hat = check_int(n_hat, "n_hat", minimum=1)
    mu_norm = _scalar(mu_norm, "mu_norm", check_nonnegative)
    gamma = _scalar(gamma, "gamma", check_positive)
    epsilon = _scalar(epsilon, "epsilon", check_probability)
    if not verifiers:
        raise fail("verifiers", "name at least one (rho, phi) verifier", dict(verifiers))
    ver = {
        str(k): (
            _scalar(v[0], f"rho of verifier {k!r}", check_probability),
            _scalar(v[1], f"phi of verifier {k!r}", check_probability),
        )
        for k, v in verifiers.items()
    }
    grid = (
        _default_fig3_grid()
        if theory_proportions is None
        else _grid(theory_proportions, "theory_proportions", open_interval=True)
    )
    mc_r = _grid(mc_proportions, "mc_proportions", open_interval=True)
    mc_m = np.unique(np.round(n * mc_r / (1.0 - mc_r)).astype(np.int64))
    mc_m = mc_m[mc_m > 0]
    if mc_m.size == 0:
        raise fail(
            "mc_proportions",
            "give at least one proportion with m = round(n r/(1-r)) >= 1",
            mc_proportions,
        )
    grid_m = n * grid / (1.0 - grid)
    root = seed_sequence(rng)

    trials = {p: _trials_for(n_trials, p, "n_trials") for p in ps}
    counter = _Counter(len(ver) * mc_m.size * sum(trials.values()), progress)
    curves: list[Curve] = []
    index = 0
    for name, (rho, phi) in ver.items():
        for p in ps:
            common: dict[str, Any] = {
                "p": p,
                "mu_norm": mu_norm,
                "n": n,
                "n_hat": n_hat,
                "epsilon": epsilon,
                "rho": rho,
                "phi": phi,
                "gamma": gamma,
            }
            theory = predict_estimated_generator(**common, m=grid_m).accuracy
            at_markers = np.atleast_1d(
                predict_estimated_generator(**common, m=mc_m.astype(float)).accuracy
            )
            markers = []
            for j, (m_j, th) in enumerate(zip(mc_m.tolist(), at_markers.tolist(), strict=True)):
                key = (index, j)
                res = simulate_estimated_generator(
                    **common,
                    m=m_j,
                    n_trials=trials[p],
                    rng=child_sequence(root, *key),
                    n_jobs=n_jobs,
                    scheduler=scheduler,
                    progress=counter.for_point(),
                )
                counter.finish_point(trials[p])
                markers.append(_marker(res, m_j / (n + m_j), th, (*root.spawn_key, *key)))
            curves.append(
                Curve(
                    label=f"p = {p}",
                    parameters={"verifier": name, "p": p, "rho": rho, "phi": phi},
                    theory_x=grid.copy(),
                    theory_accuracy=np.asarray(theory, dtype=float),
                    markers=tuple(markers),
                )
            )
            index += 1
    return ToySettingResult(
        curves=tuple(curves),
        p_values=ps,
        verifiers=ver,
        n=n,
        n_hat=n_hat,
        mu_norm=float(mu_norm),
        gamma=float(gamma),
        epsilon=float(epsilon),
        choice=_FIG3_CHOICE,
        seed_entropy=root_entropy(root),
        seconds=time.perf_counter() - start,
    )


# --------------------------------------------------------------------------------------------
# Fig. 4
# --------------------------------------------------------------------------------------------


def fig4_phase_transition(
    *,
    p: int = 100,
    m_values: Sequence[int] | None = None,
    mu_norm: float = 1.0,
    gamma: float = 1.0,
    rho: float = 0.3,
    phi: float = 0.8,
    theory_epsilons: ArrayLike | None = None,
    mc_epsilons: ArrayLike = (0.0, 0.3, 0.5, 0.65, 0.8, 0.9, 1.0),
    n_trials: int | Mapping[int, int] = 10,
    rng: RngLike = 0,
    n_jobs: int = 1,
    scheduler: Any = None,
    progress: Progress | None = None,
) -> PhaseTransitionResult:
    """Fig. 4 (phase transition): synthetic-only accuracy vs label noise ε.

    Training uses ``m`` synthetic samples only (``n = 0``) from the true distribution
    (``μ_real = μ_synth = mu_norm·e₁``, identity covariances), labels flipped with probability
    ε, pruned by a verifier ``(rho, phi)``. The kept label signal ``λ = φ(1-ε) - ρε`` changes
    sign at ``ε* = φ/(φ+ρ)``, where every curve crosses 1/2 (docs/math/rmt.md, "Synthetic data
    only"); as ``p/m → 0`` the curves approach the step from ``Φ(|μ|)`` to ``1 - Φ(|μ|)``.

    Parameters
    ----------
    p : int, default 100
        Dimension.
    m_values : sequence of int, optional
        Synthetic sample sizes, one curve each; default ``(p, 10p, 100p, 1000p)``.
    mu_norm : float, default 1
        ``|μ|``.
    gamma : float, default 1
        Ridge penalty.
    rho, phi : float, default 0.3, 0.8
        Verifier keep probabilities (wrong / right label).
    theory_epsilons : array_like, shape (k,), optional
        Theory grid on [0, 1]; default 401 evenly spaced points plus ``ε*``.
    mc_epsilons : array_like, shape (j,)
        ε of the Monte-Carlo markers.
    n_trials : int or mapping of int to int, default 10
        Trials per marker, or ``m -> trials``.
    rng, n_jobs, scheduler, progress
        As in :func:`fig3_toy_setting`.

    Returns
    -------
    PhaseTransitionResult
        ``len(m_values)`` curves with ``k`` theory points and ``j`` markers each.

    Examples
    --------
    >>> res = fig4_phase_transition(p=20, m_values=(20, 200), mc_epsilons=(0.2,), n_trials=3)
    >>> round(res.epsilon_star, 4), bool(abs(res.accuracy_at_transition - 0.5).max() < 1e-9)
    (0.7273, True)
    """
    start = time.perf_counter()
    p = check_int(p, "p", minimum=1)
    mu_norm = _scalar(mu_norm, "mu_norm", check_nonnegative)
    gamma = _scalar(gamma, "gamma", check_positive)
    rho = _scalar(rho, "rho", check_probability)
    phi = _scalar(phi, "phi", check_probability)
    ms = _int_tuple((p, 10 * p, 100 * p, 1000 * p) if m_values is None else m_values, "m_values", 1)
    eps_star = float(transition_epsilon(rho=rho, phi=phi))
    if theory_epsilons is None:
        grid = np.union1d(np.linspace(0.0, 1.0, 401), [eps_star])
    else:
        grid = _grid(theory_epsilons, "theory_epsilons", open_interval=False)
    mc_eps = _grid(mc_epsilons, "mc_epsilons", open_interval=False)
    mu = np.zeros(p)
    mu[0] = float(mu_norm)
    model = MixtureModel(mu)
    root = seed_sequence(rng)

    trials = {m: _trials_for(n_trials, m, "n_trials") for m in ms}
    counter = _Counter(mc_eps.size * sum(trials.values()), progress)
    curves: list[Curve] = []
    at_star = np.empty(len(ms))
    for i, m in enumerate(ms):
        common: dict[str, Any] = {"n": 0, "m": m, "rho": rho, "phi": phi, "gamma": gamma}
        theory = predict(model, **common, epsilon=grid).accuracy
        at_markers = np.atleast_1d(predict(model, **common, epsilon=mc_eps).accuracy)
        at_star[i] = float(predict(model, **common, epsilon=eps_star).accuracy)
        markers = []
        for j, (eps, th) in enumerate(zip(mc_eps.tolist(), at_markers.tolist(), strict=True)):
            key = (i, j)
            res = simulate(
                model,
                **common,
                epsilon=eps,
                n_trials=trials[m],
                rng=child_sequence(root, *key),
                n_jobs=n_jobs,
                scheduler=scheduler,
                progress=counter.for_point(),
            )
            counter.finish_point(trials[m])
            markers.append(_marker(res, eps, th, (*root.spawn_key, *key)))
        curves.append(
            Curve(
                label=_m_label(m, p),
                parameters={"m": m, "p_over_m": p / m},
                theory_x=grid.copy(),
                theory_accuracy=np.asarray(theory, dtype=float),
                markers=tuple(markers),
            )
        )
    high = float(ndtr(abs(float(mu_norm))))
    return PhaseTransitionResult(
        curves=tuple(curves),
        m_values=ms,
        p=p,
        mu_norm=float(mu_norm),
        gamma=float(gamma),
        rho=float(rho),
        phi=float(phi),
        epsilon_star=eps_star,
        accuracy_at_transition=at_star,
        step_high=high,
        step_low=1.0 - high,
        seed_entropy=root_entropy(root),
        seconds=time.perf_counter() - start,
    )


def _m_label(m: int, p: int) -> str:
    ratio = m / p
    if float(ratio).is_integer():
        mult = "p" if ratio == 1 else f"{int(ratio)}p"
        return f"m = {mult} (p/m = {p / m:g})"
    return f"m = {m} (p/m = {p / m:.3g})"
