"""Merging n-gram answers of shard groups (one index split over several servers) exactly.

Counts add across groups, so the whole index's answer is a function of the groups' answers:

- ``prob``: context and full counts summed.
- ∞-gram back-off: a suffix occurs in the whole index iff it occurs in some group, so the merged
  back-off length is the largest of the groups' (L = max L_g); a group that backed off further
  (L_g < L) does not hold the length-L suffix at all and contributes zero counts. Summing the
  answers of the groups with L_g = L therefore gives the whole index's counts, with no second
  round. ``infgram_logprobs`` applies this per position, then smooths with the summed unigram
  counts and N (why each group reports count(t_i) and N).
- ``ntd``: continuation counts summed; exact when the merged context count is at most
  ``max_support`` (each group then counted exactly). Past it the whole index samples evenly;
  merging group samples drawn in proportion to their counts (``ntd_quotas``) is approximate
  and marked so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tracer.query.ngram import (
    Continuation,
    InfgramLogprobs,
    NextTokenDistribution,
    NgramProb,
    smoothed_logprobs,
)


def backoff_parts(parts: Sequence[NgramProb | NextTokenDistribution]) -> list:
    """The groups' answers at the merged back-off length (the longest any group found)."""
    longest = max(p.context_len for p in parts)
    return [p for p in parts if p.context_len == longest]


def merge_probs(parts: Sequence[NgramProb]) -> NgramProb:
    """``prob`` (or ``infgram_prob`` after ``backoff_parts``) of the union of the groups."""
    ctx = sum(p.count_context for p in parts)
    full = sum(p.count_full for p in parts)
    first = parts[0]
    return NgramProb(full / ctx if ctx else None, ctx, full, first.token, first.context_len)


def merge_ntds(parts: Sequence[NextTokenDistribution], max_support: int) -> NextTokenDistribution:
    """Continuations summed over groups, most frequent first (ties by token id, as ``ntd``)."""
    counts: dict[int, int] = {}
    texts: dict[int, str] = {}
    for p in parts:
        for c in p.continuations:
            counts[c.token] = counts.get(c.token, 0) + c.count
            texts[c.token] = c.text
    total = sum(counts.values())
    order = sorted(counts, key=lambda t: (-counts[t], t))
    conts = [Continuation(t, texts[t], counts[t], counts[t] / total) for t in order]
    count_context = sum(p.count_context for p in parts)
    approximate = any(p.approximate for p in parts) or count_context > max_support
    return NextTokenDistribution(count_context, parts[0].context_len, approximate, sum(p.support for p in parts),
                                 sum(p.doc_end for p in parts), conts)


def ntd_quotas(counts: Sequence[int], max_support: int) -> list[int]:
    """``max_support`` split over groups in proportion to their context counts (each at least 1 where
    the group holds the context), so the merged sample is spread like the whole index's."""
    total = sum(counts)
    exact = [max_support * c / total for c in counts]
    quotas = [int(x) for x in exact]
    for i in sorted(range(len(counts)), key=lambda i: (quotas[i] - exact[i], i))[: max_support - sum(quotas)]:
        quotas[i] += 1
    return [max(1, min(q, c)) if c else 1 for q, c in zip(quotas, counts, strict=True)]


def merge_infgram_logprobs(parts: Sequence[InfgramLogprobs], vocab_size: int) -> InfgramLogprobs:
    """The whole index's ``infgram_logprobs`` from each group's (same text, same ``max_suffix``)."""
    first = parts[0]
    lens = np.stack([p.suffix_len for p in parts])
    longest = lens.max(axis=0)
    at = lens == longest  # groups that hold s_i; the others count it zero times
    ctx = (np.stack([p.count_context for p in parts]) * at).sum(axis=0)
    full = (np.stack([p.count_full for p in parts]) * at).sum(axis=0)
    n = sum(p.n_doc_tokens for p in parts)
    ctx = np.where(longest == 0, n, ctx)  # the empty context occurs N times in every group's answer
    unigram = np.stack([p.token_count for p in parts]).sum(axis=0)
    return InfgramLogprobs(first.token_ids, smoothed_logprobs(full, ctx, unigram, n, vocab_size),
                           longest.astype(np.int64), ctx.astype(np.int64), full.astype(np.int64),
                           unigram.astype(np.int64), n)
