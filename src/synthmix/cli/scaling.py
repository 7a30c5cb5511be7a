"""``synthmix scaling ...``: the three-phase scaling model from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from synthmix import __version__
from synthmix._io import check_output_file, to_jsonable
from synthmix._validation import fail

__all__ = ["scaling_app"]

scaling_app = typer.Typer(
    help="Three-phase scaling of real + synthetic training (docs/math/scaling.md).",
    no_args_is_help=True,
    add_completion=False,
)


def _sizes(text: str) -> np.ndarray:
    try:
        values = np.array([float(v) for v in text.split(",") if v.strip()])
    except ValueError:
        raise fail("n", "be a comma-separated list of sizes", text) from None
    if values.size == 0:
        raise fail("n", "list at least one size", text)
    return values


@scaling_app.command("predict")
def predict_command(
    beta: Annotated[float, typer.Option("--beta", help="Zipf exponent (> 1).")] = 2.0,
    k: Annotated[
        int | None,
        typer.Option(
            "--k", help="Synthetic data covers items 1..k (or give --top-p, --temperature, --pool)."
        ),
    ] = None,
    pi: Annotated[float, typer.Option("--pi", help="Real fraction of the training mix.")] = 0.1,
    M: Annotated[int, typer.Option("--M", help="Number of knowledge items.")] = 10**6,
    top_p: Annotated[float | None, typer.Option("--top-p", help="Cut at this head mass.")] = None,
    temperature: Annotated[
        float | None, typer.Option("--temperature", help="Thin the tail instead (0 < t <= 1).")
    ] = None,
    pool: Annotated[
        int | None, typer.Option("--pool", help="Generator saw this many real draws.")
    ] = None,
    n: Annotated[
        str | None,
        typer.Option("--n", help="Training sizes, comma-separated (default: 10 to 1e8, log grid)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON document.")] = False,
) -> None:
    """Breakpoints n1 ≈ k^β, n2 ≈ k^β/π, the phase of each size, and the exact error curve.

    Example: synthmix scaling predict --beta 2 --k 30 --pi 0.1 --n 1e2,1e4,1e6
    """
    from synthmix.scaling import LongTailModel, breakpoints, expected_error

    if k is None and top_p is None and temperature is None and pool is None:
        # The library's k = 30 is a modelling default; a user's generator has its own cut.
        rule = "be given, or one of --top-p, --temperature, --pool: the truncation is not inferred"
        raise fail("k", rule, None)
    model = LongTailModel(
        beta=beta, k=k, pi=pi, M=M, top_p=top_p, temperature=temperature, pool=pool
    )
    sizes = np.logspace(1, 8, 15) if n is None else _sizes(n)
    error = np.asarray(expected_error(model, sizes), dtype=float)
    points: dict[str, Any] = {"n": sizes, "error": error}
    n1 = n2 = None
    hinges: dict[str, Any] | None = None
    if model.cut is not None and model.cut < model.M:  # k = M leaves no tail to learn
        n1, n2 = breakpoints(model)
        points["phase"] = np.where(sizes < n1, 1, np.where(sizes < n2, 2, 3))
        if np.isfinite(n2):  # a huge beta puts the breakpoints beyond every float
            hinges = _hinges(model, sizes)
    if json_output:
        doc = {
            "synthmix_version": __version__,
            "command": "scaling predict",
            "model": {
                "beta": model.beta,
                "k": model.cut,
                "pi": pi,
                "M": model.M,
                "top_p": top_p,
                "temperature": temperature,
                "pool": pool,
            },
            "breakpoints": None if n1 is None else [n1, n2],
            "fitted_hinges": hinges,
            "plateau_error": None if model.cut is None else 1.0 - model.head_mass(),
            "points": points,
        }
        typer.echo(json.dumps(to_jsonable(doc), indent=2))
        return
    if n1 is None:
        why = "no hard cut" if model.cut is None else f"k = M = {model.M} leaves no tail"
        typer.echo(f"# beta={model.beta:g} pi={pi:g} M={model.M}: {why}, no breakpoints")
    else:
        typer.echo(
            f"# beta={model.beta:g} k={model.cut} pi={pi:g} M={model.M}: n1={n1:.4g} (end of rapid "
            f"learning), n2={n2:.4g} (start of tail learning), plateau error "
            f"{1.0 - model.head_mass():.4g}"
        )
        if hinges is not None:
            h1, h2 = hinges["n"]
            typer.echo(
                "# a three-segment fit ('synthmix scaling fit') of this curve at "
                f"{hinges['sizes']} measures corners n1={h1:.4g}, n2={h2:.4g}: "
                "compare fitted breakpoints with these"
            )
    header = f"{'n':>12}  {'error':>10}" + ("  phase" if "phase" in points else "")
    typer.echo(header)
    for i, size in enumerate(sizes):
        row = f"{size:>12.4g}  {error[i]:>10.5g}"
        if "phase" in points:
            row += f"  {['rapid learning', 'plateau', 'tail learning'][points['phase'][i] - 1]}"
        typer.echo(row)


def _prediction(model: Any, sizes: np.ndarray, fit: Any) -> dict[str, Any]:
    """The model's corners at the curve's sizes and whether each is inside the fitted interval."""
    from synthmix.scaling import breakpoints

    hinges = _hinges(model, sizes)
    inside = (fit.breakpoints_ci[:, 0] <= hinges["n"]) & (hinges["n"] <= fit.breakpoints_ci[:, 1])
    return {
        "model": {"beta": model.beta, "k": model.cut, "pi": model.pi, "M": model.M},
        "coverage_breakpoints": list(breakpoints(model)),
        "fitted_hinges": hinges,
        "inside_interval": inside,
    }


def _prediction_line(prediction: dict[str, Any], pct: str) -> str:
    m, hinges = prediction["model"], prediction["fitted_hinges"]
    parts = [
        f"{name} {value:.4g} ({'inside' if ok else 'OUTSIDE'} the {pct} interval)"
        for name, value, ok in zip(
            ("n1", "n2"), hinges["n"], prediction["inside_interval"], strict=True
        )
    ]
    return (
        f"model beta={m['beta']:g} k={m['k']} pi={m['pi']:g} M={m['M']} predicts corners at "
        f"{hinges['sizes']}: " + ", ".join(parts)
    )


def _hinges(model: Any, sizes: np.ndarray) -> dict[str, Any]:
    """Where a three-segment fit of the exact curve puts its corners: at ``sizes`` when they
    are enough for a fit, otherwise on the default window around the breakpoints."""
    from synthmix.scaling import HINGE_POINTS, HINGE_SPAN, hinge_sizes, predicted_hinges

    enough = sizes.size >= 8 and np.unique(sizes).size >= 6
    grid = sizes if enough else hinge_sizes(model)
    where = (
        "these sizes"
        if enough
        else f"{HINGE_POINTS} sizes from n1/{HINGE_SPAN:g} to {HINGE_SPAN:g}·n2"
    )
    return {"n": predicted_hinges(model, grid), "sizes": where}


@scaling_app.command("fit")
def fit_command(
    curve: Annotated[Path, typer.Argument(help="CSV with columns n, error[, seed].")],
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap replicates.")] = 200,
    confidence: Annotated[float, typer.Option("--confidence", help="Interval level.")] = 0.9,
    seed: Annotated[int, typer.Option("--seed", help="Root seed of the bootstrap.")] = 0,
    figure: Annotated[Path | None, typer.Option("--figure", help="Write a PNG of the fit.")] = None,
    k: Annotated[
        int | None,
        typer.Option("--k", help="Compare with the model's prediction: synthetic cut at rank k."),
    ] = None,
    pi: Annotated[
        float | None, typer.Option("--pi", help="... and real fraction pi (give both).")
    ] = None,
    beta: Annotated[float, typer.Option("--beta", help="... Zipf exponent of the model.")] = 2.0,
    M: Annotated[int, typer.Option("--M", help="... number of knowledge items.")] = 10**6,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON document.")] = False,
) -> None:
    """Fit three phases to your learning curve: breakpoints with intervals, each point's phase.

    With --k and --pi, also the model's predicted corners at your sizes, and whether each lies
    inside the fitted interval.

    Example: synthmix scaling fit curve.csv --figure fit.png   (columns n, error[, seed])
    """
    from synthmix.data.curves import load_learning_curve
    from synthmix.scaling import LongTailModel, fit_three_phase

    if (k is None) != (pi is None):
        raise fail("k", "be given together with --pi to compare with the model", k)
    model = None if k is None or pi is None else LongTailModel(beta=beta, k=k, pi=pi, M=M)
    if figure is not None:
        check_output_file(figure, "--figure")
    n, err, seeds = load_learning_curve(curve)
    fit = fit_three_phase(n, err, rng=seed, n_boot=n_boot, confidence=confidence, seeds=seeds)
    three = fit.three_phases
    prediction = None if model is None else _prediction(model, np.unique(n), fit)
    phases = fit.phase_of(n) if three else None
    if figure is not None:
        from synthmix.plotting.scaling import plot_three_phase_fit

        try:
            plot_three_phase_fit(n, err, fit, figure)
        except OSError as exc:
            problem = f"{figure} ({exc.strerror})"
            raise fail("--figure", "be a writable file path", problem) from None
    if json_output:
        located = ("breakpoints", "breakpoints_ci", "breakpoints_replicate_ci")
        fields = {
            key: getattr(fit, key)
            for key in (
                *located,
                "slopes",
                "slopes_ci",
                "n_phases",
                "bic",
                "plateau_consistent",
                "middle_slope_ci",
                "residual_sd",
                "n_boot",
                "confidence",
                "bootstrap",
                "transition_width",
            )
        }
        doc = {
            "synthmix_version": __version__,
            "command": "scaling fit",
            "curve": str(curve),
            "three_phases": three,
            "verdict": fit.verdict(),
            # Breakpoints only where BIC supports them; the forced three-segment fit stays
            # available under its own name.
            "fit": fields if three else {**fields, **dict.fromkeys(located)},
            "forced_three_segment_fit": None if three else {key: fields[key] for key in located},
            "prediction": prediction,
            "points": {"n": n, "error": err, "phase": phases},
        }
        typer.echo(json.dumps(to_jsonable(doc), indent=2))
        return
    typer.echo(f"# {curve.name}: {n.size} points; {fit.verdict()}")
    if three:
        pct = f"{100 * confidence:g}%"
        for i, name in enumerate(("n1 (end of rapid learning)", "n2 (end of plateau)")):
            lo, hi = fit.breakpoints_ci[i]
            rlo, rhi = fit.breakpoints_replicate_ci[i]
            typer.echo(
                f"{name:28s} {fit.breakpoints[i]:.4g}  [{lo:.4g}, {hi:.4g}] ({pct}); "
                f"a rerun lands in [{rlo:.4g}, {rhi:.4g}]"
            )
        for i, name in enumerate(("rapid learning", "plateau", "tail learning")):
            lo, hi = fit.slopes_ci[i]
            typer.echo(f"slope, {name:20s} {fit.slopes[i]:+.3f}  [{lo:+.3f}, {hi:+.3f}]")
        if prediction is not None:
            typer.echo(_prediction_line(prediction, pct))
    for i, (size, e) in enumerate(zip(n, err, strict=True)):
        typer.echo(
            f"{size:>12.4g}  {e:>10.5g}" + ("" if phases is None else f"  phase {phases[i]}")
        )
