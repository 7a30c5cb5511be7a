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
    flagged = [w for w in doc["warnings"] if w.startswith("at m = ")]
    if off:
        assert len(flagged) == 1 and flagged[0].startswith(
            f"at m = {', '.join(map(str, off))} the prediction is off the hold-out by "
        ), (off, flagged)
    else:
        assert flagged == []
