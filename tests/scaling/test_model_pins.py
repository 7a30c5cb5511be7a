"""Pins of the long-tail model's sums and of the MLP learner's set-up, against direct sums."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from synthmix.scaling import LongTailModel, expected_error, mixture_error, phase_asymptotics
from synthmix.scaling import model as modelmod
from synthmix.scaling.learners import fit_predict


def _direct_error(p: np.ndarray, q: np.ndarray, es: np.ndarray, gu: np.ndarray, n: float) -> float:
    seen = 1.0 - (1.0 - q) ** n
    return float(np.sum(p * (seen * es + (1.0 - seen) * (1.0 - gu))))


def _zipf_cut(beta: float, k: int, pi: float, M: int) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(1, M + 1, dtype=float)
    p = i**-beta / np.sum(i**-beta)
    synth = np.where(i <= k, p, 0.0)
    return p, pi * p + (1 - pi) * synth / synth.sum()


def test_expected_error_clips_correctness_probabilities_at_one() -> None:
    # a = 1.5 and b = 3 make a i^-alpha and b i^-lam exceed 1 for the first items
    model = LongTailModel(beta=2.0, k=5, pi=0.3, M=40, a=1.5, alpha=1.0, b=3.0, lam=0.5)
    p, q = _zipf_cut(2.0, 5, 0.3, 40)
    i = np.arange(1, 41, dtype=float)
    es = np.minimum(1.5 / i, 1.0)
    gu = np.minimum(3.0 * i**-0.5, 1.0)
    ns = [0.0, 3.0, 25.0, 400.0]
    want = [_direct_error(p, q, es, gu, n) for n in ns]
    np.testing.assert_allclose(expected_error(model, ns), want, rtol=1e-12, atol=1e-15)
    assert np.all(expected_error(model, ns) >= 0.0)


def test_mixture_error_scalar_and_shaped_n() -> None:
    p = np.array([0.5, 0.3, 0.2, 0.0])
    q = np.array([1.0, 0.0, 1.0, 2.0])  # normalised inside
    es = np.array([0.1, 0.2, 0.0, 0.5])
    gu = np.array([0.0, 0.25, 0.5, 1.0])
    qn = q / q.sum()
    got = mixture_error(p, q, 4.0, wrong_seen=es, right_unseen=gu)
    assert np.ndim(got) == 0
    assert float(got) == pytest.approx(_direct_error(p, qn, es, gu, 4.0), rel=1e-12)
    n = np.array([[0.0, 1.0, 2.5], [7.0, 30.0, 1e3]])
    got2 = mixture_error(p, q, n, wrong_seen=es, right_unseen=gu)
    assert got2.shape == (2, 3)
    want = [[_direct_error(p, qn, es, gu, v) for v in row] for row in n]
    np.testing.assert_allclose(got2, want, rtol=1e-12, atol=1e-15)


def test_phase_asymptotics_plateau_and_seen_error_are_the_direct_sums() -> None:
    beta, k, M, a, alpha, b, lam = 2.0, 4, 30, 0.2, 0.5, 0.3, 1.0
    model = LongTailModel(beta=beta, k=k, pi=0.2, M=M, a=a, alpha=alpha, b=b, lam=lam)
    i = np.arange(1, M + 1, dtype=float)
    p = i**-beta / np.sum(i**-beta)
    head = i <= k
    plateau = np.sum(p[head] * a * i[head] ** -alpha) + np.sum(
        p[~head] * (1 - b * i[~head] ** -lam)
    )
    ph = phase_asymptotics(model)
    assert ph.plateau == pytest.approx(plateau, rel=1e-12)
    assert ph.seen_error == pytest.approx(np.sum(p * a * i**-alpha), rel=1e-12)
    assert ph.head_rate == pytest.approx(0.2 + 0.8 / p[head].sum(), rel=1e-12)
    assert ph.tail_rate == 0.2


@pytest.mark.parametrize("block", [3, 1 << 17])
def test_top_p_cut_is_the_smallest_rank_reaching_the_mass(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(modelmod, "_BLOCK", block)
    M, beta = 10, 1.5
    i = np.arange(1, M + 1, dtype=float)
    cum = np.cumsum(i**-beta) / np.sum(i**-beta)
    for j in range(M):  # a threshold just above P_j (1-based rank j) needs rank j + 1
        lo = cum[j - 1] if j else 0.0
        t = 0.5 * (lo + cum[j])
        assert LongTailModel(beta=beta, top_p=t, M=M).k == j + 1
    assert LongTailModel(beta=beta, top_p=1.0, M=M).k == M
    assert LongTailModel(beta=beta, top_p=float(cum[M - 2]), M=M).k == M - 1


def test_mlp_is_the_documented_sklearn_network() -> None:
    from sklearn.neural_network import MLPClassifier

    gen = np.random.default_rng(4)
    X = gen.normal(size=(90, 2))
    y = (X[:, 0] + 0.7 * X[:, 1] + gen.normal(0, 0.8, 90) > 0).astype(np.int64)
    X_test = gen.normal(size=(3000, 2)) * 2.5
    got = fit_predict("mlp", X, y, X_test, rng=9)
    epochs = min(300, max(20, math.ceil(1500 / math.ceil(90 / 90))))
    ref = MLPClassifier(
        hidden_layer_sizes=(64,),
        activation="relu",
        solver="adam",
        batch_size=90,
        learning_rate_init=3e-3,
        max_iter=epochs,
        early_stopping=False,
        n_iter_no_change=epochs + 1,
        random_state=int(np.random.default_rng(9).integers(2**31)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.fit(X, y)
    assert got.dtype == np.int64
    assert np.array_equal(got, ref.predict(X_test))
