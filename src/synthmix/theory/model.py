"""The Gaussian-mixture model of real and synthetic data (docs/math/rmt.md, "Model").

Real samples ``x = y*mu_real + N(0, cov_real)``; synthetic samples
``x = y*mu_synth + N(0, cov_synth)``; ``y = ±1`` with equal probability.

Building a :class:`MixtureModel` pays, once, for what every prediction reuses: when the two
covariances commute (always for the identity defaults and for diagonal spectra) it finds a
common eigenbasis and projects both means on it, after which each parameter point of
:func:`synthmix.theory.predict` costs O(p). Otherwise predictions fall back to dense p×p
algebra.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from synthmix._types import FloatArray
from synthmix._validation import (
    as_float_array,
    check_finite_vector,
    check_nonnegative,
    check_psd_spectrum,
    check_symmetric_matrix,
    fail,
)

__all__ = ["MixtureModel"]


# Commuting / diagonalisation checks are relative to the matrices' scale.
_COMMUTE_RTOL = 1e-9
_DIAG_RTOL = 1e-8


def _as_covariance(
    value: ArrayLike | None, name: str, p: int
) -> tuple[FloatArray | None, FloatArray | None]:
    """Return ``(diagonal, full)``: exactly one is set, or both None for the identity.

    A scalar means ``value * I``, a 1-D array a diagonal covariance (its spectrum), a 2-D
    array a full PSD matrix.
    """
    if value is None:
        return None, None
    arr = as_float_array(value, name)
    if arr.ndim == 0:
        if arr < 0:
            raise fail(name, "be >= 0 (a scalar covariance scales the identity)", value)
        return np.full(p, float(arr)), None
    if arr.ndim == 1:
        if arr.shape[0] != p:
            raise fail(
                name,
                f"have length {p} (the dimension p) when given as a spectrum",
                f"length {arr.shape[0]}",
            )
        if np.any(arr < 0):
            raise fail(name, "have non-negative entries (a diagonal covariance is PSD)", value)
        return arr.copy(), None
    if arr.ndim == 2:
        full = check_symmetric_matrix(arr, name, size=p)  # PSD: checked on its spectrum
        off = full - np.diag(np.diag(full))
        if not np.any(off):
            return np.diag(full).copy(), None
        return None, 0.5 * (full + full.T)
    raise fail(
        name, "be None, a scalar, a 1-D spectrum or a 2-D (p, p) matrix", f"{arr.ndim}-D array"
    )


def _simultaneous_eigh(
    a: FloatArray, b: FloatArray, norm_a: float, norm_b: float
) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """A common orthonormal eigenbasis of two commuting symmetric matrices, or None.

    The eigenvectors of a generic combination ``a + t*b`` diagonalise both when they commute;
    the result is verified (relative to the spectral norms ``norm_a``, ``norm_b``), and two
    values of ``t`` are tried before giving up.
    """
    scale_a = max(norm_a, 1e-300)
    scale_b = max(norm_b, 1e-300)
    for t in (0.6180339887498949, 0.3247179572447460):
        _, vecs = np.linalg.eigh(a / scale_a + t * b / scale_b)
        da = vecs.T @ a @ vecs
        db = vecs.T @ b @ vecs
        ra = np.max(np.abs(da - np.diag(np.diag(da)))) / scale_a
        rb = np.max(np.abs(db - np.diag(np.diag(db)))) / scale_b
        if ra <= _DIAG_RTOL and rb <= _DIAG_RTOL:
            return vecs, np.diag(da), np.diag(db)
    return None


@dataclass(frozen=True, eq=False)
class MixtureModel:
    """Two-class Gaussian mixture for real data and an imperfect synthetic generator.

    Parameters
    ----------
    mu_real : array_like, shape (p,)
        Class mean of real data (class +1; class -1 has ``-mu_real``).
    mu_synth : array_like, shape (p,), optional
        Class mean of the generator (the mean shift is ``mu_synth - mu_real``). Defaults to
        ``mu_real``. A vector anti-aligned with ``mu_real`` models a generator that swaps the
        classes.
    cov_synth : None, float, array_like (p,) or (p, p), optional
        Generator covariance ``C``: None for ``I_p``, a scalar ``s`` for ``s*I_p``, a vector for a
        diagonal covariance (its spectrum) or a full PSD matrix.
    cov_real : None, float, array_like (p,) or (p, p), optional
        Covariance of real data, same forms; defaults to ``I_p``.
    mean_noise : float, default 0
        Set when ``mu_real`` is an *estimate* ``μ̂ = μ + e`` with ``Cov(e) = mean_noise·cov_real``
        — for the half-difference of class means over ``n₊`` and ``n₋`` samples,
        ``(1/n₊ + 1/n₋)/4``. In high dimension ``|μ̂|² ≈ |μ|² + mean_noise·tr(cov_real)``
        overstates the signal; predictions remove that bias from every quadratic form of
        ``mu_real`` (exactly, on average).
    mean_cross_noise : float, default 0
        ``Cov(e, mu_synth) = mean_cross_noise·cov_real``: set when the generator's mean was
        estimated from samples shared with ``μ̂`` (e.g. ``mean_noise`` itself when the generator
        was fitted on a subset of the same real samples, or on all of them).
    real_samples : float, optional
        Set when ``cov_real`` is a *sample* covariance with this many degrees of freedom
        (``n − 2`` for the pooled covariance of two classes; must exceed ``p``). Predictions
        then estimate the population's resolvent functionals consistently instead of plugging
        the sample covariance in, which removes the optimism of its Marchenko–Pastur spread
        (docs/math/rmt.md, "Consistent estimation"). ``cov_synth`` and ``mu_synth`` must not be
        estimated from the same rows; predictions take the dense path.

    Attributes
    ----------
    p : int
        Dimension.
    commuting : bool
        True when the covariances share an eigenbasis; predictions then cost O(p) per point.
    real_spectrum, synth_spectrum : ndarray, shape (p,)
        Eigenvalues of ``cov_real`` and ``cov_synth`` in the common basis (commuting case).
    mu_real_basis, mu_synth_basis : ndarray, shape (p,)
        The means expressed in that basis (commuting case).
    basis : ndarray, shape (p, p) or None
        The common eigenbasis (columns), or None when it is the standard basis.

    Examples
    --------
    >>> import numpy as np
    >>> from synthmix.theory import MixtureModel
    >>> model = MixtureModel(np.r_[1.0, np.zeros(99)], cov_synth=np.linspace(0.5, 1.5, 100))
    >>> model.p, model.commuting
    (100, True)
    """

    mu_real: FloatArray
    mu_synth: FloatArray | None = None
    cov_synth: FloatArray | float | None = None
    cov_real: FloatArray | float | None = None
    mean_noise: float = 0.0
    mean_cross_noise: float = 0.0
    real_samples: float | None = None

    p: int = field(init=False)
    commuting: bool = field(init=False)
    basis: FloatArray | None = field(init=False, repr=False)
    real_spectrum: FloatArray | None = field(init=False, repr=False)
    synth_spectrum: FloatArray | None = field(init=False, repr=False)
    mu_real_basis: FloatArray | None = field(init=False, repr=False)
    mu_synth_basis: FloatArray | None = field(init=False, repr=False)
    real_matrix: FloatArray | None = field(init=False, repr=False)
    synth_matrix: FloatArray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        mu = check_finite_vector(self.mu_real, "mu_real")
        p = mu.shape[0]
        mu_s = (
            mu.copy()
            if self.mu_synth is None
            else check_finite_vector(self.mu_synth, "mu_synth", size=p)
        )
        real_diag, real_full = _as_covariance(self.cov_real, "cov_real", p)
        synth_diag, synth_full = _as_covariance(self.cov_synth, "cov_synth", p)
        set_ = object.__setattr__
        for name, check in (
            ("mean_noise", check_nonnegative),
            ("mean_cross_noise", as_float_array),
        ):
            value = check(getattr(self, name), name)
            if value.ndim != 0:
                raise fail(name, "be a scalar", getattr(self, name))
            set_(self, name, float(value))
        set_(self, "mu_real", mu)
        set_(self, "mu_synth", mu_s)
        set_(self, "p", p)
        if self.real_samples is not None:
            dof = check_nonnegative(self.real_samples, "real_samples")
            if dof.ndim != 0 or not dof > p:
                raise fail(
                    "real_samples",
                    f"be a scalar above p = {p} (a full-rank sample covariance)",
                    self.real_samples,
                )
            set_(self, "real_samples", float(dof))

        basis: FloatArray | None = None
        if real_full is None and synth_full is None:
            r = np.ones(p) if real_diag is None else real_diag
            c = np.ones(p) if synth_diag is None else synth_diag
            spectra: tuple[FloatArray, FloatArray] | None = (r, c)
        else:
            real_m = (
                np.diag(real_diag)
                if real_diag is not None
                else (real_full if real_full is not None else np.eye(p))
            )
            synth_m = (
                np.diag(synth_diag)
                if synth_diag is not None
                else (synth_full if synth_full is not None else np.eye(p))
            )
            set_(self, "real_matrix", real_m)
            set_(self, "synth_matrix", synth_m)
            # The PSD check of a full matrix reads the spectrum computed here anyway.
            if real_diag is None and real_full is None:  # identity real covariance
                c, basis = np.linalg.eigh(synth_m)
                spectra = (np.ones(p), c)
            elif synth_diag is None and synth_full is None:  # identity synthetic covariance
                r, basis = np.linalg.eigh(real_m)
                spectra = (r, np.ones(p))
            else:
                # Eigenvalues of the full matrices: their spectral norms scale the commutator
                # test, and the PSD check reads them (an SVD for the norm would cost 3× more).
                eigs = {
                    name: np.linalg.eigvalsh(full) if full is not None else np.diag(dense)
                    for name, full, dense in (
                        ("cov_real", real_full, real_m),
                        ("cov_synth", synth_full, synth_m),
                    )
                }
                norms = [float(np.max(np.abs(e))) for e in eigs.values()]
                comm = real_m @ synth_m - synth_m @ real_m
                tol = _COMMUTE_RTOL * max(norms[0] * norms[1], 1e-300)
                found = (
                    _simultaneous_eigh(real_m, synth_m, norms[0], norms[1])
                    if np.max(np.abs(comm)) <= tol
                    else None
                )
                if found is None:
                    spectra = None
                    for name, full in (("cov_real", real_full), ("cov_synth", synth_full)):
                        if full is not None:
                            check_psd_spectrum(eigs[name], name)
                else:
                    basis, r, c = found
                    spectra = (r, c)
            if spectra is not None:
                for name, full, values in (
                    ("cov_real", real_full, spectra[0]),
                    ("cov_synth", synth_full, spectra[1]),
                ):
                    if full is not None:
                        check_psd_spectrum(values, name)
                spectra = (np.clip(spectra[0], 0.0, None), np.clip(spectra[1], 0.0, None))

        set_(self, "commuting", spectra is not None)
        set_(self, "basis", basis)
        if spectra is None:
            for name in ("real_spectrum", "synth_spectrum", "mu_real_basis", "mu_synth_basis"):
                set_(self, name, None)
            return
        set_(self, "real_spectrum", spectra[0])
        set_(self, "synth_spectrum", spectra[1])
        set_(self, "mu_real_basis", mu if basis is None else basis.T @ mu)
        set_(self, "mu_synth_basis", mu_s if basis is None else basis.T @ mu_s)
        if real_full is None and synth_full is None:
            set_(self, "real_matrix", None)
            set_(self, "synth_matrix", None)

    # Dense views, for the fallback path and for simulation.
    def real_covariance(self) -> FloatArray:
        """The real covariance as a dense ``(p, p)`` matrix."""
        return self._dense(self.real_matrix, self.real_spectrum)

    def synth_covariance(self) -> FloatArray:
        """The generator covariance as a dense ``(p, p)`` matrix."""
        return self._dense(self.synth_matrix, self.synth_spectrum)

    def _dense(self, matrix: FloatArray | None, spectrum: FloatArray | None) -> FloatArray:
        if matrix is not None:
            return matrix
        assert spectrum is not None and self.basis is None  # diagonal case
        return np.diag(spectrum)
