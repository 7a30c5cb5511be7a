"""Words as knowledge items: the three-phase law on real and LLM-written text.

The items of the long-tail model (docs/math/scaling.md) are the **word types** of a real text
collection; their test frequencies ``p_w`` are the word's share of the real test tokens, and
they are naturally long-tailed. A language model's sampling settings (top-p, temperature)
truncate that tail: a generated corpus uses fewer word types. A training stream is a sequence
of whole texts, real (drawn from the real training pool) or generated (drawn from one
setting's corpus), both uniformly with replacement, real texts making up a share ``π`` of the
tokens in expectation; a word
is *known* once it has occurred in the stream. The measured error at ``n`` tokens is the share
of real test tokens whose word the first ``n`` training tokens never contained — the memoriser
of the theory (``a = b = 0``) run on text, with its burstiness (a text repeats words) and its
finite pools. The prediction is the exact ``E(n)`` of :func:`synthmix.scaling.mixture_error`
at ``p`` and the token frequencies ``q = π q_real + (1 − π) q_gen`` of the two pools, which
assumes independent tokens: the gap between the two is what the texts' correlation costs.

Only words that occur in the real training pool are items (a test word absent from it can
never be learned from these pools, so it would add a constant floor that a log–log fit would
read as a phase); :attr:`VocabularyWorld.unlearnable_mass` reports that share.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from synthmix._random import RngLike, as_generator
from synthmix._types import FloatArray, IntArray
from synthmix._validation import check_int, check_probability, fail
from synthmix.scaling.model import mixture_error

__all__ = [
    "TextPool",
    "VocabularyWorld",
    "coverage",
    "first_seen",
    "head_cut",
    "make_vocabulary_world",
    "measured_error",
    "predicted_error",
    "words",
    "zipf_exponent",
]

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+")


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` (letters and inner apostrophes), URLs and @mentions dropped.

    >>> words("@bob I can't WAIT for http://x.co/y #Friday!!")
    ['i', "can't", 'wait', 'for', 'friday']
    """
    return _WORD.findall(_NOISE.sub(" ", text.lower().replace("\u2019", "'")))


@dataclass(frozen=True, eq=False)
class TextPool:
    """Texts as word ids: text ``t`` is ``ids[starts[t]:starts[t + 1]]``.

    Attributes
    ----------
    ids : ndarray of int64, shape (N,)
        Word ids of all tokens, text after text.
    starts : ndarray of int64, shape (T + 1,)
        Offsets of the texts in ``ids`` (``starts[0] = 0``, ``starts[T] = N``).
    """

    ids: IntArray
    starts: IntArray

    @property
    def n_texts(self) -> int:
        """Number of texts ``T``."""
        return int(self.starts.shape[0] - 1)

    @property
    def lengths(self) -> IntArray:
        """Tokens per text, shape (T,)."""
        return np.asarray(np.diff(self.starts), dtype=np.int64)

    def counts(self, n_words: int) -> FloatArray:
        """Token count of every word id ``0..n_words-1``, shape (n_words,)."""
        return np.bincount(self.ids, minlength=n_words).astype(np.float64)

    def first_positions(self) -> tuple[IntArray, IntArray, IntArray]:
        """``(text, word, position)`` of each word's first occurrence in each text.

        One row per distinct (text, word) pair; ``position`` counts tokens from the text's start.
        """
        text = np.repeat(np.arange(self.n_texts, dtype=np.int64), self.lengths)
        pos = np.arange(self.ids.shape[0], dtype=np.int64) - self.starts[text]
        # the first row of each (text, word) pair in token order is its first occurrence
        order = np.lexsort((pos, self.ids, text))
        t, w, p = text[order], self.ids[order], pos[order]
        first = np.ones(t.shape[0], dtype=bool)
        first[1:] = (t[1:] != t[:-1]) | (w[1:] != w[:-1])
        return t[first], w[first], p[first]


def _encode(texts: Sequence[str], vocab: dict[str, int]) -> TextPool:
    ids: list[int] = []
    starts = [0]
    for text in texts:
        ids.extend(vocab.setdefault(w, len(vocab)) for w in words(text))
        starts.append(len(ids))
    return TextPool(np.asarray(ids, dtype=np.int64), np.asarray(starts, dtype=np.int64))


@dataclass(frozen=True, eq=False)
class VocabularyWorld:
    """Real test frequencies of the word types and the pools training texts are drawn from.

    Attributes
    ----------
    vocab : tuple of str, length V
        Word types, by id.
    p : ndarray, shape (V,)
        Share of the real test tokens of each word, over the words the real pool contains
        (sums to 1; 0 for words only the generated corpora use).
    real : TextPool
        Real training pool.
    generated : dict of str to TextPool
        One corpus per sampling setting.
    unlearnable_mass : float
        Share of the real test tokens whose word the real pool lacks (left out of ``p``).
    n_test_texts : int
        Real texts held out for testing.
    """

    vocab: tuple[str, ...]
    p: FloatArray
    real: TextPool
    generated: dict[str, TextPool]
    unlearnable_mass: float
    n_test_texts: int

    @property
    def n_words(self) -> int:
        """Number of word types ``V``."""
        return len(self.vocab)

    def pool(self, setting: str) -> TextPool:
        """The generated corpus of ``setting`` (an error naming the known settings otherwise)."""
        if setting not in self.generated:
            raise fail("setting", f"be one of {', '.join(self.generated)}", setting)
        return self.generated[setting]

    def training_frequencies(self, setting: str, pi: float) -> FloatArray:
        """Token frequencies ``q = π q_real + (1 − π) q_gen`` of a stream, shape (V,)."""
        real = float(check_probability(pi, "pi"))
        q_real = self.real.counts(self.n_words)
        q_gen = self.pool(setting).counts(self.n_words)
        return np.asarray(
            real * q_real / q_real.sum() + (1.0 - real) * q_gen / q_gen.sum(), dtype=np.float64
        )


def make_vocabulary_world(
    real_texts: Sequence[str],
    generated: Mapping[str, Sequence[str]],
    *,
    test_fraction: float = 0.2,
    rng: RngLike = 0,
) -> VocabularyWorld:
    """Split the real texts into test and training pool and encode every corpus.

    Parameters
    ----------
    real_texts : sequence of str
        Real texts (at least 10, with words).
    generated : mapping of str to sequence of str
        Generated texts per sampling setting (each with at least one word).
    test_fraction : float, default 0.2
        Share of the real texts held out for testing, in (0, 1).
    rng : None, int, SeedSequence or Generator
        Seeds the split.

    Returns
    -------
    VocabularyWorld
    """
    real_list = list(real_texts)
    if len(real_list) < 10 or not all(isinstance(t, str) for t in real_list):
        raise fail("real_texts", "be at least 10 strings", f"{len(real_list)} items")
    if not generated:
        raise fail("generated", "hold at least one setting", dict(generated))
    frac = float(check_probability(test_fraction, "test_fraction"))
    if not 0.0 < frac < 1.0:
        raise fail("test_fraction", "lie in (0, 1)", test_fraction)
    perm = as_generator(rng).permutation(len(real_list))
    n_test = max(1, round(frac * len(real_list)))
    vocab: dict[str, int] = {}
    real = _encode([real_list[i] for i in perm[n_test:]], vocab)
    test = _encode([real_list[i] for i in perm[:n_test]], vocab)
    gens = {}
    for name, texts in generated.items():
        pool = _encode(list(texts), vocab)
        if pool.ids.shape[0] == 0:
            raise fail("generated", f"hold words in every setting ({name} has none)", name)
        gens[str(name)] = pool
    if real.ids.shape[0] == 0 or test.ids.shape[0] == 0:
        raise fail("real_texts", "hold words in both the test and the training part", n_test)
    V = len(vocab)
    learnable = real.counts(V) > 0
    test_counts = test.counts(V)
    unlearnable = float(test_counts[~learnable].sum() / test_counts.sum())
    p = np.where(learnable, test_counts, 0.0)
    if not p.sum() > 0:
        raise fail("real_texts", "share words between the test and the training part", n_test)
    ordered = sorted(vocab, key=vocab.__getitem__)
    return VocabularyWorld(
        vocab=tuple(ordered),
        p=np.asarray(p / p.sum(), dtype=np.float64),
        real=real,
        generated=gens,
        unlearnable_mass=unlearnable,
        n_test_texts=n_test,
    )


def head_cut(world: VocabularyWorld, top_p: float, name: str | None = None) -> VocabularyWorld:
    """``world`` plus a control corpus: the real pool's texts keeping only the head's words.

    The head is the smallest set of the most frequent words of the real pool whose token mass
    is ``>= top_p`` (the theory's top-p cut, applied to words); every other token is deleted
    (texts left empty are dropped). This is the hard cut the theory assumes, on real text.

    Parameters
    ----------
    world : VocabularyWorld
    top_p : float
        Head mass, in (0, 1].
    name : str, optional
        Key of the new corpus (default ``"real, top-p {top_p} word cut"``).

    Returns
    -------
    VocabularyWorld
        A new world whose ``generated`` has the control corpus added.
    """
    t = float(check_probability(top_p, "top_p"))
    if t <= 0:
        raise fail("top_p", "lie in (0, 1]", top_p)
    counts = world.real.counts(world.n_words)
    order = np.argsort(-counts, kind="stable")
    cum = np.cumsum(counts[order]) / counts.sum()
    keep_words = np.zeros(world.n_words, dtype=bool)
    keep_words[order[: int(np.searchsorted(cum, t - 1e-12) + 1)]] = True
    keep = keep_words[world.real.ids]
    text = np.repeat(np.arange(world.real.n_texts), world.real.lengths)
    lengths = np.bincount(text[keep], minlength=world.real.n_texts)
    lengths = lengths[lengths > 0]
    pool = TextPool(
        np.asarray(world.real.ids[keep], dtype=np.int64),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
    )
    key = f"real, top-p {t:g} word cut" if name is None else str(name)
    return dataclasses.replace(world, generated={**world.generated, key: pool})


def zipf_exponent(p: ArrayLike, ranks: tuple[int, int] = (1, 1000)) -> float:
    """Least-squares slope ``β`` of ``log p_(r) = c − β log r`` over ranks ``ranks`` (inclusive)."""
    freq = np.sort(np.asarray(p, dtype=np.float64))[::-1]
    freq = freq[freq > 0]
    lo, hi = ranks
    r = np.arange(lo, min(hi, freq.shape[0]) + 1)
    if r.shape[0] < 2:
        raise fail("p", "have at least two positive frequencies in the rank range", freq.shape[0])
    slope = np.polyfit(np.log(r), np.log(freq[r - 1]), 1)[0]
    return float(-slope)


def coverage(world: VocabularyWorld, setting: str) -> dict[str, float | int | str | None]:
    """How much of the real vocabulary one generated corpus uses (JSON types).

    Returns
    -------
    dict
        ``types`` and ``tokens`` of the corpus; ``test_mass`` = ``Σ p_w`` over the words it uses;
        ``top_100`` / ``top_1000`` = share of the 100 / 1000 most frequent real test words it
        uses; ``head_k`` = the largest ``k`` such that it uses all ``k`` most frequent real test
        words (the contiguous head a hard cut would keep) and ``first_missing`` the word of rank
        ``head_k + 1`` (None when it uses them all).
    """
    pool = world.pool(setting)
    used = pool.counts(world.n_words) > 0
    order = np.argsort(-world.p, kind="stable")
    order = order[world.p[order] > 0]
    in_order = used[order]
    missing = np.flatnonzero(~in_order)
    head_k = int(missing[0]) if missing.shape[0] else int(order.shape[0])
    return {
        "types": int(np.count_nonzero(used)),
        "tokens": int(pool.ids.shape[0]),
        "test_mass": float(world.p[used].sum()),
        "top_100": float(np.mean(in_order[:100])),
        "top_1000": float(np.mean(in_order[:1000])),
        "head_k": head_k,
        "first_missing": world.vocab[order[head_k]] if missing.shape[0] else None,
    }


def _lengths(real: TextPool, gen: TextPool, is_real: ArrayLike, index: IntArray) -> IntArray:
    """Token counts of drawn texts: ``index`` into ``real`` where ``is_real``, else ``gen``."""
    mask = np.asarray(is_real, dtype=bool)
    out = np.empty(index.shape[0], dtype=np.int64)
    out[mask] = real.lengths[index[mask]]
    out[~mask] = gen.lengths[index[~mask]]
    return out


def first_seen(
    world: VocabularyWorld, setting: str, pi: float, n_max: int, *, rng: RngLike = 0
) -> FloatArray:
    """Token position at which each word first occurs in a stream of ``n_max`` tokens.

    Texts are drawn one after another, real or from ``setting``'s corpus, uniformly with
    replacement, until ``n_max`` tokens; a text is real with probability
    ``π' = π L_gen / (π L_gen + (1 − π) L_real)`` (``L``: mean tokens per text), so that ``pi``
    is the expected real share of the *tokens* — the ``π`` of the theory's ``q``. A word is
    known after ``n`` tokens iff its position is ``< n``; words the stream never contains get
    ``inf``. The error at every size ``n <= n_max`` comes from the first ``n`` tokens of this
    one stream, so one call gives a whole learning curve on nested training sets.

    Parameters
    ----------
    world : VocabularyWorld
    setting : str
        A key of ``world.generated``.
    pi : float
        Real share of the tokens, in [0, 1].
    n_max : int
        Tokens in the stream (>= 1).
    rng : None, int, SeedSequence or Generator

    Returns
    -------
    ndarray, shape (V,)
    """
    real_share = float(check_probability(pi, "pi"))
    size = check_int(n_max, "n_max", minimum=1)
    gen_pool = world.pool(setting)
    pools = (world.real, gen_pool)
    g = as_generator(rng)
    l_real, l_gen = float(world.real.lengths.mean()), float(gen_pool.lengths.mean())
    text_share = real_share * l_gen / max(real_share * l_gen + (1 - real_share) * l_real, 1e-300)
    mean_len = text_share * l_real + (1 - text_share) * l_gen
    source_parts, index_parts, total = [], [], 0
    while total < size:  # draw in blocks until the stream is long enough
        block = int(1.1 * (size - total) / max(mean_len, 1e-9)) + 64
        is_real = g.random(block) < text_share
        idx = np.where(
            is_real,
            g.integers(0, world.real.n_texts, block),
            g.integers(0, gen_pool.n_texts, block),
        )
        source_parts.append(np.where(is_real, 0, 1))
        index_parts.append(idx)
        total += int(_lengths(world.real, gen_pool, is_real, idx).sum())
    source = np.concatenate(source_parts)
    index = np.concatenate(index_parts)
    lengths = _lengths(world.real, gen_pool, source == 0, index)
    offsets = np.cumsum(lengths) - lengths  # token position where each drawn text starts
    first = np.full(world.n_words, np.inf)
    for s, pool in enumerate(pools):
        drawn = source == s
        # offset of each text's first draw (inf if never drawn); draws are in stream order
        text_start = np.full(pool.n_texts, np.inf)
        texts, where = np.unique(index[drawn], return_index=True)
        text_start[texts] = offsets[drawn][where]
        t, w, pos = pool.first_positions()
        np.minimum.at(first, w, text_start[t] + pos)
    first[first >= size] = np.inf
    return first


def measured_error(world: VocabularyWorld, first: ArrayLike, sizes: ArrayLike) -> FloatArray:
    """``Σ_w p_w [first_w ≥ n]`` at each size: the test mass of words not yet seen, shape (S,)."""
    pos = np.asarray(first, dtype=np.float64)
    if pos.shape != world.p.shape:
        raise fail("first", f"have shape {world.p.shape}", pos.shape)
    n = np.asarray(sizes, dtype=np.float64)
    order = np.argsort(pos, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(world.p[order])])
    seen = np.searchsorted(pos[order], n, side="left")  # words with position < n
    return np.asarray(1.0 - cum[seen], dtype=np.float64).clip(0.0, 1.0)


def predicted_error(
    world: VocabularyWorld, setting: str, pi: float, sizes: ArrayLike
) -> FloatArray:
    """Exact ``E(n)`` of independent tokens at ``q`` (:meth:`training_frequencies`), shape (S,)."""
    q = world.training_frequencies(setting, pi)
    return np.asarray(mixture_error(world.p, q, sizes), dtype=np.float64)
