"""A labelled data set that remembers which samples are synthetic.

:class:`Dataset` is the unit every domain package consumes: features ``X`` (float64), labels
``y`` and a provenance flag per sample. It is immutable: the constructor validates and copies
its inputs and marks the copies read-only, and every method returns a new ``Dataset``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._random import RngLike, as_generator
from synthmix._types import BoolArray, FloatArray, IndexArray
from synthmix._validation import as_float_array, fail

__all__ = ["Dataset"]


# Label dtypes kept as they arrive: bool, signed/unsigned int, float, unicode and byte strings.
_LABEL_KINDS = frozenset("biufUS")


def _frozen(arr: NDArray[Any]) -> NDArray[Any]:
    arr.flags.writeable = False
    return arr


def _owned(arr: NDArray[Any], source: Any) -> NDArray[Any]:
    """``arr`` itself when converting ``source`` made it afresh, else a copy.

    A result that is ``source`` itself, or a view of any memory (a pandas column, a slice),
    may alias what the caller holds, so it is copied before being frozen.
    """
    if arr is source or arr.base is not None:
        return arr.copy()
    return arr


def _check_X(X: ArrayLike) -> FloatArray:
    if isinstance(X, np.ndarray) and X.ndim != 2:
        raise fail("X", "be a 2-D array of shape (n, d)", f"{X.ndim}-D array of shape {X.shape}")
    arr = as_float_array(X, "X")
    if arr.ndim != 2:
        raise fail(
            "X", "be a 2-D array of shape (n, d)", f"{arr.ndim}-D array of shape {arr.shape}"
        )
    if arr.shape[1] == 0:
        raise fail("X", "have at least one feature column", f"shape {arr.shape}")
    return _owned(arr, X)


def _check_y(y: ArrayLike, n: int) -> NDArray[Any]:
    if isinstance(y, str | bytes):
        raise fail("y", "be a 1-D array of labels", y)
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise fail("y", "be a 1-D array of labels", f"{arr.ndim}-D array of shape {arr.shape}")
    if arr.shape[0] != n:
        raise fail("y", f"have one label per row of X (length {n})", f"length {arr.shape[0]}")
    if arr.dtype.kind == "O":
        items = arr.tolist()
        if all(isinstance(v, str) for v in items):
            arr = np.asarray(items, dtype=str)
        elif all(isinstance(v, int | float | np.integer | np.floating) for v in items):
            arr = np.asarray(items)
        else:
            raise fail("y", "hold labels of one kind (all numbers or all strings)", y)
    if arr.dtype.kind not in _LABEL_KINDS:
        raise fail("y", "hold numeric or string labels", f"dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise fail("y", "be finite (no NaN or inf labels)", y)
    return _owned(arr, y)


def _check_synthetic(synthetic: ArrayLike | None, n: int) -> BoolArray:
    if synthetic is None:
        return np.zeros(n, dtype=np.bool_)
    arr = np.asarray(synthetic)
    if arr.ndim != 1:
        raise fail(
            "synthetic", "be a 1-D boolean array", f"{arr.ndim}-D array of shape {arr.shape}"
        )
    if arr.shape[0] != n:
        raise fail(
            "synthetic", f"have one flag per row of X (length {n})", f"length {arr.shape[0]}"
        )
    if arr.dtype.kind != "b":
        raise fail("synthetic", "be a boolean array (True marks a synthetic sample)", synthetic)
    return _owned(arr, synthetic)


def _check_name(name: Any) -> str | None:
    if name is not None and not isinstance(name, str):
        raise fail("name", "be a string or None", name)
    return name


def _label_family(y: NDArray[Any]) -> str:
    return "string" if y.dtype.kind in "US" else "numeric"


def _merged_name(names: Sequence[str | None]) -> str | None:
    distinct = list(dict.fromkeys(n for n in names if n is not None))
    if not distinct:
        return None
    if len(distinct) == 1 and all(n is not None for n in names):
        return distinct[0]
    return "+".join(distinct)


@dataclass(frozen=True, eq=False, init=False, repr=False)
class Dataset:
    """Features, labels and per-sample provenance (real or synthetic).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Features; converted to float64. Must be finite, with ``d >= 1``.
    y : array_like, shape (n,)
        Labels: numbers or strings (a mix is refused). Kept with their dtype; float labels
        must be finite.
    synthetic : array_like of bool, shape (n,), optional
        ``True`` where a sample was generated rather than observed. Defaults to all ``False``.
    name : str, optional
        Where the data came from (a file stem, a bundled set's name, a generator's name).

    Attributes
    ----------
    X : ndarray, shape (n, d), float64, read-only
    y : ndarray, shape (n,), read-only
    synthetic : ndarray, shape (n,), bool, read-only
    name : str or None

    Raises
    ------
    synthmix.exceptions.ValidationError
        When an argument breaks a rule; the message starts with the argument's name.

    Notes
    -----
    The constructor copies its inputs (unless it converted them, which already copies) and
    marks the copies read-only, so a ``Dataset`` cannot change after it is built. Equality is
    identity: compare arrays explicitly.

    Examples
    --------
    >>> import numpy as np
    >>> from synthmix.data import Dataset
    >>> ds = Dataset(np.eye(4), ["a", "b", "a", "b"], synthetic=np.r_[False, False, True, True])
    >>> ds.n, ds.d, ds.n_synthetic, ds.classes.tolist()
    (4, 4, 2, ['a', 'b'])
    >>> ds.binary("a", "b").y.tolist()
    [1.0, -1.0, 1.0, -1.0]
    """

    X: FloatArray
    y: NDArray[Any]
    synthetic: BoolArray
    name: str | None

    def __init__(
        self,
        X: ArrayLike,
        y: ArrayLike,
        synthetic: ArrayLike | None = None,
        name: str | None = None,
    ) -> None:
        x_arr = _check_X(X)
        n = x_arr.shape[0]
        self._set(x_arr, _check_y(y, n), _check_synthetic(synthetic, n), _check_name(name))

    def _set(self, X: FloatArray, y: NDArray[Any], synthetic: BoolArray, name: str | None) -> None:
        object.__setattr__(self, "X", _frozen(X))
        object.__setattr__(self, "y", _frozen(y))
        object.__setattr__(self, "synthetic", _frozen(synthetic))
        object.__setattr__(self, "name", name)

    @classmethod
    def _from_parts(
        cls, X: FloatArray, y: NDArray[Any], synthetic: BoolArray, name: str | None
    ) -> Dataset:
        """Wrap arrays this module just built (already valid, not aliased): no checks, no copy."""
        out = cls.__new__(cls)
        out._set(X, y, synthetic, name)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild through the constructor so unpickled arrays are read-only again.
        return (Dataset, (self.X, self.y, self.synthetic, self.name))

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n={self.n}, d={self.d}, "
            f"n_synthetic={self.n_synthetic}, classes={self.classes.tolist()!r})"
        )

    def __len__(self) -> int:
        return self.n

    # ------------------------------------------------------------------ properties
    @property
    def n(self) -> int:
        """Number of samples (rows of ``X``)."""
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        """Number of features (columns of ``X``)."""
        return int(self.X.shape[1])

    @property
    def n_synthetic(self) -> int:
        """Number of samples flagged synthetic."""
        return int(np.count_nonzero(self.synthetic))

    @property
    def classes(self) -> NDArray[Any]:
        """The distinct labels, sorted; shape (k,)."""
        return np.unique(self.y)

    # ------------------------------------------------------------------ selection
    def subset(self, indices: ArrayLike) -> Dataset:
        """The samples at ``indices``, in that order, with their provenance.

        Parameters
        ----------
        indices : array_like, shape (k,) of int, or shape (n,) of bool
            Integer positions (negative ones count from the end, repeats allowed) or a
            boolean mask over the ``n`` samples.

        Returns
        -------
        Dataset
            ``k`` samples (or as many as the mask selects), same name.
        """
        idx = self._check_indices(indices)
        return Dataset._from_parts(self.X[idx], self.y[idx], self.synthetic[idx], self.name)

    def _check_indices(self, indices: ArrayLike) -> IndexArray:
        arr = np.asarray(indices)
        if arr.ndim != 1:
            raise fail(
                "indices", "be a 1-D array of positions or a boolean mask", f"{arr.ndim}-D array"
            )
        if arr.dtype.kind == "b":
            if arr.shape[0] != self.n:
                raise fail(
                    "indices", f"have length n = {self.n} when it is a boolean mask", arr.shape[0]
                )
            return np.flatnonzero(arr)
        if arr.size == 0:
            return np.zeros(0, dtype=np.intp)
        if arr.dtype.kind not in "iu":
            raise fail("indices", "be integer positions or a boolean mask", indices)
        if arr.min() < -self.n or arr.max() >= self.n:
            raise fail("indices", f"lie in [-{self.n}, {self.n})", indices)
        return arr.astype(np.intp)

    def binary(self, pos: Any, neg: Any) -> Dataset:
        """The two-class problem ``pos`` versus ``neg``, with labels ``+1`` and ``-1``.

        Parameters
        ----------
        pos, neg : label
            Two distinct labels present in ``y``; samples of other classes are dropped.

        Returns
        -------
        Dataset
            The selected samples in their original order, ``y`` float64 with ``+1.0`` for
            ``pos`` and ``-1.0`` for ``neg``, provenance kept.
        """
        classes = self.classes.tolist()
        for pname, value in (("pos", pos), ("neg", neg)):
            if value not in classes:
                raise fail(pname, f"be one of the classes {classes[:20]}", value)
        if pos == neg:
            raise fail("neg", "differ from pos", neg)
        is_pos = self.y == pos
        keep = np.flatnonzero(is_pos | (self.y == neg))
        y = np.where(is_pos[keep], 1.0, -1.0)
        return Dataset._from_parts(self.X[keep], y, self.synthetic[keep], self.name)

    def split(self, test_size: float, *, rng: RngLike = None) -> tuple[Dataset, Dataset]:
        """A stratified train/test split: each class keeps its share in both parts.

        Per class ``c`` with ``n_c`` samples, ``round``-ed quotas ``test_fraction * n_c`` are
        adjusted by largest remainder so they add up to exactly the requested test size; the
        samples of each class going to the test part are drawn without replacement with
        ``rng``.

        Parameters
        ----------
        test_size : float or int
            A fraction in ``(0, 1)`` of the samples, or a count in ``[1, n - 1]``.
        rng : None, int, SeedSequence or numpy Generator, optional
            Randomness; the same seed gives the same split.

        Returns
        -------
        train, test : Dataset
            Disjoint parts covering every sample once, each in the original sample order.
        """
        n = self.n
        if n < 2:
            raise fail("test_size", "leave both parts non-empty (the data set needs n >= 2)", n)
        if isinstance(test_size, bool) or not isinstance(
            test_size, int | float | np.integer | np.floating
        ):
            raise fail("test_size", "be a fraction in (0, 1) or a count in [1, n - 1]", test_size)
        if isinstance(test_size, int | np.integer):
            n_test = int(test_size)
            if not 1 <= n_test <= n - 1:
                raise fail("test_size", f"lie in [1, {n - 1}] when it is a count", test_size)
        else:
            frac = float(test_size)
            if not (math.isfinite(frac) and 0.0 < frac < 1.0):
                raise fail("test_size", "lie in (0, 1) when it is a fraction", test_size)
            n_test = min(max(round(frac * n), 1), n - 1)
        gen = as_generator(rng)
        classes, codes = np.unique(self.y, return_inverse=True)
        counts = np.bincount(codes, minlength=classes.shape[0])
        quota = counts * (n_test / n)
        take = np.floor(quota).astype(np.int64)
        short = n_test - int(take.sum())
        if short > 0:  # largest remainder; ties go to the earlier class (stable sort)
            order = np.argsort(-(quota - take), kind="stable")
            take[order[:short]] += 1
        is_test = np.zeros(n, dtype=np.bool_)
        for c in range(classes.shape[0]):
            members = np.flatnonzero(codes == c)
            is_test[gen.choice(members, size=int(take[c]), replace=False)] = True
        return self.subset(~is_test), self.subset(is_test)

    # ------------------------------------------------------------------ combination
    def concat(self, other: Dataset, *, name: str | None = None) -> Dataset:
        """This data set followed by ``other``, provenance kept.

        Parameters
        ----------
        other : Dataset
            Same number of features ``d``; labels of the same kind (numbers or strings).
        name : str, optional
            Name of the result; by default the shared name, or the distinct names joined by
            ``"+"``.

        Returns
        -------
        Dataset
            ``self.n + other.n`` samples.
        """
        if not isinstance(other, Dataset):
            raise fail("other", "be a Dataset", type(other).__name__)
        return _concatenate([self, other], name=name, param="other")

    @staticmethod
    def concatenate(datasets: Sequence[Dataset], *, name: str | None = None) -> Dataset:
        """Stack data sets row-wise, keeping each sample's provenance.

        Parameters
        ----------
        datasets : sequence of Dataset
            At least one; all with the same ``d`` and labels of the same kind.
        name : str, optional
            Name of the result; by default the shared name, or the distinct names joined by
            ``"+"``.

        Returns
        -------
        Dataset
            ``sum(ds.n for ds in datasets)`` samples, in order.
        """
        if isinstance(datasets, Dataset) or not isinstance(datasets, Sequence):
            raise fail("datasets", "be a sequence of Dataset", type(datasets).__name__)
        items = list(datasets)
        if not items:
            raise fail("datasets", "hold at least one Dataset", items)
        for item in items:
            if not isinstance(item, Dataset):
                raise fail("datasets", "hold only Dataset objects", type(item).__name__)
        return _concatenate(items, name=name, param="datasets")


def _concatenate(items: Sequence[Dataset], *, name: str | None, param: str) -> Dataset:
    _check_name(name)
    d = items[0].d
    family = _label_family(items[0].y)
    for item in items[1:]:
        if item.d != d:
            raise fail(param, f"have d = {d} features like the first data set", f"d = {item.d}")
        if _label_family(item.y) != family:
            raise fail(
                param,
                f"have {family} labels like the first data set",
                f"{_label_family(item.y)} labels",
            )
    X = np.concatenate([item.X for item in items], axis=0)
    y = np.concatenate([item.y for item in items])
    synthetic = np.concatenate([item.synthetic for item in items])
    out_name = name if name is not None else _merged_name([item.name for item in items])
    return Dataset._from_parts(X, y, synthetic, out_name)


def check_dataset(
    ds: Any, name: str, *, d: int | None = None, owner: str = "the reference's"
) -> Dataset:
    """``ds`` as a non-empty :class:`Dataset` (of ``d`` features when given), else a
    :class:`~synthmix.exceptions.ValidationError` naming ``name``; ``owner`` says whose
    feature count it must match (``"the reference's"``, ``"the first source's"``)."""
    if not isinstance(ds, Dataset):
        raise fail(name, "be a synthmix.data.Dataset", type(ds).__name__)
    if ds.n == 0:
        raise fail(name, "contain at least one sample", "empty")
    if d is not None and ds.d != d:
        raise fail(name, f"have {owner} {d} features", f"{ds.d} features")
    return ds
