"""Options shared by several commands, as ``typing.Annotated`` aliases.

Flags default to None ("not given"), so a value from a ``--config`` file survives; the rich
help panels group them as the commands' ``--help`` shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "RUN_PANEL",
    "ConfigOpt",
    "EpsOpt",
    "GammaOpt",
    "JsonOpt",
    "LocalJobsOpt",
    "MOpt",
    "MaxMemoryOpt",
    "MuOpt",
    "NHatOpt",
    "NJobsOpt",
    "NOpt",
    "OutOpt",
    "POpt",
    "PhiOpt",
    "RhoOpt",
    "RootSeedOpt",
    "SchedulerOpt",
    "SeedOpt",
    "TrialsOpt",
]

_GRID_HELP = "A number or a comma-separated list (the grid is their cartesian product)."
_MODEL = "Model"
_GRID = "Grid (comma-separated lists allowed)"
RUN_PANEL = "Run"

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
        rich_help_panel=RUN_PANEL,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        help="Root seed, the same for every grid point (default 0).",
        show_default=False,
        rich_help_panel=RUN_PANEL,
    ),
]
NJobsOpt = Annotated[
    int | None,
    typer.Option(
        "--n-jobs",
        help="Local worker processes; -1 for all cores (default 1).",
        show_default=False,
        rich_help_panel=RUN_PANEL,
    ),
]
MaxMemoryOpt = Annotated[
    float | None,
    typer.Option(
        "--max-memory",
        help="Memory budget in GiB; work estimated to need more is refused before it starts "
        "(default: half the available memory).",
        show_default=False,
        rich_help_panel=RUN_PANEL,
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on the Dask cluster at this address (needs the 'dask' extra).",
        rich_help_panel=RUN_PANEL,
    ),
]
#: Root seed of a run that writes a report folder (``demo``, ``reproduce``).
RootSeedOpt = Annotated[int, typer.Option("--seed", help="Root seed.")]
#: Local worker processes of a run that writes a report folder.
LocalJobsOpt = Annotated[
    int, typer.Option("--n-jobs", help="Local worker processes; -1 for all cores.")
]
