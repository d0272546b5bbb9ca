"""``Index.find_similar``: corpus passages that say what a query says, in other words.

Candidates come from the index (``retrieve``); each is verified on words: the document text
around the window is split into words, each aligned to the query word with the same key (stem
or number value), and a numba kernel picks the passage span with the best weighted F-score of
query recall and passage precision times number agreement (``tracer_native.best_aligned_span``).
Reordering and inserted or deleted words cost little; a different problem (other numbers, other
names and rare words) scores low. Offsets are the document's own characters, as find and trace.
Queries that are items of a benchmark (the contamination tier) are verified with each word's
weight also scaled by how few of the benchmark's items hold it (``BenchmarkText.distinctness``).

Each match also says in how many *other* documents the query's words come together about as well
(``elsewhere``: a verified passage there scores at least ``COMMON_SHARE`` of the match's score and
is not a copy of the same sentence). A passage that stands alone is specific; the same few words
found in many unrelated places ("a remote procedure call", "integer overflow occurs") are a
common phrase of the corpus, and the contamination tier does not take a short one for a copy.
Each match also carries ``chance``: how many passages of its length the corpus would hold with its
aligned words by chance alone (``log_chance``), for the phrases whose other places the search did
not look at; and ``asks``: whether its sentence asks something (``sentence_asks``), with the words
of that sentence (``around``), for telling a copy of a question from a statement on its subject.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from tracer.errors import InputError
from tracer.index.reader import IndexReader
from tracer.query.documents import character_start, doc_span, positions_to_docs
from tracer.query.options import SoftOptions, check_int, resolve
from tracer.query.soft.query import (
    NO_BENCHMARK,
    BenchmarkText,
    SoftQuery,
    WordStats,
    check_text,
    soft_query,
    template_factors,
)
from tracer.query.soft.retrieve import Candidate, Locator, candidates
from tracer.query.soft.words import Word, number_weight, words
from tracer_native import best_aligned_span

if TYPE_CHECKING:
    from tracer.query.soft.model import SentenceModel

SPAN_FACTOR = 2.0  # a passage holds at most 2x the query's words (+ slack)
SPAN_SLACK = 16
REGION_FACTOR = 0.5  # verify the text of a candidate window and half a query length of context each side
BETA2 = 1.0  # F1 of recall and precision
NUMBER_FLOOR = 0.2  # the score kept when no number agrees
MIN_EVIDENCE = 5  # signal words a passage needs to score fully (fewer: proportionally less)
COMMON_SHARE = 0.6  # another document's passage scoring this share of a match's score says the same
SAME_TEXT = 0.8  # sentences sharing this share of their words beyond the query's: copies of one text
SENTENCE_END = re.compile(r"[.?!]\s|\n\s*\n|\n(?=\s*[-*#>\d])")  # where a passage's sentence stops
CLAUSE_END = re.compile(r"[.?!:](?=\s|$)|\n\s*\n")  # ... and where a question's stem stops ("... were:")
# a question mark, a stem ending in a colon, or a question word opening a clause ("Which of ...",
# not the relative "Mercury and Venus, which are nearer")
ASKING = re.compile(r"\?|:(?=\s|$)|(?:^\s*|[.?!:]\s+|\n\s*)(?:what|which|who|whom|whose|how|why|when|where)\b", re.I)


@dataclass
class SoftMatch:
    """A passage similar to the query: where it is (document, raw char offsets), how similar
    (``score`` 0..1, higher is closer) and why (``aligned`` [query word, passage word] pairs)."""

    score: float
    document: int  # global document number
    doc_id: str
    start_char: int  # in the document's own text
    end_char: int
    passage: str  # the document text between them
    aligned: list[list[str]]
    lexical: float | None = None  # with a model: the word verifier's score and the model's cosine
    semantic: float | None = None  # (``score`` mixes them; tracer.query.soft.model)
    elsewhere: int = 0  # other documents (of the verified candidates) where the words come together as well
    chance: float | None = None  # log10 of the passages this long holding the aligned words by chance (``log_chance``)
    asks: bool | None = None  # the passage's sentence asks something (``sentence_asks``)
    around: frozenset[str] = field(default=frozenset(), repr=False)  # word keys of its sentence (``sentence_keys``)

    def to_json(self) -> dict:
        out = {"score": round(self.score, 4), "document": self.document, "doc_id": self.doc_id,
               "start_char": self.start_char, "end_char": self.end_char, "passage": self.passage,
               "aligned": self.aligned, "elsewhere": self.elsewhere}
        if self.lexical is not None:
            out["lexical_score"] = round(self.lexical, 4)
        if self.semantic is not None:
            out["model_score"] = round(self.semantic, 4)
        return out


def _region(index: IndexReader, q: SoftQuery, c: Candidate) -> tuple[int, str, str, int] | None:
    """(document, doc id, region text, its char offset in the document) around a candidate window."""
    shard = index.shards[c.shard]
    local = int(positions_to_docs(shard, np.asarray([c.first]))[0])
    da, db = shard.doc_range(local)
    margin = int(REGION_FACTOR * q.n_tokens) + 8
    t0 = character_start(index, shard.tokens, max(da, c.first - margin), c.first)
    t1 = min(db, c.last + margin + 8)
    if t1 <= t0:
        return None
    span = doc_span(index, c.shard, t0, t1 - t0, context=1)
    a = span.char_start - span.snippet_start
    text = span.snippet[a : a + (span.char_end - span.char_start)]
    return span.doc_index, span.doc_id, text, span.char_start


def verify(q: SoftQuery, text: str, pw: list[Word] | None = None) -> tuple[float, int, int, list[list[str]]]:
    """(score, start char, end char, aligned pairs) of the best span of ``text`` for query ``q``
    (``pw``: ``words(text)`` when the caller has them: several queries judged on one text)."""
    if pw is None:
        pw = words(text)
    if not pw:
        return 0.0, 0, 0, []
    ids = q.key_id
    key = np.asarray([ids.get(w.key, -1) for w in pw], dtype=np.int64)
    content = np.asarray([not w.stop and not w.number for w in pw], dtype=np.bool_)
    number_w = np.asarray([number_weight(w.key) if w.number else 0.0 for w in pw], dtype=np.float64)
    max_len = int(SPAN_FACTOR * len(q.words) + SPAN_SLACK)
    score, a, b = 0.0, -1, -1
    for weight in q.parts:
        if q.distinct is not None:
            weight = weight * q.distinct
        signal = q.signal & (weight > 0)
        min_keys = float(max(1, min(MIN_EVIDENCE, int(signal.sum()))))
        s, x, y = best_aligned_span(key, content, number_w, weight, q.number_w, signal, max_len,
                                    float(weight.sum()), min_keys, BETA2, NUMBER_FLOOR)
        if s > score:
            score, a, b = s, x, y
    if a < 0:
        return 0.0, 0, 0, []
    aligned: list[list[str]] = []
    seen: set[int] = set()
    for w, k in zip(pw[a : b + 1], key[a : b + 1].tolist(), strict=True):
        if k >= 0 and k not in seen and not q.first[q.keys[k]].stop:
            seen.add(k)
            aligned.append([q.first[q.keys[k]].text, w.text])
    return float(score), pw[a].start, pw[b].end, aligned


def _search(index: IndexReader, q: SoftQuery, loc: Locator, least: float, opts: SoftOptions) -> list[SoftMatch]:
    """Verified candidate passages scoring at least ``least``, best first, overlaps removed, each
    with its ``elsewhere`` count over all verified candidates."""
    verified: list[tuple[SoftMatch, str, int, int]] = []  # with the region text and the span in it
    for c in candidates(q, loc, opts):
        region = _region(index, q, c)
        if region is None:
            continue
        doc, doc_id, text, base = region
        score, s, e, aligned = verify(q, text)
        if score <= 0.0 or e <= s:
            continue
        verified.append((SoftMatch(score, doc, doc_id, base + s, base + e, text[s:e], aligned), text, s, e))
    found = _best_apart([m for m, *_ in verified if m.score >= least])
    if found:
        _count_elsewhere(q, found, verified)
        region_of = {id(m): (text, s, e) for m, text, s, e in verified}
        for m in found:
            m.chance = log_chance(q, m.aligned, len(index.tokenizer.encode(m.passage)), index.n_tokens)
            m.asks = sentence_asks(*region_of[id(m)])
            m.around = sentence_keys(*region_of[id(m)])
    return found


def sentence_asks(text: str, start: int, end: int) -> bool:
    """Whether the clauses of ``text`` holding ``text[start:end]`` ask something (``asks``); a
    clause stops at a sentence end, a colon or a blank line."""
    a = 0
    for hit in CLAUSE_END.finditer(text, 0, start):
        a = hit.end()
    hit = CLAUSE_END.search(text, end)
    return asks(text[a : hit.end() if hit else len(text)])


def asks(text: str) -> bool:
    """A question mark, a stem ending in a colon ("The middle classes that emerged in the 1800s
    were:") or a clause opening with a question word ("Which of the following best describes"):
    how a question reads, rephrased or not. A relative "which" or "who" inside a clause is a
    statement's ("Mercury and Venus, which are nearer to the sun")."""
    return bool(ASKING.search(text))


def log_chance(q: SoftQuery, aligned: list[list[str]], passage_tokens: int, corpus_tokens: int) -> float:
    """log10 of how many passages of ``passage_tokens`` tokens a corpus of ``corpus_tokens`` would
    hold with all the aligned query words if words fell independently: each word is in a given
    passage with probability min(1, length * its corpus frequency). About 0 or more (one such
    passage or more, by chance alone): the words are frequent enough to meet anywhere ("operate",
    "blocking", "mode"); a name or a rare term among them makes it small. Independence makes the
    estimate low for words that go together (a phrase): the test errs towards calling a match
    evidence."""
    ids = {q.first[k].text: i for i, k in enumerate(q.keys)}
    length = math.log10(max(passage_tokens, 1))
    log_p = [min(0.0, length - float(q.rarity[ids[a]])) for a, _ in aligned if a in ids]
    return math.log10(max(corpus_tokens, 1)) + sum(log_p)


def _count_elsewhere(q: SoftQuery, found: list[SoftMatch], verified: list[tuple[SoftMatch, str, int, int]]) -> None:
    """Set each match's ``elsewhere``: the other documents whose verified passage scores at least
    ``COMMON_SHARE`` of its score, unless it is a copy of the same text (a benchmark mirrored in
    several places is one text however many times it occurs). Two passages are copies when the
    words of their sentences beyond the query's own are mostly the same: what surrounds a copied
    paraphrase travels with it, what surrounds a common phrase does not. A sentence holding
    nothing beyond the query's words (a heading "Remote Procedure Call") cannot tell, and counts."""
    own = frozenset(q.keys)
    context: dict[int, frozenset[str]] = {}

    def beyond(k: int) -> frozenset[str]:
        if k not in context:
            _, text, s, e = verified[k]
            context[k] = sentence_keys(text, s, e) - own
        return context[k]

    at = {id(m): k for k, (m, *_) in enumerate(verified)}
    for m in found:
        mine = beyond(at[id(m)])
        docs = set()
        for k, (o, *_) in enumerate(verified):
            if o.document == m.document or o.document in docs or o.score < COMMON_SHARE * m.score:
                continue
            theirs = beyond(k)
            if not (mine and theirs and len(mine & theirs) >= SAME_TEXT * len(mine | theirs)):
                docs.add(o.document)
        m.elsewhere = len(docs)


def sentence_keys(text: str, start: int, end: int) -> frozenset[str]:
    """The word keys of the sentence (or line of a list) of ``text`` holding ``text[start:end]``."""
    a = 0
    for hit in SENTENCE_END.finditer(text, 0, start):
        a = hit.end()
    hit = SENTENCE_END.search(text, end)
    b = hit.start() + 1 if hit else len(text)
    return frozenset(w.key for w in words(text[a:b]))


def _best_apart(found: list[SoftMatch]) -> list[SoftMatch]:
    """Best first; of matches overlapping in one document (windows of one passage found twice) the better."""
    found.sort(key=lambda m: (-m.score, m.document, m.start_char))
    kept: list[SoftMatch] = []
    for m in found:
        if any(k.document == m.document and m.start_char < k.end_char and k.start_char < m.end_char for k in kept):
            continue
        kept.append(m)
    return kept


def _rescore(model: SentenceModel, queries: list[SoftQuery], found: list[list[SoftMatch]], least: float,
             limit: int) -> list[list[SoftMatch]]:
    """Each query's best ``max(RESCORED, limit)`` passages, scored again with the sentence model's cosine mixed
    in (one batched encoder pass for all queries and passages); kept when the mix reaches ``least``."""
    from tracer.query.soft.model import RESCORED, combined_score

    found = [f[: max(RESCORED, limit)] for f in found]
    busy = [i for i, f in enumerate(found) if f]
    texts = [queries[i].text for i in busy] + [m.passage for i in busy for m in found[i]]
    if not texts:
        return found
    vecs = model.embed(texts)
    at = len(busy)
    out: list[list[SoftMatch]] = [[] for _ in found]
    for row, i in enumerate(busy):
        for m in found[i]:
            cos = float(np.dot(vecs[row], vecs[at]))
            at += 1
            score = combined_score(m.score, cos)
            if score >= least:
                out[i].append(replace(m, score=score, lexical=m.score, semantic=cos))
        out[i].sort(key=lambda m: (-m.score, m.document, m.start_char))
    return out


def find_similar_many(index: IndexReader, texts: Sequence[str], limit: int = 10, options: SoftOptions | None = None,
                      benchmark: BenchmarkText = NO_BENCHMARK, **overrides) -> list[list[SoftMatch]]:
    """``find_similar`` of many texts, counting and locating each distinct word once.

    ``benchmark``: what the items of the benchmark the texts come from share (template passages,
    how many items hold each word: ``BenchmarkText``; the contamination soft tier passes it).

    Every text is checked first (a bad one raises ``InputError``/``TooShortError`` naming its
    number), so nothing runs on a batch that cannot finish."""
    opts = resolve(SoftOptions, options, overrides)
    texts = list(texts)
    check_int("limit", limit, 0)
    all_words = []
    for i, t in enumerate(texts):
        try:
            all_words.append(check_text(t))
        except InputError as e:
            raise type(e)(f"text {i}: {e}" if len(texts) > 1 else str(e)) from None
    stats = WordStats(index)
    stats.prepare([w for ws in all_words for w in ws])
    loc = Locator(index, stats, opts.occurrences)
    queries = [soft_query(t, ws, stats) for t, ws in zip(texts, all_words, strict=True)]
    template_factors(queries, benchmark)
    if limit == 0:
        return [[] for _ in queries]
    least = opts.score_threshold
    if opts.model is None:
        return [_search(index, q, loc, least, opts)[:limit] for q in queries]
    from tracer.query.soft.model import MODEL_FLOOR, load_model

    model = load_model(opts.model)  # a bad model directory fails before the search runs
    found = [_search(index, q, loc, MODEL_FLOOR, opts) for q in queries]
    return [f[:limit] for f in _rescore(model, queries, found, least, limit)]


def find_similar(index: IndexReader, text: str, limit: int = 10, options: SoftOptions | None = None,
                 **overrides) -> list[SoftMatch]:
    """Up to ``limit`` passages of the corpus similar to ``text``, best first (score >= threshold;
    with ``model``, the word score and the model's cosine mixed: tracer.query.soft.model)."""
    return find_similar_many(index, [text], limit, options, **overrides)[0]
