"""Join of two suffix arrays: for positions of a corpus B, the longest prefix each shares with any
suffix of a corpus A (matching statistics), found by walking B's suffix array in order.

Arrays: ``tokens_a``/``sa_a`` and ``tokens_b``/``sa_b`` as in ``search.py`` (same token dtype,
documents separated by the same reserved id); ``starts`` a little-endian bit set over B positions
(the positions asked about); ``caps`` (int32 per B position) the most tokens compared from each
asked position, which must stay inside its document; ``out`` (int32 per B position) is raised to
the answer. Suffixes of B come in sorted order, so the lower bound of each in SA_A is found by
galloping from the previous one (a few comparisons, over nearby and so cached parts of SA_A)
rather than by a fresh binary search; the longest common prefix is then the larger one with the
two A suffixes around that bound. Neighbours in SA_B often share a prefix longer than the
previous one's match in A (or as long as their own key): such a one has the previous answer
and needs no search at all. B's suffix array is cut into chunks walked in parallel.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tracer_native.search import common_prefix, compare_suffix, sa_entry

JOIN_OK = 0
JOIN_BAD_A = 1  # an entry of sa_a points past tokens_a
JOIN_BAD_B = 2  # an entry of sa_b points past tokens_b


@njit(cache=True, nogil=True, inline="always")
def _below(tokens_a, sa_a, j, tokens_b, i, cap):
    """1 when A's suffix SA_A[j] sorts before tokens_b[i:i+cap], 0 when not, -1 for a bad entry."""
    p = sa_entry(sa_a, j, tokens_a.shape[0])
    if p < 0:
        return -1
    return 1 if compare_suffix(tokens_a, p, tokens_b, i, cap) < 0 else 0


@njit(cache=True, nogil=True)
def lower_bound_from(tokens_a, sa_a, tokens_b, i, cap, hint):
    """First j with SA_A[j] >= tokens_b[i:i+cap] (a suffix starting with it counts as >=), galloping
    out from ``hint`` (any value outside [0, len(sa_a)] searches the whole array); -1 for a bad entry."""
    n = sa_a.shape[0]
    lo = 0
    hi = n
    if 0 <= hint <= n:
        r = 0
        if hint < n:
            r = _below(tokens_a, sa_a, hint, tokens_b, i, cap)
            if r < 0:
                return -1
        step = 1
        if r == 1:  # the bound is in (hint, n]
            lo = hint + 1
            while True:
                j = hint + step
                if j >= n:
                    break
                r = _below(tokens_a, sa_a, j, tokens_b, i, cap)
                if r < 0:
                    return -1
                if r == 0:
                    hi = j
                    break
                lo = j + 1
                step *= 2
        else:  # the bound is in [0, hint]
            hi = hint
            while True:
                j = hint - step
                if j < 0:
                    break
                r = _below(tokens_a, sa_a, j, tokens_b, i, cap)
                if r < 0:
                    return -1
                if r == 1:
                    lo = j + 1
                    break
                hi = j
                step *= 2
    while lo < hi:
        mid = (lo + hi) >> 1
        r = _below(tokens_a, sa_a, mid, tokens_b, i, cap)
        if r < 0:
            return -1
        if r == 1:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True, parallel=True)
def join_prefix_lengths(tokens_a, sa_a, tokens_b, sa_b, starts, caps, out, chunks):
    """For every B position i in ``starts``: out[i] = max(out[i], the longest common prefix of
    tokens_b[i:i+caps[i]] and any suffix of A). Returns JOIN_OK, or JOIN_BAD_A / JOIN_BAD_B when a
    suffix-array entry points past its tokens (nothing is answered from a damaged array)."""
    nb = sa_b.shape[0]
    na = sa_a.shape[0]
    ntb = tokens_b.shape[0]
    bad = np.zeros(chunks, dtype=np.int64)
    for c in prange(chunks):
        k0 = c * nb // chunks
        k1 = (c + 1) * nb // chunks
        hint = np.int64(-1)
        prev = np.int64(-1)  # the previous asked B position, its cap and its answer
        prev_cap = np.int64(0)
        prev_ms = np.int64(0)
        for k in range(k0, k1):
            i = sa_entry(sa_b, k, ntb)
            if i < 0:
                bad[c] = JOIN_BAD_B
                break
            if (starts[i >> 3] >> (i & 7)) & 1 == 0:
                continue
            cap = min(np.int64(caps[i]), ntb - i)
            if cap <= 0 or na == 0:
                continue
            if prev >= 0:
                # neighbours in SA_B share a prefix: past the previous answer, or over the whole of
                # this key, it settles this one without a search
                same = common_prefix(tokens_b, prev, tokens_b, i, min(cap, prev_cap))
                if same > prev_ms or same == cap:
                    ms = min(prev_ms, cap)
                    if ms > out[i]:
                        out[i] = ms
                    prev, prev_cap, prev_ms = i, cap, ms
                    continue
            lb = lower_bound_from(tokens_a, sa_a, tokens_b, i, cap, hint)
            if lb < 0:
                bad[c] = JOIN_BAD_A
                break
            hint = lb
            best = np.int64(0)
            for j in (lb, lb - 1):
                if j < 0 or j >= na or best >= cap:
                    continue
                p = sa_entry(sa_a, j, tokens_a.shape[0])
                if p < 0:
                    bad[c] = JOIN_BAD_A
                    break
                best = max(best, common_prefix(tokens_a, p, tokens_b, i, cap))
            if bad[c] != 0:
                break
            if best > out[i]:
                out[i] = best
            prev, prev_cap, prev_ms = i, cap, best
    for c in range(chunks):
        if bad[c] != 0:
            return bad[c]
    return JOIN_OK
