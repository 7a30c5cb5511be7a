"""Predict from data: a real task, a generator (or its samples) and a verifier's rates.

The one-call answer to "what will m synthetic samples do to my classifier?" for a user with a
real binary data set: the real part of the model comes from :func:`fit_surrogate`, the
synthetic part either from a file of the generator's samples or from a Gaussian generator
fitted on ``n_use`` of the real samples, and the verifier enters through (ρ, φ) — for a real
verifier, its measured rates (:func:`synthmix.pruning.measure_rates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from synthmix._random import RngLike, as_generator
from synthmix._validation import check_int, check_labels, fail
from synthmix.data.generators import GaussianGenerator
from synthmix.pruning import Verifier, VerifierRates, flip_labels, measure_rates
from synthmix.surrogate.fit import Surrogate, fit_surrogate
from synthmix.theory import Prediction, predict

__all__ = ["DataPrediction", "flipped_rates", "predict_from_data"]


@dataclass(frozen=True)
class DataPrediction:
    """The theory's prediction for a real task, with the models behind it.

    Attributes
    ----------
    prediction : Prediction
        Broadcast over ``m``, ``epsilon``, ``rho``, ``phi``, ``gamma`` (and ``n`` if given).
    surrogate : Surrogate
        The real task's estimated model (its coordinates are the classifier's features).
    generator : GaussianGenerator
        The synthetic part, in surrogate coordinates.
    source : str
        ``"synthetic samples"`` or ``"gaussian generator"``.
    rates : VerifierRates or None
        The verifier's measured (ρ̂, φ̂) when a verifier was given (they replace ρ, φ).
    corrected : bool
        Whether the real covariance's functionals were estimated consistently (the k/n
        correction of :meth:`Surrogate.model`; synthetic samples given and ``n − 2 > k``).
    """

    prediction: Prediction
    surrogate: Surrogate
    generator: GaussianGenerator
    source: str
    rates: VerifierRates | None = None
    corrected: bool = False


def predict_from_data(
    X_real: ArrayLike,
    y_real: ArrayLike,
    *,
    X_synth: ArrayLike | None = None,
    y_synth: ArrayLike | None = None,
    n_use: int | None = None,
    covariance: Literal["estimated", "identity"] = "estimated",
    n_components: int | None = None,
    n: ArrayLike | None = None,
    m: ArrayLike,
    epsilon: ArrayLike = 0.0,
    rho: ArrayLike = 1.0,
    phi: ArrayLike = 1.0,
    gamma: ArrayLike = 1.0,
    verifier: Verifier | None = None,
    calibration: int = 2000,
    rng: RngLike = 0,
) -> DataPrediction:
    """Predicted held-out accuracy of ridge on ``n`` real + ``m`` synthetic samples.

    Parameters
    ----------
    X_real, y_real : array_like, shapes (n_real, d) and (n_real,)
        The real binary task (labels ±1).
    X_synth, y_synth : array_like, optional
        Samples of your generator with the class it was asked for (±1); their class means
        and covariance (offset folded in, see :meth:`GaussianGenerator.fit`) are the model's
        synthetic part. Label noise is modelled separately by ``epsilon``.
    n_use : int, optional
        Without synthetic samples: fit a Gaussian generator on this many random real samples
        (default: all of them).
    covariance : {"estimated", "identity"}
        The Gaussian generator's covariance.
    n_components : int, optional
        Principal directions kept (see :func:`fit_surrogate`; keep ``k ≪ n_real``).
    n : array_like, optional
        Real training samples; default ``n_real``.
    m, epsilon, rho, phi, gamma : array_like
        As in :func:`synthmix.theory.predict`; they broadcast.
    verifier : Verifier, optional
        A real verifier working on the *original* features (e.g. ``ModelVerifier.fit`` on
        your real data). Its keep rates are measured on ``calibration`` synthetic samples with
        known, randomly flipped labels (rate ``max(epsilon, 0.2)`` so both kinds occur) — your
        synthetic samples, or draws from the fitted generator mapped back to the original
        features — and used as (ρ, φ); leave ``rho`` and ``phi`` at their defaults then.
    calibration : int, default 2000
        Synthetic samples behind the measured rates.
    rng : None, int or Generator
        Chooses the ``n_use`` real samples, the calibration draws and label flips.

    Returns
    -------
    DataPrediction
    """
    sur = fit_surrogate(X_real, y_real, n_components=n_components)
    gen = as_generator(rng)
    n_real = sur.n_pos + sur.n_neg
    if (X_synth is None) != (y_synth is None):
        raise fail("y_synth", "be given together with X_synth", "only one of them")
    if X_synth is not None and y_synth is not None:
        if n_use is not None:
            raise fail(
                "n_use",
                "not be given with synthetic samples (nothing is fitted on real data)",
                n_use,
            )
        generator = GaussianGenerator.fit(sur.transform(X_synth), y_synth, fold_offset=True)
        model, source = sur.model(generator), "synthetic samples"
    else:
        size = n_real if n_use is None else check_int(n_use, "n_use", minimum=4, maximum=n_real)
        labels = check_labels(y_real, "y_real", size=n_real)
        idx = gen.choice(n_real, size, replace=False)
        X = np.asarray(X_real, dtype=np.float64)
        generator = sur.fit_generator(X[idx], labels[idx], covariance=covariance)
        model, source = sur.model(generator, shared_samples=True), "gaussian generator"
    rates = None
    if verifier is not None:
        if not (np.all(np.asarray(rho) == 1.0) and np.all(np.asarray(phi) == 1.0)):
            raise fail("rho", "be left at 1 when a verifier is given (its rates are measured)", rho)
        rates = _measure(verifier, sur, generator, X_synth, y_synth, epsilon, calibration, gen)
        rho, phi = rates.rho, rates.phi
    pred = predict(
        model, n=n_real if n is None else n, m=m, epsilon=epsilon, rho=rho, phi=phi, gamma=gamma
    )
    return DataPrediction(
        prediction=pred,
        surrogate=sur,
        generator=generator,
        source=source,
        rates=rates,
        corrected=model.real_samples is not None,
    )


def _measure(
    verifier: Verifier,
    sur: Surrogate,
    generator: GaussianGenerator,
    X_synth: ArrayLike | None,
    y_synth: ArrayLike | None,
    epsilon: ArrayLike,
    calibration: int,
    gen: np.random.Generator,
) -> VerifierRates:
    """The verifier's (ρ̂, φ̂) on synthetic samples with known flips, in original features."""
    size = check_int(calibration, "calibration", minimum=20)
    if X_synth is not None and y_synth is not None:
        x_all = np.asarray(X_synth, dtype=np.float64)
        y_all = check_labels(y_synth, "y_synth", size=x_all.shape[0])
        idx = gen.choice(x_all.shape[0], min(size, x_all.shape[0]), replace=False)
        x_cal, y_true = x_all[idx], y_all[idx]
    else:
        z_cal, y_true = generator.sample(size, rng=gen)
        x_cal = sur.inverse_transform(z_cal)
    return flipped_rates(verifier, x_cal, y_true, epsilon, rng=gen)


def flipped_rates(
    verifier: Verifier,
    X_cal: ArrayLike,
    y_true: ArrayLike,
    epsilon: ArrayLike,
    *,
    rng: RngLike = None,
) -> VerifierRates:
    """A verifier's (ρ̂, φ̂) on samples whose labels are flipped at random, known flips.

    Parameters
    ----------
    verifier : Verifier
    X_cal : array_like, shape (m, d)
        Synthetic samples, original features.
    y_true : array_like, shape (m,)
        Their clean (intended) labels, ±1.
    epsilon : array_like
        The flip rate is ``max(max(epsilon), 0.2)``, so that both kinds of label occur.
    rng : seed or Generator
        The flips and the verifier's coin.
    """
    gen = as_generator(rng)
    rate = max(float(np.max(np.asarray(epsilon, dtype=float))), 0.2)
    y_noisy, _ = flip_labels(y_true, rate, rng=gen)
    return measure_rates(verifier, X_cal, y_noisy, y_true, rng=gen)
