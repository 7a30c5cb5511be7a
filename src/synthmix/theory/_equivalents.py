"""Deterministic equivalents of docs/math/rmt.md ("Theorem (corrected)").

Notation (all per parameter point): ``N = n + m``, ``π = n/N``, ``α = φ(1-ε) + ρε``,
``λ = φ(1-ε) - ρε``; ``β = 1/(1+δ)``, ``β_s = 1/(1+δ_s)``;
``a = π β`` and ``b = α(1-π) β_s`` weight the real and synthetic second moments in

    Q̄⁻¹ = a (μμᵀ + Σ_r) + b (μ_sμ_sᵀ + C) + γ I = R⁻¹ + U diag(a, b) Uᵀ,

with ``R = (γI + aΣ_r + bC)⁻¹`` and ``U = [μ, μ_s]`` (p × 2). The fixed point is
``δ = tr(Σ_r R)/N``, ``δ_s = tr(C R)/N`` (eq. FP). Everything after it needs only

* the traces ``T_gh = tr(S_g R S_h R)/N`` for ``S ∈ {Σ_r, C}`` (eq. T), and
* the 2×2 forms ``P = UᵀRU``, ``W_r = UᵀRΣ_rRU``, ``W_s = UᵀRCRU`` (eq. W),

which a *backend* supplies: :class:`DiagonalBackend` in O(p) per point when the covariances
share an eigenbasis, :class:`DenseBackend` with p×p Cholesky solves otherwise.

The second moment generalises the documented ``V`` to any real covariance. With
``K_hg = c_g β_g² T_hg`` (``c_r = π``, ``c_s = α(1-π)``) and ``τ = (I - K)⁻¹ [T_rr, T_rs]``,
``u = U w`` with ``w = (π β, (1-π) λ β_s)``, ``v = UᵀQ̄u`` (so ``M = v_0``) and
``q_g = uᵀQ̄S'_gQ̄u`` (``S'_r = μμᵀ + Σ_r``, ``S'_s = μ_sμ_sᵀ + C``):

    V = q_r + Σ_g c_g β_g² τ_g q_g + β² τ_r π (1 - 2M) + β_s² τ_s (1-π)(α - 2λ v_1).   (eq. V)

For ``Σ_r = I`` this is exactly the documented formula (``T1 = π β² τ_r``, ``T2 = (1-π) β_s² τ_s``)
but never divides by α, so ``α → 0`` needs no special case. ``det(I - K)`` is ``h`` and also
the stability of the fixed point: the Jacobian of (FP) is ``K`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.linalg
from numpy.typing import NDArray
from scipy.special import ndtr

from synthmix._types import FloatArray
from synthmix.exceptions import ConvergenceError

RTOL = 1e-12  # relative tolerance on the fixed point
MAX_ITER = 200  # Newton iterations per point (typical: 5-15)
MAX_HALVINGS = 30  # step halvings before falling back to a plain fixed-point step
_CHUNK_ELEMENTS = 1 << 22  # points x p processed at once by the diagonal backend


@dataclass(frozen=True)
class Points:
    """Flattened parameter points, shape (P,) each."""

    n: FloatArray
    m: FloatArray
    epsilon: FloatArray
    rho: FloatArray
    phi: FloatArray
    gamma: FloatArray

    @property
    def size(self) -> int:
        return int(self.n.shape[0])

    @property
    def N(self) -> FloatArray:
        return self.n + self.m

    @property
    def pi(self) -> FloatArray:
        return self.n / self.N

    @property
    def alpha(self) -> FloatArray:
        return self.phi * (1.0 - self.epsilon) + self.rho * self.epsilon

    @property
    def lam(self) -> FloatArray:
        return self.phi * (1.0 - self.epsilon) - self.rho * self.epsilon

    def take(self, idx: NDArray[np.intp]) -> Points:
        return Points(
            *(getattr(self, f)[idx] for f in ("n", "m", "epsilon", "rho", "phi", "gamma"))
        )

    def describe(self, i: int, p: int) -> str:
        return (
            f"p={p}, n={self.n[i]:g}, m={self.m[i]:g}, epsilon={self.epsilon[i]:g}, "
            f"rho={self.rho[i]:g}, phi={self.phi[i]:g}, gamma={self.gamma[i]:g}"
        )


class Backend(Protocol):
    """Evaluates traces (eq. FP, T) and forms (eq. W) for a batch of points."""

    p: int

    def traces(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Return ``S1`` (P, 2) = [tr(Σ_r R), tr(C R)] and ``S2`` (P, 3) = [T_rr, T_rs, T_ss]·N."""
        ...

    def forms(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return ``P``, ``W_r``, ``W_s``, each (P, 2, 2)."""
        ...


class DiagonalBackend:
    """O(p) per point: covariances diagonal in a common basis (spectra ``r``, ``c``)."""

    def __init__(self, r: FloatArray, c: FloatArray, mu: FloatArray, mu_s: FloatArray) -> None:
        self.p = int(r.shape[0])
        self.r, self.c = r, c
        uu = [mu * mu, mu * mu_s, mu_s * mu_s]
        self._w1 = np.stack([r, c, *uu], axis=1)  # paired with 1/d
        self._w2 = np.stack(
            [r * r, r * c, c * c, *(r * x for x in uu), *(c * x for x in uu)], axis=1
        )

    def _inv_d(self, a: FloatArray, b: FloatArray, gamma: FloatArray) -> FloatArray:
        d = gamma[:, None] + a[:, None] * self.r + b[:, None] * self.c
        return 1.0 / d

    def traces(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        g = self._inv_d(a, b, gamma)
        return g @ self._w1[:, :2], (g * g) @ self._w2[:, :3]

    def forms(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        g = self._inv_d(a, b, gamma)
        s1 = g @ self._w1[:, 2:]
        s2 = (g * g) @ self._w2[:, 3:]
        return _sym(s1), _sym(s2[:, :3]), _sym(s2[:, 3:])


class DenseBackend:
    """Non-commuting covariances: one Cholesky factorisation of a p×p matrix per evaluation."""

    def __init__(
        self, real: FloatArray, synth: FloatArray, mu: FloatArray, mu_s: FloatArray
    ) -> None:
        self.p = int(real.shape[0])
        self.real, self.synth = real, synth
        self.u = np.stack([mu, mu_s], axis=1)
        self._eye = np.eye(self.p)

    def _factor(self, a: float, b: float, gamma: float) -> tuple[FloatArray, bool]:
        return scipy.linalg.cho_factor(gamma * self._eye + a * self.real + b * self.synth)

    def traces(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        s1 = np.empty((a.shape[0], 2))
        s2 = np.empty((a.shape[0], 3))
        for i in range(a.shape[0]):
            fac = self._factor(a[i], b[i], gamma[i])
            x = scipy.linalg.cho_solve(fac, self.real)  # R Σ_r
            y = scipy.linalg.cho_solve(fac, self.synth)  # R C
            s1[i] = np.trace(x), np.trace(y)
            s2[i] = np.sum(x * x.T), np.sum(x * y.T), np.sum(y * y.T)
        return s1, s2

    def forms(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        out = np.empty((3, a.shape[0], 2, 2))
        for i in range(a.shape[0]):
            ru = scipy.linalg.cho_solve(self._factor(a[i], b[i], gamma[i]), self.u)
            out[0, i] = self.u.T @ ru
            out[1, i] = ru.T @ self.real @ ru
            out[2, i] = ru.T @ self.synth @ ru
        return out[0], out[1], out[2]


def _sym(s: FloatArray) -> FloatArray:
    """(P, 3) entries [x00, x01, x11] -> symmetric (P, 2, 2)."""
    out = np.empty((s.shape[0], 2, 2))
    out[:, 0, 0], out[:, 0, 1], out[:, 1, 0], out[:, 1, 1] = s[:, 0], s[:, 1], s[:, 1], s[:, 2]
    return out


@dataclass(frozen=True)
class Moments:
    """Raw outputs for flattened points, shape (P,) each."""

    mean: FloatArray
    second_moment: FloatArray
    delta: FloatArray
    delta_s: FloatArray

    @property
    def variance(self) -> FloatArray:
        return self.second_moment - self.mean**2

    @property
    def accuracy(self) -> FloatArray:
        """``Φ(M/√(V − M²))``; exactly 1/2 where nothing is trained on (``w = 0``, a tie)."""
        var = self.variance
        safe = np.where(var > 0, var, 1.0)
        return np.where(var > 0, ndtr(self.mean / np.sqrt(safe)), 0.5)

    @property
    def risk(self) -> FloatArray:
        return self.second_moment - 2.0 * self.mean + 1.0


def _weights(pts: Points, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Weights ``a, b`` of R and the magnitudes ``a', b'`` of their derivatives at ``(δ, δ_s)``."""
    beta = 1.0 / (1.0 + x[:, 0])
    beta_s = 1.0 / (1.0 + x[:, 1])
    cs = pts.alpha * (1.0 - pts.pi)
    return pts.pi * beta, cs * beta_s, pts.pi * beta**2, cs * beta_s**2


def _map(backend: Backend, pts: Points, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fixed-point map f(x) (P, 2), its Jacobian (P, 2, 2) and the traces T (P, 3)."""
    a, b, da, db = _weights(pts, x)
    s1, s2 = backend.traces(a, b, pts.gamma)
    inv_n = 1.0 / pts.N
    f = s1 * inv_n[:, None]
    t = s2 * inv_n[:, None]
    jac = np.empty((x.shape[0], 2, 2))
    jac[:, 0, 0], jac[:, 0, 1] = da * t[:, 0], db * t[:, 1]
    jac[:, 1, 0], jac[:, 1, 1] = da * t[:, 1], db * t[:, 2]
    return f, jac, t


def _rel_error(x: FloatArray, f: FloatArray) -> FloatArray:
    scale = np.maximum(np.maximum(np.abs(x), np.abs(f)), 1e-300)
    return np.max(np.abs(f - x) / scale, axis=1)


def solve_fixed_point(backend: Backend, pts: Points) -> FloatArray:
    """Solve (eq. FP) for every point: safeguarded Newton, vectorised over points.

    Each iteration takes a Newton step on ``F(x) = f(x) - x`` and halves it until the relative
    residual decreases (and ``x`` stays ≥ 0), falling back to the plain step ``x ← f(x)``,
    which never leaves the positive orthant. Raises :class:`ConvergenceError` naming the first
    point still unconverged after :data:`MAX_ITER` iterations.

    Returns
    -------
    ndarray, shape (P, 2)
        ``(δ, δ_s)``.
    """
    # Start above the solution: f is increasing in (δ, δ_s) and bounded by its value at
    # δ = δ_s = ∞, where R = I/γ. From above, Newton on the concave-like map descends
    # monotonically; from 0 it can run away when the map's slope exceeds 1 there (η ≈ 1, γ → 0).
    zero = np.zeros(pts.size)
    s1_inf, _ = backend.traces(zero, zero, pts.gamma)
    x = s1_inf / pts.N[:, None]
    active = np.arange(pts.size)
    sub = pts
    for _ in range(MAX_ITER):
        xa = x[active]
        f, jac, _ = _map(backend, sub, xa)
        err = _rel_error(xa, f)
        done = err <= RTOL
        x[active[done]] = f[done]
        if np.all(done):
            return x
        keep = ~done
        active, xa, f, jac, err = active[keep], xa[keep], f[keep], jac[keep], err[keep]
        sub = pts.take(active)
        step = np.linalg.solve(jac - np.eye(2), (xa - f)[:, :, None])[:, :, 0]
        new = f.copy()  # fallback: plain fixed-point step
        pending = np.flatnonzero(np.all(np.isfinite(step), axis=1))
        scale = 1.0
        for _ in range(MAX_HALVINGS):
            trial = xa[pending] + scale * step[pending]
            ok = np.all(trial >= 0.0, axis=1)
            cand = pending[ok]
            if cand.size:
                f_trial, _, _ = _map(backend, sub.take(cand), trial[ok])
                better = _rel_error(trial[ok], f_trial) < err[cand]
                new[cand[better]] = trial[ok][better]
                accepted = np.zeros(pending.size, dtype=bool)
                accepted[np.flatnonzero(ok)[better]] = True
                pending = pending[~accepted]
            if pending.size == 0:
                break
            scale *= 0.5
        x[active] = new
    i = int(active[0])
    raise ConvergenceError(
        f"the fixed point for (delta, delta_s) did not converge in {MAX_ITER} iterations at "
        f"{pts.describe(i, backend.p)} ({active.size} point(s) unconverged)"
    )


@dataclass(frozen=True)
class MeanNoise:
    """Estimation noise of ``μ`` when the model's ``mu_real`` is an estimate ``μ̂ = μ + e``.

    ``Cov(e) = own · Σ_r`` and ``Cov(e, μ_s) = cross · Σ_r`` (a generator fitted on samples
    shared with ``μ̂``). Every form ``μ̂ᵀAμ̂`` the theorem uses exceeds ``μᵀAμ`` by
    ``own · tr(AΣ_r)`` on average, and ``μ̂ᵀAμ_s`` exceeds ``μᵀAμ_s`` by ``cross · tr(AΣ_r)``;
    for ``A ∈ {R, RΣ_rR, RCR}`` those traces are ``Nδ``, ``N·T_rr`` and ``N·T_rs`` (eq. D).
    """

    own: float = 0.0
    cross: float = 0.0


def _debias(
    forms: tuple[FloatArray, FloatArray, FloatArray],
    noise: MeanNoise,
    pts: Points,
    x: FloatArray,
    t: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Subtract the estimation bias of ``μ̂`` from the forms P, W_r, W_s (eq. D)."""
    if noise.own == 0.0 and noise.cross == 0.0:
        return forms
    traces = (pts.N * x[:, 0], pts.N * t[:, 0], pts.N * t[:, 1])  # tr(AΣ_r), A = R, RΣ_rR, RCR
    out = []
    for form, trace in zip(forms, traces, strict=True):
        form = form.copy()
        form[:, 0, 0] -= noise.own * trace
        form[:, 0, 1] -= noise.cross * trace
        form[:, 1, 0] -= noise.cross * trace
        out.append(form)
    return out[0], out[1], out[2]


def _finish(backend: Backend, pts: Points, x: FloatArray, noise: MeanNoise) -> Moments:
    """Mean and second moment (eq. V) at the solved fixed point."""
    a, b, da, db = _weights(pts, x)
    _, jac, t = _map(backend, pts, x)
    pmat, w_r, w_s = _debias(backend.forms(a, b, pts.gamma), noise, pts, x, t)
    size = pts.size
    eye = np.broadcast_to(np.eye(2), (size, 2, 2))
    bmat = np.zeros((size, 2, 2))
    bmat[:, 0, 0], bmat[:, 1, 1] = a, b
    k2 = np.linalg.solve(eye + bmat @ pmat, eye)  # Q̄U = R U K2 (Woodbury)
    beta = 1.0 / (1.0 + x[:, 0])
    beta_s = 1.0 / (1.0 + x[:, 1])
    pi, alpha, lam = pts.pi, pts.alpha, pts.lam
    w = np.stack([pi * beta, (1.0 - pi) * lam * beta_s], axis=1)
    z = (k2 @ w[:, :, None])[:, :, 0]  # Q̄u = R U z
    v = (pmat @ z[:, :, None])[:, :, 0]  # UᵀQ̄u
    mean = v[:, 0]
    q_r = np.einsum("pi,pij,pj->p", z, w_r, z) + v[:, 0] ** 2
    q_s = np.einsum("pi,pij,pj->p", z, w_s, z) + v[:, 1] ** 2
    i_minus_k = eye - jac  # the Jacobian of (FP) is K
    h = np.linalg.det(i_minus_k)
    bad = ~(h > 0)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ConvergenceError(
            f"the fixed point is unstable (det(I - K) = {h[i]:.3g} <= 0) at "
            f"{pts.describe(i, backend.p)}"
        )
    tau = np.linalg.solve(i_minus_k, t[:, :2, None])[:, :, 0]
    second = (
        q_r
        + da * tau[:, 0] * q_r
        + db * tau[:, 1] * q_s
        + beta**2 * tau[:, 0] * pi * (1.0 - 2.0 * mean)
        + beta_s**2 * tau[:, 1] * (1.0 - pi) * (alpha - 2.0 * lam * v[:, 1])
    )
    # No real sample and no kept synthetic one: w = 0 exactly, so M = V = 0 (accuracy 1/2).
    empty = (pts.n == 0) & (alpha * pts.m == 0)
    mean = np.where(empty, 0.0, mean)
    second = np.where(empty, 0.0, second)
    out = Moments(mean=mean, second_moment=second, delta=x[:, 0], delta_s=x[:, 1])
    bad = ~(out.variance > 0) & ~empty
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ConvergenceError(
            f"the predicted score variance is not positive ({out.variance[i]:.3g}) at "
            f"{pts.describe(i, backend.p)}"
        )
    return out


def evaluate(backend: Backend, pts: Points, noise: MeanNoise | None = None) -> Moments:
    """Solve and finish every point, in chunks that bound memory to ~32 MB per array."""
    noise = noise or MeanNoise()
    step = max(1, _CHUNK_ELEMENTS // max(backend.p, 1))
    parts = []
    for start in range(0, pts.size, step):
        chunk = pts.take(np.arange(start, min(start + step, pts.size)))
        parts.append(_finish(backend, chunk, solve_fixed_point(backend, chunk), noise))
    return Moments(
        *(
            np.concatenate([getattr(m, f) for m in parts])
            for f in ("mean", "second_moment", "delta", "delta_s")
        )
    )
