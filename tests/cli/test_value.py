"""``synthmix value``: ranked values from files, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthmix.cli import main
from synthmix.data import Dataset, load_table, save_table
from synthmix.valuation import value_sources


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("value")
    gen = np.random.default_rng(0)

    def blobs(n: int, shift: float = 0.0) -> Dataset:
        y = np.arange(n) % 2
        return Dataset(2.0 * y[:, None] + gen.standard_normal((n, 3)) + shift, y)

    save_table(blobs(60), root / "ref.csv")
    save_table(blobs(40), root / "a.csv")
    save_table(blobs(30, shift=3.0), root / "b.npz")
    save_table(Dataset(gen.standard_normal((10, 5)), np.arange(10) % 2), root / "wide.csv")
    (root / "nan.csv").write_text("x0,x1,x2,label\n1,2,3,0\n1,,3,1\n4,5,6,0\n")
    (root / "empty.csv").write_text("x0,x1,x2,label\n")
    (root / "one.csv").write_text("x0,x1,x2,label\n1,2,3,0\n1,2,3,0\n4,5,6,0\n")
    return root


def test_json_matches_the_library(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["value", "--source", f"a={files / 'a.csv'}", "--source", f"b={files / 'b.npz'}"]
    args += ["--synthetic", "b", "--reference", str(files / "ref.csv"), "--json"]
    assert main([*args, "--out", str(files / "out")]) == 0
    doc = json.loads(capsys.readouterr().out)
    a, b = load_table(files / "a.csv"), load_table(files / "b.npz")
    b = Dataset(b.X, b.y, synthetic=np.ones(b.n, bool))
    lib = value_sources({"a": a, "b": b}, load_table(files / "ref.csv"), rng=0)
    assert doc["values"] == pytest.approx(lib.values) and doc["method"] == "proxy_ensemble"
    assert set(doc["terms"]["b"]) == {"ridge_accuracy", "lda_accuracy", "logistic_accuracy"}
    assert doc["values"]["b"] == pytest.approx(
        (doc["terms"]["b"]["ridge_accuracy"] + doc["terms"]["b"]["lda_accuracy"]) / 2
    )
    assert doc["stderr"] == pytest.approx(lib.stderr)
    assert doc["interval"] == {n: pytest.approx(list(iv)) for n, iv in lib.interval.items()}
    assert doc["uncertainty"] == lib.uncertainty and doc["status"] == "n/a"
    assert doc["uncertainty"].startswith("bootstrap over 50 reference resamples")
    assert (files / "out" / "values.json").exists() and (files / "out" / "values.png").exists()
    assert main([*args, "--method", "mixture"]) == 0  # --synthetic reaches the provenance
    assert json.loads(capsys.readouterr().out)["terms"]["b"]["real_fraction"] == 0.0


def test_the_table_shows_stderr_and_interval_beside_each_value(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["value", "--source", f"a={files / 'a.csv'}", "--source", f"b={files / 'b.npz'}"]
    args += ["--reference", str(files / "ref.csv"), "--method", "proxy", "--n-bootstrap", "20"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:7] == ["rank", "source", "value", "stderr", "90%", "low", "90%"]
    sources = {"a": load_table(files / "a.csv"), "b": load_table(files / "b.npz")}
    lib = value_sources(sources, load_table(files / "ref.csv"), method="proxy", n_bootstrap=20)
    for line in lines[1:3]:
        cells = line.split()
        name = cells[1]
        lo, hi = lib.interval[name]
        assert [float(c) for c in cells[2:6]] == pytest.approx(
            [lib.values[name], lib.stderr[name], lo, hi], rel=1e-3
        )
    assert lines[3] == f"stderr and 90% interval: {lib.uncertainty}"
    assert "bootstrap over 20 reference resamples" in lines[3]


@pytest.mark.parametrize("model", ["ridge", "knn"])
def test_proxy_method_and_model_reach_the_library(
    files: Path, capsys: pytest.CaptureFixture[str], model: str
) -> None:
    args = ["value", "--source", f"a={files / 'a.csv'}", "--source", f"b={files / 'b.npz'}"]
    args += ["--reference", str(files / "ref.csv"), "--method", "proxy_loo", "--json"]
    assert main([*args, "--proxy-model", model]) == 0
    doc = json.loads(capsys.readouterr().out)
    sources = {"a": load_table(files / "a.csv"), "b": load_table(files / "b.npz")}
    ref = load_table(files / "ref.csv")
    lib = value_sources(sources, ref, method="proxy_loo", model=model)
    assert doc["method"] == "proxy_loo" and doc["details"]["model"] == model
    assert doc["values"] == pytest.approx(lib.values)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--source", "a=A", "--source", "a=B"], "appears twice"),
        (["--source", "oops"], "NAME=PATH"),
        (["--source", "x=missing.csv"], "existing file"),
        (["--source", "w=WIDE"], "must have the feature columns of the reference"),
        (["--method", "magic"], "method must be one of"),
        (["--method", "proxy", "--proxy-model", "svm"], "model must be one of ridge, lda, knn"),
        (["--synthetic", "zzz"], "--synthetic"),
        (["--method", "mixture", "--weights", "heavy"], "weights"),
        (["--source", "n=NAN"], "--source n ("),
        (["--source", "e=EMPTY"], "path must hold at least one data row"),
        (["--reference", "ONE"], "reference must contain at least two classes"),
        (["--n-bootstrap", "1"], "n_bootstrap must be >= 2; got 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    files: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    extra = [
        e.replace("A", str(files / "a.csv"))
        .replace("B", str(files / "b.npz"))
        .replace("WIDE", str(files / "wide.csv"))
        .replace("NAN", str(files / "nan.csv"))
        .replace("EMPTY", str(files / "empty.csv"))
        .replace("ONE", str(files / "one.csv"))
        for e in extra
    ]
    base = ["value", "--source", f"a0={files / 'a.csv'}", "--source", f"b0={files / 'b.npz'}"]
    base += ["--reference", str(files / "ref.csv")]
    assert main([*base, *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_n_jobs_gives_the_same_values_and_bars_show_reading_and_valuing(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from synthmix.cli import progress

    args = ["value", "--source", f"a={files / 'a.csv'}", "--source", f"b={files / 'b.npz'}"]
    args += ["--reference", str(files / "ref.csv"), "--json"]
    assert main(args) == 0
    serial = json.loads(capsys.readouterr().out)
    assert main([*args, "--n-jobs", "2"]) == 0
    parallel = json.loads(capsys.readouterr().out)
    for key in ("values", "stderr", "interval", "ranking"):
        assert parallel[key] == serial[key], key

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Tty()
    monkeypatch.setattr(progress.sys, "stdout", Tty())
    monkeypatch.setattr(progress.sys, "stderr", screen)
    assert main(args) == 0
    drawn = screen.getvalue()
    assert "reading" in drawn and "3/3" in drawn  # two sources and the reference
    assert "valuing" in drawn and "2/2" in drawn
