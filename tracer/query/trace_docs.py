"""Documents of a traced span: a deterministic sample of its occurrences, one entry per document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tracer.index.pointers import sa_take
from tracer.index.reader import IndexReader
from tracer.query.documents import doc_span, positions_to_docs
from tracer.query.find import sample_evenly

# occurrences examined per span when choosing documents (spans counted up to --max-count may be common)
MAX_OCCURRENCES_EXAMINED = 1000


@dataclass
class TracedDocument:
    """One document holding a span: where (offsets in the document's own text), a snippet, a BM25 score."""

    doc_index: int
    doc_id: str
    meta: dict[str, Any]
    char_start: int
    char_end: int
    snippet: str
    snippet_start: int
    score: float = 0.0

    def to_json(self) -> dict:
        return {
            "doc_id": self.doc_id, "meta": self.meta, "snippet": self.snippet, "score": round(self.score, 4),
            "doc_index": self.doc_index, "char_start": self.char_start, "char_end": self.char_end,
            "snippet_start": self.snippet_start,
        }


def span_documents(
    index: IndexReader, ranges: list[tuple[int, int]], length: int, max_docs: int, context: int
) -> list[TracedDocument]:
    """Up to ``max_docs`` distinct documents containing a span, given its SA range (lo, hi) per shard.

    Occurrences are taken in suffix-array order (evenly spaced when there are more than
    MAX_OCCURRENCES_EXAMINED), mapped to documents, de-duplicated, and the documents sampled
    evenly in corpus order: the same index and span always give the same documents.
    """
    if max_docs <= 0:
        return []
    sizes = [hi - lo for lo, hi in ranges]
    total = sum(sizes)
    if total == 0:
        return []
    if total <= MAX_OCCURRENCES_EXAMINED:  # every occurrence (the common case: trace keeps spans seen <= 10 times)
        rows = [(s, np.arange(lo, hi)) for s, (lo, hi) in enumerate(ranges) if hi > lo]
    else:
        picks = sample_evenly(total, MAX_OCCURRENCES_EXAMINED)
        bounds = np.cumsum([0, *sizes])
        cuts = np.searchsorted(picks, bounds).tolist()  # picks sorted: shard s holds picks[cuts[s]:cuts[s+1]]
        base = bounds.tolist()
        rows = [(s, picks[cuts[s]:cuts[s + 1]] + (lo - base[s])) for s, (lo, _) in enumerate(ranges)
                if cuts[s + 1] > cuts[s]]
    found: list[tuple[int, int, int, int]] = []  # (global doc, shard, local doc, position)
    for s, entries in rows:
        shard = index.shards[s]
        positions = np.sort(sa_take(shard.sa, entries))
        docs = positions_to_docs(shard, positions)
        first = np.flatnonzero(docs[1:] != docs[:-1]) + 1  # sorted: each document's first occurrence
        docs, positions = docs.tolist(), positions.tolist()
        found.extend((shard.doc_base + docs[i], s, docs[i], positions[i]) for i in [0, *first.tolist()])
    found.sort()
    out = []
    for i in sample_evenly(len(found), max_docs).tolist():
        _, s, local, pos = found[i]
        d = doc_span(index, s, pos, length, context, local=local)
        out.append(TracedDocument(d.doc_index, d.doc_id, d.meta, d.char_start, d.char_end, d.snippet, d.snippet_start))
    return out
