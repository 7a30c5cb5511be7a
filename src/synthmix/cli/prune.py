"""The logic behind ``synthmix prune``: apply a verifier to a file of synthetic samples.

The command reads synthetic samples (and, for the verifiers that learn from real data, a file
of real samples) with :func:`synthmix.data.load_table`, lets one verifier of
:mod:`synthmix.pruning` decide which samples to keep, writes the kept rows with
:func:`synthmix.data.save_table` and — when the synthetic file also holds the clean labels —
measures the verifier's rates ``(ρ̂, φ̂)`` with exact Clopper–Pearson intervals
(:func:`synthmix.pruning.estimate_rates`), ready for ``synthmix predict --rho ... --phi ...``.

:func:`run_prune` validates every option, does the work and returns a :class:`PruneResult`;
the typer command :func:`prune_command` only parses flags and prints
:meth:`PruneResult.text` or :meth:`PruneResult.document`. Every input error is a
:class:`~synthmix.exceptions.ValidationError` naming the option, raised before any file is
written.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from synthmix import __version__
from synthmix._io import check_output_file, config_hash, to_jsonable, write_json
from synthmix._random import as_generator
from synthmix._types import BoolArray, FloatArray, IntArray
from synthmix._validation import check_int, check_probability, fail
from synthmix.cli.options import RUN_PANEL, JsonOpt
from synthmix.data import Dataset, save_table
from synthmix.data.labeled import (
    DEFAULT_TRUE_LABEL,
    SyntheticTable,
    check_negative,
    file_coding,
    iter_synthetic,
    label_columns,
    left_out_count,
    left_out_note,
    read_real,
    read_synthetic,
    resolve_label,
    write_kept_rows,
)
from synthmix.data.loaders import estimate_cells
from synthmix.pruning import (
    ConfidentLearningVerifier,
    KNNVerifier,
    ModelVerifier,
    OracleVerifier,
    Verifier,
    VerifierRates,
    estimate_rates,
)

__all__ = [
    "DEFAULT_K",
    "DEFAULT_THRESHOLD",
    "DEFAULT_TRUE_LABEL",
    "READ_EXTENSIONS",
    "REAL_VERIFIERS",
    "VERIFIERS",
    "WRITE_EXTENSIONS",
    "PruneResult",
    "build_verifier",
    "prune_command",
    "register",
    "run_prune",
]


#: Verifier names accepted by ``--verifier``.
VERIFIERS: tuple[str, ...] = ("oracle", "model", "cleanlab", "knn")
#: Verifiers that learn from real data and so need ``--real``.
REAL_VERIFIERS: tuple[str, ...] = ("model", "cleanlab", "knn")
#: Keep threshold of the ``model`` and ``knn`` verifiers when ``--threshold`` is not given.
DEFAULT_THRESHOLD = 0.5
#: Neighbours of the ``knn`` verifier when ``--k`` is not given.
DEFAULT_K = 10
#: Formats :func:`synthmix.data.load_table` reads and :func:`synthmix.data.save_table` writes.
READ_EXTENSIONS: tuple[str, ...] = (".npy", ".npz", ".csv", ".jsonl", ".parquet")
WRITE_EXTENSIONS: tuple[str, ...] = (".npz", ".csv", ".jsonl")

_USES = {  # option -> verifiers that use it
    "threshold": ("model", "knn"),
    "k": ("knn",),
    "rho": ("oracle",),
    "phi": ("oracle",),
    "real": REAL_VERIFIERS,
}


# ---------------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True, eq=False)
class PruneResult:
    """What ``synthmix prune`` did.

    Attributes
    ----------
    parameters : dict
        The validated options (paths as strings; ``threshold``/``k``/``rho``/``phi`` None when
        the verifier does not use them).
    keep : ndarray of bool, shape (m,)
        The verifier's keep decision per synthetic sample, in file order.
    score : ndarray of float64, shape (m,)
        The verifier's score per synthetic sample (higher = label more trustworthy), in [0, 1].
    n_features : int
        Feature columns ``d``.
    n_real : int or None
        Real samples the verifier learned from (None for the oracle).
    true_label : str or None
        Column (or ``.npz`` array) the clean labels came from; None when the file has none.
    rates : VerifierRates or None
        Measured ``(ρ̂, φ̂)`` with intervals, ``ε̂`` and ``α̂``; None without known flips.
    rates_note : str or None
        Why ``rates`` is None.
    rows_left_out : dict of str to int, or None
        With ``--positive``/``--negative``: rows of other labels left out per file (``real``,
        ``synthetic``), never judged nor written; ``keep`` and ``score`` cover the others.
        None otherwise.
    left_out_note : str
        ``rows_left_out`` as shown to the user (empty without a pair).
    """

    parameters: dict[str, Any]
    keep: BoolArray
    score: FloatArray
    n_features: int
    n_real: int | None
    true_label: str | None
    rates: VerifierRates | None
    rates_note: str | None
    rows_left_out: dict[str, int] | None = None
    left_out_note: str = ""

    @property
    def n_synthetic(self) -> int:
        """Synthetic samples read (``m``)."""
        return int(self.keep.shape[0])

    @property
    def n_kept(self) -> int:
        """Synthetic samples kept and written."""
        return int(np.count_nonzero(self.keep))

    @property
    def kept_fraction(self) -> float:
        """``α̂ = n_kept / m`` (NaN for an empty file)."""
        return self.n_kept / self.n_synthetic if self.n_synthetic else float("nan")

    def predict_hint(self) -> str | None:
        """A ``synthmix predict`` command line with the measured ``m``, ``ε̂``, ``ρ̂``, ``φ̂``."""
        if self.rates is None:
            return None
        r = self.rates
        return (
            f"synthmix predict ... --m {self.n_synthetic} --epsilon {r.epsilon:.6g} "
            f"--rho {r.rho:.6g} --phi {r.phi:.6g}"
        )

    def document(self) -> dict[str, Any]:
        """The JSON summary printed by ``--json`` (JSON-ready types only)."""
        results: dict[str, Any] = {
            "n_synthetic": self.n_synthetic,
            "n_kept": self.n_kept,
            "kept_fraction": self.kept_fraction,
            "n_features": self.n_features,
            "n_real": self.n_real,
            "out": self.parameters["out"],
            "true_label": self.true_label,
            "rates": None if self.rates is None else dataclasses.asdict(self.rates),
            "rates_note": self.rates_note,
            "predict_hint": self.predict_hint(),
        }
        if self.rows_left_out is not None:
            results["rows_left_out"] = dict(self.rows_left_out)
        doc = {
            "synthmix_version": __version__,
            "command": "prune",
            "parameters": dict(self.parameters),
            "config_hash": config_hash(self.parameters),
            "results": results,
        }
        converted: dict[str, Any] = to_jsonable(doc)
        return converted

    def rates_document(self) -> dict[str, Any]:
        """The JSON written by ``--rates-out`` (requires measured rates)."""
        if self.rates is None:
            raise fail("rates_out", "come with measured rates", self.rates_note)
        doc = {
            "synthmix_version": __version__,
            "command": "prune",
            "parameters": dict(self.parameters),
            "config_hash": config_hash(self.parameters),
            "true_label": self.true_label,
            "rates": dataclasses.asdict(self.rates),
            "theory_kwargs": {"epsilon": self.rates.epsilon, **self.rates.as_theory_kwargs()},
        }
        converted: dict[str, Any] = to_jsonable(doc)
        return converted

    def text(self) -> str:
        """The human-readable report printed without ``--json``."""
        p = self.parameters
        lines = [f"pruned {p['synthetic']} with {_describe_verifier(p)}"]
        if self.n_real is not None:
            lines[0] += f", fitted on {p['real']} ({self.n_real} real samples)"
        lines.append(
            f"kept {self.n_kept} of {self.n_synthetic} synthetic samples "
            f"({_pct(self.kept_fraction)}) -> {p['out']}"
        )
        lines.append(f"labels: {p['labels']}; label column {p['label']!r} in the synthetic file")
        if p["real_label"] is not None:
            lines[-1] += f", {p['real_label']!r} in the real file"
        if p["labels_found_by_name"]:
            lines[-1] += f" ({' and '.join(p['labels_found_by_name'])} found by name)"
        if self.left_out_note:
            lines.append(self.left_out_note)
        r = self.rates
        if r is None:
            lines.append(f"no rates: {self.rates_note}")
            return "\n".join(lines)
        m = self.n_synthetic
        level = f"{100 * r.confidence:g}%"
        lines.append(
            f"rates against the true labels in {self.true_label!r} "
            f"({level} Clopper-Pearson intervals):"
        )
        lines.append(
            f"  rho_hat      {r.rho:.4f}  [{r.rho_ci[0]:.4f}, {r.rho_ci[1]:.4f}]  "
            f"kept {r.kept_wrong} of {r.n_wrong} wrong labels"
        )
        lines.append(
            f"  phi_hat      {r.phi:.4f}  [{r.phi_ci[0]:.4f}, {r.phi_ci[1]:.4f}]  "
            f"kept {r.kept_right} of {r.n_right} right labels"
        )
        pad = " " * 18
        lines.append(f"  epsilon_hat  {r.epsilon:.4f}  {pad}{r.n_wrong} of {m} labels flipped")
        lines.append(
            f"  alpha_hat    {r.kept_fraction:.4f}  {pad}{r.kept_right + r.kept_wrong} of {m} kept"
        )
        lines.append(f"paste: {self.predict_hint()}")
        return "\n".join(lines)


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{100 * x:.1f}%"


def _describe_verifier(p: dict[str, Any]) -> str:
    name = p["verifier"]
    if name == "oracle":
        return f"the oracle verifier (rho={p['rho']:g}, phi={p['phi']:g}, seed {p['seed']})"
    if name == "model":
        return f"the model verifier (logistic regression, threshold {p['threshold']:g})"
    if name == "knn":
        return f"the knn verifier (k={p['k']}, threshold {p['threshold']:g})"
    return "the cleanlab verifier (confident learning, prune_by_noise_rate)"


# ---------------------------------------------------------------------------------------------
# Option checks


def _check_choice(verifier: Any) -> str:
    if not isinstance(verifier, str) or verifier.strip().lower() not in VERIFIERS:
        raise fail("verifier", f"be one of {', '.join(VERIFIERS)}", verifier)
    return verifier.strip().lower()


def _check_path(value: Any, option: str, extensions: Sequence[str], *, exists: bool) -> Path:
    """A path with a supported extension (and, for inputs, an existing file)."""
    if not isinstance(value, str | os.PathLike):
        raise fail(option, "be a file path", value)
    path = Path(value)
    if path.suffix.lower() not in extensions:
        raise fail(option, f"end in one of {', '.join(extensions)}", str(path))
    if exists and not path.is_file():
        raise fail(option, "be an existing file", str(path))
    if not exists and path.is_dir():
        raise fail(option, "be a file path, not a folder", str(path))
    return path


def _check_column_name(value: Any, option: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(option, "be a column name", value)
    return value


def _check_unused(verifier: str, given: dict[str, Any]) -> None:
    """Refuse options the chosen verifier would silently ignore."""
    for option, users in _USES.items():
        if given.get(option) is not None and verifier not in users:
            raise fail(
                option,
                f"be given only with --verifier {' or '.join(users)} "
                f"(--verifier {verifier} does not use it)",
                given[option],
            )


# ---------------------------------------------------------------------------------------------
# Reading


# ---------------------------------------------------------------------------------------------
# The command


def build_verifier(
    name: str,
    real: tuple[FloatArray, IntArray] | None,
    *,
    threshold: float,
    k: int,
    rho: float,
    phi: float,
) -> Verifier:
    """The verifier ``name``, fitted on ``real`` when it learns from real data."""
    if name == "oracle":
        return OracleVerifier(rho=rho, phi=phi)
    if real is None:
        raise fail("real", f"be given with --verifier {name} (it learns from real data)", None)
    X_real, y_real = real
    if name == "model":
        return ModelVerifier.fit(X_real, y_real, threshold=threshold)
    if name == "knn":
        if k > X_real.shape[0]:
            raise fail("k", f"be <= {X_real.shape[0]} (the number of real samples)", k)
        return KNNVerifier.fit(X_real, y_real, k=k, threshold=threshold)
    return ConfidentLearningVerifier.fit(X_real, y_real)


#: Rows per block when a synthetic file is streamed (at 384 float features, ~0.3 GB a block).
BLOCK_ROWS = 100_000


@dataclass(frozen=True, eq=False)
class _Judged:
    """A verifier's decisions over every block of a synthetic file, in file order."""

    keep: BoolArray
    score: FloatArray
    y: IntArray
    y_true: IntArray | None
    rows: BoolArray | None  # with a pair coding: the file's rows read (the others left out)

    @property
    def left_out(self) -> int:
        return left_out_count(self.rows)


def _judge(
    ver: Verifier,
    tables: Iterator[SyntheticTable],
    rng: np.random.Generator,
    *,
    progress: Callable[[int, int], None] | None = None,
    expected: int = 0,
) -> _Judged:
    """Decide block after block with one generator: the oracle's coin flips continue from block
    to block, so the decisions equal those of one call on the whole file."""
    keep, score, y, y_true, rows = [], [], [], [], []
    done = 0
    for table in tables:
        verdict = ver.decide(table.data.X, table.y, rng=rng, y_true=table.y_true)
        keep.append(np.asarray(verdict.keep, dtype=bool))
        score.append(np.asarray(verdict.score, dtype=np.float64))
        y.append(table.y)
        y_true.append(table.y_true)
        rows.append(table.rows)
        done += table.data.n if table.rows is None else table.rows.shape[0]
        if progress is not None:
            progress(done, max(done, expected))
    if progress is not None:
        progress(done, done)
    return _Judged(
        keep=np.concatenate(keep),
        score=np.concatenate(score),
        y=np.concatenate(y),
        y_true=None if y_true[0] is None else np.concatenate([t for t in y_true if t is not None]),
        rows=None if rows[0] is None else np.concatenate([r for r in rows if r is not None]),
    )


def _write_kept(out: Path, source: Path, keep: Any, score: Any, rows: Any = None) -> bool:
    """:func:`write_kept_rows`, an operating-system error naming ``out``."""
    try:
        return write_kept_rows(source, out, keep, score, rows)
    except OSError as exc:
        raise fail("out", "be a writable file path", f"{out} ({exc.strerror or exc})") from None


def _write(option: str, path: Path, writer: Any, *args: Any) -> None:
    """Call ``writer(*args)``; an operating-system error names ``option`` and ``path``."""
    try:
        writer(*args)
    except OSError as exc:
        raise fail(option, "be a writable file path", f"{path} ({exc.strerror or exc})") from None


def _scalar_probability(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise fail(name, "be a number in [0, 1]", value)
    arr = check_probability(value, name)
    if arr.ndim != 0:
        raise fail(name, "be a single number in [0, 1]", value)
    return float(arr)


def run_prune(
    *,
    synthetic: str | os.PathLike[str],
    out: str | os.PathLike[str],
    verifier: str,
    real: str | os.PathLike[str] | None = None,
    threshold: float | None = None,
    k: int | None = None,
    rho: float | None = None,
    phi: float | None = None,
    label: str | None = None,
    true_label: str | None = None,
    seed: int = 0,
    rates_out: str | os.PathLike[str] | None = None,
    positive: Any = None,
    negative: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> PruneResult:
    """Apply a verifier to a file of synthetic samples; write the kept rows; measure rates.

    Parameters
    ----------
    synthetic : path
        Synthetic samples (``.npz``, ``.npy``, ``.csv``, ``.jsonl`` or ``.parquet``; see
        :func:`synthmix.data.load_table`). Labels of any type, coded -1/+1 as ``positive``
        and ``negative`` say.
    out : path
        Where the kept rows go (``.npz``, ``.csv`` or ``.jsonl``, written atomically). A
        ``.csv``/``.jsonl`` input written to the same format keeps every column as given plus
        the verifier's score (:func:`synthmix.data.labeled.write_kept_rows`); otherwise
        :func:`synthmix.data.save_table` writes features, the given label and the provenance
        flag — the file's own ``synthetic`` flags when it has them, else True for every row.
        The copying case with a per-row verifier (oracle, model, knn) streams the synthetic
        file in blocks of :data:`BLOCK_ROWS` rows, with the same result as one block.
    verifier : {'oracle', 'model', 'cleanlab', 'knn'}
        :class:`~synthmix.pruning.OracleVerifier` (needs ``rho``, ``phi`` and true labels),
        :class:`~synthmix.pruning.ModelVerifier`,
        :class:`~synthmix.pruning.ConfidentLearningVerifier` or
        :class:`~synthmix.pruning.KNNVerifier` (these three learn from ``real``).
    real : path, optional
        Real samples with the same feature columns; required by model, cleanlab and knn.
    threshold : float, optional
        Keep threshold on the score, in [0, 1] (model and knn; default 0.5).
    k : int, optional
        Neighbours of the knn verifier, ``1 <= k <=`` real samples (default 10).
    rho, phi : float, optional
        The oracle's keep probabilities of a wrong / right label, in [0, 1]; both required.
    label : str, optional
        Label column of tabular files (``.npz`` files hold their labels in the array ``y``):
        one for both files, or per file as ``real=COL,synthetic=COL``; default: the first of
        ``label``, ``target``, ``y``, ``class`` each file has.
    true_label : str, optional
        Column (or ``.npz`` array) of the synthetic file holding the clean labels. Default:
        ``y_true`` when present. The column is never used as a feature.
    seed : int, default 0
        Seed of the oracle's coin flips (the other verifiers are deterministic).
    rates_out : path, optional
        Also write the measured rates as JSON, atomically (needs true labels with flips).
    positive : optional
        The label coded +1 (see :func:`synthmix.data.labeled.label_coding`): by default 1 for
        ±1, 0/1 and boolean labels, else the label that sorts last; with more than two labels
        it is required (one-vs-rest). The coding is set by the real file when there is one.
    negative : optional
        With ``positive``: the label coded -1. The coding is that pair; rows of other labels
        (in the synthetic file, also of other clean labels) are left out of both files before
        anything else, never judged nor written, and counted in
        :attr:`PruneResult.rows_left_out`. Both must be labels of the file setting the coding.
    progress : callable, optional
        ``progress(rows_judged, rows_expected)`` after each block (the expected count is the
        file's estimated size until the last block).

    Returns
    -------
    PruneResult

    Raises
    ------
    synthmix.exceptions.ValidationError
        Any invalid option or input file, naming the option; nothing is written then (only an
        operating-system failure writing ``rates_out`` can leave ``out`` already written).
    """
    name = _check_choice(verifier)
    check_negative(positive, negative)
    given = {"threshold": threshold, "k": k, "rho": rho, "phi": phi, "real": real}
    _check_unused(name, given)
    if name in REAL_VERIFIERS and real is None:
        raise fail("real", f"be given with --verifier {name} (it learns from real data)", None)
    if name == "oracle":
        missing = [opt for opt, value in (("rho", rho), ("phi", phi)) if value is None]
        if missing:
            raise fail(missing[0], "be given with --verifier oracle (its keep probabilities)", None)
    thr = None
    if name in _USES["threshold"]:
        thr = _scalar_probability(
            DEFAULT_THRESHOLD if threshold is None else threshold, "threshold"
        )
    kk = check_int(DEFAULT_K if k is None else k, "k", minimum=1) if name == "knn" else None
    rho_v = None if rho is None else _scalar_probability(rho, "rho")
    phi_v = None if phi is None else _scalar_probability(phi, "phi")
    seed_v = check_int(seed, "seed", minimum=0)
    if label is not None:
        label = _check_column_name(label, "label")
    if true_label is not None:
        true_label = _check_column_name(true_label, "true_label")
    syn_path = _check_path(synthetic, "synthetic", READ_EXTENSIONS, exists=True)
    real_path = None if real is None else _check_path(real, "real", READ_EXTENSIONS, exists=True)
    out_path = _check_path(out, "out", WRITE_EXTENSIONS, exists=False)
    rates_path = None
    if rates_out is not None:
        if not isinstance(rates_out, str | os.PathLike) or Path(rates_out).is_dir():
            raise fail("rates_out", "be a file path", rates_out)
        rates_path = Path(rates_out)
    for option, path in (("out", out_path), ("rates_out", rates_path)):
        if path is not None and path.resolve() in {
            syn_path.resolve(),
            None if real_path is None else real_path.resolve(),
        }:
            raise fail(option, "differ from the input files", str(path))
        if path is not None:
            check_output_file(path, option)

    # Each file's label column (named, or the first of label/target/y/class it has), and one
    # -1/+1 coding for both files, set by the real file's labels when there is one.
    named = label_columns(label, ("real", "synthetic"))
    syn_label, syn_found = resolve_label(syn_path, named["synthetic"])
    real_label, coding = None, None  # without a real file, the synthetic labels set the coding
    found = ["synthetic"] if syn_found else []
    if real_path is not None:
        real_label, real_found = resolve_label(real_path, named["real"])
        found += ["real"] if real_found else []
        coding = file_coding(real_path, real_label, "real", positive, negative)
    # A .csv/.jsonl file copied to the same format by a per-row verifier is streamed in blocks
    # of rows (memory: one block); cleanlab cross-validates over every row, so it reads all.
    streamed = (
        name != "cleanlab"
        and syn_path.suffix.lower() in (".csv", ".jsonl")
        and out_path.suffix.lower() == syn_path.suffix.lower()
    )
    blocks: Iterator[SyntheticTable] = iter(())
    if streamed:
        if coding is None:  # no real file: the synthetic labels set the coding (one pass)
            coding = file_coding(syn_path, syn_label, "synthetic", positive, negative, BLOCK_ROWS)
        blocks = iter_synthetic(syn_path, syn_label, true_label, coding, BLOCK_ROWS)
        syn = next(blocks)  # the first block: the file's columns, provenance and coding
    else:
        syn = read_synthetic(syn_path, syn_label, true_label, coding, positive, negative)
    coding = syn.coding
    if name == "oracle" and syn.y_true is None:
        raise fail(
            "true_label",
            f"name the clean labels in the synthetic file for --verifier oracle "
            f"(no column {true_label or DEFAULT_TRUE_LABEL!r})",
            str(syn_path),
        )
    real_data, real_left_out = None, None
    if real_path is not None and real_label is not None:
        x_real, y_real, real_left_out = read_real(
            real_path, real_label, true_label or DEFAULT_TRUE_LABEL, syn
        )
        real_data = (x_real, y_real)

    ver = build_verifier(
        name,
        real_data,
        threshold=DEFAULT_THRESHOLD if thr is None else thr,
        k=DEFAULT_K if kk is None else kk,
        rho=0.0 if rho_v is None else rho_v,
        phi=1.0 if phi_v is None else phi_v,
    )
    expected = estimate_cells(syn_path) if streamed else None
    judged = _judge(
        ver,
        itertools.chain([syn], blocks),
        as_generator(seed_v),
        progress=progress,
        expected=syn.data.n if expected is None else expected[0],
    )
    keep, score = judged.keep, judged.score

    left_out = None
    if coding.pair:  # rows of other labels: left out of both files, counted per file
        left_out = {"synthetic": judged.left_out}
        if real_left_out is not None:
            left_out = {"real": real_left_out, **left_out}
    rates, note = None, None
    if judged.y_true is None:
        note = (
            "rho and phi need known flips: add the clean labels as a column "
            f"(--true-label COL, default {DEFAULT_TRUE_LABEL!r})"
        )
    else:
        n_wrong = int(np.count_nonzero(judged.y != judged.y_true))
        if n_wrong == 0 or n_wrong == judged.y.shape[0]:
            what = "no label is flipped" if n_wrong == 0 else "every label is flipped"
            note = f"{what} in {syn.true_label!r}, so rho and phi cannot both be measured"
    if rates_path is not None and note is not None:
        raise fail("rates_out", "come with true labels showing flips", note)
    if note is None and judged.y_true is not None:
        rates = dataclasses.replace(
            estimate_rates(keep, judged.y, judged.y_true),
            verifier=type(ver).__name__,
            seed=seed_v,
        )

    parameters: dict[str, Any] = {
        "synthetic": str(syn_path),
        "real": None if real_path is None else str(real_path),
        "verifier": name,
        "threshold": thr,
        "k": kk,
        "rho": rho_v,
        "phi": phi_v,
        "label": syn_label,
        "real_label": real_label,
        "labels_found_by_name": found,
        "labels": coding.describe(),
        "true_label": true_label,
        "seed": seed_v,
        "out": str(out_path),
        "rates_out": None if rates_path is None else str(rates_path),
    }
    result = PruneResult(
        parameters=parameters,
        keep=keep,
        score=score,
        n_features=syn.data.d,
        n_real=None if real_data is None else int(real_data[0].shape[0]),
        true_label=syn.true_label,
        rates=rates,
        rates_note=note,
        rows_left_out=left_out,
        left_out_note="" if left_out is None else left_out_note(coding, left_out, syn.true_label),
    )

    # A .csv/.jsonl file keeps every column as given (names, ids, y_true) plus the score;
    # other formats get the standard table of features, label and provenance.
    copied = _write_kept(out_path, syn_path, keep, score, judged.rows)
    if streamed and not copied:  # the copy re-reads the file: another row count is a bug
        raise RuntimeError(f"{syn_path} changed while it was pruned (another number of rows)")
    if not copied:
        flags = syn.data.synthetic if syn.provenance else np.ones(syn.data.n, dtype=bool)
        kept = Dataset(
            syn.data.X[keep], syn.data.y[keep], synthetic=flags[keep], name=syn.data.name
        )
        _write("out", out_path, save_table, kept, out_path)
    if rates_path is not None:
        _write("rates_out", rates_path, write_json, rates_path, result.rates_document())
    return result


# ---------------------------------------------------------------------------------------------
# The typer command

_PRUNE_IN = "Inputs"
_PRUNE_VERIFIER = "Verifier"


def prune_command(
    synthetic: Annotated[
        Path,
        typer.Option(
            "--synthetic",
            help="Synthetic samples: .npz, .npy, .csv, .jsonl or .parquet; labels of any type "
            "(see --positive).",
            rich_help_panel=_PRUNE_IN,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help=(
                "Write the kept rows here (.npz, .csv or .jsonl, atomically). A .csv or .jsonl "
                "input written to the same format keeps every column as given (names, ids, "
                "y_true) plus 'score' (or 'verifier_score' if taken) and 'synthetic'; other "
                "combinations write features, label and provenance only."
            ),
        ),
    ],
    verifier: Annotated[
        str,
        typer.Option(
            "--verifier",
            help="oracle, model, cleanlab or knn.",
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ],
    real: Annotated[
        Path | None,
        typer.Option(
            "--real",
            help="Real samples, same features; required by model, cleanlab and knn.",
            rich_help_panel=_PRUNE_IN,
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Keep threshold on the score, in [0, 1] (model, knn; default 0.5).",
            show_default=False,
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option(
            "--k",
            help="Neighbours of knn, >= 1 (default 10).",
            show_default=False,
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ] = None,
    rho: Annotated[
        float | None,
        typer.Option(
            "--rho",
            help="oracle: keep probability of a wrong label, in [0, 1] (required).",
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ] = None,
    phi: Annotated[
        float | None,
        typer.Option(
            "--phi",
            help="oracle: keep probability of a right label, in [0, 1] (required).",
            rich_help_panel=_PRUNE_VERIFIER,
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help="Label column of tabular files, or per file: real=COL,synthetic=COL (default: "
            "the first of label, target, y, class each file has; .npz files use their array "
            "y). Labels of any type: ±1, 0/1, booleans or strings.",
            show_default=False,
            rich_help_panel=_PRUNE_IN,
        ),
    ] = None,
    positive: Annotated[
        str | None,
        typer.Option(
            "--positive",
            help="The label coded +1 (default: 1 for ±1 and 0/1 labels, else the label that "
            "sorts last, as reported); with more than two labels, one-vs-rest.",
            show_default=False,
            rich_help_panel=_PRUNE_IN,
        ),
    ] = None,
    negative: Annotated[
        str | None,
        typer.Option(
            "--negative",
            help="With --positive: the label coded -1. The pair is the task; rows of other "
            "labels are left out of both files (never judged nor written), counted.",
            show_default=False,
            rich_help_panel=_PRUNE_IN,
        ),
    ] = None,
    true_label: Annotated[
        str | None,
        typer.Option(
            "--true-label",
            help=(
                "Column (.npz: array) of the synthetic file with the clean labels, never a "
                "feature; default y_true when present. Needed to measure rho/phi, and by oracle."
            ),
            show_default=False,
            rich_help_panel=_PRUNE_IN,
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed of the oracle's coin flips.", rich_help_panel=RUN_PANEL),
    ] = 0,
    json_output: JsonOpt = False,
    rates_out: Annotated[
        Path | None,
        typer.Option(
            "--rates-out",
            help="Also write the measured rates as JSON (atomically; needs true labels).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Apply a verifier to synthetic samples, write the kept rows, report measured rates.

    Example: synthmix prune --synthetic synth.csv --real real.csv --verifier cleanlab --out kept.csv

    With clean labels in the synthetic file (--true-label), prints the measured rho and phi
    with exact Clopper-Pearson intervals, the flip rate and the kept fraction, and a
    'synthmix predict' line to paste.
    """
    from synthmix.cli.progress import StageProgress

    with StageProgress() as bar:
        result = run_prune(
            synthetic=synthetic,
            out=out,
            verifier=verifier,
            real=real,
            threshold=threshold,
            k=k,
            rho=rho,
            phi=phi,
            label=label,
            true_label=true_label,
            seed=seed,
            rates_out=rates_out,
            positive=positive,
            negative=negative,
            progress=bar.callback("judging rows") if bar.enabled else None,
        )
    typer.echo(json.dumps(result.document(), indent=2) if json_output else result.text())


def register(app: typer.Typer) -> None:
    """Add ``prune`` to the top-level app."""
    app.command("prune")(prune_command)
