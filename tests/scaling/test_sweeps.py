"""Sweeps of the exact model off the Zipf law: the coverage frontier and robustness variants."""

from __future__ import annotations

import numpy as np
import pytest

from synthmix.experiments.scaling_exact import SCALING_EXACT_SETTINGS
from synthmix.scaling import LongTailModel, breakpoints
from synthmix.scaling.sweeps import frontier_breakpoints, robustness_sweep, variant_frequencies


@pytest.mark.parametrize(("beta", "k", "pi"), [(1.5, 10, 0.01), (2.0, 30, 0.1), (3.0, 100, 0.5)])
def test_frontier_rule_is_the_zipf_formula_on_zipf_frequencies(beta: float, k: int, pi: float):
    """n1 = 1/q_k and n2 = 1/(π p_{k+1}) reduce to Z k^β/A and Z (k+1)^β/π (spec)."""
    model = LongTailModel(beta=beta, k=k, pi=pi, M=10**5)
    p, q = model.frequencies(np.arange(1, 10**5 + 1, dtype=float))
    np.testing.assert_allclose(frontier_breakpoints(p, q, k, pi), breakpoints(model), rtol=1e-9)


def test_hallucinated_variant_puts_the_stated_mass_on_fake_items() -> None:
    gen = np.random.default_rng(0)
    p, q, cut, _ = variant_frequencies("hallucinated-50", 2.0, 10, 0.1, 1000, gen)
    assert cut == 10 and p.shape == q.shape == (1100,)
    assert np.isclose(q.sum(), 1.0) and np.isclose(p.sum(), 1.0)
    assert np.all(p[1000:] == 0)
    assert np.isclose(q[1000:].sum(), 0.9 * 0.5)  # (1 − π)·h


def test_broken_power_law_is_continuous_and_steepens() -> None:
    p, _, _, _ = variant_frequencies("broken", 2.5, 10, 0.1, 1000, np.random.default_rng(0))
    r = p[1:] / p[:-1]
    assert np.isclose(r[28], (30 / 29) ** -1.5) and np.isclose(r[29], (31 / 30) ** -2.5)


def test_soft_truncations_have_no_hard_cut() -> None:
    gen = np.random.default_rng(0)
    for name in ("temperature", "pool"):
        p, q, cut, _ = variant_frequencies(name, 2.0, 10, 0.1, 1000, gen)
        assert cut is None and np.all(q > 0.1 * p * (1 - 1e-12))  # every item keeps its real share


def test_robustness_rows_do_not_depend_on_n_jobs() -> None:
    settings = SCALING_EXACT_SETTINGS["quick"]
    one = robustness_sweep(settings, rng=4, variants=("zipf", "cutoff"))
    two = robustness_sweep(settings, rng=4, variants=("zipf", "cutoff"), n_jobs=2)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a.fitted, b.fitted)
        np.testing.assert_array_equal(a.ci, b.ci)


def test_pool_variant_is_a_generator_that_saw_a_finite_pool() -> None:
    """Item i is in a pool of 10k² real draws with probability 1 − (1 − p_i)^(10k²); the
    generator samples the items it saw in proportion to p."""
    k, pi = 10, 0.1
    p, q, cut, text = variant_frequencies("pool", 2.0, k, pi, 1000, np.random.default_rng(0))
    seen = p * (1.0 - (1.0 - p) ** (10 * k * k))
    np.testing.assert_allclose(q, pi * p + (1 - pi) * seen / seen.sum(), rtol=1e-10)
    assert cut is None and text == "generator knowing a finite pool of 1000 real draws"
