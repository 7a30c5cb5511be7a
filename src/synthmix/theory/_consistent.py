"""Population functionals from a *sample* real covariance (docs/math/rmt.md, eq. C1–C2).

When ``Σ_r`` is only known through ``Σ̂ = (1/n₀) Σ_i x_i x_iᵀ`` (``n₀`` degrees of freedom,
Gaussian rows), plugging ``Σ̂`` into the deterministic equivalents counts the Marchenko–Pastur
spread twice: once in ``Σ̂`` and once in the theory, which spreads its ``Σ_r`` again. The
backend here instead estimates the *population* quantities the theory needs.

For fixed ``(a, b, γ)`` write ``M = γI + bC`` and ``R̂(a') = (M + a'Σ̂)⁻¹``. The deterministic
equivalent of a sample covariance gives ``E R̂(a') ≈ (M + aΣ_r)⁻¹ = R`` with

    a = a'(1 − t'),   t' = (a'/n₀) tr(Σ̂ R̂(a')),                                     (eq. C1)

and ``tr(Σ_r R) ≈ tr(Σ̂ R̂)/(1 − t')`` (eq. C2). So every first-order functional of ``R``
(``tr(Σ_r R)``, ``tr(C R)``, ``UᵀRU``) is estimated at the ``a' ≥ a`` solving (eq. C1), and the
second-order ones are their derivatives (``∂R/∂a = −RΣ_rR``, ``∂R/∂b = −RCR``), taken
analytically through ``a'(a, b)``. ``C`` and ``U`` must not depend on ``Σ̂`` (a generator
fitted on other rows; ``μ̂`` is independent of ``Σ̂`` for Gaussian rows).

Per point the work is one p×p Cholesky factorisation and one symmetric eigendecomposition
(``Σ̂ v = θ M v``), after which (eq. C1) is a scalar Newton solve on sums over ``θ``.
"""

from __future__ import annotations

import numpy as np

from synthmix._types import FloatArray
from synthmix.exceptions import ConvergenceError
from synthmix.theory._equivalents import batch_point_forms, batch_point_traces

_MAX_NEWTON = 100
_RTOL = 1e-14


class SampleCovarianceBackend:
    """Consistent estimates of the traces and forms of :mod:`._equivalents` from ``Σ̂``.

    Parameters
    ----------
    sigma_hat : ndarray, shape (p, p)
        The sample real covariance (full rank: ``n₀ > p``).
    dof : float
        Its degrees of freedom ``n₀`` (``n − 2`` for a pooled two-class covariance).
    cov_synth : ndarray, shape (p, p)
        The synthetic covariance ``C`` (not estimated from the rows behind ``Σ̂``).
    mu, mu_s : ndarray, shape (p,)
        Real and synthetic class means.
    """

    def __init__(
        self,
        sigma_hat: FloatArray,
        dof: float,
        cov_synth: FloatArray,
        mu: FloatArray,
        mu_s: FloatArray,
    ) -> None:
        self.p = int(sigma_hat.shape[0])
        self.sigma_hat = sigma_hat
        self.dof = float(dof)
        self.cov_synth = cov_synth
        self.means = np.stack([mu, mu_s], axis=1)
        self._last: tuple[tuple[bytes, bytes, bytes], dict[str, FloatArray]] | None = None

    def _solve(self, a: FloatArray, b: FloatArray, gamma: FloatArray) -> dict[str, FloatArray]:
        """Everything both public methods need, per point (shapes (P,), (P, p), (P, p, p)).

        The last call's result is kept: the theorem's finishing step asks for the traces and
        the forms at the same solved weights, which would otherwise repeat the
        eigendecompositions and Newton solves."""
        key = (a.tobytes(), b.tobytes(), gamma.tobytes())
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        out = self._compute(a, b, gamma)
        self._last = (key, out)
        return out

    def _compute(self, a: FloatArray, b: FloatArray, gamma: FloatArray) -> dict[str, FloatArray]:
        eye = np.eye(self.p)
        metric = gamma[:, None, None] * eye + b[:, None, None] * self.cov_synth
        chol = np.linalg.cholesky(metric)
        l_inv = np.linalg.solve(chol, np.broadcast_to(eye, chol.shape))  # L⁻¹ by a solve
        theta, w = np.linalg.eigh(l_inv @ self.sigma_hat @ np.swapaxes(l_inv, 1, 2))
        theta = np.clip(theta, 0.0, None)
        vecs = np.swapaxes(l_inv, 1, 2) @ w  # Vᵀ M V = I, Vᵀ Σ̂ V = diag(θ)
        c_t = np.swapaxes(vecs, 1, 2) @ self.cov_synth @ vecs
        u_t = np.swapaxes(vecs, 1, 2) @ self.means
        n0 = self.dof
        a_p = a.copy()  # a' ≥ a; a(a') is increasing and convex-like from a' = a
        for _ in range(_MAX_NEWTON):
            g = 1.0 / (1.0 + a_p[:, None] * theta)
            s = np.sum(theta * g, axis=1)
            s2 = np.sum((theta * g) ** 2, axis=1)
            slope = 1.0 - 2.0 * a_p * s / n0 + a_p**2 * s2 / n0  # ∂a/∂a'
            step = (a_p * (1.0 - a_p * s / n0) - a) / slope
            a_p = np.maximum(a_p - step, a)
            if np.all(np.abs(step) <= _RTOL * np.maximum(a_p, 1e-300)):
                break
        else:
            raise ConvergenceError(
                f"the sample-covariance correction (eq. C1) did not converge in {_MAX_NEWTON} "
                f"Newton steps (dof = {n0:g}, p = {self.p})"
            )
        g = 1.0 / (1.0 + a_p[:, None] * theta)
        s = np.sum(theta * g, axis=1)  # tr(Σ̂R̂)
        s2 = np.sum((theta * g) ** 2, axis=1)  # tr(Σ̂R̂Σ̂R̂)
        c_diag = np.einsum("pii->pi", c_t)
        x = np.sum(theta * g * g * c_diag, axis=1)  # tr(Σ̂R̂CR̂)
        t = a_p * s / n0
        slope = 1.0 - 2.0 * a_p * s / n0 + a_p**2 * s2 / n0
        dt_da_p, dt_db = (s - a_p * s2) / n0, -a_p * x / n0
        da_p_da, da_p_db = 1.0 / slope, a_p * dt_db / slope
        one_t = 1.0 - t
        # E1 = tr(Σ_r R) ≈ s/(1 − t) (eq. C2) and its derivatives through a'(a, b).
        de1_da_p = -s2 / one_t + s * dt_da_p / one_t**2
        de1_db = de1_da_p * da_p_db + (-x / one_t + s * dt_db / one_t**2)
        tr_cc = np.einsum("pi,pij,pj,pij->p", g, c_t, g, c_t)  # tr(CR̂CR̂)
        return {
            "g": g,
            "theta": theta,
            "c_t": c_t,
            "u_t": u_t,
            "e1": s / one_t,
            "e2": np.sum(g * c_diag, axis=1),  # tr(CR) ≈ tr(CR̂)
            "t_rr": -de1_da_p * da_p_da,
            "t_rs": -de1_db,
            "t_ss": tr_cc + x * da_p_db,
            "da_p_da": da_p_da,
            "da_p_db": da_p_db,
        }

    def traces(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """``S1`` (P, 2) = [tr(Σ_r R), tr(C R)], ``S2`` (P, 3) = N·[T_rr, T_rs, T_ss]."""
        q = self._solve(a, b, gamma)
        return np.stack([q["e1"], q["e2"]], axis=1), np.stack(
            [q["t_rr"], q["t_rs"], q["t_ss"]], axis=1
        )

    def point_traces(self, a: float, b: float, gamma: float) -> list[float]:
        return batch_point_traces(self, a, b, gamma)

    def point_forms(self, a: float, b: float, gamma: float) -> list[float]:
        return batch_point_forms(self, a, b, gamma)

    def forms(
        self, a: FloatArray, b: FloatArray, gamma: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``P = UᵀRU``, ``W_r = −∂P/∂a``, ``W_s = −∂P/∂b``, each (P, 2, 2)."""
        q = self._solve(a, b, gamma)
        g, u_t = q["g"], q["u_t"]
        pmat = np.einsum("pia,pi,pib->pab", u_t, g, u_t)
        rsr = np.einsum("pia,pi,pib->pab", u_t, q["theta"] * g * g, u_t)  # UᵀR̂Σ̂R̂U
        gu = g[:, :, None] * u_t
        rcr = np.swapaxes(gu, 1, 2) @ q["c_t"] @ gu  # UᵀR̂CR̂U
        w_r = q["da_p_da"][:, None, None] * rsr
        w_s = rcr + q["da_p_db"][:, None, None] * rsr
        return pmat, w_r, w_s
