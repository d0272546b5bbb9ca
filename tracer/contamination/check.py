"""``check_items``: benchmark items -> per-item metrics, verdicts and matched documents.

Items are processed in batches: the tokens of all their parts go into one query array and
one parallel kernel call per shard computes the longest corpus match at every word start
(other positions get an empty limit and cost nothing; a match never runs past its part).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tracer.contamination.attribution import Contest, SiblingPool, claims
from tracer.contamination.inputs import BenchItem
from tracer.contamination.metrics import PartMetrics, combine, part_metrics, runs, template_mask, word_matches
from tracer.contamination.options import CheckOptions
from tracer.contamination.soft import multiple_choice, soft_query_text, soft_verdicts
from tracer.contamination.verdict import evidence_note, judge
from tracer.contamination.words import (
    PreparedText,
    content_mask,
    is_content_word,
    json_escaped,
    ngram_hashes,
    prepare,
    short_number_mask,
    text_ngram_hashes,
)
from tracer.errors import InputError
from tracer.index.pointers import sa_slice
from tracer.index.reader import IndexReader
from tracer.query.documents import DocSpan, doc_span, positions_to_docs
from tracer.query.longest import longest_lengths, spans_with_counts
from tracer.query.soft import SoftMatch
from tracer.query.soft.query import NO_BENCHMARK, BenchmarkText
from tracer.query.soft.search import asks
from tracer.query.soft.words import STOPWORDS
from tracer.query.soft.words import words as soft_words
from tracer.tokenize import RawOffsets

BATCH_TOKENS = 1 << 20  # query tokens per kernel call, at most
FIRST_BATCH_TOKENS = 1 << 13  # the first call's: the first results come quickly
PART_NAMES = ("input", "label")


@dataclass
class MatchedSpan:
    """A matched run of an item's words and where one of its occurrences lies in a document."""

    part: str
    start: int  # char range in the part's raw text
    end: int
    words: int
    count: int  # corpus occurrences of the span
    char_start: int  # char range in the document's own (raw) text
    char_end: int
    snippet: str
    snippet_start: int

    def to_json(self) -> dict:
        return {"part": self.part, "start": self.start, "end": self.end, "words": self.words, "count": self.count,
                "char_start": self.char_start, "char_end": self.char_end, "snippet": self.snippet,
                "snippet_start": self.snippet_start}


@dataclass
class DocumentMatch:
    """A corpus document that holds some of the item's matched spans."""

    doc_index: int
    doc_id: str
    meta: dict[str, Any]
    matched_words: int
    spans: list[MatchedSpan] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"doc_index": self.doc_index, "doc_id": self.doc_id, "meta": self.meta,
                "matched_words": self.matched_words, "spans": [s.to_json() for s in self.spans]}


@dataclass
class ItemResult:
    """Everything found for one item; ``to_json`` is the JSONL line of ``tracer contamination``."""

    item: BenchItem
    parts: dict[str, PartMetrics]
    documents: list[DocumentMatch]
    contaminated: bool
    category: str
    short: bool
    verdict_on: str
    method: str
    note: str = ""  # why the item cannot be contaminated on its evidence (verdict.evidence_note), or ""
    match: str | None = None  # the tier that made it contaminated: exact, normalized, soft (or None)
    soft: SoftMatch | None = None  # the best soft match (only when the soft tier searched the item)
    soft_note: str = ""  # why the soft tier did not search it (too short / too long), or ""
    soft_checked: bool = False  # the check ran with the soft tier

    @property
    def verdict_part(self) -> PartMetrics:
        return self.parts[self.verdict_on]

    def to_json(self) -> dict:
        vp = self.verdict_part
        return {
            "id": self.item.id, "benchmark": self.item.benchmark, "split": self.item.split,
            "contaminated": self.contaminated, "category": self.category, "method": self.method,
            "coverage": round(vp.coverage, 4), "skip_coverage": round(vp.skip_coverage, 4),
            "longest_match": vp.longest_match,
            "longest_match_fraction": round(vp.longest_match_fraction, 4), "short": self.short,
            "not_enough_evidence": bool(self.note), "note": self.note, "source": self.item.source,
            "parts": {k: v.to_json() for k, v in self.parts.items()},
            "documents": [d.to_json() for d in self.documents],
            "match": self.match,
        } | self._soft_json()

    def _soft_json(self) -> dict:
        if not self.soft_checked:
            return {}
        out: dict = {"soft": self.soft.to_json() if self.soft is not None else None}
        if self.soft_note:
            out["soft_note"] = self.soft_note
        return out


@dataclass
class PartEvidence:
    """One spelling of one part: its words, the corpus match from each word (``m``, in words),
    the template words left out (``template``, or None) and the effective span lengths."""

    part: str
    prep: PreparedText
    m: np.ndarray
    template: np.ndarray | None
    ngram: int  # min(--ngram, words of the item's longest part)
    gpt3_ngram: int


@dataclass
class _Part:
    item_no: int
    name: str
    prep: PreparedText
    offset: int  # of its tokens in the batch query


@dataclass
class _Span:
    """A span whose count (and SA ranges) the batch asks for."""

    part: _Part
    word: int
    words: int
    tok_start: int  # in the batch query
    tok_len: int


def _spellings(index: IndexReader, text: str, variants: bool) -> list[PreparedText]:
    """The part as written and, if it differs, as escaped inside a JSON string."""
    out = [prepare(index, text)]
    esc = json_escaped(text) if variants and text else None
    if esc is not None:
        out.append(prepare(index, text, esc))
    return out


def check_items(
    index: IndexReader, items: Iterable[BenchItem], options: CheckOptions | None = None,
    progress: Callable[[int], None] | None = None, reference: Iterable[BenchItem] | None = None,
    evidence: list[list[PartEvidence]] | None = None, soft_floor: float | None = None,
) -> list[ItemResult]:
    """Check every item against the index; ``progress(k)`` is called as each k more items are done.

    ``reference``: more items of the same benchmarks (e.g. the whole benchmark when only some
    items are checked, as a harness asking item by item does) that count when finding the
    template text shared by several items; items in both lists count once.

    Each part is matched as written and as JSON-escaped text (benchmark copies inside JSON
    strings); the spelling with the higher coverage is reported.

    ``evidence``: a list that receives, per item in order, every spelling of every part with its
    word matches (``PartEvidence``): what decontamination locates in the corpus.

    ``soft_floor``: with ``options.soft``, keep soft matches down to this score (below the soft
    threshold they are reported but do not make the item contaminated; for evaluations).
    """
    return list(iter_check_items(index, items, options, progress, reference, evidence, soft_floor))


def iter_check_items(
    index: IndexReader, items: Iterable[BenchItem], options: CheckOptions | None = None,
    progress: Callable[[int], None] | None = None, reference: Iterable[BenchItem] | None = None,
    evidence: list[list[PartEvidence]] | None = None, soft_floor: float | None = None,
) -> Iterator[ItemResult]:
    """``check_items`` yielding each item's result, in item order, as soon as it is done (gRPC
    streams them). Batches start small and double up to ``BATCH_TOKENS``, so the first results
    come after a small kernel call while large benchmarks still run in large batches; an item's
    result does not depend on the batch it falls in."""
    opts = options or CheckOptions()
    prepared = []
    for item in items:
        preps = [_spellings(index, item.input, opts.json_variants), _spellings(index, item.label, opts.json_variants)]
        if preps[0][0].n_words + preps[1][0].n_words == 0:
            raise InputError(f"{item.source or item.id}: benchmark item has no text in its input or label")
        prepared.append((item, preps))
    reference = list(reference or ())
    templates = _template_ngrams(index, prepared, reference, opts)
    pool = SiblingPool([it for it, _ in prepared] + reference, soft_query_text) if opts.soft else None
    benchmark = BenchmarkText.of(pool.texts()) if pool else NO_BENCHMARK
    batch: list[tuple[BenchItem, list[list[PreparedText]]]] = []
    size, limit = 0, FIRST_BATCH_TOKENS
    for item, preps in prepared:
        batch.append((item, preps))
        size += sum(len(p.ids) for ps in preps for p in ps)
        if size >= limit:
            yield from _results(index, batch, opts, templates, progress, evidence, soft_floor, benchmark, pool)
            batch, size, limit = [], 0, min(2 * limit, BATCH_TOKENS)
    if batch:
        yield from _results(index, batch, opts, templates, progress, evidence, soft_floor, benchmark, pool)


def _results(index: IndexReader, batch: list[tuple[BenchItem, list[list[PreparedText]]]], opts: CheckOptions,
             templates: dict[str, set[int]], progress: Callable[[int], None] | None,
             evidence: list[list[PartEvidence]] | None = None,
             soft_floor: float | None = None,
             benchmark: BenchmarkText = NO_BENCHMARK,
             pool: SiblingPool | None = None) -> Iterator[ItemResult]:
    own: list[frozenset[str]] = []
    results: Iterable[ItemResult] = _check_batch(index, batch, opts, templates, evidence, own)
    if opts.soft:
        results = apply_soft_tier(index, list(results), own, opts, soft_floor, benchmark, pool)
    for result in results:
        yield result
        if progress:
            progress(1)


def _template_ngrams(
    index: IndexReader, prepared: list[tuple[BenchItem, list[list[PreparedText]]]], reference: Iterable[BenchItem],
    opts: CheckOptions,
) -> dict[str, set[int]]:
    """Per benchmark: word n-grams found in >= opts.template_items of its items (see metrics.py)."""
    if not opts.template_items:
        return {}
    counts: dict[str, Counter[int]] = {}
    seen: set[tuple[str, str, str]] = set()
    for item, preps in prepared:
        seen.add((item.benchmark, item.split, item.id))
        own: set[int] = set()
        for spellings in preps:
            own.update(ngram_hashes(spellings[0], opts.ngram))
        counts.setdefault(item.benchmark, Counter()).update(own)
    for item in reference:
        if (item.benchmark, item.split, item.id) in seen:
            continue
        seen.add((item.benchmark, item.split, item.id))
        own = set(text_ngram_hashes(index, item.input, opts.ngram)) | set(text_ngram_hashes(index, item.label, opts.ngram))
        counts.setdefault(item.benchmark, Counter()).update(own)
    return {b: {h for h, k in c.items() if k >= opts.template_items} for b, c in counts.items()}


def _check_batch(
    index: IndexReader, batch: list[tuple[BenchItem, list[list[PreparedText]]]], opts: CheckOptions,
    templates: dict[str, set[int]], evidence_out: list[list[PartEvidence]] | None = None,
    own_out: list[frozenset[str]] | None = None,
) -> Iterator[ItemResult]:
    """The batch's results in item order, each yielded once its documents are located.

    ``own_out`` receives per item the casefolded content words (no stopwords) of its input outside
    template text: what a soft match must align (``apply_soft_tier``)."""
    parts: list[_Part] = []
    offset = 0
    for i, (_, preps) in enumerate(batch):
        for name, spellings in zip(PART_NAMES, preps, strict=True):
            for p in spellings:
                parts.append(_Part(i, name, p, offset))
                offset += len(p.ids)
    query = np.zeros(offset, dtype=index.dtype)
    limits = np.arange(offset, dtype=np.int64)  # empty range: not a word start
    for part in parts:
        p, o = part.prep, part.offset
        query[o : o + len(p.ids)] = p.ids
        limits[o + p.word_tok] = o + len(p.ids)
    tok_lengths = longest_lengths(index, query, limits)  # query.longest serializes where numba needs it

    # per part: the best spelling's word matches and metrics; spans to count and locate
    raw_template: dict[tuple[int, str], np.ndarray] = {}
    raw_content: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
    own: dict[int, frozenset[str]] = {}
    evidence: dict[int, list[PartEvidence]] = {}
    chosen: dict[tuple[int, str], tuple[_Part, np.ndarray, PartMetrics]] = {}
    for part in parts:
        p, o = part.prep, part.offset
        preps = batch[part.item_no][1]
        longest_part = max(ps[0].n_words for ps in preps)
        n_eff = min(opts.ngram, longest_part)
        gpt3_n = min(opts.gpt3_ngram, longest_part)
        lens = tok_lengths[o : o + len(p.ids)]
        m = word_matches(p.word_tok, p.word_ends, p.tok_ends, lens)
        template = templates.get(batch[part.item_no][0].benchmark)
        tmask = None
        if template:
            key = (part.item_no, part.name)
            if key not in raw_template:  # the part as written comes first: its words define the template text
                tmask = template_mask(ngram_hashes(p, opts.ngram), opts.ngram, p.n_words, template)
                raw_template[key] = _raw_char_mask(p, tmask)
            else:  # other spellings: a word is template text if its first raw character is
                starts = p.word_starts if p.raw_of is None else p.raw_of[p.word_starts]
                tmask = raw_template[key][np.minimum(starts, len(raw_template[key]) - 1)]
        key = (part.item_no, part.name)
        if key not in raw_content:  # as for template text: the part as written decides
            cmask, nmask = content_mask(p), short_number_mask(p)
            raw_content[key] = (_raw_word_chars(p, cmask), _raw_word_chars(p, nmask))
        else:
            starts = p.word_starts if p.raw_of is None else p.raw_of[p.word_starts]
            cmask, nmask = (chars[np.minimum(starts, len(chars) - 1)] for chars in raw_content[key])
        pm, covered = part_metrics(m, n_eff, gpt3_n, opts.skip_budget, len(p.ids), p.word_tok, len(p.ids), tmask,
                                   cmask, nmask)
        if part.name == "input" and part.item_no not in own:  # the part as written: what the soft tier needs
            mine = cmask if tmask is None else cmask & ~tmask
            own[part.item_no] = frozenset(piece for w in np.flatnonzero(mine).tolist() for piece in
                                          _pieces(p.qtext[int(p.word_starts[w]) : int(p.word_ends[w])])) - STOPWORDS
        evidence.setdefault(part.item_no, []).append(PartEvidence(part.name, p, m, tmask, n_eff, gpt3_n))
        pm.text = p.text
        pm.spans = [p.raw_range(int(p.word_starts[a]), int(p.word_ends[b - 1])) for a, b in runs(covered)]
        key = (part.item_no, part.name)
        old = chosen.get(key)
        if old is None or (pm.coverage, pm.longest_match_fraction) > (old[2].coverage, old[2].longest_match_fraction):
            chosen[key] = (part, m, pm)

    spans: list[_Span] = []
    best_span: dict[tuple[int, str], int] = {}
    doc_spans: dict[int, list[int]] = {}
    for (i, name), (part, m, pm) in chosen.items():
        p, o = part.prep, part.offset
        lens = tok_lengths[o : o + len(p.ids)]
        if pm.longest_match > 0:
            w = int(np.argmax(m))
            best_span[(i, name)] = len(spans)
            spans.append(_word_span(part, w, int(m[w])))
        if opts.max_documents and pm.covered_words:
            for w in _maximal_starts(m, pm.ngram)[: opts.max_spans]:
                doc_spans.setdefault(i, []).append(len(spans))
                spans.append(_word_span(part, w, int(m[w])))

    counted = spans_with_counts(index, query, np.asarray([s.tok_start for s in spans], np.int64),
                                np.asarray([s.tok_len for s in spans], np.int64)) if spans else None
    locator = _Locator(index, opts.context)
    for i, (item, preps) in enumerate(batch):
        parts_m: dict[str, PartMetrics] = {}
        for name in PART_NAMES:
            pm = chosen[(i, name)][2]
            k = best_span.get((i, name))
            if k is not None and counted is not None:
                s = spans[k]
                pm.longest_match_count = int(counted.counts[k])
                a, b = _span_chars(s)
                pm.longest_match_text = s.part.prep.text[a:b]
            if name == "input" or pm.words:
                parts_m[name] = pm
        parts_m["both"] = combine([parts_m[n] for n in PART_NAMES if n in parts_m and parts_m[n].words])
        contaminated, cat, verdict_on = judge(parts_m, opts)
        note = evidence_note(parts_m[verdict_on], opts)
        match = ("normalized" if index.normalization else "exact") if contaminated else None
        docs = _documents(locator, spans, doc_spans.get(i, []), counted, opts) if counted is not None else []
        if evidence_out is not None:
            evidence_out.append(evidence.get(i, []))
        if own_out is not None:
            own_out.append(own.get(i, frozenset()))
        yield ItemResult(
            item=item, parts=parts_m, documents=docs, contaminated=contaminated, category=cat,
            short=max(ps[0].n_words for ps in preps) < opts.ngram, verdict_on=verdict_on, method=opts.method,
            note=note, match=match,
        )


OWN_WORDS = 3  # content words of the item's own (outside template text) a soft match must align
SOFT_TEMPLATE = ("soft: too short to judge (fewer than 3 content words outside the benchmark's template text; "
                 "option labels and short numbers do not count)")
SOFT_DEPTH = 3  # passages per item the soft tier may walk: the best that is evidence and no sibling's wins
SOFT_WEAK = ("soft: not enough evidence (the best match aligns fewer than 3 of the item's own content words: "
             "template text, option labels and short numbers do not count; a name of several words counts once)")
COMMON_WORDS = 6  # a match aligning at most this many content words of the item ...
COMMON_DOCS = 2  # ... that come together as well in this many other documents is a common phrase,
FEW_WORDS = 3  # and one of at most this many in one other document
CHANCE_LOG10 = 0.0  # ... or whose words a corpus this size would put together this closely once by chance


def common_phrase(m: SoftMatch) -> bool:
    """A short match whose words the corpus also puts together elsewhere: "a remote procedure call"
    for a question about remote procedure calls. A copy of an item stands out; a few words that
    unrelated documents share as well (``SoftMatch.elsewhere``, copies of one text counted once)
    are a phrase of the corpus, not evidence. Short numbers and single letters do not make a match
    long (``is_evidence_pair``: examples of small numbers are everywhere; aligned pairs hold no
    stopwords); a long match is evidence wherever else it is. The fewer the words, the less it
    takes: three words together in one unrelated document are already a phrase ("An integer
    overflow occurs when").

    ``elsewhere`` counts only the documents the search looked at. A short match is a phrase as well
    when its words are so frequent that the corpus would hold a passage this long with all of them
    by chance (``SoftMatch.chance``, ``tracer.query.soft.search.log_chance``): "operate in blocking
    mode" for a question on block cipher modes, "The cells contain the following" for one on cell
    nuclei. A rephrased question names its subject ("Smart's work", "a sect", "pre-testing a
    questionnaire"): rare enough that chance does not explain it."""
    return aligned_content(m) <= COMMON_WORDS and (found_elsewhere(m) or by_chance(m))


def found_elsewhere(m: SoftMatch) -> bool:
    """Other documents the search saw put ``m``'s words together as well: 1 is enough for a match
    of at most ``FEW_WORDS`` content words, ``COMMON_DOCS`` for a longer one."""
    return m.elsewhere >= (1 if aligned_content(m) <= FEW_WORDS else COMMON_DOCS)


def by_chance(m: SoftMatch) -> bool:
    """The corpus would hold about one passage like ``m`` or more by chance (``SoftMatch.chance``),
    and ``m`` aligns at most ``COMMON_WORDS`` pairs, numbers included. The estimate takes words as
    independent, which a run of agreeing numbers is not: "[-1, 2, -4, 5, 6] -> [2, 5, 6]" in a
    rephrased HumanEval task is evidence although each small number is everywhere."""
    return m.chance is not None and m.chance >= CHANCE_LOG10 and len(m.aligned) <= COMMON_WORDS


def aligned_content(m: SoftMatch) -> int:
    """The distinct item words of a match's aligned pairs that can be evidence (``is_evidence_pair``)."""
    return len({a.casefold() for a, p in m.aligned if is_evidence_pair(a, p)})


def is_evidence_pair(item_word: str, passage_word: str) -> bool:
    """An aligned pair that can be evidence: a content word on both sides (``is_content_word``).
    Soft search aligns a number word with its digits ("three" with "3"), and so with the 3 of a
    register "R3" or of a list item: a short number in digits is no evidence on either side. "two"
    aligned with "twice" or "two" is a word of both texts, and counts."""
    return is_content_word(item_word) and is_content_word(passage_word)


def common_note(m: SoftMatch) -> str:
    where = (f"soft: not evidence (the best match, document {m.doc_id!r} characters {m.start_char}-{m.end_char}, "
             f"aligns {aligned_content(m)} content words of the item")
    if found_elsewhere(m):
        others = "1 other document puts" if m.elsewhere == 1 else f"{m.elsewhere} other documents put"
        return f"{where}, and {others} them together as well: a common phrase of the corpus)"
    return (f"{where}, words so frequent that the corpus would hold about {10 ** m.chance:.3g} passages this "
            "long with all of them by chance: a common phrase of the corpus)")


def off_question(m: SoftMatch, item: BenchItem) -> bool:
    """A match of a multiple-choice question (``multiple_choice``) that neither asks (``m.asks``)
    nor gives the answer (aligns a word of it that the question lacks, or has one in its sentence,
    ``m.around``: a span fitted to the question may stop before the answer): a statement on the
    question's subject, not a copy. "Due to Carpal tunnel syndrome, Barbara cannot use her left
    hand" in a word problem, for "Which of the following is true about the carpal tunnel
    syndrome?"; "Sorting time is O(n log n) both on average and worst-case" in a sort routine, for
    one asking which algorithm sorts that fast. A copy of a question asks it, rephrased or not
    ("The middle classes that emerged in the 1800s were:"), or states its answer ("... 'sex' is
    produced through the performance of gender"). Questions that do not ask (a sentence to
    complete) and matches whose sentence was not seen (``asks`` None, as read from the wire) are
    not judged."""
    mc = multiple_choice(item)
    if mc is None or m.asks is not False or not asks(mc[0]):
        return False
    question, answer = mc
    answer_keys = {w.key for w in soft_words(answer) if not w.stop and not w.number}
    answer_keys -= {w.key for w in soft_words(question)}
    if answer_keys & m.around:
        return False
    return not any(w.key in answer_keys for item_word, _ in m.aligned for w in soft_words(item_word))


def off_question_note(m: SoftMatch) -> str:
    return (f"soft: not evidence (the best match, document {m.doc_id!r} characters {m.start_char}-{m.end_char}, "
            "is a statement on the question's subject: it neither asks the question nor gives its answer)")


def own_aligned(m: SoftMatch, own: frozenset[str]) -> int:
    """Pieces of evidence in a soft match: the distinct item words of its aligned pairs that are the
    item's own content words (``own`` holds them whole and split into their camelCase and
    snake_case pieces; not a number word aligned with short digits, ``is_evidence_pair``), a
    name of several words counting once. "John Paul II" or "File Transfer Protocol" in a passage
    is one thing the passage mentions, not three words of the item that came together: a question
    about that pope or that protocol aligns it in any text naming them. A name is a run of
    capitalized words of the passage with one space between them (``name_runs``)."""
    item_of: dict[str, str] = {}  # passage word as written -> the item word it aligns
    for item_word, passage_word in m.aligned:
        w = item_word.casefold()
        if w in own and w not in STOPWORDS and is_evidence_pair(item_word, passage_word):
            item_of.setdefault(passage_word, w)
    if not item_of:
        return 0
    counted: set[str] = set()
    pieces = 0
    for run in name_runs(m.passage, item_of.keys()):
        item_words = {item_of[w] for w in run}
        pieces += bool(item_words - counted)  # an item word met again adds nothing
        counted |= item_words
    return pieces


def name_runs(passage: str, aligned: Iterable[str]) -> list[list[str]]:
    """The aligned words of ``passage`` (as written) in order, grouped into runs: consecutive
    capitalized words separated by exactly one space form one run ("Guest State Buffer",
    "John Paul II"); any other word stands alone."""
    wanted = set(aligned)
    groups: list[list[str]] = []
    prev = None
    for w in soft_words(passage):
        if w.text not in wanted:
            prev = None
            continue
        if (prev is not None and prev.text[:1].isupper() and w.text[:1].isupper()
                and passage[prev.end : w.start] == " "):
            groups[-1].append(w.text)
        else:
            groups.append([w.text])
        prev = w
    return groups


def _pieces(word: str) -> list[str]:
    """A word and its camelCase / snake_case pieces, casefolded (soft search aligns pieces)."""
    parts = [p for chunk in word.split("_") for p in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", chunk)]
    return [word.casefold(), *(p.casefold() for p in parts if p)]


def apply_soft_tier(index: IndexReader, results: list[ItemResult], own: list[frozenset[str]], opts: CheckOptions,
                    floor: float | None = None,
                    benchmark: BenchmarkText = NO_BENCHMARK,
                    pool: SiblingPool | None = None) -> list[ItemResult]:
    """The soft tier (tracer.contamination.soft) on a batch's results: only items the exact tiers
    call clean are searched, and only their ``match``/``soft``/``contaminated`` change.

    An item's match is its best passage (of the ``SOFT_DEPTH`` best) that aligns enough of its own
    words and that no other item of ``pool`` (the check's items and reference) fits better
    (tracer.contamination.attribution): a passage is the copy of one item, not of its siblings.

    ``floor``: keep soft matches down to this score (evaluation of thresholds); only those at or
    above ``opts.soft_cutoff`` make an item contaminated. ``benchmark``: what the items of the
    benchmarks share (``BenchmarkText``: template passages, word frequencies) for the soft search.
    """
    clean, clean_own = [], []
    for r, words in zip(results, own, strict=True):
        if r.contaminated:
            continue
        if len(words) < OWN_WORDS:
            r.soft_note = SOFT_TEMPLATE
        else:
            clean.append(r)
            clean_own.append(words)
    verdicts = soft_verdicts(index, [r.item for r in clean], opts.soft_cutoff, floor, benchmark, opts.soft_model,
                             depth=SOFT_DEPTH)
    kept = [[m for m in v.matches if own_aligned(m, words) >= OWN_WORDS and not common_phrase(m)
             and not off_question(m, r.item)]
            for r, v, words in zip(clean, verdicts, clean_own, strict=True)]
    chosen, notes = _unclaimed(index, clean, kept, pool, benchmark, opts.soft_model, opts.soft_cutoff)
    for r, v, ms, m, note, words in zip(clean, verdicts, kept, chosen, notes, clean_own, strict=True):
        r.soft, r.soft_note = m, v.note
        if v.matches and not ms:  # why the best passage is no evidence
            best = v.matches[0]
            r.soft_note = (SOFT_WEAK if own_aligned(best, words) < OWN_WORDS else
                           common_note(best) if common_phrase(best) else off_question_note(best))
        if m is None and note:
            r.soft_note = note
        if r.soft is not None and r.soft.score >= opts.soft_cutoff:
            r.contaminated, r.match = True, "soft"
    for r in results:
        r.soft_checked = True
    return results


def _unclaimed(index: IndexReader, results: list[ItemResult], kept: list[list[SoftMatch]], pool: SiblingPool | None,
               benchmark: BenchmarkText, model: str | None,
               threshold: float) -> tuple[list[SoftMatch | None], list[str]]:
    """Per item, its first passage in ``kept`` that no other item of ``pool`` takes, and the note of
    the first one taken (tracer.contamination.attribution; ``threshold``: the soft cutoff, which a
    rival taking a passage by evidence must reach there). A passage is contested only once the
    ones before it were taken: one ``claims`` call per round, at most ``SOFT_DEPTH`` rounds."""
    chosen: list[SoftMatch | None] = [None] * len(results)
    notes = [""] * len(results)
    if pool is None:
        return [ms[0] if ms else None for ms in kept], notes
    at = [0] * len(results)
    open_ = [i for i, ms in enumerate(kept) if ms]
    while open_:
        contests = [Contest(pool.sibling(results[i].item), kept[i][at[i]]) for i in open_]
        still = []
        found = claims(index, contests, pool, benchmark, model, threshold)
        for i, claim in zip(open_, found, strict=True):
            if claim is None:
                chosen[i] = kept[i][at[i]]
                continue
            notes[i] = notes[i] or claim.note(kept[i][at[i]])
            at[i] += 1
            if at[i] < len(kept[i]):
                still.append(i)
        open_ = still
    return chosen, notes


class _Locator:
    """doc_span, with raw offsets of normalized documents found without normalizing them whole."""

    def __init__(self, index: IndexReader, context: int):
        self.index = index
        self.context = context
        self.maps: dict[tuple[int, int], RawOffsets] = {}

    def __call__(self, shard_no: int, position: int, length: int) -> DocSpan:
        index = self.index
        if not index.normalization:
            return doc_span(index, shard_no, position, length, self.context)
        shard = index.shards[shard_no]
        local = int(positions_to_docs(shard, np.asarray([position]))[0])
        if (shard_no, local) not in self.maps:
            self.maps[(shard_no, local)] = RawOffsets(shard.raw_text(local))
        rmap = self.maps[(shard_no, local)]
        raw = rmap.raw
        a, b = shard.doc_range(local)
        t0, t1 = position - a, min(position + length, b) - a
        ns = len(index.tokenizer.decode(shard.tokens[a : a + t0])) if t0 else 0
        ne = ns + len(index.tokenizer.decode(shard.tokens[a + t0 : a + t1]))
        cs, ce = rmap.span(ns, ne)
        s0, s1 = max(0, cs - self.context), min(len(raw), ce + self.context)
        meta = shard.meta(local)
        return DocSpan(shard.doc_base + local, str(meta.get("id")), meta, shard_no, t0, t1, cs, ce, raw[s0:s1], s0)


def _raw_char_mask(p: PreparedText, word_mask: np.ndarray) -> np.ndarray:
    """Characters of the raw text inside runs of masked words, the spaces between them included
    (one extra False at the end)."""
    out = np.zeros(len(p.text) + 1, bool)
    for first, after in runs(word_mask):
        a, b = p.raw_range(int(p.word_starts[first]), int(p.word_ends[after - 1]))
        out[a : max(b, a + 1)] = True
    return out


def _raw_word_chars(p: PreparedText, word_mask: np.ndarray) -> np.ndarray:
    """Raw characters of the masked words (one extra False at the end): carries a word mask of the
    part as written over to its other spellings."""
    out = np.zeros(len(p.text) + 1, bool)
    for w in np.flatnonzero(word_mask).tolist():
        a, b = p.raw_range(int(p.word_starts[w]), int(p.word_ends[w]))
        out[a : max(b, a + 1)] = True
    return out


def _word_span(part: _Part, w: int, words: int) -> _Span:
    """The tokens of words w .. w+words-1: from the token holding the first word's start to the
    token holding the last word's end (a sub-span of the corpus match found from word w)."""
    p = part.prep
    first = int(p.word_tok[w])
    last = int(np.searchsorted(p.tok_ends, p.word_ends[w + words - 1], side="left"))
    return _Span(part, w, words, part.offset + first, last - first + 1)


def _maximal_starts(m: np.ndarray, n: int) -> list[int]:
    """Starts of matches of >= n words not inside an earlier match, longest first."""
    starts, reach = [], 0
    for w in np.flatnonzero(m >= n).tolist():
        if w + m[w] > reach:
            starts.append(w)
            reach = w + int(m[w])
    return sorted(starts, key=lambda w: -int(m[w]))


def _span_chars(s: _Span) -> tuple[int, int]:
    p = s.part.prep
    return p.raw_range(int(p.word_starts[s.word]), int(p.word_ends[s.word + s.words - 1]))


def _documents(locator: _Locator, spans: list[_Span], which: list[int], counted, opts: CheckOptions):
    """Top documents by matched words, each with the item's spans located in its own text."""
    found: dict[int, list[tuple[int, int, int]]] = {}  # doc -> [(span no, shard, position)]
    for k in which:
        for shard_no, shard in enumerate(locator.index.shards):
            lo, hi = counted.ranges[shard_no][0][k], counted.ranges[shard_no][1][k]
            if hi <= lo:
                continue
            positions = sa_slice(shard.sa, lo, min(hi, lo + opts.max_documents))
            for pos, local in zip(positions.tolist(), positions_to_docs(shard, positions).tolist(), strict=True):
                found.setdefault(shard.doc_base + int(local), []).append((k, shard_no, pos))
    ranked = sorted(found.items(), key=lambda kv: (-sum(spans[k].words for k, _, _ in _first_per_span(kv[1])), kv[0]))
    docs = []
    for doc_index, hits in ranked[: opts.max_documents]:
        dm: DocumentMatch | None = None
        for k, shard_no, pos in _first_per_span(hits):
            s = spans[k]
            ds = locator(shard_no, pos, s.tok_len)
            if dm is None:
                dm = DocumentMatch(doc_index, ds.doc_id, ds.meta, 0)
            a, b = _span_chars(s)
            dm.matched_words += s.words
            dm.spans.append(MatchedSpan(s.part.name, a, b, s.words, int(counted.counts[k]), ds.char_start,
                                        ds.char_end, ds.snippet, ds.snippet_start))
        if dm is not None:
            docs.append(dm)
    return docs


def _first_per_span(hits: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    seen, out = set(), []
    for h in hits:
        if h[0] not in seen:
            seen.add(h[0])
            out.append(h)
    return out
