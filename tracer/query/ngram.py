"""The corpus as a language model: n-gram and ∞-gram probabilities and next-token distributions.

Counts are ``Index.count``'s (overlapping, within documents, summed over shards), so results
from shard groups merge exactly by adding counts. The empty context occurs N times, N being
the number of document tokens (separators excluded): P(t | empty) = count(t) / N. A document's
end is not a token: continuations exclude it and report how many occurrences end there.

Text contexts go through the index's tokenizer with the README's leading-space rule (a BPE
context that does not start with whitespace is counted in both spellings); a text token must be
exactly one token of the index's tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tracer.errors import InputError
from tracer.index.reader import IndexReader
from tracer.query.find import sample_evenly
from tracer.query.longest import _parallel_guard, longest_lengths
from tracer.query.options import NgramOptions, resolve
from tracer.query.shards import map_shards, sa_checked, shard_count, shard_range
from tracer.query.tokens import Query, check_token_ids, query_variants
from tracer_native import (
    next_token_groups,
    next_tokens_at,
    sampled_backoff_counts,
    sampled_infgram_scan,
)

Token = int | str


@dataclass
class NgramProb:
    """P(token | context) = count_full / count_context; ``prob`` is None when the context never occurs."""

    prob: float | None
    count_context: int
    count_full: int
    token: int
    context_len: int  # tokens of the context used (the back-off suffix for infgram_prob)

    def to_json(self) -> dict:
        return {"prob": self.prob, "count_context": self.count_context, "count_full": self.count_full,
                "token": self.token, "context_len": self.context_len}


@dataclass
class Continuation:
    token: int
    text: str  # the token decoded on its own (bytes that are not whole UTF-8 characters show as U+FFFD)
    count: int  # occurrences followed by this token (in the sample when approximate)
    prob: float  # count / occurrences with a next token

    def to_json(self) -> dict:
        return {"token": self.token, "text": self.text, "count": self.count, "prob": self.prob}


@dataclass
class NextTokenDistribution:
    """Continuations of a context, most frequent first.

    Exact when the context occurs at most ``max_support`` times; otherwise ``approximate`` and
    counted over an even sample of ``support`` occurrences along the suffix array (which is
    sorted by continuation, so the sample is spread over all of them).
    """

    count_context: int  # occurrences of the context (N for the empty context)
    context_len: int
    approximate: bool
    support: int  # occurrences examined
    doc_end: int  # of those, how many end their document (no next token)
    continuations: list[Continuation] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"count_context": self.count_context, "context_len": self.context_len,
                "approximate": self.approximate, "support": self.support, "doc_end": self.doc_end,
                "continuations": [c.to_json() for c in self.continuations]}


@dataclass
class InfgramLogprobs:
    """Per position i: smoothed ln P∞(t_i | t_<i) on the longest suffix s_i of t_<i that occurs.

    ``logprobs[i]`` = ln((count_full[i] + u(t_i)) / (count_context[i] + 1)) with
    u(t) = (count(t) + 1) / (N + V); ``suffix_len[i]`` = |s_i| (0: the empty context, count N).
    ``token_count`` (count(t_i)) and ``n_doc_tokens`` (N) let answers of shard groups merge
    exactly (tracer.query.ngram_merge).
    """

    token_ids: np.ndarray  # int64 [n]
    logprobs: np.ndarray  # float64 [n]
    suffix_len: np.ndarray  # int64 [n]
    count_context: np.ndarray  # int64 [n]: count(s_i)
    count_full: np.ndarray  # int64 [n]: count(s_i t_i)
    token_count: np.ndarray  # int64 [n]: count(t_i), the unigram count
    n_doc_tokens: int  # N

    def to_json(self) -> dict:
        return {"token_ids": self.token_ids.tolist(), "logprobs": self.logprobs.tolist(),
                "suffix_len": self.suffix_len.tolist(), "count_context": self.count_context.tolist(),
                "count_full": self.count_full.tolist(), "token_count": self.token_count.tolist(),
                "n_doc_tokens": self.n_doc_tokens}


# -- inputs ----------------------------------------------------------------------------------
def document_tokens(index: IndexReader) -> int:
    """N: tokens inside documents (the unigram table excludes separators)."""
    return int(np.asarray(index.unigram).sum(dtype=np.uint64))


def context_variants(index: IndexReader, context: Query) -> list[np.ndarray]:
    """Distinct token sequences that spell ``context`` (one for ids; one or two for text; the
    empty sequence for an empty context)."""
    if isinstance(context, str):
        seqs = [np.zeros(0, dtype=index.dtype)] if context == "" else query_variants(index, context)
    else:
        arr = np.asarray(context)
        seqs = [np.zeros(0, dtype=index.dtype)] if arr.size == 0 and arr.ndim == 1 else [check_token_ids(index, arr)]
    return _distinct(seqs)


def token_id(index: IndexReader, token: Token) -> int:
    """A single token: an id, or a text that the index's tokenizer spells as exactly one token."""
    if isinstance(token, str):
        if not token:
            raise InputError("empty token")
        ids = index.tokenizer.encode(token)
        if len(ids) != 1:
            raise InputError(f"token {token!r} is {len(ids)} tokens of this index's tokenizer; give one token "
                             "(or its id)")
        return int(ids[0])
    if isinstance(token, (bool, np.bool_)) or not isinstance(token, (int, np.integer)):
        raise InputError(f"token must be an int id or a one-token string, got {type(token).__name__}")
    return int(check_token_ids(index, [int(token)])[0])


def _distinct(seqs: Sequence[np.ndarray]) -> list[np.ndarray]:
    seen: set[bytes] = set()
    out = []
    for s in seqs:
        key = s.tobytes()
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _suffixes(seqs: list[np.ndarray], length: int) -> list[np.ndarray]:
    return _distinct([s[len(s) - length:] for s in seqs if len(s) >= length])


def _count(index: IndexReader, seq: np.ndarray) -> int:
    if len(seq) == 0:
        return document_tokens(index)
    return sum(map_shards(index, lambda sh: shard_count(sh, seq)))


def _count_set(index: IndexReader, seqs: list[np.ndarray]) -> int:
    return sum(_count(index, s) for s in seqs)


def _longest_occurring(index: IndexReader, seqs: list[np.ndarray]) -> int:
    """Length of the longest common-length suffix of the variants that occurs (0: none, empty)."""
    lo, hi = 0, max(len(s) for s in seqs)
    while lo < hi:  # occurrence is monotone: a suffix of an occurring sequence occurs
        mid = (lo + hi + 1) // 2
        if _count_set(index, _suffixes(seqs, mid)) > 0:
            lo = mid
        else:
            hi = mid - 1
    return lo


# -- prob ------------------------------------------------------------------------------------
def _prob_of(index: IndexReader, seqs: list[np.ndarray], token: int, context_len: int) -> NgramProb:
    ctx = _count_set(index, seqs)
    tok = np.asarray([token], dtype=index.dtype)
    full = sum(_count(index, np.concatenate([s, tok])) for s in seqs)
    return NgramProb(full / ctx if ctx else None, ctx, full, token, context_len)


def prob(index: IndexReader, context: Query, token: Token) -> NgramProb:
    """count(context + token) / count(context), with both counts ("not found": prob None)."""
    seqs = context_variants(index, context)
    return _prob_of(index, seqs, token_id(index, token), max(len(s) for s in seqs))


def infgram_prob(index: IndexReader, context: Query, token: Token) -> NgramProb:
    """``prob`` on the longest suffix of ``context`` that occurs (``context_len`` = its length)."""
    seqs = context_variants(index, context)
    t = token_id(index, token)
    n = _longest_occurring(index, seqs)
    return _prob_of(index, _suffixes(seqs, n), t, n)


# -- next-token distribution -----------------------------------------------------------------
def _ranges(index: IndexReader, seqs: list[np.ndarray]) -> list[tuple[int, int, int, int]]:
    """(shard, lo, hi, depth) of every variant's SA range on every shard (empty ones dropped)."""
    out = []
    for seq in seqs:
        found = map_shards(index, lambda sh, seq=seq: shard_range(sh, seq) if len(seq) else (0, len(sh.sa)))
        for s, (lo, hi) in enumerate(found):
            if hi > lo:
                out.append((s, int(lo), int(hi), len(seq)))
    return out


def _ntd_of(index: IndexReader, seqs: list[np.ndarray], context_len: int, max_support: int) -> NextTokenDistribution:
    ranges = _ranges(index, seqs)
    count_context = _count_set(index, seqs)
    occurrences = sum(hi - lo for _, lo, hi, _ in ranges)  # with separators for the empty context
    approximate = count_context > max_support
    values, counts = [], []
    if not approximate:
        for s, lo, hi, depth in ranges:
            sh = index.shards[s]
            with sa_checked(sh):
                v, c = next_token_groups(sh.tokens, sh.sa, lo, hi, depth)
            values.append(v)
            counts.append(c)
        support = occurrences
    else:
        take = sample_evenly(occurrences, max_support)
        bounds = np.cumsum([0] + [hi - lo for _, lo, hi, _ in ranges])
        which = np.searchsorted(bounds, take, side="right") - 1
        for j, (s, lo, _hi, depth) in enumerate(ranges):
            rows = (take[which == j] - bounds[j] + lo).astype(np.int64)
            if rows.size:
                sh = index.shards[s]
                with sa_checked(sh):
                    v, c = np.unique(next_tokens_at(sh.tokens, sh.sa, rows, depth), return_counts=True)
                values.append(v)
                counts.append(c)
        support = int(take.size)
    return _distribution(index, values, counts, count_context, context_len, approximate, support)


def _distribution(index: IndexReader, values: list[np.ndarray], counts: list[np.ndarray], count_context: int,
                  context_len: int, approximate: bool, support: int) -> NextTokenDistribution:
    v = np.concatenate(values) if values else np.zeros(0, dtype=np.int64)
    c = np.concatenate(counts).astype(np.int64) if counts else np.zeros(0, dtype=np.int64)
    end = (v < 0) | (v == index.separator)
    doc_end = int(c[end].sum())
    tokens, inverse = np.unique(v[~end], return_inverse=True)
    merged = np.zeros(tokens.size, dtype=np.int64)
    np.add.at(merged, inverse, c[~end])
    total = int(merged.sum())
    order = np.lexsort((tokens, -merged))
    conts = [Continuation(int(tokens[k]), index.tokenizer.decode(np.asarray([tokens[k]], dtype=index.dtype)),
                          int(merged[k]), int(merged[k]) / total) for k in order]
    return NextTokenDistribution(count_context, context_len, approximate, support, doc_end, conts)


def ntd(index: IndexReader, context: Query, options: NgramOptions | None = None, **overrides) -> NextTokenDistribution:
    """Every continuation of ``context`` with its count and probability (see NextTokenDistribution);
    ``NgramOptions`` (``max_support``) as an object and/or by keyword."""
    opts = resolve(NgramOptions, options, overrides)
    seqs = context_variants(index, context)
    return _ntd_of(index, seqs, max(len(s) for s in seqs), opts.max_support)


def infgram_ntd(index: IndexReader, context: Query, options: NgramOptions | None = None,
                **overrides) -> NextTokenDistribution:
    """``ntd`` on the longest suffix of ``context`` that occurs (``context_len`` = its length)."""
    opts = resolve(NgramOptions, options, overrides)
    seqs = context_variants(index, context)
    n = _longest_occurring(index, seqs)
    return _ntd_of(index, _suffixes(seqs, n), n, opts.max_support)


# -- per-position ∞-gram log-probs -----------------------------------------------------------
def _text_ids(index: IndexReader, tokens: Query) -> np.ndarray:
    """A whole text's ids (tokenized as a document is), or given ids checked against the vocabulary.

    Unlike a search, these ids may hold the separator id where it is a vocabulary token (byte
    0xFF): no context spans it and it is never a continuation.
    """
    if isinstance(tokens, str):
        return np.asarray(index.tokenizer.encode(tokens), dtype=np.int64)
    arr = np.asarray(tokens)
    if arr.ndim != 1:
        raise InputError("token ids must be a 1-D sequence")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"token ids must be integers, got {arr.dtype}")
    vocab = index.tokenizer.vocab_size
    if arr.min() < 0 or arr.max() >= vocab:
        raise InputError(f"token id out of range [0, {vocab})")
    return arr.astype(np.int64)


def infgram_logprobs(index: IndexReader, tokens: Query, max_suffix: int | None = None) -> InfgramLogprobs:
    """Smoothed ∞-gram log-prob of every token of a text given all tokens before it, in one pass.

    One shard: a left-to-right pass (``infgram_scan``): one narrowing per position while the
    context keeps occurring, a binary search over the start on a back-off. Several shards (the
    context must occur in any of them): s_i starts where the longest match that reaches
    position i starts: one longest-match search per start position (in parallel), then per run
    of positions sharing a start one search for the run's first context and one narrowing per
    position (``backoff_counts``).
    ``max_suffix`` caps |s_i| (a variant for scoring; None: no cap).
    """
    if max_suffix is not None and (isinstance(max_suffix, bool) or not isinstance(max_suffix, (int, np.integer))
                                   or max_suffix < 0):
        raise InputError(f"max_suffix must be a non-negative integer or None, got {max_suffix!r}")
    ids = _text_ids(index, tokens)
    n = len(ids)
    empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    if n == 0:
        return InfgramLogprobs(ids, empty_f, empty_i, empty_i.copy(), empty_i.copy(), empty_i.copy(),
                               document_tokens(index))
    q = ids.astype(index.dtype)
    pos = np.arange(n, dtype=np.int64)
    if len(index.shards) == 1:  # one shard: one left-to-right pass (native/infgram.py)
        sh = index.shards[0]
        with sa_checked(sh):
            starts, ctx, full = sampled_infgram_scan(sh.tokens, sh.sa, *sh.sample_args, q, int(index.separator),
                                                     -1 if max_suffix is None else int(max_suffix))
        return _smoothed(index, ids, pos, starts, ctx, full)
    seps = np.flatnonzero(ids == index.separator)
    limits = np.append(seps, n)[np.searchsorted(seps, pos, side="left")].astype(np.int64)  # no context spans a separator
    reach = pos + longest_lengths(index, q, limits)
    starts = np.searchsorted(np.maximum.accumulate(reach), pos, side="left").astype(np.int64)
    if max_suffix is not None:
        starts = np.maximum(starts, pos - int(max_suffix))
    segments = np.concatenate([[0], np.flatnonzero(np.diff(starts)) + 1, [n]]).astype(np.int64)
    ctx = np.zeros(n, dtype=np.int64)
    full = np.zeros(n, dtype=np.int64)
    with _parallel_guard():
        for sh in index.shards:
            with sa_checked(sh):
                c, f = sampled_backoff_counts(sh.tokens, sh.sa, *sh.sample_args, q, starts, segments)
            ctx += c
            full += f
    return _smoothed(index, ids, pos, starts, ctx, full)


def _smoothed(index: IndexReader, ids: np.ndarray, pos: np.ndarray, starts: np.ndarray, ctx: np.ndarray,
              full: np.ndarray) -> InfgramLogprobs:
    """The smoothed log-probs from the back-off counts (empty contexts count N; separators never follow)."""
    big_n = document_tokens(index)
    ctx[starts == pos] = big_n
    full[ids == index.separator] = 0
    unigram = np.asarray(index.unigram, dtype=np.int64)[ids]
    return InfgramLogprobs(ids, smoothed_logprobs(full, ctx, unigram, big_n, index.tokenizer.vocab_size),
                           pos - starts, ctx, full, unigram, big_n)


def smoothed_logprobs(full: np.ndarray, ctx: np.ndarray, unigram: np.ndarray, n_doc_tokens: int,
                      vocab_size: int) -> np.ndarray:
    """ln((count(s t) + u(t)) / (count(s) + 1)), u(t) = (count(t) + 1) / (N + V): the ∞-gram smoothing."""
    u = (unigram.astype(np.float64) + 1.0) / (n_doc_tokens + vocab_size)
    return np.log((full + u) / (ctx + 1.0))

