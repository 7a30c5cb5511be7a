"""Every command answers bad input with one line naming the problem and exit code 2.

Table-driven: each case runs the CLI in-process (``synthmix.cli.main``) in a fresh folder and
checks the exit status, that stderr is exactly one ``synthmix: error: ...`` line mentioning the
expected words, that no traceback leaked, and that the folder holds nothing new afterwards
(no partial output).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from synthmix.cli import main

REF = "x0,x1,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n"
GOOD = "x0,x1,label\n0,0,0\n1,1,1\n0.5,0.2,0\n0.9,0.8,1\n"


def _inputs(root: Path) -> None:
    (root / "ref.csv").write_text(REF)
    (root / "good.csv").write_text(GOOD)
    (root / "nan.csv").write_text("x0,x1,label\n0,,0\n1,1,1\n")
    (root / "inf.csv").write_text("x0,x1,label\n0,inf,0\n1,1,1\n")
    (root / "wide.csv").write_text("x0,x1,x2,label\n0,0,0,0\n1,1,1,1\n")
    (root / "empty.csv").write_text("x0,x1,label\n")
    (root / "one.csv").write_text("x0,x1,label\n0,0,0\n1,1,0\n")
    (root / "nolabel.csv").write_text("x0,x1,target\n0,0,0\n1,1,1\n")
    (root / "pm.csv").write_text("x0,x1,label\n0,0,-1\n1,1,1\n0,1,-1\n1,0,1\n")
    (root / "pm3.csv").write_text("x0,x1,x2,label\n0,0,0,-1\n1,1,1,1\n")
    (root / "labels3.csv").write_text("x0,x1,label\n0,0,0\n1,1,1\n2,2,2\n")
    (root / "bad.toml").write_text("p = [unclosed\n")
    (root / "unknown.toml").write_text("p = 10\nwhat = 3\n")
    (root / "curve_cols.csv").write_text("size,err\n1,0.5\n")
    (root / "curve_neg.csv").write_text("n,error\n" + "".join(f"{10**i},-0.1\n" for i in range(9)))
    (root / "curve_short.csv").write_text("n,error\n10,0.5\n100,0.3\n")
    (root / "curve_inf.csv").write_text(
        "n,error\n" + "".join(f"{10**i},{'inf' if i == 3 else 0.5}\n" for i in range(9))
    )
    (root / "curve_text.csv").write_text("n,error\n10,abc\n")
    (root / "curve_ok.csv").write_text(
        "n,error\n" + "".join(f"{10 * 2**i},{0.5 / (i + 1)}\n" for i in range(9))
    )
    # duplicated names: pandas would read the second 'a' as 'a.1' (its data under another name)
    (root / "dup.csv").write_text("a,a,label,y_true\n1,10,1,1\n2,20,-1,-1\n3,30,1,1\n4,40,-1,-1\n")
    (root / "duplabel.csv").write_text("x0,label,x1,label\n0,-1,0,-1\n1,1,1,1\n0,-1,1,-1\n")
    (root / "headeronly.csv").write_text("x0,x1,label,y_true\n")
    (root / "deep.toml").write_text("p = " + "[" * 5000 + "1" + "]" * 5000 + "\n")
    (root / "rag_cov.toml").write_text("p = 2\ncov_real = [[1, 0.5], [0]]\n")
    (root / "rag_m.toml").write_text("m = [[1, 2], [3]]\n")
    (root / "a_file").write_text("not a folder")
    (root / "a_dir").mkdir()


_THOUSAND = ",".join(str(i) for i in range(1, 1001))  # 1000³ = 10^9 grid points
_THOUSAND_EPS = ",".join(str(i / 1000) for i in range(1000))
VALUE = ["value", "--source", "a=good.csv", "--source", "b=good.csv", "--reference", "ref.csv"]
PRUNE = ["prune", "--out", "kept.csv", "--synthetic", "pm.csv"]

CASES: list[tuple[str, list[str], str]] = [
    # predict / simulate: ranges, sizes, configs
    ("negative gamma", ["predict", "--gamma", "-1"], "gamma"),
    # numerical failures: the one error line, no RuntimeWarning lines before it
    ("vanishing gamma", ["predict", "--gamma", "1e-300"], "did not converge in 200 iterations"),
    ("huge mu", ["predict", "--mu", "1e200"], "variance is not positive"),
    # sizes beyond the memory budget are refused before anything is allocated
    (
        "predict: a billion dimensions",
        ["predict", "--p", "1000000000"],
        "p must keep the memory needed (about 238 GiB) within the budget of",
    ),
    ("predict: p beyond int64", ["predict", "--p", "9223372036854775808"], "p must keep"),
    (
        "predict: an explicit budget",
        ["predict", "--p", "1000000", "--max-memory", "0.01"],
        "within the budget of 10.2 MiB (--max-memory 0.01); got 1000000",
    ),
    ("predict: a zero budget", ["predict", "--max-memory", "0"], "max_memory must be a positive"),
    ("simulate: p = 100,000", ["simulate", "--p", "100000", "--trials", "2"], "p must keep"),
    (
        "simulate: a billion trials",
        ["simulate", "--trials", "1000000000", "--p", "2", "--n", "2", "--m", "0"],
        "trials must keep the memory needed",
    ),
    ("epsilon above 1", ["predict", "--epsilon", "1.5"], "epsilon"),
    ("rho below 0", ["predict", "--rho", "-0.1"], "rho"),
    ("phi above 1", ["predict", "--phi", "2"], "phi"),
    ("negative n", ["predict", "--n", "-5"], "n"),
    ("zero dimension", ["predict", "--p", "0"], "p"),
    ("NaN mu", ["predict", "--mu", "nan"], "mu"),
    ("non-numeric grid", ["predict", "--m", "ten"], "m"),
    ("missing config", ["predict", "--config", "missing.toml"], "config"),
    ("malformed TOML", ["predict", "--config", "bad.toml"], "config"),
    ("TOML nested 5,000 deep", ["predict", "--config", "deep.toml"], "nested hundreds deep"),
    ("unknown config key", ["predict", "--config", "unknown.toml"], "what"),
    ("zero trials", ["simulate", "--trials", "0"], "trials"),
    ("zero workers", ["simulate", "--n-jobs", "0", "--trials", "2"], "n_jobs"),
    ("--out is a folder", ["predict", "--out", "a_dir"], "a_dir"),
    # prune: files, labels, verifiers
    (
        "missing synthetic file",
        [
            "prune",
            "--out",
            "k.csv",
            "--synthetic",
            "nope.csv",
            "--verifier",
            "oracle",
            "--rho",
            "0",
            "--phi",
            "1",
        ],
        "nope.csv",
    ),
    ("unknown verifier", [*PRUNE, "--verifier", "psychic"], "verifier"),
    (
        "NaN features",
        [
            "prune",
            "--out",
            "k.csv",
            "--synthetic",
            "nan.csv",
            "--verifier",
            "oracle",
            "--rho",
            "0",
            "--phi",
            "1",
        ],
        "finite",
    ),
    (
        "labels not +-1",
        [
            "prune",
            "--out",
            "k.csv",
            "--synthetic",
            "labels3.csv",
            "--verifier",
            "oracle",
            "--rho",
            "0",
            "--phi",
            "1",
        ],
        "label",
    ),
    ("mismatched dimensions", [*PRUNE, "--verifier", "knn", "--real", "pm3.csv"], "feature"),
    ("oracle without rates", [*PRUNE, "--verifier", "oracle"], "rho"),
    (
        "no label column",
        [
            "prune",
            "--out",
            "k.csv",
            "--synthetic",
            "nolabel.csv",
            "--verifier",
            "oracle",
            "--rho",
            "0",
            "--phi",
            "1",
        ],
        "label",
    ),
    # scaling
    ("beta at most 1", ["scaling", "predict", "--k", "5", "--beta", "0.5"], "beta"),
    ("no truncation", ["scaling", "predict", "--beta", "2"], "k"),
    (
        "prune: a repeated column name",
        [
            "prune",
            "--out",
            "k.csv",
            "--synthetic",
            "dup.csv",
            "--verifier",
            "oracle",
            "--rho",
            "0",
            "--phi",
            "1",
        ],
        "synthetic must have distinct column names; got 'repeated: a'",
    ),
    (
        "prune: a repeated label column",
        [
            "prune",
            "--out",
            "k.csv",
            "--synthetic",
            "duplabel.csv",
            "--verifier",
            "oracle",
            "--rho",
            "0",
            "--phi",
            "1",
        ],
        "repeated: label",
    ),
    (
        "prune: header only",
        [
            "prune",
            "--out",
            "k.csv",
            "--synthetic",
            "headeronly.csv",
            "--verifier",
            "oracle",
            "--rho",
            "0",
            "--phi",
            "1",
        ],
        "synthetic must hold at least one data row",
    ),
    ("value: a repeated column name", [*VALUE, "--source", "d=dup.csv"], "repeated: a"),
    (
        "predict: a repeated label column",
        ["predict", "--real", "duplabel.csv", "--generator", "gaussian"],
        "repeated: label",
    ),
    ("pi above 1", ["scaling", "predict", "--k", "5", "--pi", "1.5"], "pi"),
    ("negative k", ["scaling", "predict", "--k", "-3"], "k"),
    ("missing curve", ["scaling", "fit", "nope.csv"], "curve"),
    ("curve without n, error", ["scaling", "fit", "curve_cols.csv"], "curve"),
    ("negative errors", ["scaling", "fit", "curve_neg.csv"], "err"),
    ("too few points", ["scaling", "fit", "curve_short.csv"], "n"),
    ("infinite error", ["scaling", "fit", "curve_inf.csv"], "err"),
    ("text in the curve", ["scaling", "fit", "curve_text.csv"], "curve"),
    (
        "scaling fit --figure is a folder",
        ["scaling", "fit", "curve_ok.csv", "--figure", "a_dir"],
        "--figure must name a file to write, not an existing folder; got 'a_dir'",
    ),
    (
        "scaling fit: --figure under a file",
        ["scaling", "fit", "curve_ok.csv", "--figure", "good.csv/fit.png"],
        "--figure must be a writable file path; got 'good.csv/fit.png (good.csv is not a folder)'",
    ),
    (
        "value: --out under a file",
        [*VALUE, "--out", "good.csv/values"],
        "--out must be a folder that can be created and written",
    ),
    (
        "demo: --out under a file",
        ["demo", "--quick", "--out", "good.csv/demo"],
        "out must be a folder that can be created and written",
    ),
    (
        "reproduce: --out under a file",
        ["reproduce", "rmt-laws", "--quick", "--out", "good.csv/r"],
        "out must be a folder that can be created and written",
    ),
    # value
    ("unknown method", [*VALUE, "--method", "astrology"], "method"),
    ("NaN in a source", [*VALUE, "--source", "n=nan.csv"], "--source n"),
    ("inf in a source", [*VALUE, "--source", "i=inf.csv"], "--source i"),
    (
        "empty source",
        [*VALUE, "--source", "e=empty.csv"],
        "--source e (empty.csv): path must hold at least one data row",
    ),
    ("one-class reference", [*VALUE[:5], "--reference", "one.csv"], "two classes"),
    (
        "mismatched source",
        [*VALUE, "--source", "w=wide.csv"],
        "--source w (wide.csv): source must have the feature columns of the reference; got "
        "\"missing [], extra ['x2']\"",
    ),
    ("duplicate names", [*VALUE, "--source", "a=good.csv"], "twice"),
    ("source is a folder", [*VALUE, "--source", "d=a_dir"], "--source d"),
    ("value --out is a file", [*VALUE, "--out", "a_file"], "a_file"),
    (
        "value --price without --budget",
        [*VALUE, "--price", "a=1", "--out", "values"],
        "--price must come with --budget; got 'a=1'",
    ),
    (
        "value --budget without a price for b",
        [*VALUE, "--budget", "3", "--price", "a=1", "--out", "values"],
        "--price must give every source a price; got \"no price for 'b'\"",
    ),
    (
        "value --coalition naming no source",
        [*VALUE, "--coalition", "a,zz", "--out", "values"],
        "--coalition a,zz: names must name sources of the market (a, b); got 'zz'",
    ),
    # reproduce / demo
    ("unknown reproduction", ["reproduce", "no-such-figure", "--quick"], "name"),
    ("negative seed", ["reproduce", "rmt-laws", "--quick", "--seed", "-1"], "seed"),
    (
        "reproduce --out is a file",
        ["reproduce", "rmt-laws", "--quick", "--out", "a_file"],
        "a_file",
    ),
    ("demo --out is a file", ["demo", "--quick", "--out", "a_file"], "a_file"),
    # report
    ("report of an empty folder", ["report", "a_dir"], "artifact_dir must contain"),
    ("report of a file", ["report", "good.csv"], "artifact_dir must be an existing folder"),
    # sizes and budgets beyond the list
    ("simulate: m = 10^15", ["simulate", "--m", "1e15", "--trials", "2"], "within the budget"),
    (
        "predict: a 10^9-point grid",
        ["predict", "--n", _THOUSAND, "--m", _THOUSAND, "--epsilon", _THOUSAND_EPS],
        "grid must keep the memory needed",
    ),
    ("predict: a negative budget", ["predict", "--max-memory", "-1"], "max_memory must be"),
    ("ragged TOML cov_real", ["predict", "--config", "rag_cov.toml"], "cov_real must be"),
    ("ragged TOML m", ["predict", "--config", "rag_m.toml"], "m must be a number or a list"),
    # malformed Dask addresses: refused before a client exists
    ("simulate: malformed --scheduler", ["simulate", "--scheduler", "nonsense"], "scheduler"),
    ("simulate: unknown scheme", ["simulate", "--scheduler", "foo://h:1"], "unknown scheme"),
    ("value: malformed --scheduler", [*VALUE, "--scheduler", "tcp://host"], "missing port"),
    # worker counts
    ("value: zero workers", [*VALUE, "--n-jobs", "0"], "n_jobs must be a positive integer"),
    ("value: beyond the memory budget", [*VALUE, "--max-memory", "1e-9"], "sources must keep"),
    ("value: a zero budget", [*VALUE, "--max-memory", "0"], "max_memory must be a positive"),
    ("reproduce: zero workers", ["reproduce", "rmt-laws", "--quick", "--n-jobs", "0"], "n_jobs"),
    # value's own options
    ("value: one bootstrap resample", [*VALUE, "--n-bootstrap", "1"], "n_bootstrap must be >= 2"),
    ("value: a source without a name", [*VALUE, "--source", "=good.csv"], "NAME=PATH"),
    ("value: a source without a path", [*VALUE, "--source", "c"], "NAME=PATH"),
    (
        "value: missing reference",
        ["value", "--source", "a=good.csv", "--source", "b=good.csv", "--reference", "no.csv"],
        "path must be an existing file",
    ),
    ("value: a price that is no number", [*VALUE, "--budget", "3", "--price", "a=x"], "PRICE"),
    # prune's options
    ("prune: rho above 1", [*PRUNE, "--verifier", "oracle", "--rho", "1.5", "--phi", "1"], "rho"),
    ("prune: phi is NaN", [*PRUNE, "--verifier", "oracle", "--rho", "0", "--phi", "nan"], "phi"),
    (
        "prune: an output format it cannot write",
        [*PRUNE[:2], "k.txt", *PRUNE[3:], "--verifier", "oracle", "--rho", "0", "--phi", "1"],
        "out must end in one of",
    ),
    # scaling's options
    (
        "scaling: two truncations at once",
        ["scaling", "predict", "--k", "5", "--M", "1000", "--temperature", "0.5"],
        "k must be the only truncation",
    ),
    ("scaling: NaN beta", ["scaling", "predict", "--k", "5", "--beta", "nan"], "beta must be"),
    # generate: refused before the model loads (these never wait for it)
    ("generate: no texts", ["generate", "--n", "0", "--out", "x.jsonl"], "n must be >= 1"),
    (
        "generate: negative temperature",
        ["generate", "--temperature", "-1", "--out", "x.jsonl"],
        "temperature must be >= 0",
    ),
    ("generate: top-p above 1", ["generate", "--top-p", "2", "--out", "x.jsonl"], "top_p"),
    ("generate: not a JSONL name", ["generate", "--out", "x.txt"], "out must end in .jsonl"),
    ("generate: --out is a folder", ["generate", "--out", "a_dir"], "'a_dir' is a directory"),
    ("report of a missing folder", ["report", "nowhere"], "artifact_dir must be an existing"),
]


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("label", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(
    label: str,
    args: list[str],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    code = main(args)
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, (label, code, err)
    assert err.count("\n") == 1 and err.startswith("synthmix: error: "), err
    assert expected in err, (expected, err)
    assert "Traceback" not in err + captured.out
    assert _snapshot(tmp_path) == before, "partial output left behind"
    assert not any(p.name.startswith(".") and "tmp" in p.name for p in tmp_path.rglob("*"))


def test_the_table_spans_every_command() -> None:
    assert len(CASES) >= 30
    commands = {args[0] for _, args, _ in CASES}
    assert commands == {
        "generate",
        "predict",
        "simulate",
        "prune",
        "scaling",
        "value",
        "reproduce",
        "demo",
        "report",
    }


# --------------------------------------------------------------------------------------------
# Hostile but valid input: exit 0 and the answer a direct, plain form of the same input gives.


def _valid_inputs(root: Path) -> None:
    _inputs(root)
    rows = "".join(f"{i % 3},{i % 5},{1 - 2 * (i % 2)},{1 - 2 * (i % 4 > 0)}\n" for i in range(12))
    (root / "noisy.csv").write_text("x0,x1,label,y_true\n" + rows)
    (root / "bom.csv").write_bytes(b"\xef\xbb\xbf" + (root / "noisy.csv").read_bytes())
    (root / "crlf.csv").write_bytes((root / "noisy.csv").read_bytes().replace(b"\n", b"\r\n"))
    curve = (root / "curve_ok.csv").read_bytes()
    (root / "curve_bom.csv").write_bytes(b"\xef\xbb\xbf" + curve)
    (root / "curve_crlf.csv").write_bytes(curve.replace(b"\n", b"\r\n"))
    # integers beyond int64 (JSON allows them) and the same numbers as floats
    big = [(10**20, 0, 0), (3 * 10**20, 1, 1), (2 * 10**20, 1, 0), (4 * 10**20, 0, 1)]
    lines = [f'{{"x0": {a}, "x1": {b}, "label": {c}}}' for a, b, c in big]
    (root / "big.jsonl").write_text("\n".join(lines) + "\n")
    floats = [f'{{"x0": {float(a)!r}, "x1": {b}.0, "label": {c}}}' for a, b, c in big]
    (root / "float.jsonl").write_text("\n".join(floats) + "\n")


_PRUNE_ORACLE = ["--verifier", "oracle", "--rho", "0.5", "--phi", "1", "--json"]
_VALUE_B = ["--source", "b=good.csv", "--json"]
_SIM = ["simulate", "--p", "20", "--n", "10", "--m", "10", "--trials", "4", "--json"]

#: (label, hostile arguments, plain arguments): the two runs must print the same answer and
#: write the same files; the plain run is what a careful user would have typed.
VALID: list[tuple[str, list[str], list[str]]] = [
    (
        "prune: a byte-order mark",
        ["prune", "--synthetic", "bom.csv", "--out", "kept.csv", *_PRUNE_ORACLE],
        ["prune", "--synthetic", "noisy.csv", "--out", "kept.csv", *_PRUNE_ORACLE],
    ),
    (
        "prune: CRLF line ends",
        ["prune", "--synthetic", "crlf.csv", "--out", "kept.csv", *_PRUNE_ORACLE],
        ["prune", "--synthetic", "noisy.csv", "--out", "kept.csv", *_PRUNE_ORACLE],
    ),
    (
        "scaling fit: a byte-order mark",
        ["scaling", "fit", "curve_bom.csv", "--json"],
        ["scaling", "fit", "curve_ok.csv", "--json"],
    ),
    (
        "scaling fit: CRLF line ends",
        ["scaling", "fit", "curve_crlf.csv", "--json"],
        ["scaling", "fit", "curve_ok.csv", "--json"],
    ),
    (
        "value: JSONL integers beyond int64",
        ["value", "--source", "a=big.jsonl", *_VALUE_B, "--reference", "big.jsonl"],
        ["value", "--source", "a=float.jsonl", *_VALUE_B, "--reference", "float.jsonl"],
    ),
    ("simulate: --n-jobs 1000 on two cores", [*_SIM, "--n-jobs", "1000"], [*_SIM, "--n-jobs", "1"]),
    (
        "scaling: temperature 1e-9 is the hard cut k = 1",
        ["scaling", "predict", "--temperature", "1e-9", "--M", "1000", "--json"],
        ["scaling", "predict", "--k", "1", "--M", "1000", "--json"],
    ),
]

#: Keys that echo how the input was spelled (file names, options, the model as given) or time.
_VOLATILE = ("seconds", "path", "synthmix_version", "command", "model", "breakpoints", "curve")
_VOLATILE += ("config_hash", "parameters", "plateau_error", "synthetic", "out")


def _answer(out: str) -> object:
    """The printed JSON document without timings, paths and the model echo (which differ
    between the two spellings by construction)."""
    import json

    doc = json.loads(out)
    if isinstance(doc, dict):
        for key in _VOLATILE:
            doc.pop(key, None)
        for key in ("fitted_hinges", "phase", "input"):
            doc.pop(key, None)
        if isinstance(doc.get("points"), dict):
            doc["points"] = {k: v for k, v in doc["points"].items() if k in ("n", "error")}
    return doc


@pytest.mark.parametrize(("label", "hostile", "plain"), VALID, ids=[c[0] for c in VALID])
def test_hostile_but_valid_input_gets_the_plain_answer(
    label: str,
    hostile: list[str],
    plain: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers, files = [], []
    for i, args in enumerate((hostile, plain)):
        root = tmp_path / f"run{i}"
        root.mkdir()
        _valid_inputs(root)
        monkeypatch.chdir(root)
        before = set(_snapshot(root))
        code = main(args)
        captured = capsys.readouterr()
        assert code == 0, (label, captured.err)
        assert captured.err == "" and "nan" not in captured.out.lower(), captured
        answers.append(_answer(captured.out))
        files.append({p: (root / p).read_bytes() for p in sorted(set(_snapshot(root)) - before)})
    assert answers[0] == answers[1], label
    assert files[0] == files[1], label


@pytest.mark.parametrize(
    "args",
    [
        ["--beta", "2", "--k", "1", "--M", "1", "--pi", "0.1", "--n", "10"],  # k = M: no tail
        ["--k", "5", "--M", "1000", "--beta", "1e6"],  # all mass on the first item
        ["--k", "5", "--M", "1000000000000"],  # 10^12 items: closed-form tails
    ],
)
def test_degenerate_scaling_models_answer_without_nan(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's NaN / overflow / unbounded cases: a finite error in [0, 1] at every size,
    and, where the limit is known, that limit (no tail or all mass on item 1: error 0)."""
    import json

    assert main(["scaling", "predict", *args, "--json"]) == 0
    errors = json.loads(capsys.readouterr().out)["points"]["error"]
    assert errors and all(0.0 <= e <= 1.0 for e in errors)
    if "1000000000000" not in args:
        assert max(errors) < 1e-12
