"""Per-sample attribution baselines, aggregated per data source (docs/math/valuation.md, Baselines).

Every method scores each training sample ``i`` (pooled over the sources) against each reference
sample ``j`` and returns a score matrix ``S`` of shape ``(n_train, n_reference)``, oriented so that
``S[i, j] > 0`` means that training sample ``i`` *helps* reference sample ``j`` (lowers its loss,
raises its margin, or votes for its label). The value of source ``c`` is

.. math::

    v_c = \\frac{1}{n_{ref}} \\sum_{j=1}^{n_{ref}} \\sum_{i \\in S_c} S_{ij},

the mean over reference samples of the summed attribution of the source's samples; the per-sample
terms :math:`\\frac{1}{n_{ref}} \\sum_j S_{ij}` are kept in :attr:`AttributionResult.per_sample`,
so ``per_sample[c].sum() == values[c]``.

The methods use maintained implementations (``dattri`` 0.3.0), not re-writings:

``"tracin"``
    TracInCP (Pruthi et al. 2020) with ``dattri.algorithm.TracInAttributor``:
    :math:`S_{ij} = \\sum_t \\eta\\, \\nabla\\ell(z_i; \\theta_t)
    \\cdot \\nabla\\ell(z'_j; \\theta_t)`
    over the saved checkpoints :math:`\\theta_t` with the constant SGD learning rate
    :math:`\\eta`, on exact (identity-projected) gradients of the cross-entropy.
``"trak"``
    TRAK (Park et al. 2023) with ``dattri.algorithm.TRAKAttributor``: gradients of the margin
    :math:`f = \\log(p/(1-p))` projected by a Gaussian sketch to ``proj_dim`` dimensions,
    :math:`S = Q\\, \\Phi (\\Phi^\\top\\Phi + \\lambda I)^{-1} \\Phi_{ref}^\\top` averaged over the
    checkpoints as an ensemble, :math:`Q = \\mathrm{diag}(1 - p_i)`.
``"logra"``
    LoGra (Choe et al. 2024) with ``dattri.algorithm.LoGraAttributor``: influence functions on
    Kronecker-factored projected gradients of every linear layer (``proj_dim`` must be a
    perfect square, ``sqrt(proj_dim)`` per factor), empirical-Fisher Hessian with dattri's
    adaptive damping, final checkpoint only (dattri's LoGra uses one model).
``"knn_shapley"``
    KNN-Shapley (Jia et al. 2019, exact recursion) with
    ``dattri.algorithm.KNNShapleyAttributor`` on the standardised input features (Euclidean
    distance, ``k`` neighbours). dattri returns ``(n_reference, n_train)``; it is transposed.

The gradient-based methods share one model: an MLP ``d -> hidden -> C`` with a ReLU, float32,
trained on the pooled, standardised training data (z-scores with the pooled mean and standard
deviation, applied to the reference too) by minibatch SGD on the mean cross-entropy, with a
constant learning rate, for ``epochs`` epochs; ``n_checkpoints`` parameter snapshots at evenly
spaced epochs (the last one is the final model). The initialisation and the minibatch order come
from a local :class:`torch.Generator` seeded from ``rng``, the random projections from a seed
derived from ``rng`` too: a fixed ``rng`` gives the same values (the global torch RNG is neither
read nor reset). dattri 0.3.0's LoGra takes no seed (its sketches always use seed 0), so for
``"logra"`` ``rng`` only seeds the model. torch runs on one intra-op thread during the call (the
previous setting is restored); the libraries keep scores in float32, returned as float64.

Cross-checks (tests/valuation/test_attribution.py): dattri's TracInCP equals captum's
``TracInCP`` to float32 round-off; dattri's TRAK without projection is proportional to traker's
``TRAKer`` (traker rescales :math:`(\\Phi^\\top\\Phi + \\lambda I)^{-1}` by its mean absolute
entry), and with independent Gaussian sketches their rankings agree (Spearman > 0.98);
dattri's KNN-Shapley values are efficient. dattri prints tqdm progress bars on stderr.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix._random import RngLike, seed_sequence
from synthmix._types import FloatArray
from synthmix._validation import as_float_array, check_int, fail
from synthmix.data import Dataset
from synthmix.exceptions import SynthmixError
from synthmix.valuation.ntk import OptionalDependencyError

__all__ = ["ATTRIBUTION_METHODS", "AttributionResult", "attribution_values"]

ATTRIBUTION_METHODS = ("tracin", "trak", "logra", "knn_shapley")


_INSTALL_HINT = "pip install 'synthmix[baselines]'"
_MODULES = {
    "tracin": "dattri.algorithm.tracin",
    "trak": "dattri.algorithm.trak",
    "logra": "dattri.algorithm.logra",
    "knn_shapley": "dattri.algorithm.data_shapley",
}


@dataclass(frozen=True)
class AttributionResult:
    """Per-source values from a per-sample attribution method (see :func:`attribution_values`).

    Attributes
    ----------
    values : dict
        Source name -> value (higher = more valuable): the mean over reference samples of the
        summed scores of the source's training samples.
    per_sample : dict
        Source name -> ndarray of shape ``(n_c,)``: each training sample's score averaged over
        the reference samples; ``per_sample[c].sum() == values[c]`` (float64 round-off).
    scores : ndarray, shape (n_train, n_reference)
        The attribution matrix, rows in the order of the sources (each source's samples in
        their order), positive = the training sample helps the reference sample.
    method : str
        One of :data:`ATTRIBUTION_METHODS`.
    library : str
        The implementation used, with its version (e.g. ``"dattri 0.3.0"``).
    seconds : float
        Wall time of the computation (training the model included, importing the libraries
        excluded), in seconds.
    peak_memory_mb : float
        Increase of the process's peak resident set size during the call
        (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which sees torch's allocations), in MiB.
        It is 0 when the call stayed below an earlier peak of the process: measure in a fresh
        process for a comparable number.
    n_train : int
        Training samples over all sources.
    n_reference : int
        Reference samples.
    seed : object
        Entropy of the seed sequence behind ``rng``.
    params : dict
        The options used (epochs, hidden, proj_dim, k, batch_size, n_checkpoints,
        learning_rate, regularization).
    """

    values: dict[str, float]
    per_sample: dict[str, FloatArray]
    scores: FloatArray
    method: str
    library: str
    seconds: float
    peak_memory_mb: float
    n_train: int
    n_reference: int
    seed: Any
    params: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- validation
def _check_sources(
    sources: Any, reference: Any
) -> tuple[list[str], list[Dataset], Dataset, NDArray[np.intp], NDArray[np.intp], int]:
    """Validated names, datasets and the label codes of the pooled training and reference data.

    Returns ``(names, datasets, reference, y_train, y_ref, n_classes)`` with labels mapped to
    ``0..C-1`` by sorting the distinct labels of ``sources ∪ reference``.
    """
    if not isinstance(reference, Dataset):
        raise fail("reference", "be a synthmix.data.Dataset", type(reference).__name__)
    if not isinstance(sources, Mapping):
        raise fail("sources", "be a mapping of names to Datasets", type(sources).__name__)
    names = list(sources.keys())
    if not names:
        raise fail("sources", "hold at least one source", "an empty mapping")
    for name in names:
        if not isinstance(name, str) or not name:
            raise fail("sources", "have non-empty string names", name)
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise fail("sources", "have distinct names", f"duplicates {dupes}")
    datasets: list[Dataset] = []
    family = "string" if reference.y.dtype.kind in "US" else "numeric"
    if reference.n < 1:
        raise fail("reference", "hold at least one sample", "0 samples")
    for name in names:
        ds = sources[name]
        label = f"sources[{name!r}]"
        if not isinstance(ds, Dataset):
            raise fail(label, "be a synthmix.data.Dataset", type(ds).__name__)
        if ds.n < 1:
            raise fail(label, "hold at least one sample", "0 samples")
        if ds.d != reference.d:
            raise fail(label, f"have d = {reference.d} features like the reference", f"d = {ds.d}")
        if ("string" if ds.y.dtype.kind in "US" else "numeric") != family:
            raise fail(label, f"have {family} labels like the reference", f"dtype {ds.y.dtype}")
        as_float_array(ds.X, label)  # finite (Dataset guarantees it; cheap belt and braces)
        datasets.append(ds)
    if np.unique(reference.y).size < 2:
        raise fail("reference", "hold at least two classes", reference.classes.tolist())
    pooled = np.concatenate([ds.y for ds in datasets])
    classes, codes = np.unique(np.concatenate([pooled, reference.y]), return_inverse=True)
    codes = codes.astype(np.intp)
    return names, datasets, reference, codes[: pooled.size], codes[pooled.size :], classes.size


def _check_method(method: Any) -> str:
    if not isinstance(method, str) or method not in ATTRIBUTION_METHODS:
        raise fail("method", f"be one of {list(ATTRIBUTION_METHODS)}", method)
    return method


def _check_positive_float(value: Any, name: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise fail(name, "be a real number", value)
    out = float(value)
    if not math.isfinite(out) or out < 0 or (out == 0 and not allow_zero):
        raise fail(name, "be >= 0 and finite" if allow_zero else "be > 0 and finite", value)
    return out


# --------------------------------------------------------------------------- dependencies
def _import(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OptionalDependencyError(
            f"attribution baselines need {module.split('.')[0]!r}, which is not installed: "
            f"{_INSTALL_HINT}"
        ) from exc


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover - imported but not installed
        return "unknown"


# --------------------------------------------------------------------------- model
@dataclass
class _Problem:
    """Standardised float32 tensors, the trained model and its checkpoints."""

    torch: Any
    X_train: Any
    y_train: Any
    X_ref: Any
    y_ref: Any
    n_classes: int
    model: Any
    checkpoints: list[dict[str, Any]]
    learning_rate: float
    proj_seed: int


def _build_mlp(torch: Any, d: int, hidden: int, n_classes: int, gen: Any) -> Any:
    """``Linear(d, hidden) -> ReLU -> Linear(hidden, C)``, float32, PyTorch's default
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` initialisation drawn from ``gen``.

    ``skip_init`` builds the layers without touching the global RNG.
    """
    nn = torch.nn
    layers = [
        nn.utils.skip_init(nn.Linear, d, hidden, dtype=torch.float32),
        nn.ReLU(),
        nn.utils.skip_init(nn.Linear, hidden, n_classes, dtype=torch.float32),
    ]
    with torch.no_grad():
        for layer in (layers[0], layers[2]):
            bound = 1.0 / math.sqrt(layer.in_features)
            for p in (layer.weight, layer.bias):
                p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * bound)
    return nn.Sequential(*layers)


def _checkpoint_epochs(epochs: int, n_checkpoints: int) -> set[int]:
    """``n_checkpoints`` epochs evenly spaced in ``1..epochs``, the last one included."""
    return {round(epochs * (t + 1) / n_checkpoints) for t in range(n_checkpoints)}


@dataclass(frozen=True)
class _Options:
    """The validated keyword options of :func:`attribution_values`."""

    epochs: int = 30
    hidden: int = 64
    proj_dim: int = 256
    k: int = 5
    batch_size: int = 32
    n_checkpoints: int = 5
    learning_rate: float = 0.1
    regularization: float = 1e-6


@contextmanager
def _single_threaded(torch: Any) -> Iterator[None]:
    """Run torch on one intra-op thread, restoring the previous setting afterwards.

    The models are tiny: extra threads only contend (150 SGD steps of a 5-16-3 MLP took 7 s on
    2 busy cores with 2 threads, 0.05 s with 1). One thread also makes the float sums
    reproducible.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    # dattri draws a tqdm bar on stderr for every pass over the data (its modules bind
    # ``tqdm`` at import, and TQDM_DISABLE is read only when tqdm is imported): silence them
    # for the call, synthmix shows its own progress.
    patched: dict[Any, type] = {}
    for name, module in list(sys.modules.items()):
        bar = getattr(module, "tqdm", None) if name.startswith("dattri") else None
        if isinstance(bar, type):
            patched[module] = bar
            setattr(module, "tqdm", functools.partial(bar, disable=True))  # noqa: B010
    try:
        yield
    finally:
        torch.set_num_threads(before)
        for module, bar in patched.items():
            setattr(module, "tqdm", bar)  # noqa: B010


def _standardised(datasets: list[Dataset], reference: Dataset) -> tuple[FloatArray, FloatArray]:
    """Pooled training features and reference features as z-scores of the pooled training
    data (a constant feature is centred only)."""
    X = np.concatenate([ds.X for ds in datasets])
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    return (X - mean) / sd, (reference.X - mean) / sd


def _train(
    torch: Any,
    datasets: list[Dataset],
    reference: Dataset,
    y_train: NDArray[np.intp],
    y_ref: NDArray[np.intp],
    n_classes: int,
    opts: _Options,
    seq: np.random.SeedSequence,
) -> _Problem:
    """Train the shared MLP on the pooled sources; keep ``opts.n_checkpoints`` snapshots."""
    Xt, Xr = _standardised(datasets, reference)
    X_train = torch.as_tensor(Xt, dtype=torch.float32)
    X_ref = torch.as_tensor(Xr, dtype=torch.float32)
    yt = torch.as_tensor(y_train, dtype=torch.int64)
    yr = torch.as_tensor(y_ref, dtype=torch.int64)

    torch_seed, proj_seed = (int(s) for s in seq.generate_state(2, dtype=np.uint32))
    gen = torch.Generator().manual_seed(torch_seed)
    model = _build_mlp(torch, X_train.shape[1], opts.hidden, n_classes, gen)
    optimiser = torch.optim.SGD(model.parameters(), lr=opts.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    keep = _checkpoint_epochs(opts.epochs, opts.n_checkpoints)
    checkpoints: list[dict[str, Any]] = []
    n = X_train.shape[0]
    for epoch in range(1, opts.epochs + 1):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, opts.batch_size):
            idx = order[start : start + opts.batch_size]
            optimiser.zero_grad()
            loss_fn(model(X_train[idx]), yt[idx]).backward()
            optimiser.step()
        if epoch in keep:
            checkpoints.append({k: v.detach().clone() for k, v in model.state_dict().items()})
    model.eval()
    return _Problem(
        torch, X_train, yt, X_ref, yr, n_classes, model, checkpoints, opts.learning_rate, proj_seed
    )


def _loader(torch: Any, X: Any, y: Any, batch_size: int) -> Any:
    data = torch.utils.data.TensorDataset(X, y)
    return torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=False)


# --------------------------------------------------------------------------- methods
def _tracin_dattri(prob: _Problem, batch_size: int) -> Any:
    """dattri TracInCP on exact gradients (identity projection), ``(n_train, n_ref)``."""
    torch = prob.torch
    task_mod = _import("dattri.task")
    algo = _import("dattri.algorithm.tracin")
    model = prob.model
    F = torch.nn.functional

    def loss_func(params: Any, data: Any) -> Any:
        x, y = data
        logits = torch.func.functional_call(model, params, (x.unsqueeze(0),))
        return F.cross_entropy(logits, y.unsqueeze(0))

    task = task_mod.AttributionTask(loss_func=loss_func, model=model, checkpoints=prob.checkpoints)
    weights = torch.full((len(prob.checkpoints),), prob.learning_rate)
    attributor = algo.TracInAttributor(
        task=task, weight_list=weights, normalized_grad=False, device="cpu"
    )
    # dattri's __init__ updates its module-level default dict in place when given kwargs;
    # setting the attribute afterwards leaves the library's defaults untouched.
    attributor.projector_kwargs = {
        "proj_dim": 1,  # ignored by the identity projection
        "proj_max_batch_size": 32,
        "proj_seed": prob.proj_seed,
        "proj_type": "identity",
        "device": "cpu",
    }
    return attributor.attribute(
        _loader(torch, prob.X_train, prob.y_train, batch_size),
        _loader(torch, prob.X_ref, prob.y_ref, batch_size),
    )


def _margin_functions(prob: _Problem) -> tuple[Any, Any]:
    """TRAK's model output ``log(p_y / (1 - p_y))`` and ``p_y`` for one sample ``(x, y)``."""
    torch = prob.torch
    model = prob.model
    classes = torch.arange(prob.n_classes)

    def margin(params: Any, data: Any) -> Any:
        x, y = data
        logits = torch.func.functional_call(model, params, (x.unsqueeze(0),))[0]
        is_y = classes == y
        correct = torch.where(is_y, logits, torch.zeros_like(logits)).sum()
        others = torch.logsumexp(logits.masked_fill(is_y, -torch.inf), dim=0)
        return correct - others

    def correct_probability(params: Any, data: Any) -> Any:
        x, y = data
        logits = torch.func.functional_call(model, params, (x.unsqueeze(0),))[0]
        p = torch.softmax(logits, dim=0)
        return torch.where(classes == y, p, torch.zeros_like(p)).sum()

    return margin, correct_probability


def _trak_dattri(prob: _Problem, batch_size: int, proj_dim: int, regularization: float) -> Any:
    """dattri TRAK over all checkpoints, Gaussian projection to ``proj_dim``,
    ``(n_train, n_ref)``."""
    torch = prob.torch
    task_mod = _import("dattri.task")
    algo = _import("dattri.algorithm.trak")
    margin, correct_probability = _margin_functions(prob)
    task = task_mod.AttributionTask(
        loss_func=margin, model=prob.model, checkpoints=prob.checkpoints
    )
    attributor = algo.TRAKAttributor(
        task=task,
        correct_probability_func=correct_probability,
        device="cpu",
        regularization=regularization,
    )
    attributor.projector_kwargs = {  # see _tracin_dattri for why not via __init__
        "proj_dim": proj_dim,
        "proj_max_batch_size": 32,
        "proj_seed": prob.proj_seed,
        "proj_type": "normal",
        "device": "cpu",
    }
    attributor.cache(_loader(torch, prob.X_train, prob.y_train, batch_size))
    return attributor.attribute(_loader(torch, prob.X_ref, prob.y_ref, batch_size))


def _logra_dattri(prob: _Problem, batch_size: int, proj_dim: int) -> Any:
    """dattri LoGra on the final checkpoint, ``(n_train, n_ref)``.

    dattri 0.3.0 sets up its projections with ``batch[0][0]`` (one sample) of the first
    training batch, which only works for inputs with a leading non-batch axis; the samples are
    therefore fed as ``(n, 1, d)`` through ``Flatten -> MLP`` (same parameters, so the
    per-sample gradients are those of the MLP).
    """
    torch = prob.torch
    task_mod = _import("dattri.task")
    algo = _import("dattri.algorithm.logra")
    F = torch.nn.functional
    model = torch.nn.Sequential(torch.nn.Flatten(), prob.model)
    final = {f"1.{key}": value for key, value in prob.checkpoints[-1].items()}

    def loss_func(model: Any, batch: Any, device: Any) -> Any:
        # Summed (not averaged) so the hooked per-sample gradients are those of each sample's
        # own loss; the reference side is fed one sample per batch for the same reason (dattri
        # averages the test loss over a batch).
        x, y = batch
        return F.cross_entropy(model(x.to(device)), y.to(device), reduction="sum")

    task = task_mod.AttributionTask(loss_func=loss_func, model=model, checkpoints=final)
    X_train = prob.X_train.unsqueeze(1)
    with tempfile.TemporaryDirectory(prefix="synthmix-logra-") as cache_dir:
        attributor = algo.LoGraAttributor(
            task=task, proj_dim=proj_dim, device="cpu", offload="cpu", cache_dir=cache_dir
        )
        attributor.cache(_loader(torch, X_train, prob.y_train, batch_size))
        return attributor.attribute(
            _loader(torch, X_train, prob.y_train, batch_size),
            _loader(torch, prob.X_ref.unsqueeze(1), prob.y_ref, 1),
        )


def _knn_shapley_dattri(
    torch: Any, X_train: Any, y_train: Any, X_ref: Any, y_ref: Any, k: int, batch_size: int
) -> Any:
    """dattri KNN-Shapley on the given features, transposed to ``(n_train, n_ref)``."""
    algo = _import("dattri.algorithm.data_shapley")
    attributor = algo.KNNShapleyAttributor(k_neighbors=k)
    out = attributor.attribute(
        _loader(torch, X_train, y_train, batch_size),
        _loader(torch, X_ref, y_ref, batch_size),
        train_labels=y_train.tolist(),
        test_labels=y_ref.tolist(),
    )
    return out.T  # dattri returns (n_test, n_train)


def _run(
    method: str,
    torch: Any,
    datasets: list[Dataset],
    reference: Dataset,
    y_train: NDArray[np.intp],
    y_ref: NDArray[np.intp],
    n_classes: int,
    opts: _Options,
    seq: np.random.SeedSequence,
) -> Any:
    """The raw ``(n_train, n_ref)`` score tensor of ``method``."""
    if method == "knn_shapley":
        Xt, Xr = _standardised(datasets, reference)
        return _knn_shapley_dattri(
            torch,
            torch.as_tensor(Xt, dtype=torch.float32),
            torch.as_tensor(y_train, dtype=torch.int64),
            torch.as_tensor(Xr, dtype=torch.float32),
            torch.as_tensor(y_ref, dtype=torch.int64),
            opts.k,
            opts.batch_size,
        )
    prob = _train(torch, datasets, reference, y_train, y_ref, n_classes, opts, seq)
    if method == "tracin":
        return _tracin_dattri(prob, opts.batch_size)
    if method == "trak":
        return _trak_dattri(prob, opts.batch_size, opts.proj_dim, opts.regularization)
    return _logra_dattri(prob, opts.batch_size, opts.proj_dim)


# --------------------------------------------------------------------------- public API
def attribution_values(
    sources: Mapping[str, Dataset],
    reference: Dataset,
    *,
    method: str,
    rng: RngLike = 0,
    epochs: int = 30,
    hidden: int = 64,
    proj_dim: int = 256,
    k: int = 5,
    batch_size: int = 32,
    n_checkpoints: int = 5,
    learning_rate: float = 0.1,
    regularization: float = 1e-6,
) -> AttributionResult:
    """Value data sources by summing per-sample attribution scores to a reference set.

    Parameters
    ----------
    sources : mapping of str to Dataset
        The contributors, each with ``n_c >= 1`` samples of the reference's ``d`` features.
        Their union is the training set (rows in the mapping's order).
    reference : Dataset
        Samples of the target distribution (a validation split), ``n_ref`` samples, at least
        two classes. Labels (ints or strings, one kind for all data sets) are mapped to
        ``0..C-1`` over ``sources ∪ reference``.
    method : {"tracin", "trak", "logra", "knn_shapley"}
        See the module docstring.
    rng : None, int, SeedSequence or Generator
        Seeds the model's initialisation, the minibatch order and the random projections.
    epochs : int
        SGD epochs over the pooled training set (gradient methods).
    hidden : int
        Width of the MLP's hidden layer.
    proj_dim : int
        Projection dimension of ``"trak"`` (Gaussian sketch of the parameter gradients) and
        of ``"logra"`` (a perfect square; ``sqrt(proj_dim)`` per Kronecker factor). Ignored by
        ``"tracin"`` (exact gradients) and ``"knn_shapley"``.
    k : int
        Neighbours of ``"knn_shapley"``.
    batch_size : int
        Minibatch size of training and of the libraries' data loaders.
    n_checkpoints : int
        Parameter snapshots kept at evenly spaced epochs (``1 <= n_checkpoints <= epochs``):
        summed by TracInCP, averaged as TRAK's ensemble; LoGra uses the last.
    learning_rate : float
        Constant SGD learning rate; TracInCP's per-checkpoint weight.
    regularization : float
        Ridge ``λ`` added to TRAK's :math:`\\Phi^\\top\\Phi` (absolute, on gradients divided by
        sqrt(number of parameters) as dattri does); needed when ``proj_dim >= n_train``.

    Returns
    -------
    AttributionResult
        ``values`` (source -> float), ``per_sample`` (source -> ``(n_c,)``), ``scores``
        ``(n_train, n_ref)``, the library and its version, wall time and peak-memory increase.

    Raises
    ------
    synthmix.exceptions.ValidationError
        On a bad argument; the message starts with its name (``sources['name']`` for a
        source's data).
    synthmix.valuation.ntk.OptionalDependencyError
        When torch or dattri is missing: ``pip install 'synthmix[baselines]'``.

    Examples
    --------
    >>> import numpy as np
    >>> from synthmix.data import Dataset
    >>> g = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> clean = Dataset(g.normal(size=(40, 3)) + 3 * y[:, None], y)
    >>> noisy = Dataset(g.normal(size=(40, 3)) + 3 * y[:, None], 1 - y)
    >>> ref = Dataset(g.normal(size=(30, 3)) + 3 * np.repeat([0, 1], 15)[:, None],
    ...               np.repeat([0, 1], 15))
    >>> out = attribution_values({"clean": clean, "noisy": noisy}, ref, method="knn_shapley")
    >>> out.values["clean"] > out.values["noisy"]
    True
    """
    method = _check_method(method)
    names, datasets, reference, y_train, y_ref, n_classes = _check_sources(sources, reference)
    epochs = check_int(epochs, "epochs", minimum=1)
    hidden = check_int(hidden, "hidden", minimum=1)
    proj_dim = check_int(proj_dim, "proj_dim", minimum=1)
    k = check_int(k, "k", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    n_checkpoints = check_int(n_checkpoints, "n_checkpoints", minimum=1, maximum=epochs)
    learning_rate = _check_positive_float(learning_rate, "learning_rate")
    regularization = _check_positive_float(regularization, "regularization", allow_zero=True)
    if method == "logra" and math.isqrt(proj_dim) ** 2 != proj_dim:
        raise fail("proj_dim", "be a perfect square for method='logra'", proj_dim)
    opts = _Options(
        epochs, hidden, proj_dim, k, batch_size, n_checkpoints, learning_rate, regularization
    )
    seq = seed_sequence(rng)

    torch = _import("torch")  # imports happen before the clock and the memory baseline start
    _import(_MODULES[method])
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with _single_threaded(torch), warnings.catch_warnings():
        # dattri's LoGra asks its loaders for pinned memory, which warns without an accelerator.
        warnings.filterwarnings("ignore", message=".*pin_memory.*", category=UserWarning)
        raw = _run(method, torch, datasets, reference, y_train, y_ref, n_classes, opts, seq)
    scores = np.asarray(raw.detach().cpu().numpy(), dtype=np.float64)
    seconds = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n_train, n_ref = y_train.size, y_ref.size
    if scores.shape != (n_train, n_ref):  # pragma: no cover - a library changed its contract
        raise SynthmixError(f"{method}: expected scores {(n_train, n_ref)}, got {scores.shape}")

    scores.flags.writeable = False
    per_sample: dict[str, FloatArray] = {}
    values: dict[str, float] = {}
    start = 0
    for name, ds in zip(names, datasets, strict=True):
        rows = scores[start : start + ds.n].mean(axis=1)
        rows.flags.writeable = False
        per_sample[name] = rows
        values[name] = float(rows.sum())
        start += ds.n
    return AttributionResult(
        values=values,
        per_sample=per_sample,
        scores=scores,
        method=method,
        library=f"dattri {_version('dattri')}",
        seconds=seconds,
        peak_memory_mb=max(rss1 - rss0, 0) / 1024.0,  # ru_maxrss is in KiB on Linux
        n_train=n_train,
        n_reference=n_ref,
        seed=seq.entropy,
        params=dataclasses.asdict(opts),
    )
