"""The root of the ``synthmix`` command line (typer): the app, its commands, the error mapping.

Each command lives in its own module of :mod:`synthmix.cli` and adds itself with
``register(app)``; options shared by several commands are in :mod:`synthmix.cli.options`
and the formatting in :mod:`synthmix.cli.output`. Commands stay thin:
:mod:`synthmix.cli.config` turns flags and TOML into validated parameters, the library
computes, the command formats. :func:`main` runs the app in-process and maps every user
error — a :class:`~synthmix.exceptions.SynthmixError` from anywhere, or a click usage
error — to one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from synthmix import __version__
from synthmix.cli.output import error
from synthmix.exceptions import SynthmixError

__all__ = ["app", "main", "run"]


#: Exit status for invalid input (bad values, unknown options, unreadable config).
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="synthmix",
    help=(
        "Predict, simulate and value what synthetic data does to a model trained on "
        "real + synthetic data."
    ),
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"synthmix {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress bars (also off when output is not a terminal)."
        ),
    ] = False,
) -> None:
    """Predict, simulate and value what synthetic data does to a model.

    Invalid input prints one line on stderr and exits with status 2; other failures exit 1,
    an interrupted run 130 (its finished files are whole: every output is written atomically).
    """
    from synthmix.cli.progress import set_quiet

    set_quiet(quiet)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def _register_commands() -> None:
    """Add every command, in the order ``synthmix --help`` lists them."""
    from synthmix.cli import demo, generate, predict, prune, report, reproduce, simulate, value
    from synthmix.cli.scaling import scaling_app

    predict.register(app)
    simulate.register(app)
    app.add_typer(scaling_app, name="scaling")
    value.register(app)
    report.register(app)
    demo.register(app)
    prune.register(app)
    generate.register(app)
    reproduce.register(app)


_register_commands()


# ---------------------------------------------------------------------------------------------
# Entry points


def _cli_error_types() -> tuple[type[Exception], ...]:
    """The exception types typer/click raise for command-line mistakes.

    typer >= 0.2x vendors click and derives its exceptions from ``typer.TyperException``;
    older typer raises ``click.ClickException``. Both carry ``exit_code`` and
    ``format_message()``; usage errors have ``exit_code == 2`` and a ``ctx``.
    """
    types: list[type[Exception]] = []
    typer_exc = getattr(typer, "TyperException", None)
    if isinstance(typer_exc, type) and issubclass(typer_exc, Exception):
        types.append(typer_exc)
    try:
        import click
    except ImportError:  # pragma: no cover - click is optional with a vendoring typer
        pass
    else:
        types.append(click.ClickException)
    return tuple(types)


_CLI_ERRORS = _cli_error_types()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI in-process and return its exit status (never calls :func:`sys.exit`).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 for invalid input (one line on stderr, no traceback), 1 for other
        reported failures and internal errors (one line; ``--debug`` anywhere on the command
        line shows the traceback instead), 130 when interrupted.

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    synthmix 0.1.0
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args  # anywhere on the line: show the traceback of an internal error
    args = [a for a in args if a != "--debug"]
    command = typer.main.get_command(app)
    try:
        with warnings.catch_warnings():
            # numpy's floating-point RuntimeWarnings would print before the one error line;
            # every such condition that matters is an error or a line of the output itself
            warnings.simplefilter("ignore", RuntimeWarning)
            rv = command.main(args=args, prog_name="synthmix", standalone_mode=False)
    except SynthmixError as exc:
        error(str(exc))
        return EXIT_USAGE
    except _CLI_ERRORS as exc:
        code = getattr(exc, "exit_code", 1)
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        ctx = getattr(exc, "ctx", None)
        if code == EXIT_USAGE and ctx is not None:
            message += f" (see '{ctx.command_path} --help')"
        error(message)
        return code if isinstance(code, int) and code else 1
    except (typer.Abort, KeyboardInterrupt):
        return _interrupted()
    except SystemExit as exc:  # typer exits on a broken stdout pipe even when not standalone
        code = exc.code if isinstance(exc.code, int) else 1
        return _interrupted() if code == EXIT_INTERRUPTED else code  # typer's Ctrl-C handling
    except Exception as exc:  # a bug or an unforeseen failure: one line, the traceback on demand
        if debug:
            raise
        error(
            f"internal error ({type(exc).__name__}: {exc}); rerun with --debug for the "
            "traceback and report it"
        )
        return 1
    code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
    if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into Exit(130), returned when embedded
        return _interrupted()
    return code


def _interrupted() -> int:
    """The one line and the exit status of Ctrl-C (130) or SIGTERM (143)."""
    if _SIGNALLED:
        error("terminated; every file already written is complete (outputs are atomic)")
        return EXIT_TERMINATED
    error("interrupted; every file already written is complete (outputs are atomic)")
    return EXIT_INTERRUPTED


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that every ``finally`` (temporary files) runs."""


#: Exit status after SIGTERM (128 + 15, what a shell reports for a terminated process).
EXIT_TERMINATED = 143


_SIGNALLED: list[int] = []  # SIGTERM received (typer may turn the exception into Exit(130))


def _on_sigterm(signum: int, frame: Any) -> None:
    _SIGNALLED.append(signum)
    raise Terminated


def run() -> None:
    """Console-script entry point: ``sys.exit(main())``, with SIGTERM handled like Ctrl-C
    (outputs stay atomic, temporary files are removed, exit status 143)."""
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)
    sys.exit(main())
