"""One left-to-right pass for the ∞-gram back-off of a whole text on one shard.

The context of position i is the longest suffix query[b:i] that occurs. Walking i forward,
b only grows: while query[b:i+1] occurs, the next context's SA range is this one narrowed by
query[i] (one binary search inside the range); when it does not, the smallest b' > b with
query[b':i+1] occurring is found by a binary search over b' (occurrence is monotone in b'),
each probe one search from the root. A text the shard holds verbatim costs one search plus a
narrowing per token; unseen text costs O(log gap) searches per back-off, against one search
per position for a longest-match pass.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tracer_native.ngram import narrow_range
from tracer_native.search import EMPTY_LENS, EMPTY_LOOKUP, EMPTY_ROWS, sampled_range


def infgram_scan(tokens, sa, query, separator, max_suffix):
    """``sampled_infgram_scan`` without a sample."""
    return sampled_infgram_scan(tokens, sa, EMPTY_ROWS.astype(query.dtype), EMPTY_LENS, 0, EMPTY_LOOKUP, query, separator, max_suffix)


@njit(cache=True, nogil=True)
def sampled_infgram_scan(tokens, sa, rows, lens, every, lookup, query, separator, max_suffix):
    """(starts, ctx, full) per position: s_i = query[starts[i]:i], ctx = its SA range size (the
    whole SA when empty: the caller substitutes the number of document tokens), full = that of
    s_i + query[i]. No context spans a ``separator`` token; ``max_suffix`` < 0 means no cap.
    Searches from the root are narrowed first by the shard's sample (rows, lens, every, lookup)."""
    t = query.shape[0]
    n = sa.shape[0]
    starts = np.zeros(t, dtype=np.int64)
    ctx = np.zeros(t, dtype=np.int64)
    full = np.zeros(t, dtype=np.int64)
    b = 0
    lo = 0
    hi = n
    for i in range(t):
        if max_suffix >= 0 and i - b > max_suffix:
            b = i - max_suffix
            if b < i:
                lo, hi = sampled_range(tokens, sa, rows, lens, every, lookup, query, b, i - b)
            else:
                lo, hi = 0, n
        starts[i] = b
        ctx[i] = hi - lo
        if np.int64(query[i]) == separator:
            b = i + 1
            lo, hi = 0, n
            continue
        lo2, hi2 = narrow_range(tokens, sa, lo, hi, i - b, np.int64(query[i]))
        full[i] = hi2 - lo2
        if hi2 > lo2:
            lo, hi = lo2, hi2
            continue
        # back off: smallest b' in (b, i+1] with query[b':i+1] occurring (b' = i+1: empty, always)
        a, c = b + 1, i + 1
        flo, fhi = 0, n
        while a < c:
            m = (a + c) >> 1
            r0, r1 = sampled_range(tokens, sa, rows, lens, every, lookup, query, m, i + 1 - m)
            if r1 > r0:
                c = m
                flo, fhi = r0, r1
            else:
                a = m + 1
        b = a
        if b == i + 1:
            lo, hi = 0, n
        else:
            lo, hi = flo, fhi  # the last successful probe was at m == a
    return starts, ctx, full
