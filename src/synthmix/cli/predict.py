"""``synthmix predict``: closed-form test accuracy and risk on a grid of parameters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from synthmix._validation import fail
from synthmix.cli.config import GRID_AXES, Parameters, check_parameters_memory, resolve_parameters
from synthmix.cli.options import (
    ConfigOpt,
    EpsOpt,
    GammaOpt,
    JsonOpt,
    MaxMemoryOpt,
    MOpt,
    MuOpt,
    NHatOpt,
    NOpt,
    OutOpt,
    PhiOpt,
    POpt,
    RhoOpt,
    SeedOpt,
)
from synthmix.cli.output import build_document, context_line, emit, format_table
from synthmix.data.labeled import check_negative
from synthmix.theory import Prediction, predict, predict_estimated_generator

if TYPE_CHECKING:
    from synthmix.cli.predict_data import DataOptions

__all__ = ["predict_command", "predict_grid", "register"]


def predict_grid(params: Parameters) -> Prediction:
    """Theory on the whole grid in one vectorised call (fields are 1-D, length grid.size)."""
    points = params.grid.points()
    if params.n_hat is not None:
        return predict_estimated_generator(
            p=params.p, mu_norm=params.mu, n_hat=params.n_hat, **points
        )
    return predict(params.model(), **points)


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
            help="Your real binary data (npz/csv/jsonl/parquet; see --label, --positive): the "
            "model is fitted to it (replaces --p/--mu/--n-hat). n defaults to its number of rows.",
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
        str | None,
        typer.Option(
            "--label",
            help="Label column, or per file: real=COL,synthetic=COL (default: the first of "
            "label, target, y, class each file has). Labels of any type: ±1, 0/1, booleans or "
            "strings.",
            show_default=False,
            rich_help_panel="From data",
        ),
    ] = None,
    positive: Annotated[
        str | None,
        typer.Option(
            "--positive",
            help="The real label coded +1 (default: 1 for ±1 and 0/1 labels, else the label "
            "that sorts last, as reported); with more than two labels, one-vs-rest.",
            show_default=False,
            rich_help_panel="From data",
        ),
    ] = None,
    negative: Annotated[
        str | None,
        typer.Option(
            "--negative",
            help="With --positive: the real label coded -1. The pair is the task; rows of "
            "other labels are left out of both files, counted in the output.",
            show_default=False,
            rich_help_panel="From data",
        ),
    ] = None,
    verifier: Annotated[
        str | None,
        typer.Option(
            "--verifier",
            help="model, knn or cleanlab: a verifier fitted on the real data whose measured "
            "rates replace --rho/--phi.",
            rich_help_panel="From data",
        ),
    ] = None,
    no_check: Annotated[
        bool,
        typer.Option(
            "--no-check",
            help="Skip the hold-out check of predictions made from --real and --synthetic.",
            rich_help_panel="From data",
        ),
    ] = False,
    seed: SeedOpt = None,
    max_memory: MaxMemoryOpt = None,
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
    check_negative(positive, negative)
    if real is not None:
        from synthmix.cli.predict_data import DataOptions

        options = DataOptions(
            real,
            synthetic,
            generator,
            n_use,
            generator_cov,
            components,
            label,
            verifier,
            check=not no_check,
            positive=positive,
            negative=negative,
        )
        _predict_from_files(flags, config, options, json_output, out)
        return
    for option, value in (
        ("verifier", verifier),
        ("synthetic", synthetic),
        ("generator", generator),
        ("n_use", n_use),
        ("components", components),
        ("no_check", True if no_check else None),
        ("positive", positive),
        ("negative", negative),
    ):
        if value is not None:
            raise fail(option, "be given only with --real", str(value))
    params = resolve_parameters(flags, config=config)
    check_parameters_memory(params, simulation=False, max_memory_gib=max_memory)
    _emit_prediction(predict_grid(params), params, context_line(params), json_output, out)


def _predict_from_files(
    flags: dict[str, Any],
    config: Path | None,
    options: DataOptions,
    json_output: bool,
    out: Path | None,
) -> None:
    """``predict --real``: the data set the model; the grid comes from the usual options."""
    from synthmix.cli.predict_data import (
        MODEL_FLAGS,
        data_defaults,
        read_files,
        run_predict_data,
    )

    for key in MODEL_FLAGS:
        if flags.get(key) is not None:
            raise fail(key, "not be given with --real (the data determine the model)", flags[key])
    files = read_files(options)  # once: the defaults and the run share the rows read
    if config is None:  # a config file may set them; only the command line is inspected here
        flags, taken = data_defaults(flags, files)
        defaulted = tuple(k for k in ("m", "epsilon") if flags.get(k) is None)
    else:
        taken, defaulted = [], ()
    params = resolve_parameters(flags, config=config)
    run = run_predict_data(
        params, options, files, n_given=flags.get("n") is not None, defaulted=defaulted
    )
    context = run.context + "".join(f"\n# from the data: {note}" for note in taken)
    extra = "".join(f"\nwarning: {w}" for w in run.warnings)
    if run.check_text:
        extra = "\n" + run.check_text + extra
    _emit_prediction(
        run.result.prediction,
        params,
        context,
        json_output,
        out,
        data={**run.inputs, "taken_from_data": taken},
        check=run.check,
        warnings=list(run.warnings),
        trailer=extra,
    )


def _emit_prediction(
    pred: Prediction,
    params: Parameters,
    context: str,
    json_output: bool,
    out: Path | None,
    *,
    data: dict[str, Any] | None = None,
    check: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
    trailer: str = "",
) -> None:
    """Print (and save) one predicted grid: a table under ``context``, or the JSON document.

    From data, the document also carries the hold-out ``check`` (per checked ``m``:
    ``predicted``, ``measured``, ``measured_se``, ``gap``) and a top-level ``warnings`` list;
    the table is followed by ``trailer`` (the check's table and the warnings).
    """
    results: dict[str, Any] = {name: getattr(pred, name) for name in GRID_AXES}
    for name in ("accuracy", "risk", "mean", "second_moment"):
        results[name] = getattr(pred, name)
    shown = {name: results[name] for name in (*GRID_AXES, "accuracy", "risk")}
    table = context + "\n" + format_table(shown, {name: -1 for name in GRID_AXES}) + trailer
    document = build_document("predict", params, results, simulation=False)
    if data is not None:
        document["data"] = data
        document["check"] = check
        document["warnings"] = warnings or []
    emit(document, table, as_json=json_output, out=out)


def register(app: typer.Typer) -> None:
    """Add ``predict`` to the top-level app."""
    app.command("predict")(predict_command)
