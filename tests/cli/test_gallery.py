"""User-data gallery: bundled sets no benchmark of ours was tuned on, through ``predict``.

Each set becomes a real file (every row) and a synthetic file drawn from per-class Gaussians
fitted on 30 of its rows, with 25% of labels flipped and the clean ones in ``y_true``, as a
user would bring them. The prediction is checked on held-out real rows; whenever the gap
exceeds its stated uncertainty, a warning must say so.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine, make_classification

from synthmix.cli import main


def _sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    bc = load_breast_cancer()
    wine, iris = load_wine(), load_iris()
    x20, y20 = make_classification(300, 20, n_informative=5, random_state=0)
    return {
        "breast-cancer": (bc.data, bc.target),
        "wine-0-vs-1": (wine.data[wine.target < 2], wine.target[wine.target < 2]),
        "iris-1-vs-2": (iris.data[iris.target > 0], iris.target[iris.target > 0] - 1),
        "classification-20": (x20, y20),
    }


def _write(path: Path, x: np.ndarray, columns: dict[str, np.ndarray]) -> None:
    head = [f"f{j}" for j in range(x.shape[1])] + list(columns)
    rows = [
        ",".join([*(repr(float(v)) for v in x[i]), *(str(int(c[i])) for c in columns.values())])
        for i in range(x.shape[0])
    ]
    path.write_text(",".join(head) + "\n" + "\n".join(rows) + "\n")


@pytest.mark.parametrize("name", list(_sets()))
def test_predict_checks_itself_and_warns_on_every_disagreement(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x, target = _sets()[name]
    y = np.where(target == 1, 1, -1)
    rng = np.random.default_rng(0)
    fit = rng.permutation(y.shape[0])[:30]
    parts, clean = [], []
    for c in (-1, 1):
        rows = x[fit][y[fit] == c]
        cov = np.cov(rows.T) + 1e-6 * np.eye(x.shape[1])
        parts.append(rng.multivariate_normal(rows.mean(axis=0), cov, 200))
        clean.append(np.full(200, c))
    xs, ys_true = np.vstack(parts), np.concatenate(clean)
    ys = np.where(rng.random(400) < 0.25, -ys_true, ys_true)
    _write(tmp_path / "real.csv", x, {"label": y})
    _write(tmp_path / "synth.csv", xs, {"label": ys, "y_true": ys_true})
    argv = ["predict", "--real", str(tmp_path / "real.csv"), "--synthetic"]
    assert main([*argv, str(tmp_path / "synth.csv"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["results"]["epsilon"][0] == pytest.approx(np.mean(ys != ys_true), abs=1e-15)
    conds = doc["check"]["conditions"]
    assert [c["m"] for c in conds] == [0, 100, 200, 400]
    off = [c["m"] for c in conds if abs(c["gap"]) > max(0.02, 2 * c["measured_se"])]
    vague = [c["m"] for c in conds if 2 * c["measured_se"] >= abs(c["gap"]) > 0.02]
    flagged = [w for w in doc["warnings"] if "off the hold-out" in w]
    noisy = [w for w in doc["warnings"] if "within the measurement's noise" in w]
    # every gap above 2 points is named: beyond its noise as a disagreement, else as unresolved
    for found, ms, start in (
        (flagged, off, "the prediction is off the hold-out by "),
        (noisy, vague, "the prediction is "),
    ):
        if ms:
            assert len(found) == 1 and found[0].startswith(
                f"at m = {', '.join(map(str, ms))} {start}"
            ), (ms, found)
        else:
            assert found == []


def _user_files(tmp_path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Wine 0 v 1 and a 25%-flipped Gaussian generator fitted on 30 rows (as above)."""
    wine = load_wine()
    x, y = wine.data[wine.target < 2], np.where(wine.target[wine.target < 2] == 1, 1, -1)
    rng = np.random.default_rng(1)
    xs = np.vstack([rng.multivariate_normal(x[y == c].mean(0), np.cov(x[y == c].T), 150)
                    for c in (-1, 1)])  # fmt: skip
    ys_true = np.repeat([-1, 1], 150)
    return x, y, xs, np.where(rng.random(300) < 0.25, -ys_true, ys_true)


def _write_frame(path: Path, columns: dict[str, object]) -> Path:
    names = list(columns)
    values = [np.asarray(columns[n]) for n in names]
    rows = [",".join(str(v[i].item()) for v in values) for i in range(values[0].shape[0])]
    path.write_text(",".join(names) + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    "shape", ["zero-one-target", "strings-positive", "booleans-id-reordered", "per-file-labels"]
)
def test_any_label_type_and_column_order_give_the_same_answers(
    shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same data as ±1 labels in feature order, and as a user's table: 0/1 labels in a
    ``target`` column, strings with ``--positive``, or booleans with an id column and the
    columns in reverse order, or label columns with other names in each file, named per file.
    predict and prune must give identical numbers, and say which label columns they read."""
    x, y, xs, ys = _user_files(tmp_path)
    feats = [f"f{j}" for j in range(x.shape[1])]

    def named(a: np.ndarray) -> dict[str, np.ndarray]:
        return {f: a[:, j] for j, f in enumerate(feats)}

    base_real = _write_frame(tmp_path / "r.csv", {**named(x), "label": y})
    base_syn = _write_frame(tmp_path / "s.csv", {**named(xs), "label": ys})
    extra: list[str] = []
    if shape == "zero-one-target":
        code = {-1: 0, 1: 1}
        real_cols = {**named(x), "target": np.vectorize(code.get)(y)}
        syn_cols = {**named(xs), "target": np.vectorize(code.get)(ys)}
    elif shape == "strings-positive":
        name = {-1: "malignant", 1: "benign"}  # "malignant" sorts last: --positive needed
        real_cols = {"label": np.vectorize(name.get)(y), **named(x)}
        syn_cols = {**named(xs), "label": np.vectorize(name.get)(ys)}
        extra = ["--positive", "benign"]
    elif shape == "per-file-labels":
        real_cols = {**named(x), "diagnosis": y}
        syn_cols = {"lbl": ys, **named(xs)}
        extra = ["--label", "real=diagnosis,synthetic=lbl"]
    else:
        rev = feats[::-1]
        real_cols = {"id": np.arange(y.size), "y": y > 0, **{f: named(x)[f] for f in rev}}
        syn_cols = {**named(xs), "y": ys > 0, "ID": np.arange(ys.size)}
    real = _write_frame(tmp_path / "real-user.csv", real_cols)
    syn = _write_frame(tmp_path / "syn-user.csv", syn_cols)

    def predict(r: Path, s: Path, more: list[str]) -> dict:
        argv = ["predict", "--real", str(r), "--synthetic", str(s), "--epsilon", "0.25", *more]
        assert main([*argv, "--json"]) == 0, capsys.readouterr().err
        return json.loads(capsys.readouterr().out)

    want, got = predict(base_real, base_syn, []), predict(real, syn, extra)
    assert got["results"]["accuracy"] == want["results"]["accuracy"]
    assert got["check"]["conditions"] == want["check"]["conditions"]
    assert got["data"]["k"] == x.shape[1] == want["data"]["k"]
    found = {
        "zero-one-target": ["real", "synthetic"],
        "booleans-id-reordered": ["real", "synthetic"],
    }
    assert got["data"]["labels_found_by_name"] == found.get(shape, [])
    assert want["data"]["labels_found_by_name"] == []

    def prune(r: Path, s: Path, more: list[str], out: str) -> dict:
        argv = ["prune", "--synthetic", str(s), "--real", str(r), "--verifier", "knn"]
        assert main([*argv, "--out", str(tmp_path / out), "--json", *more]) == 0
        return json.loads(capsys.readouterr().out)

    a, b = prune(base_real, base_syn, [], "a.csv"), prune(real, syn, extra, "b.csv")
    assert a["results"]["n_kept"] == b["results"]["n_kept"] > 0
    assert a["results"]["n_features"] == b["results"]["n_features"] == x.shape[1]
    assert sorted(b["parameters"]["labels_found_by_name"]) == found.get(shape, [])


def test_value_matches_sources_by_column_name_and_ignores_ids_and_clean_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wine (three classes, string labels): the same sources written with their columns
    reversed, an id column and a y_true column get the values of the plain files."""
    wine = load_wine()
    x, y = wine.data, np.array(["barolo", "grignolino", "barbera"])[wine.target]
    perm = np.random.default_rng(2).permutation(y.size)
    parts = {"ref": perm[:60], "a": perm[60:110], "b": perm[110:]}
    feats = [f"f{j}" for j in range(x.shape[1])]

    def cols(rows: np.ndarray, shuffled: bool) -> dict[str, object]:
        named = {f: x[rows, j] for j, f in enumerate(feats)}
        if not shuffled:
            return {**named, "label": y[rows]}
        return {"id": rows, "y_true": y[rows], "label": y[rows], **dict(reversed(named.items()))}

    def value(shuffled: bool) -> dict:
        paths = {k: _write_frame(tmp_path / f"{k}-{shuffled}.csv", cols(v, shuffled))
                 for k, v in parts.items()}  # fmt: skip
        argv = ["value", "--source", f"a={paths['a']}", "--source", f"b={paths['b']}"]
        assert main([*argv, "--reference", str(paths["ref"]), "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    plain, shuffled = value(False), value(True)
    # the same sums in another column order: equal to rounding
    assert shuffled["values"] == pytest.approx(plain["values"], rel=1e-12, abs=1e-14)
    assert len(plain["values"]) == 2


def _user_case(name: str, tmp_path: Path) -> dict[str, object]:
    """One gallery set as a user brings it: 70% real rows (file), the rest as a reference,
    and synthetic rows from per-class Gaussians fitted on 30 real rows, 25% of labels flipped
    (clean ones in ``y_true``)."""
    x, target = _sets()[name]
    y = np.where(target == 1, 1, -1)
    rng = np.random.default_rng(3)
    perm = rng.permutation(y.size)
    cut = int(0.7 * y.size)
    train, ref = perm[:cut], perm[cut:]
    parts, clean = [], []
    for c in (-1, 1):
        rows = x[train[:30]][y[train[:30]] == c]
        cov = np.cov(rows.T) + 1e-6 * np.eye(x.shape[1])
        parts.append(rng.multivariate_normal(rows.mean(axis=0), cov, 150))
        clean.append(np.full(150, c))
    xs, ys_true = np.vstack(parts), np.concatenate(clean)
    ys = np.where(rng.random(300) < 0.25, -ys_true, ys_true)
    paths = {
        "real": tmp_path / "real.csv",
        "ref": tmp_path / "ref.csv",
        "syn": tmp_path / "syn.csv",
        "shuffled": tmp_path / "shuffled.csv",
    }
    _write(paths["real"], x[train], {"label": y[train]})
    _write(paths["ref"], x[ref], {"label": y[ref]})
    _write(paths["syn"], xs, {"label": ys, "y_true": ys_true})
    _write(paths["shuffled"], x[train], {"label": rng.permutation(y[train])})
    return {"paths": paths, "x": x[train], "y": y[train], "xr": x[ref], "yr": y[ref],
            "xs": xs, "ys": ys, "ys_true": ys_true}  # fmt: skip


@pytest.mark.parametrize("name", list(_sets()))
def test_prune_rates_match_the_rows_it_kept(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """prune (k-NN verifier fitted on the real file): the rates it reports are the shares of
    right and wrong labels among the rows its output file holds, counted here."""
    case = _user_case(name, tmp_path)
    paths, out = case["paths"], tmp_path / "kept.csv"  # type: ignore[index]
    argv = ["prune", "--synthetic", str(paths["syn"]), "--real", str(paths["real"])]  # type: ignore[index]
    assert main([*argv, "--verifier", "knn", "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    kept = np.genfromtxt(out, delimiter=",", names=True)
    ys, ys_true = case["ys"], case["ys_true"]
    wrong = np.sum(ys != ys_true)  # type: ignore[operator]
    kept_wrong = np.sum(kept["label"] != kept["y_true"])
    assert doc["results"]["n_kept"] == kept.shape[0] > 0
    rates = doc["results"]["rates"]
    assert rates["rho"] == pytest.approx(kept_wrong / wrong, abs=1e-12)
    assert rates["phi"] == pytest.approx((kept.shape[0] - kept_wrong) / (300 - wrong), abs=1e-12)
    assert rates["phi"] > rates["rho"]  # a verifier better than chance here


@pytest.mark.parametrize("name", list(_sets()))
def test_value_puts_a_label_shuffled_source_below_real_rows(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """value: the real rows, the synthetic file and the real rows with shuffled labels, against
    the reference rows. Logistic regression retrained on each source (the direct measurement)
    ranks the shuffled source last; so must the value."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    case = _user_case(name, tmp_path)
    paths = case["paths"]
    sources = {"real": paths["real"], "synthetic": paths["syn"], "shuffled": paths["shuffled"]}  # type: ignore[index]
    argv = ["value", *(a for k, p in sources.items() for a in ("--source", f"{k}={p}"))]
    assert main([*argv, "--reference", str(paths["ref"]), "--json"]) == 0  # type: ignore[index]
    doc = json.loads(capsys.readouterr().out)
    shuffled_y = np.genfromtxt(paths["shuffled"], delimiter=",", names=True)["label"]  # type: ignore[index]
    data = {"real": (case["x"], case["y"]), "synthetic": (case["xs"], case["ys"]),
            "shuffled": (case["x"], shuffled_y)}  # fmt: skip
    measured = {}
    for key, (xx, yy) in data.items():
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        measured[key] = model.fit(xx, yy).score(case["xr"], case["yr"])
    assert min(measured, key=measured.__getitem__) == "shuffled", measured
    assert doc["ranking"][-1] == "shuffled", (doc["values"], measured)


@pytest.mark.parametrize("name", list(_sets()))
def test_scaling_fit_on_a_measured_learning_curve(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """scaling fit on the set's own learning curve (logistic regression on 10 sizes × 3 seeds,
    error on the reference rows): its one-segment BIC is the power law fitted here with numpy,
    and breakpoints are quoted exactly when BIC prefers three segments."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    case = _user_case(name, tmp_path)
    x, y, xr, yr = case["x"], case["y"], case["xr"], case["yr"]
    sizes = np.unique(np.geomspace(12, y.shape[0], 10).astype(int))  # type: ignore[union-attr]
    rows = []
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(y.shape[0])  # type: ignore[union-attr]
        for n in sizes:
            pick = order[:n]
            if np.unique(y[pick]).size < 2:  # type: ignore[index]
                pick = np.r_[pick, order[n:][y[order[n:]] != y[pick[0]]][:1]]  # type: ignore[index]
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            err = 1.0 - model.fit(x[pick], y[pick]).score(xr, yr)  # type: ignore[index]
            rows.append((n, max(err, 1.0 / (2 * len(yr))), seed))  # type: ignore[arg-type]
    curve = tmp_path / "curve.csv"
    curve.write_text("n,error,seed\n" + "".join(f"{n},{e!r},{s}\n" for n, e, s in rows))
    assert main(["scaling", "fit", str(curve), "--n-boot", "20", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    data = np.array(rows, dtype=float)
    lx, ly = np.log(data[:, 0]), np.log(data[:, 1])
    resid = ly - np.polyval(np.polyfit(lx, ly, 1), lx)
    n_pts = lx.shape[0]
    bic1 = n_pts * np.log(resid @ resid / n_pts) + 2 * np.log(n_pts)
    assert doc["fit"]["bic"]["1"] == pytest.approx(bic1, rel=1e-9)
    three = doc["fit"]["n_phases"] == 3
    assert doc["three_phases"] is three
    assert (doc["fit"]["breakpoints"] is not None) is three
    assert (doc["points"]["phase"] is not None) is three
    assert main(["scaling", "fit", str(curve), "--n-boot", "20"]) == 0
    out = capsys.readouterr().out
    assert ("n1 (end of rapid learning)" in out) is three
    assert ("the data do not show three phases" in out) is (not three)


def _iris_three_classes(tmp_path: Path) -> dict[str, object]:
    """Iris with all three classes as string labels, as a user brings it: a real file (every
    row) and a synthetic file from per-class Gaussians fitted on 30 real rows, 25% of labels
    flipped to one of the two other classes (clean ones in ``y_true``)."""
    iris = load_iris()
    names = np.array(["setosa", "versicolor", "virginica"])
    x, y = iris.data, names[iris.target]
    rng = np.random.default_rng(4)
    fit = rng.permutation(y.size)[:30]
    parts = []
    for c in names:
        rows = x[fit][y[fit] == c]
        cov = np.cov(rows.T) + 1e-6 * np.eye(x.shape[1])
        parts.append(rng.multivariate_normal(rows.mean(axis=0), cov, 150))
    xs, true_idx = np.vstack(parts), np.repeat([0, 1, 2], 150)
    flip = rng.random(450) < 0.25
    noisy_idx = np.where(flip, (true_idx + rng.integers(1, 3, 450)) % 3, true_idx)
    ys, ys_true = names[noisy_idx], names[true_idx]
    feats = [f"f{j}" for j in range(x.shape[1])]

    def named(a: np.ndarray) -> dict[str, np.ndarray]:
        return {f: a[:, j] for j, f in enumerate(feats)}

    # The same task written by hand: versicolor (+1) against virginica (-1), other rows dropped
    # (in the synthetic file: rows whose label or clean label is setosa).
    code = {"versicolor": 1, "virginica": -1}
    r_in = y != "setosa"
    s_in = (ys != "setosa") & (ys_true != "setosa")
    pm = np.vectorize(code.get)
    paths = {
        "real": _write_frame(tmp_path / "iris-real.csv", {**named(x), "label": y}),
        "syn": _write_frame(
            tmp_path / "iris-syn.csv", {**named(xs), "label": ys, "y_true": ys_true}
        ),
        "real-pm": _write_frame(
            tmp_path / "iris-real-pm.csv", {**named(x[r_in]), "label": pm(y[r_in])}
        ),
        "syn-pm": _write_frame(
            tmp_path / "iris-syn-pm.csv",
            {**named(xs[s_in]), "label": pm(ys[s_in]), "y_true": pm(ys_true[s_in])},
        ),
    }
    left_out = {"real": int(np.sum(~r_in)), "synthetic": int(np.sum(~s_in))}
    return {"paths": paths, "left_out": left_out, "xs": xs, "ys": ys, "s_in": s_in}


_PAIR = ["--positive", "versicolor", "--negative", "virginica"]


def test_a_named_pair_of_three_classes_gives_the_answers_of_the_two_class_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Iris, three string labels: ``--positive versicolor --negative virginica`` must give
    exactly the predictions, hold-out check and prune decisions of the same rows written by
    hand as a ±1 file, and count the setosa rows it left out of each file."""
    case = _iris_three_classes(tmp_path)
    paths, left_out = case["paths"], case["left_out"]
    assert left_out == {"real": 50, "synthetic": 450 - int(np.sum(case["s_in"]))}  # type: ignore[arg-type]

    def predict(real: Path, syn: Path, more: list[str]) -> dict:
        argv = ["predict", "--real", str(real), "--synthetic", str(syn), *more, "--json"]
        assert main(argv) == 0, capsys.readouterr().err
        return json.loads(capsys.readouterr().out)

    want = predict(paths["real-pm"], paths["syn-pm"], [])  # type: ignore[index]
    got = predict(paths["real"], paths["syn"], _PAIR)  # type: ignore[index]
    assert got["results"]["accuracy"] == want["results"]["accuracy"]
    assert got["results"]["epsilon"] == want["results"]["epsilon"]
    assert got["check"]["conditions"] == want["check"]["conditions"]
    assert got["data"]["n_real"] == want["data"]["n_real"] == 100
    assert got["data"]["rows_left_out"] == left_out
    assert "rows_left_out" not in want["data"]
    assert got["data"]["labels"] == (
        "+1 = 'versicolor', -1 = 'virginica' (the pair chosen by --positive/--negative; "
        "rows of other labels left out)"
    )
    argv = ["predict", "--real", str(paths["real"]), "--synthetic", str(paths["syn"]), *_PAIR]  # type: ignore[index]
    assert main(argv) == 0
    note = (
        f"# rows of other labels left out: 50 real, {left_out['synthetic']} synthetic "  # type: ignore[index]
        "(label, or 'y_true', neither 'versicolor' nor 'virginica')"
    )
    assert note in capsys.readouterr().out.splitlines()

    def prune(real: Path, syn: Path, more: list[str], out: Path) -> dict:
        argv = ["prune", "--synthetic", str(syn), "--real", str(real), "--verifier", "knn"]
        assert main([*argv, "--out", str(out), "--json", *more]) == 0
        return json.loads(capsys.readouterr().out)

    a_out, b_out = tmp_path / "kept-pm.csv", tmp_path / "kept-pair.csv"
    a = prune(paths["real-pm"], paths["syn-pm"], [], a_out)  # type: ignore[index]
    b = prune(paths["real"], paths["syn"], _PAIR, b_out)  # type: ignore[index]
    assert b["results"]["n_kept"] == a["results"]["n_kept"] > 0
    assert b["results"]["n_synthetic"] == a["results"]["n_synthetic"] == np.sum(case["s_in"])  # type: ignore[arg-type]
    assert b["results"]["rates"] == a["results"]["rates"]
    assert b["results"]["rows_left_out"] == left_out
    assert "rows_left_out" not in a["results"]
    # The written file: the rows the ±1 run kept, every column as given, no setosa row.
    kept_a = np.genfromtxt(a_out, delimiter=",", names=True)
    kept_b = np.genfromtxt(b_out, delimiter=",", names=True, dtype=None, encoding="utf-8")
    assert kept_b.shape[0] == b["results"]["n_kept"]
    assert kept_b.dtype.names == ("f0", "f1", "f2", "f3", "label", "y_true", "synthetic", "score")
    for j in range(4):
        assert np.array_equal(kept_b[f"f{j}"], kept_a[f"f{j}"])
    assert np.array_equal(kept_b["score"], kept_a["score"])
    assert np.array_equal(np.where(kept_b["label"] == "versicolor", 1, -1), kept_a["label"])
    assert not np.isin(kept_b["label"], ["setosa"]).any()
    assert not np.isin(kept_b["y_true"], ["setosa"]).any()


@pytest.mark.parametrize("command", ["predict", "prune"])
@pytest.mark.parametrize(
    ("more", "message"),
    [
        (
            ["--negative", "virginica"],
            "negative must be given only together with --positive (they name a pair); "
            "got 'virginica'",
        ),
        (
            ["--positive", "versicolor", "--negative", "virginia"],
            "negative must be one of the labels of iris-real.csv "
            "['setosa', 'versicolor', 'virginica']; got 'virginia'",
        ),
        (
            ["--positive", "versicolour", "--negative", "virginica"],
            "positive must be one of the labels of iris-real.csv "
            "['setosa', 'versicolor', 'virginica']; got 'versicolour'",
        ),
        (
            ["--positive", "virginica", "--negative", "virginica"],
            "negative must differ from --positive; got 'virginica'",
        ),
    ],
)
def test_a_bad_named_pair_is_one_line_naming_it(
    command: str,
    more: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = _iris_three_classes(tmp_path)["paths"]
    argv = [command, "--real", str(paths["real"]), "--synthetic", str(paths["syn"]), *more]  # type: ignore[index]
    if command == "prune":
        argv += ["--verifier", "knn", "--out", str(tmp_path / "kept.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"synthmix: error: {message}\n"
    assert not (tmp_path / "kept.csv").exists()
