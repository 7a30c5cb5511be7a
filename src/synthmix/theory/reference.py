"""A deliberately plain, dense evaluation of the corrected theorem, one point at a time.

The theorem is that of ``docs/math/rmt.md``.

This module is the **O(p³)-per-point baseline** for benchmarks and cross-checks, not for
production: use :func:`synthmix.theory.predict`, which evaluates the same formulas in O(p) per
point after a one-time eigendecomposition and vectorises over parameter points.

:func:`reference_predict` follows docs/math/rmt.md ("Theorem (corrected)") line by line, for real
covariance ``Σ_r = I_p``, any synthetic covariance ``C`` and any mean shift ``μ_s``:

1. the eigenvalues ``c_k`` of ``C`` (one ``eigvalsh`` per call);
2. the scalar fixed point (eq. FP)
   ``d_k = γ + π/(1+δ) + α(1-π) c_k/(1+δ_s)``, ``δ = (1/N) Σ_k 1/d_k``,
   ``δ_s = (1/N) Σ_k c_k/d_k``, by plain (optionally damped) fixed-point iteration from 0;
3. ``Q̄ = [π/(1+δ)(μμᵀ + I) + α(1-π)/(1+δ_s)(μ_sμ_sᵀ + C) + γI]⁻¹`` as a dense ``p × p``
   matrix, from a dense solve against the identity;
4. ``M = μᵀQ̄u`` with ``u = π/(1+δ) μ + λ(1-π)/(1+δ_s) μ_s``;
5. ``V = uᵀEu + T1(1 - 2M) + T2(α - 2λ μ_sᵀQ̄u)`` with ``t1, t2, t3, a1, a2, b1, b2, h,
   T1, T2`` exactly as in docs/math/rmt.md and ``E`` formed from dense ``p × p`` products;
6. accuracy ``Φ(M/√(V - M²))`` and risk ``V - 2M + 1``.

``pruning="weight"`` reproduces the error of the paper's public code: there ``δ_s`` is
multiplied by α in the fixed point (``δ_s = (α/N) Σ_k c_k/d_k``), which models every synthetic
sample *weighted* by α instead of kept or dropped by a coin flip. It coincides with the
corrected theory when α = 1 (every synthetic sample kept: φ = 1 and ε = 0, or ρ = φ = 1) and
differs elsewhere (by ~0.03 accuracy at p = n + αm = 100 with (ρ, φ) = (0.1, 0.9), where
Monte-Carlo sides with the corrected theory); for strong pruning near ``p ≈ n + αm`` it can
give a negative score variance
``V - M² < 0``, for which :func:`reference_predict` returns ``accuracy = nan`` — that *is* the
public code's failure, reproduced on purpose.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike
from scipy.special import ndtr

from synthmix._types import FloatArray
from synthmix._validation import (
    as_float_array,
    check_finite_vector,
    check_nonnegative,
    check_positive,
    check_probability,
    fail,
)
from synthmix.exceptions import ConvergenceError

__all__ = ["reference_predict"]

Pruning = Literal["bernoulli", "weight"]

TOL = 1e-14  # relative step at which the fixed-point iteration stops
MAX_ITER = 1_000_000  # each iteration is O(p); slow contraction only near p ≈ N with tiny γ


def _scalar(value: ArrayLike, name: str, kind: str) -> float:
    check = {"nonneg": check_nonnegative, "pos": check_positive, "prob": check_probability}[kind]
    arr = check(value, name)
    if arr.ndim != 0:
        raise fail(name, "be a scalar (reference_predict evaluates one point)", value)
    return float(arr)


def _spectrum(cov_synth: ArrayLike | None, p: int) -> tuple[FloatArray, FloatArray]:
    """``(C dense, eigenvalues of C)``; ``None`` means ``I_p``, a 1-D array a diagonal ``C``."""
    if cov_synth is None:
        return np.eye(p), np.ones(p)
    arr = as_float_array(cov_synth, "cov_synth")
    if arr.ndim == 1:
        if arr.shape != (p,) or np.any(arr < 0):
            raise fail("cov_synth", f"be a non-negative spectrum of length {p}", cov_synth)
        return np.diag(arr), arr.copy()
    if arr.shape != (p, p):
        raise fail("cov_synth", f"be None, a length-{p} spectrum or a ({p}, {p}) matrix", arr.shape)
    cov = 0.5 * (arr + arr.T)
    return cov, np.clip(scipy.linalg.eigvalsh(cov), 0.0, None)


def _fixed_point(
    c: FloatArray,
    *,
    big_n: float,
    pi: float,
    alpha: float,
    gamma: float,
    weight: bool,
    damping: float,
) -> tuple[float, float]:
    """Iterate (eq. FP) from ``(0, 0)``; with ``weight`` the public code's ``δ_s·α``."""
    scale_s = alpha if weight else 1.0
    delta, delta_s = 0.0, 0.0
    for _ in range(MAX_ITER):
        d = gamma + pi / (1.0 + delta) + alpha * (1.0 - pi) * c / (1.0 + delta_s)
        new = float(np.sum(1.0 / d)) / big_n
        new_s = scale_s * float(np.sum(c / d)) / big_n
        step = max(abs(new - delta), abs(new_s - delta_s))
        delta += damping * (new - delta)
        delta_s += damping * (new_s - delta_s)
        if step <= TOL * max(abs(delta), abs(delta_s), 1e-300):
            return delta, delta_s
    raise ConvergenceError(
        f"the reference fixed point did not converge in {MAX_ITER} iterations at p={c.shape[0]}, "
        f"N={big_n:g}, pi={pi:g}, alpha={alpha:g}, gamma={gamma:g}"
    )


def reference_predict(
    mu_real: ArrayLike,
    mu_synth: ArrayLike | None,
    cov_synth: ArrayLike | None,
    *,
    n: float,
    m: float,
    epsilon: float,
    rho: float,
    phi: float,
    gamma: float,
    pruning: Pruning = "bernoulli",
    damping: float = 1.0,
) -> dict[str, float]:
    """Evaluate docs/math/rmt.md's corrected theorem at one point with dense ``p × p`` algebra.

    The O(p³)-per-point baseline for benchmarks and cross-checks of
    :func:`synthmix.theory.predict` — not for production (it recomputes the eigenvalues of
    ``C``, a dense ``p × p`` solve and several ``p × p`` matrix products at every call).
    Real covariance is ``I_p``.

    Parameters
    ----------
    mu_real : array_like, shape (p,)
        Real class mean ``μ``.
    mu_synth : array_like, shape (p,), or None
        Generator class mean ``μ_s``; None means ``μ``.
    cov_synth : array_like, shape (p, p) or (p,), or None
        Generator covariance ``C``: a symmetric PSD matrix, a diagonal (its spectrum), or None
        for ``I_p``.
    n, m : float
        Real and synthetic sample counts (``n + m > 0``; ``N = n + m`` counts pruned samples).
    epsilon : float
        Synthetic label-flip probability ε.
    rho, phi : float
        Keep probabilities of wrong-label (ρ) and right-label (φ) synthetic samples.
    gamma : float
        Ridge penalty γ > 0.
    pruning : {"bernoulli", "weight"}, default "bernoulli"
        ``"bernoulli"``: the corrected theory (each synthetic sample kept or dropped by a coin
        flip). ``"weight"``: the paper's public code, whose fixed point multiplies ``δ_s`` by
        α (every synthetic sample weighted by α); equal to ``"bernoulli"`` when α = 1.
    damping : float, default 1
        Step ``ω ∈ (0, 1]`` of the fixed-point iteration ``x ← x + ω(f(x) - x)``. The map is
        monotone, so the undamped iteration from 0 already converges to the fixed point.

    Returns
    -------
    dict of str to float
        ``accuracy`` (``Φ(M/√(V-M²))``, signed; NaN when ``V - M² ≤ 0``, which only the
        ``"weight"`` variant produces), ``risk`` (``V - 2M + 1``), ``mean`` (M),
        ``second_moment`` (V), ``variance`` (``V - M²``), ``delta``, ``delta_s``, ``h``,
        ``alpha`` and ``lam``.

    Raises
    ------
    ValidationError
        A parameter is out of range or has the wrong shape.
    ConvergenceError
        The fixed-point iteration did not converge.

    Notes
    -----
    At α = 0 (no synthetic sample kept) the documented ``T2 = b1/(αh)`` is 0/0; it multiplies
    ``α - 2λ μ_sᵀQ̄u = 0`` (α = 0 forces λ = 0), so the synthetic terms are dropped.

    Examples
    --------
    >>> import numpy as np
    >>> from synthmix.theory.reference import reference_predict
    >>> mu = np.r_[1.5, np.zeros(49)]
    >>> out = reference_predict(mu, None, None, n=100, m=200, epsilon=0.2, rho=0.1, phi=0.9,
    ...                         gamma=1.0)
    >>> 0.5 < out["accuracy"] < 1.0
    True
    """
    mu = check_finite_vector(mu_real, "mu_real")
    p = mu.shape[0]
    mu_s = mu.copy() if mu_synth is None else check_finite_vector(mu_synth, "mu_synth", size=p)
    cov, c = _spectrum(cov_synth, p)
    n_f = _scalar(n, "n", "nonneg")
    m_f = _scalar(m, "m", "nonneg")
    eps = _scalar(epsilon, "epsilon", "prob")
    rho_f = _scalar(rho, "rho", "prob")
    phi_f = _scalar(phi, "phi", "prob")
    gam = _scalar(gamma, "gamma", "pos")
    if n_f + m_f <= 0:
        raise fail("n + m", "be > 0 (at least one training sample)", n_f + m_f)
    if pruning not in ("bernoulli", "weight"):
        raise fail("pruning", "be 'bernoulli' or 'weight'", pruning)
    if not 0.0 < damping <= 1.0:
        raise fail("damping", "lie in (0, 1]", damping)

    big_n = n_f + m_f
    pi = n_f / big_n
    alpha = phi_f * (1.0 - eps) + rho_f * eps
    lam = phi_f * (1.0 - eps) - rho_f * eps
    if alpha == 0.0:  # nothing kept: drop the synthetic terms (λ = 0 too)
        lam = 0.0

    delta, delta_s = _fixed_point(
        c,
        big_n=big_n,
        pi=pi,
        alpha=alpha,
        gamma=gam,
        weight=pruning == "weight",
        damping=damping,
    )
    beta = 1.0 / (1.0 + delta)
    beta_s = 1.0 / (1.0 + delta_s)

    # Deterministic equivalent Q̄, dense.
    eye = np.eye(p)
    s_real = np.outer(mu, mu) + eye  # μμᵀ + I
    s_synth = np.outer(mu_s, mu_s) + cov  # μ_sμ_sᵀ + C
    q_inv = pi * beta * s_real + alpha * (1.0 - pi) * beta_s * s_synth + gam * eye
    q_bar = scipy.linalg.solve(q_inv, eye, assume_a="pos")

    # Mean.
    u = pi * beta * mu + lam * (1.0 - pi) * beta_s * mu_s
    q_u = q_bar @ u
    mean = float(mu @ q_u)

    # Second moment.
    d = gam + pi * beta + alpha * (1.0 - pi) * c * beta_s
    t1 = float(np.sum(1.0 / d**2)) / big_n
    t2 = float(np.sum(c**2 / d**2)) / big_n
    t3 = float(np.sum(c / d**2)) / big_n
    a1 = pi * t1 * beta**2
    a2 = pi * t3 * beta**2
    b1 = alpha * (1.0 - pi) * t3 * beta_s**2
    b2 = alpha * (1.0 - pi) * t2 * beta_s**2
    h = (1.0 - a1) * (1.0 - b2) - a2 * b1
    t_1 = (a1 * (1.0 - b2) + a2 * b1) / h
    t_2 = b1 / (alpha * h) if alpha > 0.0 else 0.0
    e_mat = ((1.0 - b2) * (q_bar @ s_real @ q_bar) + b1 * (q_bar @ s_synth @ q_bar)) / h
    second = float(u @ e_mat @ u) + t_1 * (1.0 - 2.0 * mean)
    if alpha > 0.0:
        second += t_2 * (alpha - 2.0 * lam * float(mu_s @ q_u))

    variance = second - mean**2
    accuracy = float(ndtr(mean / np.sqrt(variance))) if variance > 0.0 else float("nan")
    return {
        "accuracy": accuracy,
        "risk": second - 2.0 * mean + 1.0,
        "mean": mean,
        "second_moment": second,
        "variance": variance,
        "delta": delta,
        "delta_s": delta_s,
        "h": h,
        "alpha": alpha,
        "lam": lam,
    }
