"""``synthmix predict --real FILE (--synthetic FILE | --generator gaussian)``: the logic.

Reads the files (the same readers as ``synthmix prune``), fits the surrogate and the
generator, and evaluates the grid through :func:`synthmix.surrogate.predict_from_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthmix._validation import check_int, fail
from synthmix.cli.config import Parameters
from synthmix.cli.prune import DEFAULT_TRUE_LABEL, _labels, _load, _read_real, _read_synthetic
from synthmix.surrogate import DataPrediction, predict_from_data

__all__ = ["MODEL_FLAGS", "DataRun", "run_predict_data"]

# Model options that the data replaces: refused together with --real.
MODEL_FLAGS = ("p", "mu", "n_hat")


@dataclass(frozen=True)
class DataRun:
    """What ``predict --real`` computed, and how to describe it."""

    result: DataPrediction
    context: str
    inputs: dict[str, Any]


def run_predict_data(
    params: Parameters,
    *,
    real: Path,
    synthetic: Path | None,
    generator: str | None,
    n_use: int | None,
    generator_cov: str,
    components: int | None,
    label: str,
    n_given: bool,
) -> DataRun:
    """Evaluate ``params.grid`` on the model built from the files."""
    if (synthetic is None) == (generator is None):
        raise fail(
            "generator", "be given (as 'gaussian') or replaced by --synthetic, not both", generator
        )
    if generator is not None and generator != "gaussian":
        raise fail("generator", "be 'gaussian'", generator)
    if synthetic is not None and n_use is not None:
        raise fail("n_use", "be given only with --generator gaussian", n_use)
    if generator_cov not in ("estimated", "identity"):
        raise fail("generator_cov", "be 'estimated' or 'identity'", generator_cov)
    if components is not None:
        components = check_int(components, "components", minimum=1)
    x_syn = y_syn = None
    if synthetic is not None:
        syn = _read_synthetic(synthetic, label, None)
        x_real, y_real = _read_real(real, label, DEFAULT_TRUE_LABEL, syn)
        x_syn = np.asarray(syn.data.X, dtype=np.float64)
        # The generator's intended class: the clean label when the file has it.
        y_syn = syn.y_true if syn.y_true is not None else syn.y
        source = f"synthetic={synthetic.name} ({x_syn.shape[0]} samples)"
    else:
        data = _load(real, "real", label=label)
        x_real, y_real = np.asarray(data.X, dtype=np.float64), _labels(data.y, "label", real)
        source = f"generator=gaussian ({generator_cov} covariance, n_use={n_use or 'all'})"
    points = params.grid.points()
    if not n_given:
        points["n"] = np.full_like(points["n"], float(x_real.shape[0]))
    result = predict_from_data(
        x_real,
        y_real,
        X_synth=x_syn,
        y_synth=y_syn,
        n_use=n_use,
        covariance=generator_cov,  # type: ignore[arg-type]
        n_components=components,
        rng=params.seed,
        **points,
    )
    sur = result.surrogate
    context = (
        f"# real={real.name} ({x_real.shape[0]} samples, {x_real.shape[1]} features -> k={sur.k})  "
        f"{source}  |mu_hat|={np.linalg.norm(sur.mu):.3g}  mean_noise={sur.mean_noise:.3g}"
    )
    inputs = {
        "real": str(real),
        "synthetic": None if synthetic is None else str(synthetic),
        "generator": generator,
        "n_use": n_use,
        "generator_cov": generator_cov,
        "components": components,
        "n_real": int(x_real.shape[0]),
        "features": int(x_real.shape[1]),
        "k": sur.k,
    }
    return DataRun(result=result, context=context, inputs=inputs)
