"""``synthmix generate``: label-conditioned text from SmolLM2, as JSONL with provenance.

Examples::

    synthmix generate --n 20 --temperature 1.0 --top-p 0.9 --label positive --out x.jsonl
    synthmix generate --n 400 --label negative,positive --top-p 0.5 --out tweets.jsonl.gz

The work is :func:`synthmix.data.llm.generate_text`: finished batches are appended to
``<out>.partial``, so running the same command again after a kill resumes where it stopped;
the file appears under its final name, atomically, when every text is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synthmix.cli.options import RUN_PANEL, JsonOpt

__all__ = ["register"]

_SAMPLING = "Sampling"


def register(app: typer.Typer) -> None:
    """Add ``generate`` to the top-level app."""

    @app.command("generate")
    def generate_command(
        out: Annotated[
            Path,
            typer.Option(
                "--out",
                help="JSONL file to write (.gz compresses); resumes from <out>.partial.",
                dir_okay=False,
                show_default=False,
            ),
        ],
        n: Annotated[int, typer.Option("--n", help="Number of texts.")] = 20,
        label: Annotated[
            str,
            typer.Option("--label", help="Intended label(s), comma-separated; they take turns."),
        ] = "negative,positive",
        temperature: Annotated[
            float,
            typer.Option("--temperature", help="0 = greedy; in [0, 5].", rich_help_panel=_SAMPLING),
        ] = 1.0,
        top_p: Annotated[
            float,
            typer.Option(
                "--top-p", help="Nucleus threshold in (0, 1]; 1 = off.", rich_help_panel=_SAMPLING
            ),
        ] = 1.0,
        top_k: Annotated[
            int,
            typer.Option(
                "--top-k", help="Keep the k likeliest tokens; 0 = off.", rich_help_panel=_SAMPLING
            ),
        ] = 0,
        max_new_tokens: Annotated[
            int,
            typer.Option(
                "--max-new-tokens", help="Tokens per text at most.", rich_help_panel=_SAMPLING
            ),
        ] = 48,
        template: Annotated[
            str | None,
            typer.Option(
                "--template",
                help="Prompt with {label} and optionally {topic} (default: a one-tweet request).",
                rich_help_panel=_SAMPLING,
                show_default=False,
            ),
        ] = None,
        seed: Annotated[
            int, typer.Option("--seed", help="Root seed.", rich_help_panel=RUN_PANEL)
        ] = 0,
        batch_size: Annotated[
            int,
            typer.Option(
                "--batch-size", help="Texts generated together.", rich_help_panel=RUN_PANEL
            ),
        ] = 16,
        threads: Annotated[
            int, typer.Option("--threads", help="torch threads.", rich_help_panel=RUN_PANEL)
        ] = 1,
        json_output: JsonOpt = False,
    ) -> None:
        """Generate label-conditioned texts with SmolLM2-135M-Instruct (offline, CPU).

        Every row records its intended label, topic, prompt, batch and seed; the file's first
        line records the model, library versions and sampling settings. The same command
        with the same seed, batch size and threads gives the same texts on this machine.

        Example: synthmix generate --n 20 --top-p 0.9 --label positive --out x.jsonl
        """
        import json

        from synthmix.cli.progress import StageProgress
        from synthmix.data.llm import DEFAULT_TEMPLATE, SamplingSettings, generate_text

        settings = SamplingSettings(
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            max_new_tokens=max_new_tokens,
            template=DEFAULT_TEMPLATE if template is None else template,
        )
        labels = [part.strip() for part in label.split(",")]
        with StageProgress() as bar:
            run = generate_text(
                n,
                labels,
                settings=settings,
                rng=seed,
                batch_size=batch_size,
                threads=threads,
                out=out,
                progress=bar.callback("generate"),
            )
        summary = {
            "path": str(out),
            "texts": len(run.rows),
            "generated": run.generated,
            "resumed": len(run.rows) - run.generated,
            "seconds": round(run.seconds, 3),
            "load_seconds": round(run.load_seconds, 3),
            "texts_per_second": run.texts_per_second,
            "run": run.provenance["run"],
        }
        if json_output:
            typer.echo(json.dumps(summary))
            return
        rate = summary["texts_per_second"]
        speed = (
            ""
            if rate != rate
            else f" ({rate:.2f} texts/s on {threads} thread(s), after {run.load_seconds:.0f} s "
            "loading the model)"
        )
        resumed = f", {summary['resumed']} resumed from a partial run" if summary["resumed"] else ""
        typer.echo(f"{len(run.rows)} texts written to {out}{speed}{resumed}")
