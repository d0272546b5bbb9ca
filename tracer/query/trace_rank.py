"""The tail of tracing, shared by the local trace and the fan-out merge of several shard groups'
traces: span rarity, which spans are kept (count cap, ranking, K = ceil(0.05 L)), BM25 snippet
scores and the merged highlight ranges.

Both callers arrive here with candidate spans (starts, lengths, corpus counts) and per-token
log-probabilities; they differ only in where those come from (one index, or counts summed over
groups), so the spans kept, their order and their floats are the same either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tracer.query.bm25 import bm25_scores
from tracer.query.options import SPANS_PER_TOKEN, TraceOptions
from tracer.query.trace_docs import TracedDocument


@dataclass
class TracedSpan:
    """A maximal span of the query found in the corpus: offsets in the query, count, rarity, documents."""

    start_char: int
    end_char: int
    start_token: int
    end_token: int
    text: str
    count: int
    unigram_logprob: float
    documents: list[TracedDocument] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "start_char": self.start_char, "end_char": self.end_char,
            "start_token": self.start_token, "end_token": self.end_token,
            "text": self.text, "count": self.count, "unigram_logprob": round(self.unigram_logprob, 4),
            "documents": [d.to_json() for d in self.documents],
        }


@dataclass
class TraceResult:
    """Spans in query order, and the merged character ranges they cover (for highlighting).

    ``token_ids``: the token ids searched (after normalization), for callers that need them
    without tokenizing again (the server's token stats); not part of equality or JSON."""

    spans: list[TracedSpan]
    highlights: list[tuple[int, int]]
    n_tokens: int = 0
    token_ids: np.ndarray | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        return {"spans": [s.to_json() for s in self.spans], "highlights": [list(h) for h in self.highlights]}


def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of half-open ranges as sorted, disjoint ranges (overlapping or touching ones merge)."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def span_logprobs(token_logp: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Unigram log-probability of each span: the sum of its tokens' (prefix sums, so O(L + spans))."""
    cum = np.concatenate([[0.0], np.cumsum(token_logp)])
    return cum[starts + lengths] - cum[starts]


def choose_spans(starts: np.ndarray, lengths: np.ndarray, logp: np.ndarray, counts: np.ndarray, n_tokens: int,
                 options: TraceOptions) -> np.ndarray:
    """Indexes (in query order) of the spans kept: occurring 1..max_count times, then unless
    ``all_spans`` the K rarest (``rank="unigram"``) or longest (``"length"``), ties by start."""
    chosen = np.flatnonzero((counts >= 1) & (counts <= options.max_count))
    if options.all_spans:
        return chosen
    keep = math.ceil(SPANS_PER_TOKEN * n_tokens) if options.k is None else int(options.k)
    if options.rank == "unigram":
        order = np.lexsort((starts[chosen], logp[chosen]))
    else:
        order = np.lexsort((starts[chosen], -lengths[chosen]))
    return np.sort(chosen[order[:keep]])


def finish_trace(text: str, spans: list[TracedSpan], n_tokens: int, token_ids: np.ndarray | None = None) -> TraceResult:
    """BM25 score of every document snippet against ``text`` (one collection: all spans' documents),
    documents best first, and the highlight ranges."""
    all_docs = [d for s in spans for d in s.documents]
    for d, score in zip(all_docs, bm25_scores(text, [d.snippet for d in all_docs]), strict=True):
        d.score = score
    for s in spans:
        s.documents.sort(key=lambda d: (-d.score, d.doc_index))
    return TraceResult(spans, merge_ranges([(s.start_char, s.end_char) for s in spans]), n_tokens, token_ids)
