"""predict_from_data, and the offset folding it relies on, checked against real training."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from synthmix.data.generators import GaussianGenerator
from synthmix.exceptions import ValidationError
from synthmix.simulate.ridge import solve_ridge
from synthmix.surrogate import predict_from_data
from synthmix.theory import MixtureModel, predict

P = 40
MU = np.zeros(P)
MU[0] = 1.5
MU_S = 0.8 * MU
OFFSET = np.zeros(P)
OFFSET[0], OFFSET[1] = 1.0, 1.0  # has a component along μ: that is where an offset matters


def test_offset_folded_into_covariance_predicts_offset_data() -> None:
    """Synthetic data x = b + y·μ_s + z (midpoint offset b): the theory with C + bbᵀ must match
    ridge trained on such data. Monte-Carlo with exact conditional scoring, 60 trials,
    |mc − theory| ≤ 4·se + 0.004 (the finite-size term of test_vs_montecarlo)."""
    rng = np.random.default_rng(0)
    n, m, gamma = 60, 300, 0.5
    accs = []
    for _ in range(60):
        y_r = rng.choice([-1.0, 1.0], n)
        x_r = np.outer(y_r, MU) + rng.standard_normal((n, P))
        y_s = rng.choice([-1.0, 1.0], m)
        x_s = OFFSET + np.outer(y_s, MU_S) + rng.standard_normal((m, P))
        x = np.vstack([x_r, x_s])
        yy = np.r_[y_r, y_s]
        w = solve_ridge(x.T @ x, x.T @ yy, n + m, gamma)
        accs.append(float(ndtr(w @ MU / np.linalg.norm(w))))
    cov = np.eye(P) + np.outer(OFFSET, OFFSET)
    theory = float(
        predict(MixtureModel(MU, mu_synth=MU_S, cov_synth=cov), n=n, m=m, gamma=gamma).accuracy
    )
    ignored = float(predict(MixtureModel(MU, mu_synth=MU_S), n=n, m=m, gamma=gamma).accuracy)
    mean, se = np.mean(accs), np.std(accs, ddof=1) / np.sqrt(len(accs))
    assert abs(mean - theory) <= 4 * se + 0.004
    assert abs(mean - ignored) > 4 * se + 0.004  # ignoring the offset would be wrong


def _real(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 1], n)
    return 2.0 + np.outer(y, MU) + rng.standard_normal((n, P)), y


def test_from_synthetic_samples_and_from_gaussian_generator() -> None:
    x_real, y_real = _real(3000, 1)
    gen = GaussianGenerator(mu=MU_S, cov=np.eye(P) * 1.3)
    z_syn, y_syn = gen.sample(20000, rng=2)
    x_syn = 2.0 + OFFSET + z_syn  # in the real data's original coordinates
    kw = dict(n=200, m=[0, 500, 5000], epsilon=0.2, rho=0.1, phi=0.9, gamma=0.5)
    res = predict_from_data(x_real, y_real, X_synth=x_syn, y_synth=y_syn, **kw)
    assert res.source == "synthetic samples" and res.prediction.accuracy.shape == (3,)
    truth = predict(
        MixtureModel(MU, mu_synth=MU_S, cov_synth=1.3 * np.eye(P) + np.outer(OFFSET, OFFSET)), **kw
    ).accuracy
    # 0.012 = 4 standard deviations of the prediction over independent surrogate fits from
    # 3,000 real samples (measured: 0.003; mean deviation 0.001)
    np.testing.assert_allclose(res.prediction.accuracy, truth, atol=0.012)
    own = predict_from_data(x_real, y_real, n_use=500, m=[0, 1000], epsilon=0.3, rng=0)
    assert own.source == "gaussian generator" and own.generator.n_fit == 500
    np.testing.assert_array_equal(own.prediction.n, [3000.0, 3000.0])  # default n: all real rows


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"X_synth": np.zeros((10, P))}, "y_synth"),
        (
            {
                "X_synth": np.random.default_rng(0).standard_normal((10, P)),
                "y_synth": [1, -1] * 5,
                "n_use": 5,
            },
            "n_use",
        ),
        ({"n_use": 1}, "n_use"),
        ({"n_use": 10**6}, "n_use"),
    ],
)
def test_bad_inputs(kwargs: dict, name: str) -> None:
    x_real, y_real = _real(200, 3)
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        predict_from_data(x_real, y_real, m=10, **kwargs)


def test_a_real_verifier_enters_through_its_measured_rates() -> None:
    from synthmix.pruning import ModelVerifier

    x_real, y_real = _real(2000, 5)
    ver = ModelVerifier.fit(x_real, y_real)
    res = predict_from_data(
        x_real, y_real, n_use=500, m=[100, 2000], epsilon=0.3, verifier=ver, rng=4
    )
    assert res.rates is not None and res.rates.phi > res.rates.rho
    np.testing.assert_array_equal(res.prediction.rho, res.rates.rho)
    np.testing.assert_array_equal(res.prediction.phi, res.rates.phi)
    # calibration draws are mapped back to the verifier's (original) features losslessly here
    z, _ = res.generator.sample(10, rng=0)
    assert res.surrogate.transform(res.surrogate.inverse_transform(z)).shape == (10, P)
    np.testing.assert_allclose(
        res.surrogate.transform(res.surrogate.inverse_transform(z)), z, atol=1e-10
    )
    with pytest.raises(ValidationError, match=r"^rho must"):
        predict_from_data(x_real, y_real, m=10, rho=0.1, verifier=ver)
