"""The demo's verdicts follow its numbers: bias call-outs and the bottom line (hand-made stages)."""

from __future__ import annotations

from typing import Any

import pytest

from synthmix.experiments.demo_decisions import BIAS_SIGN_SHARE, _bottom_line, _theory_bias


def _stage(gaps: dict[str, list[float]]) -> dict[str, Any]:
    """Conditions whose predicted - measured accuracy gaps are ``gaps`` (in points)."""
    return {
        "tasks": [
            {
                "task": task,
                "conditions": [{"predicted": 0.9 + g / 100.0, "measured": 0.9} for g in values],
            }
            for task, values in gaps.items()
        ]
    }


def test_a_one_sided_gap_larger_than_the_effect_is_a_bias() -> None:
    bias = _theory_bias(_stage({"a": [1.0, 2.0, 3.0], "b": [1.0, -0.5, 2.0]}), effect=0.5)
    assert bias["same_sign"] == 5 and bias["n_conditions"] == 6
    assert bias["mean_gap_points"] == pytest.approx(8.5 / 6)
    assert bias["largest_task"] == "a" and bias["largest_task_gap_points"] == pytest.approx(2.0)
    assert bias["systematic"] is True
    assert bias["text"] == (
        "the theory sits above measurement in 5 of 6 conditions (mean +1.4 points, +2.0 on a), "
        "more than the 0.5-point effect of synthetic data it is used to predict, so trust its "
        "differences between settings rather than its absolute accuracies"
    )


@pytest.mark.parametrize(
    ("gaps", "effect"),
    [
        ({"a": [1.0, 2.0, 3.0]}, 2.5),  # one-sided but smaller than the effect
        ({"a": [3.0, -1.0, 3.0, -1.0]}, 0.1),  # larger than the effect, but only 2 of 4 above
    ],
)
def test_no_bias_when_smaller_than_the_effect_or_two_sided(
    gaps: dict[str, list[float]], effect: float
) -> None:
    assert _theory_bias(_stage(gaps), effect=effect)["systematic"] is False


def test_the_sign_share_threshold_is_inclusive() -> None:
    n_above = round(4 * BIAS_SIGN_SHARE)  # 3 of 4 with the same sign
    gaps = [2.0] * n_above + [-0.5] * (4 - n_above)
    assert _theory_bias(_stage({"a": gaps}), effect=0.1)["systematic"] is True
    below = _theory_bias(_stage({"a": [-2.0, -2.0, -2.0, 0.5]}), effect=0.1)
    assert below["systematic"] is True and below["text"].startswith("the theory sits below")


def _decisions(
    *, recommended: str, found: list[str], ci: tuple[float, float], systematic: bool
) -> dict[str, Any]:
    return {
        "verifier": {"recommended": recommended},
        "scaling": {"three_phases_found": found},
        "valuation": {
            "best_method": "tracin",
            "best_label": "TracIn",
            "best_spearman": 0.82,
            "best_spearman_ci": list(ci),
            "n_methods": 4,
        },
        "synthetic_share": {"bias": {"systematic": systematic, "text": "BIAS"}},
    }


def test_bottom_line_names_the_best_valuer_and_the_bias() -> None:
    dec = _decisions(recommended="model verifier", found=["1nn"], ci=(0.58, 0.94), systematic=True)
    out = _bottom_line(dec)
    assert out == {
        "text": "Filter synthetic data before using it (model verifier), keep its label noise "
        "well below ε*, budget real data for the long tail (past n1, more synthetic data from a "
        "truncated generator does not end the plateau) and rank sources with TracIn (Spearman "
        "0.82 [0.58, 0.94] against retraining, the best of the 4 methods measured here). Mind "
        "the bias: BIAS.",
        "valuation_method": "tracin",
        "bias": True,
    }


def test_bottom_line_says_what_the_numbers_do_not_support() -> None:
    dec = _decisions(recommended="no pruning", found=[], ci=(-0.1, 0.9), systematic=False)
    assert _bottom_line(dec)["text"] == (
        "Add synthetic data unfiltered, keep its label noise well below ε*, measure a longer "
        "learning curve before budgeting for the long tail (no curve showed three phases) and "
        "do not trust any valuation ranking on this market (the best, TracIn, has Spearman 0.82 "
        "[-0.10, 0.90], an interval reaching 0)."
    )
