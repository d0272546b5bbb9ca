"""Locate occurrences of a query: SA ranges on every shard -> positions -> documents."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracer.errors import IndexFormatError
from tracer.index.pointers import sa_take
from tracer.index.reader import IndexReader
from tracer.query.documents import DocSpan, doc_span
from tracer.query.options import FindOptions, resolve
from tracer.query.shards import map_shards, shard_range
from tracer.query.tokens import Query, query_variants


@dataclass
class FindResult:
    count: int
    occurrences: list[DocSpan]

    def to_json(self) -> dict:
        return {"count": self.count, "occurrences": [o.to_json() for o in self.occurrences]}


def sample_evenly(n: int, k: int) -> np.ndarray:
    """k indexes spread evenly over range(n): a deterministic sample."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, k).round().astype(np.int64))


def find(index: IndexReader, query: Query, options: FindOptions | None = None, **overrides) -> FindResult:
    """Total count and up to ``limit`` occurrences in corpus order (evenly sampled when more)."""
    opts = resolve(FindOptions, options, overrides)
    limit, context = opts.limit, opts.context
    hits: list[tuple[int, int, int, bool]] = []  # (shard, position, length, space-prefixed variant)
    total = 0
    for variant, ids in enumerate(query_variants(index, query)):
        ranges = map_shards(index, lambda shard, ids=ids: shard_range(shard, ids))
        for s, (shard, (lo, hi)) in enumerate(zip(index.shards, ranges, strict=True)):
            total += hi - lo
            if hi > lo:
                take = sample_evenly(hi - lo, max(limit, 0) * 4 if hi - lo > 100_000 else hi - lo)
                positions = np.sort(sa_take(shard.sa, lo + np.asarray(take)))
                if positions[-1] >= shard.n_tokens:  # only a corrupt sa.bin points past its shard
                    raise IndexFormatError(f"{shard.path / 'sa.bin'}: position {positions[-1]} is out of range "
                                           "(corrupt); run `tracer verify` and rebuild the index")
                hits.extend((s, int(p), len(ids), variant > 0) for p in positions)
    hits.sort()
    chosen = [hits[i] for i in sample_evenly(len(hits), limit)] if limit > 0 else []
    spans = []
    for s, p, n, spaced in chosen:
        span = doc_span(index, s, p, n, context)
        # the space-prefixed spelling (BPE, mid-document) also matched the space before the
        # query text: report the characters of the query itself
        while spaced and span.char_start < span.char_end and span.snippet[span.char_start - span.snippet_start].isspace():
            span.char_start += 1
        spans.append(span)
    return FindResult(int(total), spans)
