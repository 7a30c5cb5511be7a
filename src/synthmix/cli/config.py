"""Command-line configuration: a TOML file and flags -> validated, frozen parameters.

The CLI reads parameters from three layers, later ones winning: built-in defaults, a TOML
file (``--config``), and command-line flags. Everything is validated here, at the boundary,
with the shared helpers of :mod:`synthmix._validation`, so a bad value is reported (one line,
naming the parameter) before any work starts.

TOML keys (snake_case)
----------------------
``p, mu, n_hat, trials, seed, n_jobs``
    Scalars: dimension, ``|mu_real|`` (``mu_real = mu * e_1``), real samples behind an
    estimated generator, Monte-Carlo trials, root seed, local worker processes.
``n, m, epsilon, rho, phi, gamma``
    A number or an array of numbers; the command evaluates the full grid (cartesian product).
``mu_synth``
    Generator mean: a number ``s`` (``s * e_1``; negative is anti-aligned), a table
    ``{norm = 1.0, angle_deg = 30}`` (``norm * (cos θ e_1 + sin θ e_2)``), or a list of ``p``
    numbers. Defaults to ``mu_real``.
``cov_synth``
    Generator covariance: a number ``s`` (``s * I``), a list of ``p`` eigenvalues (a diagonal
    spectrum), a ``p × p`` matrix (list of lists), or a table
    ``{kind = "linspace", low = 0.5, high = 2.0}`` or ``{kind = "marchenko-pastur", ratio = 0.5}``.
    Defaults to ``I``.
``cov_real``
    Real covariance: a number, a list of ``p`` eigenvalues or a ``p × p`` matrix. Defaults to ``I``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from synthmix._types import FloatArray
from synthmix._validation import (
    as_float_array,
    check_int,
    check_nonnegative,
    check_positive,
    fail,
)
from synthmix.exceptions import ValidationError
from synthmix.theory import MixtureModel, marchenko_pastur_quantiles
from synthmix.theory.predict import PARAMETER_RULES

__all__ = [
    "CONFIG_KEYS",
    "DEFAULTS",
    "GRID_AXES",
    "Grid",
    "Parameters",
    "load_config",
    "parse_number_list",
    "resolve_parameters",
]


#: The per-point parameters, in grid (and table column) order.
GRID_AXES: tuple[str, ...] = ("n", "m", "epsilon", "rho", "phi", "gamma")
_SCALAR_KEYS: tuple[str, ...] = ("p", "mu", "n_hat", "trials", "seed", "n_jobs")
_GENERATOR_KEYS: tuple[str, ...] = ("mu_synth", "cov_synth", "cov_real")
#: Every key a configuration file may contain.
CONFIG_KEYS: tuple[str, ...] = _SCALAR_KEYS[:2] + GRID_AXES + _SCALAR_KEYS[2:] + _GENERATOR_KEYS

#: Values used when neither the file nor a flag sets a parameter.
DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "p": 100,
        "mu": 1.0,
        "n": 200,
        "m": 200,
        "epsilon": 0.0,
        "rho": 1.0,
        "phi": 1.0,
        "gamma": 1.0,
        "trials": 100,
        "seed": 0,
        "n_jobs": 1,
    }
)


@dataclass(frozen=True)
class Grid:
    """The values of each per-point parameter; the grid is their cartesian product.

    Attributes
    ----------
    n, m, epsilon, rho, phi, gamma : tuple of float
        Values of each axis, in the order given (at least one each).
    """

    n: tuple[float, ...]
    m: tuple[float, ...]
    epsilon: tuple[float, ...]
    rho: tuple[float, ...]
    phi: tuple[float, ...]
    gamma: tuple[float, ...]

    def axes(self) -> dict[str, tuple[float, ...]]:
        """The axes by name, in :data:`GRID_AXES` order."""
        return {name: getattr(self, name) for name in GRID_AXES}

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values per axis, in :data:`GRID_AXES` order."""
        return tuple(len(values) for values in self.axes().values())

    @property
    def size(self) -> int:
        """Number of grid points (product of :attr:`shape`)."""
        return math.prod(self.shape)

    def points(self) -> dict[str, FloatArray]:
        """The grid flattened: one 1-D array of length :attr:`size` per axis.

        Points are in C order of :attr:`shape` (the last axis, ``gamma``, varies fastest), so
        ``array.reshape(grid.shape)`` recovers the grid of any per-point result.
        """
        mesh = np.meshgrid(
            *(np.asarray(v, dtype=np.float64) for v in self.axes().values()), indexing="ij"
        )
        return {name: arr.ravel() for name, arr in zip(GRID_AXES, mesh, strict=True)}

    def iter_points(self) -> Iterator[dict[str, float]]:
        """The grid points one by one, as ``{axis: value}``, in the order of :meth:`points`."""
        pts = self.points()
        for i in range(self.size):
            yield {name: float(pts[name][i]) for name in GRID_AXES}


@dataclass(frozen=True, eq=False)
class Parameters:
    """Validated parameters of one ``predict`` / ``simulate`` run.

    Attributes
    ----------
    p : int
        Dimension.
    mu : float
        ``|mu_real|``; ``mu_real = mu * e_1``.
    grid : Grid
        Per-point parameters ``n, m, epsilon, rho, phi, gamma``.
    n_hat : int, float or None
        Real samples behind an estimated generator (the toy setting), or None for an explicit
        :class:`~synthmix.theory.MixtureModel`.
    trials, seed, n_jobs : int
        Monte-Carlo trials, root seed and local worker processes (``simulate``).
    mu_synth : ndarray of shape (p,) or None
        Generator mean (None: ``mu_real``).
    cov_synth, cov_real : float, ndarray of shape (p,) or (p, p), or None
        Generator and real covariances (None: identity), in :class:`MixtureModel`'s forms.
    generator : mapping
        The generator settings as given (JSON-able), for the output's provenance.
    config : Path or None
        The configuration file read, if any.
    """

    p: int
    mu: float
    grid: Grid
    n_hat: int | float | None = None
    trials: int = 100
    seed: int = 0
    n_jobs: int = 1
    mu_synth: FloatArray | None = None
    cov_synth: float | FloatArray | None = None
    cov_real: float | FloatArray | None = None
    generator: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    config: Path | None = None

    @property
    def mu_real(self) -> FloatArray:
        """``mu * e_1``, shape (p,)."""
        vec = np.zeros(self.p)
        vec[0] = self.mu
        return vec

    def model(self) -> MixtureModel:
        """The :class:`~synthmix.theory.MixtureModel` these parameters describe.

        Raises
        ------
        ValidationError
            From the model: a mean or covariance of the wrong length, a covariance that is not
            positive semi-definite, ...
        """
        return MixtureModel(
            self.mu_real, mu_synth=self.mu_synth, cov_synth=self.cov_synth, cov_real=self.cov_real
        )

    def describe(self, *, simulation: bool = False) -> dict[str, Any]:
        """A JSON-able summary (for ``--json`` output and provenance).

        Parameters
        ----------
        simulation : bool, default False
            Include the Monte-Carlo settings ``trials``, ``seed`` and ``n_jobs``.
        """
        out: dict[str, Any] = {"p": self.p, "mu": self.mu, "n_hat": self.n_hat}
        out["grid"] = {name: list(values) for name, values in self.grid.axes().items()}
        for key in _GENERATOR_KEYS:
            out[key] = self.generator.get(key)
        if simulation:
            out.update(trials=self.trials, seed=self.seed, n_jobs=self.n_jobs)
        out["config"] = None if self.config is None else str(self.config)
        return out


# ---------------------------------------------------------------------------------------------
# Reading values


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML configuration file and check its keys.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    dict
        The top-level table (values not yet validated; see :func:`resolve_parameters`).

    Raises
    ------
    ValidationError
        The file cannot be read, is not valid UTF-8 TOML, or has a key outside
        :data:`CONFIG_KEYS`.
    """
    target = Path(path)
    try:
        raw = target.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ValidationError(
            f"config must be a readable file; got {str(target)!r} ({reason})"
        ) from None
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError(f"config must be valid TOML; got {str(target)!r} ({exc})") from None
    except RecursionError:  # arrays nested thousands deep: no setting of ours is like that
        raise ValidationError(
            f"config must be TOML without arrays nested hundreds deep; got {str(target)!r}"
        ) from None
    unknown = [key for key in table if key not in CONFIG_KEYS]
    if unknown:
        raise ValidationError(
            f"config keys must be among {', '.join(CONFIG_KEYS)}; "
            f"got unknown key {unknown[0]!r} in {str(target)!r}"
        )
    return table


def parse_number_list(text: str, name: str) -> tuple[float, ...]:
    """Parse a flag value such as ``"0,100,1000"`` into floats.

    Parameters
    ----------
    text : str
        One number or comma-separated numbers (``nan`` and ``inf`` parse, and are refused
        later by the range checks).
    name : str
        Parameter name for the error message.

    Raises
    ------
    ValidationError
        An empty item or one that is not a number.
    """
    items = [item.strip() for item in text.split(",")]
    try:
        if any(not item for item in items):
            raise ValueError
        return tuple(float(item) for item in items)
    except ValueError:
        raise fail(name, "be a number or a comma-separated list of numbers", text) from None


def _axis_values(value: Any, name: str) -> tuple[float, ...]:
    """A grid axis from a TOML value (number or array) or an already parsed tuple."""
    if isinstance(value, str):
        return parse_number_list(value, name)
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items:
        raise fail(name, "not be empty", value)
    if any(isinstance(item, bool) or not isinstance(item, int | float) for item in items):
        raise fail(name, "be a number or a list of numbers", value)
    return tuple(float(item) for item in items)


def _check_axis(values: tuple[float, ...], name: str, *, integer: bool) -> tuple[float, ...]:
    """Range-check an axis with the shared helper (one value reads as a scalar in errors)."""
    PARAMETER_RULES[name](values[0] if len(values) == 1 else list(values), name)
    if integer:
        for value in values:
            check_int(value, name, minimum=0)
    return values


def _scalar_number(value: Any, name: str) -> float:
    """A single finite number (bools and strings refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise fail(name, "be a number", value)
    return float(as_float_array(value, name))


def _table_number(table: Mapping[str, Any], key: str, name: str) -> float:
    if key not in table:
        raise fail(name, f"have the key {key!r}", dict(table))
    return _scalar_number(table[key], f"{name}.{key}")


def _check_table_keys(table: Mapping[str, Any], allowed: tuple[str, ...], name: str) -> None:
    for key in table:
        if key not in allowed:
            raise fail(f"{name} keys", f"be among {', '.join(allowed)}", key)


def _resolve_mean(value: Any, p: int) -> FloatArray:
    """``mu_synth``: number -> s*e_1; table {norm, angle_deg}; list -> the vector itself."""
    name = "mu_synth"
    if isinstance(value, Mapping):
        _check_table_keys(value, ("norm", "angle_deg"), name)
        norm = float(check_nonnegative(_table_number(value, "norm", name), f"{name}.norm"))
        angle = _scalar_number(value.get("angle_deg", 0.0), f"{name}.angle_deg")
        theta = math.radians(angle)
        vec = np.zeros(p)
        vec[0] = norm * math.cos(theta)
        if p >= 2:
            vec[1] = norm * math.sin(theta)
        elif abs(math.sin(theta)) > 1e-12:
            raise fail(f"{name}.angle_deg", "be 0 or 180 when p = 1 (there is no e_2)", angle)
        return vec
    if isinstance(value, list | tuple):
        return as_float_array(value, name)  # length and shape are checked by MixtureModel
    vec = np.zeros(p)
    vec[0] = _scalar_number(value, name)
    return vec


def _resolve_cov(value: Any, p: int, name: str, *, tables: bool) -> float | FloatArray:
    """A covariance in :class:`MixtureModel`'s forms (scalar, spectrum or matrix)."""
    if isinstance(value, Mapping):
        if not tables:
            raise fail(name, "be a number, a list of p eigenvalues or a p x p matrix", dict(value))
        kind = value.get("kind")
        if kind == "linspace":
            _check_table_keys(value, ("kind", "low", "high"), name)
            low = _table_number(value, "low", name)
            high = _table_number(value, "high", name)
            return np.linspace(low, high, p)
        if kind == "marchenko-pastur":
            _check_table_keys(value, ("kind", "ratio"), name)
            ratio = float(check_positive(_table_number(value, "ratio", name), f"{name}.ratio"))
            return marchenko_pastur_quantiles(p, ratio)
        raise fail(f"{name}.kind", "be 'linspace' or 'marchenko-pastur'", kind)
    if isinstance(value, list | tuple):
        return as_float_array(value, name)  # shape, sign and PSD are checked by MixtureModel
    return _scalar_number(value, name)


# ---------------------------------------------------------------------------------------------
# Merging layers


def check_parameters_memory(
    params: Parameters, *, simulation: bool, max_memory_gib: float | None
) -> None:
    """Refuse a run whose estimated memory exceeds the budget (:mod:`synthmix._resources`).

    Estimates, in bytes (measured peaks on the diagonal path: about 230 per dimension): the
    theory needs ``256 p`` with diagonal covariances and ``64 p²`` with a full one, plus
    ``512`` per grid point; a Monte-Carlo worker holds ``8 (4 p² + 3 N p)`` for ``N = n + m``
    samples plus ``128`` per trial, and ``min(n_jobs, cores)`` workers run at once. The error
    names the size that contributes most.
    """
    from synthmix._resources import check_memory
    from synthmix.parallel.engine import usable_cores

    p = params.p
    full = any(np.ndim(c) == 2 for c in (params.cov_real, params.cov_synth) if c is not None)
    parts = {"p": 64.0 * p * p if full else 256.0 * p, "grid": 512.0 * params.grid.size}
    if simulation:
        axes = params.grid.axes()
        samples = max(axes["n"]) + max(axes["m"])
        workers = max(
            1, min(usable_cores(), usable_cores() if params.n_jobs == -1 else params.n_jobs)
        )
        parts["p"] += workers * 8.0 * (4.0 * p * p + 3.0 * samples * p)
        parts["trials"] = workers * 128.0 * params.trials
    name = max(parts, key=lambda k: parts[k])
    values = {"p": p, "grid": f"{params.grid.size} points", "trials": params.trials}
    check_memory(sum(parts.values()), param=name, value=values[name], max_memory_gib=max_memory_gib)


def resolve_parameters(
    flags: Mapping[str, Any],
    *,
    config: str | Path | None = None,
    integer_counts: bool = False,
) -> Parameters:
    """Merge defaults, a TOML file and flags into validated :class:`Parameters`.

    Parameters
    ----------
    flags : mapping
        Command-line values by key (see :data:`CONFIG_KEYS`); ``None`` means "not given".
        Grid axes may be strings such as ``"0,100,1000"``.
    config : str or Path, optional
        A TOML file (see the module docstring); flags override its values.
    integer_counts : bool, default False
        Require integer ``n``, ``m`` and ``n_hat`` (Monte-Carlo draws whole samples).

    Returns
    -------
    Parameters

    Raises
    ------
    ValidationError
        Any value breaks its rule; the message names the parameter.
    """
    unknown = [key for key in flags if key not in CONFIG_KEYS]
    if unknown:  # a programming error in the caller, reported like any other
        raise fail("flags", f"be among {', '.join(CONFIG_KEYS)}", unknown[0])
    merged: dict[str, Any] = dict(DEFAULTS)
    if config is not None:
        merged.update(load_config(config))
    merged.update({key: value for key, value in flags.items() if value is not None})

    p = check_int(merged["p"], "p", minimum=1)
    mu = float(check_nonnegative(_scalar_number(merged["mu"], "mu"), "mu"))
    axes = {
        name: _check_axis(
            _axis_values(merged[name], name), name, integer=integer_counts and name in ("n", "m")
        )
        for name in GRID_AXES
    }
    n_hat: int | float | None = None
    if merged.get("n_hat") is not None:
        if integer_counts:
            n_hat = check_int(merged["n_hat"], "n_hat", minimum=1)
        else:
            n_hat = float(check_positive(_scalar_number(merged["n_hat"], "n_hat"), "n_hat"))
    trials = check_int(merged["trials"], "trials", minimum=2)
    seed = check_int(merged["seed"], "seed", minimum=0)
    n_jobs = check_int(merged["n_jobs"], "n_jobs")

    given = {key: merged[key] for key in _GENERATOR_KEYS if merged.get(key) is not None}
    if n_hat is not None and given:
        raise fail(
            "n_hat",
            f"not be combined with {', '.join(given)} (the estimated generator fixes the model)",
            n_hat,
        )
    mu_synth = _resolve_mean(given["mu_synth"], p) if "mu_synth" in given else None
    cov_synth = (
        _resolve_cov(given["cov_synth"], p, "cov_synth", tables=True)
        if "cov_synth" in given
        else None
    )
    cov_real = (
        _resolve_cov(given["cov_real"], p, "cov_real", tables=False)
        if "cov_real" in given
        else None
    )
    return Parameters(
        p=p,
        mu=mu,
        grid=Grid(**axes),
        n_hat=n_hat,
        trials=trials,
        seed=seed,
        n_jobs=n_jobs,
        mu_synth=mu_synth,
        cov_synth=cov_synth,
        cov_real=cov_real,
        generator=MappingProxyType(dict(given)),
        config=None if config is None else Path(config),
    )
