"""Atomic output: a file either appears whole or not at all.

Artifacts are a JSON metadata file (version, parameters, seed, a hash of the configuration)
next to optional NPZ arrays.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from synthmix._validation import fail

__all__ = ["atomic_open", "config_hash", "to_jsonable", "write_json", "write_text"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_stale_temporaries(target: Path) -> None:
    """Delete ``.<name>.<pid>.*.tmp`` beside ``target`` left by a process that no longer runs
    (one killed with SIGKILL mid-write cannot clean up after itself)."""
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid_text = tmp.name[len(target.name) + 2 :].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)  # signal 0: does the writer still exist?
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        except (PermissionError, OverflowError):
            continue  # alive under another user, or not a pid of ours


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    target = Path(path)
    if target.is_dir():
        raise fail("path", "name a file to write, not an existing folder", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
    )
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; outputs get the usual mode
        handle = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8")
        with handle as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_output_file(path: str | os.PathLike[str], option: str) -> None:
    """Refuse an output file whose folder cannot be created or written, before any work: the
    nearest existing ancestor of its folder must be a writable folder (a
    :class:`~synthmix.exceptions.ValidationError` naming ``option`` otherwise). A write that
    still fails (a read-only file system seen only when writing) is the caller's to report.
    """
    path = Path(path)
    if path.is_dir():
        raise fail(option, "name a file to write, not an existing folder", str(path))
    folder = path.parent if str(path.parent) else Path(".")
    for ancestor in (folder, *folder.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                problem = "is not a folder"
            elif not os.access(ancestor, os.W_OK | os.X_OK):
                problem = "is not writable"
            else:
                return
            raise fail(option, "be a writable file path", f"{path} ({ancestor} {problem})")


def make_output_folder(path: str | os.PathLike[str], option: str = "out") -> Path:
    """Create the output folder ``path`` (and its parents) and check that files can be
    written in it, before any work: an unwritable or impossible folder is a
    :class:`~synthmix.exceptions.ValidationError` naming ``option``, not a failure at the end.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        raise fail(
            option, "be a folder that can be created and written", f"{folder} ({exc.strerror})"
        ) from None
    return folder


@contextlib.contextmanager
def output_folder(path: str | os.PathLike[str] | None, option: str = "out") -> Iterator[None]:
    """:func:`make_output_folder` before the work inside the block; when the block fails, a
    folder it created is removed again if still empty (nothing is left behind). None: no
    folder, nothing done."""
    if path is None:
        yield
        return
    folder = Path(path)
    created = not folder.exists()
    make_output_folder(folder, option)
    try:
        yield
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds while empty
        raise


def to_jsonable(obj: Any) -> Any:
    """Recursively convert numpy scalars/arrays, dataclasses and paths to JSON types."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None if np.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_open(path) as fh:
        json.dump(to_jsonable(data), fh, indent=2, sort_keys=False)
        fh.write("\n")


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write a text file atomically."""
    with atomic_open(path) as fh:
        fh.write(text)


def config_hash(config: Any) -> str:
    """A short stable hash of a JSON-able configuration (sorted keys)."""
    blob = json.dumps(to_jsonable(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
