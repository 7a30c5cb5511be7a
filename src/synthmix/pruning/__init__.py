"""Verifiers that keep or drop synthetic samples, and their measured rates ``(ρ̂, φ̂)``.

See docs/math/rmt.md ("Verification"): a verifier keeps a right-label synthetic sample with
probability ``φ`` and a wrong-label one with probability ``ρ``.
"""

from synthmix.pruning.noise import flip_labels, flip_labels_multiclass
from synthmix.pruning.rates import VerifierRates, estimate_rates, measure_rates
from synthmix.pruning.verifiers import (
    ConfidentLearningVerifier,
    KNNVerifier,
    ModelVerifier,
    OracleVerifier,
    Verdict,
    Verifier,
)

__all__ = [
    "ConfidentLearningVerifier",
    "KNNVerifier",
    "ModelVerifier",
    "OracleVerifier",
    "Verdict",
    "Verifier",
    "VerifierRates",
    "estimate_rates",
    "flip_labels",
    "flip_labels_multiclass",
    "measure_rates",
]
