"""The ``synthmix`` command line (typer).

Commands stay thin: :mod:`synthmix.cli.config` turns flags and TOML into validated
parameters, the library computes, and this module only formats. :func:`main` runs the app
in-process and maps every user error — a :class:`~synthmix.exceptions.SynthmixError` from
anywhere, or a click usage error — to one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from synthmix import __version__
from synthmix._io import config_hash, to_jsonable, write_json
from synthmix._validation import fail
from synthmix.cli.config import GRID_AXES, Parameters, resolve_parameters
from synthmix.cli.progress import StageProgress
from synthmix.exceptions import SynthmixError
from synthmix.theory import Prediction, predict, predict_estimated_generator

if TYPE_CHECKING:
    from synthmix.cli.predict_data import DataOptions

__all__ = ["app", "main", "run"]


#: Exit status for invalid input (bad values, unknown options, unreadable config).
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="synthmix",
    help=(
        "Predict, simulate and value what synthetic data does to a model trained on "
        "real + synthetic data."
    ),
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"synthmix {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress bars (also off when output is not a terminal)."
        ),
    ] = False,
) -> None:
    """Predict, simulate and value what synthetic data does to a model.

    Invalid input prints one line on stderr and exits with status 2; other failures exit 1,
    an interrupted run 130 (its finished files are whole: every output is written atomically).
    """
    from synthmix.cli.progress import set_quiet

    set_quiet(quiet)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


# ---------------------------------------------------------------------------------------------
# Shared options (flags default to None: "not given", so a --config file value survives)

_GRID_HELP = "A number or a comma-separated list (the grid is their cartesian product)."
_MODEL = "Model"
_GRID = "Grid (comma-separated lists allowed)"
_RUN = "Run"

POpt = Annotated[
    int | None,
    typer.Option(
        "--p", help="Dimension p (default 100).", show_default=False, rich_help_panel=_MODEL
    ),
]
MuOpt = Annotated[
    float | None,
    typer.Option(
        "--mu",
        help="|mu_real|; the real class mean is mu * e_1 (default 1.0).",
        show_default=False,
        rich_help_panel=_MODEL,
    ),
]
NOpt = Annotated[
    str | None,
    typer.Option(
        "--n",
        help=f"Real samples (default 200). {_GRID_HELP}",
        show_default=False,
        rich_help_panel=_GRID,
    ),
]
MOpt = Annotated[
    str | None,
    typer.Option(
        "--m", help="Synthetic samples (default 200).", show_default=False, rich_help_panel=_GRID
    ),
]
EpsOpt = Annotated[
    str | None,
    typer.Option(
        "--epsilon",
        help="Synthetic label-flip probability in [0, 1] (default 0).",
        show_default=False,
        rich_help_panel=_GRID,
    ),
]
RhoOpt = Annotated[
    str | None,
    typer.Option(
        "--rho",
        help="Verifier keep probability of a wrong label, in [0, 1] (default 1).",
        show_default=False,
        rich_help_panel=_GRID,
    ),
]
PhiOpt = Annotated[
    str | None,
    typer.Option(
        "--phi",
        help="Verifier keep probability of a right label, in [0, 1] (default 1).",
        show_default=False,
        rich_help_panel=_GRID,
    ),
]
GammaOpt = Annotated[
    str | None,
    typer.Option(
        "--gamma", help="Ridge penalty, > 0 (default 1).", show_default=False, rich_help_panel=_GRID
    ),
]
NHatOpt = Annotated[
    float | None,
    typer.Option(
        "--n-hat",
        help=(
            "Estimate the generator's covariance from this many real samples (the toy setting; "
            "mu_synth = mu_real). Excludes mu_synth / cov_synth / cov_real in the config."
        ),
        rich_help_panel=_MODEL,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help=(
            "TOML file with the same keys (snake_case) plus mu_synth, cov_synth and "
            "cov_real; flags override it."
        ),
        rich_help_panel=_MODEL,
        dir_okay=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print a JSON document on stdout instead of a table.")
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Also write the JSON document to this file (atomically).", dir_okay=False
    ),
]
TrialsOpt = Annotated[
    int | None,
    typer.Option(
        "--trials",
        help="Monte-Carlo trials per point (default 100).",
        show_default=False,
        rich_help_panel=_RUN,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        help="Root seed, the same for every grid point (default 0).",
        show_default=False,
        rich_help_panel=_RUN,
    ),
]
NJobsOpt = Annotated[
    int | None,
    typer.Option(
        "--n-jobs",
        help="Local worker processes; -1 for all cores (default 1).",
        show_default=False,
        rich_help_panel=_RUN,
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on the Dask cluster at this address (needs the 'dask' extra).",
        rich_help_panel=_RUN,
    ),
]


# ---------------------------------------------------------------------------------------------
# Computation helpers


def _predict_grid(params: Parameters) -> Prediction:
    """Theory on the whole grid in one vectorised call (fields are 1-D, length grid.size)."""
    points = params.grid.points()
    if params.n_hat is not None:
        return predict_estimated_generator(
            p=params.p, mu_norm=params.mu, n_hat=params.n_hat, **points
        )
    return predict(params.model(), **points)


def _z_score(mc: float, theory: float, stderr: float) -> float:
    """``(mc - theory) / stderr``; ±inf or NaN when the standard error is 0."""
    diff = mc - theory
    if stderr > 0:
        return diff / stderr
    if math.isnan(diff):
        return math.nan
    return 0.0 if diff == 0 else math.copysign(math.inf, diff)


# ---------------------------------------------------------------------------------------------
# Output helpers


def _fmt(value: Any, digits: int = 6) -> str:
    """Integers plainly, parameters compactly, metrics with fixed ``digits``."""
    if isinstance(value, str):
        return value
    x = float(value)
    if not np.isfinite(x):
        return str(x)
    if digits < 0:
        return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:g}"
    return f"{x:.{digits}f}"


def _table(columns: Mapping[str, Sequence[Any]], digits: Mapping[str, int]) -> str:
    """Right-aligned text table; ``digits[name]`` < 0 formats a column as a parameter."""
    cells = {
        name: [_fmt(v, digits.get(name, 6)) for v in values] for name, values in columns.items()
    }
    widths = {name: max(len(name), *(len(c) for c in col)) for name, col in cells.items()}
    lines = ["  ".join(name.rjust(widths[name]) for name in cells)]
    rows = len(next(iter(cells.values())))
    for i in range(rows):
        lines.append("  ".join(cells[name][i].rjust(widths[name]) for name in cells))
    return "\n".join(lines)


def _context_line(params: Parameters) -> str:
    """A ``# p=... mu=...`` comment line describing the model above a table."""
    parts = [f"p={params.p}", f"mu={params.mu:g}"]
    if params.n_hat is not None:
        parts.append(f"n_hat={_fmt(params.n_hat, -1)} (estimated generator)")
    else:
        for key in ("mu_synth", "cov_synth", "cov_real"):
            value = params.generator.get(key)
            if value is not None:
                text = json.dumps(to_jsonable(value), separators=(",", ":"))
                parts.append(f"{key}={text if len(text) <= 60 else text[:57] + '...'}")
    return "# " + "  ".join(parts) + f"  ({params.grid.size} point{'s' * (params.grid.size != 1)})"


def _document(
    command: str, params: Parameters, results: Mapping[str, Any], *, simulation: bool
) -> dict[str, Any]:
    described = params.describe(simulation=simulation)
    return {
        "synthmix_version": __version__,
        "command": command,
        "parameters": described,
        "config_hash": config_hash(described),
        "axes": list(GRID_AXES),
        "grid_shape": list(params.grid.shape),
        "results": dict(results),
    }


def _emit(document: Mapping[str, Any], table: str, *, as_json: bool, out: Path | None) -> None:
    """Print the table or the JSON document; optionally write the JSON to ``out``."""
    if out is not None:
        try:
            write_json(out, document)
        except OSError as exc:
            raise fail("out", "be a writable file path", f"{out} ({exc.strerror or exc})") from None
    if as_json:
        typer.echo(json.dumps(to_jsonable(document), indent=2))
    else:
        typer.echo(table)


# ---------------------------------------------------------------------------------------------
# Commands


@app.command("predict")
def predict_command(
    p: POpt = None,
    n: NOpt = None,
    m: MOpt = None,
    mu: MuOpt = None,
    epsilon: EpsOpt = None,
    rho: RhoOpt = None,
    phi: PhiOpt = None,
    gamma: GammaOpt = None,
    n_hat: NHatOpt = None,
    config: ConfigOpt = None,
    real: Annotated[
        Path | None,
        typer.Option(
            "--real",
            help="Your real binary data (npz/csv/jsonl/parquet, labels ±1): the model is fitted "
            "to it (replaces --p/--mu/--n-hat). n defaults to its number of rows.",
            rich_help_panel="From data",
        ),
    ] = None,
    synthetic: Annotated[
        Path | None,
        typer.Option(
            "--synthetic",
            help="Samples of your generator (same columns; label = the class it was asked for, "
            "or a y_true column).",
            rich_help_panel="From data",
        ),
    ] = None,
    generator: Annotated[
        str | None,
        typer.Option(
            "--generator",
            help="Instead of --synthetic: 'gaussian', a class-conditional Gaussian fitted on "
            "--n-use real samples.",
            rich_help_panel="From data",
        ),
    ] = None,
    n_use: Annotated[
        int | None,
        typer.Option(
            "--n-use",
            help="Real samples behind the Gaussian generator (default all).",
            rich_help_panel="From data",
        ),
    ] = None,
    generator_cov: Annotated[
        str,
        typer.Option(
            "--generator-cov",
            help="'estimated' or 'identity' (default estimated).",
            rich_help_panel="From data",
        ),
    ] = "estimated",
    components: Annotated[
        int | None,
        typer.Option(
            "--components",
            help="Keep this many principal directions (k much less than the rows).",
            rich_help_panel="From data",
        ),
    ] = None,
    label: Annotated[
        str,
        typer.Option(
            "--label", help="Label column (default 'label').", rich_help_panel="From data"
        ),
    ] = "label",
    verifier: Annotated[
        str | None,
        typer.Option(
            "--verifier",
            help="model, knn or cleanlab: a verifier fitted on the real data whose measured "
            "rates replace --rho/--phi.",
            rich_help_panel="From data",
        ),
    ] = None,
    seed: SeedOpt = None,
    json_output: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Predict test accuracy and risk in closed form (random-matrix theory).

    Example: synthmix predict --p 200 --n 100 --m 0,1000,10000 --epsilon 0.2 --rho 0.1 --phi 0.9

    Every grid point is evaluated in one vectorised call; the table has one row per point.
    With --real, the model is fitted to your data and generator (see "From data").
    """
    flags = {"p": p, "mu": mu, "n": n, "m": m, "epsilon": epsilon, "rho": rho, "phi": phi}
    flags.update(gamma=gamma, n_hat=n_hat, seed=seed)
    if real is not None:
        from synthmix.cli.predict_data import DataOptions

        options = DataOptions(
            real, synthetic, generator, n_use, generator_cov, components, label, verifier
        )
        _predict_from_files(flags, config, options, json_output, out)
        return
    for option, value in (
        ("verifier", verifier),
        ("synthetic", synthetic),
        ("generator", generator),
        ("n_use", n_use),
        ("components", components),
    ):
        if value is not None:
            raise fail(option, "be given only with --real", str(value))
    params = resolve_parameters(flags, config=config)
    pred = _predict_grid(params)
    results: dict[str, Any] = {name: getattr(pred, name) for name in GRID_AXES}
    for name in ("accuracy", "risk", "mean", "second_moment"):
        results[name] = getattr(pred, name)
    shown = {name: results[name] for name in (*GRID_AXES, "accuracy", "risk")}
    table = _context_line(params) + "\n" + _table(shown, {name: -1 for name in GRID_AXES})
    _emit(
        _document("predict", params, results, simulation=False), table, as_json=json_output, out=out
    )


def _predict_from_files(
    flags: dict[str, Any],
    config: Path | None,
    options: DataOptions,
    json_output: bool,
    out: Path | None,
) -> None:
    """``predict --real``: the data set the model; the grid comes from the usual options."""
    from synthmix.cli.predict_data import MODEL_FLAGS, run_predict_data

    for key in MODEL_FLAGS:
        if flags.get(key) is not None:
            raise fail(key, "not be given with --real (the data determine the model)", flags[key])
    params = resolve_parameters(flags, config=config)
    run = run_predict_data(params, options, n_given=flags.get("n") is not None)
    pred = run.result.prediction
    results: dict[str, Any] = {name: getattr(pred, name) for name in GRID_AXES}
    for name in ("accuracy", "risk", "mean", "second_moment"):
        results[name] = getattr(pred, name)
    shown = {name: results[name] for name in (*GRID_AXES, "accuracy", "risk")}
    table = run.context + "\n" + _table(shown, {name: -1 for name in GRID_AXES})
    document = _document("predict", params, results, simulation=False)
    document["data"] = run.inputs
    _emit(document, table, as_json=json_output, out=out)


@app.command("simulate")
def simulate_command(
    p: POpt = None,
    n: NOpt = None,
    m: MOpt = None,
    mu: MuOpt = None,
    epsilon: EpsOpt = None,
    rho: RhoOpt = None,
    phi: PhiOpt = None,
    gamma: GammaOpt = None,
    n_hat: NHatOpt = None,
    config: ConfigOpt = None,
    trials: TrialsOpt = None,
    seed: SeedOpt = None,
    n_jobs: NJobsOpt = None,
    scheduler: SchedulerOpt = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="Also show the theory and z = (mc - theory) / stderr.")
    ] = False,
    json_output: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Monte-Carlo: draw data, fit ridge, score exactly; mean ± standard error per point.

    Example: synthmix simulate --p 200 --n 100 --m 1000 --trials 200 --compare --n-jobs 2

    n and m must be integers. Every grid point uses the same seed (common random numbers).
    """
    from synthmix.simulate import SimulationResult, simulate, simulate_estimated_generator

    flags = {"p": p, "mu": mu, "n": n, "m": m, "epsilon": epsilon, "rho": rho, "phi": phi}
    flags.update(gamma=gamma, n_hat=n_hat, trials=trials, seed=seed, n_jobs=n_jobs)
    params = resolve_parameters(flags, config=config, integer_counts=True)
    theory = _predict_grid(params) if compare else None  # also validates every point up front
    run_point: Callable[..., SimulationResult]
    if params.n_hat is None:
        run_point = partial(simulate, params.model())
    else:
        run_point = partial(
            simulate_estimated_generator, p=params.p, mu_norm=params.mu, n_hat=int(params.n_hat)
        )
    size, per_point = params.grid.size, params.trials

    sims: list[SimulationResult] = []
    with StageProgress() as bar:
        for i, point in enumerate(params.grid.iter_points()):
            tick = (
                bar.callback("simulate", offset=i * per_point, total=size * per_point)
                if bar.enabled
                else None
            )
            sims.append(
                run_point(
                    n=int(point["n"]),
                    m=int(point["m"]),
                    epsilon=point["epsilon"],
                    rho=point["rho"],
                    phi=point["phi"],
                    gamma=point["gamma"],
                    n_trials=per_point,
                    rng=params.seed,
                    n_jobs=params.n_jobs,
                    scheduler=scheduler,
                    progress=tick,
                )
            )

    results: dict[str, Any] = {name: [getattr(s, name) for s in sims] for name in GRID_AXES}
    for name in (
        "accuracy_mean",
        "accuracy_stderr",
        "risk_mean",
        "risk_stderr",
        "kept_fraction_mean",
    ):
        results[name] = [getattr(s, name) for s in sims]
    acc = [f"{s.accuracy_mean:.4f} ± {s.accuracy_stderr:.4f}" for s in sims]
    risk = [f"{s.risk_mean:.4f} ± {s.risk_stderr:.4f}" for s in sims]
    shown: dict[str, Sequence[Any]] = {name: results[name] for name in GRID_AXES}
    shown.update(accuracy=acc, risk=risk)
    if theory is not None:
        results["theory_accuracy"] = theory.accuracy
        results["theory_risk"] = theory.risk
        results["z_accuracy"] = [
            _z_score(s.accuracy_mean, float(t), s.accuracy_stderr)
            for s, t in zip(sims, theory.accuracy, strict=True)
        ]
        results["z_risk"] = [
            _z_score(s.risk_mean, float(t), s.risk_stderr)
            for s, t in zip(sims, theory.risk, strict=True)
        ]
        shown.update(
            theory_acc=[f"{t:.4f}" for t in theory.accuracy],
            z_acc=[f"{z:+.2f}" for z in results["z_accuracy"]],
            theory_risk=[f"{t:.4f}" for t in theory.risk],
            z_risk=[f"{z:+.2f}" for z in results["z_risk"]],
        )
    table = _context_line(params) + f"  trials={params.trials} seed={params.seed}\n"
    table += _table(shown, {name: -1 for name in GRID_AXES})
    _emit(
        _document("simulate", params, results, simulation=True), table, as_json=json_output, out=out
    )


def _register_subcommands() -> None:
    from synthmix.cli import report, value
    from synthmix.cli.scaling import scaling_app

    app.add_typer(scaling_app, name="scaling")
    value.register(app)
    report.register(app)


_register_subcommands()


def _echo_written(command: str, result: Any, **extra: Any) -> None:
    """Print, as JSON, what a run that writes a report folder produced (``--json``)."""
    doc = {
        "synthmix_version": __version__,
        "command": command,
        **extra,
        "report": result.report_path,
        "results": result.results_path,
        "figures": list(result.figures),
        "seed": result.seed,
        "quick": result.quick,
        "seconds": result.seconds,
        "summary": result.summary,
    }
    typer.echo(json.dumps(to_jsonable(doc), indent=2))


@app.command("demo")
def demo_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Output folder for figures, data and the HTML report.", file_okay=False
        ),
    ] = Path("synthmix-demo"),
    quick: Annotated[
        bool, typer.Option("--quick", help="Small sizes: a minute instead of many.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Root seed.")] = 0,
    n_jobs: Annotated[
        int, typer.Option("--n-jobs", help="Local worker processes; -1 for all cores.")
    ] = 1,
    scheduler: SchedulerOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Recompute every stage, even those a previous run finished."),
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print the decisions, stages and paths as JSON."),
    ] = False,
) -> None:
    """Run the headline experiments and write a self-contained HTML report.

    Example: synthmix demo --quick --out synthmix-demo
    """
    try:
        from synthmix.experiments.demo import run_demo
    except ImportError as exc:  # not an input error: report it and exit with status 1
        _error(f"the demo is unavailable ({exc})")
        raise typer.Exit(1) from None
    with StageProgress() as bar:
        result = run_demo(
            out=out,
            quick=quick,
            seed=seed,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=bar,
            force=force,
        )
    if json_output:
        stages = [
            {"name": st.name, "config_hash": st.config_hash, "reused": st.reused}
            for st in result.stages
        ]
        _echo_written("demo", result, stages=stages)
        return
    typer.echo(f"report written to {result.report_path}")


_PRUNE_IN = "Inputs"
_PRUNE_VERIFIER = "Verifier"


@app.command("prune")
def prune_command(
    synthetic: Annotated[
        Path,
        typer.Option(
            "--synthetic",
            help="Synthetic samples: .npz, .npy, .csv, .jsonl or .parquet; labels -1/+1.",
            rich_help_panel=_PRUNE_IN,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help=(
                "Write the kept rows here (.npz, .csv or .jsonl, atomically): features, label "
                "and provenance only — the file writer has no other columns, so the score "
                "(verifier_score) and the true labels are not written."
            ),
        ),
    ],
    verifier: Annotated[
        str,
        typer.Option(
            "--verifier",
            help="oracle, model, cleanlab or knn.",
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ],
    real: Annotated[
        Path | None,
        typer.Option(
            "--real",
            help="Real samples, same features; required by model, cleanlab and knn.",
            rich_help_panel=_PRUNE_IN,
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Keep threshold on the score, in [0, 1] (model, knn; default 0.5).",
            show_default=False,
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option(
            "--k",
            help="Neighbours of knn, >= 1 (default 10).",
            show_default=False,
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ] = None,
    rho: Annotated[
        float | None,
        typer.Option(
            "--rho",
            help="oracle: keep probability of a wrong label, in [0, 1] (required).",
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ] = None,
    phi: Annotated[
        float | None,
        typer.Option(
            "--phi",
            help="oracle: keep probability of a right label, in [0, 1] (required).",
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ] = None,
    label: Annotated[
        str,
        typer.Option(
            "--label",
            help="Label column of tabular files (.npz files use their array y).",
            rich_help_panel=_PRUNE_IN,
        ),
    ] = "label",
    true_label: Annotated[
        str | None,
        typer.Option(
            "--true-label",
            help=(
                "Column (.npz: array) of the synthetic file with the clean labels, never a "
                "feature; default y_true when present. Needed to measure rho/phi, and by oracle."
            ),
            show_default=False,
            rich_help_panel=_PRUNE_IN,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the oracle's coin flips.", rich_help_panel=_RUN)
    ] = 0,
    json_output: JsonOpt = False,
    rates_out: Annotated[
        Path | None,
        typer.Option(
            "--rates-out",
            help="Also write the measured rates as JSON (atomically; needs true labels).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Apply a verifier to synthetic samples, write the kept rows, report measured rates.

    Example: synthmix prune --synthetic synth.csv --real real.csv --verifier cleanlab --out kept.csv

    With clean labels in the synthetic file (--true-label), prints the measured rho and phi
    with exact Clopper-Pearson intervals, the flip rate and the kept fraction, and a
    'synthmix predict' line to paste.
    """
    from synthmix.cli.prune import run_prune

    result = run_prune(
        synthetic=synthetic,
        out=out,
        verifier=verifier,
        real=real,
        threshold=threshold,
        k=k,
        rho=rho,
        phi=phi,
        label=label,
        true_label=true_label,
        seed=seed,
        rates_out=rates_out,
    )
    typer.echo(json.dumps(result.document(), indent=2) if json_output else result.text())


@app.command("reproduce")
def reproduce_command(
    name: Annotated[
        str | None,
        typer.Argument(help="Reproduction to run (see --list).", show_default=False),
    ] = None,
    list_names: Annotated[
        bool, typer.Option("--list", help="List the reproductions with descriptions and exit.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output folder (default synthmix-reproduce/NAME).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="Reduced sizes: seconds; never cached.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Root seed.")] = 0,
    n_jobs: Annotated[
        int, typer.Option("--n-jobs", help="Local worker processes; -1 for all cores.")
    ] = 1,
    scheduler: SchedulerOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Recompute a full run even when its cached result exists."),
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print what was written (paths, summary) as JSON."),
    ] = False,
) -> None:
    """Reproduce a paper figure: figures, results.json and a self-contained HTML report.

    Example: synthmix reproduce --list; synthmix reproduce scaling-exact --out runs/scaling

    A full run is cached in its output folder and reused unless --force is given.
    """
    try:
        from synthmix.experiments import registry
    except ImportError as exc:  # not an input error: report it and exit with status 1
        _error(f"reproductions are unavailable ({exc})")
        raise typer.Exit(1) from None
    if list_names:
        names = registry.available()
        width = max((len(k) for k in names), default=0)
        for key, description in names.items():
            typer.echo(f"{key.ljust(width)}  {description}")
        return
    if name is None:
        raise fail("name", f"be one of {', '.join(registry.available())} (or use --list)", None)
    with StageProgress() as bar:
        result = registry.run(
            name,
            out=out,
            quick=quick,
            seed=seed,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=bar,
            force=force,
        )
    if json_output:
        _echo_written(
            "reproduce", result, name=result.name, out_dir=result.out_dir, cached=result.cached
        )
        return
    if result.cached:
        typer.echo(f"reused the cached full run in {result.out_dir} (--force recomputes it)")
    typer.echo(f"report written to {result.report_path}")


# ---------------------------------------------------------------------------------------------
# Entry points


def _error(message: str) -> None:
    """Print ``synthmix: error: <message>`` as exactly one line on stderr."""
    text = " ".join(str(message).split()) or "invalid input"
    sys.stderr.write(f"synthmix: error: {text}\n")
    sys.stderr.flush()


def _cli_error_types() -> tuple[type[Exception], ...]:
    """The exception types typer/click raise for command-line mistakes.

    typer >= 0.2x vendors click and derives its exceptions from ``typer.TyperException``;
    older typer raises ``click.ClickException``. Both carry ``exit_code`` and
    ``format_message()``; usage errors have ``exit_code == 2`` and a ``ctx``.
    """
    types: list[type[Exception]] = []
    typer_exc = getattr(typer, "TyperException", None)
    if isinstance(typer_exc, type) and issubclass(typer_exc, Exception):
        types.append(typer_exc)
    try:
        import click
    except ImportError:  # pragma: no cover - click is optional with a vendoring typer
        pass
    else:
        types.append(click.ClickException)
    return tuple(types)


_CLI_ERRORS = _cli_error_types()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI in-process and return its exit status (never calls :func:`sys.exit`).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 for invalid input (one line on stderr, no traceback), 1 for other
        reported failures, 130 when interrupted.

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    synthmix 0.1.0
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=args, prog_name="synthmix", standalone_mode=False)
    except SynthmixError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except _CLI_ERRORS as exc:
        code = getattr(exc, "exit_code", 1)
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        ctx = getattr(exc, "ctx", None)
        if code == EXIT_USAGE and ctx is not None:
            message += f" (see '{ctx.command_path} --help')"
        _error(message)
        return code if isinstance(code, int) and code else 1
    except (typer.Abort, KeyboardInterrupt):
        _error("interrupted; every file already written is complete (outputs are atomic)")
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # typer exits on a broken stdout pipe even when not standalone
        code = exc.code if isinstance(exc.code, int) else 1
        if code == EXIT_INTERRUPTED:  # typer's own Ctrl-C handling
            _error("interrupted; every file already written is complete (outputs are atomic)")
        return code
    code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
    if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into Exit(130), returned when embedded
        _error("interrupted; every file already written is complete (outputs are atomic)")
    return code


def run() -> None:
    """Console-script entry point: ``sys.exit(main())``."""
    sys.exit(main())
