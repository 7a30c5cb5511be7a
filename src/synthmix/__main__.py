"""``python -m synthmix``: the same as the ``synthmix`` console script."""

from synthmix._entry import run

if __name__ == "__main__":
    run()
