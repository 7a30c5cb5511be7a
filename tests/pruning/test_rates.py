"""Random label flips, and measured (ρ̂, φ̂) with exact intervals that cover."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.stats import binomtest

from synthmix import ValidationError
from synthmix.pruning import (
    OracleVerifier,
    Verdict,
    VerifierRates,
    estimate_rates,
    flip_labels,
    measure_rates,
)
from synthmix.theory import MixtureModel, predict

# --------------------------------------------------------------------------------- flips


def test_flip_rate_is_epsilon() -> None:
    m, eps = 20_000, 0.3
    y = np.tile([1, -1], m // 2)
    y_noisy, flipped = flip_labels(y, eps, rng=0)
    assert abs(flipped.mean() - eps) <= 4 * np.sqrt(eps * (1 - eps) / m)
    np.testing.assert_array_equal(y_noisy, np.where(flipped, -y, y))
    assert y_noisy.dtype == np.int64 and flipped.dtype == np.bool_


def test_flips_are_spread_not_a_block() -> None:
    """Each of 10 consecutive chunks is flipped at rate ε (the paper's code flipped a block)."""
    m, eps = 10_000, 0.3
    _, flipped = flip_labels(np.ones(m), eps, rng=1)
    chunk = m // 10
    for rate in flipped.reshape(10, chunk).mean(axis=1):
        assert abs(rate - eps) <= 4 * np.sqrt(eps * (1 - eps) / chunk)
    # Many runs: a block would give one or two switches, independent coins ~ 2ε(1−ε)m.
    switches = np.count_nonzero(np.diff(flipped.astype(int)))
    assert switches > 0.8 * 2 * eps * (1 - eps) * m


def test_flips_are_fixed_by_the_seed() -> None:
    y = np.ones(1000, dtype=int)
    a, b, c = (flip_labels(y, 0.4, rng=s)[1] for s in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    gen = np.random.default_rng(5)
    np.testing.assert_array_equal(flip_labels(y, 0.4, rng=gen)[1], a)


def test_flip_extremes() -> None:
    y = np.array([1, -1, -1, 1])
    np.testing.assert_array_equal(flip_labels(y, 0.0, rng=0)[0], y)
    np.testing.assert_array_equal(flip_labels(y, 1.0, rng=0)[0], -y)


# ---------------------------------------------------------------------------------- rates


def test_counts_and_fields() -> None:
    keep = np.array([True, False, True, True, False, True])
    y_noisy = np.array([1, 1, -1, -1, 1, -1])
    y_true = np.array([1, -1, -1, 1, 1, -1])  # wrong at 1 and 3
    r = estimate_rates(keep, y_noisy, y_true, confidence=0.9)
    assert (r.n_right, r.n_wrong, r.kept_right, r.kept_wrong) == (4, 2, 3, 1)
    assert r.phi == 0.75 and r.rho == 0.5
    assert r.epsilon == pytest.approx(2 / 6) and r.kept_fraction == pytest.approx(4 / 6)
    assert r.phi_stderr == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    assert r.rho_stderr == pytest.approx(np.sqrt(0.5 * 0.5 / 2))
    assert r.confidence == 0.9 and r.verifier is None and r.seed is None
    assert r.as_theory_kwargs() == {"rho": 0.5, "phi": 0.75}


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (57, 200)])
def test_intervals_are_clopper_pearson(k: int, n: int) -> None:
    keep = np.r_[np.ones(k, bool), np.zeros(n - k, bool), np.ones(k, bool), np.zeros(n - k, bool)]
    y_true = np.ones(2 * n, dtype=int)
    y_noisy = np.r_[np.ones(n, dtype=int), -np.ones(n, dtype=int)]
    r = estimate_rates(keep, y_noisy, y_true, confidence=0.95)
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    np.testing.assert_allclose(r.phi_ci, (ref.low, ref.high), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.rho_ci, (ref.low, ref.high), rtol=1e-10, atol=1e-12)


def test_intervals_cover_at_their_level() -> None:
    """300 repeats of a small experiment (n_wrong ≈ 60): both 95% intervals cover the truth at
    least 90% of the time (Clopper–Pearson is conservative: ≥ 95% in expectation)."""
    rho, phi, reps = 0.2, 0.8, 300
    verifier = OracleVerifier(rho=rho, phi=phi)
    rng = np.random.default_rng(11)
    X = np.zeros((200, 1))
    covered = np.zeros((reps, 2), dtype=bool)
    for i in range(reps):
        y_true = rng.choice([-1, 1], 200)
        y_noisy, _ = flip_labels(y_true, 0.3, rng=rng)
        r = measure_rates(verifier, X, y_noisy, y_true, rng=rng)
        covered[i] = [r.rho_ci[0] <= rho <= r.rho_ci[1], r.phi_ci[0] <= phi <= r.phi_ci[1]]
    assert np.all(covered.mean(axis=0) >= 0.9), covered.mean(axis=0)


def test_measure_rates_records_verifier_and_seed() -> None:
    y_true = np.tile([1, -1], 100)
    y_noisy, _ = flip_labels(y_true, 0.3, rng=0)
    X = np.zeros((200, 2))
    v = OracleVerifier(rho=0.3, phi=0.6)
    a = measure_rates(v, X, y_noisy, y_true, rng=4)
    b = measure_rates(v, X, y_noisy, y_true, rng=4)
    assert a == b and isinstance(a, VerifierRates)
    assert a.verifier == "OracleVerifier" and a.seed == 4
    assert measure_rates(v, X, y_noisy, y_true, rng=np.random.default_rng(4)).seed is None


def test_rates_feed_the_theory() -> None:
    """``as_theory_kwargs`` plugs into ``predict``; an oracle's measured rates give nearly the
    prediction of its true rates."""
    rng = np.random.default_rng(3)
    y_true = rng.choice([-1, 1], 5000)
    y_noisy, _ = flip_labels(y_true, 0.3, rng=rng)
    r = measure_rates(OracleVerifier(rho=0.1, phi=0.9), np.zeros((5000, 1)), y_noisy, y_true)
    model = MixtureModel(np.r_[1.0, np.zeros(49)])
    measured = predict(model, n=100, m=1000, epsilon=0.3, **r.as_theory_kwargs())
    exact = predict(model, n=100, m=1000, epsilon=0.3, rho=0.1, phi=0.9)
    assert abs(float(measured.accuracy) - float(exact.accuracy)) < 0.01


class _FixedVerifier:
    """A third-party verifier (duck-typed): keeps the first half."""

    def __init__(self, keep: Any) -> None:
        self.keep = keep

    def decide(self, X_syn: Any, y_syn: Any, *, rng: Any = None, y_true: Any = None) -> Verdict:
        return Verdict(keep=self.keep, score=np.zeros(len(y_syn)))


def test_any_object_with_decide_is_measured() -> None:
    keep = np.r_[np.ones(5, bool), np.zeros(5, bool)]
    y_true = np.ones(10, dtype=int)
    y_noisy = np.tile([1, -1], 5)
    r = measure_rates(_FixedVerifier(keep), np.zeros((10, 1)), y_noisy, y_true)
    assert (r.kept_right, r.kept_wrong) == (3, 2) and r.verifier == "_FixedVerifier"


# ----------------------------------------------------------------------------- bad inputs

Y_TRUE = np.array([1, 1, -1, -1])
Y_NOISY = np.array([1, -1, -1, 1])
X4 = np.zeros((4, 1))
KEEP = np.array([True, False, True, True])
ORACLE = OracleVerifier(rho=0.5, phi=0.5)


class _NoKeep:
    """A verifier whose verdict has no ``keep``."""

    def decide(self, X: Any, y: Any, *, rng: Any = None, y_true: Any = None) -> object:
        return object()


BAD: list[tuple[str, Any]] = [
    ("y_true", lambda: measure_rates(ORACLE, X4, Y_TRUE, Y_TRUE)),  # no wrong labels
    ("y_true", lambda: measure_rates(ORACLE, X4, -Y_TRUE, Y_TRUE)),  # no right labels
    ("y_true", lambda: estimate_rates(KEEP, Y_NOISY, Y_TRUE[:3])),
    ("y_true", lambda: estimate_rates(KEEP, Y_NOISY, (Y_TRUE + 1) // 2)),
    ("y_noisy", lambda: measure_rates(ORACLE, X4, Y_NOISY * 3, Y_TRUE)),
    ("y_noisy", lambda: estimate_rates(KEEP, np.r_[Y_NOISY[:3], np.nan], Y_TRUE)),
    ("confidence", lambda: estimate_rates(KEEP, Y_NOISY, Y_TRUE, confidence=1.0)),
    ("confidence", lambda: measure_rates(ORACLE, X4, Y_NOISY, Y_TRUE, confidence=0)),
    ("confidence", lambda: estimate_rates(KEEP, Y_NOISY, Y_TRUE, confidence="high")),
    ("keep", lambda: measure_rates(_NoKeep(), X4, Y_NOISY, Y_TRUE)),
    ("keep", lambda: estimate_rates(KEEP[:3], Y_NOISY, Y_TRUE)),
    ("keep", lambda: estimate_rates(KEEP.astype(int), Y_NOISY, Y_TRUE)),
    ("keep", lambda: measure_rates(_FixedVerifier(KEEP[:2]), X4, Y_NOISY, Y_TRUE)),
    ("verifier", lambda: measure_rates(object(), X4, Y_NOISY, Y_TRUE)),  # type: ignore[arg-type]
    ("X_syn", lambda: measure_rates(ORACLE, np.zeros((3, 1)), Y_NOISY, Y_TRUE)),
    ("y", lambda: flip_labels([0, 1, 1], 0.2, rng=0)),
    ("y", lambda: flip_labels([[1, -1]], 0.2, rng=0)),
    ("epsilon", lambda: flip_labels(Y_TRUE, 1.5, rng=0)),
    ("epsilon", lambda: flip_labels(Y_TRUE, [0.1, 0.2], rng=0)),  # type: ignore[arg-type]
    ("rng", lambda: flip_labels(Y_TRUE, 0.1, rng=-1)),
]


@pytest.mark.parametrize(("name", "call"), BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_inputs_name_the_parameter(name: str, call: Any) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value).startswith(f"{name} must "), str(info.value)


@pytest.mark.parametrize(
    ("y_noisy", "what"), [(Y_TRUE, "no wrong labels"), (-Y_TRUE, "no right labels")]
)
def test_flips_without_both_kinds_say_which_is_missing(y_noisy: Any, what: str) -> None:
    with pytest.raises(ValidationError) as info:
        estimate_rates(KEEP, y_noisy, Y_TRUE)
    assert str(info.value) == (
        "y_true must differ from y_noisy on at least one sample and agree on at least one "
        f"(both rho and phi need samples); got '{what} among 4 samples'"
    )


_Y = np.array([1, -1, 1, -1])
_T = np.array([1, 1, 1, -1])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: measure_rates("v", np.zeros((4, 2)), _Y, _T),
            "verifier must have a decide(X_syn, y_syn, *, rng, y_true) method; got 'str'",
        ),
        (
            lambda: measure_rates(OracleVerifier(), np.zeros(4), _Y, _T),
            "X_syn must be a 2-D array of shape (samples, features); got 'shape (4,)'",
        ),
        (
            lambda: estimate_rates(np.array([0.5, 1, 0, 1]), _Y, _T),
            "keep must be a boolean array of shape (4,) (one decision per sample);"
            " got 'dtype float64, shape (4,)'",
        ),
    ],
)
def test_message_names_parameter_rule_and_value(call: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert str(info.value) == message
