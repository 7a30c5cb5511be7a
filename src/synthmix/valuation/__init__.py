"""Retraining-free valuation of real–synthetic data sources (docs/math/valuation.md).

:func:`value_sources` is the entry point (the ``mixture`` score and every baseline). Building
blocks: :mod:`~synthmix.valuation.mmd` (multi-kernel MMD estimators),
:mod:`~synthmix.valuation.ntk` (empirical and analytic neural tangent kernels) and
:mod:`~synthmix.valuation.shapley` (Shapley values over sources) and
:mod:`~synthmix.valuation.lava` (the LAVA optimal-transport baseline) and
:mod:`~synthmix.valuation.oob` (the Data-OOB baseline).
:func:`predict_coalition` and :func:`recommend_purchase`
(:mod:`~synthmix.valuation.coalition`) predict the accuracy of buying a set of sources and
choose what to buy within a budget. Importing this package does not import torch or pot.
"""

from synthmix.valuation.attribution import AttributionResult, attribution_values
from synthmix.valuation.coalition import (
    CoalitionPrediction,
    PlanOption,
    PurchasePlan,
    coalition_utilities,
    predict_coalition,
    recommend_purchase,
)
from synthmix.valuation.ground_truth import (
    GroundTruth,
    leave_one_out,
    shapley_truth,
    standalone_accuracy,
)
from synthmix.valuation.lava import LavaDistance, lava_distance, lava_values
from synthmix.valuation.markets import Market, make_market, make_markets
from synthmix.valuation.metrics import Agreement, agreement, market_agreement, stability
from synthmix.valuation.mmd import MMDResult, mmd, mmd_to_reference
from synthmix.valuation.ntk import NTKResult, analytic_ntk, empirical_ntk, ntk_complexity
from synthmix.valuation.oob import DataOOBValues, data_oob_values
from synthmix.valuation.shapley import ShapleyResult, exact_shapley, permutation_shapley
from synthmix.valuation.value import (
    METHODS,
    PROXY_METHODS,
    RECOMMENDED,
    TERMS,
    ValuationResult,
    combine_terms,
    fit_weights,
    value_sources,
)

__all__ = [
    "METHODS",
    "PROXY_METHODS",
    "RECOMMENDED",
    "TERMS",
    "Agreement",
    "AttributionResult",
    "CoalitionPrediction",
    "DataOOBValues",
    "GroundTruth",
    "LavaDistance",
    "MMDResult",
    "Market",
    "NTKResult",
    "PlanOption",
    "PurchasePlan",
    "ShapleyResult",
    "ValuationResult",
    "agreement",
    "analytic_ntk",
    "attribution_values",
    "coalition_utilities",
    "combine_terms",
    "data_oob_values",
    "empirical_ntk",
    "exact_shapley",
    "fit_weights",
    "lava_distance",
    "lava_values",
    "leave_one_out",
    "make_market",
    "make_markets",
    "market_agreement",
    "mmd",
    "mmd_to_reference",
    "ntk_complexity",
    "permutation_shapley",
    "predict_coalition",
    "recommend_purchase",
    "shapley_truth",
    "stability",
    "standalone_accuracy",
    "value_sources",
]
