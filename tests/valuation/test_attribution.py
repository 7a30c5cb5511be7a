"""Tests of synthmix.valuation.attribution (per-sample attribution baselines via dattri).

Cross-checks against independent maintained implementations: dattri's TracInCP against captum's
``TracInCP``, dattri's TRAK against MadryLab's ``traker``, dattri's KNN-Shapley against the
efficiency property of the exact Shapley values.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pytest
from scipy.stats import spearmanr

from synthmix._random import seed_sequence
from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.valuation.attribution import (
    ATTRIBUTION_METHODS,
    AttributionResult,
    _Options,
    _single_threaded,
    _tracin_dattri,
    _train,
    attribution_values,
)
from synthmix.valuation.ntk import OptionalDependencyError

torch = pytest.importorskip("torch")
pytest.importorskip("dattri")

D = 5
CENTERS = 2.5 * np.eye(3, D)
FAST = {"hidden": 16, "proj_dim": 64, "epochs": 20, "n_checkpoints": 4}


def _blobs(g: np.random.Generator, n: int, *, random_labels: bool = False) -> Dataset:
    y = np.arange(n) % 3
    X = CENTERS[y] + g.normal(size=(n, D))
    if random_labels:
        y = g.integers(0, 3, size=n)
    return Dataset(X, y)


@pytest.fixture(scope="module")
def market() -> tuple[dict[str, Dataset], Dataset]:
    """Three sources of 40 samples (two clean, one with random labels) and 30 references.

    The first sample of source ``"a"`` is a copy of reference sample 0 (orientation check).
    """
    g = np.random.default_rng(20240601)
    reference = _blobs(g, 30)
    a = _blobs(g, 40)
    a = Dataset(np.vstack([reference.X[:1], a.X[1:]]), np.r_[reference.y[:1], a.y[1:]])
    return {"a": a, "b": _blobs(g, 40), "noisy": _blobs(g, 40, random_labels=True)}, reference


_CACHE: dict[str, AttributionResult] = {}


@pytest.fixture(autouse=True, scope="module")
def _fresh_cache() -> None:
    """Start every test session with an empty cache: a run that forks from a process that has
    already filled it (the mutation runner does) must still execute the code under test."""
    _CACHE.clear()


def _result(market: tuple[dict[str, Dataset], Dataset], method: str) -> AttributionResult:
    if method not in _CACHE:
        sources, reference = market
        _CACHE[method] = attribution_values(sources, reference, method=method, rng=7, **FAST)
    return _CACHE[method]


# --------------------------------------------------------------------------- sanity
# Each method runs once per worker: its sanity, bookkeeping and orientation checks share a test.
@pytest.mark.parametrize("method", ATTRIBUTION_METHODS)
def test_method_on_blobs(market: Any, method: str) -> None:
    sources, _ = market
    out = _result(market, method)

    # Sanity: clean sources are worth more than the one with random labels (and are positive).
    assert out.values["a"] > out.values["noisy"]
    assert out.values["b"] > out.values["noisy"]
    assert out.values["a"] > 0 and out.values["b"] > 0

    # Bookkeeping: fields, shapes, and per-sample terms that add up to the values.
    assert out.method == method
    assert out.library.startswith("dattri ")
    assert (out.n_train, out.n_reference) == (120, 30)
    assert out.scores.shape == (120, 30)
    assert np.all(np.isfinite(out.scores))
    assert out.seed == seed_sequence(7).entropy
    assert out.seconds > 0 and out.peak_memory_mb >= 0
    assert out.params["proj_dim"] == FAST["proj_dim"]
    start = 0
    for name, ds in sources.items():
        assert out.per_sample[name].shape == (ds.n,)
        assert out.values[name] == pytest.approx(out.per_sample[name].sum(), rel=1e-12)
        block = out.scores[start : start + ds.n]
        np.testing.assert_allclose(out.per_sample[name], block.mean(axis=1), rtol=1e-12)
        start += ds.n

    # Orientation: training row 0 is reference sample 0; it must help that sample, and be
    # among the training samples that help it most.
    column = out.scores[:, 0]
    assert column[0] > 0
    assert column[0] >= np.quantile(column, 0.9)


@pytest.mark.parametrize("method", ["tracin", "trak"])
def test_values_are_deterministic_for_a_fixed_rng(market: Any, method: str) -> None:
    sources, reference = market
    first = _result(market, method)
    again = attribution_values(sources, reference, method=method, rng=7, **FAST)
    np.testing.assert_array_equal(first.scores, again.scores)
    assert first.values == again.values
    other = attribution_values(sources, reference, method=method, rng=8, **FAST)
    assert not np.array_equal(first.scores, other.scores)


def test_string_labels_give_the_same_values_as_their_codes(market: Any) -> None:
    sources, reference = market
    names = np.array(["cat", "dog", "eel"])  # sorted like 0, 1, 2

    def relabel(ds: Dataset) -> Dataset:
        return Dataset(ds.X, names[ds.y])

    out = attribution_values(
        {k: relabel(v) for k, v in sources.items()},
        relabel(reference),
        method="knn_shapley",
        rng=7,
        **FAST,
    )
    np.testing.assert_array_equal(out.scores, _result(market, "knn_shapley").scores)


# --------------------------------------------------------------------------- cross-checks
def _problem(market: Any, n_checkpoints: int) -> Any:
    sources, reference = market
    pooled_y = np.concatenate([ds.y for ds in sources.values()])
    opts = _Options(hidden=16, epochs=20, n_checkpoints=n_checkpoints)
    return _train(
        torch,
        list(sources.values()),
        reference,
        pooled_y.astype(np.intp),
        reference.y.astype(np.intp),
        3,
        opts,
        seed_sequence(11),
    )


def test_tracin_matches_captum_tracincp(market: Any) -> None:
    """dattri TracIn (exact gradients) == captum TracInCP on the same model and checkpoints.

    Both compute sum_t lr * grad(train) . grad(ref); captum returns (n_ref, n_train).
    """
    from captum.influence import TracInCP

    with _single_threaded(torch):
        prob = _problem(market, n_checkpoints=4)
        ours = _tracin_dattri(prob, 32).numpy()

        def load(model: Any, checkpoint: dict[str, Any]) -> float:
            model.load_state_dict(checkpoint)
            return prob.learning_rate

        captum = TracInCP(
            prob.model,
            torch.utils.data.TensorDataset(prob.X_train, prob.y_train),
            checkpoints=prob.checkpoints,
            checkpoints_load_func=load,
            loss_fn=torch.nn.CrossEntropyLoss(reduction="none"),
            batch_size=32,
            sample_wise_grads_per_batch=False,
        )
        theirs = captum.influence((prob.X_ref, prob.y_ref)).numpy().T
    assert ours.shape == theirs.shape == (120, 30)
    corr = np.corrcoef(ours.ravel(), theirs.ravel())[0, 1]
    assert corr > 0.999999
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6 * np.abs(theirs).max())


def _traker_scores(prob: Any, tmp_path: Any, *, projector: Any, proj_dim: int, lam: float) -> Any:
    from trak import TRAKer

    traker = TRAKer(
        model=prob.model,
        task="image_classification",
        train_set_size=prob.X_train.shape[0],
        save_dir=str(tmp_path / "trak"),
        device="cpu",
        projector=projector,
        proj_dim=proj_dim,
        use_half_precision=False,
        projector_seed=3,
        lambda_reg=lam,
        logging_level=logging.ERROR,
    )
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(prob.X_train, prob.y_train), batch_size=32
    )
    for model_id, ckpt in enumerate(prob.checkpoints):
        traker.load_checkpoint(ckpt, model_id=model_id)
        for x, y in loader:
            traker.featurize(batch=(x, y), num_samples=x.shape[0])
    traker.finalize_features()
    # traker 0.3.2 frees the CPU projector's matrix in finalize_features and, with a single
    # block (proj_dim <= 100), only rebuilds it when the model id changes: rebuild it here.
    proj = traker.projector
    if getattr(proj, "proj_matrix_available", True) is False:
        proj.generate_sketch_matrix(proj.generator_states[0])
    n_ref = prob.X_ref.shape[0]
    for model_id, ckpt in enumerate(prob.checkpoints):
        traker.start_scoring_checkpoint(
            exp_name="ref", checkpoint=ckpt, model_id=model_id, num_targets=n_ref
        )
        traker.score(batch=(prob.X_ref, prob.y_ref), num_samples=n_ref)
    return np.array(traker.finalize_scores(exp_name="ref"), dtype=np.float64)


def _dattri_trak(prob: Any, *, proj_type: str, proj_dim: int, lam: float) -> Any:
    from dattri.algorithm.trak import TRAKAttributor
    from dattri.task import AttributionTask

    from synthmix.valuation.attribution import _loader, _margin_functions

    margin, probability = _margin_functions(prob)
    task = AttributionTask(loss_func=margin, model=prob.model, checkpoints=prob.checkpoints)
    attributor = TRAKAttributor(
        task=task, correct_probability_func=probability, device="cpu", regularization=lam
    )
    attributor.projector_kwargs = {
        "proj_dim": proj_dim,
        "proj_max_batch_size": 32,
        "proj_seed": 5,
        "proj_type": proj_type,
        "device": "cpu",
    }
    attributor.cache(_loader(torch, prob.X_train, prob.y_train, 32))
    return attributor.attribute(_loader(torch, prob.X_ref, prob.y_ref, 32)).numpy()


def test_trak_matches_traker_without_projection(market: Any, tmp_path: Any) -> None:
    """Same model, one checkpoint, no projection, same ridge: the two TRAKs are proportional.

    traker divides (X^T X + λI)^{-1} by its mean absolute entry before scoring (a float16
    safeguard), so the scores agree up to that one positive constant.
    """
    from trak.projectors import NoOpProjector

    with _single_threaded(torch):
        prob = _problem(market, n_checkpoints=1)
        lam = 1e-3
        ours = _dattri_trak(prob, proj_type="identity", proj_dim=1, lam=lam)
        theirs = _traker_scores(
            prob, tmp_path, projector=NoOpProjector(device="cpu"), proj_dim=0, lam=lam
        )
    assert ours.shape == theirs.shape == (120, 30)
    corr = np.corrcoef(ours.ravel(), theirs.ravel())[0, 1]
    assert corr > 0.999
    ratio = np.sum(ours * theirs) / np.sum(theirs * theirs)
    assert ratio > 0
    np.testing.assert_allclose(ours, ratio * theirs, atol=1e-3 * np.abs(ours).max())


def test_trak_ranks_agree_with_traker_under_random_projections(market: Any, tmp_path: Any) -> None:
    """Independent Gaussian sketches (different generators) over four checkpoints.

    dattri scales its sketch R (P x k) by 1/sqrt(k), traker does not, so a ridge λ in dattri is
    λk in traker. By the push-through identity both then equal
    g (R R^T/k A + λ)^{-1} (R R^T/k) h with A = Φ^T Φ on the P = 147 raw parameters, and
    R R^T / k = I + O(sqrt(P/k)) (Johnson-Lindenstrauss): with k = 2048 both are within
    about 25% operator-norm distortion of the same unprojected ridge TRAK, so their 3600
    scores rank alike but not identically: Spearman > 0.98 (observed 0.99-0.997 for
    k = 1024-4096).
    """
    k, lam = 2048, 1e-3
    with _single_threaded(torch):
        prob = _problem(market, n_checkpoints=4)
        ours = _dattri_trak(prob, proj_type="normal", proj_dim=k, lam=lam)
        theirs = _traker_scores(prob, tmp_path, projector=None, proj_dim=k, lam=lam * k)
    rho = spearmanr(ours.ravel(), theirs.ravel()).statistic
    assert rho > 0.98


def test_knn_shapley_is_efficient(market: Any) -> None:
    """Exact KNN-Shapley values of one reference point sum to U(N) = (#label matches among
    its k nearest training points) / k (efficiency; Jia et al. 2019, Theorem 1)."""
    sources, reference = market
    out = _result(market, "knn_shapley")
    X = np.concatenate([ds.X for ds in sources.values()])
    y = np.concatenate([ds.y for ds in sources.values()])
    mean, sd = X.mean(axis=0), X.std(axis=0)
    dist = np.linalg.norm(((reference.X - mean) / sd)[:, None] - ((X - mean) / sd)[None], axis=2)
    nearest = np.argsort(dist, axis=1)[:, :5]  # k = 5, attribution_values' default
    utility = (y[nearest] == reference.y[:, None]).mean(axis=1)
    np.testing.assert_allclose(out.scores.sum(axis=0), utility, atol=1e-5)


# --------------------------------------------------------------------------- validation
class _DupMapping(Mapping[str, Dataset]):
    """A mapping whose keys repeat (a malformed user container)."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds

    def __getitem__(self, key: str) -> Dataset:
        return self.ds

    def __iter__(self) -> Iterator[str]:
        return iter(["x", "x"])

    def __len__(self) -> int:
        return 2


def _bad_cases(sources: dict[str, Dataset], reference: Dataset) -> list[tuple[Any, ...]]:
    a = sources["a"]
    return [
        (sources, reference, {"method": "shap"}, "method"),
        ({}, reference, {}, "sources"),
        ([a], reference, {}, "sources"),
        ({"a": a.X}, reference, {}, "sources['a']"),
        ({"a": a, "": a}, reference, {}, "sources"),
        (_DupMapping(a), reference, {}, "sources"),
        ({"a": a, "e": a.subset(np.zeros(0, dtype=int))}, reference, {}, "sources['e']"),
        ({"a": a, "w": Dataset(np.ones((4, D + 1)), [0, 1, 0, 1])}, reference, {}, "sources['w']"),
        ({"s": Dataset(a.X, np.array(["p", "q"])[a.y % 2])}, reference, {}, "sources['s']"),
        (sources, reference.subset(reference.y == 0), {}, "reference"),
        (sources, reference.X, {}, "reference"),
        (sources, reference, {"epochs": 0}, "epochs"),
        (sources, reference, {"hidden": 1.5}, "hidden"),
        (sources, reference, {"k": 0}, "k"),
        (sources, reference, {"batch_size": True}, "batch_size"),
        (sources, reference, {"epochs": 3, "n_checkpoints": 4}, "n_checkpoints"),
        (sources, reference, {"learning_rate": -0.1}, "learning_rate"),
        (sources, reference, {"regularization": float("nan")}, "regularization"),
        (sources, reference, {"method": "logra", "proj_dim": 50}, "proj_dim"),
        (sources, reference, {"rng": -1}, "rng"),
    ]


def test_bad_inputs_raise_validation_errors_naming_the_parameter(market: Any) -> None:
    sources, reference = market
    cases = _bad_cases(sources, reference)
    for src, ref, kwargs, name in cases:
        options = {"method": "knn_shapley", **kwargs}
        with pytest.raises(ValidationError) as info:
            attribution_values(src, ref, **options)
        assert str(info.value).startswith(f"{name} must"), (name, str(info.value))


def test_missing_library_names_the_extra(market: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sources, reference = market
    monkeypatch.setitem(sys.modules, "dattri.algorithm.tracin", None)
    with pytest.raises(OptionalDependencyError, match=r"synthmix\[baselines\]"):
        attribution_values(sources, reference, method="tracin", **FAST)


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("batch_size", 0, "be >= 1"),
        ("batch_size", -3, "be >= 1"),
        ("hidden", 0, "be >= 1"),
        ("proj_dim", 0, "be >= 1"),
        ("n_checkpoints", 0, "be >= 1"),
        ("epochs", -1, "be >= 1"),
        ("k", -2, "be >= 1"),
    ],
)
def test_integer_options_have_a_lower_bound_of_one(
    market: Any, option: str, value: int, rule: str
) -> None:
    sources, reference = market
    with pytest.raises(ValidationError, match=rf"^{option} must {rule}"):
        attribution_values(sources, reference, method="knn_shapley", **{option: value})


def _exact_knn_shapley(X: np.ndarray, y: np.ndarray, x: np.ndarray, label: int, k: int) -> Any:
    """Jia et al. (2019), Theorem 1: exact KNN-Shapley values of the training points for one
    test point, by the recursion from the farthest point inwards."""
    n = y.size
    order = np.argsort(np.linalg.norm(X - x, axis=1), kind="stable")
    match = (y[order] == label).astype(float)
    s = np.zeros(n)
    s[n - 1] = match[n - 1] / n
    for i in range(n - 2, -1, -1):  # i is 0-based: rank i + 1
        s[i] = s[i + 1] + (match[i] - match[i + 1]) / k * min(k, i + 1) / (i + 1)
    out = np.empty(n)
    out[order] = s
    return out


def test_knn_shapley_scores_are_the_exact_values_on_standardised_features() -> None:
    g = np.random.default_rng(3)
    # a constant third feature: z-scores divide by its standard deviation only where it is > 0
    a = Dataset(np.c_[g.normal(size=(7, 2)) * [1.0, 30.0], np.full(7, 2.0)], np.arange(7) % 2)
    b = Dataset(np.c_[g.normal(size=(6, 2)) * [1.0, 30.0] + 0.5, np.full(6, 2.0)], [0] * 6)
    ref = Dataset(np.c_[g.normal(size=(5, 2)) * [1.0, 30.0], np.full(5, 2.0)], [0, 1, 0, 1, 1])
    out = attribution_values({"a": a, "b": b}, ref, method="knn_shapley", k=3, batch_size=4)
    X = np.vstack([a.X, b.X])[:, :2]
    y = np.r_[a.y, b.y]
    mean, sd = X.mean(axis=0), X.std(axis=0)
    Z, Zr = (X - mean) / sd, (ref.X[:, :2] - mean) / sd
    expected = np.stack(
        [_exact_knn_shapley(Z, y, Zr[j], ref.y[j], 3) for j in range(ref.n)], axis=1
    )
    np.testing.assert_allclose(out.scores, expected, atol=1e-6)
    assert out.params["k"] == 3 and out.params["batch_size"] == 4
    np.testing.assert_allclose(out.values["b"], expected[7:].mean(axis=1).sum(), atol=1e-6)
