"""Reproductions of the papers' figures and tables, each a function returning results.

The experiments return frozen dataclasses (the theory-vs-simulation ones live in
:mod:`synthmix.simulate.compare`); :mod:`synthmix.plotting` draws them and
:mod:`synthmix.report` reports them.
:func:`synthmix.experiments.demo.run_demo` is the ``synthmix demo`` command.
"""

from synthmix.simulate.compare import (
    AgreementSummary,
    Curve,
    MonteCarloMarker,
    PhaseTransitionResult,
    ToySettingResult,
    agreement_summary,
)
from synthmix.simulate.sweeps import (
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
