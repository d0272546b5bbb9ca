"""Binary search of token sequences in one shard's suffix array.

Arrays: ``tokens`` (u8/u16/u32, documents separated by a reserved id), ``sa`` (suffix
start positions in numeric token order: u32, or (n, 5) u8 rows of 40-bit entries; see ``sa_entry``), ``query`` (same dtype as tokens). Every suffix-array
entry read is checked against the number of tokens: one past it means a damaged ``sa``, and the
kernel raises ``CorruptArrayError`` instead of answering (a wrong count is worse than an error).
An in-range but wrong entry is the block checksums' job (tracer/index/blocks.py).

Each shard may carry an in-RAM sample of its suffix array (tracer/index/sample.py: every
``every``-th suffix's first tokens, ``rows``/``lens``, and ``lookup``, the first row of each
16-bit key); the ``sampled_*`` kernels first narrow
the search to one block of ``every`` entries per side with it, so a cold shard is read from disk
only inside that block. The plain kernels are the same search over the whole array.

Parallel kernels cannot raise inside ``prange`` without losing the parallelism, so their loops
mark a bad entry with -1 and raise once the loop is done.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types
from numba.extending import overload, register_jitable

from tracer_native.errors import CorruptArrayError
from tracer_native.intrinsics import prefetch

BAD_ENTRY = "suffix array entry out of range"
EMPTY_ROWS = np.zeros((0, 1), dtype=np.uint8)  # no sample: (rows, lens, every, lookup) = (EMPTY_ROWS, EMPTY_LENS, 0, EMPTY_LOOKUP)
EMPTY_LENS = np.zeros(0, dtype=np.uint8)
EMPTY_LOOKUP = np.zeros(0, dtype=np.int64)  # no bucket table: the row search spans every row
BUCKETS = 1 << 16  # the sample's lookup table: rows by their first 16 bits (tracer.index.sample.bucket_lookup)
FENCE = 32  # then, for byte rows, every FENCE-th row's first 8 bytes as a key (tracer.index.sample.fence_keys)


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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def common_prefix(tokens, pos, query, start, length):
    """Length of the longest common prefix of the suffix at ``pos`` and query[start:start+length]."""
    n = tokens.shape[0]
    k = 0
    while k < length and pos + k < n and tokens[pos + k] == query[start + k]:
        k += 1
    return k


@register_jitable
def compare_row(rows, lens, j, query, start, length):
    """``compare_suffix`` on the sample's row j (the first ``rows.shape[1]`` tokens of a sampled
    suffix, ``lens[j]`` of them real): compares at most that many query tokens, so 0 means
    "equal as far as the row goes", which decides only when ``length <= rows.shape[1]``."""
    m = min(length, rows.shape[1])
    r = lens[j]
    for k in range(m):
        if k >= r:
            return -1  # the suffix ends here (the shard's last tokens)
        a = rows[j, k]
        b = query[start + k]
        if a < b:
            return -1
        if a > b:
            return 1
    return 0


@register_jitable
def bucket_rows(rows, lookup, query, start, length):
    """The rows [r0, r1) that can hold query[start:start+length]'s first tokens, from the sample's
    lookup table (first row of each 16-bit key: two byte tokens, else one token capped at 65535;
    see tracer.index.sample.bucket_lookup): rows before r0 sort before the query, rows from r1
    after it. No table, or an empty query: every row."""
    nr = rows.shape[0]
    if lookup.shape[0] == 0 or length <= 0:
        return np.int64(0), np.int64(nr)
    q0 = np.int64(query[start])
    if rows.itemsize == 1:
        lo = q0 << 8
        hi = lo | 255
        if rows.shape[1] >= 2 and length >= 2:
            lo |= np.int64(query[start + 1])
            hi = lo
    else:
        lo = min(q0, np.int64(BUCKETS - 1))
        hi = lo
    return lookup[lo], lookup[hi + 1]


@register_jitable
def paired_rows(rows, lens, lookup, query, start, length):
    """(a, c): the first sample row >= query[start:start+length] and the first row > it (as far as
    a row goes), found by two binary searches advanced side by side: each step prefetches both
    probes, so the two chains of cache misses overlap instead of following each other."""
    a, b = bucket_rows(rows, lookup, query, start, length)
    c, d = a, b
    while a < b or c < d:
        m1 = (a + b) >> 1
        m2 = (c + d) >> 1
        if a < b:
            prefetch(rows, m1)
        if c < d:
            prefetch(rows, m2)
        if a < b:
            if compare_row(rows, lens, m1, query, start, length) < 0:
                a = m1 + 1
            else:
                b = m1
        if c < d:
            if compare_row(rows, lens, m2, query, start, length) <= 0:
                c = m2 + 1
            else:
                d = m2
    return a, c


@register_jitable
def fence_windows(rows, lens, lookup, query, start, length):
    """(ok, a0, a1, c0, c1): the first row >= query[start:start+length] lies in [a0, a1] and the
    first row > it in [c0, c1] (as ``compare_row`` orders them), from the fence keys that follow
    the bucket table in ``lookup`` (tracer.index.sample.fence_keys) alone: a search of a few MB
    that the CPU caches hold, instead of a bucket's rows. When the compared length fits in the
    keys' 8 bytes each window is FENCE rows. ok is False (use the rows) without a fence, for an
    empty query, or when the query's first bytes hold a 0: a row cut short by the shard's end
    is zero-padded in its key, and only a nonzero query byte tells "ended" from "0"."""
    nf = lookup.shape[0] - (BUCKETS + 1)
    zero = np.int64(0)
    m = min(length, rows.shape[1])  # tokens compare_row compares
    if nf <= 0 or rows.itemsize != 1 or m <= 0:
        return False, zero, zero, zero, zero
    k8 = min(m, 8)
    q = np.uint64(0)
    for k in range(8):
        b = np.uint64(0)
        if k < k8:
            b = np.uint64(query[start + k])
            if b == 0:
                return False, zero, zero, zero, zero
        q = (q << np.uint64(8)) | b
    q_hi = q | ((np.uint64(1) << np.uint64(8 * (8 - k8))) - np.uint64(1)) if k8 < 8 else q
    flip = np.uint64(1) << np.uint64(63)
    lo_key = np.int64(q ^ flip)  # the fence in signed order
    hi_key = np.int64(q_hi ^ flip)
    r0, r1 = bucket_rows(rows, lookup, query, start, length)
    nr = np.int64(rows.shape[0])
    base = BUCKETS + 1
    g, g_end = r0 // FENCE, min(np.int64(nf), (r1 + FENCE - 1) // FENCE)  # keys outside: other buckets
    while g < g_end:  # first key >= lo_key
        mid = (g + g_end) >> 1
        if lookup[base + mid] < lo_key:
            g = mid + 1
        else:
            g_end = mid
    g_lo = g
    g_end = min(np.int64(nf), (r1 + FENCE - 1) // FENCE)
    while g < g_end:  # first key > hi_key
        mid = (g + g_end) >> 1
        if lookup[base + mid] <= hi_key:
            g = mid + 1
        else:
            g_end = mid
    g_hi = g
    a0 = zero if g_lo == 0 else (g_lo - 1) * FENCE + 1
    c1 = min(g_hi * FENCE, nr)
    if m > 8:  # rows equal on the keys' 8 bytes may still order either way
        return True, a0, c1, a0, c1
    return True, a0, min(g_lo * FENCE, nr), (zero if g_hi == 0 else (g_hi - 1) * FENCE + 1), c1


@register_jitable
def prefetch_rows(rows, r0, r1):
    """Prefetch rows [r0, r1] when that is one fence window (a few cache lines); a wider window
    (rows equal on the keys' 8 bytes) is left to the search."""
    if r1 - r0 > FENCE:
        return
    step = max(1, 64 // (rows.shape[1] * rows.itemsize))
    for r in range(r0, min(r1 + 1, rows.shape[0]), step):
        prefetch(rows, r)


@register_jitable
def first_row(rows, lens, query, start, length, a, b, after):
    """First row in [a, b) that is >= the query (``after``: > it), or b."""
    while a < b:
        m = (a + b) >> 1
        c = compare_row(rows, lens, m, query, start, length)
        if c < 0 or (after and c == 0):
            a = m + 1
        else:
            b = m
    return a


@register_jitable
def row_bounds(rows, lens, lookup, query, start, length):
    """(a, c): the first sample row >= query[start:start+length] and the first row > it (as far
    as a row goes); through the fence where there is one, else the bucket's rows side by side."""
    ok, a0, a1, c0, c1 = fence_windows(rows, lens, lookup, query, start, length)
    if not ok:
        return paired_rows(rows, lens, lookup, query, start, length)
    prefetch_rows(rows, a0, a1)
    prefetch_rows(rows, c0, c1)
    a = first_row(rows, lens, query, start, length, a0, a1, False)
    return a, first_row(rows, lens, query, start, length, max(a, c0), c1, True)


@njit(cache=True, nogil=True)
def sample_bounds(rows, lens, every, lookup, n, query, start, length):
    """Where the SA range of query[start:start+length] can lie, from the in-RAM sample alone.

    Row j of the sample holds the first tokens of suffix ``sa[j * every]``. Returns
    (la, lb, ha, hb): the range's lower bound lies in [la, lb] and its upper bound in [ha, hb],
    each one block of ``every`` entries when the query fits in a row; a longer query whose
    first tokens equal several rows gets [la, hb] for both. No sample (``every`` <= 0 or no
    rows): the whole array, (0, n, 0, n).
    """
    nr = rows.shape[0]
    if every <= 0 or nr == 0:
        return np.int64(0), np.int64(n), np.int64(0), np.int64(n)
    a, c = row_bounds(rows, lens, lookup, query, start, length)
    return blocks_of_rows(a, c, nr, every, n, length > rows.shape[1])


@register_jitable
def blocks_of_rows(a, c, nr, every, n, longer_than_row):
    """(la, lb, ha, hb) of ``sample_bounds`` from the first row >= the query (a) and the first row
    > it (c): row j is suffix sa[j * every], so each bound lies within one block of ``every``
    entries, or for a query longer than a row anywhere in [la, hb]."""
    n = np.int64(n)
    la = np.int64(0) if a == 0 else min(np.int64(a - 1) * every + 1, n)
    hb = n if c == nr else min(np.int64(c) * every, n)
    if longer_than_row:
        return la, hb, la, hb
    lb = n if a == nr else min(np.int64(a) * every, n)
    ha = np.int64(0) if c == 0 else min(np.int64(c - 1) * every + 1, n)
    return la, lb, ha, hb


# Pivots a round of a bound's search reads side by side: WIDE_WAYS - 1 in the batch kernel whose
# callers run it only on a warm shard (a cold one goes to sampled_spans_into), else 1 (binary). A
# prefetch does not fault a page in, so on a cold shard the 7 pivots of a round are 7 disk reads one
# after another (cold count p50 1.0 -> 1.3 ms measured), and on a shard whose few touched lines are
# cached (the same n-grams again) the extra compares cost more than they save (session 7, RESULTS.md).
WAYS = 2
WIDE_WAYS = 8


@register_jitable
def _pivot_count(lo, hi, ways):
    """How many pivots a round takes in [lo, hi): ways - 1, or every entry when fewer."""
    return min(hi - lo, ways - 1)


@register_jitable
def _pivot(lo, hi, ways, j):
    """Pivot j of [lo, hi): the entries that cut it into ``ways`` near-equal parts, distinct and
    sorted (every entry when the window holds fewer than ``ways``); ways=2: the midpoint."""
    span = hi - lo
    if span <= ways - 1:
        return lo + j
    return lo + (span * (j + 1)) // ways


@register_jitable
def _fetch_pivots(tokens, sa, lo, hi, ways):
    """Prefetch the round's pivot entries, then read each and prefetch its text, so that the
    misses of a round overlap; False when an entry is out of range. The caller reads the entries
    again to compare (cache hits): no scratch arrays to allocate per lookup."""
    nt = tokens.shape[0]
    k = _pivot_count(lo, hi, ways)
    for j in range(k):
        prefetch(sa, _pivot(lo, hi, ways, j))
    for j in range(k):
        p = sa_entry(sa, _pivot(lo, hi, ways, j), nt)
        if p < 0:
            return False
        prefetch(tokens, p)
    return True


@register_jitable
def paired_bounds(tokens, sa, query, start, length, la, lb, ha, hb, ways):
    """(lo, hi): the first entry in [la, lb) whose suffix is not before query[start:start+length]
    and the first in [ha, hb) whose suffix is after it; (-1, -1) on an out-of-range entry.

    A binary search waits on two dependent cache misses per halving (the entry, then its text),
    ~0.4 µs each on a large shard here. Each round here instead reads ``ways`` - 1 pivots of both
    windows at once (all entries prefetched, then all texts) and keeps the part between the
    pivots that bracket the bound: with 8 ways, log_8 instead of log_2 rounds of misses, for more
    reads in all. ways=2 is a binary search; both ends still run side by side."""
    nt = tokens.shape[0]
    lo, l_end, hi, h_end = la, lb, ha, hb
    while lo < l_end or hi < h_end:
        if lo == hi and l_end == h_end:  # one window for both ends (a query longer than a row): one set of compares
            if not _fetch_pivots(tokens, sa, lo, l_end, ways):
                return np.int64(-1), np.int64(-1)
            a, b = lo, l_end
            for j in range(_pivot_count(a, b, ways)):
                m = _pivot(a, b, ways, j)
                c = compare_suffix(tokens, sa_entry(sa, m, nt), query, start, length)
                if c < 0:
                    lo = m + 1
                elif l_end == b:  # the first pivot not before the query ends the lower window
                    l_end = m
                if c <= 0:
                    hi = m + 1
                else:
                    h_end = m
                    break
            continue
        if lo < l_end and not _fetch_pivots(tokens, sa, lo, l_end, ways):
            return np.int64(-1), np.int64(-1)
        if hi < h_end and not _fetch_pivots(tokens, sa, hi, h_end, ways):
            return np.int64(-1), np.int64(-1)
        a, b = lo, l_end
        for j in range(_pivot_count(a, b, ways) if a < b else 0):  # pivots before the bound sort before the query
            m = _pivot(a, b, ways, j)
            if compare_suffix(tokens, sa_entry(sa, m, nt), query, start, length) < 0:
                lo = m + 1
            else:
                l_end = m
                break
        a, b = hi, h_end
        for j in range(_pivot_count(a, b, ways) if a < b else 0):
            m = _pivot(a, b, ways, j)
            if compare_suffix(tokens, sa_entry(sa, m, nt), query, start, length) <= 0:
                hi = m + 1
            else:
                h_end = m
                break
    return lo, hi


@register_jitable
def sampled_bounds(tokens, sa, rows, lens, every, lookup, query, start, length, ways):
    """``sampled_checked_range`` searching the suffix array ``ways`` ways a round."""
    length = min(length, query.shape[0] - start)  # never read past the query, whatever the caller says
    if start < 0 or length < 0:
        return np.int64(0), np.int64(0)
    la, lb, ha, hb = sample_bounds(rows, lens, every, lookup, sa.shape[0], query, start, length)
    return paired_bounds(tokens, sa, query, start, length, la, lb, ha, hb, ways)


@njit(cache=True, nogil=True)
def sampled_checked_range(tokens, sa, rows, lens, every, lookup, query, start, length):
    """``checked_range`` narrowed first by the shard's in-RAM sample (no sample: the whole array)."""
    return sampled_bounds(tokens, sa, rows, lens, every, lookup, query, start, length, WAYS)


@njit(cache=True, nogil=True)
def checked_range(tokens, sa, query, start, length):
    """``sa_range`` that does not raise: (-1, -1) when a suffix-array entry it reads is out of range."""
    length = min(length, query.shape[0] - start)  # never read past the query, whatever the caller says
    if start < 0 or length < 0:
        return np.int64(0), np.int64(0)
    n = np.int64(sa.shape[0])
    return paired_bounds(tokens, sa, query, start, length, np.int64(0), n, np.int64(0), n, WAYS)


@njit(cache=True, nogil=True)
def sampled_range(tokens, sa, rows, lens, every, lookup, query, start, length):
    """``sa_range`` narrowed first by the shard's in-RAM sample (rows, lens, every, lookup; see tracer.index.sample)."""
    lo, hi = sampled_checked_range(tokens, sa, rows, lens, every, lookup, query, start, length)
    if lo < 0:
        raise CorruptArrayError(BAD_ENTRY)
    return lo, hi


@njit(cache=True, nogil=True)
def sa_range(tokens, sa, query, start, length):
    """Half-open SA range [lo, hi) of suffixes that begin with query[start:start+length].

    Raises CorruptArrayError on a suffix-array entry past the end of ``tokens``."""
    lo, hi = checked_range(tokens, sa, query, start, length)
    if lo < 0:
        raise CorruptArrayError(BAD_ENTRY)
    return lo, hi


@njit(cache=True, nogil=True)
def no_sample(query):
    """An empty sample (rows, lens, every, lookup) for the kernels below: the search covers the whole array."""
    return np.zeros((0, 1), dtype=query.dtype), np.zeros(0, dtype=np.uint8), np.int64(0), np.zeros(0, dtype=np.int64)


@njit(cache=True, nogil=True)
def count_sequence(tokens, sa, query):
    """Number of occurrences of the whole ``query`` in the shard."""
    lo, hi = sa_range(tokens, sa, query, np.int64(0), query.shape[0])
    return hi - lo


@njit(cache=True, nogil=True)
def sampled_count(tokens, sa, rows, lens, every, lookup, query):
    """``count_sequence`` narrowed first by the shard's sample."""
    lo, hi = sampled_range(tokens, sa, rows, lens, every, lookup, query, np.int64(0), query.shape[0])
    return hi - lo


@njit(cache=True, nogil=True)
def sampled_count_batch(tokens, sa, rows, lens, every, lookup, flat, offsets):
    """Counts of queries packed as flat[offsets[i]:offsets[i+1]] (int64 result per query)."""
    q = offsets.shape[0] - 1
    out = np.zeros(q, dtype=np.int64)
    for i in range(q):
        s = offsets[i]
        length = offsets[i + 1] - s
        if length <= 0:
            continue
        lo, hi = sampled_range(tokens, sa, rows, lens, every, lookup, flat, s, length)
        out[i] = hi - lo
    return out


@njit(cache=True, nogil=True)
def count_batch(tokens, sa, flat, offsets):
    """``sampled_count_batch`` without a sample."""
    rows, lens, every, lookup = no_sample(flat)
    return sampled_count_batch(tokens, sa, rows, lens, every, lookup, flat, offsets)


@njit(cache=True, nogil=True, parallel=True)
def sampled_ranges_of_spans(tokens, sa, rows, lens, every, lookup, query, starts, lengths):
    """SA ranges [lo, hi) of query[starts[j]:starts[j]+lengths[j]] for every j (empty span -> (0, 0)),
    8 ways a round (WIDE_WAYS): its callers send a shard that looks cold to ``sampled_spans_into``."""
    m = starts.shape[0]
    lo = np.zeros(m, dtype=np.int64)
    hi = np.zeros(m, dtype=np.int64)
    for j in prange(m):
        if lengths[j] <= 0:
            continue
        a, b = sampled_bounds(tokens, sa, rows, lens, every, lookup, query, starts[j], lengths[j], WIDE_WAYS)
        lo[j] = a
        hi[j] = b
    for j in range(m):
        if lo[j] < 0:
            raise CorruptArrayError(BAD_ENTRY)
    return lo, hi


@njit(cache=True, nogil=True)
def sampled_spans_into(tokens, sa, rows, lens, every, lookup, query, starts, lengths, j0, j1, lo, hi):
    """``sampled_ranges_of_spans`` for spans j0..j1-1 into lo/hi, on this thread, by binary searches
    (the path for a shard likely on disk: see ``sampled_longest_into`` and WAYS). Returns False
    when a suffix-array entry was out of range."""
    for j in range(j0, j1):
        if lengths[j] <= 0:
            continue
        a, b = sampled_checked_range(tokens, sa, rows, lens, every, lookup, query, starts[j], lengths[j])
        if a < 0:
            return False
        lo[j] = a
        hi[j] = b
    return True


def ranges_of_spans(tokens, sa, query, starts, lengths):
    """``sampled_ranges_of_spans`` without a sample."""
    rows, lens, every, lookup = EMPTY_ROWS.astype(query.dtype), EMPTY_LENS, 0, EMPTY_LOOKUP
    return sampled_ranges_of_spans(tokens, sa, rows, lens, every, lookup, query, starts, lengths)


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
