"""Kernels for n-gram / ∞-gram probabilities and AND/OR document search on one shard.

Arrays as in ``search.py``: ``tokens`` (u8/u16/u32 with a reserved separator id), ``sa`` (u32
suffix starts in numeric token order), queries of the tokens' dtype. The key fact used here:
inside the SA range of a context of length d, suffixes are sorted by their token at offset d,
so each continuation is a contiguous sub-range, found by a binary search on that one token
instead of a new search from the root. A suffix shorter than d + 1 tokens (the shard's end)
sorts first, as in ``compare_suffix``; it is reported as token -1.

A suffix-array entry past the end of ``tokens`` (a damaged sa.bin) reads as BAD (-2): the
kernels stop and raise CorruptArrayError (after their parallel loop, where they cannot raise),
as the search kernels do, instead of answering from damaged data.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tracer_native.errors import CorruptArrayError
from tracer_native.search import (
    BAD_ENTRY,
    EMPTY_LENS,
    EMPTY_LOOKUP,
    EMPTY_ROWS,
    sa_entry,
    sampled_checked_range,
)

BAD = -2  # what _token_at reads from a suffix-array entry past the shard's tokens


@njit(cache=True, nogil=True, inline="always")
def _token_at(tokens, sa, row, depth):
    """Token at offset ``depth`` of the suffix in SA row ``row`` (-1 past the shard's end, BAD
    when the entry itself points past the tokens)."""
    n = tokens.shape[0]
    p = sa_entry(sa, row, n)
    if p < 0:
        return np.int64(BAD)
    p += depth
    if p >= n:
        return np.int64(-1)
    return np.int64(tokens[p])


@njit(cache=True, nogil=True)
def _narrow(tokens, sa, lo, hi, depth, token):
    """``narrow_range`` returning (-1, -1) on a damaged entry (callable inside parallel loops)."""
    a, b = lo, hi
    while a < b:
        m = (a + b) >> 1
        t = _token_at(tokens, sa, m, depth)
        if t == BAD:
            return -1, -1
        if t < token:
            a = m + 1
        else:
            b = m
    c, d = a, hi
    while c < d:
        m = (c + d) >> 1
        t = _token_at(tokens, sa, m, depth)
        if t == BAD:
            return -1, -1
        if t <= token:
            c = m + 1
        else:
            d = m
    return a, c


@njit(cache=True, nogil=True)
def narrow_range(tokens, sa, lo, hi, depth, token):
    """Sub-range of SA rows [lo, hi) (suffixes sharing ``depth`` tokens) whose next token is ``token``."""
    a, c = _narrow(tokens, sa, lo, hi, depth, token)
    if a < 0:
        raise CorruptArrayError(BAD_ENTRY)
    return a, c


@njit(cache=True, nogil=True)
def next_token_groups(tokens, sa, lo, hi, depth):
    """Distinct next tokens (offset ``depth``) of SA rows [lo, hi) with their counts, ascending.

    Galloping from each group's first row finds its end in O(log group size) probes, so the
    cost follows the number of distinct continuations, not the number of occurrences.
    """
    n = max(hi - lo, 0)
    values = np.empty(n, dtype=np.int64)
    counts = np.empty(n, dtype=np.int64)
    g = 0
    r = lo
    while r < hi:
        t = _token_at(tokens, sa, r, depth)
        if t == BAD:
            raise CorruptArrayError(BAD_ENTRY)
        # gallop: find a row past the group, then binary search for the group's end
        step = 1
        last_in = r
        probe = r + 1
        while probe < hi and _token_at(tokens, sa, probe, depth) == t:  # a BAD entry ends the group
            last_in = probe
            step <<= 1
            probe = r + step
        a, b = last_in + 1, min(probe, hi)
        while a < b:
            m = (a + b) >> 1
            if _token_at(tokens, sa, m, depth) == t:
                a = m + 1
            else:
                b = m  # a BAD entry starts the next group, which raises
        values[g] = t
        counts[g] = a - r
        g += 1
        r = a
    return values[:g], counts[:g]


@njit(cache=True, nogil=True)
def next_tokens_at(tokens, sa, rows, depth):
    """Token at offset ``depth`` of the suffix in each SA row of ``rows`` (-1 past the end)."""
    out = np.empty(rows.shape[0], dtype=np.int64)
    for k in range(rows.shape[0]):
        out[k] = _token_at(tokens, sa, rows[k], depth)
        if out[k] == BAD:
            raise CorruptArrayError(BAD_ENTRY)
    return out


def backoff_counts(tokens, sa, query, starts, segments):
    """``sampled_backoff_counts`` without a sample."""
    return sampled_backoff_counts(tokens, sa, EMPTY_ROWS.astype(query.dtype), EMPTY_LENS, 0, EMPTY_LOOKUP, query, starts, segments)


@njit(cache=True, nogil=True, parallel=True)
def sampled_backoff_counts(tokens, sa, rows, lens, every, lookup, query, starts, segments):
    """Counts of query[starts[i]:i] (context) and query[starts[i]:i+1] (context + token) for all i.

    ``starts`` is non-decreasing with starts[i] <= i; ``segments`` holds the first i of each run of
    equal starts plus len(query) at the end. Each run costs one full search (its first context)
    and then one narrowing per position, since the next context is this one plus its token.
    An empty context (starts[i] == i) is the whole suffix array (separators included: the
    caller substitutes the number of document tokens). Each run's first search is narrowed by
    the shard's sample (rows, lens, every, lookup).
    """
    t = query.shape[0]
    n = sa.shape[0]
    ctx = np.zeros(t, dtype=np.int64)
    full = np.zeros(t, dtype=np.int64)
    n_seg = segments.shape[0] - 1
    bad = np.zeros(max(n_seg, 0), dtype=np.bool_)
    for s in prange(n_seg):
        i0 = segments[s]
        i1 = segments[s + 1]
        b = starts[i0]
        if i0 > b:
            lo, hi = sampled_checked_range(tokens, sa, rows, lens, every, lookup, query, b, i0 - b)
        else:
            lo, hi = 0, n
        if lo < 0:
            bad[s] = True
            continue
        for i in range(i0, i1):
            ctx[i] = hi - lo
            if hi > lo:
                lo, hi = _narrow(tokens, sa, lo, hi, i - b, np.int64(query[i]))
                if lo < 0:
                    bad[s] = True
                    break
            full[i] = hi - lo
    for s in range(n_seg):
        if bad[s]:
            raise CorruptArrayError(BAD_ENTRY)
    return ctx, full


@njit(cache=True, nogil=True, inline="always")
def _matches_at(tokens, p, hi, flat, offsets, k):
    """True when pattern k occurs at position p and ends by ``hi``."""
    a = offsets[k]
    m = offsets[k + 1] - a
    if m <= 0 or p + m > hi:
        return False
    j = 0
    while j < m and tokens[p + j] == flat[a + j]:
        j += 1
    return j == m


@njit(cache=True, nogil=True, parallel=True)
def match_in_spans(tokens, span_lo, span_hi, flat, offsets):
    """Every occurrence of any pattern flat[offsets[k]:offsets[k+1]] lying inside a span.

    Returns (span index, position, pattern index) arrays, ordered by span then position. Used to
    check candidate documents for frequent terms: a scan of the documents beats collecting
    millions of occurrences from the suffix array. Two passes over the spans in parallel:
    count per span, then fill at the span's offset.
    """
    n_pat = offsets.shape[0] - 1
    ns = span_lo.shape[0]
    nt = tokens.shape[0]
    per = np.zeros(ns, dtype=np.int64)
    for s in prange(ns):
        hi = min(span_hi[s], nt)
        c = 0
        for p in range(span_lo[s], hi):
            for k in range(n_pat):
                if _matches_at(tokens, p, hi, flat, offsets, k):
                    c += 1
        per[s] = c
    start = np.zeros(ns + 1, dtype=np.int64)
    for s in range(ns):
        start[s + 1] = start[s] + per[s]
    out_s = np.empty(start[ns], dtype=np.int64)
    out_p = np.empty(start[ns], dtype=np.int64)
    out_k = np.empty(start[ns], dtype=np.int64)
    for s in prange(ns):
        hi = min(span_hi[s], nt)
        w = start[s]
        for p in range(span_lo[s], hi):
            for k in range(n_pat):
                if _matches_at(tokens, p, hi, flat, offsets, k):
                    out_s[w] = s
                    out_p[w] = p
                    out_k[w] = k
                    w += 1
    return out_s, out_p, out_k


@njit(cache=True, nogil=True)
def min_cover_spread(positions, groups, bounds, n_groups):
    """For each block positions[bounds[d]:bounds[d+1]] (sorted), the smallest max - min of a set of
    positions that holds every group 0..n_groups-1 at least once (-1 when a group is missing).

    The classic sliding window over occurrences sorted by position.
    """
    nb = bounds.shape[0] - 1
    out = np.full(nb, -1, dtype=np.int64)
    have = np.zeros(n_groups, dtype=np.int64)
    for d in range(nb):
        a = bounds[d]
        b = bounds[d + 1]
        have[:] = 0
        covered = 0
        left = a
        best = -1
        for r in range(a, b):
            g = groups[r]
            if have[g] == 0:
                covered += 1
            have[g] += 1
            while covered == n_groups:
                spread = positions[r] - positions[left]
                if best < 0 or spread < best:
                    best = spread
                gl = groups[left]
                have[gl] -= 1
                if have[gl] == 0:
                    covered -= 1
                left += 1
        out[d] = best
    return out
