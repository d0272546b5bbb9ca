"""A soft query: the query's words, their match keys and weights from the index's own counts.

Weights are IDF-like: a word's occurrences in the corpus (counted through the suffix array,
summed over its case and space-prefixed spellings) give ``log10(tokens / count)``, so a name or a
rare noun weighs 5-8 and "day" 2-3; stopwords weigh little and numbers are judged apart (they must
agree, see ``native.soft.best_aligned_span``). The same word looked up for several queries of a
batch is counted once (``WordStats``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from tracer.errors import InputError
from tracer.index.reader import IndexReader
from tracer.query.soft.words import Word, number_weight, retrieval_forms, words

MIN_CONTENT_WORDS = 3  # fewer distinct content words or numbers: too short to judge
MAX_WORDS = 5000  # a longer query is refused (soft search is for passages and benchmark items)
STOP_WEIGHT = 0.1
NUMBER_WEIGHT = 1.0  # numbers count in recall a little; their agreement is a factor of its own
MAX_WEIGHT = 8.0
MIN_PART_WORDS = 3  # content words of a first line judged alone
PART_SHARE = 0.15  # a first line judged alone must carry this share of the query's weight
TEMPLATE_NGRAM = 5
TEMPLATE_SHARE = 0.02
TEMPLATE_WEIGHT = 0.1
TEMPLATE_BATCH = 20  # batches of at least this many texts down-weight words most of them share
DISTINCT_SHARE = 0.05  # a word in at most this share of a benchmark's items tells them apart: full weight
PASSAGE_NGRAM = 25  # a run of this many words found in 2+ texts of a benchmark is a shared passage:
# long enough that a common phrasing or a same-template sibling ("How many kilometres does she walk
# with her ...") is not one, and a source document or instruction ("Construct a complete truth table ...") is


# a first line that is code (an import, a signature, a call) says too little alone: never judged alone
CODE_LINE = re.compile(r"^\s*(from|import|def|class|function|public|package|#include|#!)\b|\w\(|[{};=]")
# an import line says which libraries a program uses, not what it does: the same few lines head
# many unrelated programs ("from typing import List, Tuple"), so their words are template
IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t][^\n]*|import[ \t]+[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*"
                         r"(?:[ \t]+as[ \t]+\w+)?[ \t]*;?|#[ \t]*include[ \t]*[<\"][^\n]*)[ \t]*$", re.M)


class TooShortError(InputError):
    """The text has too few content words for a soft match to mean anything."""


def check_text(text: object) -> list[Word]:
    """The words of a query text, or a clear error (not text, empty, too short, too long)."""
    if not isinstance(text, str):
        raise InputError(f"soft query must be text, got {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(f"soft query is not valid Unicode text (character {e.start})") from None
    ws = words(text)
    if len(ws) > MAX_WORDS:
        raise InputError(f"soft query is too long ({len(ws)} words; soft search takes up to {MAX_WORDS})")
    content = {w.key for w in ws if not w.stop}
    if len(content) < MIN_CONTENT_WORDS:
        what = "empty" if not text.strip() else f"only {len(content)} content word(s)"
        raise TooShortError(f"soft query is too short to judge ({what}; at least {MIN_CONTENT_WORDS} words "
                            "that are not stopwords are needed)")
    return ws


def too_short(text: str) -> bool:
    """True when ``text`` has too few content words to judge softly (what ``find_similar`` refuses)."""
    try:
        check_text(text)
    except TooShortError:
        return True
    return False


@dataclass
class WordStats:
    """Corpus counts of words by retrieval form, filled once per batch (``Index.count_many``)."""

    index: IndexReader
    counts: dict[str, int] = field(default_factory=dict)
    variants: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @property
    def bytes_index(self) -> bool:
        return self.index.tokenizer.name == "bytes"

    def prepare(self, all_words: list[Word]) -> None:
        from tracer.query.count import count_many

        new = sorted({f for w in all_words if not w.stop for f in retrieval_forms(w, self.bytes_index)}
                     - self.counts.keys())
        usable: list[str] = []
        for form in new:
            vs = [v for v in self.index.tokenizer.query_variants(form) if len(v)]
            uniq: list[np.ndarray] = []
            for v in vs:
                if not any(np.array_equal(v, u) for u in uniq):
                    uniq.append(v)
            self.variants[form] = uniq
            if uniq:
                usable.append(form)
            else:
                self.counts[form] = 0
        if usable:
            # one count per distinct id sequence: case forms may tokenize alike on normalized indexes
            for form, c in zip(usable, count_many(self.index, [np.asarray(v) for f in usable
                                                               for v in self.variants[f][:1]]), strict=True):
                self.counts[form] = c
            extra = [(f, v) for f in usable for v in self.variants[f][1:]]
            if extra:
                for (f, _), c in zip(extra, count_many(self.index, [v for _, v in extra]), strict=True):
                    self.counts[f] += c

    def word_count(self, w: Word) -> int:
        """Occurrences of a word in the corpus over its distinct retrieval forms."""
        seen: list[np.ndarray] = []
        total = 0
        for f in retrieval_forms(w, self.bytes_index):
            vs = self.variants.get(f, [])
            if vs and any(np.array_equal(vs[0], s) for s in seen):
                continue
            seen.extend(vs)
            total += self.counts.get(f, 0)
        return total

    def rarity(self, w: Word) -> float:
        """log10(corpus tokens / occurrences): how rare the word is, uncapped (0 for a stopword)."""
        if w.stop:
            return 0.0
        return math.log10(max(self.index.n_tokens, 1) / (self.word_count(w) + 1.0))

    def weight(self, w: Word) -> float:
        if w.stop:
            return STOP_WEIGHT
        if w.number:
            return NUMBER_WEIGHT
        return float(min(MAX_WEIGHT, max(0.5, self.rarity(w))))


@dataclass
class SoftQuery:
    """A query's words, its distinct keys with weights, and which keys retrieve candidates."""

    text: str
    words: list[Word]
    keys: list[str]  # distinct keys, in first-occurrence order
    weight: np.ndarray  # float64 per key
    is_number: np.ndarray  # bool per key
    number_w: np.ndarray  # float64 per key: weight of its agreement (0 for words)
    parts: list[np.ndarray]  # key weights of the parts judged on their own: the whole text, its first line
    signal: np.ndarray  # bool per key: a content word of the query's own (not stop, number or template)
    first: dict[str, Word]  # the first word of each key (its spelling in the aligned pairs)
    n_tokens: int  # the query's length in index tokens (sizes the windows)
    rarity: np.ndarray  # float64 per key: ``WordStats.rarity``, numbers too (chance of a match)
    distinct: np.ndarray | None = None  # per key, how well it tells a benchmark's items apart (verification only)

    @property
    def key_id(self) -> dict[str, int]:
        return {k: i for i, k in enumerate(self.keys)}


def soft_query(text: str, ws: list[Word], stats: WordStats) -> SoftQuery:
    first: dict[str, Word] = {}
    for w in ws:
        first.setdefault(w.key, w)
    keys = list(first)
    weight = np.asarray([stats.weight(first[k]) for k in keys], dtype=np.float64)
    is_number = np.asarray([first[k].number for k in keys], dtype=np.bool_)
    number_w = np.asarray([number_weight(k) if first[k].number else 0.0 for k in keys], dtype=np.float64)
    n_tok = len(stats.index.tokenizer.encode(text))
    signal = np.asarray([not first[k].stop and not first[k].number for k in keys], dtype=np.bool_)
    boiler = import_only_keys(text, ws)
    if boiler:
        f = np.asarray([TEMPLATE_WEIGHT if k in boiler else 1.0 for k in keys])
        weight, signal = weight * f, signal & (f == 1.0)
    rarity = np.asarray([stats.rarity(first[k]) for k in keys], dtype=np.float64)
    q = SoftQuery(text, ws, keys, weight, is_number, number_w, [], signal, first, n_tok, rarity)
    q.parts = query_parts(q)
    return q


def import_only_keys(text: str, ws: list[Word]) -> set[str]:
    """Keys of words (not numbers) that occur only on code import lines of ``text`` (template)."""
    spans = [(m.start(), m.end()) for m in IMPORT_LINE.finditer(text)]
    if not spans:
        return set()
    inside: set[str] = set()
    outside: set[str] = set()
    for w in ws:
        (inside if any(a <= w.start < b for a, b in spans) else outside).add(w.key)
    return {k for k in inside - outside if not k.startswith("#")}


def query_parts(q: SoftQuery, weight: np.ndarray | None = None) -> list[np.ndarray]:
    """Key weights of the whole query and, for a text of several lines, of its first line alone:
    a multiple-choice item's question is often copied or rephrased without its options."""
    weight = q.weight if weight is None else weight
    parts = [weight]
    cut = q.text.strip().find("\n")
    if cut > 0:
        end = q.text.find("\n", len(q.text) - len(q.text.lstrip()))
        head = {w.key for w in q.words if w.end <= end}
        ids = [i for i, k in enumerate(q.keys) if k in head]
        if (len({k for k in head if not q.first[k].stop}) >= MIN_PART_WORDS and len(ids) < len(q.keys)
                and not CODE_LINE.search(q.text[:end])
                and weight[ids].sum() >= PART_SHARE * weight.sum()):
            part = np.zeros_like(weight)
            part[ids] = weight[ids]
            parts.append(part)
    return parts


def shared_passages(texts: Iterable[str]) -> frozenset[tuple[str, ...]]:
    """Runs of ``PASSAGE_NGRAM`` word keys found in at least two distinct ``texts``: a source
    passage or instruction that several items of a benchmark share ("This question refers to the
    following information. ..." and its document, a truth-table instruction). It is context, not
    the item: a corpus copy of a sibling item that shares it says nothing about this one."""
    return _shared_runs([w.key for w in words(text)] for text in dict.fromkeys(texts))


def _shared_runs(key_seqs: Iterable[list[str]]) -> frozenset[tuple[str, ...]]:
    df: dict[tuple[str, ...], int] = {}
    for seq in key_seqs:
        for g in {tuple(seq[i : i + PASSAGE_NGRAM]) for i in range(len(seq) - PASSAGE_NGRAM + 1)}:
            df[g] = df.get(g, 0) + 1
    return frozenset(g for g, k in df.items() if k >= 2)


@dataclass(frozen=True)
class BenchmarkText:
    """What the items of the benchmarks checked share, counted over all of them (so that an item's
    result does not depend on the batch it falls in): the word runs several of them hold
    (``shared_passages``), template wherever a text holds them, and how many items hold each word."""

    passages: frozenset[tuple[str, ...]] = frozenset()
    holders: Mapping[str, int] = field(default_factory=dict)  # word key -> distinct item texts holding it
    items: int = 0  # distinct item texts
    factors: dict[str, float] = field(default_factory=dict, compare=False, repr=False)  # cache of ``distinctness``

    @classmethod
    def of(cls, texts: Iterable[str]) -> BenchmarkText:
        seqs = [words(text) for text in dict.fromkeys(texts)]
        holders: dict[str, int] = {}
        for ws in seqs:
            for k in {w.key for w in ws if not w.stop and not w.number}:
                holders[k] = holders.get(k, 0) + 1
        return cls(_shared_runs([w.key for w in ws] for ws in seqs), holders, len(seqs))

    def distinctness(self, q: SoftQuery) -> np.ndarray | None:
        """Per key of ``q``, the factor its weight is verified with: 1 for a word in at most
        ``DISTINCT_SHARE`` of the items (and for numbers, judged apart), falling with the log of
        the share of items holding it to ``TEMPLATE_WEIGHT`` for a word nearly all of them hold.

        The corpus weight says how rare a word is in the corpus; this says how much it tells one
        item from its siblings. Half of HumanEval's prompts say "given a list of integers", so a
        corpus passage aligning "given", "list", "integer" and "function" (another task's
        rephrasing, a C translation) fits any of them. None (no factor) for fewer than
        ``TEMPLATE_BATCH`` items: too few to tell a common word from a chance one."""
        if self.items < TEMPLATE_BATCH:
            return None
        out = np.ones(len(q.keys))
        for i, k in enumerate(q.keys):
            if not q.is_number[i]:
                f = self.factors.get(k)
                if f is None:
                    share = max(1, self.holders.get(k, 0)) / self.items
                    f = self.factors[k] = min(1.0, max(TEMPLATE_WEIGHT, math.log(share) / math.log(DISTINCT_SHARE)))
                out[i] = f
        return out


NO_BENCHMARK = BenchmarkText()


def template_factors(queries: list[SoftQuery], benchmark: BenchmarkText = NO_BENCHMARK) -> None:
    """Down-weight, in place, a batch's template text: words inside a run of ``TEMPLATE_NGRAM``
    words that at least ``TEMPLATE_SHARE`` of the batch's texts (and 3) share ("For which of these
    two scenarios does the main character ..."), and words inside any of the ``benchmark``'s shared
    passages (over the whole benchmark, which a batch of some of its items cannot see). They weigh
    a tenth and are no evidence, so items are told apart by what is their own. Words merely
    frequent in the benchmark ("list", "integer") keep their weight for retrieval and are verified
    at less (``BenchmarkText.distinctness``). Numbers are left alone."""
    grams_of: list[set[tuple[str, ...]]] = [set() for _ in queries]
    df: dict[tuple[str, ...], int] = {}
    if len(queries) >= TEMPLATE_BATCH:
        for q, grams in zip(queries, grams_of, strict=True):
            seq = [w.key for w in q.words]
            grams.update(tuple(seq[i : i + TEMPLATE_NGRAM]) for i in range(len(seq) - TEMPLATE_NGRAM + 1))
            for g in grams:
                df[g] = df.get(g, 0) + 1
    least = max(3, int(TEMPLATE_SHARE * len(queries)))
    for q, grams in zip(queries, grams_of, strict=True):
        q.distinct = benchmark.distinctness(q)
        shared = {k for g in grams if df[g] >= least for k in g}
        if benchmark.passages:
            seq = [w.key for w in q.words]
            for i in range(len(seq) - PASSAGE_NGRAM + 1):
                g = tuple(seq[i : i + PASSAGE_NGRAM])
                if g in benchmark.passages:
                    shared.update(g)
        if not shared:
            continue
        ids = q.key_id
        f = np.ones(len(q.keys))
        for k in shared:
            if not q.is_number[ids[k]]:
                f[ids[k]] = TEMPLATE_WEIGHT
        q.weight = q.weight * f
        q.signal = q.signal & (f == 1.0)
        q.parts = query_parts(q)
