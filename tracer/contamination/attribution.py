"""Which item of a check a soft passage belongs to.

A corpus copy of one benchmark item, verbatim or rephrased, also resembles its siblings: MMLU
questions on one topic share 3-6 rare words, and a GSM8K story with other numbers shares its names
and nouns. Judged alone, a sibling can reach the soft threshold on that copy (most of the soft
tier's false positives on the evaluation of benchmarks/scripts/soft_eval.py are exactly this). A
passage is the copy of at most one item, so before a soft match makes an item contaminated, the
check scores the passage's neighbourhood in its document against the items of the check (and its
reference) that share the most of the passage's words. When one of them fits better, the passage
is that item's, and the item keeps its next passage or none (note ``soft: ... fits item X
better``, or ``... lies inside a match of item X`` when taken by evidence). Better means a
higher score there, or a soft match of the rival's own there (at the check's threshold) aligning
twice the item's words: three words of a short question inside a copy of a long case item are a
piece of that copy. A rival scoring nearly as well (``TWIN_SHARE``) takes it too (``... fits item
X about as well``): near-twin items, such as HumanEval/40 and /43 (three or two elements of a
list that sum to zero), cannot be told apart on a rephrasing by its words, and a passage that
may be either's makes neither contaminated, unless the item aligns a number of 2 or more digits
there that the rival lacks (a GSM8K story and its sibling with other numbers). Each entrant is
scored on the passage and as much document text each side as the entrant is long, so a long
item's copy around a short passage is judged whole; a multiple-choice rival is also read with
all its options (a question matching a wrong option of a copied item matches that item's own
text). Rivals are the siblings sharing the most rare words with the passage and with its
neighbourhood.

The rivals of an item are taken from the whole check, never from the batch it falls in, so an
item's result does not depend on batching (streamed results stay the same). Both the item and its
rivals are scored afresh the same way (one small batch, with what the benchmark's items share:
template text and word frequencies), so the comparison is like for like; with a sentence model
the scores mix in its cosine as the soft tier's own scores do.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from tracer.contamination.inputs import BenchItem
from tracer.errors import InputError
from tracer.index.reader import IndexReader
from tracer.query.soft import SoftMatch
from tracer.query.soft.query import (
    NO_BENCHMARK,
    BenchmarkText,
    WordStats,
    check_text,
    soft_query,
    template_factors,
)
from tracer.query.soft.search import verify
from tracer.query.soft.words import number_weight, words

RIVALS = 6  # siblings scored against each passage: those sharing the most of its rare words
COMMON_SHARE = 0.05  # words in more than this share of the pool's items (and 50) do not pick rivals
MARGIN_CHARS = 200  # document text scored around a passage, at least this much each side
MIN_OVERLAP = 0.5  # a rival's best span must cover this share of the shorter span to claim the passage
EVIDENCE_RATIO = 2  # a rival matching at the threshold with this many times the item's aligned words takes it
TWIN_SHARE = 0.85  # a rival scoring this share of the item's score there fits as well: neither is told apart


@dataclass(frozen=True)
class Sibling:
    key: tuple[str, str, str]  # benchmark, split, id
    text: str  # what the soft tier searches for it (tracer.contamination.soft.soft_query_text)
    full: str = ""  # its whole input where that differs (a question with all its options)

    def readings(self) -> list[str]:
        """The texts it is judged by as a rival: its query text and, for a verbatim copy of a
        multiple-choice item (whose wrong options hold the passage), its whole input."""
        return [self.text, self.full] if self.full else [self.text]

    @property
    def name(self) -> str:
        benchmark, split, item_id = self.key
        return f"{benchmark}/{split}#{item_id}" if split else f"{benchmark}#{item_id}"


@dataclass(frozen=True)
class Claim:
    """A sibling that fits a passage at least as well as the item whose match it was, and why
    (``how``: "better", "twin" or "evidence", see ``_wins``)."""

    rival: Sibling
    rival_score: float
    own_score: float
    rival_words: int = 0  # content words each aligns around the passage
    own_words: int = 0
    how: str = "better"

    def note(self, m: SoftMatch) -> str:
        where = f"soft: the best passage (document {m.doc_id!r}, characters {m.start_char}-{m.end_char})"
        digits = 2 if f"{self.rival_score:.2f}" != f"{self.own_score:.2f}" else 3  # 0.614 against 0.606
        scores = f"{self.rival_score:.{digits}f} against {self.own_score:.{digits}f}"
        if self.how == "better":
            return f"{where} fits item {self.rival.name} better ({scores})"
        if self.how == "twin":
            return (f"{where} fits item {self.rival.name} about as well ({scores}): items this alike cannot be "
                    "told apart on it")
        return (f"{where} lies inside a match of item {self.rival.name} (it aligns {self.rival_words} words "
                f"there against {self.own_words}; scores {scores})")


class SiblingPool:
    """The items of a check, with an inverted index of their words built on first use."""

    def __init__(self, items: Iterable[BenchItem], query_text: Callable[[BenchItem], str]):
        seen: dict[tuple[str, str, str], Sibling] = {}
        for it in items:
            key = (it.benchmark, it.split, it.id)
            if key not in seen:
                text = query_text(it)
                seen[key] = Sibling(key, text, it.input if it.input.strip() != text.strip() else "")
        self.siblings = list(seen.values())
        self._where = {s.key: j for j, s in enumerate(self.siblings)}
        self._postings: dict[str, list[int]] | None = None

    def texts(self) -> list[str]:
        """Each distinct item's soft query text (what ``BenchmarkText.of`` reads)."""
        return [s.text for s in self.siblings]

    def sibling(self, item: BenchItem) -> Sibling:
        """The pool's entry for an item of the check (the pool is made from the check's items)."""
        return self.siblings[self._where[(item.benchmark, item.split, item.id)]]

    def _index(self) -> dict[str, list[int]]:
        if self._postings is None:
            postings: dict[str, list[int]] = {}
            for j, s in enumerate(self.siblings):
                for k in {w.key for w in words(s.text) if not w.stop}:
                    postings.setdefault(k, []).append(j)
            self._postings = postings
        return self._postings

    def rivals(self, passage: str, own: Sibling, limit: int | None = None) -> list[Sibling]:
        """The ``limit`` (default ``RIVALS``) siblings (not ``own``, nor one with its text) sharing
        the most weight of the passage's words, a word weighing log(items / items holding it)."""
        limit = RIVALS if limit is None else limit
        postings = self._index()
        n = len(self.siblings)
        common = max(50, COMMON_SHARE * n)
        score: dict[int, float] = {}
        for k in {w.key for w in words(passage) if not w.stop}:
            post = postings.get(k)
            if not post or len(post) > common:
                continue
            idf = math.log(n / len(post))
            for j in post:
                score[j] = score.get(j, 0.0) + idf
        best = heapq.nlargest(limit + 2, score.items(), key=lambda kv: (kv[1], -kv[0]))
        out = [self.siblings[j] for j, _ in best if self.siblings[j].key != own.key and self.siblings[j].text != own.text]
        return out[:limit]


@dataclass
class Contest:
    """One soft match to defend: the item (as a sibling of the pool) and its passage."""

    own: Sibling
    match: SoftMatch


def claims(index: IndexReader, contests: Sequence[Contest], pool: SiblingPool,
           benchmark: BenchmarkText = NO_BENCHMARK, model: str | None = None,
           threshold: float | None = None) -> list[Claim | None]:
    """Per contest, the rival that fits its passage best when it fits at least as well as the item, else None.

    A rival fits as well when it scores higher there, or at least ``TWIN_SHARE`` of the item's
    score and the item aligns no number there that the rival lacks (``_wins``), or (given the
    check's ``threshold``) when it is a soft match there itself, at or above the threshold,
    aligning ``EVIDENCE_RATIO`` times the item's content words: the passage is then a small part of
    a copy of the rival (3 words of a short question inside a copied legal case that reproduces
    30). All queries of all contests are counted in one ``WordStats`` pass."""
    if not contests:
        return []
    texts_of: dict[int, str] = {}
    near = [_region(index, c.match, texts_of, 0) for c in contests]
    entrants = [[c.own, *_union(pool.rivals(c.match.passage, c.own), pool.rivals(text, c.own))]
                for c, (text, _) in zip(contests, near, strict=True)]
    texts = sorted({t for c, group in zip(contests, entrants, strict=True) for s in group
                    for t in _readings(s, c.own)})
    parsed: dict[str, list] = {}
    for t in texts:
        try:
            parsed[t] = check_text(t)
        except InputError:  # too short or too long to judge softly: it cannot claim a passage
            continue
    stats = WordStats(index)
    stats.prepare([w for ws in parsed.values() for w in ws])
    made = {t: soft_query(t, ws, stats) for t, ws in parsed.items()}  # copied per contest: weighting replaces fields
    scored: list[list[Entry]] = []
    regions: list[tuple[str, int]] = []
    for c, group in zip(contests, entrants, strict=True):
        readings = [(s, t) for s in group for t in _readings(s, c.own) if t in parsed]
        queries = [replace(made[t]) for _, t in readings]
        template_factors(queries, benchmark)
        for (s, _), q in zip(readings, queries, strict=True):
            if s is not c.own:  # a rival is judged whole: to take the passage it has to be reproduced as a
                q.parts = q.parts[:1]  # whole (a first line of 3 content words fits any passage holding them)
        # each entrant is scored on the passage and as much text each side as it is long (a copy of
        # a long item around a short passage lies all inside that), cut from one read of the document
        text, base = _region(index, c.match, texts_of, max((len(t) for _, t in readings), default=0))
        regions.append((text, base))
        pw = words(text)
        row = []
        for (s, t), q in zip(readings, queries, strict=True):  # a rival wins by either of its readings
            lo, hi = _bounds(c.match, len(t))
            mine = [w for w in pw if w.start >= lo - base and w.end <= hi - base]
            score, a, b, aligned = verify(q, text, mine)
            row.append(Entry(s, score, base + a, base + b, len(aligned), t, _specific_numbers(aligned)))
        scored.append(row)
    # the word scores first: only a sibling that fits the passage better by words is a rival at all;
    # a sentence model then has to agree (it can veto a claim, never make one), so it encodes only
    # the few passages with such a rival
    rows: list[list[Entry]] = []
    for c, row in zip(contests, scored, strict=True):
        own = next((r for r in row if r.sibling is c.own), None)
        ahead = [] if own is None else [r for r in row if r.sibling is not c.own and _wins(r, own, threshold)
                                        and _overlaps(r.start, r.end, c.match.start_char, c.match.end_char)]
        rows.append([own, *ahead] if ahead else [])
    if model is not None:
        rows = _with_model(model, rows, regions)
    out: list[Claim | None] = []
    for row in rows:
        best: Claim | None = None
        if row:
            own = row[0]
            for r in row[1:]:
                how = _wins(r, own, threshold)
                if how and (best is None or r.score > best.rival_score):
                    best = Claim(r.sibling, r.score, own.score, r.words, own.words, how)
        out.append(best)
    return out


@dataclass(frozen=True)
class Entry:
    """An entrant's best span around a contested passage: score, document characters, words aligned."""

    sibling: Sibling
    score: float
    start: int
    end: int
    words: int
    text: str  # the reading scored (the sibling's query text or its whole input)
    numbers: frozenset[str] = frozenset()  # numbers of 2 or more digits it aligns there (their keys)


def _specific_numbers(aligned: list[list[str]]) -> frozenset[str]:
    """Keys of the aligned numbers that name a quantity of the problem (27 puppies, $80): single
    digits are in every story and every list of examples (``number_weight``)."""
    keys = (w.key for pair in aligned for w in words(pair[0])[:1])
    return frozenset(k for k in keys if k.startswith("#") and number_weight(k) >= 1.0)


def _readings(entrant: Sibling, own: Sibling) -> list[str]:
    """The texts an entrant is scored by: the item its query text, a rival also its whole input."""
    return [entrant.text] if entrant is own else entrant.readings()


def _wins(rival: Entry, own: Entry, threshold: float | None) -> str:
    """How a rival fits the passage at least as well as the item ("" when it does not): "better", a
    higher score; "twin", nearly as high (``TWIN_SHARE``) unless the item aligns a number of 2 or
    more digits there that the rival does not (GSM8K's twin stories "Jana has 27 puppies ..." and
    "... If there are 6 Pomeranian girls" are told apart by their numbers); "evidence", a soft
    match of its own there with ``EVIDENCE_RATIO`` times the item's aligned words."""
    if rival.score > own.score:
        return "better"
    if rival.score > 0 and rival.score >= TWIN_SHARE * own.score and own.numbers <= rival.numbers:
        return "twin"
    if threshold is not None and rival.score >= threshold and rival.words >= EVIDENCE_RATIO * max(own.words, 1):
        return "evidence"
    return ""


def _bounds(m: SoftMatch, length: int) -> tuple[int, int]:
    """Document characters scored around a passage for an entrant whose text is ``length`` long."""
    margin = max(MARGIN_CHARS, m.end_char - m.start_char, length)
    return max(0, m.start_char - margin), m.end_char + margin


def _region(index: IndexReader, m: SoftMatch, texts_of: dict[int, str], length: int) -> tuple[str, int]:
    """The document text around a passage for an entrant ``length`` long (``_bounds``) and the
    character offset it starts at (``texts_of``: documents already read in this call)."""
    text = texts_of.get(m.document)
    if text is None:
        text = texts_of[m.document] = index.document_by_index(m.document).text
    a, b = _bounds(m, length)
    return text[a:b], a


def _union(*groups: list[Sibling]) -> list[Sibling]:
    """The siblings of several rival lists, each once, in order."""
    return list({s.key: s for g in groups for s in g}.values())


def _overlaps(a: int, b: int, c: int, d: int) -> bool:
    shorter = min(b - a, d - c)
    return shorter > 0 and min(b, d) - max(a, c) >= MIN_OVERLAP * shorter


def _with_model(model_dir: str, rows: list[list[Entry]], regions: list[tuple[str, int]]) -> list[list[Entry]]:
    """The word scores mixed with the model's cosine of each entrant's text and its span, as the
    soft tier mixes them (tracer.query.soft.model.combined_score); each distinct text is encoded once."""
    from tracer.query.soft.model import combined_score, load_model

    pairs = [(r.text, text[r.start - base : r.end - base]) for row, (text, base) in zip(rows, regions, strict=True)
             for r in row]
    if not pairs:
        return rows
    distinct = list(dict.fromkeys(t for p in pairs for t in p))
    vecs = load_model(model_dir).embed(distinct)
    at = {t: k for k, t in enumerate(distinct)}
    out = []
    for row, (text, base) in zip(rows, regions, strict=True):
        out.append([replace(r, score=combined_score(r.score, float(vecs[at[r.text]]
                                                                   @ vecs[at[text[r.start - base : r.end - base]]]))
                            if r.end > r.start else 0.0) for r in row])
    return out
