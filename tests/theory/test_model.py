"""MixtureModel construction: forms of covariance, commuting detection, validation."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.exceptions import ValidationError
from synthmix.theory import MixtureModel


def test_defaults_are_identity_and_fast() -> None:
    model = MixtureModel(np.r_[1.0, 0.0, 0.0])
    assert model.p == 3 and model.commuting and model.basis is None
    np.testing.assert_array_equal(model.real_spectrum, np.ones(3))
    np.testing.assert_array_equal(model.synth_spectrum, np.ones(3))
    np.testing.assert_array_equal(model.mu_synth, model.mu_real)


def test_scalar_vector_and_diagonal_matrix_forms_agree() -> None:
    mu = np.r_[1.0, 0.5, 0.0, 0.0]
    for cov in (2.0, np.full(4, 2.0), 2.0 * np.eye(4)):
        model = MixtureModel(mu, cov_synth=cov)
        assert model.basis is None
        np.testing.assert_array_equal(model.synth_spectrum, np.full(4, 2.0))


def test_common_eigenbasis_is_found_and_verified() -> None:
    rng = np.random.default_rng(0)
    p = 30
    q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    r, c = rng.uniform(0.5, 2, p), rng.uniform(0.1, 3, p)
    # repeated eigenvalues in one matrix: the generic combination still separates them
    c[:10] = 1.0
    model = MixtureModel(q[:, 0], cov_real=(q * r) @ q.T, cov_synth=(q * c) @ q.T)
    assert model.commuting
    v = model.basis
    np.testing.assert_allclose(v.T @ ((q * r) @ q.T) @ v, np.diag(model.real_spectrum), atol=1e-10)
    np.testing.assert_allclose(v.T @ ((q * c) @ q.T) @ v, np.diag(model.synth_spectrum), atol=1e-10)
    np.testing.assert_allclose(np.sum(model.mu_real_basis**2), 1.0, rtol=1e-12)


def test_non_commuting_covariances_use_dense_path() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 20, 20))
    model = MixtureModel(np.ones(20), cov_real=a @ a.T / 20 + np.eye(20), cov_synth=b @ b.T / 20)
    assert not model.commuting and model.real_spectrum is None


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"mu_real": [1.0, np.nan]}, "mu_real"),
        ({"mu_real": [[1.0, 0.0]]}, "mu_real"),
        ({"mu_real": []}, "mu_real"),
        ({"mu_real": [1.0, 0.0], "mu_synth": [1.0, 0.0, 0.0]}, "mu_synth"),
        ({"mu_real": [1.0, 0.0], "cov_synth": [1.0, 2.0, 3.0]}, "cov_synth"),
        ({"mu_real": [1.0, 0.0], "cov_synth": [1.0, -2.0]}, "cov_synth"),
        ({"mu_real": [1.0, 0.0], "cov_synth": -1.0}, "cov_synth"),
        (
            {"mu_real": [1.0, 0.0], "cov_synth": [[1.0, 2.0], [2.0, 1.0]]},
            "cov_synth",
        ),  # eigenvalue -1
        ({"mu_real": [1.0, 0.0], "cov_real": [[1.0, 0.5], [0.0, 1.0]]}, "cov_real"),  # asymmetric
        ({"mu_real": [1.0, 0.0], "cov_real": np.eye(3)}, "cov_real"),
        ({"mu_real": [1.0, 0.0], "cov_real": [[1.0, np.inf], [np.inf, 1.0]]}, "cov_real"),
        ({"mu_real": "abc"}, "mu_real"),
    ],
)
def test_bad_model_inputs_name_the_parameter(kwargs: dict, name: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{name} must"):
        MixtureModel(**kwargs)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_commuting_matrices_of_any_scale_share_an_eigenbasis(scale: float) -> None:
    """The commuting fast path is found whatever the matrices' scales (and only then)."""
    from synthmix.theory.model import _simultaneous_eigh

    gen = np.random.default_rng(5)
    q, _ = np.linalg.qr(gen.standard_normal((8, 8)))
    a = q @ np.diag(np.linspace(0.5, 2.0, 8)) @ q.T
    b = scale * q @ np.diag(gen.uniform(0.2, 3.0, 8)) @ q.T

    def norm(x: np.ndarray) -> float:
        return float(np.linalg.norm(x, 2))

    found = _simultaneous_eigh(a, b, norm(a), norm(b))
    assert found is not None
    vecs, da, db = found
    np.testing.assert_allclose(vecs @ np.diag(da) @ vecs.T, a, atol=1e-10)
    np.testing.assert_allclose(vecs @ np.diag(db) @ vecs.T, b, atol=1e-10 * scale)
    other = np.diag(np.linspace(1.0, 3.0, 8))  # does not commute with a
    assert _simultaneous_eigh(a, scale * other, norm(a), norm(scale * other)) is None
