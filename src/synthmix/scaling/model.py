"""The exact long-tail knowledge model of real–synthetic scaling (docs/math/scaling.md).

Knowledge items ``i = 1..M`` have real frequencies ``p_i = i^(-β)/Z``. A synthetic generator
keeps the head and drops the tail (a cut at rank ``k``, given directly or by a top-p
threshold), thins it (temperature ``τ < 1``), or knows only what it saw in a finite real pool.
Training draws ``n`` items from the mixture ``q = π p + (1 − π) p'``; the expected 0-1 test
error on the real distribution is

    E(n) = Σ_i p_i [ s_i(n) e_s(i) + (1 − s_i(n)) (1 − g_u(i)) ],   s_i(n) = 1 − (1 − q_i)^n,

with ``e_s(i) = clip(a i^(-α), 0, 1)`` (a seen item answered wrongly) and
``g_u(i) = clip(b i^(-λ), 0, 1)`` (an unseen item guessed right).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gamma as gamma_fn
from scipy.special import zeta

from synthmix._random import RngLike, as_generator
from synthmix._types import FloatArray
from synthmix._validation import (
    as_float_array,
    check_int,
    check_nonnegative,
    check_probability,
    fail,
)

__all__ = [
    "LongTailModel",
    "PhaseAsymptotics",
    "breakpoints",
    "expected_error",
    "mixture_error",
    "phase_asymptotics",
    "sample_error",
]

_BLOCK = 1 << 17  # items per block when summing over M (memory: block x len(n) floats)
#: Up to this many items every item is summed; beyond it the items after ``_HEAD_ITEMS`` are
#: summed by Euler-Maclaurin with a log-spaced Gauss-Legendre integral (docs/math/scaling.md).
#: With a head of 2^14 items the tail sum is within 3e-14 (relative) of summing every item, on
#: power laws β = 1.05-3, hard cuts, temperatures and top-p, at M = 10^7 and sizes 1-10^10
#: (``benchmarks/scaling_speed.py`` measures it): the next Euler-Maclaurin term is ~(β/i)^3 of
#: the terms there.
_DIRECT_ITEMS = 1 << 16
_HEAD_ITEMS = 1 << 14
_PANEL = 0.05  # width in log(i) of one quadrature panel
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)


@dataclass(frozen=True, eq=False)
class LongTailModel:
    """Zipf knowledge items, a truncating synthetic generator and a real/synthetic mixture.

    Parameters
    ----------
    beta : float, default 2
        Zipf exponent ``β > 1``.
    k : int, optional
        Synthetic data covers items ``1..k`` only (default 30 when no other truncation is set).
    pi : float, default 0.1
        Real fraction of the training mixture, in (0, 1].
    M : int, default 10**6
        Number of knowledge items.
    a, alpha, b, lam : float, default 0
        Per-item correctness: a seen item is wrong with probability ``clip(a i^-α)``, an unseen
        item right with probability ``clip(b i^-λ)`` (defaults: seen ⇒ right, unseen ⇒ wrong).
    top_p : float, optional
        Derive ``k = min{j : P_j ≥ top_p}`` (nucleus sampling's cut).
    temperature : float, optional
        Synthetic frequencies ``∝ p_i^(1/τ)`` over all items (thins the tail, no cut).
    pool : int, optional
        The generator knows the items a pool of ``pool`` real draws contains; on average
        ``p'_i ∝ p_i (1 − (1 − p_i)^pool)`` (the expected-knowledge version, deterministic).

    Exactly one of ``k``, ``top_p``, ``temperature``, ``pool`` sets the truncation.
    """

    beta: float = 2.0
    k: int | None = None
    pi: float = 0.1
    M: int = 10**6
    a: float = 0.0
    alpha: float = 0.0
    b: float = 0.0
    lam: float = 0.0
    top_p: float | None = None
    temperature: float | None = None
    pool: int | None = None
    Z: float = field(init=False)
    cut: int | None = field(init=False)

    def __post_init__(self) -> None:
        beta = float(as_float_array(self.beta, "beta"))
        if not beta > 1:
            raise fail("beta", "be > 1 (a normalisable long tail)", self.beta)
        M = check_int(self.M, "M", minimum=1)
        if not 0 < float(self.pi) <= 1:
            raise fail("pi", "lie in (0, 1]", self.pi)
        for name in ("a", "alpha", "b", "lam"):
            check_nonnegative(getattr(self, name), name)
        given = [n for n in ("k", "top_p", "temperature", "pool") if getattr(self, n) is not None]
        if len(given) > 1:
            raise fail(
                "k", f"be the only truncation given (also got {', '.join(given[1:])})", self.k
            )
        set_ = object.__setattr__
        set_(self, "beta", beta)
        set_(self, "M", M)
        set_(self, "Z", float(zeta(beta) - zeta(beta, M + 1)))  # Σ_{i≤M} i^-β (Hurwitz)
        cut: int | None = None
        if not given:
            cut = 30
        elif given[0] == "k":
            cut = check_int(self.k, "k", minimum=1, maximum=M)
        elif given[0] == "top_p":
            t = float(as_float_array(self.top_p, "top_p"))  # type: ignore[arg-type]
            if not 0 < t <= 1:
                raise fail("top_p", "lie in (0, 1]", self.top_p)
            cut = self._rank_of_mass(t)
        elif given[0] == "temperature":
            if not 0 < float(self.temperature) <= 1:  # type: ignore[arg-type]
                raise fail("temperature", "lie in (0, 1]", self.temperature)
        else:
            check_int(self.pool, "pool", minimum=1)
        set_(self, "cut", cut)
        if cut is not None:
            set_(self, "k", cut)

    def _rank_of_mass(self, t: float) -> int:
        """Smallest j with P_j >= t: a blocked cumulative sum over the first items, then a
        bisection on the Hurwitz-zeta form ``P_j = (zeta(beta) - zeta(beta, j + 1))/Z``."""
        total = 0.0
        direct = min(self.M, _DIRECT_ITEMS)
        for start in range(1, direct + 1, _BLOCK):
            i = np.arange(start, min(start + _BLOCK, direct + 1), dtype=np.float64)
            cum = total + np.cumsum(i ** (-self.beta)) / self.Z
            hit = np.flatnonzero(cum >= t - 1e-12)
            if hit.size:
                return int(start + hit[0])
            total = float(cum[-1])
        lo, hi = direct, self.M  # P_lo < t <= P_hi (P_M = 1)
        head = float(zeta(self.beta))
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if (head - float(zeta(self.beta, mid + 1))) / self.Z >= t - 1e-12:
                hi = mid
            else:
                lo = mid
        return hi

    def head_mass(self) -> float:
        """``P_k = Σ_{i≤k} p_i`` (1 without a hard cut)."""
        if self.cut is None:
            return 1.0
        return float((zeta(self.beta) - zeta(self.beta, self.cut + 1)) / self.Z)

    def _synthetic_norm(self) -> float:
        """Normaliser of the synthetic frequencies p'."""
        if self.cut is not None:
            return self.head_mass()
        if self.temperature is not None:  # sum of i^(-beta/tau), a Hurwitz-zeta difference
            s = self.beta / float(self.temperature)
            return float(zeta(s) - zeta(s, self.M + 1))
        return float(
            _sum_items(self, lambda i, w: self._synthetic_unnormalised(i) @ w[:, None], 1)[0]
        )

    def _synthetic_unnormalised(self, i: FloatArray) -> FloatArray:
        p = i ** (-self.beta) / self.Z
        if self.cut is not None:
            return np.where(i <= self.cut, p, 0.0)
        if self.temperature is not None:
            # p_i^(1/tau) up to the factor p_1^(1/tau): i^(-beta/tau) never underflows at i = 1
            with np.errstate(under="ignore"):
                return np.asarray(i ** (-self.beta / float(self.temperature)), dtype=np.float64)
        # p_1 -> 1 for a huge beta (an ulp above 1 after rounding): log1p(-1) = -inf is right
        with np.errstate(divide="ignore"):
            keep = np.log1p(-np.minimum(p, 1.0))
        return p * -np.expm1(float(self.pool) * keep)  # type: ignore[arg-type]

    def frequencies(self, i: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Real ``p_i`` and training ``q_i`` at item ranks ``i`` (1-based)."""
        idx = np.asarray(i, dtype=np.float64)
        p = idx ** (-self.beta) / self.Z
        synth = self._synthetic_unnormalised(idx) / self._norm
        return p, self.pi * p + (1.0 - self.pi) * synth

    @property
    def _norm(self) -> float:
        cached = self.__dict__.get("_norm_cache")
        if cached is None:
            cached = self._synthetic_norm()
            object.__setattr__(self, "_norm_cache", cached)
        return float(cached)


def _correctness(model: LongTailModel, i: FloatArray) -> tuple[FloatArray, FloatArray]:
    wrong_seen = np.clip(model.a * i ** (-model.alpha), 0.0, 1.0)
    right_unseen = np.clip(model.b * i ** (-model.lam), 0.0, 1.0)
    return wrong_seen, right_unseen


def _sum_items(
    model: LongTailModel, func: Callable[[FloatArray, FloatArray], FloatArray], width: int
) -> FloatArray:
    """``sum_{i=1}^{M} f(i)`` where ``func(i, w)`` returns ``sum_j w_j f(i_j)``, shape (width,).

    Every item when ``M <= 2^16`` (unit weights); beyond, items ``1..2^14`` one by one and the
    rest by :func:`_euler_maclaurin` on each stretch where ``f`` is smooth in ``i`` (the
    synthetic cut ``k`` splits it), so ``M = 10^12`` costs about what ``M = 10^5`` does.
    """
    total = np.zeros(width)
    direct = model.M if model.M <= _DIRECT_ITEMS else _HEAD_ITEMS
    for start in range(1, direct + 1, _BLOCK):
        i = np.arange(start, min(start + _BLOCK, direct + 1), dtype=np.float64)
        total += func(i, np.ones_like(i))
    if direct < model.M:
        cut = model.cut
        if cut is not None and direct < cut < model.M:
            stretches = [(direct + 1, cut), (cut + 1, model.M)]
        else:
            stretches = [(direct + 1, model.M)]
        for a, b in stretches:
            total += _euler_maclaurin(func, a, b)
    return total


def _euler_maclaurin(
    func: Callable[[FloatArray, FloatArray], FloatArray], a: int, b: int
) -> FloatArray:
    """``sum_{i=a}^{b} f(i) ~ integral_a^b f + (f(a) + f(b))/2 + (f'(b) - f'(a))/12``.

    For ``f`` smooth in ``i``; ``func`` as in :func:`_sum_items`. The integral is composite
    8-point Gauss-Legendre in ``log i`` (panels 0.05 wide), the derivatives one-sided
    differences, so the end terms are the weights (7, -1, -1, 7)/12 at ``a, a+1, b-1, b``;
    the next Euler-Maclaurin term (the third derivative over 720) is below 1e-13 of the sum
    for the power laws here once ``a >= 2^14``.
    """
    if b - a < 8:
        i = np.arange(a, b + 1, dtype=np.float64)
        return func(i, np.ones_like(i))
    la, lb = math.log(a), math.log(b)
    edges = np.linspace(la, lb, max(1, math.ceil((lb - la) / _PANEL)) + 1)
    mid, half = (edges[:-1] + edges[1:]) / 2, (edges[1:] - edges[:-1]) / 2
    t = (mid[:, None] + half[:, None] * _GL_NODES[None, :]).ravel()
    w = (half[:, None] * _GL_WEIGHTS[None, :]).ravel()
    x = np.exp(t)
    ends = np.array([a, a + 1, b - 1, b], dtype=np.float64)
    return np.asarray(
        func(x, w * x) + func(ends, np.array([7.0, -1.0, -1.0, 7.0]) / 12.0), dtype=np.float64
    )


def expected_error(model: LongTailModel, n: ArrayLike) -> FloatArray:
    """Exact expected real-test 0-1 error after ``n`` training draws (spec: E(n)).

    Parameters
    ----------
    model : LongTailModel
    n : array_like
        Training-set sizes (>= 0; need not be integers).

    Returns
    -------
    ndarray, shape of ``n``

    Notes
    -----
    Sums over the first items in blocks of 2^17 (memory ~ block x len(n)); ``(1 - q)^n`` is
    evaluated as ``exp(n log1p(-q))``. Beyond 2^16 items everything after item 2^14 is summed
    by Euler-Maclaurin (:func:`_sum_items`), so any ``M`` up to 10^12 and beyond takes a few
    milliseconds for 50 sizes (``benchmarks/scaling_speed.py``).
    """
    if not isinstance(model, LongTailModel):
        raise fail("model", "be a synthmix.scaling.LongTailModel", type(model).__name__)
    n_arr = check_nonnegative(n, "n")
    flat = n_arr.ravel()

    def terms(i: FloatArray, w: FloatArray) -> FloatArray:
        p, q = model.frequencies(i)
        return _block_error(p * w, q, *_correctness(model, i), flat)

    total = _sum_items(model, terms, flat.shape[0])
    return total.reshape(n_arr.shape) if n_arr.ndim else total[0]


def _unseen(q: FloatArray, n: FloatArray) -> FloatArray:
    """``(1 - q)^n``, shape (len(n), len(q)): ``q`` clipped to [0, 1] (rounding can overshoot
    1 by an ulp), and ``0^0 = 1`` (nothing drawn leaves every item unseen)."""
    with np.errstate(divide="ignore"):
        log_keep = np.log1p(-np.clip(q, 0.0, 1.0))
    with np.errstate(invalid="ignore"):
        out = np.exp(np.outer(n, log_keep))
    return np.asarray(np.where(n[:, None] == 0, 1.0, out), dtype=np.float64)


def _block_error(
    p: FloatArray, q: FloatArray, wrong_seen: FloatArray, right_unseen: FloatArray, n: FloatArray
) -> FloatArray:
    """``sum_i p_i [s_i e_s(i) + (1 - s_i)(1 - g_u(i))]`` over one block of items, per ``n``."""
    unseen = _unseen(q, n)  # (len(n), block)
    return np.asarray(
        (1.0 - unseen) @ (p * wrong_seen) + unseen @ (p * (1.0 - right_unseen)), dtype=np.float64
    )


def mixture_error(
    p: ArrayLike,
    q: ArrayLike,
    n: ArrayLike,
    *,
    wrong_seen: ArrayLike = 0.0,
    right_unseen: ArrayLike = 0.0,
) -> FloatArray:
    """Exact expected error for arbitrary item frequencies (the documented E(n), any ``p``, ``q``).

    The same formula as :func:`expected_error` without the Zipf/truncation parametrisation:
    for measured or non-Zipf frequencies, hallucinated synthetic items (mass of ``q`` on items
    with ``p_i = 0``), or a generator fitted on data.

    Parameters
    ----------
    p : array_like, shape (M,)
        Test frequencies of the items (≥ 0; normalised here to sum to 1).
    q : array_like, shape (M,)
        Training frequencies (≥ 0; normalised here). Items may have ``q_i > 0 = p_i``.
    n : array_like
        Training-set sizes (≥ 0), any shape.
    wrong_seen, right_unseen : array_like, shape (M,) or scalar, default 0
        ``e_s(i)`` and ``g_u(i)`` of docs/math/scaling.md, probabilities in [0, 1].

    Returns
    -------
    ndarray, shape of ``n``
    """
    p_arr = check_nonnegative(p, "p").ravel()
    q_arr = check_nonnegative(q, "q").ravel()
    if p_arr.shape != q_arr.shape:
        raise fail("q", f"have the shape of p {p_arr.shape}", q_arr.shape)
    if not p_arr.sum() > 0 or not q_arr.sum() > 0:
        raise fail(
            "p and q",
            "each have positive total mass",
            f"totals {float(p_arr.sum()):g} and {float(q_arr.sum()):g}",
        )
    e_s = np.broadcast_to(check_probability(wrong_seen, "wrong_seen"), p_arr.shape)
    g_u = np.broadcast_to(check_probability(right_unseen, "right_unseen"), p_arr.shape)
    p_arr, q_arr = p_arr / p_arr.sum(), q_arr / q_arr.sum()
    n_arr = check_nonnegative(n, "n")
    flat = n_arr.ravel()
    total = np.zeros(flat.shape[0])
    for start in range(0, p_arr.shape[0], _BLOCK):
        sl = slice(start, start + _BLOCK)
        total += _block_error(p_arr[sl], q_arr[sl], e_s[sl], g_u[sl], flat)
    return total.reshape(n_arr.shape) if n_arr.ndim else total[0]


def breakpoints(model: LongTailModel) -> tuple[float, float]:
    """``n1 = Z k^β / A``, ``n2 = Z (k+1)^β / π``, ``A = π + (1 − π)/P_k`` (docs/math/scaling.md).

    Needs a hard cut (``k`` or ``top_p``).
    """
    if model.cut is None:
        raise fail("model", "truncate at a rank k (k or top_p) to have breakpoints", "no hard cut")
    big_a = model.pi + (1.0 - model.pi) / model.head_mass()
    n1, n2 = math.inf, math.inf  # a huge beta puts them beyond every float: no n reaches them
    with contextlib.suppress(OverflowError):
        n1 = model.Z * model.cut**model.beta / big_a
    with contextlib.suppress(OverflowError):
        n2 = model.Z * (model.cut + 1) ** model.beta / model.pi
    return float(n1), float(n2)


@dataclass(frozen=True)
class PhaseAsymptotics:
    """The three phases' leading-order forms, including the per-item correctness terms.

    With ``F_γ(c n) = Γ((β + γ − 1)/β) / (β Z) · (c n / Z)^{(1 − β − γ)/β}`` (the continuum
    sum ``Σ_i p_i i^{-γ} e^{-c n p_i}``), rapid learning (rate ``c = A``) and tail learning
    (``c = π``) follow

        E(n) ≈ a C_α + F_0(c n) − a F_α(c n) − b F_λ(c n),

    the documented Lemma-1 form: the a=b=0 power law ``n^{-(1-1/β)}`` plus terms in
    ``n^{(1-α-β)/β}`` (seen items answered wrongly) and ``n^{(1-λ-β)/β}`` (unseen items guessed
    right), with ``C_α = Σ_i p_i i^{-α}``. The plateau is the error with items ``≤ k`` seen and
    the rest unseen. Valid while ``a i^{-α}`` and ``b i^{-λ}`` stay below 1 (no clipping).

    Attributes
    ----------
    constant : float
        ``Γ(1 − 1/β)/(β Z^{1/β})``, the a=b=0 coefficient of ``(c n)^{-(1-1/β)}``.
    head_rate, tail_rate : float
        ``A = π + (1 − π)/P_k`` and ``π``.
    plateau : float
        ``a Σ_{i≤k} p_i i^{-α} + Σ_{i>k} p_i (1 − b i^{-λ})``.
    exponent : float
        ``1 − 1/β``.
    beta, Z, a, alpha, b, lam : float
        The model's parameters.
    seen_error : float
        ``a C_α``, the error left when every item has been seen.
    """

    constant: float
    head_rate: float
    tail_rate: float
    plateau: float
    exponent: float
    beta: float = 2.0
    Z: float = 1.0
    a: float = 0.0
    alpha: float = 0.0
    b: float = 0.0
    lam: float = 0.0
    seen_error: float = 0.0

    def _frontier(self, gamma: float, cn: FloatArray) -> FloatArray:
        beta = self.beta
        coef = gamma_fn((beta + gamma - 1.0) / beta) / (beta * self.Z)
        return np.asarray(coef * (cn / self.Z) ** ((1.0 - beta - gamma) / beta), np.float64)

    def _phase(self, cn: FloatArray) -> FloatArray:
        out = self.seen_error + self._frontier(0.0, cn)
        if self.a:
            out = out - self.a * self._frontier(self.alpha, cn)
        if self.b:
            out = out - self.b * self._frontier(self.lam, cn)
        return np.asarray(out, dtype=np.float64)

    def phase1(self, n: ArrayLike) -> FloatArray:
        """Rapid learning: every item at rate ``A`` (``n ≪ n1``)."""
        return self._phase(self.head_rate * np.asarray(n, dtype=float))

    def phase3(self, n: ArrayLike) -> FloatArray:
        """Tail learning: the tail at the real rate ``π`` (``n ≫ n2``)."""
        return self._phase(self.tail_rate * np.asarray(n, dtype=float))


def phase_asymptotics(model: LongTailModel) -> PhaseAsymptotics:
    """Leading-order phase formulas (spec "Phases and breakpoints", Lemma 1); needs a hard cut.

    Derived by replacing the sum over items by an integral: ``Σ p_i i^{-γ} e^{-c n p_i} ≈
    Γ((β + γ − 1)/β)/(β Z) (c n / Z)^{(1 − β − γ)/β}`` for the items the rate ``c`` covers
    (``γ = 0`` gives ``Γ(1 − 1/β)/(β Z^{1/β}) (c n)^{-(1 − 1/β)}``).
    """
    if model.cut is None:
        raise fail(
            "model", "truncate at a rank k (k or top_p) for the phase formulas", "no hard cut"
        )
    beta = model.beta
    const = float(gamma_fn(1.0 - 1.0 / beta) / (beta * model.Z ** (1.0 / beta)))
    big_a = model.pi + (1.0 - model.pi) / model.head_mass()
    k = model.cut

    def zsum(exponent: float, lo: int, hi: int) -> float:
        """``Σ_{lo ≤ i ≤ hi} i^{-exponent}`` by the Hurwitz zeta function."""
        return float(zeta(exponent, lo) - zeta(exponent, hi + 1))

    head_seen = model.a * zsum(beta + model.alpha, 1, k) / model.Z
    tail_unseen = zsum(beta, k + 1, model.M) - model.b * zsum(beta + model.lam, k + 1, model.M)
    return PhaseAsymptotics(
        constant=const,
        head_rate=big_a,
        tail_rate=model.pi,
        plateau=head_seen + tail_unseen / model.Z,
        exponent=1.0 - 1.0 / beta,
        beta=beta,
        Z=model.Z,
        a=model.a,
        alpha=model.alpha,
        b=model.b,
        lam=model.lam,
        seen_error=model.a * zsum(beta + model.alpha, 1, model.M) / model.Z,
    )


def sample_error(
    model: LongTailModel, n: int, *, n_trials: int = 100, rng: RngLike = 0
) -> tuple[float, float]:
    """Monte-Carlo twin of :func:`expected_error` at one ``n``: mean and standard error.

    Each trial draws the training set's item counts from ``Multinomial(n, q)`` (O(M), any n)
    and scores the real-test error given which items were seen (the per-item correctness
    probabilities enter in expectation).
    """
    n = check_int(n, "n", minimum=0)
    trials = check_int(n_trials, "n_trials", minimum=2)
    i = np.arange(1, model.M + 1, dtype=np.float64)
    p, q = model.frequencies(i)
    q = q / q.sum()
    wrong_seen, right_unseen = _correctness(model, i)
    gen = as_generator(rng)
    errs = np.empty(trials)
    for t in range(trials):
        seen = gen.multinomial(n, q) > 0
        errs[t] = float(np.sum(p * np.where(seen, wrong_seen, 1.0 - right_unseen)))
    return float(errs.mean()), float(errs.std(ddof=1) / np.sqrt(trials))
