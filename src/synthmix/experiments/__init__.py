"""Reproductions of the papers' figures and tables, each a function returning results.

The experiments return frozen dataclasses; :mod:`synthmix.report` draws and reports them.
:func:`synthmix.experiments.demo.run_demo` is the ``synthmix demo`` command.
"""

from synthmix.experiments.rmt_figures import (
    AgreementSummary,
    Curve,
    MonteCarloMarker,
    PhaseTransitionResult,
    ToySettingResult,
    agreement_summary,
    fig3_toy_setting,
    fig4_phase_transition,
)

__all__ = [
    "AgreementSummary",
    "Curve",
    "MonteCarloMarker",
    "PhaseTransitionResult",
    "ToySettingResult",
    "agreement_summary",
    "fig3_toy_setting",
    "fig4_phase_transition",
]
