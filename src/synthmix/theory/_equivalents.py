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
share an eigenbasis, :class:`DenseBackend` with one Cholesky inverse and O(p²) traces per
evaluation otherwise (eq. G).

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

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.linalg.lapack import dpotrf as _potrf
from scipy.linalg.lapack import dpotri as _potri
from scipy.special import ndtr

from synthmix._types import FloatArray
from synthmix.exceptions import ConvergenceError

T = TypeVar("T")
Num = Any  # a float (one point) or an ndarray of shape (P,) (a batch), in the shared formulas

RTOL = 1e-12  # relative tolerance on the fixed point
MAX_ITER = 200  # Newton iterations per point (typical: 5-15)
MAX_HALVINGS = 30  # step halvings before falling back to a plain fixed-point step
_CHUNK_ELEMENTS = 1 << 22  # points x p processed at once by the diagonal backend
_UPPER = ((0, 0), (0, 1), (1, 1))  # the entries of a symmetric 2x2 block, in the forms' order


@dataclass(frozen=True)
class Points:
    """Flattened parameter points, shape (P,) each — or floats, for one point
    (:func:`evaluate_point`; ``size``, ``take`` and ``describe(i)`` then do not apply)."""

    n: Num
    m: Num
    epsilon: Num
    rho: Num
    phi: Num
    gamma: Num

    @property
    def size(self) -> int:
        return int(self.n.shape[0])

    @property
    def N(self) -> Num:
        return self.n + self.m

    @property
    def pi(self) -> Num:
        return self.n / self.N

    @property
    def alpha(self) -> Num:
        return self.phi * (1.0 - self.epsilon) + self.rho * self.epsilon

    @property
    def lam(self) -> Num:
        return self.phi * (1.0 - self.epsilon) - self.rho * self.epsilon

    def take(self, idx: NDArray[np.intp]) -> Points:
        return Points(
            *(getattr(self, f)[idx] for f in ("n", "m", "epsilon", "rho", "phi", "gamma"))
        )

    def describe(self, i: int | None, p: int) -> str:
        """The parameters of point ``i`` (of the single point when ``i`` is None)."""
        fields = ("n", "m", "epsilon", "rho", "phi", "gamma")
        values = [getattr(self, f) if i is None else getattr(self, f)[i] for f in fields]
        return f"p={p}, " + ", ".join(f"{f}={v:g}" for f, v in zip(fields, values, strict=True))


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

    def point_traces(self, a: float, b: float, gamma: float) -> list[float]:
        """One point's ``[tr(Σ_r R), tr(C R), N·T_rr, N·T_rs, N·T_ss]`` as floats."""
        ...

    def point_forms(self, a: float, b: float, gamma: float) -> list[float]:
        """One point's ``[P00, P01, P11, Wr00, Wr01, Wr11, Ws00, Ws01, Ws11]`` as floats."""
        ...


def batch_point_traces(backend: Backend, a: float, b: float, gamma: float) -> list[float]:
    """:meth:`Backend.point_traces` through the batch method, for backends without a faster one."""
    s1, s2 = backend.traces(np.array([a]), np.array([b]), np.array([gamma]))
    return [*s1[0].tolist(), *s2[0].tolist()]


def batch_point_forms(backend: Backend, a: float, b: float, gamma: float) -> list[float]:
    """:meth:`Backend.point_forms` through the batch method."""
    mats = backend.forms(np.array([a]), np.array([b]), np.array([gamma]))
    return [float(m[0, i, j]) for m in mats for i, j in _UPPER]


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
        self._w1t, self._w2t = np.ascontiguousarray(self._w1.T), np.ascontiguousarray(self._w2.T)

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

    def point_traces(self, a: float, b: float, gamma: float) -> list[float]:
        g = 1.0 / (gamma + a * self.r + b * self.c)
        return [*(self._w1t[:2] @ g).tolist(), *(self._w2t[:3] @ (g * g)).tolist()]

    def point_forms(self, a: float, b: float, gamma: float) -> list[float]:
        g = 1.0 / (gamma + a * self.r + b * self.c)
        return [*(self._w1t[2:] @ g).tolist(), *(self._w2t[3:] @ (g * g)).tolist()]


class _Basis:
    """One covariance diagonal (``d``, coefficient ``c_A``), the other dense (``B``, ``c_B``).

    Built once per model from an eigendecomposition of the diagonal one (eq. G)."""

    def __init__(self, diagonal: FloatArray, dense: FloatArray, u: FloatArray) -> None:
        d, vecs = np.linalg.eigh(diagonal)
        self.d = np.clip(d, 0.0, None)
        self.b = vecs.T @ dense @ vecs
        self.b = 0.5 * (self.b + self.b.T)
        self.u = vecs.T @ u


class DenseBackend:
    """Non-commuting covariances: one Cholesky inverse per evaluation, O(p²) traces (eq. G).

    In a basis where one covariance ``A`` is diagonal (``d``) and the other ``B`` is not,
    ``R = (γI + c_A diag(d) + c_B B)⁻¹`` is formed explicitly (``potrf`` + ``potri``, ~1.5×
    a dense solve); the resolvent identity ``c_B B R = I − diag(g) R`` with ``g = γ + c_A d``
    turns every product with ``B`` into a scaled ``R``, so all five traces are weighted sums
    of ``R ∘ R``:

        tr(AR) = dᵀdiag(R),   tr(BR) = (p − gᵀdiag(R))/c_B,
        T_AA = dᵀ(R∘R)d,  T_AB = (dᵀdiag(R) − dᵀ(R∘R)g)/c_B,
        T_BB = (p − 2gᵀdiag(R) + gᵀ(R∘R)g)/c_B².

    Each point uses the basis whose dense matrix carries the larger weight
    (``c_B tr B ≥ c_A tr A``), so the divisions lose at most a few digits; when the ridge
    dominates both (``c_B tr(BR) < 10⁻² p``: ``T_BB`` would lose more than four digits) the
    products are formed directly instead (one extra ``p × p`` product). The forms need
    ``RU`` and ``B·RU`` only (O(p²)); they are kept for the finishing step, which asks for the
    same weights again.
    """

    _DIRECT_SHARE = 1e-2
    _KEEP = 4096  # remembered evaluations (17 floats each)

    def __init__(
        self, real: FloatArray, synth: FloatArray, mu: FloatArray, mu_s: FloatArray
    ) -> None:
        self.p = int(real.shape[0])
        self.real, self.synth = real, synth
        self.u = np.stack([mu, mu_s], axis=1)
        self._mean_eig = (float(np.trace(real)) / self.p, float(np.trace(synth)) / self.p)
        self._bases: dict[int, _Basis] = {}
        self._approx: DiagonalBackend | None = None
        self._memo: dict[tuple[float, float, float], tuple[FloatArray, FloatArray, FloatArray]] = {}

    def approximation(self) -> DiagonalBackend:
        """The model with the dense matrix's off-diagonal part dropped (O(p) per point), a
        starting guess for the fixed point: in the basis of the covariance whose spectrum
        spreads more — the other, closer to a multiple of the identity, is closer to diagonal
        there (its off-diagonal mass is at most ``‖S − (tr S/p) I‖_F``). Newton then needs
        about three evaluations per point instead of four to five from the upper bound."""
        if self._approx is None:
            spread = [
                float(np.linalg.norm(m - (np.trace(m) / self.p) * np.eye(self.p)))
                / max(float(np.linalg.norm(m)), 1e-300)
                for m in (self.real, self.synth)
            ]
            k = int(spread[1] > spread[0])
            basis = self._basis(k)
            kept = np.diagonal(basis.b).copy()
            r, c = (basis.d, kept) if k == 0 else (kept, basis.d)
            self._approx = DiagonalBackend(r, c, basis.u[:, 0], basis.u[:, 1])
        return self._approx

    def _basis(self, k: int) -> _Basis:
        """Basis 0: Σ_r diagonal, C dense; basis 1: C diagonal, Σ_r dense (built on first use)."""
        if k not in self._bases:
            pair = (self.real, self.synth) if k == 0 else (self.synth, self.real)
            self._bases[k] = _Basis(pair[0], pair[1], self.u)
        return self._bases[k]

    def _evaluate(self, a: float, b: float, gamma: float) -> tuple[FloatArray, FloatArray]:
        """Traces (S1 (2,), S2 (3,)) at one point; remembers its forms (3, 2, 2)."""
        p = self.p
        if a == 0.0 and b == 0.0:  # R = I/γ
            s, c = self.real, self.synth
            s1 = np.array([np.trace(s), np.trace(c)]) / gamma
            s2 = np.array([np.sum(s * s), np.sum(s * c), np.sum(c * c)]) / gamma**2
            forms = np.stack([self.u.T @ self.u, self.u.T @ s @ self.u, self.u.T @ c @ self.u])
            forms = forms / np.array([gamma, gamma**2, gamma**2])[:, None, None]
            self._remember((a, b, gamma), (s1, s2, forms))
            return s1, s2
        swap = b * self._mean_eig[1] < a * self._mean_eig[0]  # dense matrix = the heavier one
        c_a, c_b = (b, a) if swap else (a, b)
        basis = self._basis(int(swap))
        g = gamma + c_a * basis.d
        metric = c_b * basis.b
        metric.flat[:: p + 1] += g
        chol, info = _potrf(metric, lower=False, overwrite_a=True, clean=True)
        if info == 0:  # upper triangle of R; the strict lower triangle stays 0
            upper, info = _potri(chol, lower=False, overwrite_c=True)
        if info != 0:
            raise ConvergenceError(
                f"the resolvent matrix is not positive definite (LAPACK info {info}) at "
                f"a={a:g}, b={b:g}, gamma={gamma:g}"
            )
        diag = np.diagonal(upper)

        def sym_times(mat: FloatArray, vecs: FloatArray) -> FloatArray:
            """``(mat + matᵀ − diag(mat)) @ vecs`` for an upper-triangular ``mat``."""
            return mat @ vecs + mat.T @ vecs - np.diagonal(mat)[:, None] * vecs

        tr_a = float(basis.d @ diag)
        tr_b_scaled = p - float(g @ diag)  # c_B tr(BR)
        if c_b > 0.0 and tr_b_scaled >= self._DIRECT_SHARE * p:
            r2dg = sym_times(upper * upper, np.stack([basis.d, g], axis=1))  # (R∘R)[d, g]
            t_aa = float(basis.d @ r2dg[:, 0])
            tr_b = tr_b_scaled / c_b
            t_ab = (tr_a - float(basis.d @ r2dg[:, 1])) / c_b
            t_bb = (p - 2.0 * float(g @ diag) + float(g @ r2dg[:, 1])) / c_b**2
        else:  # the ridge dominates: form Z = BR directly
            r = upper + upper.T
            r.flat[:: p + 1] = diag
            z = basis.b @ r
            tr_b = float(np.trace(z))
            t_aa = float(basis.d @ (r * r) @ basis.d)
            t_ab = float(np.sum((basis.d[:, None] * r) * z.T))
            t_bb = float(np.sum(z * z.T))
        ru = sym_times(upper, basis.u)
        w_a = ru.T @ (basis.d[:, None] * ru)
        w_b = ru.T @ (basis.b @ ru)
        forms = np.stack([basis.u.T @ ru, *((w_b, w_a) if swap else (w_a, w_b))])
        if swap:
            s1, s2 = np.array([tr_b, tr_a]), np.array([t_bb, t_ab, t_aa])
        else:
            s1, s2 = np.array([tr_a, tr_b]), np.array([t_aa, t_ab, t_bb])
        self._remember((a, b, gamma), (s1, s2, 0.5 * (forms + np.swapaxes(forms, 1, 2))))
        return s1, s2

    def _remember(
        self, key: tuple[float, float, float], value: tuple[FloatArray, FloatArray, FloatArray]
    ) -> None:
        if len(self._memo) >= self._KEEP:
            self._memo.clear()
        self._memo[key] = value

    def _lookup(
        self, a: float, b: float, gamma: float
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        key = (a, b, gamma)
        if key not in self._memo:
            self._evaluate(a, b, gamma)
        return self._memo[key]

    def traces(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        s1 = np.empty((a.shape[0], 2))
        s2 = np.empty((a.shape[0], 3))
        for i in range(a.shape[0]):
            s1[i], s2[i], _ = self._lookup(float(a[i]), float(b[i]), float(gamma[i]))
        return s1, s2

    def forms(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        out = np.empty((3, a.shape[0], 2, 2))
        for i in range(a.shape[0]):
            out[:, i] = self._lookup(float(a[i]), float(b[i]), float(gamma[i]))[2]
        return out[0], out[1], out[2]

    def point_traces(self, a: float, b: float, gamma: float) -> list[float]:
        s1, s2, _ = self._lookup(a, b, gamma)
        return [*s1.tolist(), *s2.tolist()]

    def point_forms(self, a: float, b: float, gamma: float) -> list[float]:
        forms = self._lookup(a, b, gamma)[2]
        return [float(m[i, j]) for m in forms for i, j in _UPPER]


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


def _weights(pts: Points, d: Num, ds: Num) -> tuple[Num, Num, Num, Num]:
    """Weights ``a, b`` of R and the magnitudes ``a', b'`` of their derivatives at ``(δ, δ_s)``."""
    beta = 1.0 / (1.0 + d)
    beta_s = 1.0 / (1.0 + ds)
    cs = pts.alpha * (1.0 - pts.pi)
    return pts.pi * beta, cs * beta_s, pts.pi * beta**2, cs * beta_s**2


def _map(backend: Backend, pts: Points, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fixed-point map f(x) (P, 2), its Jacobian (P, 2, 2) and the traces T (P, 3)."""
    a, b, da, db = _weights(pts, x[:, 0], x[:, 1])
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


def _upper_start(backend: Backend, pts: Points) -> FloatArray:
    """``f`` at ``δ = δ_s = ∞`` (``R = I/γ``): an upper bound of the fixed point."""
    zero = np.zeros(pts.size)
    s1_inf, _ = backend.traces(zero, zero, pts.gamma)
    return s1_inf / pts.N[:, None]


def solve_fixed_point(backend: Backend, pts: Points, start: FloatArray | None = None) -> FloatArray:
    """Solve (eq. FP) for every point: safeguarded Newton, vectorised over points.

    Each iteration takes a Newton step on ``F(x) = f(x) - x`` and halves it until the relative
    residual decreases (and ``x`` stays ≥ 0), falling back to the plain step ``x ← f(x)``,
    which never leaves the positive orthant. The map is evaluated once per iteration: the
    accepted trial's evaluation is the next iterate's. A point is converged when its residual
    ``|f(x) − x|`` is below :data:`RTOL` relative; the returned ``x`` is the last point
    evaluated, so a backend that remembers its last evaluations finishes without another.
    Raises :class:`ConvergenceError` naming the first point still unconverged after
    :data:`MAX_ITER` iterations.

    Parameters
    ----------
    backend, pts
        The traces and the points.
    start : ndarray, shape (P, 2), optional
        Initial ``(δ, δ_s)`` (e.g. a nearby point's solution); by default the upper bound at
        ``R = I/γ``, from which Newton descends monotonically (from 0 it can run away when the
        map's slope exceeds 1 there, ``η ≈ 1``, ``γ → 0``).

    Returns
    -------
    ndarray, shape (P, 2)
        ``(δ, δ_s)``.
    """
    x = _upper_start(backend, pts) if start is None else np.array(start, dtype=float)
    active = np.arange(pts.size)
    sub = pts
    f, jac, _ = _map(backend, sub, x)
    err = _rel_error(x, f)
    for _ in range(MAX_ITER):
        done = err <= RTOL
        if np.all(done):
            return x
        keep = ~done
        active, f, jac, err = active[keep], f[keep], jac[keep], err[keep]
        xa = x[active]
        sub = pts.take(active)
        step = np.linalg.solve(jac - np.eye(2), (xa - f)[:, :, None])[:, :, 0]
        new_x, new_f, new_jac = f.copy(), f.copy(), jac.copy()  # fallback: x ← f(x)
        new_err = np.full(active.size, np.nan)
        pending = np.flatnonzero(np.all(np.isfinite(step), axis=1))
        scale = 1.0
        for _ in range(MAX_HALVINGS):
            trial = xa[pending] + scale * step[pending]
            ok = np.all(trial >= 0.0, axis=1)
            cand = pending[ok]
            if cand.size:
                f_trial, jac_trial, _ = _map(backend, sub.take(cand), trial[ok])
                err_trial = _rel_error(trial[ok], f_trial)
                better = err_trial < err[cand]
                take = cand[better]
                new_x[take], new_f[take] = trial[ok][better], f_trial[better]
                new_jac[take], new_err[take] = jac_trial[better], err_trial[better]
                accepted = np.zeros(pending.size, dtype=bool)
                accepted[np.flatnonzero(ok)[better]] = True
                pending = pending[~accepted]
            if pending.size == 0:
                break
            scale *= 0.5
        plain = np.flatnonzero(np.isnan(new_err))
        if plain.size:  # evaluate the plain steps
            f_plain, jac_plain, _ = _map(backend, sub.take(plain), new_x[plain])
            new_f[plain], new_jac[plain] = f_plain, jac_plain
            new_err[plain] = _rel_error(new_x[plain], f_plain)
        x[active], f, jac, err = new_x, new_f, new_jac, new_err
    i = int(active[np.flatnonzero(err > RTOL)[0]])
    raise ConvergenceError(
        f"the fixed point for (delta, delta_s) did not converge in {MAX_ITER} iterations at "
        f"{pts.describe(i, backend.p)} ({int(np.sum(err > RTOL))} point(s) unconverged)"
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


def _moments(
    pts: Points, d: Num, ds: Num, t: tuple[Num, Num, Num], forms: list[Num], noise: MeanNoise
) -> tuple[Num, Num, Num]:
    """Mean ``M``, second moment ``V`` (eq. V) and ``h = det(I − K)`` at the fixed point.

    Written entry by entry on the 2×2 blocks, so that one code serves a batch of points
    (arrays, shape (P,)) and a single point (floats). ``t = (T_rr, T_rs, T_ss)``; ``forms``
    holds the entries ``[P00, P01, P11, Wr00, Wr01, Wr11, Ws00, Ws01, Ws11]`` and is
    debiased here (eq. D).
    """
    a, b, da, db = _weights(pts, d, ds)
    p00, p01, p11, r00, r01, r11, s00, s01, s11 = forms
    if noise.own != 0.0 or noise.cross != 0.0:  # tr(AΣ_r) for A = R, RΣ_rR, RCR (eq. D)
        n_total = pts.N
        for_r, for_rr, for_rs = n_total * d, n_total * t[0], n_total * t[1]
        p00, p01 = p00 - noise.own * for_r, p01 - noise.cross * for_r
        r00, r01 = r00 - noise.own * for_rr, r01 - noise.cross * for_rr
        s00, s01 = s00 - noise.own * for_rs, s01 - noise.cross * for_rs
    pi, alpha, lam = pts.pi, pts.alpha, pts.lam
    beta, beta_s = 1.0 / (1.0 + d), 1.0 / (1.0 + ds)
    w0, w1 = pi * beta, (1.0 - pi) * lam * beta_s
    # Q̄u = R U z with z = (I + diag(a, b) P)⁻¹ w (Woodbury).
    e00, e01, e10, e11 = 1.0 + a * p00, a * p01, b * p01, 1.0 + b * p11
    det_e = e00 * e11 - e01 * e10
    z0, z1 = (e11 * w0 - e01 * w1) / det_e, (e00 * w1 - e10 * w0) / det_e
    v0, v1 = p00 * z0 + p01 * z1, p01 * z0 + p11 * z1  # UᵀQ̄u; M = v0
    q_r = r00 * z0 * z0 + 2.0 * r01 * z0 * z1 + r11 * z1 * z1 + v0 * v0
    q_s = s00 * z0 * z0 + 2.0 * s01 * z0 * z1 + s11 * z1 * z1 + v1 * v1
    # τ = (I − K)⁻¹ [T_rr, T_rs]; the Jacobian of (FP) is K.
    m00, m01, m10, m11 = 1.0 - da * t[0], -db * t[1], -da * t[1], 1.0 - db * t[2]
    h = m00 * m11 - m01 * m10
    tau0, tau1 = (m11 * t[0] - m01 * t[1]) / h, (m00 * t[1] - m10 * t[0]) / h
    second = (
        q_r
        + da * tau0 * q_r
        + db * tau1 * q_s
        + beta**2 * tau0 * pi * (1.0 - 2.0 * v0)
        + beta_s**2 * tau1 * (1.0 - pi) * (alpha - 2.0 * lam * v1)
    )
    return v0, second, h


def _finish(backend: Backend, pts: Points, x: FloatArray, noise: MeanNoise) -> Moments:
    """Mean and second moment (eq. V) at the solved fixed points of a batch."""
    a, b, _, _ = _weights(pts, x[:, 0], x[:, 1])
    _, t = backend.traces(a, b, pts.gamma)
    t = t / pts.N[:, None]
    pmat, w_r, w_s = backend.forms(a, b, pts.gamma)
    forms = [m[:, i, j] for m in (pmat, w_r, w_s) for i, j in _UPPER]
    mean, second, h = _moments(pts, x[:, 0], x[:, 1], (t[:, 0], t[:, 1], t[:, 2]), forms, noise)
    bad = ~(h > 0)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ConvergenceError(
            f"the fixed point is unstable (det(I - K) = {h[i]:.3g} <= 0) at "
            f"{pts.describe(i, backend.p)}"
        )
    # No real sample and no kept synthetic one: w = 0 exactly, so M = V = 0 (accuracy 1/2).
    empty = (pts.n == 0) & (pts.alpha * pts.m == 0)
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


def solve_point(
    backend: Backend, pt: Points, start: tuple[float, float] | None = None
) -> tuple[float, float]:
    """:func:`solve_fixed_point` for one point given as floats: the same safeguarded Newton
    iteration, on Python floats, so that a single prediction costs about as much as a point
    inside a sweep (the batch machinery's per-call overhead is ~10× the arithmetic)."""
    inv_n = 1.0 / pt.N

    def fmap(d: float, ds: float) -> tuple[float, ...]:
        a, b, da, db = _weights(pt, d, ds)
        s1r, s1s, t0, t1, t2 = backend.point_traces(a, b, pt.gamma)
        return (
            s1r * inv_n,
            s1s * inv_n,
            da * t0 * inv_n,
            db * t1 * inv_n,
            da * t1 * inv_n,
            db * t2 * inv_n,
        )

    def rel(d: float, ds: float, f: tuple[float, ...]) -> float:
        return max(
            abs(f[0] - d) / max(abs(d), abs(f[0]), 1e-300),
            abs(f[1] - ds) / max(abs(ds), abs(f[1]), 1e-300),
        )

    if start is None:
        s1r, s1s, *_ = backend.point_traces(0.0, 0.0, pt.gamma)
        d, ds = s1r * inv_n, s1s * inv_n
    else:
        d, ds = start
    f = fmap(d, ds)
    err = rel(d, ds, f)
    for _ in range(MAX_ITER):
        if err <= RTOL:
            return d, ds
        # Newton on F(x) = f(x) − x: (J − I) step = x − f.
        a00, a01, a10, a11 = f[2] - 1.0, f[3], f[4], f[5] - 1.0
        r0, r1 = d - f[0], ds - f[1]
        det = a00 * a11 - a01 * a10
        new: tuple[float, float, tuple[float, ...], float] | None = None
        if det != 0.0 and math.isfinite(det):
            step0, step1 = (a11 * r0 - a01 * r1) / det, (a00 * r1 - a10 * r0) / det
            scale = 1.0
            for _ in range(MAX_HALVINGS):
                td, tds = d + scale * step0, ds + scale * step1
                if td >= 0.0 and tds >= 0.0:
                    ft = fmap(td, tds)
                    et = rel(td, tds, ft)
                    if et < err:
                        new = (td, tds, ft, et)
                        break
                scale *= 0.5
        if new is None:  # the plain step x ← f(x)
            ft = fmap(f[0], f[1])
            new = (f[0], f[1], ft, rel(f[0], f[1], ft))
        d, ds, f, err = new
    raise ConvergenceError(
        f"the fixed point for (delta, delta_s) did not converge in {MAX_ITER} iterations at "
        f"{pt.describe(None, backend.p)} (1 point(s) unconverged)"
    )


def _approximation(backend: Backend) -> Backend | None:
    approx = getattr(backend, "approximation", None)
    return None if approx is None else approx()


def _solve(solver: Callable[..., T], backend: Backend, pts: Points) -> T:
    """``solver`` (:func:`solve_fixed_point` or :func:`solve_point`) started from the
    solution of the backend's approximation when it offers one (from the upper bound should
    that guess fail)."""
    approx = getattr(backend, "approximation", None)
    if approx is not None:
        try:
            return solver(backend, pts, solver(approx(), pts))
        except ConvergenceError:
            pass
    return solver(backend, pts)


def evaluate_point(
    backend: Backend, pt: Points, noise: MeanNoise
) -> tuple[float, float, float, float]:
    """``(M, V, δ, δ_s)`` at one point given as floats (what :func:`evaluate` gives a batch)."""
    d, ds = _solve(solve_point, backend, pt)
    a, b, _, _ = _weights(pt, d, ds)
    s = backend.point_traces(a, b, pt.gamma)
    inv_n = 1.0 / pt.N
    t = (s[2] * inv_n, s[3] * inv_n, s[4] * inv_n)
    mean, second, h = _moments(pt, d, ds, t, backend.point_forms(a, b, pt.gamma), noise)
    if not h > 0:
        raise ConvergenceError(
            f"the fixed point is unstable (det(I - K) = {h:.3g} <= 0) at "
            f"{pt.describe(None, backend.p)}"
        )
    if pt.n == 0 and pt.alpha * pt.m == 0:  # nothing trained on: accuracy 1/2
        return 0.0, 0.0, d, ds
    if not second - mean * mean > 0:
        raise ConvergenceError(
            f"the predicted score variance is not positive ({second - mean * mean:.3g}) at "
            f"{pt.describe(None, backend.p)}"
        )
    return mean, second, d, ds


def evaluate(backend: Backend, pts: Points, noise: MeanNoise | None = None) -> Moments:
    """Solve and finish every point, in chunks that bound memory to ~32 MB per array."""
    noise = noise or MeanNoise()
    step = max(1, _CHUNK_ELEMENTS // max(backend.p, 1))
    parts = []
    for start in range(0, pts.size, step):
        chunk = pts.take(np.arange(start, min(start + step, pts.size)))
        parts.append(_finish(backend, chunk, _solve(solve_fixed_point, backend, chunk), noise))
    return Moments(
        *(
            np.concatenate([getattr(m, f) for m in parts])
            for f in ("mean", "second_moment", "delta", "delta_s")
        )
    )
