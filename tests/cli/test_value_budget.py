"""``synthmix value --budget/--price/--coalition``: the purchase plan and coalition predictions
match the library, appear after the value table and in the JSON; bad prices are one line, exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthmix._io import to_jsonable
from synthmix.cli import main
from synthmix.data import Dataset, load_table, save_table
from synthmix.valuation import predict_coalition, recommend_purchase

NAMES = ("a", "b", "c")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("budget")
    gen = np.random.default_rng(0)
    means = 2.0 * gen.standard_normal((3, 4))

    def blobs(n: int, *, flip: bool = False) -> Dataset:
        y = np.arange(n) % 3
        return Dataset(means[y] + 1.5 * gen.standard_normal((n, 4)), (y + flip) % 3)

    save_table(blobs(90), root / "ref.csv")
    save_table(blobs(20), root / "a.csv")
    save_table(blobs(40), root / "b.csv")
    save_table(blobs(60, flip=True), root / "c.csv")
    return root


def _args(files: Path, *extra: str) -> list[str]:
    args = ["value"]
    for n in NAMES:
        args += ["--source", f"{n}={files / f'{n}.csv'}"]
    return [*args, "--reference", str(files / "ref.csv"), *extra]


def _library(files: Path) -> tuple[dict[str, Dataset], Dataset]:
    return {n: load_table(files / f"{n}.csv") for n in NAMES}, load_table(files / "ref.csv")


PRICES = ["--price", "a=2", "--price", "b=3.5", "--price", "c=0"]


def test_json_purchase_and_coalitions_match_the_library(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(files, "--budget", "6", *PRICES, "--coalition", "a,c", "--coalition", "")
    assert main([*args, "--json", "--seed", "3", "--n-bootstrap", "20"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sources, ref = _library(files)
    prices = {"a": 2.0, "b": 3.5, "c": 0.0}
    plan = recommend_purchase(sources, ref, prices, 6.0, rng=3, n_bootstrap=20)
    expected = to_jsonable(plan)
    expected["seconds"] = doc["purchase"]["seconds"]
    assert doc["purchase"] == expected
    assert doc["purchase"]["names"] == ["b"] and doc["purchase"]["method"] == "exhaustive"
    assert "c" not in doc["purchase"]["names"]  # free, but its flipped labels hurt
    coalitions = [
        predict_coalition(sources, ref, m, rng=3, n_bootstrap=20) for m in (["a", "c"], [])
    ]
    assert doc["coalitions"] == to_jsonable(coalitions)
    assert main(_args(files, "--json")) == 0
    assert {"purchase", "coalitions"}.isdisjoint(json.loads(capsys.readouterr().out))


def test_the_table_is_followed_by_the_recommendation(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(files, "--budget", "6", *PRICES, "--coalition", "b")) == 0
    lines = capsys.readouterr().out.splitlines()
    sources, ref = _library(files)
    plan = recommend_purchase(sources, ref, {"a": 2, "b": 3.5, "c": 0}, 6)
    start = next(i for i, line in enumerate(lines) if line.startswith("stderr and 90%")) + 1
    p = plan.prediction
    assert lines[start] == (
        "purchase within budget 6 (exhaustive; coalitions evaluated: 8; utility: proxy_ensemble "
        "on the union)"
    )
    assert lines[start + 1] == (
        f"  buy {', '.join(plan.names)} for {plan.price:g}: predicted accuracy "
        f"{p.accuracy:.4g} ± {p.stderr:.2g} s.e. (90% {p.interval[0]:.4g} to {p.interval[1]:.4g})"
    )
    for i, option in enumerate(plan.runner_ups, 1):
        assert lines[start + 1 + i].startswith(
            f"  runner-up {i}: {', '.join(option.names) or 'nothing'} for {option.price:g}: "
            f"predicted accuracy {option.prediction.accuracy:.4g} ± "
        )
    assert lines[start + 2 + len(plan.runner_ups)] == f"  optimality: {plan.guarantee}"
    b = predict_coalition(sources, ref, ["b"])
    assert lines[-1].startswith(f"coalition b: predicted accuracy {b.accuracy:.4g} ± ")


def test_a_budget_below_every_price_says_so(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prices = ["--price", "a=2", "--price", "b=3", "--price", "c=4"]
    assert main(_args(files, "--budget", "1", *prices)) == 0
    out = capsys.readouterr().out
    assert "  buy nothing for 0: predicted accuracy " in out
    assert "  note: no source fits the budget 1: the cheapest, 'a', costs 2; " in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--price", "a=1"], "--price must come with --budget; got 'a=1'"),
        (["--budget", "3"], "--price must give every source a price; got \"no price for 'a'\""),
        (
            ["--budget", "3", "--price", "a=1", "--price", "c=1"],
            "--price must give every source a price; got \"no price for 'b'\"",
        ),
        ([*PRICES, "--budget", "-1"], "--budget must be >= 0; got -1.0"),
        (["--budget", "3", *PRICES[:4], "--price", "c=-2"], "--price c must be >= 0; got -2.0"),
        (["--budget", "3", *PRICES[:4], "--price", "c=nan"], "--price c must be finite"),
        (["--budget", "3", *PRICES, "--price", "z=1"], "--price must name only sources (a, b, c)"),
        (["--budget", "3", *PRICES, "--price", "a=9"], "--price must give each source one price"),
        (["--budget", "3", "--price", "a"], "--price must look like NAME=PRICE; got 'a'"),
        (
            ["--budget", "3", "--price", "a=x"],
            "look like NAME=PRICE with PRICE a number; got 'a=x'",
        ),
        (["--coalition", "a,a"], "--coalition a,a: names must name each source once"),
    ],
)
def test_bad_prices_are_one_line_and_exit_2(
    files: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(_args(files, *extra)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
