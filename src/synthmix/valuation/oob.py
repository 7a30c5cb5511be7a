"""Data-OOB: sources valued by the out-of-bag accuracy of a bagged ensemble on their samples.

Data-OOB (Kwon & Zou, *Data-OOB: Out-of-bag Estimate as a Simple and Efficient Data Value*,
ICML 2023) fits one bagging ensemble of ``B`` decision trees on the pooled training data
``D = ∪_c S_c`` and values each sample ``(x_i, y_i)`` by how often the trees that did **not**
see it classify it correctly:

    ψ_i = Σ_b 1[i ∉ D_b] 1[f_b(x_i) = y_i] / Σ_b 1[i ∉ D_b],

``D_b`` the bootstrap sample of tree ``b`` (in-bag rows, ``RandomForestClassifier.
estimators_samples_``). The ensemble is scikit-learn's ``RandomForestClassifier(n_estimators=B)``
with its defaults (bootstrap samples of ``|D|`` rows, ``max_features="sqrt"``, fully grown
trees), the weak learner of the paper's experiments; the paper uses ``B = 800``, the default
here is :data:`DEFAULT_N_ESTIMATORS` (200; docs/math/valuation.md gives the measured cost).

A source's value is the **sum** of its samples' values, ``v_c = Σ_{i ∈ S_c} ψ_i``: the
per-sample values are additive contributions to the pool (as Data-OOB's sample values are meant
to be added up over a subset), so a source of twice as many equally clean rows is worth twice as
much; the mean ``v_c / n_c`` is returned beside it (:attr:`DataOOBValues.means`) for a
size-free comparison.

A sample that is in-bag for every tree has no out-of-bag estimate (``ψ_i = NaN`` in
:attr:`DataOOBValues.sample_values`; probability about ``0.632^B`` per sample, ~10⁻⁴⁰ at
``B = 200``). It is left out of its source's mean, and the sum is ``n_c`` times that mean (the
missing samples count at their source's average). A source none of whose samples was ever out
of bag takes the pool's mean.

Data-OOB never looks at a reference set: it measures how consistent a source's labels are with
the ensemble of the whole pool (mislabelled or out-of-distribution rows are misclassified by the
trees that did not see them), not how close the source is to a buyer's test distribution.
Features are used as given: trees are invariant to per-feature affine rescaling, so the
reference standardisation of the proxy baselines would change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthmix._random import RngLike, child_sequence, seed_sequence
from synthmix._types import FloatArray, IntArray
from synthmix._validation import check_int, fail
from synthmix.data import Dataset
from synthmix.data.dataset import check_dataset

__all__ = [
    "DEFAULT_N_ESTIMATORS",
    "MIN_N_ESTIMATORS",
    "DataOOBValues",
    "data_oob_random_state",
    "data_oob_values",
]

#: Trees of the ensemble by default (the paper: 800; 200 keeps a 2,000-row market near 2 s).
DEFAULT_N_ESTIMATORS = 200
#: Fewest trees accepted: below it many samples have no out-of-bag tree at all.
MIN_N_ESTIMATORS = 10


@dataclass(frozen=True)
class DataOOBValues:
    """Data-OOB values of ``K`` sources (see :func:`data_oob_values`).

    Attributes
    ----------
    values : ndarray, shape (K,)
        ``v_c = Σ_{i ∈ S_c} ψ_i`` (a never-out-of-bag sample counted at its source's mean).
    means : ndarray, shape (K,)
        Mean ``ψ_i`` over the source's samples that have one.
    stderr : ndarray, shape (K,)
        Standard error of ``values`` from the spread of the source's per-sample values:
        ``n_c · sd(ψ) / sqrt(m_c)`` (``ddof=1``; ``m_c`` samples with a value), with the bound
        ``sd ≤ 1/2`` of a quantity in ``[0, 1]`` when ``m_c < 2``.
    sample_values : ndarray, shape (N,)
        ``ψ_i`` of every pooled row (sources stacked in order), NaN where never out of bag.
    oob_counts : ndarray of int, shape (N,)
        Trees for which each row is out of bag.
    owner : ndarray of int, shape (N,)
        Source index of each pooled row.
    n_estimators : int
    random_state : int
        The ``random_state`` given to scikit-learn (:func:`data_oob_random_state`).
    forest : sklearn.ensemble.RandomForestClassifier
        The fitted ensemble.
    """

    values: FloatArray
    means: FloatArray
    stderr: FloatArray
    sample_values: FloatArray
    oob_counts: IntArray
    owner: IntArray
    n_estimators: int
    random_state: int
    forest: Any


def data_oob_random_state(rng: RngLike) -> int:
    """The ``random_state`` :func:`data_oob_values` gives scikit-learn for ``rng``.

    The first 32-bit word of ``child_sequence(seed_sequence(rng), 0)``'s state.
    """
    return int(child_sequence(seed_sequence(rng), 0).generate_state(1, dtype=np.uint32)[0])


def _check_sources(sources: Any) -> list[Dataset]:
    if isinstance(sources, Mapping):
        items = list(sources.items())
    elif isinstance(sources, Sequence) and not isinstance(sources, str):
        items = [(f"[{i}]", ds) for i, ds in enumerate(sources)]
    else:
        raise fail("sources", "be a sequence or mapping of Datasets", type(sources).__name__)
    if not items:
        raise fail("sources", "contain at least one Dataset", sources)
    out: list[Dataset] = []
    for key, ds in items:
        name = f"sources[{key!r}]" if isinstance(sources, Mapping) else f"sources{key}"
        first = out[0].d if out else None
        out.append(check_dataset(ds, name, d=first, owner="the first source's"))
    return out


def data_oob_values(
    sources: Sequence[Dataset] | Mapping[str, Dataset],
    *,
    n_estimators: int = DEFAULT_N_ESTIMATORS,
    rng: RngLike = 0,
) -> DataOOBValues:
    """Data-OOB values of sources: summed out-of-bag accuracies of their samples.

    Parameters
    ----------
    sources : sequence of Dataset, or mapping of str to Dataset
        The sources, pooled in order; each non-empty, all with the same feature dimension.
    n_estimators : int, default 200
        Trees of the random forest (``>= 10``; the paper uses 800).
    rng : seed
        The forest's ``random_state`` is :func:`data_oob_random_state` of it.

    Returns
    -------
    DataOOBValues

    Raises
    ------
    ValidationError
        No source, an empty source, differing feature dimensions, ``n_estimators`` not an
        integer ``>= 10``.
    """
    from sklearn.ensemble import RandomForestClassifier

    n_estimators = check_int(n_estimators, "n_estimators", minimum=MIN_N_ESTIMATORS)
    dss = _check_sources(sources)
    X = np.vstack([ds.X for ds in dss])
    _, y = np.unique(np.concatenate([ds.y for ds in dss]), return_inverse=True)
    y = y.reshape(-1).astype(np.int64)
    owner = np.concatenate([np.full(ds.n, c, dtype=np.int64) for c, ds in enumerate(dss)])
    n, k = X.shape[0], len(dss)
    state = data_oob_random_state(rng)
    forest = RandomForestClassifier(n_estimators=n_estimators, random_state=state).fit(X, y)
    # in-bag indicator (B, N) from the bootstrap indices (with repeats) of every tree
    in_bag = np.zeros((n_estimators, n), dtype=bool)
    for b, rows in enumerate(forest.estimators_samples_):
        in_bag[b, rows] = True
    # the trees are fitted on forest.classes_-encoded labels: predict returns that index
    pred = np.stack([tree.predict(X) for tree in forest.estimators_]).astype(np.intp)
    correct = forest.classes_[pred] == y[None, :]  # (B, N)
    out = ~in_bag
    counts = out.sum(axis=0)
    hits = (out & correct).sum(axis=0)
    psi = np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)
    valued = ~np.isnan(psi)
    pool_mean = float(psi[valued].mean()) if np.any(valued) else 0.0
    sizes = np.bincount(owner, minlength=k).astype(np.float64)
    means, stderr = np.empty(k), np.empty(k)
    for c in range(k):
        own = psi[(owner == c) & valued]
        means[c] = own.mean() if own.size else pool_mean
        sd = own.std(ddof=1) if own.size >= 2 else 0.5  # sd of a value in [0, 1] is <= 1/2
        stderr[c] = sizes[c] * sd / np.sqrt(max(own.size, 1))
    return DataOOBValues(
        values=np.asarray(sizes * means, dtype=np.float64),
        means=np.asarray(means, dtype=np.float64),
        stderr=np.asarray(stderr, dtype=np.float64),
        sample_values=np.asarray(psi, dtype=np.float64),
        oob_counts=np.asarray(counts, dtype=np.int64),
        owner=owner,
        n_estimators=n_estimators,
        random_state=state,
        forest=forest,
    )
