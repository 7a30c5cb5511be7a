"""Data sets with provenance, file loaders and real data that ships offline.

:class:`Dataset` holds features, labels and a per-sample ``synthetic`` flag;
:func:`load_table` / :func:`save_table` move it to and from files; ``load_*`` return bundled
real data sets (nothing downloads). Optional dependencies (pandas, pyarrow, mlxtend) are
imported only by the functions that need them.
"""

from synthmix.data.bundled import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_DIR,
    DataUnavailableError,
    TextCorpus,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    load_tweets,
)
from synthmix.data.dataset import Dataset
from synthmix.data.loaders import load_table, save_table

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DIR",
    "DataUnavailableError",
    "Dataset",
    "TextCorpus",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_table",
    "load_tweets",
    "save_table",
]
