"""Data-OOB (``method="data_oob"``): per-sample out-of-bag accuracies checked by hand.

Expected values come from a scikit-learn random forest refitted here with the documented seed
(``child_sequence(seed_sequence(rng), 0)``) and its trees' in-bag rows and predictions counted
sample by sample in plain loops, never from :mod:`synthmix.valuation.oob`.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from synthmix.data import Dataset
from synthmix.exceptions import ValidationError
from synthmix.valuation import METHODS, data_oob_values, value_sources

B = 50  # trees in these tests (the default is 200)


def _blobs(n: int, gen: np.random.Generator, *, shuffle: bool = False, shift: float = 0.0):
    y = np.arange(n) % 3
    X = 3.0 * np.eye(3, 4)[y] + gen.standard_normal((n, 4)) + shift
    if shuffle:
        y = gen.permutation(y)
    return X, y


@pytest.fixture(scope="module")
def market() -> tuple[dict[str, Dataset], Dataset]:
    gen = np.random.default_rng(0)
    sources = {
        "clean": Dataset(*_blobs(90, gen)),
        "shuffled": Dataset(*_blobs(90, gen, shuffle=True), synthetic=np.ones(90, bool)),
        "shifted": Dataset(*_blobs(40, gen, shift=0.7)),
        "small": Dataset(*_blobs(7, gen)),
    }
    return sources, Dataset(*_blobs(60, gen))


def _documented_state(rng: int) -> int:
    child = np.random.SeedSequence(rng, spawn_key=(0,))
    return int(child.generate_state(1, dtype=np.uint32)[0])


def _by_hand(sources: dict[str, Dataset], rng: int, n_estimators: int) -> np.ndarray:
    """ψ_i from an independent forest: loop over trees, then over the rows each one left out."""
    X = np.vstack([ds.X for ds in sources.values()])
    y = np.concatenate([ds.y for ds in sources.values()])
    forest = RandomForestClassifier(n_estimators=n_estimators, random_state=_documented_state(rng))
    forest.fit(X, y)
    hits = np.zeros(len(y))
    seen = np.zeros(len(y))
    for tree, rows in zip(forest.estimators_, forest.estimators_samples_, strict=True):
        left_out = sorted(set(range(len(y))) - set(rows.tolist()))
        proba = tree.predict_proba(X[left_out])
        for i, p in zip(left_out, proba, strict=True):
            seen[i] += 1
            hits[i] += forest.classes_[int(np.argmax(p))] == y[i]
    return np.array([h / s if s else np.nan for h, s in zip(hits, seen, strict=True)])


def test_sample_values_equal_the_out_of_bag_accuracies_counted_by_hand(market) -> None:
    sources, ref = market
    expected = _by_hand(sources, 3, B)
    res = data_oob_values(sources, n_estimators=B, rng=3)
    np.testing.assert_allclose(res.sample_values, expected, rtol=0, atol=1e-12)
    assert res.random_state == _documented_state(3)
    sizes = [ds.n for ds in sources.values()]
    starts = np.cumsum([0, *sizes[:-1]])
    sums = [np.nansum(expected[s : s + n]) for s, n in zip(starts, sizes, strict=True)]
    if not np.isnan(expected).any():  # the sum is the plain sum when every row has a value
        np.testing.assert_allclose(res.values, sums, atol=1e-9)
    val = value_sources(sources, ref, method="data_oob", rng=3, n_estimators=B)
    assert list(val.values) == list(sources)
    np.testing.assert_allclose(list(val.values.values()), res.values, atol=1e-12)
    for name, s, n in zip(sources, starts, sizes, strict=True):
        assert val.terms[name]["mean_oob"] == pytest.approx(np.nanmean(expected[s : s + n]))
        assert val.terms[name]["n"] == n
    assert val.details["n_estimators"] == B
    assert val.details["aggregate"] == "sum"


def test_a_never_out_of_bag_row_counts_at_its_sources_mean() -> None:
    gen = np.random.default_rng(1)
    # 2 rows in a pool of 3: with 10 trees some row is in every bootstrap for some seed
    sources = [Dataset(*_blobs(2, gen)), Dataset(*_blobs(1, gen))]
    for rng in range(200):
        res = data_oob_values(sources, n_estimators=10, rng=rng)
        psi = res.sample_values
        if np.isnan(psi[:2]).sum() == 1:
            break
    else:  # pragma: no cover - the search space above contains such a seed
        pytest.fail("no seed left a row in-bag for every tree")
    np.testing.assert_array_equal(np.isnan(psi), res.oob_counts == 0)
    assert res.means[0] == np.nanmean(psi[:2])
    assert res.values[0] == pytest.approx(2 * np.nanmean(psi[:2]))
    assert res.stderr[0] == pytest.approx(2 * 0.5)  # one valued row: the sd bound 1/2


def test_shuffled_labels_are_worth_clearly_less_than_clean_ones(market) -> None:
    sources, ref = market
    res = value_sources(sources, ref, method="data_oob", rng=0, n_estimators=B)
    mean = {n: res.terms[n]["mean_oob"] for n in sources}
    # the shuffled rows sit in the clean ones' regions, so fully grown trees that memorised
    # them also err on clean rows (about 0.68 here), while a shuffled row is right by chance
    # (1/3 for 3 classes); in-bag rows would score about 1 for both
    assert mean["clean"] > 0.6
    assert mean["shuffled"] < 0.45
    # same size: the sums differ by far more than their standard errors
    gap = res.values["clean"] - res.values["shuffled"]
    assert gap > 0.25 * sources["clean"].n
    assert gap > 5 * np.hypot(res.stderr["clean"], res.stderr["shuffled"])


def test_the_same_rng_gives_the_same_values_and_another_rng_other_ones(market) -> None:
    sources, ref = market
    a = value_sources(sources, ref, method="data_oob", rng=5, n_estimators=B)
    b = value_sources(
        sources, ref, method="data_oob", rng=np.random.SeedSequence(5), n_estimators=B
    )
    c = value_sources(sources, ref, method="data_oob", rng=6, n_estimators=B)
    assert a.values == b.values and a.stderr == b.stderr
    assert a.values != c.values
    # the reference is never used: another reference changes nothing
    other = Dataset(*_blobs(30, np.random.default_rng(9), shift=2.0))
    d = value_sources(sources, other, method="data_oob", rng=5, n_estimators=B)
    assert d.values == a.values


def test_stderr_is_the_spread_of_each_sources_sample_values(market) -> None:
    sources, ref = market
    res = value_sources(sources, ref, method="data_oob", rng=2, n_estimators=B)
    psi = data_oob_values(sources, n_estimators=B, rng=2).sample_values
    start = 0
    for name, ds in sources.items():
        own = psi[start : start + ds.n]
        own = own[~np.isnan(own)]
        start += ds.n
        se = ds.n * np.std(own, ddof=1) / np.sqrt(own.size)
        assert res.stderr[name] == pytest.approx(se, rel=1e-12)
        v = res.values[name]
        assert res.interval[name] == pytest.approx((v - 1.6448536 * se, v + 1.6448536 * se))
    assert all(s > 0.0 for s in res.stderr.values())
    assert res.uncertainty.startswith("normal interval from the spread of each source's")
    assert "does not use the reference" in res.uncertainty
    assert res.status == "n/a"


def test_data_oob_follows_lava_in_methods() -> None:
    assert METHODS[METHODS.index("lava") + 1] == "data_oob"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (9, "n_estimators must be >= 10; got 9"),
        (0, "n_estimators must be >= 10; got 0"),
        ("800", "n_estimators must be an integer; got '800'"),
        (50.5, "n_estimators must be an integer; got 50.5"),
    ],
)
def test_a_bad_n_estimators_is_refused_with_its_name(market, value, message) -> None:
    sources, ref = market
    with pytest.raises(ValidationError) as info:
        value_sources(sources, ref, method="data_oob", n_estimators=value)
    assert str(info.value) == message
    with pytest.raises(ValidationError) as info:
        data_oob_values(sources, n_estimators=value)
    assert str(info.value) == message
