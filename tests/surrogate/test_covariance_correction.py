"""The k/n covariance correction on the data path (``Surrogate.model(consistent=True)``).

On Gaussian classes with k/n = 1/3 the plug-in prediction of a ridge trained on the real rows
(and on synthetic rows from a file) is optimistic; the corrected one must sit much closer to
the accuracy the trained ridge actually has, computed exactly from the population (no test
rows: ``Φ`` of the score's mean over its standard deviation, per class).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from synthmix.data.generators import GaussianGenerator
from synthmix.simulate.ridge import solve_ridge
from synthmix.surrogate import fit_surrogate, holdout_check, predict_from_data
from synthmix.theory import predict

K, N_REAL, M = 20, 60, 400


def _world(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    basis, _ = np.linalg.qr(rng.standard_normal((K, K)))
    cov = (basis * np.geomspace(0.3, 3.0, K)) @ basis.T
    mu = rng.standard_normal(K)
    return mu * 1.1 / np.linalg.norm(mu), cov


def _draw(mu, cov, n, rng):  # type: ignore[no-untyped-def]
    y = np.repeat([-1, 1], n // 2)
    return np.outer(y, mu) + rng.standard_normal((n, K)) @ np.linalg.cholesky(cov).T, y


def _exact_accuracy(w: np.ndarray, sur, mu: np.ndarray, cov: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    """Population accuracy of sign(wᵀ z), z the surrogate coordinates of x = ±μ + noise."""
    v = w / sur.scale
    sd = float(np.sqrt(v @ cov @ v))
    shift = float(v @ sur.center)
    return 0.5 * float(ndtr((v @ mu - shift) / sd) + ndtr((v @ mu + shift) / sd))


def test_the_correction_removes_most_of_the_plug_in_optimism() -> None:
    rng = np.random.default_rng(11)
    mu, cov = _world(rng)
    xs, ys = _draw(0.9 * mu, 0.6 * cov + 0.4 * np.eye(K), 4000, rng)  # the "file"
    order = rng.permutation(ys.size)  # the first M rows: both classes
    xs, ys = xs[order], ys[order]
    gaps: dict[bool, list[np.ndarray]] = {True: [], False: []}
    for _ in range(60):
        x, y = _draw(mu, cov, N_REAL, rng)
        sur = fit_surrogate(x, y)
        z, zs = sur.transform(x), sur.transform(xs[:M])
        actual = [
            _exact_accuracy(solve_ridge(z.T @ z, z.T @ y, N_REAL, 1.0), sur, mu, cov),
            _exact_accuracy(
                solve_ridge(z.T @ z + zs.T @ zs, z.T @ y + zs.T @ ys[:M], N_REAL + M, 1.0),
                sur,
                mu,
                cov,
            ),
        ]
        pred = predict_from_data(x, y, X_synth=xs, y_synth=ys, m=[0, M])
        assert pred.corrected
        plug_in = predict(
            pred.surrogate.model(pred.generator, consistent=False), n=N_REAL, m=[0, M]
        )
        gaps[True].append(pred.prediction.accuracy - np.array(actual))
        gaps[False].append(plug_in.accuracy - np.array(actual))
    plug, corr = np.array(gaps[False]), np.array(gaps[True])
    se = plug.std(0, ddof=1) / np.sqrt(plug.shape[0])
    # measured: plug-in +4.0 and +1.0 points, corrected +0.8 and +0.5 (s.e. 0.6 and 0.5)
    assert plug.mean(0)[0] > 4 * se[0], plug.mean(0)  # the plug-in is optimistic at m = 0
    assert abs(corr.mean(0)[0]) < 0.5 * plug.mean(0)[0], (corr.mean(0), plug.mean(0))
    assert abs(corr.mean(0)[1]) < abs(plug.mean(0)[1]), (corr.mean(0), plug.mean(0))


def test_the_model_is_corrected_only_where_the_estimator_applies() -> None:
    rng = np.random.default_rng(2)
    mu, cov = _world(rng)
    x, y = _draw(mu, cov, N_REAL, rng)
    sur = fit_surrogate(x, y)
    gen = GaussianGenerator.fit(sur.transform(x), y)
    assert (sur.dof, sur.correctable) == (N_REAL - 2, True)
    assert sur.model(gen).real_samples == N_REAL - 2
    assert sur.model(gen, consistent=False).real_samples is None
    assert sur.model(gen, shared_samples=True).real_samples is None
    assert sur.model().real_samples is None  # the surrogate is its own generator: shared rows
    rows = np.r_[0:11, N_REAL - 11 : N_REAL]  # 11 of each class
    small = fit_surrogate(x[rows], y[rows])
    assert small.dof == 20 and not small.correctable  # dof = 20 = k
    assert small.model(gen).real_samples is None


@pytest.mark.parametrize("n_real", [40, 200])
def test_the_hold_out_reports_the_plug_in_beside_the_corrected_prediction(n_real: int) -> None:
    rng = np.random.default_rng(3)
    mu, cov = _world(rng)
    x, y = _draw(mu, cov, n_real, rng)
    xs, ys = _draw(mu, cov, 300, rng)
    check = holdout_check(x, y, xs, ys, m=[0, 300], n_repeats=3, rng=0)
    if check.n_train - 2 <= K:  # 28 training rows: no correction, nothing to compare
        assert check.predicted_plugin is None and check.gap_plugin is None
        return
    assert check.predicted_plugin is not None and check.gap_plugin is not None
    np.testing.assert_allclose(check.gap_plugin, check.predicted_plugin - check.measured)
    assert np.all(check.predicted_plugin != check.predicted)
