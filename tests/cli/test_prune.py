"""``synthmix prune``, run in-process through ``main(argv)`` on small files in tmp_path."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synthmix.cli import main
from synthmix.data import load_table
from synthmix.pruning import (
    ConfidentLearningVerifier,
    KNNVerifier,
    ModelVerifier,
    OracleVerifier,
    Verifier,
    flip_labels,
    measure_rates,
)

D = 4
N_REAL = 240
M_SYN = 300
EPSILON = 0.25


@dataclass(frozen=True)
class Files:
    """The test data in memory and on disk."""

    X_real: np.ndarray
    y_real: np.ndarray
    X_syn: np.ndarray
    y_syn: np.ndarray  # given (flipped) labels
    y_true: np.ndarray  # clean labels
    real_csv: Path
    syn_csv: Path
    syn_npz: Path
    syn_plain_csv: Path  # no true-label column
    root: Path


def write_csv(path: Path, columns: dict[str, np.ndarray]) -> Path:
    names = list(columns)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for i in range(len(columns[names[0]])):
            writer.writerow([repr(columns[name][i].item()) for name in names])
    return path


def kept_table(out: Path, label: str = "label") -> Any:
    """The kept rows' features, labels and provenance: a .csv/.jsonl output holds every input
    column plus the verifier's score, so its features are read by name."""
    if out.suffix in (".csv", ".jsonl"):
        return load_table(out, label=label, features=[f"x{j}" for j in range(D)])
    return load_table(out)


def feature_columns(X: np.ndarray) -> dict[str, np.ndarray]:
    return {f"x{j}": X[:, j] for j in range(X.shape[1])}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """A two-class Gaussian mixture: real samples, and synthetic ones with 25% flipped labels."""
    root = tmp_path_factory.mktemp("prune")
    rng = np.random.default_rng(20240611)
    mu = np.zeros(D)
    mu[0] = 1.5

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.choice(np.array([-1, 1]), size=n)
        return y[:, None] * mu + rng.standard_normal((n, D)), y

    X_real, y_real = draw(N_REAL)
    X_syn, y_true = draw(M_SYN)
    y_syn, flipped = flip_labels(y_true, EPSILON, rng=7)
    assert 0 < flipped.sum() < M_SYN
    real_csv = write_csv(root / "real.csv", {**feature_columns(X_real), "label": y_real})
    syn_csv = write_csv(
        root / "synthetic.csv", {**feature_columns(X_syn), "label": y_syn, "y_true": y_true}
    )
    syn_plain = write_csv(root / "plain.csv", {**feature_columns(X_syn), "label": y_syn})
    syn_npz = root / "synthetic.npz"
    np.savez(syn_npz, X=X_syn, y=y_syn, y_true=y_true)
    return Files(X_real, y_real, X_syn, y_syn, y_true, real_csv, syn_csv, syn_npz, syn_plain, root)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["prune", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, *argv, "--json")
    assert code == 0, err
    assert err == ""
    doc: dict[str, Any] = json.loads(out)
    return doc


def assert_one_line_error(result: tuple[int, str, str], needle: str) -> None:
    code, out, err = result
    assert code == 2, (out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("synthmix: error: ")
    assert needle in lines[0], lines[0]


# (CLI arguments, the same verifier built with the library) per verifier
VERIFIER_CASES: dict[str, tuple[list[str], Any]] = {
    "oracle": (
        ["--rho", "0.2", "--phi", "0.85", "--seed", "11"],
        lambda f: OracleVerifier(rho=0.2, phi=0.85),
    ),
    "model": (
        ["--threshold", "0.6"],
        lambda f: ModelVerifier.fit(f.X_real, f.y_real, threshold=0.6),
    ),
    "cleanlab": ([], lambda f: ConfidentLearningVerifier.fit(f.X_real, f.y_real)),
    "knn": (
        ["--k", "7", "--threshold", "0.5"],
        lambda f: KNNVerifier.fit(f.X_real, f.y_real, k=7, threshold=0.5),
    ),
}


# ---------------------------------------------------------------------------------------------
# Each verifier: kept rows and measured rates agree with the library


@pytest.mark.parametrize("fmt", ["csv", "npz"])
@pytest.mark.parametrize("name", list(VERIFIER_CASES))
def test_kept_rows_and_rates_match_library(
    capsys: pytest.CaptureFixture[str], files: Files, name: str, fmt: str
) -> None:
    extra, build = VERIFIER_CASES[name]
    syn = files.syn_csv if fmt == "csv" else files.syn_npz
    out = files.root / f"kept-{name}-{fmt}.{fmt}"
    real = [] if name == "oracle" else ["--real", str(files.real_csv)]
    doc = run_json(
        capsys, "--synthetic", str(syn), "--out", str(out), "--verifier", name, *real, *extra
    )

    verifier: Verifier = build(files)
    seed = 11 if name == "oracle" else 0
    verdict = verifier.decide(files.X_syn, files.y_syn, rng=seed, y_true=files.y_true)
    kept = kept_table(out)
    np.testing.assert_array_equal(kept.X, files.X_syn[verdict.keep])
    if fmt == "csv":  # every input column as given, plus the verifier's score
        header, *rows = out.read_text().splitlines()
        given = syn.read_text().splitlines()[0].split(",")
        assert header.split(",") == [*given, "synthetic", "score"]
        scores = [float(r.split(",")[-1]) for r in rows]
        np.testing.assert_allclose(scores, verdict.score[verdict.keep], rtol=1e-12)
    np.testing.assert_array_equal(kept.y, files.y_syn[verdict.keep])
    assert kept.synthetic.all()  # no provenance in the input: every kept row is synthetic

    res = doc["results"]
    assert res["n_synthetic"] == M_SYN and res["n_features"] == D
    assert res["n_kept"] == int(verdict.keep.sum()) == kept.n
    assert res["true_label"] == "y_true"
    expected = measure_rates(verifier, files.X_syn, files.y_syn, files.y_true, rng=seed)
    got = res["rates"]
    for key, value in asdict(expected).items():
        if isinstance(value, tuple):
            assert got[key] == list(value), key
        else:
            assert got[key] == value, key
    assert got["epsilon"] == pytest.approx(np.mean(files.y_syn != files.y_true))
    assert f"--rho {expected.rho:.6g} --phi {expected.phi:.6g}" in res["predict_hint"]
    assert doc["command"] == "prune" and doc["parameters"]["verifier"] == name


def test_text_report_and_rates_out(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    out, rates_out = tmp_path / "kept.jsonl", tmp_path / "sub" / "rates.json"
    code, text, err = run_cli(
        capsys, "--synthetic", str(files.syn_csv), "--real", str(files.real_csv),
        "--verifier", "model", "--out", str(out), "--rates-out", str(rates_out),
    )  # fmt: skip
    assert code == 0 and err == ""
    rates = measure_rates(
        ModelVerifier.fit(files.X_real, files.y_real), files.X_syn, files.y_syn, files.y_true
    )
    kept_n = rates.kept_right + rates.kept_wrong
    assert f"kept {kept_n} of {M_SYN} synthetic samples" in text
    assert f"rho_hat      {rates.rho:.4f}  [{rates.rho_ci[0]:.4f}, {rates.rho_ci[1]:.4f}]" in text
    assert f"phi_hat      {rates.phi:.4f}  [{rates.phi_ci[0]:.4f}, {rates.phi_ci[1]:.4f}]" in text
    assert f"epsilon_hat  {rates.epsilon:.4f}" in text
    assert f"alpha_hat    {rates.kept_fraction:.4f}" in text
    assert f"synthmix predict ... --m {M_SYN} --epsilon {rates.epsilon:.6g}" in text
    assert f"--rho {rates.rho:.6g} --phi {rates.phi:.6g}" in text
    assert kept_table(out).n == kept_n

    written = json.loads(rates_out.read_text(encoding="utf-8"))
    assert written["command"] == "prune"
    assert written["rates"]["rho"] == rates.rho and written["rates"]["phi"] == rates.phi
    assert written["rates"]["rho_ci"] == list(rates.rho_ci)
    assert written["theory_kwargs"] == {
        "epsilon": rates.epsilon,
        "rho": rates.rho,
        "phi": rates.phi,
    }


def test_without_true_labels_reports_kept_count_only(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    out = tmp_path / "kept.csv"
    argv = ["--synthetic", str(files.syn_plain_csv), "--real", str(files.real_csv)]
    argv += ["--verifier", "knn", "--out", str(out)]
    code, text, err = run_cli(capsys, *argv)
    assert code == 0 and err == ""
    keep = KNNVerifier.fit(files.X_real, files.y_real).decide(files.X_syn, files.y_syn).keep
    assert f"kept {int(keep.sum())} of {M_SYN} synthetic samples" in text
    assert "need known flips" in text and "rho_hat" not in text
    np.testing.assert_array_equal(kept_table(out).X, files.X_syn[keep])

    doc = run_json(capsys, *argv)
    assert doc["results"]["rates"] is None and doc["results"]["predict_hint"] is None
    assert "known flips" in doc["results"]["rates_note"]

    rates_out = tmp_path / "rates.json"
    assert_one_line_error(run_cli(capsys, *argv, "--rates-out", str(rates_out)), "rates_out")
    assert not rates_out.exists()


def test_no_flips_keeps_but_cannot_measure(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    syn = write_csv(
        tmp_path / "clean.csv",
        {**feature_columns(files.X_syn), "label": files.y_true, "y_true": files.y_true},
    )
    doc = run_json(
        capsys, "--synthetic", str(syn), "--verifier", "oracle", "--rho", "0", "--phi", "0.5",
        "--out", str(tmp_path / "kept.npz"),
    )  # fmt: skip
    assert doc["results"]["rates"] is None
    assert "no label is flipped" in doc["results"]["rates_note"]


def test_custom_true_label_column_is_not_a_feature(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    cols = {"clean": files.y_true, **feature_columns(files.X_syn), "target": files.y_syn}
    syn = write_csv(tmp_path / "syn.csv", cols)
    real = write_csv(
        tmp_path / "real.csv", {"target": files.y_real, **feature_columns(files.X_real)}
    )
    out = tmp_path / "kept.csv"
    doc = run_json(
        capsys, "--synthetic", str(syn), "--real", str(real), "--verifier", "cleanlab",
        "--label", "target", "--true-label", "clean", "--out", str(out),
    )  # fmt: skip
    verifier = ConfidentLearningVerifier.fit(files.X_real, files.y_real)
    expected = measure_rates(verifier, files.X_syn, files.y_syn, files.y_true)
    assert doc["results"]["n_features"] == D
    assert doc["results"]["true_label"] == "clean"
    assert doc["results"]["rates"]["rho"] == expected.rho
    assert doc["results"]["rates"]["phi"] == expected.phi
    assert kept_table(out, label="target").d == D


def test_real_columns_aligned_by_name(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    cols = feature_columns(files.X_real)
    shuffled = {name: cols[name] for name in reversed(cols)}
    real = write_csv(tmp_path / "real.csv", {"label": files.y_real, **shuffled})
    out = tmp_path / "kept.npz"
    doc = run_json(
        capsys, "--synthetic", str(files.syn_csv), "--real", str(real), "--verifier", "model",
        "--out", str(out),
    )  # fmt: skip
    keep = ModelVerifier.fit(files.X_real, files.y_real).decide(files.X_syn, files.y_syn).keep
    assert doc["results"]["n_kept"] == int(keep.sum())
    np.testing.assert_array_equal(kept_table(out).X, files.X_syn[keep])


def test_provenance_flags_are_kept(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    flags = np.arange(M_SYN) % 3 != 0
    syn = tmp_path / "syn.npz"
    np.savez(syn, X=files.X_syn, y=files.y_syn, y_true=files.y_true, synthetic=flags)
    out = tmp_path / "kept.csv"
    run_json(
        capsys, "--synthetic", str(syn), "--verifier", "oracle", "--rho", "0.5", "--phi", "1",
        "--out", str(out),
    )  # fmt: skip
    keep = OracleVerifier(rho=0.5, phi=1.0).decide(
        files.X_syn, files.y_syn, rng=0, y_true=files.y_true
    )
    np.testing.assert_array_equal(kept_table(out).synthetic, flags[keep.keep])


def test_help_mentions_what_the_kept_file_holds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--help")
    assert code == 0 and err == ""
    assert "--verifier" in out and "--rates-out" in out
    assert "verifier_score" in " ".join(out.split())


# ---------------------------------------------------------------------------------------------
# Invalid input: exit status 2, one line on stderr naming the parameter, nothing written


def test_oracle_requires_rho_phi_and_true_labels(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    out = tmp_path / "kept.csv"
    base = ["--synthetic", str(files.syn_csv), "--verifier", "oracle", "--out", str(out)]
    assert_one_line_error(run_cli(capsys, *base, "--phi", "0.9"), "rho must be given")
    assert_one_line_error(run_cli(capsys, *base, "--rho", "0.1"), "phi must be given")
    plain = ["--synthetic", str(files.syn_plain_csv), "--verifier", "oracle", "--out", str(out)]
    assert_one_line_error(run_cli(capsys, *plain, "--rho", "0.1", "--phi", "0.9"), "true_label")
    assert not out.exists()


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("missing_synthetic", "synthetic must be an existing file"),
        ("missing_real", "real must be an existing file"),
        ("bad_extension", "synthetic must end in one of"),
        ("bad_out_extension", "out must end in one of .npz, .csv, .jsonl"),
        ("out_not_writable", "out must be a writable file path"),
        ("out_is_input", "out must differ from the input files"),
        # labels of any type, but one coding for both files, set by the real file's labels
        (
            "labels_not_pm1",
            "label (zero_one.csv) must contain only the labels '-1' and '1' (as in real.csv); "
            "got \"values ['0']\"",
        ),
        (
            "real_labels_not_pm1",
            "label (synthetic.csv) must contain only the labels '0' and '1' (as in real01.csv); "
            "got \"values ['-1']\"",
        ),
        ("true_labels_not_pm1", "true labels 'y_true' (bad_truth.csv) must contain only"),
        ("threshold_high", "threshold must lie in [0, 1]"),
        ("threshold_negative", "threshold must lie in [0, 1]"),
        ("k_zero", "k must be >= 1"),
        ("k_too_large", f"k must be <= {N_REAL}"),
        ("unknown_verifier", "verifier must be one of oracle, model, cleanlab, knn"),
        (
            "dimension_mismatch",
            "real must have the synthetic file's feature columns (narrow.csv); got "
            "\"missing ['x2', 'x3'], extra []\"",
        ),
        ("real_missing", "real must be given with --verifier model"),
        ("unused_option", "k must be given only with --verifier knn"),
        ("unused_real", "real must be given only with --verifier model or cleanlab or knn"),
        ("true_label_missing_column", "true_label must name a column"),
        ("label_missing_column", "label must name a column"),
        ("missing_out_option", "Missing option '--out'"),
        ("threshold_not_number", "--threshold"),
    ],
)
def test_invalid_input(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path, case: str, needle: str
) -> None:
    out = tmp_path / "kept.csv"
    syn, real = str(files.syn_csv), str(files.real_csv)
    model = ["--verifier", "model", "--real", real]
    argv: list[str] = ["--synthetic", syn, "--out", str(out), *model]
    if case == "missing_synthetic":
        argv[1] = str(tmp_path / "nope.csv")
    elif case == "missing_real":
        argv[-1] = str(tmp_path / "nope.npz")
    elif case == "bad_extension":
        weird = tmp_path / "synthetic.txt"
        weird.write_text("x0,label\n1,1\n", encoding="utf-8")
        argv[1] = str(weird)
    elif case == "bad_out_extension":
        argv[3] = str(tmp_path / "kept.parquet")
    elif case == "out_not_writable":
        blocker = tmp_path / "blocker"
        blocker.write_text("", encoding="utf-8")
        argv[3] = str(blocker / "kept.csv")
    elif case == "out_is_input":
        argv[3] = real
    elif case == "labels_not_pm1":
        argv[1] = str(
            write_csv(
                tmp_path / "zero_one.csv",
                {**feature_columns(files.X_syn), "label": (files.y_syn + 1) // 2},
            )
        )
    elif case == "real_labels_not_pm1":
        argv[-1] = str(
            write_csv(
                tmp_path / "real01.csv",
                {**feature_columns(files.X_real), "label": (files.y_real + 1) // 2},
            )
        )
    elif case == "true_labels_not_pm1":
        argv[1] = str(
            write_csv(
                tmp_path / "bad_truth.csv",
                {**feature_columns(files.X_syn), "label": files.y_syn, "y_true": files.y_true * 2},
            )
        )
    elif case == "threshold_high":
        argv += ["--threshold", "1.5"]
    elif case == "threshold_negative":
        argv += ["--threshold", "-0.1"]
    elif case == "k_zero":
        argv = ["--synthetic", syn, "--out", str(out), "--verifier", "knn", "--real", real]
        argv += ["--k", "0"]
    elif case == "k_too_large":
        argv = ["--synthetic", syn, "--out", str(out), "--verifier", "knn", "--real", real]
        argv += ["--k", str(N_REAL + 1)]
    elif case == "unknown_verifier":
        argv[5] = "magic"
    elif case == "dimension_mismatch":
        argv[-1] = str(
            write_csv(
                tmp_path / "narrow.csv",
                {**feature_columns(files.X_real[:, :2]), "label": files.y_real},
            )
        )
    elif case == "real_missing":
        argv = argv[:-2]
    elif case == "unused_option":
        argv += ["--k", "5"]
    elif case == "unused_real":
        argv = ["--synthetic", syn, "--out", str(out), "--verifier", "oracle"]
        argv += ["--rho", "0", "--phi", "1", "--real", real]
    elif case == "true_label_missing_column":
        argv += ["--true-label", "clean"]
    elif case == "label_missing_column":
        argv += ["--label", "target"]
    elif case == "missing_out_option":
        argv = argv[:2] + argv[4:]
    elif case == "threshold_not_number":
        argv += ["--threshold", "half"]
    assert_one_line_error(run_cli(capsys, *argv), needle)
    assert not out.exists()


def _stream_files(root: Path, suffix: str) -> tuple[Path, Path]:
    """A synthetic file of 53 rows with three labels (one left out by a pair coding), clean
    labels with flips and an id column; a real file with the same features."""
    gen = np.random.default_rng(5)
    labels = np.array(["cat", "dog", "eel"])[gen.integers(0, 3, 53)]
    truth = np.where(
        gen.random(53) < 0.7, labels, np.array(["cat", "dog", "eel"])[gen.integers(0, 3, 53)]
    )
    X = gen.standard_normal((53, 3)) + (labels == "dog")[:, None]
    header = ["id", "f0", "label", "f1", "y_true", "f2"]
    body = [[i, X[i, 0], labels[i], X[i, 1], truth[i], X[i, 2]] for i in range(53)]
    syn = root / f"syn{suffix}"
    if suffix == ".csv":
        with open(syn, "w", newline="") as fh:
            csv.writer(fh).writerows([header, *body])
    else:
        syn.write_text(
            "".join(json.dumps(dict(zip(header, map(_plain, r), strict=True))) + "\n" for r in body)
        )
    real = root / "real.csv"
    yr = gen.integers(0, 2, 40)
    Xr = gen.standard_normal((40, 3)) + yr[:, None]
    with open(real, "w", newline="") as fh:
        rows = [["f0", "f1", "f2", "label"]]
        rows += [[*Xr[i], ("cat", "dog")[yr[i]]] for i in range(40)]
        csv.writer(fh).writerows(rows)
    return syn, real


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize(
    "verifier",
    [
        ["--verifier", "oracle", "--rho", "0.3", "--phi", "0.8"],
        ["--verifier", "knn", "--real", "REAL", "--k", "3"],
        ["--verifier", "model", "--real", "REAL"],
    ],
)
def test_streamed_blocks_decide_and_write_exactly_what_one_block_does(
    tmp_path: Path,
    suffix: str,
    verifier: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Blocks of 7 rows (with a pair coding that leaves rows out, flips and ids) give the same
    kept file as the whole file at once."""
    from synthmix.cli import prune

    syn, real = _stream_files(tmp_path, suffix)
    args = [a.replace("REAL", str(real)) for a in verifier]
    outputs, docs = [], []
    for block in (7, 10**6):
        monkeypatch.setattr(prune, "BLOCK_ROWS", block)
        out = tmp_path / f"kept{block}{suffix}"
        pair = ["--positive", "dog", "--negative", "cat", "--seed", "3"]
        code = main(["prune", "--synthetic", str(syn), "--out", str(out), *args, "--json", *pair])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        doc = json.loads(captured.out)
        for key in ("parameters", "config_hash"):
            doc.pop(key, None)
        doc["results"].pop("out", None)
        outputs.append(out.read_bytes())
        docs.append(doc)
    assert outputs[0] == outputs[1]
    assert docs[0] == docs[1]  # counts, left-out rows and measured rates
    assert outputs[0].count(b"\n") > 3  # something was kept


def test_a_bad_row_in_a_later_block_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from synthmix.cli import prune

    monkeypatch.setattr(prune, "BLOCK_ROWS", 4)
    rows = "".join(f"{i},{1 - 2 * (i % 2)},{1 - 2 * (i % 2)}\n" for i in range(10))
    (tmp_path / "s.csv").write_text("x,label,y_true\n" + rows + "oops,1,1\n")
    out = tmp_path / "k.csv"
    args = ["prune", "--synthetic", str(tmp_path / "s.csv"), "--out", str(out)]
    assert main([*args, "--verifier", "oracle", "--rho", "0", "--phi", "1"]) == 2
    assert "numeric" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv"]


def test_streamed_prune_reports_rows_judged_after_each_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synthmix.cli import prune

    syn, _ = _stream_files(tmp_path, ".csv")
    monkeypatch.setattr(prune, "BLOCK_ROWS", 20)
    calls: list[tuple[int, int]] = []
    prune.run_prune(
        synthetic=syn,
        out=tmp_path / "k.csv",
        verifier="oracle",
        rho=0.2,
        phi=0.9,
        positive="dog",
        negative="cat",
        progress=lambda d, t: calls.append((d, t)),
    )
    assert [d for d, _ in calls] == [20, 40, 53, 53]  # blocks of the file's rows, then done
    assert calls[-1] == (53, 53) and all(t >= d for d, t in calls)
