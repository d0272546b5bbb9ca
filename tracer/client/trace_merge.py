"""Merge traces of one text from several shard groups into the trace the whole index would give.

Each group traces with every span kept (``all_spans``, same ``min_len``/``max_count``/delimiters)
and with ``token_stats``. The merge relies on two facts about the whole index: the longest
occurring prefix at a start is the longest over the groups, and a prefix occurs at least as often
as any extension of it. So, with the library's rules applied to the union of the groups' spans:

1. per start token, the longest candidate span (some group holding the whole-index span reports it);
2. a candidate whose end does not pass the ends of all earlier candidates is contained in one and
   dropped (a container that no group reported was itself too frequent, and so is the contained span);
3. every remaining candidate is recounted on every group (token ids, so no re-tokenization) and the
   counts summed; spans occurring more than ``max_count`` times in all are dropped;
4. ranking by unigram log-probability uses the *summed* unigram counts of the groups (add-one
   smoothing over the summed total and the shared vocabulary, computed exactly as ``trace`` does,
   so the order and the floats equal a single server's); K = ceil(0.05 tokens) unless ``k`` is given;
5. documents: each group sends every document holding the span (it asks for at least
   ``max_count`` documents), the union in corpus order is sampled evenly down to ``max_docs`` as
   ``trace`` samples, and BM25 snippet scores are recomputed over all the chosen snippets.

Step 5 is exact while a span's documents fit in what a group returns (``max_count`` <= the
per-group document cap); past it the union of the groups' samples is sampled again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from tracer.errors import MismatchError
from tracer.query.find import sample_evenly
from tracer.query.options import TraceOptions
from tracer.query.trace_docs import TracedDocument
from tracer.query.trace_rank import TracedSpan, TraceResult, choose_spans, finish_trace, span_logprobs
from tracer.query.trace_stats import TraceTokenStats


@dataclass
class GroupTrace:
    """One group's all-spans trace, with document numbers already made global (group base added)."""

    address: str
    result: TraceResult
    stats: TraceTokenStats


@dataclass
class Candidate:
    start_token: int
    end_token: int
    start_char: int
    end_char: int
    text: str
    documents: list[TracedDocument] = field(default_factory=list)


def check_same_tokens(groups: list[GroupTrace]) -> np.ndarray:
    """The searched ids, which every group must agree on (same tokenizer, same normalization)."""
    first = groups[0]
    for g in groups[1:]:
        if not np.array_equal(g.stats.ids, first.stats.ids) or g.stats.unigram_vocab != first.stats.unigram_vocab:
            raise MismatchError(f"{g.address} tokenizes the text differently from {first.address}: "
                                "the servers do not hold shard groups of one index")
    return first.stats.ids


def candidate_spans(groups: list[GroupTrace]) -> list[Candidate]:
    """Steps 1-2: the longest span per start, minus those contained in an earlier candidate."""
    best: dict[int, Candidate] = {}
    for g in groups:
        for s in g.result.spans:
            c = best.get(s.start_token)
            if c is None or s.end_token > c.end_token:
                best[s.start_token] = Candidate(s.start_token, s.end_token, s.start_char, s.end_char, s.text)
    out: list[Candidate] = []
    reach = -1
    for start in sorted(best):
        c = best[start]
        if c.end_token > reach:
            out.append(c)
            reach = c.end_token
    for c in out:  # the documents of exactly this span, from every group that reported it
        seen: set[int] = set()
        for g in groups:
            for s in g.result.spans:
                if (s.start_token, s.end_token) == (c.start_token, c.end_token):
                    for d in s.documents:
                        if d.doc_index not in seen:
                            seen.add(d.doc_index)
                            c.documents.append(d)
        c.documents.sort(key=lambda d: d.doc_index)
    return out


def merged_logprobs(groups: list[GroupTrace]) -> np.ndarray:
    """Per searched token, log P(token) under the summed unigram counts (as ``IndexReader.unigram_logprobs``)."""
    counts = np.zeros(len(groups[0].stats.ids), dtype=np.uint64)
    total = 0
    for g in groups:
        counts += g.stats.unigram_counts
        total += g.stats.unigram_total
    denominator = np.float64(total) + groups[0].stats.unigram_vocab
    return np.log((counts.astype(np.float64) + 1.0) / denominator)


def merge_traces(text: str, groups: list[GroupTrace], candidates: list[Candidate], totals: np.ndarray,
                 options: TraceOptions) -> TraceResult:
    """Steps 3-5 given each candidate's count summed over the groups; the tail is ``trace``'s own
    (tracer.query.trace_rank), so the spans kept, their order and their scores are a single server's."""
    n_tokens = groups[0].result.n_tokens
    if not candidates:
        return TraceResult([], [], n_tokens)
    ids = groups[0].stats.ids
    starts = np.asarray([c.start_token for c in candidates], dtype=np.int64)
    lengths = np.asarray([c.end_token - c.start_token for c in candidates], dtype=np.int64)
    logp = span_logprobs(merged_logprobs(groups)[: len(ids)], starts, lengths)
    spans: list[TracedSpan] = []
    for j in choose_spans(starts, lengths, logp, totals, n_tokens, options):
        c = candidates[int(j)]
        docs = [replace(c.documents[i]) for i in sample_evenly(len(c.documents), options.max_docs)] \
            if options.max_docs > 0 else []
        spans.append(TracedSpan(c.start_char, c.end_char, c.start_token, c.end_token, c.text, int(totals[j]),
                                float(logp[j]), docs))
    return finish_trace(text, spans, n_tokens)
