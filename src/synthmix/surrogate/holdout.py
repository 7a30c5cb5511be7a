"""Every prediction on a user's files checked against a hold-out of their own real data.

:func:`holdout_check` answers "how far can I trust this prediction on my data?": it splits the
real rows (repeated, seeded), fits the theory's model on the training part exactly as
:func:`~synthmix.surrogate.predict_from_data` does on all of it, trains the actual ridge
classifier on the training rows plus ``m`` of the user's synthetic rows (with the labels the
file gives them, noisy or not), and scores it on the held-out rows. Per ``m`` it reports the
mean prediction, the mean measured accuracy with its standard error over repetitions, and the
gap. :func:`validity_warnings` names the assumptions of the theory a data set strains
(docs/math/rmt.md, "On real data: the hold-out check"), so that a gap comes with its likely cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from synthmix._random import RngLike, int_seed, spawn
from synthmix._types import FloatArray
from synthmix._validation import as_float_array, check_int, check_labels, check_probability, fail
from synthmix.data.generators import GaussianGenerator
from synthmix.pruning import Verifier
from synthmix.simulate.ridge import score_ridge, solve_ridge
from synthmix.surrogate.fit import fit_surrogate
from synthmix.surrogate.predict_data import flipped_rates
from synthmix.theory import predict

__all__ = [
    "GAP_TOLERANCE_POINTS",
    "KN_WARN",
    "HoldoutCheck",
    "VerifierFactory",
    "holdout_check",
    "validity_warnings",
]

#: A prediction disagrees with its hold-out when |gap| exceeds this many accuracy points and
#: twice the measurement's standard error.
GAP_TOLERANCE_POINTS = 2.0
#: Features per training row above which the sample covariance's spread biases the
#: prediction upwards by more than about a point (``fit_surrogate``'s notes: +1.5 points at
#: k/n = 1/3, +0.5 at 1/12).
KN_WARN = 0.1
#: Fits a verifier on a repetition's real training rows (features, ±1 labels).
VerifierFactory = Callable[[np.ndarray, np.ndarray], Verifier]
_MIN_PER_CLASS = 10
_MIN_MINORITY_SHARE = 0.25


@dataclass(frozen=True)
class HoldoutCheck:
    """Predicted vs measured held-out accuracy per synthetic count ``m``.

    Attributes
    ----------
    m : ndarray of int, shape (J,)
        Synthetic counts checked (at most the file's number of synthetic rows).
    predicted : ndarray, shape (J,)
        Mean over repetitions of the theory's accuracy for ``n_train`` real + ``m`` synthetic
        rows, from a model fitted on each repetition's training rows.
    measured : ndarray, shape (J,)
        Mean held-out accuracy of the ridge classifier actually trained on them.
    measured_se : ndarray, shape (J,)
        Standard error of ``measured`` over repetitions.
    gap : ndarray, shape (J,)
        ``predicted - measured``.
    gaussian : ndarray, shape (J,)
        Mean over repetitions of ``Φ(M/√(V − M²))`` with ``M``, ``V`` the held-out scores'
        measured ``mean(y·s)`` and ``mean(s²)``: the accuracy Gaussian scores with the
        measured moments would have. Far from ``measured``, the scores' shape (not their
        moments) is what the theory misses.
    n_train, n_test, n_repeats : int
        Real rows trained on and held out in each repetition; repetitions.
    epsilon, gamma : float
        Label-noise rate given to the theory and the ridge penalty.
    rho, phi : ndarray, shape (n_repeats,) or None
        With a verifier: its (ρ̂, φ̂) measured in each repetition (what the prediction used);
        with ``keep``: the given ``rates`` in every repetition.
    kept : ndarray, shape (J,) or None
        With a verifier: mean number of the ``m`` synthetic rows it kept.
    predicted_plugin : ndarray, shape (J,) or None
        When the k/n covariance correction applied (``n_train − 2 > k``): the mean prediction
        with the sample covariance plugged in instead (:meth:`Surrogate.model` with
        ``consistent=False``), so that the correction's effect on the gap shows.
    seed : int or None
        The integer seed behind the splits, when one was given.
    """

    m: np.ndarray
    predicted: FloatArray
    measured: FloatArray
    measured_se: FloatArray
    gap: FloatArray
    gaussian: FloatArray
    n_train: int
    n_test: int
    n_repeats: int
    epsilon: float
    gamma: float
    seed: int | None
    rho: FloatArray | None = None
    phi: FloatArray | None = None
    kept: FloatArray | None = None
    predicted_plugin: FloatArray | None = None

    @property
    def gap_plugin(self) -> FloatArray | None:
        """``predicted_plugin - measured`` (None without the correction)."""
        return None if self.predicted_plugin is None else self.predicted_plugin - self.measured

    def disagrees(self) -> np.ndarray:
        """Per ``m``: |gap| above :data:`GAP_TOLERANCE_POINTS` and twice its standard error."""
        gap = np.abs(self.gap)
        return np.asarray(
            (gap > GAP_TOLERANCE_POINTS / 100.0) & (gap > 2.0 * self.measured_se), dtype=bool
        )

    def unresolved(self) -> np.ndarray:
        """Per ``m``: |gap| above :data:`GAP_TOLERANCE_POINTS` but within twice its standard
        error: too few held-out rows to confirm or refute the prediction."""
        gap = np.abs(self.gap)
        return np.asarray(
            (gap > GAP_TOLERANCE_POINTS / 100.0) & (gap <= 2.0 * self.measured_se), dtype=bool
        )


def holdout_check(
    X_real: ArrayLike,
    y_real: ArrayLike,
    X_synth: ArrayLike,
    y_synth: ArrayLike,
    *,
    m: ArrayLike,
    y_intended: ArrayLike | None = None,
    epsilon: float = 0.0,
    gamma: float = 1.0,
    n_components: int | None = None,
    test_fraction: float = 0.3,
    n_repeats: int = 10,
    verifier: VerifierFactory | None = None,
    calibration: int = 2000,
    keep: ArrayLike | None = None,
    rates: tuple[float, float] | None = None,
    rng: RngLike = 0,
) -> HoldoutCheck:
    """Check the prediction for ``n_train`` real + ``m`` synthetic rows on held-out real rows.

    Parameters
    ----------
    X_real, y_real : array_like, shapes (n, d) and (n,)
        The user's real rows, labels ±1.
    X_synth, y_synth : array_like, shapes (M, d) and (M,)
        The user's synthetic rows and the labels they will be trained with (±1).
    m : array_like of int
        Synthetic counts to check; counts above ``M`` are dropped (they cannot be drawn).
    y_intended : array_like, optional
        The class each synthetic row was generated for (the model's synthetic moments); default
        ``y_synth``.
    epsilon : float, default 0
        Label-noise rate the prediction assumes (measure it from ``y_intended``).
    gamma : float, default 1
        Ridge penalty, as in :func:`synthmix.theory.predict`.
    n_components : int, optional
        As in :func:`~synthmix.surrogate.fit_surrogate`.
    test_fraction : float, default 0.3
        Share of the real rows held out in each repetition, in (0, 1).
    n_repeats : int, default 10
        Seeded random splits (>= 2, for a standard error).
    verifier : callable, optional
        ``verifier(X_train, y_train) -> Verifier``. In each repetition it is fitted on the
        training rows; its (ρ̂, φ̂) are measured as :func:`~synthmix.surrogate.predict_from_data`
        measures them (up to ``calibration`` synthetic rows, labels flipped at random) and
        given to the prediction, and the ridge is trained on the synthetic rows it keeps among
        the ``m`` drawn (judged with the labels the file gives them; pruned rows still count
        in the normalisation ``N = n + m``, as in the theory).
    calibration : int, default 2000
        Synthetic rows behind each repetition's measured rates.
    keep : array_like of bool, shape (M,), optional
        Instead of ``verifier``: the decisions of a verifier built elsewhere (trained on other
        data, or a language-model judge), one per synthetic row; the ridge trains on the kept
        rows among the ``m`` drawn. Needs ``rates``.
    rates : (float, float), optional
        With ``keep``: that verifier's measured ``(ρ̂, φ̂)``, given to the prediction.
    rng : None, int, SeedSequence or Generator
        Chooses the splits, the ``m`` synthetic rows of each repetition and the verifier's
        calibration flips.

    Returns
    -------
    HoldoutCheck
    """
    X = as_float_array(X_real, "X_real")
    if X.ndim != 2:
        raise fail("X_real", "be a 2-D array (n, d)", f"shape {X.shape}")
    y = check_labels(y_real, "y_real", size=X.shape[0])
    Xs = as_float_array(X_synth, "X_synth")
    if Xs.ndim != 2 or Xs.shape[1] != X.shape[1]:
        raise fail("X_synth", f"be a 2-D array with {X.shape[1]} columns", f"shape {Xs.shape}")
    ys = check_labels(y_synth, "y_synth", size=Xs.shape[0])
    yi = ys if y_intended is None else check_labels(y_intended, "y_intended", size=Xs.shape[0])
    counts = np.unique(np.asarray(m, dtype=np.int64))
    counts = counts[(counts >= 0) & (counts <= Xs.shape[0])]
    if counts.size == 0:
        raise fail("m", f"include a count between 0 and the {Xs.shape[0]} synthetic rows", m)
    eps = float(check_probability(epsilon, "epsilon"))
    frac = float(check_probability(test_fraction, "test_fraction"))
    if not 0.0 < frac < 1.0:
        raise fail("test_fraction", "lie in (0, 1)", test_fraction)
    reps = check_int(n_repeats, "n_repeats", minimum=2)
    n_test = round(frac * X.shape[0])
    n_train = X.shape[0] - n_test
    if n_test < 2 or n_train < 4:
        raise fail("X_real", "have enough rows to hold some out (>= 4 train, >= 2 test)", X.shape)
    seed = int_seed(rng)
    streams = spawn(rng, reps)
    if verifier is not None:
        if not callable(verifier):
            raise fail("verifier", "be a callable (X_train, y_train) -> Verifier", verifier)
        calibration = check_int(calibration, "calibration", minimum=20)
    fixed = _fixed_decisions(keep, rates, verifier, Xs.shape[0])
    out = np.empty((reps, counts.size, 4))
    measured_rates = np.ones((reps, 2))
    if fixed is not None:
        measured_rates[:] = fixed[1]
    kept = np.zeros((reps, counts.size))
    for r, gen in enumerate(streams):
        perm = gen.permutation(X.shape[0])
        test, train = perm[:n_test], perm[n_test:]
        if np.unique(y[train]).size < 2:
            raise fail("y_real", "leave both classes in every training split", "one class")
        sur = fit_surrogate(X[train], y[train], n_components=n_components)
        z_tr, z_te, z_syn = sur.transform(X[train]), sur.transform(X[test]), sur.transform(Xs)
        fitted = GaussianGenerator.fit(z_syn, yi, fold_offset=True)
        model = sur.model(fitted)
        # the plug-in twin only where the correction changed the model (the same in every
        # split: it depends on n_train and k alone)
        corrected = model.real_samples is not None
        models = [model, sur.model(fitted, consistent=False)] if corrected else [model]
        order = gen.permutation(Xs.shape[0])
        kept_rows = np.ones(Xs.shape[0], dtype=bool) if fixed is None else fixed[0]
        if verifier is not None:
            judge = verifier(X[train], y[train])
            cal = order[:calibration]
            measured = flipped_rates(judge, Xs[cal], yi[cal], eps, rng=gen)
            measured_rates[r] = measured.rho, measured.phi
            kept_rows = np.asarray(judge.decide(Xs, ys, rng=gen, y_true=yi).keep, dtype=bool)
        accuracies = [
            predict(
                each,
                n=n_train,
                m=counts.astype(float),
                epsilon=eps,
                rho=measured_rates[r, 0],
                phi=measured_rates[r, 1],
                gamma=gamma,
            ).accuracy
            for each in models
        ]
        pred, plugin = accuracies[0], accuracies[-1]  # the same without a correction
        gram, rhs = z_tr.T @ z_tr, z_tr.T @ y[train]
        for j, count in enumerate(counts):
            pick = order[:count][kept_rows[order[:count]]]
            kept[r, j] = pick.shape[0]
            w = solve_ridge(
                gram + z_syn[pick].T @ z_syn[pick],
                rhs + z_syn[pick].T @ ys[pick],
                n_train + int(count),
                gamma,
            )
            out[r, j] = (
                float(np.asarray(pred)[j]),
                *score_ridge(w, z_te, y[test]),
                float(np.asarray(plugin)[j]),
            )
    predicted, measured = out[..., 0].mean(axis=0), out[..., 1].mean(axis=0)
    pruned = verifier is not None or fixed is not None
    return HoldoutCheck(
        m=counts,
        predicted=predicted,
        measured=measured,
        measured_se=out[..., 1].std(axis=0, ddof=1) / np.sqrt(reps),
        gap=predicted - measured,
        gaussian=out[..., 2].mean(axis=0),
        n_train=n_train,
        n_test=n_test,
        n_repeats=reps,
        epsilon=eps,
        gamma=float(gamma),
        seed=seed,
        rho=None if not pruned else measured_rates[:, 0].copy(),
        phi=None if not pruned else measured_rates[:, 1].copy(),
        kept=None if not pruned else kept.mean(axis=0),
        predicted_plugin=out[..., 3].mean(axis=0) if corrected else None,
    )


def _fixed_decisions(
    keep: ArrayLike | None, rates: Any, verifier: Any, n_synth: int
) -> tuple[np.ndarray, tuple[float, float]] | None:
    """``(keep, (rho, phi))`` of a verifier built elsewhere, checked; None without one."""
    if keep is None:
        if rates is not None:
            raise fail("rates", "come with keep (the verifier's decisions)", rates)
        return None
    if verifier is not None:
        raise fail("keep", "not be combined with verifier (give one of them)", "both")
    mask = np.asarray(keep)
    if mask.dtype != bool or mask.shape != (n_synth,):
        raise fail("keep", f"be booleans, one per synthetic row (shape ({n_synth},))", mask.shape)
    if rates is None:
        raise fail("rates", "be given with keep: the verifier's measured (rho, phi)", None)
    try:
        rho, phi = rates
    except (TypeError, ValueError):
        raise fail("rates", "be a pair (rho, phi)", rates) from None
    return mask, (
        float(check_probability(rho, "rates rho")),
        float(check_probability(phi, "rates phi")),
    )


def validity_warnings(
    y_real: ArrayLike,
    *,
    k: int,
    n_train: int,
    generator_on_training_rows: bool = False,
    corrected: bool = False,
    defaulted: tuple[str, ...] = (),
) -> list[str]:
    """The theory's assumptions a data set strains, one sentence each (empty when none).

    Parameters
    ----------
    y_real : array_like
        Real labels ±1.
    k : int
        Features the model works in (after any ``n_components``).
    n_train : int
        Real training rows.
    generator_on_training_rows : bool
        The generator was fitted on the same real rows the classifier trains on.
    corrected : bool
        The prediction estimates the real covariance's functionals consistently
        (:meth:`Surrogate.model`, ``consistent=True`` and applicable).
    defaulted : tuple of str
        Parameters that were not given and not measured, e.g. ``("epsilon",)``.
    """
    y = check_labels(y_real, "y_real")
    out: list[str] = []
    ratio = k / n_train
    if ratio > KN_WARN and corrected:
        out.append(
            f"k/n = {k}/{n_train} = {ratio:.2f} > {KN_WARN:g}: the sample covariance's spread, "
            "plugged in, would bias the prediction (+2 to +4 points at k/n = 1/3 on Gaussian "
            "data); it is corrected by estimating the population's functionals consistently, "
            "which leaves about +0.5 point on Gaussian data from the class means' noise (the "
            "hold-out shows the rest on yours); --components keeps k much smaller than n"
        )
    elif ratio > KN_WARN:
        out.append(
            f"k/n = {k}/{n_train} = {ratio:.2f} > {KN_WARN:g}: the sample covariance's spread "
            "biases predictions (on Gaussian data upwards, +2 to +4 points at k/n = 1/3; the "
            "hold-out shows which way on yours) and cannot be corrected here ("
            + (
                "a generator fitted on the same rows shares their covariance"
                if generator_on_training_rows
                else f"the covariance needs more than k = {k} rows behind it"
            )
            + "); use --components to keep k much smaller than n"
        )
    if generator_on_training_rows:
        out.append(
            "the generator was fitted on the classifier's own training rows: its samples repeat "
            "their noise, which the theory models only on average"
        )
    counts = [int(np.sum(y == c)) for c in (-1, 1)]
    if min(counts) < _MIN_PER_CLASS:
        out.append(
            f"only {min(counts)} real rows in the smaller class (< {_MIN_PER_CLASS}): its mean "
            "and covariance are poorly estimated"
        )
    if min(counts) / sum(counts) < _MIN_MINORITY_SHARE:
        out.append(
            f"classes are imbalanced ({counts[0]} vs {counts[1]}): the theory assumes balanced "
            "classes (y = ±1 with equal probability)"
        )
    for name in defaulted:
        out.append(f"{name} was neither given nor measured: the prediction assumes its default")
    return out
