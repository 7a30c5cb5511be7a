"""``synthmix simulate``: the Monte-Carlo twin on a grid, optionally beside the theory."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Annotated, Any

import typer

from synthmix.cli.config import GRID_AXES, check_parameters_memory, resolve_parameters
from synthmix.cli.options import (
    ConfigOpt,
    EpsOpt,
    GammaOpt,
    JsonOpt,
    MaxMemoryOpt,
    MOpt,
    MuOpt,
    NHatOpt,
    NJobsOpt,
    NOpt,
    OutOpt,
    PhiOpt,
    POpt,
    RhoOpt,
    SchedulerOpt,
    SeedOpt,
    TrialsOpt,
)
from synthmix.cli.output import build_document, context_line, emit, format_table
from synthmix.cli.predict import predict_grid
from synthmix.cli.progress import StageProgress

__all__ = ["register", "simulate_command"]


def _z_score(mc: float, theory: float, stderr: float) -> float:
    """``(mc - theory) / stderr``; ±inf or NaN when the standard error is 0."""
    diff = mc - theory
    if stderr > 0:
        return diff / stderr
    if math.isnan(diff):
        return math.nan
    return 0.0 if diff == 0 else math.copysign(math.inf, diff)


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
    max_memory: MaxMemoryOpt = None,
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
    check_parameters_memory(params, simulation=True, max_memory_gib=max_memory)
    theory = predict_grid(params) if compare else None  # also validates every point up front
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
    table = context_line(params) + f"  trials={params.trials} seed={params.seed}\n"
    table += format_table(shown, {name: -1 for name in GRID_AXES})
    emit(
        build_document("simulate", params, results, simulation=True),
        table,
        as_json=json_output,
        out=out,
    )


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the top-level app."""
    app.command("simulate")(simulate_command)
