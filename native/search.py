"""Binary search of token sequences in one shard's suffix array.

Arrays: ``tokens`` (u8/u16/u32, documents separated by a reserved id), ``sa`` (suffix
start positions in numeric token order: u32, or (n, 5) u8 rows of 40-bit entries; see ``sa_entry``), ``query`` (same dtype as tokens). Every suffix-array
entry read is checked against the number of tokens: one past it means a damaged ``sa``, and the
kernel raises ``CorruptArrayError`` instead of answering (a wrong count is worse than an error).
An in-range but wrong entry is the block checksums' job (tracer/index/blocks.py).

Parallel kernels cannot raise inside ``prange`` without losing the parallelism, so their loops
mark a bad entry with -1 and raise once the loop is done.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from tracer_native.errors import CorruptArrayError

BAD_ENTRY = "suffix array entry out of range"


def sa_entry(sa, i, n):
    """sa[i] as int64, or -1 when it does not point inside the ``n`` tokens (a damaged array).

    ``sa`` is a u32 array, or an (entries, 5) u8 array of little-endian 40-bit entries (shards
    past 2^32 tokens). Inside kernels the width is chosen when numba compiles them (the overload
    below), so each width gets its own machine code and the u32 one is what it always was.
    """
    p = int(sa[i]) if sa.ndim == 1 else int.from_bytes(bytes(sa[i]), "little")
    return -1 if p >= n else p


@overload(sa_entry, inline="always", jit_options={"cache": True, "nogil": True})
def _sa_entry_typed(sa, i, n):
    if isinstance(sa, types.Array) and sa.ndim == 2:
        def read_u40(sa, i, n):
            p = (np.int64(sa[i, 0]) | (np.int64(sa[i, 1]) << 8) | (np.int64(sa[i, 2]) << 16)
                 | (np.int64(sa[i, 3]) << 24) | (np.int64(sa[i, 4]) << 32))
            if p >= n:
                return np.int64(-1)
            return p

        return read_u40

    def read_u32(sa, i, n):
        p = np.int64(sa[i])
        if p >= n:
            return np.int64(-1)
        return p

    return read_u32


@njit(cache=True, nogil=True, inline="always")
def compare_suffix(tokens, pos, query, start, length):
    """Compare the suffix at ``pos`` with query[start:start+length]: -1 less, 0 prefix-equal, 1 greater.

    A suffix that ends (or a position out of range) before the query does sorts first.
    """
    n = tokens.shape[0]
    for k in range(length):
        j = pos + k
        if j >= n:
            return -1
        a = tokens[j]
        b = query[start + k]
        if a < b:
            return -1
        if a > b:
            return 1
    return 0


@njit(cache=True, nogil=True, inline="always")
def common_prefix(tokens, pos, query, start, length):
    """Length of the longest common prefix of the suffix at ``pos`` and query[start:start+length]."""
    n = tokens.shape[0]
    k = 0
    while k < length and pos + k < n and tokens[pos + k] == query[start + k]:
        k += 1
    return k


@njit(cache=True, nogil=True)
def checked_range(tokens, sa, query, start, length):
    """``sa_range`` that does not raise: (-1, -1) when a suffix-array entry it reads is out of range."""
    length = min(length, query.shape[0] - start)  # never read past the query, whatever the caller says
    if start < 0 or length < 0:
        return 0, 0
    n = sa.shape[0]
    nt = tokens.shape[0]
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        p = sa_entry(sa, mid, nt)
        if p < 0:
            return -1, -1
        c = compare_suffix(tokens, p, query, start, length)
        if c < 0:
            lo = mid + 1
        elif c > 0:
            hi = mid
        else:
            # split: lower bound in [lo, mid], upper bound in (mid, hi]
            a, b = lo, mid
            while a < b:
                m = (a + b) >> 1
                p = sa_entry(sa, m, nt)
                if p < 0:
                    return -1, -1
                if compare_suffix(tokens, p, query, start, length) < 0:
                    a = m + 1
                else:
                    b = m
            c2, d = mid + 1, hi
            while c2 < d:
                m = (c2 + d) >> 1
                p = sa_entry(sa, m, nt)
                if p < 0:
                    return -1, -1
                if compare_suffix(tokens, p, query, start, length) <= 0:
                    c2 = m + 1
                else:
                    d = m
            return a, c2
    return lo, lo


@njit(cache=True, nogil=True)
def sa_range(tokens, sa, query, start, length):
    """Half-open SA range [lo, hi) of suffixes that begin with query[start:start+length].

    Raises CorruptArrayError on a suffix-array entry past the end of ``tokens``."""
    lo, hi = checked_range(tokens, sa, query, start, length)
    if lo < 0:
        raise CorruptArrayError(BAD_ENTRY)
    return lo, hi


@njit(cache=True, nogil=True)
def count_sequence(tokens, sa, query):
    """Number of occurrences of the whole ``query`` in the shard."""
    lo, hi = sa_range(tokens, sa, query, 0, query.shape[0])
    return hi - lo


@njit(cache=True, nogil=True)
def count_batch(tokens, sa, flat, offsets):
    """Counts of queries packed as flat[offsets[i]:offsets[i+1]] (int64 result per query)."""
    q = offsets.shape[0] - 1
    out = np.zeros(q, dtype=np.int64)
    for i in range(q):
        s = offsets[i]
        length = offsets[i + 1] - s
        if length <= 0:
            continue
        lo, hi = sa_range(tokens, sa, flat, s, length)
        out[i] = hi - lo
    return out


@njit(cache=True, nogil=True, parallel=True)
def longest_prefix_lengths(tokens, sa, query, limits):
    """For each start i, the length of the longest prefix of query[i:limits[i]] that occurs in the shard."""
    t = query.shape[0]
    n = sa.shape[0]
    nt = tokens.shape[0]
    out = np.zeros(t, dtype=np.int64)
    for i in prange(t):
        length = min(limits[i], t) - i
        if length <= 0 or n == 0:
            continue
        lo = 0
        hi = n
        bad = False
        while lo < hi:
            mid = (lo + hi) >> 1
            p = sa_entry(sa, mid, nt)
            if p < 0:
                bad = True
                break
            if compare_suffix(tokens, p, query, i, length) < 0:
                lo = mid + 1
            else:
                hi = mid
        best = 0
        if not bad and lo < n:
            p = sa_entry(sa, lo, nt)
            if p < 0:
                bad = True
            else:
                best = common_prefix(tokens, p, query, i, length)
        if not bad and lo > 0:
            p = sa_entry(sa, lo - 1, nt)
            if p < 0:
                bad = True
            else:
                k = common_prefix(tokens, p, query, i, length)
                if k > best:
                    best = k
        out[i] = -1 if bad else best
    for i in range(t):
        if out[i] < 0:
            raise CorruptArrayError(BAD_ENTRY)
    return out


@njit(cache=True, nogil=True, parallel=True)
def ranges_of_spans(tokens, sa, query, starts, lengths):
    """SA ranges [lo, hi) of query[starts[j]:starts[j]+lengths[j]] for every j (empty span -> (0, 0))."""
    m = starts.shape[0]
    lo = np.zeros(m, dtype=np.int64)
    hi = np.zeros(m, dtype=np.int64)
    for j in prange(m):
        if lengths[j] <= 0:
            continue
        a, b = checked_range(tokens, sa, query, starts[j], lengths[j])
        lo[j] = a
        hi[j] = b
    for j in range(m):
        if lo[j] < 0:
            raise CorruptArrayError(BAD_ENTRY)
    return lo, hi


@njit(cache=True, nogil=True)
def positions_in_range(positions, n):
    """Raise CorruptArrayError unless every position (read from a suffix array) is below ``n``."""
    for i in range(positions.shape[0]):
        if positions[i] >= n:
            raise CorruptArrayError(BAD_ENTRY)


@njit(cache=True, nogil=True)
def ids_searchable(query, vocab_size, separator):
    """True when every id is below ``vocab_size`` and none is the separator (one pass, no copies)."""
    for k in range(query.shape[0]):
        v = query[k]
        if v >= vocab_size or v == separator:
            return False
    return True
