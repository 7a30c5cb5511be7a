"""``python -m synthmix.cli``: the same as the ``synthmix`` console script."""

from synthmix.cli.app import run

if __name__ == "__main__":
    run()
