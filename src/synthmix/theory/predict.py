"""Closed-form test accuracy and risk of ridge on real + pruned synthetic data.

The formulas are those of ``docs/math/rmt.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import cast
from weakref import WeakKeyDictionary

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from synthmix._types import FloatArray
from synthmix._validation import (
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    fail,
)
from synthmix.theory._consistent import SampleCovarianceBackend
from synthmix.theory._equivalents import (
    Backend,
    DenseBackend,
    DiagonalBackend,
    MeanNoise,
    Points,
    evaluate,
    evaluate_point,
)
from synthmix.theory.model import MixtureModel
from synthmix.theory.spectra import marchenko_pastur_quantiles

__all__ = [
    "PARAMETER_RULES",
    "Prediction",
    "predict",
    "predict_estimated_generator",
    "transition_epsilon",
]


@dataclass(frozen=True)
class Prediction:
    """Deterministic-equivalent predictions; every array field has the broadcast shape.

    Attributes
    ----------
    accuracy : ndarray
        ``P(sign(wᵀx) = y)`` on a fresh real test point, signed: below 1/2 when the
        classifier is anti-correlated with the labels (never folded to ``max(acc, 1-acc)``).
    risk : ndarray
        ``E[(wᵀx - y)²]`` on a fresh real test point (``= second_moment - 2 mean + 1``).
    mean : ndarray
        ``M = E[y wᵀx]``.
    second_moment : ndarray
        ``V = E[(wᵀx)²]``; the score's variance is ``V - M²``.
    delta, delta_s : ndarray
        The fixed point ``(δ, δ_s)`` of the theorem.
    n, m, epsilon, rho, phi, gamma : ndarray
        The inputs, broadcast.
    p : int
        Dimension.
    """

    accuracy: FloatArray
    risk: FloatArray
    mean: FloatArray
    second_moment: FloatArray
    delta: FloatArray
    delta_s: FloatArray
    n: FloatArray
    m: FloatArray
    epsilon: FloatArray
    rho: FloatArray
    phi: FloatArray
    gamma: FloatArray
    p: int


PARAMETER_RULES: Mapping[str, Callable[[ArrayLike, str], FloatArray]] = MappingProxyType(
    {
        "n": check_nonnegative,
        "m": check_nonnegative,
        "epsilon": check_probability,
        "rho": check_probability,
        "phi": check_probability,
        "gamma": check_positive,
        "n_hat": check_positive,
    }
)
"""The check each per-point parameter of :func:`predict` passes (shared with the CLI)."""


def _broadcast(**values: ArrayLike) -> tuple[tuple[int, ...], dict[str, FloatArray]]:
    """Validate each per-point parameter by its rule, broadcast them, and flatten."""
    arrays = {k: PARAMETER_RULES[k](v, k) for k, v in values.items()}
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        arrays_only = {k: v.shape for k, v in arrays.items() if v.ndim > 0}
        shapes = ", ".join(f"{k} of shape {s}" for k, s in arrays_only.items())
        raise fail(" and ".join(arrays_only), "have broadcastable shapes", shapes) from None
    flat = {k: np.broadcast_to(v, shape).ravel() for k, v in arrays.items()}
    if np.any(flat["n"] + flat["m"] <= 0):
        raise fail("n + m", "be > 0 (at least one training sample)", 0)
    return shape, flat


def _shape(values: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    out = values.reshape(shape)
    return out[()] if out.ndim == 0 else out


_BACKENDS: WeakKeyDictionary[MixtureModel, Backend] = WeakKeyDictionary()


def _backend(model: MixtureModel) -> Backend:
    """The model's backend, built on its first prediction and kept while the model lives (a
    dense backend keeps its eigenbases and recent evaluations with it)."""
    backend = _BACKENDS.get(model)
    if backend is None:
        backend = _BACKENDS[model] = _build_backend(model)
    return backend


def _build_backend(model: MixtureModel) -> Backend:
    if model.real_samples is not None:
        assert model.mu_synth is not None
        return SampleCovarianceBackend(
            model.real_covariance(),
            model.real_samples,
            model.synth_covariance(),
            model.mu_real,
            model.mu_synth,
        )
    if model.commuting:
        assert model.real_spectrum is not None and model.synth_spectrum is not None
        assert model.mu_real_basis is not None and model.mu_synth_basis is not None
        return DiagonalBackend(
            model.real_spectrum, model.synth_spectrum, model.mu_real_basis, model.mu_synth_basis
        )
    assert model.mu_synth is not None
    return DenseBackend(
        model.real_covariance(), model.synth_covariance(), model.mu_real, model.mu_synth
    )


def predict(
    model: MixtureModel,
    *,
    n: ArrayLike,
    m: ArrayLike,
    epsilon: ArrayLike = 0.0,
    rho: ArrayLike = 1.0,
    phi: ArrayLike = 1.0,
    gamma: ArrayLike = 1.0,
) -> Prediction:
    """Predict the real-test accuracy and risk of the ridge classifier (docs/math/rmt.md, Theorem).

    The classifier is ``w = Q (1/N)(Σ y_i x_i + Σ q_j ỹ_j x̃_j)`` with
    ``Q = ((Σ x_i x_iᵀ + Σ q_j x̃_j x̃_jᵀ)/N + γI)⁻¹``, ``N = n + m`` (pruned samples still count
    in ``N``), trained on ``n`` real and ``m`` synthetic samples whose labels are flipped with
    probability ``epsilon`` and which a verifier keeps with probability ``phi`` (right label)
    or ``rho`` (wrong label). Pruning is a coin flip per sample, not a weight.

    Parameters
    ----------
    model : MixtureModel
        Real and synthetic distributions.
    n, m : array_like
        Numbers of real and synthetic samples (≥ 0, ``n + m > 0``; need not be integers).
    epsilon : array_like, default 0
        Synthetic label-flip probability, in [0, 1].
    rho, phi : array_like, default 1
        Keep probabilities of wrong- and right-label synthetic samples, in [0, 1];
        ``(0, 1)`` is an oracle verifier, ``(1, 1)`` no pruning.
    gamma : array_like, default 1
        Ridge penalty, > 0.

    Returns
    -------
    Prediction
        Every array field has the broadcast shape of the parameter arrays.

    Raises
    ------
    ValidationError
        A parameter is out of range, non-finite or not broadcastable.
    ConvergenceError
        The fixed point failed to converge (names the offending point).

    Notes
    -----
    Costs O(p) per point when the model's covariances commute (after the one-time
    eigendecomposition in :class:`MixtureModel`); otherwise about three Cholesky inverses per
    point (docs/math/rmt.md, eq. G). A call with plain numbers skips the batch machinery and
    costs a few times a point of a vectorised sweep; the model's backend is kept between calls.

    Examples
    --------
    >>> import numpy as np
    >>> from synthmix.theory import MixtureModel, predict
    >>> model = MixtureModel(np.r_[1.5, np.zeros(199)])
    >>> pred = predict(model, n=100, m=[0, 400, 4000], epsilon=0.2, rho=0.1, phi=0.9)
    >>> pred.accuracy.shape
    (3,)
    >>> bool(pred.accuracy[2] > pred.accuracy[0])
    True
    """
    if not isinstance(model, MixtureModel):
        raise fail("model", "be a synthmix.theory.MixtureModel", type(model).__name__)
    values = {"n": n, "m": m, "epsilon": epsilon, "rho": rho, "phi": phi, "gamma": gamma}
    point = _scalar_point(values)
    if point is not None:
        return _predict_point(model, point)
    shape, flat = _broadcast(**values)
    pts = Points(**flat)
    moments = evaluate(_backend(model), pts, MeanNoise(model.mean_noise, model.mean_cross_noise))
    return Prediction(
        accuracy=_shape(moments.accuracy, shape),
        risk=_shape(moments.risk, shape),
        mean=_shape(moments.mean, shape),
        second_moment=_shape(moments.second_moment, shape),
        delta=_shape(moments.delta, shape),
        delta_s=_shape(moments.delta_s, shape),
        n=_shape(pts.n, shape),
        m=_shape(pts.m, shape),
        epsilon=_shape(pts.epsilon, shape),
        rho=_shape(pts.rho, shape),
        phi=_shape(pts.phi, shape),
        gamma=_shape(pts.gamma, shape),
        p=model.p,
    )


_SCALAR_TYPES = (int, float, np.float64, np.float32, np.int64, np.int32)
_IN_RANGE: Mapping[str, Callable[[float], bool]] = MappingProxyType(
    {
        "n": lambda v: v >= 0.0,
        "m": lambda v: v >= 0.0,
        "epsilon": lambda v: 0.0 <= v <= 1.0,
        "rho": lambda v: 0.0 <= v <= 1.0,
        "phi": lambda v: 0.0 <= v <= 1.0,
        "gamma": lambda v: v > 0.0,
    }
)


def _scalar_point(values: Mapping[str, ArrayLike]) -> Points | None:
    """The parameters as one point of floats when every one is a plain number within its
    rule (:data:`PARAMETER_RULES`), else None: arrays, and anything a rule must name in an
    error, take the general path."""
    out = {}
    for name, value in values.items():
        if type(value) not in _SCALAR_TYPES:
            return None
        v = float(value)  # type: ignore[arg-type]
        if not (math.isfinite(v) and _IN_RANGE[name](v)):
            return None
        out[name] = v
    if out["n"] + out["m"] <= 0:
        return None
    return Points(**out)


def _predict_point(model: MixtureModel, pt: Points) -> Prediction:
    """:func:`predict` at one point given as floats, without the batch machinery."""
    noise = MeanNoise(model.mean_noise, model.mean_cross_noise)
    mean, second, delta, delta_s = evaluate_point(_backend(model), pt, noise)
    var = second - mean * mean

    def f(value: float) -> FloatArray:  # what _shape gives a 0-d result: a numpy scalar
        return cast(FloatArray, np.float64(value))

    return Prediction(
        accuracy=f(ndtr(mean / math.sqrt(var)) if var > 0 else 0.5),
        risk=f(second - 2.0 * mean + 1.0),
        mean=f(mean),
        second_moment=f(second),
        delta=f(delta),
        delta_s=f(delta_s),
        n=f(pt.n),
        m=f(pt.m),
        epsilon=f(pt.epsilon),
        rho=f(pt.rho),
        phi=f(pt.phi),
        gamma=f(pt.gamma),
        p=model.p,
    )


def estimated_generator_model(p: int, mu_norm: float, n_hat: float) -> MixtureModel:
    """The deterministic model behind :func:`predict_estimated_generator`.

    ``mu_real = mu_synth`` spread evenly over the eigen-directions of the generator covariance
    (each carries ``|μ|²/p``), whose spectrum is the Marchenko–Pastur quantiles of ratio
    ``p/n̂``; real covariance ``I_p``.
    """
    p = check_int(p, "p", minimum=1)
    mu_norm = float(check_nonnegative(mu_norm, "mu_norm"))
    n_hat = float(check_positive(n_hat, "n_hat"))
    mu = np.full(p, mu_norm / np.sqrt(p))
    return MixtureModel(mu, mu_synth=mu, cov_synth=marchenko_pastur_quantiles(p, p / n_hat))


def predict_estimated_generator(
    *,
    p: int,
    mu_norm: float,
    n: ArrayLike,
    n_hat: ArrayLike,
    m: ArrayLike,
    epsilon: ArrayLike = 0.0,
    rho: ArrayLike = 1.0,
    phi: ArrayLike = 1.0,
    gamma: ArrayLike = 1.0,
) -> Prediction:
    """Prediction when the generator's covariance is estimated from ``n_hat`` real samples.

    The paper's toy setting (docs/math/rmt.md, "Generator estimated from n̂ real samples"):
    ``mu_real = mu_synth`` of norm ``mu_norm``, real covariance ``I_p``, generator covariance
    the sample covariance of ``n_hat`` real samples — a white Wishart matrix of ratio ``p/n̂``,
    whose randomness the deterministic equivalent averages over by using the
    Marchenko–Pastur spectrum and a generic mean direction.

    Parameters
    ----------
    p : int
        Dimension.
    mu_norm : float
        ``|μ|``.
    n, n_hat, m, epsilon, rho, phi, gamma : array_like
        As in :func:`predict`; ``n_hat > 0`` broadcasts with the rest.

    Returns
    -------
    Prediction

    Examples
    --------
    >>> from synthmix.theory import predict_estimated_generator
    >>> pred = predict_estimated_generator(
    ...     p=200, mu_norm=0.7, n=1000, n_hat=1000, m=[10, 1000, 10000]
    ... )
    >>> pred.accuracy.shape
    (3,)
    """
    shape, flat = _broadcast(n=n, m=m, epsilon=epsilon, rho=rho, phi=phi, gamma=gamma, n_hat=n_hat)
    n_hat_flat = flat.pop("n_hat")
    fields = ("accuracy", "risk", "mean", "second_moment", "delta", "delta_s")
    out = {f: np.empty(n_hat_flat.shape) for f in fields}
    p_checked = check_int(p, "p", minimum=1)
    for value in np.unique(n_hat_flat):
        mask = n_hat_flat == value
        model = estimated_generator_model(p_checked, mu_norm, float(value))
        part = predict(model, **{k: v[mask] for k, v in flat.items()})
        for f in fields:
            out[f][mask] = getattr(part, f)
    return Prediction(
        **{f: _shape(out[f], shape) for f in fields},
        **{k: _shape(v, shape) for k, v in flat.items()},
        p=p_checked,
    )


def transition_epsilon(*, rho: ArrayLike, phi: ArrayLike) -> FloatArray:
    """Label-noise rate ``ε* = φ/(φ+ρ)`` at which the kept synthetic signal λ changes sign.

    Synthetic-only training (``n = 0``) has accuracy exactly 1/2 at ``ε*`` for every ``p/m``
    (docs/math/rmt.md, "Synthetic data only").

    Parameters
    ----------
    rho, phi : array_like
        Verifier keep probabilities, in [0, 1], not both 0.

    Returns
    -------
    ndarray or float
        ``ε*``, broadcast.

    Examples
    --------
    >>> from synthmix.theory import transition_epsilon
    >>> float(transition_epsilon(rho=0.3, phi=0.8))
    0.7272727272727273
    """
    r = check_probability(rho, "rho")
    f = check_probability(phi, "phi")
    total = r + f
    if np.any(total <= 0):
        raise fail("rho + phi", "be > 0 (a verifier that keeps nothing has no transition)", total)
    return _shape(np.asarray(f / total, dtype=float), np.broadcast_shapes(r.shape, f.shape))
