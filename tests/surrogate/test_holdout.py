"""The hold-out check: measured held-out accuracy beside each prediction, and its warnings."""

from __future__ import annotations

from math import erfc

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.pruning import ModelVerifier
from synthmix.simulate.ridge import score_ridge, solve_ridge
from synthmix.surrogate.fit import fit_surrogate
from synthmix.surrogate.holdout import (
    GAP_TOLERANCE_POINTS,
    HoldoutCheck,
    holdout_check,
    validity_warnings,
)

D = 5
MU = np.r_[1.0, 0.5, np.zeros(D - 2)]


def _gaussian(n: int, rng: np.random.Generator, flip: float = 0.0) -> tuple[np.ndarray, ...]:
    """n rows of x = y·μ + z with labels ±1 (half each), and the labels flipped at ``flip``."""
    y = np.repeat([-1, 1], n // 2)
    x = np.outer(y, MU) + rng.standard_normal((n, D))
    noisy = np.where(rng.random(n) < flip, -y, y)
    return x, y, noisy


def test_the_check_agrees_where_the_theory_holds_and_catches_a_wrong_epsilon() -> None:
    """Gaussian classes, synthetic rows from the same law with 35% of labels flipped. Told the
    true ε, every prediction lies within 4 s.e. (plus the theory's documented +1.5-point
    optimism at small k/n, here k/n = 5/280) of the hold-out. Labels 65% wrong (beyond the
    transition: ridge learns the opposite task) but the theory told ε = 0: the prediction is far
    too high at m = 2000 and the check flags it."""
    rng = np.random.default_rng(0)
    x, y, _ = _gaussian(400, rng)
    xs, ys_true, ys = _gaussian(2000, rng, flip=0.35)
    right = holdout_check(
        x, y, xs, ys, m=[0, 500, 2000], y_intended=ys_true, epsilon=0.35, n_repeats=20, rng=1
    )
    assert right.m.tolist() == [0, 500, 2000] and (right.n_train, right.n_test) == (280, 120)
    assert np.all(np.abs(right.gap) <= 4 * right.measured_se + 0.015), right
    assert not right.disagrees().any()
    _, flipped_true, flipped = _gaussian(2000, np.random.default_rng(5), flip=0.65)
    wrong = holdout_check(
        x, y, xs, flipped, m=[2000], y_intended=flipped_true, epsilon=0.0, rng=1
    )  # most labels wrong, but the theory is told none are
    assert wrong.gap[0] > GAP_TOLERANCE_POINTS / 100 and wrong.disagrees().tolist() == [True]


def test_measured_accuracy_is_ridge_on_the_split_and_the_drawn_synthetic_rows() -> None:
    """The measured accuracy is that of ridge fitted, in the surrogate's coordinates, on each
    split's real rows plus the first m synthetic rows of that repetition's permutation (with
    the labels given), rebuilt here from the documented streams."""
    rng = np.random.default_rng(3)
    x, y, _ = _gaussian(60, rng)
    xs, ys, _ = _gaussian(40, rng)
    flipped = -ys  # every synthetic label wrong: adding them must move the measured accuracy
    chk = holdout_check(x, y, xs, flipped, m=[0, 30], n_repeats=3, test_fraction=0.25, rng=7)
    accs, gauss = [], []
    for seq in np.random.SeedSequence(7).spawn(3):
        gen = np.random.default_rng(seq)
        perm, order = gen.permutation(60), gen.permutation(40)
        test, train = perm[:15], perm[15:]
        sur = fit_surrogate(x[train], y[train])
        z, zt, zs = sur.transform(x[train]), sur.transform(x[test]), sur.transform(xs[order[:30]])
        w0 = solve_ridge(z.T @ z, z.T @ y[train], 45, 1.0)
        g, b = z.T @ z + zs.T @ zs, z.T @ y[train] + zs.T @ flipped[order[:30]]
        w30 = solve_ridge(g, b, 75, 1.0)
        accs.append([np.mean(np.sign(zt @ w) == y[test]) for w in (w0, w30)])
        for w in (w0, w30):  # Φ(M/√(V − M²)) of the held-out scores' moments
            s = zt @ w
            m1, m2 = np.mean(y[test] * s), np.mean(s * s)
            gauss.append(0.5 * erfc(-m1 / np.sqrt(m2 - m1 * m1) / np.sqrt(2.0)))
    acc = np.array(accs)
    np.testing.assert_allclose(chk.gaussian, np.reshape(gauss, (3, 2)).mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(chk.measured, acc.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(chk.measured_se, acc.std(axis=0, ddof=1) / np.sqrt(3), atol=1e-12)
    assert chk.measured[1] < chk.measured[0]
    assert chk.gap[0] == pytest.approx(chk.predicted[0] - chk.measured[0], abs=1e-15)
    assert chk.seed == 7 and chk.n_repeats == 3 and chk.epsilon == 0.0 and chk.gamma == 1.0


def test_disagreement_needs_both_two_points_and_two_standard_errors() -> None:
    def check(gap: float, se: float) -> HoldoutCheck:
        return HoldoutCheck(
            m=np.array([10]),
            predicted=np.array([0.9 + gap]),
            measured=np.array([0.9]),
            measured_se=np.array([se]),
            gap=np.array([gap]),
            gaussian=np.array([0.9]),
            n_train=10,
            n_test=5,
            n_repeats=2,
            epsilon=0.0,
            gamma=1.0,
            seed=0,
        )

    assert check(0.03, 0.01).disagrees().tolist() == [True]
    assert check(-0.03, 0.01).disagrees().tolist() == [True]
    assert check(0.03, 0.02).disagrees().tolist() == [False]  # within 2 s.e.
    assert check(0.015, 0.001).disagrees().tolist() == [False]  # under 2 points
    assert check(0.03, 0.02).unresolved().tolist() == [True]  # > 2 points, within 2 s.e.
    assert check(-0.03, 0.015).unresolved().tolist() == [True]  # exactly 2 s.e.: unresolved
    assert check(-0.03, 0.015).disagrees().tolist() == [False]
    assert check(0.03, 0.01).unresolved().tolist() == [False]  # a disagreement instead
    assert check(0.02, 0.05).unresolved().tolist() == [False]  # 2 points exactly: fine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"m": [5000]}, "m must include a count between 0 and the 40 synthetic rows; got [5000]"),
        ({"test_fraction": 1.0}, "test_fraction must lie in (0, 1); got 1.0"),
        ({"n_repeats": 1}, "n_repeats must be >= 2; got 1"),
        ({"epsilon": 1.5}, "epsilon must lie in [0, 1]; got 1.5"),
        (
            {"verifier": "model"},
            "verifier must be a callable (X_train, y_train) -> Verifier; got 'model'",
        ),
        ({"verifier": ModelVerifier.fit, "calibration": 5}, "calibration must be >= 20; got 5"),
        (
            {"rates": (0.1, 0.9)},
            "rates must come with keep (the verifier's decisions); got (0.1, 0.9)",
        ),
        (
            {"keep": np.ones(40, dtype=bool)},
            "rates must be given with keep: the verifier's measured (rho, phi); got None",
        ),
        (
            {"keep": np.ones(39, dtype=bool), "rates": (0, 1)},
            "keep must be booleans, one per synthetic row (shape (40,)); got (39,)",
        ),
        (
            {"keep": np.ones(40), "rates": (0, 1)},
            "keep must be booleans, one per synthetic row (shape (40,)); got (40,)",
        ),
        (
            {"keep": np.ones(40, dtype=bool), "rates": (0, 1), "verifier": ModelVerifier.fit},
            "keep must not be combined with verifier (give one of them); got 'both'",
        ),
        (
            {"keep": np.ones(40, dtype=bool), "rates": (0.1, 1.2)},
            "rates phi must lie in [0, 1]; got 1.2",
        ),
    ],
)
def test_bad_settings_are_named(kwargs: dict[str, object], message: str) -> None:
    rng = np.random.default_rng(0)
    x, y, _ = _gaussian(40, rng)
    options: dict[str, object] = {"m": [0], **kwargs}
    with pytest.raises(ValidationError) as info:
        holdout_check(x, y, x, y, **options)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_validity_warnings_name_each_strained_assumption() -> None:
    y = np.r_[np.full(8, -1), np.full(40, 1)]
    got = validity_warnings(
        y, k=30, n_train=48, generator_on_training_rows=True, defaulted=("epsilon",)
    )
    assert got == [
        "k/n = 30/48 = 0.62 > 0.1: the sample covariance's spread biases predictions (on "
        "Gaussian data upwards, +2 to +4 points at k/n = 1/3; the hold-out shows which way on "
        "yours) and cannot be corrected here (a generator fitted on the same rows shares their "
        "covariance); use --components to keep k much smaller than n",
        "the generator was fitted on the classifier's own training rows: its samples repeat "
        "their noise, which the theory models only on average",
        "only 8 real rows in the smaller class (< 10): its mean and covariance are poorly "
        "estimated",
        "classes are imbalanced (8 vs 40): the theory assumes balanced classes (y = ±1 with "
        "equal probability)",
        "epsilon was neither given nor measured: the prediction assumes its default",
    ]
    assert validity_warnings(np.repeat([-1, 1], 50), k=10, n_train=100) == []
    y = np.repeat([-1, 1], 30)
    assert validity_warnings(y, k=20, n_train=60, corrected=True) == [
        "k/n = 20/60 = 0.33 > 0.1: the sample covariance's spread, plugged in, would bias the "
        "prediction (+2 to +4 points at k/n = 1/3 on Gaussian data); it is corrected by "
        "estimating the population's functionals consistently, which leaves about +0.5 point "
        "on Gaussian data from the class means' noise (the hold-out shows the rest on yours); "
        "--components keeps k much smaller than n"
    ]
    assert validity_warnings(y, k=59, n_train=60) == [
        "k/n = 59/60 = 0.98 > 0.1: the sample covariance's spread biases predictions (on "
        "Gaussian data upwards, +2 to +4 points at k/n = 1/3; the hold-out shows which way on "
        "yours) and cannot be corrected here (the covariance needs more than k = 59 rows "
        "behind it); use --components to keep k much smaller than n"
    ]


class _SignVerifier:
    """Keeps a row when its label agrees with the sign of its first feature (no coin)."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.fitted_on = X.shape[0]

    def decide(self, X_syn, y_syn, *, rng=None, y_true=None):  # type: ignore[no-untyped-def]
        from synthmix.pruning import Verdict

        score = np.asarray(y_syn) * np.asarray(X_syn)[:, 0]
        return Verdict(keep=score > 0, score=score)


def test_with_a_verifier_the_ridge_trains_on_the_kept_rows_and_the_theory_on_its_rates() -> None:
    """Rebuilt from the documented streams: per repetition the verifier is fitted on the
    training rows, its (ρ̂, φ̂) come from the first ``calibration`` rows of the permutation with
    labels flipped at max(ε, 0.2), and ridge is trained on the kept rows among the first m,
    normalised by N = n + m (pruned rows count, as in the theory)."""
    from synthmix.pruning import flip_labels, measure_rates
    from synthmix.theory import predict

    rng = np.random.default_rng(4)
    x, y, _ = _gaussian(60, rng)
    xs, ys_true, ys = _gaussian(50, rng, flip=0.3)
    chk = holdout_check(
        x, y, xs, ys, m=[0, 40], y_intended=ys_true, epsilon=0.3, n_repeats=3,
        test_fraction=0.25, verifier=_SignVerifier, calibration=30, gamma=30.0, rng=9,
    )  # fmt: skip
    accs, gauss, kept, rates, preds = [], [], [], [], []
    for seq in np.random.SeedSequence(9).spawn(3):
        gen = np.random.default_rng(seq)
        perm, order = gen.permutation(60), gen.permutation(50)
        test, train = perm[:15], perm[15:]
        noisy, _ = flip_labels(ys_true[order[:30]], 0.3, rng=gen)
        r = measure_rates(_SignVerifier(x, y), xs[order[:30]], noisy, ys_true[order[:30]], rng=gen)
        rates.append((r.rho, r.phi))
        sur = fit_surrogate(x[train], y[train])
        z, zt = sur.transform(x[train]), sur.transform(x[test])
        pick = order[:40][ys[order[:40]] * xs[order[:40], 0] > 0]
        zs = sur.transform(xs[pick])
        w0 = solve_ridge(z.T @ z, z.T @ y[train], 45, 30.0)
        w40 = solve_ridge(z.T @ z + zs.T @ zs, z.T @ y[train] + zs.T @ ys[pick], 85, 30.0)
        accs.append([np.mean(np.sign(zt @ w) == y[test]) for w in (w0, w40)])
        gauss.append([score_ridge(w, zt, y[test])[1] for w in (w0, w40)])
        kept.append([0, pick.shape[0]])
        from synthmix.data.generators import GaussianGenerator

        model = sur.model(GaussianGenerator.fit(sur.transform(xs), ys_true, fold_offset=True))
        preds.append(
            predict(
                model, n=45, m=[0.0, 40.0], epsilon=0.3, rho=r.rho, phi=r.phi, gamma=30.0
            ).accuracy
        )
    np.testing.assert_allclose(chk.measured, np.mean(accs, axis=0), atol=1e-12)
    np.testing.assert_allclose(chk.gaussian, np.mean(gauss, axis=0), atol=1e-12)
    np.testing.assert_allclose(chk.kept, np.mean(kept, axis=0), atol=1e-12)
    np.testing.assert_allclose(np.c_[chk.rho, chk.phi], rates, atol=1e-12)
    np.testing.assert_allclose(chk.predicted, np.mean(preds, axis=0), atol=1e-12)
    assert 0 < chk.kept[1] < 40


def test_fixed_decisions_train_on_the_kept_rows_and_predict_with_the_given_rates() -> None:
    """A verifier built elsewhere (``keep`` + ``rates``): the same splits and draws as without
    one, the ridge on the kept rows among the first m, the theory at the given (ρ, φ); keeping
    every row at (1, 1) is exactly the unpruned check."""
    rng = np.random.default_rng(5)
    x, y, _ = _gaussian(60, rng)
    xs, ys_true, ys = _gaussian(50, rng, flip=0.3)
    opts = {"m": [0, 40], "y_intended": ys_true, "epsilon": 0.3, "n_repeats": 3, "rng": 2}
    plain = holdout_check(x, y, xs, ys, **opts)  # type: ignore[arg-type]
    every = holdout_check(x, y, xs, ys, keep=np.ones(50, dtype=bool), rates=(1, 1), **opts)  # type: ignore[arg-type]
    np.testing.assert_array_equal(every.measured, plain.measured)
    np.testing.assert_array_equal(every.predicted, plain.predicted)
    keep = ys == ys_true  # an oracle's decisions
    chk = holdout_check(x, y, xs, ys, keep=keep, rates=(0.0, 1.0), **opts)  # type: ignore[arg-type]
    assert chk.rho.tolist() == [0.0] * 3 and chk.phi.tolist() == [1.0] * 3
    from synthmix.theory import predict

    preds, accs, kept = [], [], []
    for seq in np.random.SeedSequence(2).spawn(3):
        gen = np.random.default_rng(seq)
        perm, order = gen.permutation(60), gen.permutation(50)
        test, train = perm[:18], perm[18:]
        sur = fit_surrogate(x[train], y[train])
        z, zt = sur.transform(x[train]), sur.transform(x[test])
        pick = order[:40][keep[order[:40]]]
        zs = sur.transform(xs[pick])
        w = solve_ridge(z.T @ z + zs.T @ zs, z.T @ y[train] + zs.T @ ys[pick], 82, 1.0)
        accs.append(np.mean(np.sign(zt @ w) == y[test]))
        kept.append(pick.shape[0])
        from synthmix.data.generators import GaussianGenerator

        model = sur.model(GaussianGenerator.fit(sur.transform(xs), ys_true, fold_offset=True))
        preds.append(predict(model, n=42, m=40.0, epsilon=0.3, rho=0.0, phi=1.0).accuracy)
    np.testing.assert_allclose(chk.measured[1], np.mean(accs), atol=1e-12)
    np.testing.assert_allclose(chk.kept[1], np.mean(kept), atol=1e-12)
    np.testing.assert_allclose(chk.predicted[1], np.mean(preds), atol=1e-12)


def test_without_a_verifier_nothing_is_pruned_or_measured() -> None:
    rng = np.random.default_rng(0)
    x, y, _ = _gaussian(40, rng)
    chk = holdout_check(x, y, x, y, m=[0, 10], n_repeats=2)
    assert chk.rho is None and chk.phi is None and chk.kept is None


def test_a_real_verifier_prediction_agrees_with_its_hold_out_on_gaussian_data() -> None:
    """Gaussian classes, 35% of synthetic labels flipped, a logistic-regression verifier fitted
    on each split's real rows: the pruned prediction lies within 4 s.e. (plus the documented
    1.5-point optimism) of the measured accuracy, and pruning lifts the measured accuracy above
    training on the same noisy rows unpruned."""
    from synthmix.pruning import ModelVerifier

    rng = np.random.default_rng(0)
    x, y, _ = _gaussian(300, rng)
    xs, ys_true, ys = _gaussian(2000, rng, flip=0.35)
    opts = {"m": [0, 500, 2000], "y_intended": ys_true, "epsilon": 0.35, "n_repeats": 20, "rng": 1}
    pruned = holdout_check(x, y, xs, ys, verifier=ModelVerifier.fit, **opts)  # type: ignore[arg-type]
    plain = holdout_check(x, y, xs, ys, **opts)  # type: ignore[arg-type]
    assert np.all(np.abs(pruned.gap) <= 4 * pruned.measured_se + 0.015), pruned
    assert np.all(pruned.phi > 0.8) and np.all(pruned.rho < 0.3)
    assert pruned.measured[2] > plain.measured[2]
