"""Candidate passages through the index itself: where many of a query's rarest words co-occur.

The ``words`` rarest content words and numbers of the query (counts from the suffix array) are
located in every shard (each at most ``occurrences`` times, evenly sampled beyond, so a query
costs a bounded number of positions whatever the corpus size), and a numba kernel slides a
window of about twice the query's length over them, per document, scoring each window by the
IDF weight of the distinct words inside (``tracer_native.cooccurrence_windows``). A batch of
queries locates each word once (``Locator``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tracer.index.pointers import sa_take
from tracer.index.reader import IndexReader
from tracer.query.find import sample_evenly
from tracer.query.options import SoftOptions
from tracer.query.soft.query import SoftQuery, WordStats
from tracer.query.soft.words import retrieval_forms
from tracer_native import CorruptArrayError, cooccurrence_windows, documents_of_positions, sa_range

WINDOW_FACTOR = 2.0  # a paraphrase may be longer than its original: windows of 2x the query's tokens
WINDOW_SLACK = 32
MIN_WINDOW_SHARE = 0.25  # a window must hold this share of the retrieval words' weight
CACHE_POSITIONS = 16_000_000  # positions a batch keeps located (128 MB); past that the cache starts over


@dataclass
class Candidate:
    score: float  # retrieval score (weight of distinct retrieval words in the window)
    shard: int
    first: int  # token position of the first and last retrieval word in the window
    last: int


@dataclass
class Locator:
    """Positions of retrieval forms per shard, located once per batch (memory bounded: a batch of
    a whole benchmark may name a hundred thousand words)."""

    index: IndexReader
    stats: WordStats
    cap: int
    cache: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    cached: int = 0

    def positions(self, form: str, shard_no: int) -> np.ndarray:
        key = (form, shard_no)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        shard = self.index.shards[shard_no]
        parts = []
        for ids in self.stats.variants.get(form, []):
            try:
                lo, hi = sa_range(shard.tokens, shard.sa, ids, 0, len(ids))
            except CorruptArrayError:
                raise shard.bad_sa() from None
            if hi > lo:
                take = sample_evenly(hi - lo, self.cap)
                parts.append(sa_take(shard.sa, lo + np.asarray(take, dtype=np.int64)))
        pos = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        if pos.size and pos[-1] >= shard.n_tokens:
            raise shard.bad_sa()
        if self.cached + pos.size > CACHE_POSITIONS:
            self.cache.clear()
            self.cached = 0
        self.cache[key] = pos
        self.cached += pos.size
        return pos


def retrieval_keys(q: SoftQuery, stats: WordStats, n_words: int, part: np.ndarray) -> list[int]:
    """Key ids of the ``n_words`` rarest content words and numbers of a part that occur in the corpus."""
    scored = []
    for i, k in enumerate(q.keys):
        w = q.first[k]
        if w.stop or part[i] <= 0:
            continue
        c = stats.word_count(w)
        if c > 0:
            scored.append((c, i))
    scored.sort()
    return [i for _, i in scored[:n_words]]


def candidates(q: SoftQuery, loc: Locator, opts: SoftOptions) -> list[Candidate]:
    """The best ``opts.candidates`` windows over all shards for each part of the query (the whole
    text; a first line judged alone is retrieved by its own rare words, since the options of a
    multiple-choice item hold most of its rare words and may be missing from a copy)."""
    out: list[Candidate] = []
    for part in q.parts:
        out.extend(part_candidates(q, loc, opts, part))
    return out


def part_candidates(q: SoftQuery, loc: Locator, opts: SoftOptions, part: np.ndarray) -> list[Candidate]:
    chosen = retrieval_keys(q, loc.stats, opts.words, part)
    if not chosen:
        return []
    weights = np.asarray([q.weight[i] if not q.is_number[i] else max(q.weight[i], 1.0) for i in chosen])
    min_score = MIN_WINDOW_SHARE * float(weights.sum())
    if len(chosen) >= 2:  # one word alone is a lookup, not a co-occurrence
        min_score = max(min_score, float(np.sort(weights)[0]) + 1e-6)
    width = int(WINDOW_FACTOR * q.n_tokens + WINDOW_SLACK)
    out: list[Candidate] = []
    bytes_index = loc.stats.bytes_index
    for s, shard in enumerate(loc.index.shards):
        pos_parts, wid_parts = [], []
        for j, ki in enumerate(chosen):
            for form in retrieval_forms(q.first[q.keys[ki]], bytes_index):
                p = loc.positions(form, s)
                if p.size:
                    pos_parts.append(p)
                    wid_parts.append(np.full(p.size, j, np.int32))
        if not pos_parts:
            continue
        pos = np.concatenate(pos_parts)
        wid = np.concatenate(wid_parts)
        order = np.argsort(pos, kind="stable")
        pos, wid = pos[order], wid[order]
        doc = documents_of_positions(shard.doc_starts, pos.astype(np.uint64))
        sc, a, b = cooccurrence_windows(pos, wid, doc, weights, width, min_score, opts.candidates)
        out.extend(Candidate(float(x), s, int(y), int(z)) for x, y, z in zip(sc, a, b, strict=True))
    out.sort(key=lambda c: (-c.score, c.shard, c.first))
    return out[: opts.candidates]
