"""``synthmix value``: what each of your data sources is worth for your test distribution.

Examples::

    synthmix value --source vendor=vendor.csv --source llm=llm.jsonl --synthetic llm \\
        --reference val.csv --method mixture --out values/
    synthmix value --source a=a.npz --source b=b.npz --reference val.npz --json
    synthmix value --source a=a.npz --source b=b.npz --reference val.npz --method proxy
    synthmix value --source human=tweets.jsonl --source smollm=generated.jsonl \
        --synthetic smollm --reference val.jsonl --text text
    synthmix value --source a=a.npz --source b=b.npz --source c=c.npz --reference val.npz \
        --budget 10 --price a=4 --price b=7.5 --price c=0 --coalition a,c
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from synthmix import __version__, _types
from synthmix._io import output_folder, to_jsonable, write_json
from synthmix._validation import fail
from synthmix.cli.options import MaxMemoryOpt, NJobsOpt, SchedulerOpt
from synthmix.cli.progress import StageProgress
from synthmix.parallel import stage_callback

if TYPE_CHECKING:
    from synthmix.valuation import CoalitionPrediction, PurchasePlan, ValuationResult

__all__ = ["ValueRun", "register", "run_value"]


@dataclass(frozen=True)
class ValueRun:
    """What ``synthmix value`` computed: the values, the purchase plan (``--budget``) and the
    predictions of the ``--coalition`` sets."""

    result: ValuationResult
    purchase: PurchasePlan | None = None
    coalitions: list[CoalitionPrediction] = field(default_factory=list)


def _parse_pairs(specs: list[str], option: str, what: str) -> list[tuple[str, str]]:
    """``NAME=WHAT`` options as (name, text) pairs; both parts non-empty."""
    pairs = []
    for spec in specs:
        name, sep, text = spec.partition("=")
        if not sep or not name or not text:
            raise fail(option, f"look like NAME={what}", spec)
        pairs.append((name, text))
    return pairs


def _parse_sources(specs: list[str]) -> list[tuple[str, Path]]:
    return [(name, Path(path)) for name, path in _parse_pairs(specs, "--source", "PATH")]


def _parse_prices(specs: list[str]) -> dict[str, float]:
    prices: dict[str, float] = {}
    for name, text in _parse_pairs(specs, "--price", "PRICE"):
        if name in prices:
            raise fail("--price", "give each source one price", f"{name!r} twice")
        try:
            prices[name] = float(text)
        except ValueError:
            raise fail(
                "--price", "look like NAME=PRICE with PRICE a number", f"{name}={text}"
            ) from None
    return prices


def check_value_memory(
    paths: list[Path], *, text: str | None, max_memory_gib: float | None
) -> None:
    """Refuse a valuation whose tables would not fit the memory budget, before reading them.

    Estimate (bytes), from each table's size without reading it
    (:func:`synthmix.data.loaders.estimate_cells`; text columns become 384 embedding
    features): ``12 d N`` for all ``N`` rows held as float64 with the default valuer's working
    set (measured: 4.2 GiB peak for 10^6 rows × 384 features, whose data are 2.9 GiB), plus
    ``24 d n_max`` for reading the largest file and standardising one source. Tables that
    cannot be sized are left to the reader.
    """
    from synthmix._resources import check_memory, memory_budget
    from synthmix.data.embeddings import EMBEDDING_DIM
    from synthmix.data.loaders import estimate_cells

    memory_budget(max_memory_gib)  # a bad --max-memory is refused even when nothing is sized
    sizes = [estimate_cells(p) for p in paths]
    known = [(r, EMBEDDING_DIM if text is not None else c) for r, c in (s for s in sizes if s)]
    if not known:
        return
    rows = sum(r for r, _ in known)
    d = max(c for _, c in known)
    need = 12.0 * d * rows + 24.0 * d * max(r for r, _ in known)
    shape = f"{rows:,} rows × {d} columns"
    check_memory(need, param="sources", value=shape, max_memory_gib=max_memory_gib)


def run_value(
    sources: list[str],
    reference: Path,
    *,
    synthetic: list[str],
    method: str,
    weights: str,
    ntk: str,
    label: str,
    seed: int,
    text: str | None = None,
    proxy_model: str = "ridge",
    n_bootstrap: int = 50,
    budget: float | None = None,
    prices: list[str] | None = None,
    coalitions: list[str] | None = None,
    max_memory_gib: float | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: _types.StageProgress | None = None,
) -> ValueRun:
    """Load the files, value the sources, plan a purchase within ``budget`` and predict the
    ``coalitions`` (comma-separated names); every input error is a ``ValidationError``, the
    price and budget errors raised before any file is read. ``progress(stage, done, total)``
    hears of every file read ("reading") and every source valued ("valuing")."""
    from synthmix.data import Dataset, load_table
    from synthmix.data.labeled import named_features
    from synthmix.exceptions import ValidationError
    from synthmix.valuation import predict_coalition, recommend_purchase, value_sources
    from synthmix.valuation.coalition import check_prices

    pairs = _parse_sources(sources)
    names = [n for n, _ in pairs]
    for name in synthetic:
        if name not in names:
            raise fail("--synthetic", f"name a --source ({', '.join(names)})", name)
    price_map: dict[str, float] | None = None
    if budget is None:
        if prices:
            raise fail("--price", "come with --budget", prices[0])
    else:
        price_map, budget = check_prices(
            _parse_prices(prices or []), names, budget, param="--price", budget_param="--budget"
        )
    check_value_memory(
        [Path(p) for _, p in pairs] + [Path(reference)], text=text, max_memory_gib=max_memory_gib
    )
    # Feature columns by name (never a label, y_true, provenance or id column), in the
    # reference's order; sources with other columns are refused.
    order = None if text is not None else named_features(reference, label, None, "reference")
    data: list[tuple[str, Dataset]] = []
    for i, (name, path) in enumerate(pairs):
        if progress is not None:
            progress("reading", i, len(pairs) + 1)
        try:
            features = None if order is None else named_features(Path(path), label, order, "source")
            ds = load_table(path, label=label, text=text, features=features)
        except ValidationError as exc:  # say which source the file belongs to
            raise ValidationError(f"--source {name} ({path}): {exc}") from None
        if name in synthetic:
            ds = Dataset(ds.X, ds.y, synthetic=[True] * ds.n, name=name)
        data.append((name, ds))
    if progress is not None:
        progress("reading", len(pairs), len(pairs) + 1)
    try:
        ref = load_table(reference, label=label, text=text, features=order)
    except ValidationError as exc:
        raise ValidationError(f"--reference ({reference}): {exc}") from None
    if progress is not None:
        progress("reading", len(pairs) + 1, len(pairs) + 1)
    result = value_sources(
        data,
        ref,
        method=method,
        weights=weights,
        ntk=ntk,
        model=proxy_model,
        rng=seed,
        n_bootstrap=n_bootstrap,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=None if progress is None else stage_callback(progress, "valuing"),
    )
    plan = None
    if price_map is not None and budget is not None:
        plan = recommend_purchase(data, ref, price_map, budget, rng=seed, n_bootstrap=n_bootstrap)
    predictions = []
    for spec in coalitions or []:
        members = [n for n in spec.split(",") if n]
        try:
            predictions.append(
                predict_coalition(data, ref, members, rng=seed, n_bootstrap=n_bootstrap)
            )
        except ValidationError as exc:
            raise ValidationError(f"--coalition {spec}: {exc}") from None
    return ValueRun(result, plan, predictions)


def _prediction_text(p: CoalitionPrediction) -> str:
    names = ", ".join(p.names) or "(nothing)"
    lo, hi = p.interval
    return (
        f"{names}: predicted accuracy {p.accuracy:.4g} ± {p.stderr:.2g} s.e. "
        f"(90% {lo:.4g} to {hi:.4g})"
    )


def _purchase_lines(plan: PurchasePlan) -> list[str]:
    """The recommendation, printed after the value table."""
    buy = ", ".join(plan.names) if plan.names else "nothing"
    lo, hi = plan.prediction.interval
    acc = plan.prediction
    lines = [
        f"purchase within budget {plan.budget:g} ({plan.method}; coalitions evaluated: "
        f"{plan.n_evaluated}; utility: proxy_ensemble on the union)",
        f"  buy {buy} for {plan.price:g}: predicted accuracy {acc.accuracy:.4g} ± "
        f"{acc.stderr:.2g} s.e. (90% {lo:.4g} to {hi:.4g})",
    ]
    for i, option in enumerate(plan.runner_ups, 1):
        p = option.prediction
        lines.append(
            f"  runner-up {i}: {', '.join(option.names) or 'nothing'} for {option.price:g}: "
            f"predicted accuracy {p.accuracy:.4g} ± {p.stderr:.2g} s.e."
        )
    if plan.note:
        lines.append(f"  note: {plan.note}")
    lines.append(f"  optimality: {plan.guarantee}")
    return lines


def register(app: typer.Typer) -> None:
    """Add ``value`` to the top-level app."""

    @app.command("value")
    def value_command(
        source: Annotated[
            list[str],
            typer.Option(
                "--source",
                help="NAME=PATH of one source (.npz, .npy, .csv, .jsonl, .parquet); repeat.",
            ),
        ],
        reference: Annotated[
            Path,
            typer.Option("--reference", help="A validation sample of your test distribution."),
        ],
        synthetic: Annotated[
            list[str] | None,
            typer.Option(
                "--synthetic",
                help="Mark every sample of source NAME synthetic (else: a 'synthetic' column).",
            ),
        ] = None,
        method: Annotated[
            str,
            typer.Option(
                "--method",
                help="proxy_ensemble (the recommended default: mean reference accuracy of "
                "ridge, LDA and logistic proxies fitted on each source), mixture (the paper's "
                "score), davinz, deviation, shapley, tracin, trak, logra, knn_shapley, proxy, "
                "proxy_loo, proxy_shapley, lava, data_oob, size, real_fraction, mmd_only, "
                "ntk_only or random.",
            ),
        ] = "proxy_ensemble",
        weights: Annotated[
            str,
            typer.Option("--weights", help="mixture weights: bound, davinz, equal or calibrated."),
        ] = "bound",
        ntk: Annotated[
            str, typer.Option("--ntk", help="NTK term: analytic (no torch) or empirical.")
        ] = "analytic",
        proxy_model: Annotated[
            str,
            typer.Option(
                "--proxy-model",
                help="proxy, proxy_loo and proxy_shapley model: ridge, lda or knn.",
            ),
        ] = "ridge",
        n_bootstrap: Annotated[
            int,
            typer.Option(
                "--n-bootstrap",
                help="Reference resamples behind each value's standard error and 90% interval "
                "(>= 2).",
            ),
        ] = 50,
        budget: Annotated[
            float | None,
            typer.Option(
                "--budget",
                help="Recommend the sources to buy within this budget (needs a --price for "
                "every source): the best predicted accuracy of training on their union.",
            ),
        ] = None,
        price: Annotated[
            list[str] | None,
            typer.Option("--price", help="NAME=PRICE of one source (>= 0), with --budget; repeat."),
        ] = None,
        coalition: Annotated[
            list[str] | None,
            typer.Option(
                "--coalition",
                help="NAME,NAME,...: print the predicted accuracy of training on the union of "
                "these sources; repeat.",
            ),
        ] = None,
        label: Annotated[str, typer.Option("--label", help="Label column.")] = "label",
        text: Annotated[
            str | None,
            typer.Option(
                "--text",
                help="Column of raw text (e.g. JSONL of generated samples): value its "
                "all-MiniLM-L6-v2 embeddings (needs the text extra).",
            ),
        ] = None,
        seed: Annotated[int, typer.Option("--seed", help="Root seed.")] = 0,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="Folder for values.json (ranked, with terms) and values.png.",
                file_okay=False,
            ),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print a JSON document instead of a table.")
        ] = False,
        n_jobs: NJobsOpt = None,
        scheduler: SchedulerOpt = None,
        max_memory: MaxMemoryOpt = None,
    ) -> None:
        """Rank data sources by their value for your reference distribution, no retraining.

        Example: synthmix value --source real=real.csv --source llm=llm.csv --synthetic llm
        --reference val.csv --out values/
        """
        if out is not None and out.exists() and not out.is_dir():
            raise fail("--out", "be a folder, not a file", str(out))
        # the folder is made (or refused) before the work, and removed again if the work fails
        with output_folder(out, "--out"), StageProgress() as bar:
            run = run_value(
                source,
                reference,
                synthetic=synthetic or [],
                method=method,
                weights=weights,
                ntk=ntk,
                label=label,
                seed=seed,
                text=text,
                proxy_model=proxy_model,
                n_bootstrap=n_bootstrap,
                budget=budget,
                prices=price,
                coalitions=coalition,
                max_memory_gib=max_memory,
                n_jobs=1 if n_jobs is None else n_jobs,
                scheduler=scheduler,
                progress=bar if bar.enabled else None,
            )
        result = run.result
        ranked = result.ranking()
        doc = {
            "synthmix_version": __version__,
            "command": "value",
            "method": result.method,
            "seed": seed,
            "seconds": result.seconds,
            "ranking": ranked,
            "values": result.values,
            "stderr": result.stderr,
            "interval": {n: list(iv) for n, iv in result.interval.items()},
            "uncertainty": result.uncertainty,
            "status": result.status,
            "terms": result.terms,
            "weights": result.weights,
            "details": result.details,
        }
        if run.purchase is not None:
            doc["purchase"] = run.purchase
        if coalition:
            doc["coalitions"] = run.coalitions
        if out is not None:
            write_json(out / "values.json", doc)
            from synthmix.plotting.valuation import plot_source_values

            plot_source_values(result, out / "values.png")
        if json_output:
            typer.echo(json.dumps(to_jsonable(doc), indent=2))
            return
        term_names = sorted({k for t in result.terms.values() for k in t})
        header = ["rank", "source", "value", "stderr", "90% low", "90% high", *term_names]
        typer.echo("  ".join(f"{h:>12s}" for h in header))
        for i, name in enumerate(ranked, 1):
            lo, hi = result.interval[name]
            cells = [f"{i:>12d}", f"{name:>12s}", f"{result.values[name]:>12.4g}"]
            cells += [f"{result.stderr[name]:>12.4g}", f"{lo:>12.4g}", f"{hi:>12.4g}"]
            cells += [f"{result.terms[name].get(k, float('nan')):>12.4g}" for k in term_names]
            typer.echo("  ".join(cells))
        status = "" if result.status == "n/a" else f" [{result.status}]"
        typer.echo(f"stderr and 90% interval: {result.uncertainty}{status}")
        if run.purchase is not None:
            for line in _purchase_lines(run.purchase):
                typer.echo(line)
        for prediction in run.coalitions:
            typer.echo(f"coalition {_prediction_text(prediction)}")
        if out is not None:
            typer.echo(f"wrote {out / 'values.json'} and {out / 'values.png'}")
