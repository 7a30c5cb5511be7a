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
from synthmix.cli.prune import build_verifier
from synthmix.data.labeled import (
    DEFAULT_TRUE_LABEL,
    load_option,
    option_labels,
    read_real,
    read_synthetic,
)
from synthmix.surrogate import DataPrediction, predict_from_data

__all__ = ["MODEL_FLAGS", "DataOptions", "DataRun", "run_predict_data"]

# Model options that the data replaces: refused together with --real.
MODEL_FLAGS = ("p", "mu", "n_hat")


@dataclass(frozen=True)
class DataRun:
    """What ``predict --real`` computed, and how to describe it."""

    result: DataPrediction
    context: str
    inputs: dict[str, Any]


@dataclass(frozen=True)
class DataOptions:
    """The "From data" options of ``synthmix predict``."""

    real: Path
    synthetic: Path | None = None
    generator: str | None = None
    n_use: int | None = None
    generator_cov: str = "estimated"
    components: int | None = None
    label: str = "label"
    verifier: str | None = None


def run_predict_data(params: Parameters, options: DataOptions, *, n_given: bool) -> DataRun:
    """Evaluate ``params.grid`` on the model built from the files.

    With ``verifier`` ('model', 'knn' or 'cleanlab', fitted on the real data), its measured
    (ρ̂, φ̂) replace ``--rho``/``--phi``.
    """
    real, synthetic, generator, label = (
        options.real,
        options.synthetic,
        options.generator,
        options.label,
    )
    n_use, generator_cov, components, verifier = (
        options.n_use,
        options.generator_cov,
        options.components,
        options.verifier,
    )
    if verifier is not None and verifier not in ("model", "knn", "cleanlab"):
        raise fail("verifier", "be one of model, knn, cleanlab (fitted on the real data)", verifier)
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
        syn = read_synthetic(synthetic, label, None)
        x_real, y_real = read_real(real, label, DEFAULT_TRUE_LABEL, syn)
        x_syn = np.asarray(syn.data.X, dtype=np.float64)
        # The generator's intended class: the clean label when the file has it.
        y_syn = syn.y_true if syn.y_true is not None else syn.y
        source = f"synthetic={synthetic.name} ({x_syn.shape[0]} samples)"
    else:
        data = load_option(real, "real", label=label)
        x_real, y_real = np.asarray(data.X, dtype=np.float64), option_labels(data.y, "label", real)
        source = f"generator=gaussian ({generator_cov} covariance, n_use={n_use or 'all'})"
    points = params.grid.points()
    if not n_given:
        points["n"] = np.full_like(points["n"], float(x_real.shape[0]))
    fitted = None
    if verifier is not None:
        fitted = build_verifier(verifier, (x_real, y_real), threshold=0.5, k=10, rho=1.0, phi=1.0)
    result = predict_from_data(
        x_real,
        y_real,
        X_synth=x_syn,
        y_synth=y_syn,
        n_use=n_use,
        covariance=generator_cov,  # type: ignore[arg-type]
        n_components=components,
        n=points["n"],
        m=points["m"],
        epsilon=points["epsilon"],
        rho=points["rho"],
        phi=points["phi"],
        gamma=points["gamma"],
        verifier=fitted,
        rng=params.seed,
    )
    if result.rates is not None:
        rates = result.rates
        source += (
            f"  verifier={verifier}: rho_hat={rates.rho:.3g} [{rates.rho_ci[0]:.3g}, "
            f"{rates.rho_ci[1]:.3g}], phi_hat={rates.phi:.3g} [{rates.phi_ci[0]:.3g}, "
            f"{rates.phi_ci[1]:.3g}]"
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
        "verifier": verifier,
        "rates": None if result.rates is None else result.rates,
    }
    return DataRun(result=result, context=context, inputs=inputs)
