"""Settings, JSON records and report pieces shared by the random-matrix reproductions.

The theory-vs-Monte-Carlo sweeps of Figs. 3-4 are
:func:`synthmix.simulate.sweeps.fig3_toy_setting` and
:func:`synthmix.simulate.sweeps.fig4_phase_transition`; this module holds the demo's and the
reproductions' Monte-Carlo settings, the JSON form of their results and the report
sections that show them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from synthmix.simulate.compare import (
    AgreementSummary,
    Curve,
    MonteCarloMarker,
)

__all__ = [
    "DEMO_SETTINGS",
    "FIG4_P",
    "agreement_callout",
    "agreement_json",
    "agreement_section",
    "curve_shape_rows",
]

# --------------------------------------------------------------------------------------------
# Shared by ``rmt-toy``, ``rmt-phase`` and ``synthmix demo``: Monte-Carlo settings, the JSON
# form of curves and markers, and the report blocks that compare them with the theory
# --------------------------------------------------------------------------------------------


#: Monte-Carlo settings of Fig. 3 and Fig. 4, full and quick (theory grids are the same); the
#: demo runs the Fig. 4 part.
#: Trials per marker are chosen per dimension / sample size so that both figures stay well
#: under two minutes on two cores: a trial at p = 500 with N = 20 000 samples costs ~0.3 s,
#: one at p = 100, m = 100 000 about the same, while the small settings cost milliseconds
#: and get more trials (their per-trial spread is larger).
DEMO_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    "full": {
        "fig3": {
            "p_values": (50, 200, 500),
            "mc_proportions": (0.01, 0.2, 0.5, 0.7, 0.85, 0.95),
            "n_trials": {50: 24, 200: 20, 500: 16},
        },
        "fig4": {
            "m_multiples": (1, 10, 100, 1000),
            "mc_epsilons": (0.0, 0.3, 0.5, 0.65, 0.8, 0.9, 1.0),
            "n_trials": {1: 40, 10: 30, 100: 20, 1000: 8},
        },
    },
    "quick": {
        "fig3": {
            "p_values": (50, 200),
            "mc_proportions": (0.05, 0.5, 0.8),
            "n_trials": {50: 20, 200: 8},
        },
        "fig4": {
            "m_multiples": (1, 10, 100),
            "mc_epsilons": (0.0, 0.5, 0.8, 1.0),
            "n_trials": {1: 20, 10: 12, 100: 8},
        },
    },
}

FIG4_P = 100


def marker_json(mk: MonteCarloMarker) -> dict[str, Any]:
    return {
        "x": mk.x,
        "n": mk.n,
        "m": mk.m,
        "epsilon": mk.epsilon,
        "rho": mk.rho,
        "phi": mk.phi,
        "n_trials": mk.n_trials,
        "mc_mean": mk.accuracy_mean,
        "mc_stderr": mk.accuracy_stderr,
        "theory": mk.theory,
        "abs_error": abs(mk.accuracy_mean - mk.theory),
        "tolerance": mk.tolerance(),
        "z": mk.z,
        "within": mk.agrees(),
        "seed_key": list(mk.seed_key),
    }


def curve_shape(curve: Curve) -> dict[str, Any]:
    """Start, end, minimum and monotonicity of a theory curve (Fig. 3's dip)."""
    acc = curve.theory_accuracy
    k = int(np.argmin(acc))
    return {
        "start": float(acc[0]),
        "end": float(acc[-1]),
        "min": float(acc[k]),
        "argmin_x": float(curve.theory_x[k]),
        "max": float(np.max(acc)),
        "dip": float(acc[0] - acc[k]),
        "recovery": float(acc[-1] - acc[k]),
        "monotone_increasing": bool(np.all(np.diff(acc) >= -1e-12)),
    }


def curve_json(curve: Curve, *, shape: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "label": curve.label,
        "parameters": dict(curve.parameters),
        "theory": {"x": curve.theory_x, "accuracy": curve.theory_accuracy},
        "markers": [marker_json(mk) for mk in curve.markers],
    }
    if shape:
        out["shape"] = curve_shape(curve)
    return out


def summary_json(s: AgreementSummary) -> dict[str, Any]:
    return {
        "n_markers": s.n_markers,
        "n_within": s.n_within,
        "max_abs_z": s.max_abs_z,
        "max_abs_error": s.max_abs_error,
    }


def _fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}"


def _marker_rows(
    figure: str, curves: tuple[Curve, ...], x_name: str
) -> tuple[list[tuple[Any, ...]], list[bool]]:
    rows: list[tuple[Any, ...]] = []
    flags: list[bool] = []
    for c in curves:
        name = c.parameters.get("verifier")
        label = f"{name}, {c.label}" if name is not None else c.label
        for mk in c.markers:
            rows.append(
                (
                    figure,
                    label,
                    f"{x_name} = {mk.x:.3g}",
                    mk.m,
                    mk.n_trials,
                    _fmt(mk.accuracy_mean, 4),
                    _fmt(mk.accuracy_stderr, 4),
                    _fmt(mk.theory, 4),
                    f"{mk.accuracy_mean - mk.theory:+.4f}",
                    f"{mk.z:+.2f}" if math.isfinite(mk.z) else str(mk.z),
                    mk.agrees(),
                )
            )
            flags.append(not mk.agrees())
    return rows, flags


def agreement_callout(agreement: AgreementSummary) -> Any:
    """The "Result" callout: how many Monte-Carlo points agree with the theory."""
    from synthmix.report.html import Callout

    return Callout(
        f"{agreement.n_within} of {agreement.n_markers} simulated points agree with the "
        f"theory within {agreement.z:g} standard errors + {agreement.bias:g} (largest "
        f"deviation {agreement.max_abs_z:.2f} standard errors).",
        "Result",
    )


def curve_shape_rows(curves: Sequence[Curve]) -> list[tuple[Any, ...]]:
    """Rows of the "Shape of each theory curve" table: verifier, p, start, minimum, where,
    end, monotone."""
    rows = []
    for c in curves:
        sh = curve_shape(c)
        rows.append(
            (
                str(c.parameters["verifier"]),
                int(c.parameters["p"]),
                _fmt(sh["start"], 4),
                _fmt(sh["min"], 4),
                _fmt(sh["argmin_x"], 3),
                _fmt(sh["end"], 4),
                sh["monotone_increasing"],
            )
        )
    return rows


def agreement_section(
    figures: Sequence[tuple[str, Sequence[Curve], str]], agreement: AgreementSummary
) -> Any:
    """The report section "Does the theory match simulation?": every Monte-Carlo marker of
    ``figures`` (``(figure name, curves, x-axis name)``) against the theory, in one table."""
    from synthmix.report.html import Section, Table

    rows: list[Any] = []
    flags: list[bool] = []
    for name, curves, x_name in figures:
        r, f = _marker_rows(name, tuple(curves), x_name)
        rows += r
        flags += f
    columns = ("figure", "curve", "point", "m", "trials", "MC mean", "s.e.", "theory")
    return Section(
        "Does the theory match simulation?",
        (
            "Each Monte-Carlo point averages independent trials (fresh data, fresh generator, "
            "fresh label flips and pruning coins); its standard error is the trials' standard "
            "deviation over √trials. A point agrees when |MC − theory| ≤ "
            f"{agreement.z:g}·s.e. + {agreement.bias:g}; the constant absorbs the finite-size "
            "corrections of an asymptotic theory. z = (MC − theory)/s.e.",
            Table(
                (*columns, "MC − theory", "z", "agrees"),
                rows,
                caption=(
                    f"{agreement.n_within}/{agreement.n_markers} points agree; max |z| = "
                    f"{agreement.max_abs_z:.2f}; max |MC − theory| = "
                    f"{agreement.max_abs_error:.4f}. Rows that disagree are highlighted."
                ),
                flagged=flags,
            ),
        ),
    )


def agreement_json(agreement: AgreementSummary) -> dict[str, Any]:
    """The agreement of a theory-vs-Monte-Carlo figure as ``results.json`` records it."""
    return {
        "rule": "|mc_mean - theory| <= z * mc_stderr + bias",
        "z": agreement.z,
        "bias": agreement.bias,
        "n_markers": agreement.n_markers,
        "n_within": agreement.n_within,
        "all_within": agreement.all_within,
        "max_abs_z": agreement.max_abs_z,
        "max_abs_error": agreement.max_abs_error,
    }
