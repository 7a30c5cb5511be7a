"""The exact long-tail model: expected error vs its Monte-Carlo twin, breakpoints, phases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.scaling import (
    LongTailModel,
    breakpoints,
    expected_error,
    phase_asymptotics,
    sample_error,
)

M_SMALL = 20000  # keeps each Monte-Carlo trial (a multinomial over M items) cheap


def _settings() -> list[tuple[dict, int]]:
    out = []
    for beta, k, pi in itertools.product((1.5, 2.0, 3.0), (10, 100), (0.05, 0.5)):
        model = dict(beta=beta, k=k, pi=pi, M=M_SMALL)
        n1, n2 = breakpoints(LongTailModel(**model))
        out.append((model, int(np.sqrt(n1 * n2))))  # in the plateau
    out += [
        (dict(beta=2.0, top_p=0.9, pi=0.1, M=M_SMALL), 3000),
        (dict(beta=2.0, temperature=0.5, pi=0.2, M=M_SMALL), 2000),
        (dict(beta=1.5, pool=500, pi=0.3, M=M_SMALL), 5000),
        (dict(beta=2.0, k=30, pi=0.1, M=M_SMALL, a=0.3, alpha=0.5, b=0.2, lam=1.0), 1000),
        (dict(beta=2.5, k=20, pi=0.2, M=M_SMALL), 30),
        (dict(beta=2.0, k=M_SMALL, pi=0.5, M=M_SMALL), 10**5),
        (dict(beta=1.5, k=50, pi=1.0, M=M_SMALL), 10**4),
        (dict(beta=3.0, k=10, pi=0.01, M=M_SMALL), 10**6),
    ]
    return out


SETTINGS = _settings()


def test_at_least_twenty_settings() -> None:
    assert len(SETTINGS) >= 20


@pytest.mark.parametrize(("kwargs", "n"), SETTINGS)
def test_exact_error_matches_monte_carlo(kwargs: dict, n: int) -> None:
    """|E(n) − MC| ≤ 4 standard errors of the Monte-Carlo mean (no bias term: both are exact)."""
    model = LongTailModel(**kwargs)
    mean, se = sample_error(model, n, n_trials=60, rng=7)
    assert abs(float(expected_error(model, n)) - mean) <= 4 * se + 1e-12


def test_phases_and_breakpoints() -> None:
    """Each asymptotic form holds within 15% deep inside its phase (β = 2, k = 100, π = 0.01,
    so n2/n1 ≈ 100); E is flat (slope ≈ 0) between the breakpoints."""
    model = LongTailModel(beta=2.0, k=100, pi=0.01, M=10**6)
    n1, n2 = breakpoints(model)
    assert n2 / n1 == pytest.approx(
        ((101 / 100) ** 2) * (model.pi + (1 - model.pi) / model.head_mass()) / model.pi
    )
    asym = phase_asymptotics(model)
    early, middle, late = n1 / 100, np.sqrt(n1 * n2) * np.array([0.7, 1.4]), n2 * 300
    assert float(expected_error(model, early)) == pytest.approx(float(asym.phase1(early)), rel=0.15)
    plateau = expected_error(model, middle)
    assert plateau[0] == pytest.approx(asym.plateau, rel=0.15)
    slope = np.log(plateau[1] / plateau[0]) / np.log(2.0)
    assert abs(slope) < 0.15  # flat compared with the phase-1 exponent 0.5
    assert float(expected_error(model, late)) == pytest.approx(float(asym.phase3(late)), rel=0.15)


def test_special_cases() -> None:
    # all real data: the truncation is irrelevant
    a = expected_error(LongTailModel(beta=2.0, k=5, pi=1.0, M=5000), [10, 1000])
    b = expected_error(LongTailModel(beta=2.0, k=4000, pi=1.0, M=5000), [10, 1000])
    np.testing.assert_allclose(a, b, rtol=1e-12)
    # nothing learned at n = 0; everything at n → ∞ (seen ⇒ right)
    model = LongTailModel(beta=2.0, k=10, pi=0.5, M=1000)
    assert float(expected_error(model, 0)) == pytest.approx(1.0)
    assert float(expected_error(model, 1e12)) < 1e-6
    # top_p gives the smallest k whose head mass reaches the threshold
    tp = LongTailModel(beta=2.0, top_p=0.95, M=10**5)
    assert tp.head_mass() >= 0.95 > LongTailModel(beta=2.0, k=tp.cut - 1, M=10**5).head_mass()
    # error decreases with n
    e = expected_error(LongTailModel(beta=1.5, k=30, pi=0.1), np.logspace(0, 8, 30))
    assert np.all(np.diff(e) < 0)


def test_ten_million_items_in_blocks() -> None:
    model = LongTailModel(beta=2.0, k=30, pi=0.1, M=10**7)
    e = expected_error(model, [1e3, 1e6])
    assert e.shape == (2,) and np.all((e > 0) & (e < 1))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"beta": 1.0}, "beta"),
        ({"pi": 0.0}, "pi"),
        ({"pi": 1.5}, "pi"),
        ({"k": 0}, "k"),
        ({"k": 10, "top_p": 0.9}, "k"),
        ({"top_p": 1.5}, "top_p"),
        ({"temperature": 0.0}, "temperature"),
        ({"pool": 0}, "pool"),
        ({"M": 0}, "M"),
        ({"a": -1.0}, "a"),
    ],
)
def test_bad_models(kwargs: dict, name: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        LongTailModel(**kwargs)


def test_bad_calls() -> None:
    with pytest.raises(ValidationError, match=r"^n must"):
        expected_error(LongTailModel(M=100), [-1.0])
    with pytest.raises(ValidationError, match=r"^model must"):
        breakpoints(LongTailModel(temperature=0.5, M=100))
    with pytest.raises(ValidationError, match=r"^model must"):
        expected_error("model", 10)  # type: ignore[arg-type]


def test_mixture_error_equals_expected_error_on_the_models_frequencies() -> None:
    from synthmix.scaling import mixture_error
    from synthmix.scaling.model import _correctness

    model = LongTailModel(beta=2.0, k=10, pi=0.1, M=5000, a=0.1, alpha=0.5, b=0.2, lam=1.0)
    i = np.arange(1, 5001, dtype=float)
    p, q = model.frequencies(i)
    wrong, right = _correctness(model, i)
    n = np.array([0.0, 10.0, 1e3, 1e6])
    got = mixture_error(p, q, n, wrong_seen=wrong, right_unseen=right)
    np.testing.assert_allclose(got, expected_error(model, n), rtol=1e-12, atol=1e-15)


def test_mixture_error_hallucinated_items_waste_draws() -> None:
    """Training mass on items the test never asks (p_i = 0) acts like a smaller n exactly."""
    from synthmix.scaling import mixture_error

    p = np.r_[np.arange(1, 101, dtype=float) ** -2.0, np.zeros(50)]
    q = np.r_[p[:100] / p.sum(), np.zeros(50)]
    h = 0.3
    q_hall = np.r_[(1 - h) * q[:100], np.full(50, h / 50)]
    n = np.array([5.0, 50.0, 500.0])
    # each real item keeps (1 - h) of its training mass: E(n) = Σ p_i (1 - (1 - h) q_i)^n
    pn = p[:100] / p.sum()
    direct = np.array([np.sum(pn * (1 - (1 - h) * q[:100]) ** m) for m in n])
    np.testing.assert_allclose(mixture_error(p, q_hall, n), direct, rtol=1e-12)
    assert np.all(mixture_error(p, q_hall, n) > mixture_error(p, q, n))


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"p": [1.0, -1.0], "q": [1.0, 1.0]}, "p"),
        ({"p": [1.0, 1.0], "q": [1.0]}, "q"),
        ({"p": [0.0, 0.0], "q": [1.0, 1.0]}, "p"),
        ({"p": [1.0, 1.0], "q": [1.0, 1.0], "wrong_seen": 1.5}, "wrong_seen"),
    ],
)
def test_mixture_error_rejects_bad_input(kwargs: dict, param: str) -> None:
    from synthmix.exceptions import ValidationError
    from synthmix.scaling import mixture_error

    with pytest.raises(ValidationError, match=f"^{param}"):
        mixture_error(n=[1.0], **kwargs)


def test_lemma1_terms_with_imperfect_learning() -> None:
    """With a, b > 0 (seen items sometimes wrong, unseen ones sometimes guessed) the phase forms
    a C_α + F_0 − a F_α − b F_λ hold within 2% deep in phases 1 and 3 and on the plateau, where
    the a = b = 0 forms are off by more than a factor 2 (the terms in n^{(1-α-β)/β} and
    n^{(1-λ-β)/β} and the floor a C_α are not small)."""
    import dataclasses

    model = LongTailModel(beta=2.0, k=100, pi=0.01, M=10**6, a=0.3, alpha=0.5, b=0.2, lam=1.0)
    n1, n2 = breakpoints(model)
    asym = phase_asymptotics(model)
    bare = dataclasses.replace(asym, a=0.0, b=0.0, seen_error=0.0)
    for n, form, form0 in (
        (n1 / 100, asym.phase1, bare.phase1),
        (n2 * 100, asym.phase3, bare.phase3),
    ):
        exact = float(expected_error(model, n))
        assert float(form(n)) == pytest.approx(exact, rel=0.02)
        assert float(form0(n)) < 0.5 * exact
    assert float(expected_error(model, np.sqrt(n1 * n2))) == pytest.approx(asym.plateau, rel=0.05)
    # the floor: with every item seen, the error is a Σ p_i i^-α
    assert float(expected_error(model, 1e15)) == pytest.approx(asym.seen_error, rel=1e-3)


def test_phase_constant_and_parameters() -> None:
    """``constant`` is the a = b = 0 coefficient, Γ(1 − 1/β)/(β Z^{1/β}) (the integral
    ∫ p e^{-c n p} di over p = i^{-β}/Z, computed here by quadrature), and the forms carry
    every parameter of the model."""
    from scipy.integrate import quad

    model = LongTailModel(beta=2.5, k=100, pi=0.05, M=10**6, a=0.3, alpha=0.5, b=0.2, lam=1.0)
    asym = phase_asymptotics(model)
    cn = 1e4
    integral = quad(
        lambda i: i**-model.beta / model.Z * np.exp(-cn * i**-model.beta / model.Z),
        0,
        np.inf,
        limit=400,
    )[0]
    assert asym.constant * cn**-asym.exponent == pytest.approx(integral, rel=1e-6)
    assert asym.exponent == pytest.approx(1 - 1 / 2.5)
    got = (asym.beta, asym.Z, asym.a, asym.alpha, asym.b, asym.lam, asym.tail_rate)
    assert got == (2.5, model.Z, 0.3, 0.5, 0.2, 1.0, 0.05)


def test_sample_error_at_zero_is_the_exact_error_without_noise() -> None:
    # n = 0: nothing is seen in any trial, so every trial's error is Σ_i p_i (1 − P(right |
    # unseen)) over exactly the model's M items: expected_error(model, 0), with zero spread.
    for model in (
        LongTailModel(beta=2.0, k=10, pi=0.1, M=100),
        LongTailModel(beta=1.5, k=5, pi=0.3, M=50, b=0.2, lam=0.5),
    ):
        mean, se = sample_error(model, 0, n_trials=3, rng=0)
        assert mean == pytest.approx(float(expected_error(model, 0)), rel=1e-13)
        assert se == 0.0
