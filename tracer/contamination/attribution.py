"""Which item of a check a soft passage belongs to.

A corpus copy of one benchmark item, verbatim or rephrased, also resembles its siblings: MMLU
questions on one topic share 3-6 rare words, and a GSM8K story with other numbers shares its names
and nouns. Judged alone, a sibling can reach the soft threshold on that copy (most of the soft
tier's false positives on the evaluation of benchmarks/scripts/soft_eval.py are exactly this). A
passage is the copy of at most one item, so before a soft match makes an item contaminated, the
check scores the passage's neighbourhood in its document against the items of the check (and its
reference) that share the most of the passage's words. When one of them fits better, the passage
is that item's, and the item keeps its next passage or none (note ``soft: ... fits item X
better``).

The rivals of an item are taken from the whole check, never from the batch it falls in, so an
item's result does not depend on batching (streamed results stay the same). Both the item and its
rivals are scored afresh the same way (one small batch, the benchmark's shared passages as
template), so the comparison is like for like; with a sentence model the scores mix in its cosine
as the soft tier's own scores do.
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
from tracer.query.soft.query import WordStats, check_text, soft_query, template_factors
from tracer.query.soft.search import verify
from tracer.query.soft.words import words

RIVALS = 6  # siblings scored against each passage: those sharing the most of its rare words
COMMON_SHARE = 0.05  # words in more than this share of the pool's items (and 50) do not pick rivals
MARGIN_CHARS = 200  # document text scored around a passage, at least this much each side
MIN_OVERLAP = 0.5  # a rival's best span must cover this share of the shorter span to claim the passage


@dataclass(frozen=True)
class Sibling:
    key: tuple[str, str, str]  # benchmark, split, id
    text: str  # what the soft tier searches for it (tracer.contamination.soft.soft_query_text)

    @property
    def name(self) -> str:
        benchmark, split, item_id = self.key
        return f"{benchmark}/{split}#{item_id}" if split else f"{benchmark}#{item_id}"


@dataclass(frozen=True)
class Claim:
    """A sibling that fits a passage better than the item whose match it was."""

    rival: Sibling
    rival_score: float
    own_score: float

    def note(self, m: SoftMatch) -> str:
        return (f"soft: the best passage (document {m.doc_id!r}, characters {m.start_char}-{m.end_char}) fits "
                f"item {self.rival.name} better ({self.rival_score:.2f} against {self.own_score:.2f})")


class SiblingPool:
    """The items of a check, with an inverted index of their words built on first use."""

    def __init__(self, items: Iterable[BenchItem], query_text: Callable[[BenchItem], str]):
        seen: dict[tuple[str, str, str], Sibling] = {}
        for it in items:
            key = (it.benchmark, it.split, it.id)
            if key not in seen:
                seen[key] = Sibling(key, query_text(it))
        self.siblings = list(seen.values())
        self._where = {s.key: j for j, s in enumerate(self.siblings)}
        self._postings: dict[str, list[int]] | None = None

    def texts(self) -> list[str]:
        """Each distinct item's soft query text (what ``shared_passages`` reads)."""
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
           passages: frozenset[tuple[str, ...]] = frozenset(), model: str | None = None) -> list[Claim | None]:
    """Per contest, the rival that fits its passage best when it fits better than the item itself, else None.
    All queries of all contests are counted in one ``WordStats`` pass."""
    if not contests:
        return []
    texts_of: dict[int, str] = {}
    regions = [_region(index, c.match, texts_of) for c in contests]
    entrants = [[c.own, *pool.rivals(c.match.passage, c.own)] for c in contests]
    texts = sorted({s.text for group in entrants for s in group})
    parsed: dict[str, list] = {}
    for t in texts:
        try:
            parsed[t] = check_text(t)
        except InputError:  # too short or too long to judge softly: it cannot claim a passage
            continue
    stats = WordStats(index)
    stats.prepare([w for ws in parsed.values() for w in ws])
    made = {t: soft_query(t, ws, stats) for t, ws in parsed.items()}  # copied per contest: weighting replaces fields
    scored: list[list[tuple[Sibling, float, int, int]]] = []
    for c, (text, base), group in zip(contests, regions, entrants, strict=True):
        group = [s for s in group if s.text in parsed]
        queries = [replace(made[s.text]) for s in group]
        template_factors(queries, passages)
        for s, q in zip(group, queries, strict=True):
            if s is not c.own:  # a rival is judged whole: to take the passage it has to be reproduced as a
                q.parts = q.parts[:1]  # whole (a first line of 3 content words fits any passage holding them)
        row = []
        pw = words(text)
        for s, q in zip(group, queries, strict=True):
            score, a, b, _ = verify(q, text, pw)
            row.append((s, score, base + a, base + b))
        scored.append(row)
    # the word scores first: only a sibling that fits the passage better by words is a rival at all;
    # a sentence model then has to agree (it can veto a claim, never make one), so it encodes only
    # the few passages with such a rival
    rows: list[list[tuple[Sibling, float, int, int]]] = []
    for c, row in zip(contests, scored, strict=True):
        own = next((r for r in row if r[0] is c.own), None)
        ahead = [] if own is None else [r for r in row if r[0] is not c.own and r[1] > own[1]
                                        and _overlaps(r[2], r[3], c.match.start_char, c.match.end_char)]
        rows.append([own, *ahead] if ahead else [])
    if model is not None:
        rows = _with_model(model, rows, regions)
    out: list[Claim | None] = []
    for row in rows:
        best: Claim | None = None
        if row:
            own_score = row[0][1]
            for s, score, _, _ in row[1:]:
                if score > own_score and (best is None or score > best.rival_score):
                    best = Claim(s, score, own_score)
        out.append(best)
    return out


def _region(index: IndexReader, m: SoftMatch, texts_of: dict[int, str]) -> tuple[str, int]:
    """The document text around a passage and the character offset it starts at (``texts_of``:
    documents already read in this call)."""
    text = texts_of.get(m.document)
    if text is None:
        text = texts_of[m.document] = index.document_by_index(m.document).text
    margin = max(MARGIN_CHARS, m.end_char - m.start_char)
    a = max(0, m.start_char - margin)
    return text[a : m.end_char + margin], a


def _overlaps(a: int, b: int, c: int, d: int) -> bool:
    shorter = min(b - a, d - c)
    return shorter > 0 and min(b, d) - max(a, c) >= MIN_OVERLAP * shorter


def _with_model(model_dir: str, rows: list[list[tuple[Sibling, float, int, int]]],
                regions: list[tuple[str, int]]) -> list[list[tuple[Sibling, float, int, int]]]:
    """The word scores mixed with the model's cosine of each entrant's text and its span, as the
    soft tier mixes them (tracer.query.soft.model.combined_score); each distinct text is encoded once."""
    from tracer.query.soft.model import combined_score, load_model

    pairs = [(s.text, text[a - base : b - base]) for row, (text, base) in zip(rows, regions, strict=True)
             for s, _, a, b in row]
    if not pairs:
        return rows
    distinct = list(dict.fromkeys(t for p in pairs for t in p))
    vecs = load_model(model_dir).embed(distinct)
    at = {t: k for k, t in enumerate(distinct)}
    out = []
    for row, (text, base) in zip(rows, regions, strict=True):
        out.append([(s, combined_score(score, float(vecs[at[s.text]] @ vecs[at[text[a - base : b - base]]]))
                     if b > a else 0.0, a, b) for s, score, a, b in row])
    return out
