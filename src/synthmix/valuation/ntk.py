"""Neural tangent kernels of a fully connected ReLU network and the NTK complexity term T3.

docs/math/valuation.md, term T3 (and T1's ``ntk_krr`` loss). Two kernels:

* :func:`analytic_ntk` — the infinite-width NTK of a ReLU MLP by the arc-cosine recursion
  (Jacot et al. 2018; Arora et al. 2019, "On exact computation with an infinitely wide neural
  net"), in numpy: deterministic, no torch.
* :func:`empirical_ntk` — the NTK ``Θ0 = J Jᵀ`` of one finite MLP at its random initialisation
  θ0, ``J_i = ∇θ f_{y_i}(x_i; θ0)`` (the true-class output), by ``torch.func``; optionally a
  Gaussian random projection ``J_r = J S / sqrt(r)`` of the Jacobian for large ``n``.

:func:`ntk_complexity` turns either kernel into the T3 term
``sqrt(ŷᵀ(Θ0 + ρI)⁻¹ŷ / n)`` and the kernel-ridge training loss ``(ρ²/n) ŷᵀ(Θ0 + ρI)⁻²ŷ``
(:func:`kernel_ridge_terms` does it for any kernel matrix).

Network and parametrisation (one convention for both kernels)
-------------------------------------------------------------
``L = depth`` hidden layers of ``hidden`` ReLU units and ``C`` linear outputs, in the NTK
parametrisation: every weight and bias is drawn i.i.d. N(0, 1) and the forward pass scales them,

    h¹ = (σ_w / sqrt(d)) W¹ x + σ_b b¹,     hˡ⁺¹ = (σ_w / sqrt(hidden)) Wˡ⁺¹ relu(hˡ) + σ_b bˡ⁺¹,

``f(x) = h^{L+1}`` (C outputs). ``sigma_w`` and ``sigma_b`` are standard deviations (σ_w² and
σ_b² are the variances of the recursion below). Defaults σ_w = sqrt(2) (He scaling: the
pre-activation variance stays ``|x|²/d``-sized through the layers) and σ_b = 0.1 (Jacot et al.'s
bias scale β = 0.1). As ``hidden → ∞`` each output's empirical NTK converges to ``Θ^{L+1}``:

    Σ¹(x, z) = σ_w² x·z / d + σ_b²,                       Θ¹ = Σ¹,
    Σˡ⁺¹(x, z) = σ_w² sqrt(Σˡ(x,x) Σˡ(z,z)) κ₁(cos θ) + σ_b²,
    Σ̇ˡ⁺¹(x, z) = σ_w² κ₀(cos θ),                          Θˡ⁺¹ = Θˡ Σ̇ˡ⁺¹ + Σˡ⁺¹,

with ``cos θ = Σˡ(x,z) / sqrt(Σˡ(x,x) Σˡ(z,z))``, ``κ₁ = (sin θ + (π − θ) cos θ) / (2π)`` (so
that ``σ_w² sqrt(..) κ₁ = σ_w² E[relu(u) relu(v)]``) and ``κ₀ = (π − θ) / (2π) = E[1{u>0}1{v>0}]``
for ``(u, v)`` centred Gaussian with covariance ``Σˡ``. ``Σ^{L+1}`` is the NNGP kernel
(:func:`analytic_nngp`). Different outputs decouple in the limit, so the infinite-width kernel of
the true-class outputs is ``Θ^{L+1}(x_i, x_j) · 1{y_i = y_j}`` (block diagonal by class).

Why one module of ~850 lines: the two kernels and the T3 term are one concept — the network,
its parametrisation, the input checks, the exact/sketched switch and the ridge ``ρ`` above are
shared by all three, and the analytic kernel is the limit the empirical one is tested against;
split, each part would re-state the same conventions.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from synthmix._random import RngLike, int_seed, seed_sequence
from synthmix._validation import as_float_array, check_int, fail
from synthmix.exceptions import SynthmixError

__all__ = [
    "EmpiricalNTK",
    "KernelRidgeTerms",
    "NTKResult",
    "OptionalDependencyError",
    "analytic_nngp",
    "analytic_ntk",
    "empirical_ntk",
    "kernel_ridge_terms",
    "ntk_complexity",
]

#: Working-memory target of one block (kernel rows, Jacobian rows, sketch chunks), bytes.
_BLOCK_BYTES = 100 * 2**20
#: ``projection="auto"``: exact kernel up to this many samples, a sketch of this rank above.
_AUTO_EXACT_MAX_N = 2048
_AUTO_RANK = 1024
#: ``ρ = _RELATIVE_RIDGE · tr(Θ0) / n`` unless a ridge is given (docs/math/valuation.md, T3).
_RELATIVE_RIDGE = 1e-4

_DEFAULT_SIGMA_W = math.sqrt(2.0)
_DEFAULT_SIGMA_B = 0.1


class OptionalDependencyError(SynthmixError):
    """An optional dependency (an extra such as ``nn`` = torch) is needed but not installed."""


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class KernelRidgeTerms:
    """T3 and the kernel-ridge training loss for one kernel and one residual vector.

    Attributes
    ----------
    complexity : float
        ``sqrt(ŷᵀ(Θ + ρI)⁻¹ŷ / n)`` (docs/math/valuation.md, T3).
    krr_loss : float
        ``(ρ²/n) ŷᵀ(Θ + ρI)⁻²ŷ``: mean squared training residual of kernel ridge regression of
        ``ŷ`` on ``Θ`` with ridge ``ρ`` (docs/math/valuation.md, T1, ``loss_source="ntk_krr"``).
    ridge : float
        The ridge ``ρ`` used.
    trace : float
        ``tr(Θ)``.
    """

    complexity: float
    krr_loss: float
    ridge: float
    trace: float


@dataclass(frozen=True)
class EmpiricalNTK:
    """The empirical NTK of one randomly initialised MLP (:func:`empirical_ntk`).

    Attributes
    ----------
    kernel : ndarray, shape (n, n)
        ``Θ0 = J Jᵀ`` (exact paths) or ``J_r J_rᵀ`` (projection paths), symmetric PSD.
    outputs : ndarray, shape (n,)
        ``f_{y_i}(x_i; θ0)``, the true-class output at initialisation.
    features : ndarray, shape (n, r) or (n, 0)
        The projected Jacobian ``J_r = J S / sqrt(r)`` on the projection paths; an empty
        ``(n, 0)`` array on the exact paths.
    path : str
        ``"exact"`` (J materialised), ``"exact-blocked"`` (J in row blocks, columns of Θ
        by forward-mode products ``J J_aᵀ``), ``"projection"`` (J materialised, then sketched) or
        ``"projection-jvp"`` (sketch by forward-mode products, J never materialised).
    n_params : int
        Number of network parameters ``P``.
    projection : int or None
        The sketch rank ``r``, None on the exact paths.
    """

    kernel: NDArray[np.float64]
    outputs: NDArray[np.float64]
    features: NDArray[np.float64]
    path: str
    n_params: int
    projection: int | None


@dataclass(frozen=True)
class NTKResult:
    """The NTK complexity term T3 and the NTK kernel-ridge loss of one data set.

    Attributes
    ----------
    complexity : float
        Mean over init seeds of ``sqrt(ŷᵀ(Θ0 + ρI)⁻¹ŷ / n)`` (docs/math/valuation.md, T3).
    complexity_stderr : float
        Standard error of that mean over seeds (0 for the analytic kernel or one seed).
    complexity_cv : float
        Coefficient of variation over seeds, ``std / mean`` (ddof 1; 0 for one seed or the
        analytic kernel).
    krr_loss : float
        Mean over seeds of ``(ρ²/n) ŷᵀ(Θ0 + ρI)⁻²ŷ`` (docs/math/valuation.md, T1, ``ntk_krr``).
    krr_loss_stderr : float
        Its standard error over seeds.
    complexity_per_seed, krr_loss_per_seed, ridge_per_seed : ndarray, shape (n_seeds,)
        Per-seed values (length 1 for the analytic kernel); ``ρ`` depends on ``tr(Θ0)``.
    kernel : {"empirical", "analytic"}
    path : str
        How Θ0 was obtained: ``"analytic"`` (per-class blocks of the arc-cosine kernel) or an
        :attr:`EmpiricalNTK.path` (the solve is Cholesky on the exact paths and the Woodbury
        identity with an ``r × r`` Cholesky on the projection paths).
    projection : int or None
        Sketch rank ``r`` on the projection paths.
    n, n_classes, hidden, depth : int
    sigma_w, sigma_b : float
    n_seeds : int
        Init seeds averaged (1 for the analytic kernel).
    seed : int or None
        The integer ``rng`` when one was given.
    """

    complexity: float
    complexity_stderr: float
    complexity_cv: float
    krr_loss: float
    krr_loss_stderr: float
    complexity_per_seed: NDArray[np.float64]
    krr_loss_per_seed: NDArray[np.float64]
    ridge_per_seed: NDArray[np.float64]
    kernel: str
    path: str
    projection: int | None
    n: int
    n_classes: int
    hidden: int
    depth: int
    sigma_w: float
    sigma_b: float
    n_seeds: int
    seed: int | None


# ------------------------------------------------------------------------- validation
def _check_X(X: ArrayLike, name: str = "X") -> NDArray[np.float64]:
    arr = as_float_array(X, name)
    if arr.ndim != 2:
        raise fail(name, "be a 2-D array (n_samples, n_features)", f"shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise fail(name, "have at least one row and one column", f"shape {arr.shape}")
    return arr


def _check_sigma(value: Any, name: str, *, positive: bool) -> float:
    arr = as_float_array(value, name)
    if arr.ndim != 0:
        raise fail(name, "be a scalar", value)
    out = float(arr)
    if out < 0 or (positive and out == 0):
        raise fail(name, "be > 0" if positive else "be >= 0", value)
    return out


def _check_labels(y: ArrayLike, n: int, n_classes: int | None) -> tuple[NDArray[np.int64], int]:
    if isinstance(y, str | bytes):
        raise fail("y", "be a 1-D array of integer class labels", y)
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise fail("y", "be a 1-D array of integer class labels", f"shape {arr.shape}")
    if arr.shape[0] != n:
        raise fail("y", f"have one label per row of X ({n})", f"length {arr.shape[0]}")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise fail("y", "be integer class labels 0..C-1", arr)
    as_float = arr.astype(np.float64)
    if not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float)):
        raise fail("y", "be integer class labels 0..C-1", arr)
    labels = as_float.astype(np.int64)
    if np.any(labels < 0):
        raise fail("y", "be integer class labels 0..C-1 (>= 0)", arr)
    needed = int(labels.max()) + 1
    if n_classes is None:
        return labels, needed
    classes = check_int(n_classes, "n_classes", minimum=1)
    if classes < needed:
        raise fail("n_classes", f"exceed the largest label ({needed - 1})", n_classes)
    return labels, classes


def _check_projection(projection: Any) -> int | Literal["auto"] | None:
    if projection is None:
        return None
    if isinstance(projection, str):
        if projection != "auto":
            raise fail("projection", 'be None, "auto" or a positive int', projection)
        return "auto"
    return check_int(projection, "projection", minimum=1)


# ---------------------------------------------------------------------- analytic NTK
def _arccos_kernels(
    X: NDArray[np.float64],
    Z: NDArray[np.float64],
    depth: int,
    sigma_w: float,
    sigma_b: float,
    offset: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(NNGP Σ^{L+1}, NTK Θ^{L+1}) between the rows of X (b, d) and Z (m, d); one block.

    ``offset``: X is rows ``offset..offset+b`` of Z, so ``cos θ = 1`` exactly on that diagonal
    (``arccos`` near 1 would lose half the digits: an angle error of about 1e-8).
    """
    sw2, sb2 = sigma_w**2, sigma_b**2
    d = X.shape[1]
    sigma = sw2 * (X @ Z.T) / d + sb2
    diag_x = sw2 * np.einsum("ij,ij->i", X, X) / d + sb2
    diag_z = sw2 * np.einsum("ij,ij->i", Z, Z) / d + sb2
    theta = sigma.copy()
    for _ in range(depth):
        norm = np.sqrt(np.outer(diag_x, diag_z))
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = np.where(norm > 0, sigma / np.where(norm > 0, norm, 1.0), 0.0)
        np.clip(cos, -1.0, 1.0, out=cos)
        if offset is not None:
            idx = np.arange(X.shape[0])
            cos[idx, offset + idx] = 1.0
        angle = np.arccos(cos)
        kappa1 = (np.sqrt(1.0 - cos * cos) + (np.pi - angle) * cos) / (2.0 * np.pi)
        kappa0 = (np.pi - angle) / (2.0 * np.pi)
        sigma = sw2 * norm * kappa1 + sb2
        theta = theta * (sw2 * kappa0) + sigma
        diag_x = sw2 * diag_x / 2.0 + sb2
        diag_z = sw2 * diag_z / 2.0 + sb2
    return sigma, theta


def _analytic(
    X: ArrayLike,
    Z: ArrayLike | None,
    depth: int,
    sigma_w: float,
    sigma_b: float,
    which: int,
) -> NDArray[np.float64]:
    Xa = _check_X(X, "X")
    Za = Xa if Z is None else _check_X(Z, "Z")
    if Za.shape[1] != Xa.shape[1]:
        raise fail("Z", f"have as many columns as X ({Xa.shape[1]})", f"shape {Za.shape}")
    depth = check_int(depth, "depth", minimum=1)
    sw = _check_sigma(sigma_w, "sigma_w", positive=True)
    sb = _check_sigma(sigma_b, "sigma_b", positive=False)
    n, m = Xa.shape[0], Za.shape[0]
    # about eight (b, m) float64 temporaries live at once
    rows = max(1, _BLOCK_BYTES // (8 * 8 * m))
    out = np.empty((n, m))
    for start in range(0, n, rows):
        offset = start if Z is None else None
        block = _arccos_kernels(Xa[start : start + rows], Za, depth, sw, sb, offset)
        out[start : start + rows] = block[which]
    if Z is None:  # exact symmetry despite round-off
        out = 0.5 * (out + out.T)
    return out


def analytic_ntk(
    X: ArrayLike,
    Z: ArrayLike | None = None,
    *,
    depth: int = 2,
    sigma_w: float = _DEFAULT_SIGMA_W,
    sigma_b: float = _DEFAULT_SIGMA_B,
) -> NDArray[np.float64]:
    """Infinite-width NTK of a ReLU MLP (arc-cosine recursion; docs/math/valuation.md, T3, ours).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs.
    Z : array_like, shape (m, d), optional
        Second set of inputs; ``X`` itself when omitted (then the result is exactly symmetric).
    depth : int, default 2
        Number of hidden layers ``L >= 1``.
    sigma_w, sigma_b : float
        Weight and bias standard deviations of the NTK parametrisation (module docstring);
        ``sigma_w > 0``, ``sigma_b >= 0``.

    Returns
    -------
    ndarray, shape (n, m)
        ``Θ^{L+1}(x_i, z_j)`` of one output; the limit of :func:`empirical_ntk` of a single
        output as the width grows. Computed in row blocks of about 100 MB.

    Examples
    --------
    >>> import numpy as np
    >>> K = analytic_ntk(np.eye(3), depth=1)
    >>> K.shape, bool(np.allclose(K, K.T))
    ((3, 3), True)
    """
    return _analytic(X, Z, depth, sigma_w, sigma_b, which=1)


def analytic_nngp(
    X: ArrayLike,
    Z: ArrayLike | None = None,
    *,
    depth: int = 2,
    sigma_w: float = _DEFAULT_SIGMA_W,
    sigma_b: float = _DEFAULT_SIGMA_B,
) -> NDArray[np.float64]:
    """Infinite-width NNGP kernel ``Σ^{L+1}`` of the same ReLU MLP (covariance of its outputs
    at initialisation). Arguments as :func:`analytic_ntk`; shape (n, m).

    Examples
    --------
    >>> import numpy as np
    >>> float(analytic_nngp(np.ones((1, 2)), depth=1, sigma_w=1.0, sigma_b=0.0)[0, 0])
    0.5
    """
    return _analytic(X, Z, depth, sigma_w, sigma_b, which=0)


# --------------------------------------------------------------------- empirical NTK
def _import_torch() -> Any:
    try:
        import torch
        import torch.func
    except ImportError as exc:
        raise OptionalDependencyError(
            "kernel='empirical' needs PyTorch, which is not installed: "
            "pip install 'synthmix[nn]' (or use kernel='analytic')"
        ) from exc
    return torch


def _build_mlp(torch: Any, dims: list[int], sigma_w: float, sigma_b: float, gen: Any) -> Any:
    """``torch.nn.Sequential`` of NTK-parametrised linear layers with N(0, 1) parameters."""

    class NTKLinear(torch.nn.Module):
        def __init__(self, fan_in: int, fan_out: int) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(
                torch.randn(fan_out, fan_in, generator=gen, dtype=torch.float64)
            )
            self.bias = torch.nn.Parameter(torch.randn(fan_out, generator=gen, dtype=torch.float64))
            self.scale = sigma_w / math.sqrt(fan_in)

        def forward(self, x: Any) -> Any:
            return self.scale * torch.nn.functional.linear(x, self.weight) + sigma_b * self.bias

    layers: list[Any] = []
    for fan_in, fan_out in itertools.pairwise(dims):
        layers += [NTKLinear(fan_in, fan_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


class _TrueClassNet:
    """``θ ↦ f_{y_i}(x_i; θ)`` of one initialised MLP as functions of a flat parameter vector."""

    def __init__(self, torch: Any, module: Any, X: Any, onehot: Any, width: int) -> None:
        self.torch = torch
        self.module = module
        self.X = X
        self.onehot = onehot
        self.width = width
        named = [(k, v.detach()) for k, v in module.named_parameters()]
        self.names = [k for k, _ in named]
        self.shapes = [tuple(v.shape) for _, v in named]
        self.sizes = [int(v.numel()) for _, v in named]
        self.theta0 = torch.cat([v.reshape(-1) for _, v in named])
        self.n_params = int(self.theta0.numel())

    def _unflatten(self, flat: Any) -> dict[str, Any]:
        parts = self.torch.split(flat, self.sizes)
        return {k: p.reshape(s) for k, p, s in zip(self.names, parts, self.shapes, strict=True)}

    def batch(self, flat: Any, X: Any, onehot: Any) -> Any:
        out = self.torch.func.functional_call(self.module, self._unflatten(flat), (X,))
        return (out * onehot).sum(dim=-1)

    def single(self, flat: Any, x: Any, e: Any) -> Any:
        return self.batch(flat, x[None], e[None])[0]

    def outputs(self) -> Any:
        """``f_{y_i}(x_i; θ0)``, shape (n,), in row blocks of about 100 MB of activations."""
        rows = max(1, _BLOCK_BYTES // (8 * 4 * max(self.width, self.X.shape[1])))
        with self.torch.no_grad():
            return self.torch.cat(
                [
                    self.batch(self.theta0, self.X[a : a + rows], self.onehot[a : a + rows])
                    for a in range(0, self.X.shape[0], rows)
                ]
            )

    def jacobian(self, rows: slice) -> Any:
        """``J[rows]``, shape (b, P)."""
        func = self.torch.func
        jac = func.vmap(func.jacrev(self.single), in_dims=(None, 0, 0))
        return jac(self.theta0, self.X[rows], self.onehot[rows])

    def jvp(self, tangents: Any) -> Any:
        """``J Tᵀ`` for tangents T of shape (c, P), without J; shape (n, c)."""
        func = self.torch.func
        c, n = tangents.shape[0], self.X.shape[0]
        # activations: about 4 (c, b, width) tensors per layer
        per_row = 8 * 4 * c * max(self.width, self.X.shape[1]) * max(len(self.sizes) // 2, 1)
        rows = max(1, _BLOCK_BYTES // per_row)
        out = []
        for start in range(0, n, rows):
            Xb, Eb = self.X[start : start + rows], self.onehot[start : start + rows]

            def push(t: Any, Xb: Any = Xb, Eb: Any = Eb) -> Any:
                return func.jvp(lambda th: self.batch(th, Xb, Eb), (self.theta0,), (t,))[1]

            out.append(func.vmap(push)(tangents).T)
        return self.torch.cat(out, dim=0)


def _blocked_kernel(net: _TrueClassNet, n: int, P: int) -> NDArray[np.float64]:
    """Θ0 without the whole J: for each block ``a`` of Jacobian rows, ``Θ[:, a] = J J_aᵀ`` by
    forward-mode products with the rows of ``J_a`` as tangents. Each Jacobian row is computed
    once; the ``n²`` products are batched matrix products. (Pairs of Jacobian row blocks were
    4-10x slower at n = 20..400, P = 0.3M..17M.)"""
    rows = max(1, _BLOCK_BYTES // (2 * 8 * P))
    K = np.empty((n, n))
    for a in range(0, n, rows):
        K[:, a : a + rows] = net.jvp(net.jacobian(slice(a, a + rows))).numpy()
    return K


def _empirical(
    X: NDArray[np.float64],
    labels: NDArray[np.int64],
    n_classes: int,
    hidden: int,
    depth: int,
    sigma_w: float,
    sigma_b: float,
    rank: int | None,
    seq: np.random.SeedSequence,
    form_kernel: bool,
) -> EmpiricalNTK:
    torch = _import_torch()
    init_seed, sketch_seed = (int(s) for s in seq.generate_state(2, dtype=np.uint64))
    gen = torch.Generator().manual_seed(init_seed)
    n, d = X.shape
    module = _build_mlp(torch, [d] + [hidden] * depth + [n_classes], sigma_w, sigma_b, gen)
    Xt = torch.from_numpy(np.array(X, dtype=np.float64, order="C"))  # a writable copy
    onehot = torch.nn.functional.one_hot(torch.from_numpy(labels), n_classes).to(torch.float64)
    net = _TrueClassNet(torch, module, Xt, onehot, hidden)
    P = net.n_params
    outputs = net.outputs().numpy().copy()
    fits = n * P * 8 <= _BLOCK_BYTES
    empty = np.zeros((n, 0))
    if rank is None:
        if fits:
            J = net.jacobian(slice(0, n))
            K = (J @ J.T).numpy()
            path = "exact"
        else:
            K = _blocked_kernel(net, n, P)
            path = "exact-blocked"
        K = 0.5 * (K + K.T)
        return EmpiricalNTK(K, outputs, empty, path, P, None)
    # Gaussian sketch S (P, r) drawn in chunks of columns; the same draws on both paths.
    sketch_gen = torch.Generator().manual_seed(sketch_seed)
    chunk = max(1, _BLOCK_BYTES // (8 * P))
    J = net.jacobian(slice(0, n)) if fits else None
    features = np.empty((n, rank))
    for start in range(0, rank, chunk):
        c = min(chunk, rank - start)
        # one draw per tangent: the sketch does not depend on the chunking, and the first
        # r' columns of a rank-r sketch are the rank-r' sketch
        T = torch.stack(
            [torch.randn(P, generator=sketch_gen, dtype=torch.float64) for _ in range(c)]
        )
        proj = J @ T.T if J is not None else net.jvp(T)
        features[:, start : start + c] = proj.numpy()
    features /= math.sqrt(rank)
    K = features @ features.T if form_kernel else np.zeros((0, 0))
    return EmpiricalNTK(K, outputs, features, "projection" if fits else "projection-jvp", P, rank)


def empirical_ntk(
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_classes: int | None = None,
    hidden: int = 256,
    depth: int = 2,
    sigma_w: float = _DEFAULT_SIGMA_W,
    sigma_b: float = _DEFAULT_SIGMA_B,
    projection: int | None = None,
    rng: RngLike = None,
) -> EmpiricalNTK:
    """Empirical NTK at initialisation of the true-class outputs of a ReLU MLP.

    Term T3 of docs/math/valuation.md.

    Builds the MLP of the module docstring (``depth`` hidden layers of ``hidden`` units,
    ``n_classes`` outputs, float64, parameters from a local ``torch.Generator`` seeded by
    ``rng``) and returns ``Θ0 = J Jᵀ``, ``J_i = ∇θ f_{y_i}(x_i; θ0)``, computed with
    ``torch.func`` (``functional_call``, ``vmap``, ``jacrev``; ``jvp`` on the sketch path).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs.
    y : array_like of int, shape (n,)
        Class labels ``0..C-1``.
    n_classes : int, optional
        Number of outputs ``C``; ``max(y) + 1`` by default.
    hidden, depth : int
        Width and number of hidden layers.
    sigma_w, sigma_b : float
        NTK-parametrisation scales (module docstring).
    projection : int, optional
        Sketch rank ``r``: return ``J_r J_rᵀ`` with ``J_r = J S / sqrt(r)``, ``S`` an i.i.d.
        N(0, 1) ``(P, r)`` matrix (an unbiased estimate of ``Θ0``). None: exact. When ``J``
        (``n·P`` float64) exceeds about 100 MB, the exact kernel is assembled column block by
        column block as ``J J_aᵀ`` and the sketch as ``J s``, both by forward-mode products
        (``J`` never materialised).
    rng : None, int or Generator
        Seed of the initialisation (and of the sketch).

    Returns
    -------
    EmpiricalNTK

    Raises
    ------
    OptionalDependencyError
        torch is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> res = empirical_ntk(np.eye(4), [0, 1, 0, 1], hidden=32, rng=0)
    >>> res.kernel.shape, res.path
    ((4, 4), 'exact')
    """
    Xa = _check_X(X)
    labels, classes = _check_labels(y, Xa.shape[0], n_classes)
    hidden = check_int(hidden, "hidden", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    sw = _check_sigma(sigma_w, "sigma_w", positive=True)
    sb = _check_sigma(sigma_b, "sigma_b", positive=False)
    rank = None if projection is None else check_int(projection, "projection", minimum=1)
    seq = seed_sequence(rng)
    return _empirical(Xa, labels, classes, hidden, depth, sw, sb, rank, seq, form_kernel=True)


# ------------------------------------------------------------------ T3 and KRR loss
def _ridge(trace: float, n: int, ridge: float | None) -> float:
    if ridge is not None:
        return ridge
    rho = _RELATIVE_RIDGE * trace / n
    if not rho > 0:
        raise SynthmixError("the NTK is identically zero (tr Θ0 = 0): give a ridge explicitly")
    return rho


def _terms_direct(
    K: NDArray[np.float64], residual: NDArray[np.float64], ridge: float | None
) -> KernelRidgeTerms:
    n = K.shape[0]
    trace = float(np.trace(K))
    rho = _ridge(trace, n, ridge)
    A = K + rho * np.eye(n)
    alpha = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A, lower=True), residual)
    quad = float(residual @ alpha)
    return KernelRidgeTerms(
        math.sqrt(max(quad, 0.0) / n), rho**2 * float(alpha @ alpha) / n, rho, trace
    )


def _terms_woodbury(
    F: NDArray[np.float64], residual: NDArray[np.float64], ridge: float | None
) -> KernelRidgeTerms:
    """Θ = F Fᵀ, F (n, r): (FFᵀ + ρI)⁻¹ŷ = (ŷ − F (ρI + FᵀF)⁻¹ Fᵀŷ) / ρ."""
    n, r = F.shape
    trace = float(np.einsum("ij,ij->", F, F))
    rho = _ridge(trace, n, ridge)
    G = F.T @ F + rho * np.eye(r)
    inner = scipy.linalg.cho_solve(scipy.linalg.cho_factor(G, lower=True), F.T @ residual)
    alpha = (residual - F @ inner) / rho
    quad = float(residual @ alpha)
    return KernelRidgeTerms(
        math.sqrt(max(quad, 0.0) / n), rho**2 * float(alpha @ alpha) / n, rho, trace
    )


def kernel_ridge_terms(
    kernel: ArrayLike, residual: ArrayLike, *, ridge: float | None = None
) -> KernelRidgeTerms:
    """T3 ``sqrt(ŷᵀ(Θ + ρI)⁻¹ŷ / n)`` and the KRR loss ``(ρ²/n) ŷᵀ(Θ + ρI)⁻²ŷ``.

    Terms T1/T3 of docs/math/valuation.md.

    Parameters
    ----------
    kernel : array_like, shape (n, n)
        A symmetric PSD kernel matrix Θ (symmetry is not re-checked; its lower triangle is
        used by the Cholesky factorisation).
    residual : array_like, shape (n,)
        ``ŷ``.
    ridge : float, optional
        ``ρ > 0``; default ``1e-4 · tr(Θ) / n``.

    Returns
    -------
    KernelRidgeTerms

    Examples
    --------
    >>> t = kernel_ridge_terms(np.eye(2), [1.0, 1.0], ridge=1.0)
    >>> round(t.complexity, 6), round(t.krr_loss, 6)
    (0.707107, 0.25)
    """
    K = as_float_array(kernel, "kernel")
    if K.ndim != 2 or K.shape[0] != K.shape[1] or K.shape[0] == 0:
        raise fail("kernel", "be a non-empty square matrix", f"shape {K.shape}")
    res = as_float_array(residual, "residual")
    if res.shape != (K.shape[0],):
        raise fail("residual", f"have shape ({K.shape[0]},)", f"shape {res.shape}")
    rho = None if ridge is None else _check_sigma(ridge, "ridge", positive=True)
    return _terms_direct(K, res, rho)


def ntk_complexity(
    X: ArrayLike,
    y: ArrayLike,
    *,
    kernel: Literal["empirical", "analytic"] = "empirical",
    n_classes: int | None = None,
    hidden: int = 256,
    depth: int = 2,
    sigma_w: float = _DEFAULT_SIGMA_W,
    sigma_b: float = _DEFAULT_SIGMA_B,
    ridge: float | None = None,
    projection: int | Literal["auto"] | None = "auto",
    n_seeds: int = 3,
    rng: RngLike = None,
) -> NTKResult:
    """NTK complexity term T3 and NTK kernel-ridge loss of a labelled sample.

    Terms T3 and T1 of docs/math/valuation.md.

    ``T3 = sqrt(ŷᵀ(Θ0 + ρI)⁻¹ŷ / n)`` and ``krr_loss = (ρ²/n) ŷᵀ(Θ0 + ρI)⁻²ŷ`` with
    ``ρ = 1e-4 · tr(Θ0) / n`` unless ``ridge`` is given.

    * ``kernel="empirical"``: Θ0 is the empirical true-class NTK of a randomly initialised
      MLP (:func:`empirical_ntk`) and ``ŷ_i = 1 − f_{y_i}(x_i; θ0)`` (DAVINZ's residual);
      both terms are averaged over ``n_seeds`` independent initialisations (child seeds of
      ``rng``), with the standard error and coefficient of variation over seeds.
    * ``kernel="analytic"``: Θ0 is the infinite-width limit of the same kernel,
      ``Θ^{L+1}(x_i, x_j) · 1{y_i = y_j}`` (:func:`analytic_ntk`; block diagonal by class, so it
      is factorised one class at a time), and ``ŷ = 1``: the infinite-width network's output
      at initialisation is a centred Gaussian process, so ``1 − f`` has mean 1 (ours). No
      randomness: one "seed", CV 0.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs.
    y : array_like of int, shape (n,)
        Class labels ``0..C-1``.
    kernel : {"empirical", "analytic"}
    n_classes : int, optional
        Network outputs ``C``; ``max(y) + 1`` by default.
    hidden, depth : int
        Width (empirical kernel only) and number of hidden layers.
    sigma_w, sigma_b : float
        NTK-parametrisation scales (module docstring).
    ridge : float, optional
        Absolute ridge ``ρ > 0``.
    projection : int, "auto" or None
        Empirical kernel only. None: exact Θ0 and a Cholesky solve. int ``r``: Gaussian sketch
        ``J_r`` of rank ``r`` and the Woodbury identity (``r × r`` Cholesky; Θ0 never formed).
        ``"auto"``: exact for ``n <= 2048``, rank 1024 above.
    n_seeds : int, default 3
        Initialisations averaged (empirical kernel).
    rng : None, int or Generator

    Returns
    -------
    NTKResult

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(30, 3))
    >>> res = ntk_complexity(X, np.arange(30) % 2, kernel="analytic")
    >>> res.path, res.complexity_cv
    ('analytic', 0.0)
    """
    Xa = _check_X(X)
    n = Xa.shape[0]
    labels, classes = _check_labels(y, n, n_classes)
    if kernel not in ("empirical", "analytic"):
        raise fail("kernel", 'be "empirical" or "analytic"', kernel)
    hidden = check_int(hidden, "hidden", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    sw = _check_sigma(sigma_w, "sigma_w", positive=True)
    sb = _check_sigma(sigma_b, "sigma_b", positive=False)
    rho = None if ridge is None else _check_sigma(ridge, "ridge", positive=True)
    proj = _check_projection(projection)
    n_seeds = check_int(n_seeds, "n_seeds", minimum=1)
    seed = int_seed(rng)

    terms: list[KernelRidgeTerms] = []
    rank: int | None = None
    if kernel == "analytic":
        terms.append(_analytic_terms(Xa, labels, depth, sw, sb, rho))
        path = "analytic"
    else:
        auto_rank = None if n <= _AUTO_EXACT_MAX_N else _AUTO_RANK
        rank = auto_rank if proj == "auto" else proj
        path = ""
        for child in seed_sequence(rng).spawn(n_seeds):
            emp = _empirical(Xa, labels, classes, hidden, depth, sw, sb, rank, child, False)
            residual = 1.0 - emp.outputs
            if rank is None:
                terms.append(_terms_direct(emp.kernel, residual, rho))
            else:
                terms.append(_terms_woodbury(emp.features, residual, rho))
            path = emp.path

    comp = np.array([t.complexity for t in terms])
    loss = np.array([t.krr_loss for t in terms])
    k = len(terms)
    if k > 1:
        comp_sd, loss_sd = float(comp.std(ddof=1)), float(loss.std(ddof=1))
    else:
        comp_sd = loss_sd = 0.0
    mean = float(comp.mean())
    return NTKResult(
        complexity=mean,
        complexity_stderr=comp_sd / math.sqrt(k),
        complexity_cv=comp_sd / mean if mean > 0 else 0.0,
        krr_loss=float(loss.mean()),
        krr_loss_stderr=loss_sd / math.sqrt(k),
        complexity_per_seed=comp,
        krr_loss_per_seed=loss,
        ridge_per_seed=np.array([t.ridge for t in terms]),
        kernel=kernel,
        path=path,
        projection=rank,
        n=n,
        n_classes=classes,
        hidden=hidden,
        depth=depth,
        sigma_w=sw,
        sigma_b=sb,
        n_seeds=k,
        seed=seed,
    )


def _analytic_terms(
    X: NDArray[np.float64],
    labels: NDArray[np.int64],
    depth: int,
    sigma_w: float,
    sigma_b: float,
    ridge: float | None,
) -> KernelRidgeTerms:
    """T3 and KRR loss for ``Θ = Θ^{L+1} ∘ 1{y_i = y_j}``, ``ŷ = 1``, one class block at a time."""
    n = X.shape[0]
    # diagonal of Θ^{L+1}: Σ^{l+1}(x,x) = σ_w² Σ^l(x,x)/2 + σ_b², Σ̇^{l+1}(x,x) = σ_w²/2
    sw2, sb2 = sigma_w**2, sigma_b**2
    s = sw2 * np.einsum("ij,ij->i", X, X) / X.shape[1] + sb2
    th = s.copy()
    for _ in range(depth):
        s = sw2 * s / 2.0 + sb2
        th = th * sw2 / 2.0 + s
    trace = float(th.sum())
    rho = _ridge(trace, n, ridge)
    quad = 0.0
    sq = 0.0
    for c in np.unique(labels):
        Xc = X[labels == c]
        K = _analytic(Xc, None, depth, sigma_w, sigma_b, which=1)
        ones = np.ones(Xc.shape[0])
        factor = scipy.linalg.cho_factor(K + rho * np.eye(Xc.shape[0]), lower=True)
        alpha = scipy.linalg.cho_solve(factor, ones)
        quad += float(ones @ alpha)
        sq += float(alpha @ alpha)
    return KernelRidgeTerms(math.sqrt(max(quad, 0.0) / n), rho**2 * sq / n, rho, trace)
