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
    sizes = np.asarray([hi - lo for lo, hi in ranges], dtype=np.int64)
    total = int(sizes.sum())
    if total == 0:
        return []
    picks = sample_evenly(total, min(total, MAX_OCCURRENCES_EXAMINED))
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    shard_of = np.searchsorted(bounds, picks, side="right") - 1
    found: list[tuple[int, int, int]] = []  # (global doc, shard, position)
    for s in np.unique(shard_of):
        shard = index.shards[int(s)]
        lo = ranges[int(s)][0]
        positions = np.sort(sa_take(shard.sa, lo + picks[shard_of == s] - bounds[s]))
        docs = positions_to_docs(shard, positions).astype(np.int64)
        first = np.unique(docs, return_index=True)[1]
        found.extend((shard.doc_base + int(docs[i]), int(s), int(positions[i])) for i in first)
    found.sort()
    chosen = [found[i] for i in sample_evenly(len(found), max_docs)]
    out = []
    for _, s, pos in chosen:
        d = doc_span(index, s, pos, length, context)
        out.append(TracedDocument(d.doc_index, d.doc_id, d.meta, d.char_start, d.char_end, d.snippet, d.snippet_start))
    return out
