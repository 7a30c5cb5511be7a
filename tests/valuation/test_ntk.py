"""Analytic and empirical NTKs and the T3 complexity term (docs/math/valuation.md, T3 and T1)."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch  # the `nn` extra: installed in the dev environment

from synthmix.exceptions import SynthmixError, ValidationError
from synthmix.valuation import ntk
from synthmix.valuation.ntk import (
    OptionalDependencyError,
    analytic_nngp,
    analytic_ntk,
    empirical_ntk,
    kernel_ridge_terms,
    ntk_complexity,
)


def _data(n: int = 20, d: int = 3, n_classes: int = 2, seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), np.arange(n) % n_classes


def _masked_analytic(X: Any, y: Any, depth: int) -> Any:
    return analytic_ntk(X, depth=depth) * (y[:, None] == y[None, :])


def _mean_rel_error(X: Any, y: Any, width: int, depth: int, seeds: range) -> float:
    A = _masked_analytic(X, y, depth)
    errs = [
        np.linalg.norm(empirical_ntk(X, y, hidden=width, depth=depth, rng=s).kernel - A)
        / np.linalg.norm(A)
        for s in seeds
    ]
    return float(np.mean(errs))


def _check_width_scaling(errs: dict[int, float], bound: float) -> None:
    scaled = {w: e * math.sqrt(w) for w, e in errs.items()}
    widths = sorted(errs)
    # error ~ C / sqrt(width): the scaled error stays within a factor 2.5 across a 16x range
    assert max(scaled.values()) / min(scaled.values()) < 2.5, scaled
    assert errs[widths[-1]] < 0.6 * errs[widths[0]], errs
    assert errs[widths[-1]] < bound / math.sqrt(widths[-1]), errs


# ------------------------------------------------------------------ analytic vs wide nets
def test_analytic_matches_wide_empirical_depth1() -> None:
    # measured (4 seeds): 0.120, 0.062, 0.021 -> err*sqrt(w) = 1.9, 2.0, 1.3
    X, y = _data()
    errs = {w: _mean_rel_error(X, y, w, 1, range(3)) for w in (256, 1024, 4096)}
    _check_width_scaling(errs, bound=4.0)


@pytest.mark.slow
def test_analytic_matches_wide_empirical_depth2() -> None:
    # measured (3 seeds): 0.213, 0.133, 0.072 -> err*sqrt(w) = 2.4, 3.0, 3.3
    X, y = _data()
    errs = {w: _mean_rel_error(X, y, w, 2, range(2)) for w in (128, 512, 2048)}
    _check_width_scaling(errs, bound=6.0)


def test_depth2_narrow_vs_wider_empirical_closer() -> None:
    X, y = _data(n=12)
    narrow = _mean_rel_error(X, y, 64, 2, range(3))
    wide = _mean_rel_error(X, y, 1024, 2, range(3))
    assert wide < 0.6 * narrow, (narrow, wide)
    assert wide < 6.0 / math.sqrt(1024)


# -------------------------------------------------------------- Monte-Carlo and exact values
@pytest.mark.parametrize("pair", [(0, 1), (2, 2), (3, 4)])
def test_depth1_kernels_match_monte_carlo(pair: tuple[int, int]) -> None:
    """Σ² = σ_w² E[relu(u)relu(v)] + σ_b², Θ² = σ_w² E[relu(u)relu(v) + 1{u>0}1{v>0} Σ¹] + σ_b²
    with u = σ_w w·x/sqrt(d) + σ_b b, v likewise for z, w ~ N(0, I), b ~ N(0, 1)."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(5, 4))
    X[4] = -0.7 * X[3]  # an anti-parallel pair
    sw, sb = 1.3, 0.4
    x, z = X[pair[0]], X[pair[1]]
    d, N = X.shape[1], 400_000
    w = rng.normal(size=(N, d))
    b = rng.normal(size=N)
    u = sw * (w @ x) / math.sqrt(d) + sb * b
    v = sw * (w @ z) / math.sqrt(d) + sb * b
    s1 = sw**2 * (x @ z) / d + sb**2
    both = np.maximum(u, 0) * np.maximum(v, 0)
    nngp_samples = sw**2 * both + sb**2
    ntk_samples = sw**2 * (both + (u > 0) * (v > 0) * s1) + sb**2
    pts = X[list(pair)]
    nngp = analytic_nngp(pts, depth=1, sigma_w=sw, sigma_b=sb)[0, 1]
    theta = analytic_ntk(pts, depth=1, sigma_w=sw, sigma_b=sb)[0, 1]
    for samples, value in ((nngp_samples, nngp), (ntk_samples, theta)):
        se = samples.std(ddof=1) / math.sqrt(N)
        assert abs(samples.mean() - value) <= 4 * se, (samples.mean(), value, se)


def test_analytic_exact_values_orthonormal_inputs() -> None:
    # d = 2, σ_w = 1, σ_b = 0: Σ¹ = I/2; off-diagonal cos θ = 0 -> Σ² = Θ² = 1/(4π);
    # diagonal: Σ² = 1/4, Θ² = Σ¹·1/2 + Σ² = 1/2.
    K = analytic_ntk(np.eye(2), depth=1, sigma_w=1.0, sigma_b=0.0)
    np.testing.assert_allclose(K, [[0.5, 1 / (4 * np.pi)], [1 / (4 * np.pi), 0.5]], rtol=1e-14)
    G = analytic_nngp(np.eye(2), depth=1, sigma_w=1.0, sigma_b=0.0)
    np.testing.assert_allclose(G, [[0.25, 1 / (4 * np.pi)], [1 / (4 * np.pi), 0.25]], rtol=1e-14)


def test_analytic_positive_homogeneity_without_bias() -> None:
    # σ_b = 0: Σ¹ scales like c², Σ̇ is scale-free, so Θ(cx, cz) = c² Θ(x, z)
    X, _ = _data(n=6, d=4)
    K = analytic_ntk(X, depth=3, sigma_b=0.0)
    np.testing.assert_allclose(analytic_ntk(2.5 * X, depth=3, sigma_b=0.0), 6.25 * K, rtol=1e-12)
    # and Θ(cx, z) = c Θ(x, z) off the diagonal (where arccos is well conditioned)
    off = ~np.eye(6, dtype=bool)
    K2 = analytic_ntk(2.5 * X, X, depth=3, sigma_b=0.0)
    np.testing.assert_allclose(K2[off], 2.5 * K[off], rtol=1e-12)


def test_analytic_blocks_and_cross_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    X, _ = _data(n=30, d=5)
    full = analytic_ntk(X, depth=2)
    monkeypatch.setattr(ntk, "_BLOCK_BYTES", 8 * 8 * 30 * 4)  # 4-row blocks
    np.testing.assert_allclose(analytic_ntk(X, depth=2), full, rtol=1e-13)
    np.testing.assert_allclose(analytic_ntk(X[:7], X[7:], depth=2), full[:7, 7:], rtol=1e-13)


def _assert_symmetric_psd(K: Any) -> None:
    np.testing.assert_array_equal(K, K.T)
    eig = np.linalg.eigvalsh(K)
    assert eig.min() >= -1e-10 * eig.max(), eig.min()


def test_kernels_symmetric_psd() -> None:
    X, y = _data(n=40, d=6, n_classes=3)
    _assert_symmetric_psd(analytic_ntk(X, depth=3))
    _assert_symmetric_psd(analytic_nngp(X, depth=3))
    _assert_symmetric_psd(empirical_ntk(X, y, hidden=64, rng=1).kernel)
    _assert_symmetric_psd(empirical_ntk(X, y, hidden=64, projection=10, rng=1).kernel)


# ----------------------------------------------------------------------- empirical paths
def test_empirical_blocked_equals_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data(n=15, d=4, n_classes=3)
    exact = empirical_ntk(X, y, hidden=48, rng=3)
    assert exact.path == "exact" and exact.projection is None and exact.features.shape == (15, 0)
    monkeypatch.setattr(ntk, "_BLOCK_BYTES", 8 * exact.n_params * 6)  # 3-row blocks
    blocked = empirical_ntk(X, y, hidden=48, rng=3)
    assert blocked.path == "exact-blocked"
    np.testing.assert_allclose(blocked.kernel, exact.kernel, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(blocked.outputs, exact.outputs)


def test_empirical_kernel_is_gram_of_true_class_gradients() -> None:
    """Independent check with plain autograd: J_i = ∇θ f_{y_i}(x_i), Θ = J Jᵀ."""
    X, y = _data(n=6, d=3, n_classes=3)
    res = empirical_ntk(X, y, hidden=16, depth=2, rng=5)
    seq = np.random.SeedSequence(5)
    init_seed = int(seq.generate_state(2, dtype=np.uint64)[0])
    gen = torch.Generator().manual_seed(init_seed)
    net = ntk._build_mlp(torch, [3, 16, 16, 3], math.sqrt(2.0), 0.1, gen)
    Xt = torch.from_numpy(X)
    rows = []
    for i in range(len(y)):  # a loop over samples is fine in a test oracle
        net.zero_grad()
        out = net(Xt[i : i + 1])[0, int(y[i])]
        out.backward()
        rows.append(torch.cat([p.grad.reshape(-1) for p in net.parameters()]).numpy().copy())
    J = np.array(rows)
    np.testing.assert_allclose(res.kernel, J @ J.T, rtol=1e-12)
    with torch.no_grad():
        f = net(Xt).numpy()[np.arange(len(y)), y]
    np.testing.assert_allclose(res.outputs, f, rtol=1e-12)


def test_projection_jvp_equals_materialised_projection(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data(n=12, d=3)
    dense = empirical_ntk(X, y, hidden=32, projection=7, rng=2)
    assert dense.path == "projection" and dense.features.shape == (12, 7)
    monkeypatch.setattr(ntk, "_BLOCK_BYTES", 8 * dense.n_params * 3)  # no J; 3 tangents a chunk
    jvp = empirical_ntk(X, y, hidden=32, projection=7, rng=2)
    assert jvp.path == "projection-jvp"
    np.testing.assert_allclose(jvp.features, dense.features, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(jvp.kernel, jvp.features @ jvp.features.T, rtol=1e-14)


def test_projected_kernel_converges_like_inverse_sqrt_rank() -> None:
    X, y = _data(n=15, d=3)
    errs: dict[int, list[float]] = {16: [], 128: [], 1024: []}
    for seed in (4, 5):
        ref = empirical_ntk(X, y, hidden=32, rng=seed).kernel
        for r, out in errs.items():
            k = empirical_ntk(X, y, hidden=32, projection=r, rng=seed).kernel
            out.append(float(np.linalg.norm(k - ref) / np.linalg.norm(ref)))
    mean = {r: float(np.mean(e)) for r, e in errs.items()}
    assert mean[1024] < mean[128] < mean[16], mean
    scaled = [e * math.sqrt(r) for r, e in mean.items()]
    assert max(scaled) / min(scaled) < 3.0, mean


# ------------------------------------------------------------------ T3 and the KRR loss
def _eig_terms(K: Any, res: Any, rho: float) -> tuple[float, float]:
    """Oracle by eigendecomposition: Σ (uᵢ·ŷ)²/(λᵢ+ρ) and ρ² Σ (uᵢ·ŷ)²/(λᵢ+ρ)²."""
    lam, U = np.linalg.eigh(K)
    c = U.T @ res
    n = len(res)
    return math.sqrt(np.sum(c**2 / (lam + rho)) / n), rho**2 * np.sum(c**2 / (lam + rho) ** 2) / n


def test_kernel_ridge_terms_match_eigendecomposition() -> None:
    X, _ = _data(n=25, d=4)
    K = analytic_ntk(X, depth=2)
    res = np.random.default_rng(1).normal(size=25)
    t = kernel_ridge_terms(K, res)
    assert t.ridge == pytest.approx(1e-4 * np.trace(K) / 25, rel=1e-14)
    comp, loss = _eig_terms(K, res, t.ridge)
    assert t.complexity == pytest.approx(comp, rel=1e-8)
    assert t.krr_loss == pytest.approx(loss, rel=1e-6)
    # KRR loss is the mean squared training residual of kernel ridge regression
    fitted = K @ np.linalg.solve(K + 0.3 * np.eye(25), res)
    t2 = kernel_ridge_terms(K, res, ridge=0.3)
    assert t2.krr_loss == pytest.approx(np.mean((res - fitted) ** 2), rel=1e-10)


@pytest.mark.parametrize("r", [5, 40, 60])
def test_woodbury_equals_direct_solve(r: int) -> None:
    F = np.random.default_rng(r).normal(size=(40, r))
    res = np.random.default_rng(0).normal(size=40)
    for ridge in (None, 0.05):
        w = ntk._terms_woodbury(F, res, ridge)
        direct = kernel_ridge_terms(F @ F.T, res, ridge=ridge)
        assert w.ridge == pytest.approx(direct.ridge, rel=1e-12)
        assert w.complexity == pytest.approx(direct.complexity, rel=1e-7)
        assert w.krr_loss == pytest.approx(direct.krr_loss, rel=1e-6)


def test_projection_complexity_approaches_exact() -> None:
    X, y = _data(n=20, d=3)
    kw: dict[str, Any] = {"hidden": 32, "n_seeds": 2, "rng": 8, "ridge": 1.0}
    exact = ntk_complexity(X, y, projection=None, **kw)
    assert exact.path == "exact" and exact.projection is None
    gaps = []
    for r in (10, 100, 1000):
        proj = ntk_complexity(X, y, projection=r, **kw)
        assert proj.path == "projection" and proj.projection == r
        gaps.append(abs(proj.complexity - exact.complexity) / exact.complexity)
    assert gaps[2] < gaps[1] < gaps[0], gaps
    assert gaps[2] < 0.05, gaps


def test_ntk_complexity_empirical_matches_kernel_terms() -> None:
    X, y = _data(n=18, d=4, n_classes=3)
    out = ntk_complexity(X, y, hidden=32, n_seeds=3, rng=0, projection="auto")
    assert out.path == "exact" and out.n_seeds == 3 and out.seed == 0 and out.n_classes == 3
    children = np.random.SeedSequence(0).spawn(3)
    for k, child in enumerate(children):
        emp = empirical_ntk(X, y, hidden=32, rng=child)
        t = kernel_ridge_terms(emp.kernel, 1.0 - emp.outputs)
        assert out.complexity_per_seed[k] == pytest.approx(t.complexity, rel=1e-10)
        assert out.krr_loss_per_seed[k] == pytest.approx(t.krr_loss, rel=1e-8)
        assert out.ridge_per_seed[k] == pytest.approx(t.ridge, rel=1e-12)
    c = out.complexity_per_seed
    assert out.complexity == pytest.approx(c.mean())
    assert out.complexity_cv == pytest.approx(c.std(ddof=1) / c.mean())
    assert out.complexity_stderr == pytest.approx(c.std(ddof=1) / math.sqrt(3))
    assert out.complexity_cv > 0


def test_ntk_complexity_analytic_per_class_blocks() -> None:
    X, y = _data(n=30, d=4, n_classes=3)
    out = ntk_complexity(X, y, kernel="analytic", depth=3, rng=5)
    assert out.path == "analytic" and out.n_seeds == 1 and out.complexity_cv == 0.0
    assert out.complexity_stderr == 0.0 and out.projection is None
    t = kernel_ridge_terms(_masked_analytic(X, y, 3), np.ones(30))
    assert out.complexity == pytest.approx(t.complexity, rel=1e-9)
    assert out.krr_loss == pytest.approx(t.krr_loss, rel=1e-7)
    assert out.ridge_per_seed[0] == pytest.approx(t.ridge, rel=1e-12)
    # deterministic: the seed plays no role
    assert ntk_complexity(X, y, kernel="analytic", depth=3, rng=9).complexity == out.complexity


def test_determinism_and_seed_dependence() -> None:
    X, y = _data(n=10, d=3)
    a = ntk_complexity(X, y, hidden=16, n_seeds=2, rng=3)
    b = ntk_complexity(X, y, hidden=16, n_seeds=2, rng=3)
    c = ntk_complexity(X, y, hidden=16, n_seeds=2, rng=4)
    np.testing.assert_array_equal(a.complexity_per_seed, b.complexity_per_seed)
    assert a.krr_loss == b.krr_loss
    assert not np.allclose(a.complexity_per_seed, c.complexity_per_seed)
    # seed k does not depend on how many seeds are averaged
    one = ntk_complexity(X, y, hidden=16, n_seeds=1, rng=3)
    assert one.complexity_per_seed[0] == a.complexity_per_seed[0]
    assert one.complexity_cv == 0.0
    g1 = ntk_complexity(X, y, hidden=16, n_seeds=1, rng=np.random.default_rng(7))
    g2 = ntk_complexity(X, y, hidden=16, n_seeds=1, rng=np.random.default_rng(7))
    assert g1.complexity == g2.complexity and g1.seed is None
    p1 = empirical_ntk(X, y, hidden=16, projection=5, rng=1)
    p2 = empirical_ntk(X, y, hidden=16, projection=5, rng=1)
    np.testing.assert_array_equal(p1.features, p2.features)


def test_auto_projection_switches_to_sketch(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data(n=12, d=3)
    monkeypatch.setattr(ntk, "_AUTO_EXACT_MAX_N", 10)
    monkeypatch.setattr(ntk, "_AUTO_RANK", 6)
    out = ntk_complexity(X, y, hidden=16, n_seeds=1, rng=0)
    assert out.path == "projection" and out.projection == 6


# --------------------------------------------------------------------------- bad inputs
_X, _Y = _data(n=8, d=3)

BAD: list[tuple[str, Callable[[], object]]] = [
    ("X", lambda: ntk_complexity(np.ones(8), _Y)),
    ("X", lambda: ntk_complexity(np.full((8, 3), np.nan), _Y)),
    ("X", lambda: analytic_ntk(np.ones((0, 3)))),
    ("y", lambda: ntk_complexity(_X, _Y[:5])),
    ("y", lambda: ntk_complexity(_X, _Y + 0.5)),
    ("y", lambda: ntk_complexity(_X, _Y - 1)),
    ("y", lambda: empirical_ntk(_X, np.array(["a"] * 8))),
    ("kernel", lambda: ntk_complexity(_X, _Y, kernel="rbf")),  # type: ignore[arg-type]
    ("depth", lambda: ntk_complexity(_X, _Y, depth=0)),
    ("depth", lambda: analytic_ntk(_X, depth=1.5)),  # type: ignore[arg-type]
    ("depth", lambda: empirical_ntk(_X, _Y, depth=0)),
    ("ridge", lambda: ntk_complexity(_X, _Y, kernel="analytic", ridge=0.0)),
    ("ridge", lambda: kernel_ridge_terms(np.eye(2), np.ones(2), ridge=-1.0)),
    ("n_classes", lambda: ntk_complexity(_X, _Y, n_classes=1)),
    ("hidden", lambda: ntk_complexity(_X, _Y, hidden=0)),
    ("n_seeds", lambda: ntk_complexity(_X, _Y, n_seeds=0)),
    ("projection", lambda: ntk_complexity(_X, _Y, projection=0)),
    ("projection", lambda: ntk_complexity(_X, _Y, projection="fast")),  # type: ignore[arg-type]
    ("sigma_w", lambda: analytic_ntk(_X, sigma_w=0.0)),
    ("sigma_b", lambda: analytic_nngp(_X, sigma_b=-0.1)),
    ("Z", lambda: analytic_ntk(_X, np.ones((2, 4)))),
    ("kernel", lambda: kernel_ridge_terms(np.ones((2, 3)), np.ones(2))),
    ("residual", lambda: kernel_ridge_terms(np.eye(2), np.ones(3))),
    ("rng", lambda: ntk_complexity(_X, _Y, rng=-1)),
]


@pytest.mark.parametrize(("name", "call"), BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_inputs_name_the_parameter(name: str, call: Callable[[], object]) -> None:
    with pytest.raises(ValidationError, match=rf"^{name} must "):
        call()


def test_zero_kernel_needs_explicit_ridge() -> None:
    with pytest.raises(SynthmixError, match="identically zero"):
        ntk_complexity(np.zeros((4, 2)), [0, 1, 0, 1], kernel="analytic", sigma_b=0.0)
    out = ntk_complexity(np.zeros((4, 2)), [0, 1, 0, 1], kernel="analytic", sigma_b=0.0, ridge=1)
    assert out.complexity == pytest.approx(1.0)  # Θ = 0: ŷᵀŷ/(ρn) = 1


def test_missing_torch_raises_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(OptionalDependencyError, match=r"synthmix\[nn\]"):
        empirical_ntk(_X, _Y, hidden=4)
    with pytest.raises(SynthmixError):
        ntk_complexity(_X, _Y, hidden=4)
    assert ntk_complexity(_X, _Y, kernel="analytic").complexity > 0


def test_module_import_does_not_import_torch() -> None:
    code = "import sys, synthmix.valuation.ntk; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------- blocking and recorded fields
def test_analytic_rows_are_computed_once_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row blocks of ``_BLOCK_BYTES // (64 m)`` rows, each row computed once (ceil(n / b) calls)."""
    X, _ = _data(n=30, d=5)
    full = analytic_ntk(X, depth=2)
    seen: list[int] = []
    inner = ntk._arccos_kernels

    def spy(Xb: Any, *args: Any) -> Any:
        seen.append(Xb.shape[0])
        return inner(Xb, *args)

    monkeypatch.setattr(ntk, "_arccos_kernels", spy)
    monkeypatch.setattr(ntk, "_BLOCK_BYTES", 8 * 8 * 30 * 4)  # 4-row blocks
    np.testing.assert_allclose(analytic_ntk(X, depth=2), full, rtol=1e-13)
    assert seen == [4] * 7 + [2]
    seen.clear()
    np.testing.assert_allclose(analytic_nngp(X[:9], X, depth=1), analytic_nngp(X, depth=1)[:9])
    assert seen[:3] == [4, 4, 1]


def _spy_net(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """Record the rows of each Jacobian call, the tangents of each jvp call and the rows of each
    forward pass of the true-class network."""
    calls: dict[str, list[int]] = {"jacobian": [], "jvp": [], "batch": []}
    cls = ntk._TrueClassNet
    jacobian, jvp, batch = cls.jacobian, cls.jvp, cls.batch

    def spy_jacobian(self: Any, rows: slice) -> Any:
        out = jacobian(self, rows)
        calls["jacobian"].append(int(out.shape[0]))
        return out

    def spy_jvp(self: Any, tangents: Any) -> Any:
        calls["jvp"].append(int(tangents.shape[0]))
        return jvp(self, tangents)

    def spy_batch(self: Any, flat: Any, X: Any, onehot: Any) -> Any:
        calls["batch"].append(int(X.shape[0]))
        return batch(self, flat, X, onehot)

    monkeypatch.setattr(cls, "jacobian", spy_jacobian)
    monkeypatch.setattr(cls, "jvp", spy_jvp)
    monkeypatch.setattr(cls, "batch", spy_batch)
    return calls


def test_projection_uses_the_materialised_jacobian_when_it_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = _data(n=12, d=3)
    reference = empirical_ntk(X, y, hidden=32, projection=7, rng=2)
    calls = _spy_net(monkeypatch)
    res = empirical_ntk(X, y, hidden=32, projection=7, rng=2)
    assert res.path == "projection"
    assert calls["jacobian"] == [12] and calls["jvp"] == []  # J once, no forward-mode products
    np.testing.assert_array_equal(res.features, reference.features)


def test_sketch_is_drawn_in_chunks_of_block_over_8p_tangents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = _data(n=12, d=3)
    dense = empirical_ntk(X, y, hidden=32, projection=7, rng=2)
    P = dense.n_params
    calls = _spy_net(monkeypatch)
    monkeypatch.setattr(ntk, "_BLOCK_BYTES", 8 * P * 4)  # 4 tangents (8 bytes * P each) a chunk
    jvp = empirical_ntk(X, y, hidden=32, projection=7, rng=2)
    assert jvp.path == "projection-jvp" and jvp.projection == 7 and jvp.n_params == P
    assert calls["jacobian"] == [] and calls["jvp"] == [4, 3]
    np.testing.assert_allclose(jvp.features, dense.features, rtol=1e-11, atol=1e-12)


def test_tiny_blocks_process_one_row_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a 1-byte block every row block has one row; the kernel is still the exact J Jᵀ."""
    X, y = _data(n=5, d=3, n_classes=3)
    exact = empirical_ntk(X, y, hidden=8, depth=1, rng=4)
    assert exact.path == "exact"
    calls = _spy_net(monkeypatch)
    monkeypatch.setattr(ntk, "_BLOCK_BYTES", 1)
    tiny = empirical_ntk(X, y, hidden=8, depth=1, rng=4)
    assert tiny.path == "exact-blocked"
    assert calls["jacobian"] == [1] * 5 and calls["jvp"] == [1] * 5
    assert calls["batch"] and set(calls["batch"]) == {1}  # forward passes too: one row each
    np.testing.assert_allclose(tiny.kernel, exact.kernel, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tiny.outputs, exact.outputs, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("kernel", ["analytic", "empirical"])
def test_ntk_complexity_records_its_settings(kernel: str) -> None:
    X, y = _data(n=9, d=3, n_classes=3)
    out = ntk_complexity(
        X, y, kernel=kernel, n_classes=4, hidden=12, depth=1, sigma_w=1.5, sigma_b=0.2,
        n_seeds=2, rng=11, projection=None,
    )  # fmt: skip
    assert out.kernel == kernel
    assert (out.n, out.n_classes, out.hidden, out.depth) == (9, 4, 12, 1)
    assert (out.sigma_w, out.sigma_b, out.seed) == (1.5, 0.2, 11)
    assert out.n_seeds == (1 if kernel == "analytic" else 2)
    assert out.projection is None
    assert out.path == ("analytic" if kernel == "analytic" else "exact")


def _diag_recursion(sq_norm_over_d: float, depth: int, sw: float, sb: float) -> tuple[float, float]:
    """(NNGP, NTK) at x = z from the module docstring's recursion with cos θ = 1."""
    sigma = sw**2 * sq_norm_over_d + sb**2
    theta = sigma
    for _ in range(depth):
        sigma = sw**2 * sigma / 2 + sb**2  # κ₁(1) = 1/2
        theta = theta * sw**2 / 2 + sigma  # κ₀(1) = 1/2
    return sigma, theta


def test_analytic_defaults_are_depth_2_he_scaling_and_bias_0_1() -> None:
    X = np.array([[1.0, 2.0, 2.0], [0.5, -1.0, 0.0]])
    nngp, theta = _diag_recursion(3.0, 2, math.sqrt(2.0), 0.1)  # |x|² / d = 9 / 3
    assert analytic_ntk(X)[0, 0] == pytest.approx(theta, rel=1e-14)
    assert analytic_nngp(X)[0, 0] == pytest.approx(nngp, rel=1e-14)
    for fn in (analytic_ntk, analytic_nngp):
        np.testing.assert_array_equal(fn(X), fn(X, depth=2, sigma_w=math.sqrt(2.0), sigma_b=0.1))
    assert analytic_ntk(X, depth=3)[0, 0] == pytest.approx(
        _diag_recursion(3.0, 3, math.sqrt(2.0), 0.1)[1], rel=1e-14
    )
    t = kernel_ridge_terms(analytic_ntk(X), np.ones(2))
    assert t.trace == pytest.approx(
        theta + _diag_recursion(1.25 / 3, 2, math.sqrt(2.0), 0.1)[1], rel=1e-14
    )


def _mlp_params(dims: list[int]) -> int:
    return sum(a * b + b for a, b in itertools.pairwise(dims))


def test_empirical_defaults_and_network_size() -> None:
    X, y = _data(n=4, d=3)
    res = empirical_ntk(X, y, rng=0)
    assert res.n_params == _mlp_params([3, 256, 256, 2])  # hidden 256, depth 2, C = max(y) + 1
    explicit = empirical_ntk(
        X, y, rng=0, n_classes=2, hidden=256, depth=2, sigma_w=math.sqrt(2.0), sigma_b=0.1
    )
    np.testing.assert_array_equal(res.kernel, explicit.kernel)
    assert not np.allclose(empirical_ntk(X, y, rng=0, sigma_b=0.2).kernel, res.kernel)
    wide = empirical_ntk(X, y, rng=0, n_classes=5, hidden=8, depth=3)
    assert wide.n_params == _mlp_params([3, 8, 8, 8, 5])


def test_ntk_complexity_defaults() -> None:
    X, y = _data(n=6, d=3)
    out = ntk_complexity(X, y, rng=2)
    assert (out.kernel, out.hidden, out.depth, out.n_seeds, out.n_classes) == (
        "empirical", 256, 2, 3, 2,
    )  # fmt: skip
    assert (out.sigma_w, out.sigma_b) == (math.sqrt(2.0), 0.1)
    assert out.path == "exact" and out.projection is None  # "auto": exact for n <= 2048
    explicit = ntk_complexity(
        X, y, rng=2, kernel="empirical", hidden=256, depth=2, sigma_w=math.sqrt(2.0),
        sigma_b=0.1, projection="auto", n_seeds=3, ridge=None, n_classes=None,
    )  # fmt: skip
    np.testing.assert_array_equal(out.complexity_per_seed, explicit.complexity_per_seed)
    np.testing.assert_array_equal(out.krr_loss_per_seed, explicit.krr_loss_per_seed)
    fixed = ntk_complexity(X, y, rng=2, kernel="analytic", ridge=0.7)
    np.testing.assert_array_equal(fixed.ridge_per_seed, [0.7])


def test_blocked_kernel_uses_rows_of_block_over_16p(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data(n=10, d=3)
    exact = empirical_ntk(X, y, hidden=8, rng=1)
    P = exact.n_params
    calls = _spy_net(monkeypatch)
    monkeypatch.setattr(ntk, "_BLOCK_BYTES", 2 * 8 * P * 4)  # 4 Jacobian rows (2 * 8 P bytes)
    blocked = empirical_ntk(X, y, hidden=8, rng=1)
    assert blocked.path == "exact-blocked"
    assert calls["jacobian"] == [4, 4, 2]
    assert all(c in (4, 2) for c in calls["jvp"])
    np.testing.assert_allclose(blocked.kernel, exact.kernel, rtol=1e-12, atol=1e-12)
