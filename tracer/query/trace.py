"""Trace a text (a model output) to the corpus: long, rare verbatim spans and the documents holding them.

Pipeline (OLMoTrace's, on our kernels): tokenize with the index's tokenizer -> per-token span
limits from delimiters and allowed word boundaries -> maximal occurring spans (native
longest-match kernel at every allowed start) -> keep spans of at least ``min_len`` tokens that
occur at most ``max_count`` times -> rank by span unigram log-probability (rarest first) or by
length and keep K = ceil(0.05 L) -> documents per span with BM25 snippet scores -> character
offsets in the caller's text and merged highlight ranges.

Default ``min_len`` depends on the tokenizer so that a span means about the same amount of
text: 24 bytes for the bytes tokenizer (a few words), 6 tokens for BPE/other tokenizers
(about 4 characters per token in English). Shorter spans are common by chance and are no
evidence of where a text came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tracer.errors import InputError, LimitError
from tracer.index.reader import IndexReader
from tracer.query.bm25 import bm25_scores
from tracer.query.longest import spans_with_counts
from tracer.query.trace_docs import TracedDocument, span_documents
from tracer.query.trace_spans import delimiter_limits, kernel_threads, maximal_spans
from tracer.tokenize.base import Seen
from tracer.tokenize.boundaries import token_boundaries

MAX_TRACE_TOKENS = 1_000_000  # longer texts: split them (a 10^6-token trace takes seconds)
DEFAULT_MIN_LEN_BYTES = 24
DEFAULT_MIN_LEN_TOKENS = 6
RANKS = ("unigram", "length")


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
    """Spans in query order, and the merged character ranges they cover (for highlighting)."""

    spans: list[TracedSpan]
    highlights: list[tuple[int, int]]
    n_tokens: int = 0

    def to_json(self) -> dict:
        return {"spans": [s.to_json() for s in self.spans], "highlights": [list(h) for h in self.highlights]}


def default_min_len(index: IndexReader) -> int:
    return DEFAULT_MIN_LEN_BYTES if index.tokenizer.name == "bytes" else DEFAULT_MIN_LEN_TOKENS


def unigram_logprobs(index: IndexReader) -> np.ndarray:
    """log P(token) with add-one smoothing over the index's unigram counts (cached on the index)."""
    cached = getattr(index, "_trace_logp", None)
    if cached is None:
        counts = np.asarray(index.unigram, dtype=np.float64)
        cached = np.log((counts + 1.0) / (counts.sum() + len(counts)))
        index._trace_logp = cached  # type: ignore[attr-defined]
    return cached


def _check_args(text: str, max_count: int, min_len: int, rank: str, k: int | None, max_docs: int, context: int,
                delimiters: str) -> None:
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    if not text:
        raise InputError("text: empty; give the text to trace")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(f"text: character {e.start} is a lone surrogate, not valid Unicode") from None
    if not isinstance(delimiters, str):
        raise InputError("delimiters must be a string of characters")
    for name, value, least in (("max_count", max_count, 1), ("min_len", min_len, 1), ("max_docs", max_docs, 0),
                               ("context", context, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise InputError(f"{name} must be an integer >= {least}, got {value!r}")
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0):
        raise InputError(f"k must be an integer >= 0, got {k!r}")
    if rank not in RANKS:
        raise InputError(f"rank must be one of {', '.join(RANKS)}, got {rank!r}")


def _encode(index: IndexReader, text: str) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, Seen | None]:
    """(searched text, ids, token char starts, ends in it, what a normalizing tokenizer saw) for ``text``."""
    enc = index.tokenizer.encode_with_offsets(text)
    if len(enc.ids) > MAX_TRACE_TOKENS:
        raise LimitError(
            f"text: {len(enc.ids)} tokens, trace accepts at most {MAX_TRACE_TOKENS}; split the text into parts"
        )
    if len(enc.ids) and (enc.ids == index.separator).any():
        raise InputError("text: contains the index's document separator token; it cannot be traced")
    searched, starts, ends = enc.seen_text  # a normalized index matches the normalized text
    return searched or text, np.asarray(enc.ids), np.asarray(starts), np.asarray(ends), enc.seen


def _raw_range(text: str, seen: Seen | None, a: int, b: int) -> tuple[int, int]:
    """Map the searched-text range [a, b) to the caller's text (identity unless normalized)."""
    return (a, b) if seen is None else seen.raw_range(text, a, b)


def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of half-open ranges as sorted, disjoint ranges (overlapping or touching ones merge)."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def trace(
    index: IndexReader,
    text: str,
    *,
    max_count: int = 10,
    min_len: int | None = None,
    delimiters: str = "\n.",
    rank: str = "unigram",
    k: int | None = None,
    all_spans: bool = False,
    max_docs: int = 10,
    context: int = 80,
) -> TraceResult:
    """Spans of ``text`` that occur verbatim in the corpus at most ``max_count`` times; see the module doc."""
    if min_len is None:
        min_len = default_min_len(index)
    _check_args(text, max_count, min_len, rank, k, max_docs, context, delimiters)
    searched, ids, starts, ends, seen = _encode(index, text)
    t = len(ids)
    if t == 0:
        return TraceResult([], [], 0)
    limits = delimiter_limits(searched, starts, ends, delimiters)
    allowed = token_boundaries(starts, searched, index.tokenizer.ascii_words)
    with kernel_threads(t):
        span_starts, span_lengths = maximal_spans(index, ids, limits, allowed)
        long_enough = span_lengths >= min_len
        span_starts, span_lengths = span_starts[long_enough], span_lengths[long_enough]
        found = spans_with_counts(index, ids, span_starts, span_lengths)
    rare = (found.counts >= 1) & (found.counts <= max_count)
    chosen = np.flatnonzero(rare)

    logp_cum = np.concatenate([[0.0], np.cumsum(unigram_logprobs(index)[ids.astype(np.int64)])])
    logp = logp_cum[span_starts + span_lengths] - logp_cum[span_starts]
    if not all_spans:
        keep = math.ceil(0.05 * t) if k is None else int(k)
        if rank == "unigram":
            order = np.lexsort((span_starts[chosen], logp[chosen]))
        else:
            order = np.lexsort((span_starts[chosen], -span_lengths[chosen]))
        chosen = np.sort(chosen[order[:keep]])

    spans: list[TracedSpan] = []
    for j in chosen:
        a, n = int(span_starts[j]), int(span_lengths[j])
        ca, cb = _raw_range(text, seen, int(starts[a]), int(ends[a + n - 1]))
        ranges = [(int(lo[j]), int(hi[j])) for lo, hi in found.ranges]
        docs = span_documents(index, ranges, n, max_docs, context)
        spans.append(TracedSpan(ca, cb, a, a + n, text[ca:cb], int(found.counts[j]), float(logp[j]), docs))

    all_docs = [d for s in spans for d in s.documents]
    for d, score in zip(all_docs, bm25_scores(text, [d.snippet for d in all_docs]), strict=True):
        d.score = score
    for s in spans:
        s.documents.sort(key=lambda d: (-d.score, d.doc_index))
    return TraceResult(spans, merge_ranges([(s.start_char, s.end_char) for s in spans]), t)
