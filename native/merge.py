"""Merging sorted suffix-array runs into one suffix array by comparing suffixes (shard merges and
compactions that the LF ranking of native/lf_merge.py does not take: wider tokens, many runs).

The runs are suffix arrays of consecutive pieces of one ``tokens`` array, each piece ending with
the document separator (the largest token value), given here as global int64 positions. Suffixes
are compared token by token **up to and including the first separator**: past it nothing a query
can match (queries never hold the separator) depends on the order, and each run's own order (a
full sort of its piece) agrees with this one wherever it decides anything. Two suffixes equal
through their separator go in run order, so the merge is deterministic.

Why these compares stay fast on repetitive data: a k-way merge (a loser tree: log2 k compares per
entry) compares heads of runs, and a compare costs the common prefix of the two suffixes. Most compares are decided by a cached
32-byte key per entry (its first tokens, big-endian, zero past the separator), fetched for a whole
segment in one loop of independent reads, each prefetched a few dozen entries ahead so that many
cache misses are in flight at once. On source code 8-byte keys tied in 2 of 3 compares, 32-byte
ones in 3 of 100. When keys tie, the
common prefix may be long: duplicated files or long runs put the same pair of text regions side
by side over and over (suffix p of one copy against suffix p+d of another, for many p). That is
where infini-gram's merge slowed 45x for 10x the data. Here each compare records the equal run it
found on its *diagonal* d = q - p (tokens[s:e] == tokens[s+d:e+d]) in a small direct-mapped
cache, and a later compare on the same diagonal starting inside [s, e) skips what is known equal
(the Kasai observation lcp(p+1, q+1) >= lcp(p, q) - 1, used out of text order). Duplicated
regions then cost about their length once, not their length per suffix.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tracer_native.intrinsics import load_u64, prefetch
from tracer_native.search import sa_entry

CACHE_SLOTS = 1 << 16  # diagonal-cache entries per merge call (3 int64 + 1 bool each: ~1.6 MB)
MIN_RECORDED = 16  # equal runs shorter than this are not worth a cache slot


KEY_WORDS = 4  # u64 words of cached key per entry: 32 byte tokens (ties on 8 bytes: 66-71% of compares
# on Linux sources, on 32: 3%; measured in benchmarks/RESULTS.md "Merge keys")
PREFETCH_AHEAD = 64  # entries ahead whose text the key loop asks the CPU to fetch


@njit(cache=True, nogil=True, inline="always")
def _fill_key(tokens, p, sep, per, shift, keys, i):
    """keys[i] = the first tokens of the suffix at ``p`` packed big-endian, ``per`` to a u64 word,
    zero after its separator; returns how many tokens the key holds up to and including the
    separator, or one more than it can hold when it has none (the compare reads on in the text)."""
    n = tokens.shape[0]
    ended = False
    seen = False
    held = 0
    for w in range(keys.shape[1]):
        k = np.uint64(0)
        for _ in range(per):
            v = np.uint64(0)
            if not ended and p + held < n:
                t = tokens[p + held]
                v = np.uint64(t)
                held += 1
                if t == sep:
                    ended = True
                    seen = True
            elif not ended:
                ended = True
            k = (k << np.uint64(shift)) | v
        keys[i, w] = k
    return held if seen else keys.shape[1] * per + 1  # also a suffix cut by the array's end


@njit(cache=True, nogil=True, inline="always")
def _bswap(x):
    """The u64 with its bytes reversed (LLVM turns this into one instruction)."""
    m8 = np.uint64(0x00FF00FF00FF00FF)
    m16 = np.uint64(0x0000FFFF0000FFFF)
    x = ((x & m8) << np.uint64(8)) | ((x >> np.uint64(8)) & m8)
    x = ((x & m16) << np.uint64(16)) | ((x >> np.uint64(16)) & m16)
    return (x << np.uint64(32)) | (x >> np.uint64(32))


@njit(cache=True, nogil=True, inline="always")
def _fill_key_bytes(tokens, p, keys, i):
    """``_fill_key`` for byte tokens with separator 0xFF, 8 tokens per unaligned load (the caller
    checks that the key's bytes lie inside ``tokens``)."""
    ones = np.uint64(ONES)
    highs = np.uint64(HIGHS)
    for w in range(keys.shape[1]):
        x = load_u64(tokens, p + 8 * w)
        z = ~x
        if (z - ones) & ~z & highs:  # a 0xFF byte: keep up to it, zero after (and in later words)
            j = 0
            while (x >> np.uint64(8 * j)) & np.uint64(0xFF) != np.uint64(0xFF):
                j += 1
            if j < 7:
                x &= (np.uint64(1) << np.uint64(8 * (j + 1))) - np.uint64(1)
            keys[i, w] = _bswap(x)
            for v in range(w + 1, keys.shape[1]):
                keys[i, v] = np.uint64(0)
            return 8 * w + j + 1
        keys[i, w] = _bswap(x)
    return 8 * keys.shape[1] + 1


@njit(cache=True, nogil=True, inline="always")
def _slot(d, mask):
    h = np.uint64(d) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(h >> np.uint64(40)) & mask


ONES = 0x0101010101010101
HIGHS = 0x8080808080808080


@njit(cache=True, nogil=True, inline="always")
def _extend_words(tokens, p, q, k, n):
    """Byte tokens, separator 0xFF: advance ``k`` over the common prefix of the suffixes at ``p``
    and ``q`` 8 bytes per step (unaligned loads).
    Returns (k, res, final): final when the order is decided (res -1/1) or a shared separator was
    met (res 0, k just past it); not final when fewer than 8 bytes are left (the caller goes on
    byte by byte)."""
    ones = np.uint64(ONES)
    highs = np.uint64(HIGHS)
    while p + k + 8 <= n and q + k + 8 <= n:
        a = p + k
        b = q + k
        x = load_u64(tokens, a)
        y = load_u64(tokens, b)
        z = ~x  # a 0xFF byte of x (the separator) is a zero byte of z
        sep_bits = (z - ones) & ~z & highs
        d = x ^ y
        if d == 0 and sep_bits == 0:
            k += 8
            continue
        for j in range(8):  # little-endian: byte j of the word is token a + j
            shift = np.uint64(8 * j)
            xa = (x >> shift) & np.uint64(0xFF)
            ya = (y >> shift) & np.uint64(0xFF)
            if xa != ya:
                return k + j, (-1 if xa < ya else 1), True
            if xa == np.uint64(0xFF):
                return k + j + 1, 0, True
    return k, 0, False


@njit(cache=True, nogil=True)
def compare_from(tokens, p, q, sep, start, cache_d, cache_s, cache_e, cache_sep):
    """Compare the suffixes at ``p`` and ``q`` (known equal on their first ``start`` tokens, none
    of them the separator) up to their first separator: -1, 0 (equal through it) or 1.
    Byte tokens with separator 0xFF compare 8 per load, others token by token."""
    n = tokens.shape[0]
    d = q - p
    mask = cache_d.shape[0] - 1
    slot = _slot(d, mask)
    k = start
    hit = cache_d[slot] == d and cache_s[slot] <= p < cache_e[slot]
    if hit:
        if cache_sep[slot]:
            return 0
        known = cache_e[slot] - p
        if known > k:
            k = known
    res = 0
    final = False
    if tokens.itemsize == 1 and sep == 0xFF:
        k, res, final = _extend_words(tokens, p, q, k, n)
    while not final:
        if p + k >= n or q + k >= n:  # only a piece without its final separator gets here
            res = -1 if p + k >= n and q + k < n else (1 if q + k >= n and p + k < n else 0)
            break
        a = tokens[p + k]
        b = tokens[q + k]
        if a != b:
            res = -1 if a < b else 1
            break
        if a == sep:
            k += 1  # the separator itself is part of the equal run
            break
        k += 1
    if k >= MIN_RECORDED:
        if hit:
            cache_e[slot] = p + k  # the known run [s, p + k) grows
        else:
            cache_d[slot] = d
            cache_s[slot] = p
            cache_e[slot] = p + k
        cache_sep[slot] = res == 0
    return res


@njit(cache=True, nogil=True)
def compare_suffixes(tokens, p, q, sep):
    """-1/0/1 order of the suffixes at ``p`` and ``q`` up to their first separator (no cache)."""
    n = tokens.shape[0]
    k = 0
    while True:
        if p + k >= n or q + k >= n:
            return -1 if p + k >= n and q + k < n else (1 if q + k >= n and p + k < n else 0)
        a = tokens[p + k]
        b = tokens[q + k]
        if a != b:
            return -1 if a < b else 1
        if a == sep:
            return 0
        k += 1


@njit(cache=True, nogil=True, inline="always")
def _before(a, b, heads, ends, keys, held, full, src, tokens, sep, cache_d, cache_s, cache_e, cache_sep):
    """Whether run ``a``'s head comes before run ``b``'s: by suffix, then run order; an exhausted
    run comes last."""
    ha = heads[a]
    hb = heads[b]
    if ha >= ends[a]:
        return False
    if hb >= ends[b]:
        return True
    for w in range(keys.shape[1]):
        ka = keys[ha, w]
        kb = keys[hb, w]
        if ka != kb:
            return ka < kb
    # equal keys: equal through the separator when it lies inside them, else read on in the text
    if held[ha] <= full:
        return a < b
    c = compare_from(tokens, src[ha], src[hb], sep, full, cache_d, cache_s, cache_e, cache_sep)
    if c != 0:
        return c < 0
    return a < b


@njit(cache=True, nogil=True)
def merge_runs(tokens, sep, src, bounds, out):
    """Merge the sorted runs src[bounds[m]:bounds[m+1]] (global positions) into ``out``.

    Equal suffixes (through their separator) come out in run order. ``out`` has len(src) entries.
    A loser tree picks each next entry with log2(runs) compares (a compare that ties on the keys
    reads the tokens: two cache misses, the merge's main cost).
    """
    itemsize = tokens.itemsize
    per = max(1, 8 // itemsize)
    shift = 8 * itemsize
    total = src.shape[0]
    keys = np.empty((total, KEY_WORDS), dtype=np.uint64)
    held = np.empty(total, dtype=np.uint8)
    full = KEY_WORDS * per
    nt = tokens.shape[0]
    span = KEY_WORDS * 8  # bytes a key reads
    fast = itemsize == 1 and sep == 0xFF
    for i in range(total):  # independent reads, fetched ahead: many cache misses in flight at once
        if i + PREFETCH_AHEAD < total:
            q = src[i + PREFETCH_AHEAD]
            if q + span <= nt:
                prefetch(tokens, q)
                prefetch(tokens, q + span - 1)
        p = src[i]
        if fast and p + span <= nt:
            held[i] = _fill_key_bytes(tokens, p, keys, i)
        else:
            held[i] = _fill_key(tokens, p, sep, per, shift, keys, i)
    k = bounds.shape[0] - 1
    size = 1
    while size < k:
        size *= 2
    heads = np.zeros(size, dtype=np.int64)
    ends = np.zeros(size, dtype=np.int64)  # padding runs are empty
    heads[:k] = bounds[:-1]
    ends[:k] = bounds[1:]
    cache_d = np.full(CACHE_SLOTS, -(1 << 62), dtype=np.int64)
    cache_s = np.zeros(CACHE_SLOTS, dtype=np.int64)
    cache_e = np.zeros(CACHE_SLOTS, dtype=np.int64)
    cache_sep = np.zeros(CACHE_SLOTS, dtype=np.bool_)
    win = np.zeros(2 * size, dtype=np.int64)
    loser = np.zeros(size, dtype=np.int64)
    for i in range(size):
        win[size + i] = i
    for node in range(size - 1, 0, -1):
        a = win[2 * node]
        b = win[2 * node + 1]
        if _before(b, a, heads, ends, keys, held, full, src, tokens, sep, cache_d, cache_s, cache_e, cache_sep):
            win[node] = b
            loser[node] = a
        else:
            win[node] = a
            loser[node] = b
    winner = win[1] if size > 1 else 0
    for o in range(total):
        out[o] = src[heads[winner]]
        heads[winner] += 1
        node = (winner + size) >> 1
        cur = winner
        while node >= 1:
            other = loser[node]
            if _before(other, cur, heads, ends, keys, held, full, src, tokens, sep,
                       cache_d, cache_s, cache_e, cache_sep):
                loser[node] = cur
                cur = other
            node >>= 1
        winner = cur


@njit(cache=True, nogil=True)
def rank_in_run(tokens, sep, sa, offset, pivot, before):
    """Number of entries of the sorted run ``sa`` (local positions, + ``offset`` = global) that
    come before the suffix at global ``pivot``: those less than it, plus those equal to it
    (through the separator) when ``before`` (the run precedes the pivot's run)."""
    lo = 0
    hi = sa.shape[0]
    big = np.int64(1) << 62
    while lo < hi:
        mid = (lo + hi) >> 1
        p = sa_entry(sa, mid, big) + offset
        c = compare_suffixes(tokens, p, pivot, sep)
        if c < 0 or (c == 0 and before):
            lo = mid + 1
        else:
            hi = mid
    return lo
