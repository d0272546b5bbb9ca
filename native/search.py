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
from numba.extending import overload

from tracer_native.errors import CorruptArrayError

BAD_ENTRY = "suffix array entry out of range"
EMPTY_ROWS = np.zeros((0, 1), dtype=np.uint8)  # no sample: (rows, lens, every, lookup) = (EMPTY_ROWS, EMPTY_LENS, 0, EMPTY_LOOKUP)
EMPTY_LENS = np.zeros(0, dtype=np.uint8)
EMPTY_LOOKUP = np.zeros(0, dtype=np.int64)  # no bucket table: the row search spans every row
BUCKETS = 1 << 16  # the sample's lookup table: rows by their first 16 bits (tracer.index.sample.bucket_lookup)


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


@njit(cache=True, nogil=True, inline="always")
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


@njit(cache=True, nogil=True, inline="always")
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
    r0, r1 = bucket_rows(rows, lookup, query, start, length)
    a, b = r0, r1  # first row >= query
    while a < b:
        m = (a + b) >> 1
        if compare_row(rows, lens, m, query, start, length) < 0:
            a = m + 1
        else:
            b = m
    # first row > query: gallop from a (rows equal to a query are usually few), then bisect
    step = 1
    c = a
    d = min(a + 1, r1)
    while d < r1 and compare_row(rows, lens, d, query, start, length) <= 0:
        c = d + 1
        step <<= 1
        d = min(d + step, r1)
    while c < d:
        m = (c + d) >> 1
        if compare_row(rows, lens, m, query, start, length) <= 0:
            c = m + 1
        else:
            d = m
    la = np.int64(0) if a == 0 else min(np.int64(a - 1) * every + 1, np.int64(n))
    hb = np.int64(n) if c == nr else min(np.int64(c) * every, np.int64(n))
    if length > rows.shape[1]:
        return la, hb, la, hb
    lb = np.int64(n) if a == nr else min(np.int64(a) * every, np.int64(n))
    ha = np.int64(0) if c == 0 else min(np.int64(c - 1) * every + 1, np.int64(n))
    return la, lb, ha, hb


@njit(cache=True, nogil=True, inline="always")
def partition_point(tokens, sa, query, start, length, a, b, upper):
    """First entry in [a, b) whose suffix sorts after query[start:start+length] (``upper``) or not
    before it (lower bound); -1 when a suffix-array entry it reads is out of range."""
    nt = tokens.shape[0]
    while a < b:
        m = (a + b) >> 1
        p = sa_entry(sa, m, nt)
        if p < 0:
            return np.int64(-1)
        c = compare_suffix(tokens, p, query, start, length)
        if c < 0 or (upper and c == 0):
            a = m + 1
        else:
            b = m
    return np.int64(a)


@njit(cache=True, nogil=True)
def bounded_range(tokens, sa, query, start, length, la, lb, ha, hb):
    """``checked_range`` knowing that the lower bound lies in [la, lb] and the upper in [ha, hb]
    (``sample_bounds``): (-1, -1) when a suffix-array entry it reads is out of range."""
    nt = tokens.shape[0]
    if la == ha and lb == hb:
        # one window for both bounds: narrow it until a suffix matches, then split there
        lo = la
        hi = lb
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
            else:  # lower bound in [lo, mid], upper bound in (mid, hi]
                a = partition_point(tokens, sa, query, start, length, lo, mid, False)
                c2 = partition_point(tokens, sa, query, start, length, mid + 1, hi, True)
                if a < 0 or c2 < 0:
                    return -1, -1
                return a, c2
        return lo, lo
    a = partition_point(tokens, sa, query, start, length, la, lb, False)
    if a < 0:
        return -1, -1
    c2 = partition_point(tokens, sa, query, start, length, max(ha, a), hb, True)
    if c2 < 0:
        return -1, -1
    return a, c2


@njit(cache=True, nogil=True)
def sampled_checked_range(tokens, sa, rows, lens, every, lookup, query, start, length):
    """``checked_range`` narrowed first by the shard's in-RAM sample (no sample: the same search)."""
    length = min(length, query.shape[0] - start)  # never read past the query, whatever the caller says
    if start < 0 or length < 0:
        return 0, 0
    la, lb, ha, hb = sample_bounds(rows, lens, every, lookup, sa.shape[0], query, start, length)
    return bounded_range(tokens, sa, query, start, length, la, lb, ha, hb)


@njit(cache=True, nogil=True)
def checked_range(tokens, sa, query, start, length):
    """``sa_range`` that does not raise: (-1, -1) when a suffix-array entry it reads is out of range."""
    length = min(length, query.shape[0] - start)  # never read past the query, whatever the caller says
    if start < 0 or length < 0:
        return 0, 0
    n = sa.shape[0]
    return bounded_range(tokens, sa, query, start, length, 0, n, 0, n)


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
    lo, hi = sa_range(tokens, sa, query, 0, query.shape[0])
    return hi - lo


@njit(cache=True, nogil=True)
def sampled_count(tokens, sa, rows, lens, every, lookup, query):
    """``count_sequence`` narrowed first by the shard's sample."""
    lo, hi = sampled_range(tokens, sa, rows, lens, every, lookup, query, 0, query.shape[0])
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


@njit(cache=True, nogil=True, inline="always")
def longest_at(tokens, sa, rows, lens, every, lookup, query, i, length):
    """Length of the longest prefix of query[i:i+length] in the shard: the lower bound of the whole
    span (narrowed by the sample), then the common prefix with the suffixes at and just before it;
    -1 when a suffix-array entry read is out of range."""
    n = sa.shape[0]
    nt = tokens.shape[0]
    if length <= 0 or n == 0:
        return np.int64(0)
    la, lb, ha, hb = sample_bounds(rows, lens, every, lookup, n, query, i, length)
    lo = la
    hi = lb
    while lo < hi:
        mid = (lo + hi) >> 1
        p = sa_entry(sa, mid, nt)
        if p < 0:
            return np.int64(-1)
        if compare_suffix(tokens, p, query, i, length) < 0:
            lo = mid + 1
        else:
            hi = mid
    best = np.int64(0)
    if lo < n:
        p = sa_entry(sa, lo, nt)
        if p < 0:
            return np.int64(-1)
        best = np.int64(common_prefix(tokens, p, query, i, length))
    if lo > 0:
        p = sa_entry(sa, lo - 1, nt)
        if p < 0:
            return np.int64(-1)
        k = common_prefix(tokens, p, query, i, length)
        if k > best:
            best = np.int64(k)
    return best


@njit(cache=True, nogil=True, parallel=True)
def sampled_longest_prefix_lengths(tokens, sa, rows, lens, every, lookup, query, limits):
    """For each start i, the length of the longest prefix of query[i:limits[i]] that occurs in the shard."""
    t = query.shape[0]
    out = np.zeros(t, dtype=np.int64)
    for i in prange(t):
        out[i] = longest_at(tokens, sa, rows, lens, every, lookup, query, i, min(limits[i], t) - i)
    for i in range(t):
        if out[i] < 0:
            raise CorruptArrayError(BAD_ENTRY)
    return out


@njit(cache=True, nogil=True)
def sampled_longest_into(tokens, sa, rows, lens, every, lookup, query, limits, i0, i1, out):
    """``sampled_longest_prefix_lengths`` for starts i0..i1-1 into out[i0:i1], on this thread: for
    callers that spread a cold shard's starts over more threads than cores (the disk reads, not
    the CPU, are the cost). Returns False when a suffix-array entry was out of range."""
    t = query.shape[0]
    ok = True
    for i in range(i0, i1):
        out[i] = longest_at(tokens, sa, rows, lens, every, lookup, query, i, min(limits[i], t) - i)
        if out[i] < 0:
            ok = False
    return ok


def longest_prefix_lengths(tokens, sa, query, limits):
    """``sampled_longest_prefix_lengths`` without a sample."""
    rows, lens, every, lookup = EMPTY_ROWS.astype(query.dtype), EMPTY_LENS, 0, EMPTY_LOOKUP
    return sampled_longest_prefix_lengths(tokens, sa, rows, lens, every, lookup, query, limits)


@njit(cache=True, nogil=True, parallel=True)
def sampled_ranges_of_spans(tokens, sa, rows, lens, every, lookup, query, starts, lengths):
    """SA ranges [lo, hi) of query[starts[j]:starts[j]+lengths[j]] for every j (empty span -> (0, 0))."""
    m = starts.shape[0]
    lo = np.zeros(m, dtype=np.int64)
    hi = np.zeros(m, dtype=np.int64)
    for j in prange(m):
        if lengths[j] <= 0:
            continue
        a, b = sampled_checked_range(tokens, sa, rows, lens, every, lookup, query, starts[j], lengths[j])
        lo[j] = a
        hi[j] = b
    for j in range(m):
        if lo[j] < 0:
            raise CorruptArrayError(BAD_ENTRY)
    return lo, hi


@njit(cache=True, nogil=True)
def sampled_spans_into(tokens, sa, rows, lens, every, lookup, query, starts, lengths, j0, j1, lo, hi):
    """``sampled_ranges_of_spans`` for spans j0..j1-1 into lo/hi, on this thread (see
    ``sampled_longest_into``). Returns False when a suffix-array entry was out of range."""
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
