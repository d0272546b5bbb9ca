"""Trace a text (a model output) to the corpus: long, rare verbatim spans and the documents holding them.

Pipeline (OLMoTrace's, on our kernels): tokenize with the index's tokenizer -> per-token span
limits from delimiters and allowed word boundaries -> maximal occurring spans (native
longest-match kernel at every allowed start) -> keep spans of at least ``min_len`` tokens that
occur at most ``max_count`` times -> rank by span unigram log-probability (rarest first) or by
length and keep K = ceil(0.05 L) -> documents per span with BM25 snippet scores -> character
offsets in the caller's text and merged highlight ranges. The options and their defaults are
``tracer.query.options.TraceOptions``; the ranking tail is shared with the fan-out merge
(``tracer.query.trace_rank``).

Default ``min_len`` depends on the tokenizer so that a span means about the same amount of
text: a few words in bytes for the bytes tokenizer, fewer tokens for BPE/other tokenizers
(``TraceOptions.span_min_len``). Shorter spans are common by chance and are no evidence of
where a text came from.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracer.errors import InputError, LimitError
from tracer.index.reader import IndexReader
from tracer.query.longest import spans_with_counts
from tracer.query.options import TraceOptions, resolve
from tracer.query.trace_docs import span_documents
from tracer.query.trace_rank import (
    TracedSpan,
    TraceResult,
    choose_spans,
    finish_trace,
    merge_ranges,
    span_logprobs,
)
from tracer.query.trace_spans import delimiter_limits, kernel_threads, maximal_spans
from tracer.tokenize.base import Seen
from tracer.tokenize.boundaries import ASCII_WORD, token_boundaries
from tracer.tokenize.bytes_tokenizer import BytesTokenizer

__all__ = ["MAX_TRACE_TOKENS", "TraceOptions", "TraceResult", "TracedSpan", "merge_ranges", "trace"]

MAX_TRACE_TOKENS = 1_000_000  # longer texts: split them (a 10^6-token trace takes seconds)
PROGRESS_EVERY = 64  # spans between progress calls


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    if not text:
        raise InputError("text: empty; give the text to trace")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(f"text: character {e.start} is a lone surrogate, not valid Unicode") from None


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


def _ascii_bytes(index: IndexReader, text: str, delimiters: str) -> tuple[np.ndarray, ...] | None:
    """(ids, starts, ends, limits, allowed) of an ASCII text on a raw bytes index, else None.

    There token i is character i, so offsets, delimiter limits and word boundaries come from the
    bytes in a few array operations: the same arrays as ``_encode`` + ``delimiter_limits`` +
    ``token_boundaries`` (tested), 40-60 µs sooner on a 450-token trace (~5%; RESULTS.md, session 11)."""
    if type(index.tokenizer) is not BytesTokenizer or index.normalization or not text.isascii():
        return None
    ids = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    if len(ids) > MAX_TRACE_TOKENS:
        return None  # _encode says why
    t = len(ids)
    starts = np.arange(t, dtype=np.int64)
    marks = [ord(c) for c in delimiters if ord(c) < 128]
    is_delim = np.isin(ids, np.asarray(marks, dtype=np.uint8)) if marks else np.zeros(t, dtype=bool)
    # one past each delimiter, t elsewhere; the running minimum from the right: the first >= i
    limits = np.minimum.accumulate(np.where(is_delim, starts + 1, t)[::-1])[::-1].copy()
    word = ASCII_WORD[ids]
    allowed = np.ones(t + 1, dtype=bool)
    if t >= 2:
        allowed[1:t] = ~(word[:-1] & word[1:])
    return ids, starts, starts + 1, limits, allowed


def _raw_range(text: str, seen: Seen | None, a: int, b: int) -> tuple[int, int]:
    """Map the searched-text range [a, b) to the caller's text (identity unless normalized)."""
    return (a, b) if seen is None else seen.raw_range(text, a, b)


def trace(index: IndexReader, text: str, options: TraceOptions | None = None, *,
          progress: Callable[[int, int], None] | None = None, **overrides) -> TraceResult:
    """Spans of ``text`` that occur verbatim in the corpus at most ``max_count`` times; see the module doc.

    ``options`` (default ``TraceOptions()``) with any field overridden by keyword; ``progress(done,
    total)`` is called as the documents of the kept spans are looked up (the long part of a big text)."""
    opts = resolve(TraceOptions, options, overrides)
    min_len = opts.span_min_len(index.tokenizer.name)
    _check_text(text)
    fast = _ascii_bytes(index, text, opts.delimiters)
    if fast is not None:
        ids, starts, ends, limits, allowed = fast
        seen = None
    else:
        searched, ids, starts, ends, seen = _encode(index, text)
        limits = delimiter_limits(searched, starts, ends, opts.delimiters)
        allowed = token_boundaries(starts, searched, index.tokenizer.ascii_words)
    t = len(ids)
    if t == 0:
        return TraceResult([], [], 0, ids)
    with kernel_threads(t):
        span_starts, span_lengths = maximal_spans(index, ids, limits, allowed, min_len)
        long_enough = span_lengths >= min_len
        span_starts, span_lengths = span_starts[long_enough], span_lengths[long_enough]
        found = spans_with_counts(index, ids, span_starts, span_lengths)
    logp = span_logprobs(index.unigram_logprobs()[ids.astype(np.int64)], span_starts, span_lengths)
    spans: list[TracedSpan] = []
    chosen = choose_spans(span_starts, span_lengths, logp, found.counts, t, opts)
    for done, j in enumerate(chosen):
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, len(chosen))
        a, n = int(span_starts[j]), int(span_lengths[j])
        ca, cb = _raw_range(text, seen, int(starts[a]), int(ends[a + n - 1]))
        ranges = [(int(lo[j]), int(hi[j])) for lo, hi in found.ranges]
        docs = span_documents(index, ranges, n, opts.max_docs, opts.context)
        spans.append(TracedSpan(ca, cb, a, a + n, text[ca:cb], int(found.counts[j]), float(logp[j]), docs))
    if progress:
        progress(len(chosen), len(chosen))
    return finish_trace(text, spans, t, ids)
