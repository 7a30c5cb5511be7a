"""Verifiers keep right labels more often than wrong ones, and the oracle is the theory's."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from scipy.special import ndtr
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

from synthmix import ValidationError
from synthmix.pruning import (
    ConfidentLearningVerifier,
    KNNVerifier,
    ModelVerifier,
    OracleVerifier,
    Verdict,
    Verifier,
    flip_labels,
    measure_rates,
)

MU = np.r_[1.5, np.zeros(4)]  # Bayes accuracy Φ(1.5) ≈ 0.933


def draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples of the theory's mixture: x = y·μ + N(0, I), y = ±1 balanced."""
    y = rng.choice([-1, 1], n)
    return y[:, None] * MU + rng.standard_normal((n, MU.size)), y


@pytest.fixture(scope="module")
def task() -> dict[str, np.ndarray]:
    """Real data (n = 400) and a synthetic set (m = 3000) with labels flipped at ε = 0.3."""
    rng = np.random.default_rng(0)
    X_real, y_real = draw(400, rng)
    X_syn, y_true = draw(3000, rng)
    y_noisy, flipped = flip_labels(y_true, 0.3, rng=1)
    return dict(
        X_real=X_real, y_real=y_real, X_syn=X_syn, y_true=y_true, y_noisy=y_noisy, flipped=flipped
    )


def fitted(kind: str, task: dict[str, np.ndarray]) -> Any:
    if kind == "model":
        return ModelVerifier.fit(task["X_real"], task["y_real"])
    if kind == "cleanlab":
        return ConfidentLearningVerifier.fit(task["X_real"], task["y_real"])
    return KNNVerifier.fit(task["X_real"], task["y_real"])


# ------------------------------------------------------------------------------------ oracle


@pytest.mark.parametrize(("rho", "phi"), [(0.0, 1.0), (0.1, 0.9), (0.3, 0.8), (1.0, 1.0)])
def test_oracle_rates_are_its_parameters(rho: float, phi: float) -> None:
    """Many samples: the 99.9% Clopper–Pearson intervals cover the true (ρ, φ)."""
    rng = np.random.default_rng(2)
    y_true = rng.choice([-1, 1], 20_000)
    y_noisy, _ = flip_labels(y_true, 0.3, rng=rng)
    X = np.zeros((y_true.size, 2))
    r = measure_rates(OracleVerifier(rho=rho, phi=phi), X, y_noisy, y_true, rng=3, confidence=0.999)
    assert r.rho_ci[0] <= rho <= r.rho_ci[1]
    assert r.phi_ci[0] <= phi <= r.phi_ci[1]
    assert abs(r.rho - rho) <= 4 * np.sqrt(rho * (1 - rho) / r.n_wrong) + 1e-12
    assert abs(r.phi - phi) <= 4 * np.sqrt(phi * (1 - phi) / r.n_right) + 1e-12


def test_oracle_score_marks_right_labels_and_needs_y_true() -> None:
    y_true = np.array([1, 1, -1, -1])
    y_syn = np.array([1, -1, -1, 1])
    v = OracleVerifier(rho=0.0, phi=1.0)
    out = v.decide(np.zeros((4, 3)), y_syn, y_true=y_true, rng=0)
    assert isinstance(out, Verdict) and isinstance(v, Verifier)
    np.testing.assert_array_equal(out.score, [1.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(out.keep, [True, False, True, False])
    assert out.kept_fraction == 0.5
    with pytest.raises(ValidationError, match=r"^y_true must be given"):
        v.decide(np.zeros((4, 3)), y_syn)


def test_oracle_is_reproducible_by_seed() -> None:
    y_true = np.ones(500, dtype=int)
    y_syn = np.where(np.arange(500) % 3 == 0, -1, 1)
    v = OracleVerifier(rho=0.5, phi=0.5)
    X = np.zeros((500, 1))
    a, b, c = (v.decide(X, y_syn, y_true=y_true, rng=s).keep for s in (7, 7, 8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_oracle_settings_are_validated_and_frozen() -> None:
    v = OracleVerifier(rho=0, phi=1)
    assert isinstance(v.rho, float) and v.rho == 0.0
    with pytest.raises(AttributeError):
        v.rho = 0.5  # type: ignore[misc]


# ------------------------------------------------------------------------ learned verifiers


@pytest.mark.parametrize("kind", ["model", "cleanlab", "knn"])
def test_learned_verifiers_beat_chance(kind: str, task: dict[str, np.ndarray]) -> None:
    """φ̂ > ρ̂ by far, with disjoint 99.9% intervals; scores in [0, 1]; no randomness."""
    v = fitted(kind, task)
    r = measure_rates(v, task["X_syn"], task["y_noisy"], task["y_true"], confidence=0.999)
    assert r.phi - r.rho > 0.7
    assert r.rho_ci[1] < r.phi_ci[0]
    a = v.decide(task["X_syn"], task["y_noisy"], rng=0)
    b = v.decide(task["X_syn"], task["y_noisy"], rng=1)
    np.testing.assert_array_equal(a.keep, b.keep)
    np.testing.assert_array_equal(a.score, b.score)
    assert a.keep.dtype == np.bool_ and a.score.dtype == np.float64
    assert a.keep.shape == a.score.shape == (task["X_syn"].shape[0],)
    assert np.all((a.score >= 0) & (a.score <= 1))
    # A more trustworthy label gets a higher score: right labels score higher on average.
    assert a.score[~task["flipped"]].mean() > a.score[task["flipped"]].mean() + 0.5


def test_model_verifier_matches_bayes_rates(task: dict[str, np.ndarray]) -> None:
    """At threshold 1/2 the verifier keeps a label iff the classifier agrees with it, and flips
    are independent of x, so φ = accuracy and ρ = 1 − accuracy; logistic regression on 400
    samples in d = 5 is within ~0.015 of the Bayes accuracy Φ(|μ|)."""
    r = measure_rates(fitted("model", task), task["X_syn"], task["y_noisy"], task["y_true"])
    acc = float(ndtr(np.linalg.norm(MU)))
    assert abs(r.phi - acc) <= 4 * r.phi_stderr + 0.015
    assert abs(r.rho - (1 - acc)) <= 4 * r.rho_stderr + 0.015


@pytest.mark.parametrize("kind", ["model", "knn"])
def test_keep_is_score_above_threshold(kind: str, task: dict[str, np.ndarray]) -> None:
    X, y = task["X_syn"][:500], task["y_noisy"][:500]
    kept = []
    for thr in (0.2, 0.5, 0.9):
        if kind == "model":
            v: Any = ModelVerifier.fit(task["X_real"], task["y_real"], threshold=thr)
        else:
            v = KNNVerifier.fit(task["X_real"], task["y_real"], threshold=thr, k=7)
        out = v.decide(X, y)
        np.testing.assert_array_equal(out.keep, out.score >= thr)
        kept.append(out.keep)
    assert np.all(kept[2] <= kept[1]) and np.all(kept[1] <= kept[0])


def test_model_verifier_clones_a_custom_classifier(task: dict[str, np.ndarray]) -> None:
    lr = LogisticRegression(C=0.1)
    v = ModelVerifier.fit(task["X_real"], task["y_real"], model=lr)
    assert not hasattr(lr, "classes_")  # the caller's object is untouched
    assert v.model is not lr and v.model.C == 0.1
    nb = ModelVerifier.fit(task["X_real"], task["y_real"], model=GaussianNB())
    r = measure_rates(nb, task["X_syn"], task["y_noisy"], task["y_true"])
    assert r.phi - r.rho > 0.7


def test_model_verifier_wraps_a_fitted_classifier(task: dict[str, np.ndarray]) -> None:
    lr = LogisticRegression().fit(task["X_real"], task["y_real"])
    out = ModelVerifier(lr, threshold=0.5).decide(task["X_syn"][:10], task["y_noisy"][:10])
    expected = lr.predict_proba(task["X_syn"][:10])[np.arange(10), (task["y_noisy"][:10] + 1) // 2]
    np.testing.assert_allclose(out.score, expected)
    with pytest.raises(ValidationError, match=r"^model must be fitted"):
        ModelVerifier(LogisticRegression())
    zero_one = LogisticRegression().fit(task["X_real"], (task["y_real"] + 1) // 2)
    with pytest.raises(ValidationError, match=r"^model must be fitted on labels -1 and \+1"):
        ModelVerifier(zero_one)
    with pytest.raises(ValidationError, match=r"^model must be a classifier"):
        ModelVerifier.fit(task["X_real"], task["y_real"], model=object())


def test_knn_scores_are_neighbour_votes() -> None:
    X_real = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    y_real = np.array([-1, -1, 1, 1, 1, 1])
    v = KNNVerifier(X_real, y_real, k=3, standardize=False)
    out = v.decide([[0.05], [5.05], [0.05]], [-1, 1, 1])
    np.testing.assert_allclose(out.score, [2 / 3, 1.0, 1 / 3])
    np.testing.assert_array_equal(out.keep, [True, True, False])
    # Standardising is a per-feature affine map fitted on the real data: with one feature the
    # neighbour order, hence every vote, is unchanged.
    same = KNNVerifier(X_real, y_real, k=3).decide([[0.05], [5.05], [0.05]], [-1, 1, 1])
    np.testing.assert_array_equal(same.score, out.score)


def test_knn_standardisation_handles_constant_features() -> None:
    """Constant real features (blank pixels) are not divided by zero."""
    rng = np.random.default_rng(0)
    X_real = np.c_[rng.standard_normal((20, 2)), np.zeros(20)]
    y_real = np.where(X_real[:, 0] > 0, 1, -1)
    y_real[:2] = [1, -1]
    out = KNNVerifier.fit(X_real, y_real, k=1).decide(X_real, y_real)
    np.testing.assert_array_equal(out.score, np.ones(20))


def test_confident_learning_is_cleanlab(task: dict[str, np.ndarray]) -> None:
    """The verdict is exactly cleanlab's, with -1/+1 mapped to classes 0/1."""
    import cleanlab.filter
    import cleanlab.rank

    v = ConfidentLearningVerifier.fit(task["X_real"], task["y_real"])
    out = v.decide(task["X_syn"], task["y_noisy"])
    proba = v.model.predict_proba(task["X_syn"])  # classes_ = [-1, 1]
    labels = (task["y_noisy"] == 1).astype(int)
    issues = cleanlab.filter.find_label_issues(labels, proba, n_jobs=1)
    np.testing.assert_array_equal(out.keep, ~issues)
    np.testing.assert_allclose(out.score, cleanlab.rank.get_label_quality_scores(labels, proba))


def test_confident_learning_adapts_to_the_noise_rate(task: dict[str, np.ndarray]) -> None:
    """Confident learning estimates the noise rate of the set it cleans: it drops about ε of
    the samples, whatever ε is (a fixed-threshold classifier drops its error rate on top)."""
    v = ConfidentLearningVerifier.fit(task["X_real"], task["y_real"])
    for eps in (0.1, 0.3):
        y_noisy, flipped = flip_labels(task["y_true"], eps, rng=4)
        dropped = 1 - v.decide(task["X_syn"], y_noisy).kept_fraction
        assert abs(dropped - flipped.mean()) < 0.06


def test_empty_synthetic_set(task: dict[str, np.ndarray]) -> None:
    for kind in ("model", "cleanlab", "knn"):
        out = fitted(kind, task).decide(np.zeros((0, MU.size)), np.zeros(0))
        assert out.keep.shape == out.score.shape == (0,)
        assert out.keep.dtype == np.bool_
        assert np.isnan(out.kept_fraction)


def test_cleanlab_is_not_imported_with_the_package() -> None:
    code = "import sys, synthmix.pruning; sys.exit('cleanlab' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_missing_cleanlab_is_a_clear_error(
    task: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    v = ConfidentLearningVerifier.fit(task["X_real"], task["y_real"])
    for name in ("cleanlab", "cleanlab.filter", "cleanlab.rank"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(
        ValidationError,
        match=r"^verifier must have the 'cleanlab' extra .*got 'ConfidentLearningVerifier without",
    ):
        v.decide(task["X_syn"], task["y_noisy"])
    with pytest.raises(ValidationError, match=r"^verifier must have the 'cleanlab' extra"):
        ConfidentLearningVerifier.fit(task["X_real"], task["y_real"])


# ----------------------------------------------------------------------------- real digits


def test_model_verifier_on_real_digits() -> None:
    """Digits 3 vs 8 (scikit-learn's bundled 8×8 scans): fit on half the real digits; the other
    half, labels flipped at ε = 0.3, plays the synthetic set. Every learned verifier keeps right
    labels far more often than wrong ones (measured: ρ̂ ≈ 0–0.02, φ̂ ≈ 0.98–0.99)."""
    X, digit = load_digits(return_X_y=True)
    mask = (digit == 3) | (digit == 8)
    X, y = X[mask], np.where(digit[mask] == 3, 1, -1)
    X_real, X_syn, y_real, y_true = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=y
    )
    y_noisy, _ = flip_labels(y_true, 0.3, rng=0)
    for v in (
        ModelVerifier.fit(X_real, y_real),
        ConfidentLearningVerifier.fit(X_real, y_real),
        KNNVerifier.fit(X_real, y_real),
    ):
        r = measure_rates(v, X_syn, y_noisy, y_true, rng=0)
        assert r.n_wrong >= 30 and r.n_right >= 100
        assert r.phi >= 0.9 and r.rho <= 0.15, r
        assert r.rho_ci[1] < r.phi_ci[0]


# ------------------------------------------------------------------------------ bad inputs


def _nan(X: np.ndarray) -> np.ndarray:
    out = X.copy()
    out[3, 1] = np.nan
    return out


def _fit_model(t: dict[str, np.ndarray]) -> ModelVerifier:
    return ModelVerifier.fit(t["X_real"], t["y_real"])


XR, YR, XS, YS = "X_real", "y_real", "X_syn", "y_noisy"
BAD: list[tuple[str, Any]] = [
    ("y_real", lambda t: ModelVerifier.fit(t[XR], (t[YR] + 1) // 2)),
    ("y_real", lambda t: KNNVerifier.fit(t[XR], np.ones_like(t[YR]))),
    ("y_real", lambda t: ConfidentLearningVerifier.fit(t[XR], t[YR][:-1])),
    ("y_real", lambda t: ModelVerifier.fit(t[XR], t[YR].astype(str))),
    ("X_real", lambda t: ModelVerifier.fit(t[XR][:, 0], t[YR])),
    ("X_real", lambda t: KNNVerifier.fit(np.where(t[XR] > 2, np.inf, t[XR]), t[YR])),
    ("X_syn", lambda t: _fit_model(t).decide(_nan(t[XS]), t[YS])),
    ("X_syn", lambda t: _fit_model(t).decide(t[XS][:, :3], t[YS])),
    ("X_syn", lambda t: KNNVerifier.fit(t[XR], t[YR]).decide(t[XS][:, :3], t[YS])),
    ("y_syn", lambda t: _fit_model(t).decide(t[XS], t[YS][:-1])),
    ("y_syn", lambda t: _fit_model(t).decide(t[XS], np.where(t[YS] > 0, 2, -1))),
    ("y_syn", lambda t: OracleVerifier().decide(t[XS], t[YS] * 0.5, y_true=t[YS])),
    ("y_true", lambda t: OracleVerifier().decide(t[XS], t[YS], y_true=t[YS][:5])),
    ("threshold", lambda t: ModelVerifier.fit(t[XR], t[YR], threshold=1.5)),
    ("threshold", lambda t: KNNVerifier.fit(t[XR], t[YR], threshold=-0.1)),
    ("threshold", lambda t: ModelVerifier(_fit_model(t).model, threshold=[0.5, 0.6])),  # type: ignore[arg-type]
    ("k", lambda t: KNNVerifier.fit(t[XR], t[YR], k=0)),
    ("k", lambda t: KNNVerifier.fit(t[XR], t[YR], k=2.5)),  # type: ignore[arg-type]
    ("k", lambda t: KNNVerifier.fit(t[XR], t[YR], k=len(t[YR]) + 1)),
    ("standardize", lambda t: KNNVerifier.fit(t[XR], t[YR], standardize="yes")),  # type: ignore[arg-type]
    ("rho", lambda t: OracleVerifier(rho=-0.1)),
    ("rho", lambda t: OracleVerifier(rho=np.nan)),
    ("phi", lambda t: OracleVerifier(phi=2.0)),
    ("filter_by", lambda t: ConfidentLearningVerifier.fit(t[XR], t[YR], filter_by="magic")),  # type: ignore[arg-type]
    ("score_method", lambda t: ConfidentLearningVerifier.fit(t[XR], t[YR], score_method="x")),  # type: ignore[arg-type]
    ("X_syn", lambda t: ConfidentLearningVerifier.fit(t[XR], t[YR]).decide(t[XS][:, :3], t[YS])),
]


@pytest.mark.parametrize(("name", "call"), BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_inputs_name_the_parameter(name: str, call: Any, task: dict[str, np.ndarray]) -> None:
    with pytest.raises(ValidationError) as info:
        call(task)
    assert str(info.value).startswith(f"{name} must "), str(info.value)


def test_error_messages_say_the_rule_and_the_value(task: dict[str, np.ndarray]) -> None:
    """The message names the allowed choices, and the offending value, not just the parameter."""
    with pytest.raises(ValidationError, match=r"^filter_by must be one of 'prune_by_noise_rate'"):
        ConfidentLearningVerifier.fit(task["X_real"], task["y_real"], filter_by="magic")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"contain both labels -1 and \+1; got 'only \[1\]'"):
        KNNVerifier.fit(task["X_real"], np.ones_like(task["y_real"]))
    d = task["X_real"].shape[1]
    with pytest.raises(ValidationError, match=rf"^X_syn must have {d} columns \(the features"):
        ConfidentLearningVerifier.fit(task["X_real"], task["y_real"]).decide(
            task["X_syn"][:, :3], task["y_noisy"]
        )


def test_settings_are_stored_as_validated_floats(task: dict[str, np.ndarray]) -> None:
    model = ModelVerifier(_fit_model(task).model, threshold=np.float32(0.25))
    assert type(model.threshold) is float and model.threshold == 0.25
    oracle = OracleVerifier(rho=0, phi=1)
    assert (type(oracle.rho), type(oracle.phi)) == (float, float)
    knn = KNNVerifier.fit(task["X_real"], task["y_real"], standardize=np.bool_(False))
    assert knn.standardize is False


def test_knn_keeps_a_score_equal_to_the_threshold() -> None:
    """``keep = score >= threshold``: a tie with the threshold is kept."""
    X_real = np.array([[0.0], [0.1], [5.0], [5.1]])
    y_real = np.array([-1, 1, 1, -1])
    out = KNNVerifier(X_real, y_real, k=2, threshold=0.5, standardize=False).decide(
        [[0.05], [5.05]], [1, 1]
    )
    np.testing.assert_allclose(out.score, [0.5, 0.5])
    np.testing.assert_array_equal(out.keep, [True, True])


def test_confident_learning_passes_its_settings_to_cleanlab(task: dict[str, np.ndarray]) -> None:
    """Non-default ``filter_by`` and ``score_method`` reach cleanlab unchanged."""
    import cleanlab.filter
    import cleanlab.rank

    v = ConfidentLearningVerifier.fit(
        task["X_real"],
        task["y_real"],
        filter_by="confident_learning",
        score_method="normalized_margin",
    )
    out = v.decide(task["X_syn"], task["y_noisy"])
    proba = v.model.predict_proba(task["X_syn"])
    labels = (task["y_noisy"] == 1).astype(int)
    issues = cleanlab.filter.find_label_issues(
        labels, proba, filter_by="confident_learning", n_jobs=1
    )
    np.testing.assert_array_equal(out.keep, ~issues)
    np.testing.assert_allclose(
        out.score, cleanlab.rank.get_label_quality_scores(labels, proba, method="normalized_margin")
    )


def test_knn_verifier_stores_the_checked_reference() -> None:
    X = [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]]
    v = KNNVerifier(X_real=X, y_real=[1, -1, 1, -1], k=2)
    assert isinstance(v.X_real, np.ndarray) and v.X_real.dtype == np.float64
    np.testing.assert_array_equal(v.X_real, np.asarray(X))
    np.testing.assert_array_equal(v.y_real, [1, -1, 1, -1])
    np.testing.assert_allclose(v.center, [1.5, 1.0])
    with pytest.raises(ValidationError) as info:
        KNNVerifier(X_real=np.zeros(5), y_real=np.array([1, -1, 1, -1, 1]))
    assert str(info.value) == (
        "X_real must be a 2-D array of shape (samples, features); got 'shape (5,)'"
    )
