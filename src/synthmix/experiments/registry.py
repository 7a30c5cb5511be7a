"""Named reproductions of the papers' figures: ``synthmix reproduce NAME``.

A *reproduction* is a function that recomputes one or more figures of a paper and writes,
atomically, into a folder ``out``: its figures (PNG), ``results.json`` (every number behind the
figures) and a self-contained ``report.html``. Reproductions register themselves under a
short name with :func:`register`; :func:`run` looks a name up, validates the common options,
runs the function and returns a :class:`ReproductionResult`.

Registering a reproduction::

    from synthmix.experiments.registry import ReproductionResult, register

    @register("rmt-mnist", description="Fig. 5/7: ...", config=MNIST_SETTINGS)
    def reproduce_mnist(
        *, out, quick, seed, n_jobs, scheduler, progress
    ) -> ReproductionResult:
        ...

and adding the module to :data:`BUILTIN_MODULES` so that :func:`available` and :func:`run`
import it on first use. Importing :mod:`synthmix` never imports this module, and this module
imports the reproductions only when a name is looked up, so registration costs nothing at
``import synthmix`` time. A reproduction module should itself import matplotlib and other
heavy or optional dependencies inside its functions.

Caching
-------
A full run (``quick=False``) is cached in its output folder: :func:`run` stamps
``results.json`` with a ``"reproduction"`` block (name, synthmix version, seed, quick flag, a
hash of the registered ``config``, the figure and report file names, the runtime and the
summary). A later full run of the same name into the same folder, with the same seed, the
same synthmix version and the same config hash, whose report and figures still exist,
returns the stored result (``cached=True``) without recomputing. ``force=True`` always
recomputes. Quick runs are never served from the cache (and overwrite a cached full run in
the same folder, which is then recomputed next time). The cache does not see code changes
that keep the version and the config: pass ``force=True`` after editing a reproduction.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from synthmix._io import config_hash, make_output_folder, to_jsonable, write_json
from synthmix._types import StageProgress
from synthmix._validation import check_int, fail
from synthmix.parallel import check_n_jobs

__all__ = [
    "BUILTIN_MODULES",
    "DEFAULT_OUT",
    "Reproduction",
    "ReproductionFunction",
    "ReproductionResult",
    "StageProgress",
    "available",
    "get",
    "register",
    "run",
]

#: ``progress(stage, done, total)``: ``done`` of ``total`` units of work of ``stage`` finished.

#: Modules whose import registers the built-in reproductions (imported on first lookup).
BUILTIN_MODULES: tuple[str, ...] = (
    "synthmix.experiments.rmt_laws",
    "synthmix.experiments.rmt_toy",
    "synthmix.experiments.rmt_phase",
    "synthmix.experiments.rmt_realdata",
    "synthmix.experiments.rmt_tweets",
    "synthmix.experiments.rmt_llm",
    "synthmix.experiments.scaling_exact",
    "synthmix.experiments.scaling_learned",
    "synthmix.experiments.scaling_text",
    "synthmix.experiments.valuation_benchmark",
)

#: Parent of the default output folder: a reproduction ``NAME`` writes to ``DEFAULT_OUT/NAME``.
DEFAULT_OUT = Path("synthmix-reproduce")

#: Key of the block :func:`run` adds to ``results.json`` (cache key and result index).
STAMP_KEY = "reproduction"

_NAME_RULE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class ReproductionResult:
    """What a reproduction wrote.

    Attributes
    ----------
    name : str
        Registered name of the reproduction.
    out_dir : Path
        Output folder.
    results_path : Path
        ``results.json``: every number behind the figures.
    report_path : Path
        Self-contained ``report.html``.
    figures : tuple of Path
        PNG files, in the order the report shows them.
    seconds : float
        Wall time of the computation (for a cached result: of the run that produced it).
    quick : bool
        Whether the reduced quick mode ran.
    seed : int
        Root seed.
    summary : mapping of str to Any
        A few headline numbers (JSON types). :func:`run` returns it as stored in
        ``results.json``, so a cached and a fresh result compare equal.
    cached : bool, default False
        True when :func:`run` returned a stored full run without recomputing.
    """

    name: str
    out_dir: Path
    results_path: Path
    report_path: Path
    figures: tuple[Path, ...]
    seconds: float
    quick: bool
    seed: int
    summary: Mapping[str, Any] = field(default_factory=dict)
    cached: bool = False


class ReproductionFunction(Protocol):
    """Signature of a registered reproduction (every argument keyword-only).

    Parameters
    ----------
    out : Path
        Output folder; it exists when the function is called.
    quick : bool
        Reduced sizes (a few seconds; what the tests run).
    seed : int
        Root seed (>= 0).
    n_jobs : int
        Local worker processes (``-1``: all cores); results must not depend on it.
    scheduler : str or None
        Address of a Dask scheduler to run on instead.
    progress : callable or None
        ``progress(stage, done, total)``.
    """

    def __call__(
        self,
        *,
        out: Path,
        quick: bool,
        seed: int,
        n_jobs: int,
        scheduler: str | None,
        progress: StageProgress | None,
    ) -> ReproductionResult:
        """Run the reproduction and write its files into ``out``."""
        ...


@dataclass(frozen=True, eq=False)
class Reproduction:
    """A registered reproduction.

    Attributes
    ----------
    name : str
    description : str
        One line for ``synthmix reproduce --list``.
    function : ReproductionFunction
    config : mapping
        JSON-able settings that determine the full run's results besides the seed; hashed
        into the cache key.
    """

    name: str
    description: str
    function: ReproductionFunction
    config: Mapping[str, Any]

    @property
    def config_hash(self) -> str:
        """Short stable hash of ``name`` and ``config`` (part of the cache key)."""
        return config_hash({"name": self.name, "config": self.config})


_REGISTRY: dict[str, Reproduction] = {}
_LOADED = False


def register(
    name: str, *, description: str, config: Mapping[str, Any] | None = None
) -> Callable[[ReproductionFunction], ReproductionFunction]:
    """Decorator registering a reproduction under ``name``.

    Parameters
    ----------
    name : str
        Lower-case letters, digits and hyphens, e.g. ``"rmt-laws"``.
    description : str
        One line shown by ``synthmix reproduce --list``.
    config : mapping, optional
        JSON-able settings of the full run (sizes, grids, trials ...); changing them
        invalidates cached results. Default: empty.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    ValidationError
        A malformed name or description, or a name already registered by another function
        (re-registering the same module-level function, e.g. on reload, replaces it).

    Examples
    --------
    >>> @register("my-figure", description="My figure.", config={"p": 100})  # doctest: +SKIP
    ... def my_figure(*, out, quick, seed, n_jobs, scheduler, progress):
    ...     ...  # compute, write figures, results.json and report.html into out
    ...     return ReproductionResult(name="my-figure", out_dir=out, ...)
    """
    if not isinstance(name, str) or not _NAME_RULE.match(name):
        raise fail("name", "be lower-case letters, digits and hyphens (e.g. 'rmt-laws')", name)
    if not isinstance(description, str) or not description.strip():
        raise fail("description", "be a non-empty string", description)
    settings: Mapping[str, Any] = MappingProxyType(dict(config or {}))
    try:
        json.dumps(to_jsonable(settings), sort_keys=True)
    except (TypeError, ValueError):
        raise fail("config", "be JSON-able (numbers, strings, lists, mappings)", config) from None

    def decorator(function: ReproductionFunction) -> ReproductionFunction:
        if not callable(function):
            raise fail("function", "be callable", function)
        old = _REGISTRY.get(name)
        if old is not None and _qualified(old.function) != _qualified(function):
            raise fail(
                "name",
                f"be unique (already registered by {_qualified(old.function)})",
                name,
            )
        _REGISTRY[name] = Reproduction(name, " ".join(description.split()), function, settings)
        return function

    return decorator


def _qualified(function: Any) -> str:
    module = getattr(function, "__module__", "?")
    return f"{module}.{getattr(function, '__qualname__', repr(function))}"


def _load_builtins() -> None:
    global _LOADED
    if _LOADED:
        return
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    _LOADED = True


def available() -> Mapping[str, str]:
    """The registered reproductions as ``name -> description``, sorted by name.

    Examples
    --------
    >>> sorted(available())[:3]
    ['rmt-laws', 'rmt-phase', 'rmt-toy']
    """
    _load_builtins()
    return MappingProxyType({k: _REGISTRY[k].description for k in sorted(_REGISTRY)})


def get(name: str) -> Reproduction:
    """The registered reproduction called ``name``.

    Raises
    ------
    ValidationError
        ``"name must be one of ...; got ..."`` for an unknown name.
    """
    _load_builtins()
    if not isinstance(name, str) or name not in _REGISTRY:
        raise fail("name", f"be one of {', '.join(sorted(_REGISTRY))}", name)
    return _REGISTRY[name]


def run(
    name: str,
    *,
    out: str | os.PathLike[str] | None = None,
    quick: bool = False,
    seed: int = 0,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: StageProgress | None = None,
    force: bool = False,
) -> ReproductionResult:
    """Run the reproduction ``name`` (or reuse its cached full run) and return what it wrote.

    Parameters
    ----------
    name : str
        A name of :func:`available`.
    out : path-like, optional
        Output folder (created); default ``synthmix-reproduce/<name>``.
    quick : bool, default False
        Reduced sizes; quick runs are never cached.
    seed : int, default 0
        Root seed (>= 0).
    n_jobs : int, default 1
        Local worker processes, or ``-1`` for all cores; results do not depend on it.
    scheduler : str, optional
        Address of a Dask scheduler.
    progress : callable, optional
        ``progress(stage, done, total)``.
    force : bool, default False
        Recompute a full run even when a matching cached result exists (see the module
        docstring, "Caching").

    Returns
    -------
    ReproductionResult
        ``summary`` as stored in ``results.json``; ``cached`` tells whether it was reused.

    Raises
    ------
    ValidationError
        Unknown name, or invalid ``seed``, ``n_jobs``, ``scheduler``, ``quick`` or ``force``.
    """
    entry = get(name)
    seed = check_int(seed, "seed", minimum=0)
    n_jobs = check_n_jobs(n_jobs)
    if scheduler is not None and not isinstance(scheduler, str):
        raise fail("scheduler", "be a Dask scheduler address (a string) or None", scheduler)
    for flag, value in (("quick", quick), ("force", force)):
        if not isinstance(value, bool):
            raise fail(flag, "be True or False", value)
    if progress is not None and not callable(progress):
        raise fail("progress", "be a callable progress(stage, done, total) or None", progress)
    folder = DEFAULT_OUT / name if out is None else Path(out)
    if not quick and not force:
        hit = _cached(entry, folder, seed)
        if hit is not None:
            return hit
    make_output_folder(folder)
    result = entry.function(
        out=folder, quick=quick, seed=seed, n_jobs=n_jobs, scheduler=scheduler, progress=progress
    )
    if not isinstance(result, ReproductionResult):
        raise TypeError(
            f"reproduction {name!r} returned {type(result).__name__}, not ReproductionResult"
        )
    return _stamp(entry, replace(result, out_dir=folder, seed=seed, quick=quick))


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(Path(path).resolve())


def _stamp(entry: Reproduction, result: ReproductionResult) -> ReproductionResult:
    """Add the ``"reproduction"`` block to ``results.json``; return the normalised result."""
    from synthmix import __version__

    summary = json.loads(json.dumps(to_jsonable(result.summary)))
    document = json.loads(result.results_path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        document = {"results": document}
    folder = result.out_dir
    document[STAMP_KEY] = {
        "name": entry.name,
        "description": entry.description,
        "synthmix_version": __version__,
        "seed": result.seed,
        "quick": result.quick,
        "config_hash": entry.config_hash,
        "config": entry.config,
        "results": _relative(result.results_path, folder),
        "report": _relative(result.report_path, folder),
        "figures": [_relative(p, folder) for p in result.figures],
        "seconds": result.seconds,
        "summary": summary,
        "cache": "full runs are reused by synthmix reproduce unless --force is given",
    }
    write_json(result.results_path, document)
    return replace(result, name=entry.name, summary=summary, cached=False)


def _cached(entry: Reproduction, folder: Path, seed: int) -> ReproductionResult | None:
    """The stored full run in ``folder`` if it matches ``entry`` and ``seed``, else None."""
    from synthmix import __version__

    results_path = folder / "results.json"
    try:
        document = json.loads(results_path.read_text(encoding="utf-8"))
        block = document[STAMP_KEY]
        matches = (
            block["name"] == entry.name
            and block["synthmix_version"] == __version__
            and block["seed"] == seed
            and block["quick"] is False
            and block["config_hash"] == entry.config_hash
        )
        if not matches:
            return None
        report = folder / block["report"]
        figures = tuple(folder / f for f in block["figures"])
        summary = block["summary"]
        seconds = float(block["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(summary, dict) or not all(p.is_file() for p in (report, *figures)):
        return None
    return ReproductionResult(
        name=entry.name,
        out_dir=folder,
        results_path=results_path,
        report_path=report,
        figures=figures,
        seconds=seconds,
        quick=False,
        seed=seed,
        summary=summary,
        cached=True,
    )
