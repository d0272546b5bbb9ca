"""Merging byte-token suffix-array runs by LF-mapping ranks instead of suffix compares.

The runs are suffix arrays of consecutive pieces of one byte ``tokens`` array, each piece ending
with the separator 0xFF (the largest byte), ordered as ``merge_runs`` orders them: up to and
including the first separator, ties in run order. For a suffix ``x = c + X`` of run i, the number
of run-j suffixes before it follows from the one for ``X`` (the FM-index's LF step over run j's
BWT): ``C_j[c] + occ_j(c, rank_j(X))``, and at a separator it is known outright (all of run j's
suffixes that start below 0xFF, plus, when run j comes first, those that equal it: all of them).
Walking each document of run i backwards therefore ranks every one of its suffixes among run j's
in one table lookup each, whatever prefix they share: duplicated files and long repeats, which
make a compare merge slow, cost nothing extra here.

Counting those ranks (``hist[g]`` = how many suffixes of run i fall just before run j's g-th one)
gives the merged order of the pair as a bit string (both runs' entries come in their own sorted
order, so the counts alone place them). Every pair i < j is ranked once, run i walking over run
j's BWT: (k - 1) / 2 lookups per entry on average, so this suits a handful of large runs (a
build's sorted parts), not hundreds of shards. A k-way pass then reads the pairs' bits to write
the merged order as a string of run labels, and the merge itself is a sequential interleave.

Memory per ranked run j of n entries: its BWT with occurrence counts (3n bytes: every 256 BWT
bytes follow their block's u16 counts of each byte value, relative to u64 counts every 65,536
entries, so one step's lookups share a page) and the histogram (4 or 8 n bytes).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tracer_native.intrinsics import load_u64, prefetch

SEP = 0xFF
BLOCK = 256  # BWT entries per block
ROW = 3 * BLOCK  # bytes per block: 256 u16 counts (the bytes before the block), then its 256 BWT bytes
SUPER_SHIFT = 16  # u64 counts every 65,536 entries; the u16 block counts are relative to them


def block_rows(n: int) -> tuple[int, int]:
    """Rows of the (blocks, super) tables for a BWT of ``n`` entries: a count row for every block
    start up to n and one past it (read by the step at rank n), plus one so 8-byte loads stay inside."""
    rows = n // BLOCK + 3
    return rows, (((rows - 1) * BLOCK) >> SUPER_SHIFT) + 1


@njit(cache=True, nogil=True, inline="always")
def _bwt_at(r):
    """Byte offset of BWT entry r in the flat block table."""
    return (r >> 8) * ROW + 2 * BLOCK + (r & (BLOCK - 1))


@njit(cache=True, nogil=True)
def bwt_chunk(tokens, positions, run_start, flat, at):
    """BWT entries at..at + len(positions): the token before the suffix at global ``positions[r]``;
    SEP for the run's first suffix (its predecessor lies in another run; SEP is never looked up)."""
    m = positions.shape[0]
    for r in range(m):
        if r + 32 < m:
            q = positions[r + 32]
            prefetch(tokens, q - 1 if q > 0 else 0)
        p = positions[r]
        flat[_bwt_at(at + r)] = tokens[p - 1] if p > run_start else SEP


@njit(cache=True, nogil=True)
def occurrence_tables(blocks, n, sup):
    """Fill each block's counts: blocks[b, c] + sup[(b * 256) >> 16, c] = occurrences of c in the
    BWT's first min(b * 256, n) entries (the BWT bytes are already in place)."""
    flat = blocks.reshape(-1).view(np.uint8)
    counts = np.zeros(256, dtype=np.uint64)
    for b in range(blocks.shape[0]):
        start = b * BLOCK
        s = start >> SUPER_SHIFT
        if start & ((1 << SUPER_SHIFT) - 1) == 0:
            sup[s, :] = counts
        for c in range(256):
            blocks[b, c] = counts[c] - sup[s, c]
        for r in range(start, min(start + BLOCK, n)):
            counts[flat[_bwt_at(r)]] += 1


@njit(cache=True, nogil=True, inline="always")
def _count_byte(flat, c, lo, hi):
    """How many of flat[lo:hi] equal ``c`` (hi - lo <= 256), eight per load."""
    ones = np.uint64(0x0101010101010101)
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    highs = np.uint64(0x8080808080808080)
    pattern = ones * np.uint64(c)
    total = np.int64(0)
    k = lo
    while k < hi:
        x = load_u64(flat, k) ^ pattern
        zero = ~(((x & low7) + low7) | x) & highs  # the high bit of every zero byte of x
        left = hi - k
        if left < 8:
            zero &= (np.uint64(1) << np.uint64(8 * left)) - np.uint64(1)
        total += np.int64(((zero >> np.uint64(7)) * ones) >> np.uint64(56))
        k += 8
    return total


@njit(cache=True, nogil=True, inline="always")
def occ(blocks, flat, n, sup, c, r):
    """Occurrences of byte ``c`` in the BWT's first r entries, from the nearer block count."""
    b = r >> 8
    off = r & (BLOCK - 1)
    size = min(BLOCK, n - b * BLOCK)
    base = b * ROW + 2 * BLOCK
    if off <= size - off:
        return np.int64(sup[(b * BLOCK) >> SUPER_SHIFT, c] + blocks[b, c]) + _count_byte(flat, c, base, base + off)
    up = (b + 1) * BLOCK
    return np.int64(sup[up >> SUPER_SHIFT, c] + blocks[b + 1, c]) - _count_byte(flat, c, base + off, base + size)


@njit(cache=True, nogil=True, inline="always")
def _prefetch_step(flat, n, sup, c, r):
    """Ask for what ``occ(.., c, r)`` will read, so that many lanes' misses are in flight at once."""
    b = r >> 8
    off = r & (BLOCK - 1)
    size = min(BLOCK, n - b * BLOCK)
    if off <= size - off:
        prefetch(flat, b * ROW + 2 * c)
        prefetch(flat, b * ROW + 2 * BLOCK)
        prefetch(sup[(b * BLOCK) >> SUPER_SHIFT], c)
    else:
        prefetch(flat, (b + 1) * ROW + 2 * c)
        prefetch(flat, b * ROW + ROW - 1)
        prefetch(sup[((b + 1) * BLOCK) >> SUPER_SHIFT], c)
    prefetch(flat, b * ROW + 2 * BLOCK + off)


@njit(cache=True, nogil=True)
def rank_lanes(tokens, starts, ends, blocks, n, sup, below, at_sep, hist):
    """Rank every suffix of tokens[starts[g]:ends[g]] (each range ends with SEP) among run j's
    (given by its block table of n BWT entries, ``sup``, and ``below[c]`` = its suffixes starting
    below c) and count each rank in ``hist``. ``at_sep[g]``: the rank of lane g's suffixes that
    start with SEP (it depends on whether the lane's run comes before run j). The lanes advance in
    turn, one step each, so that their table misses overlap."""
    flat = blocks.reshape(-1).view(np.uint8)
    lanes = starts.shape[0]
    pos = ends - 1
    rank = np.zeros(lanes, dtype=np.int64)
    pending = np.full(lanes, -1, dtype=np.int64)
    live = lanes
    while live > 0:
        live = 0
        for g in range(lanes):
            if pending[g] >= 0:
                hist[pending[g]] += 1
                pending[g] = -1
            p = pos[g]
            if p < starts[g]:
                continue
            live += 1
            c = tokens[p]
            r = at_sep[g] if c == SEP else below[c] + occ(blocks, flat, n, sup, c, rank[g])
            rank[g] = r
            pending[g] = r
            prefetch(hist, r)
            if p > starts[g]:
                nxt = tokens[p - 1]
                if nxt != SEP:
                    _prefetch_step(flat, n, sup, nxt, r)
            pos[g] = p - 1


@njit(cache=True, nogil=True)
def pair_bits(hist, words):
    """The merged order of two runs as bits (0: the walking run's entry, 1: run j's), from
    hist[g] = walking-run entries just before run j's g-th entry (g = n: after its last).
    ``words`` (zeroed) holds sum(hist) + n bits."""
    pos = np.int64(0)
    last = hist.shape[0] - 1
    for g in range(last + 1):
        pos += np.int64(hist[g])
        if g < last:
            words[pos >> 6] |= np.uint64(1) << np.uint64(pos & 63)
            pos += 1


@njit(cache=True, nogil=True)
def label_chunk(words, offsets, sizes, heads, labels):
    """The next len(labels) entries of the k-way merge: labels[o] = the run whose head comes first,
    decided between two runs a < b by their pair's bit at heads[a] + heads[b] (pair (a, b)'s bits
    start at words[offsets[a * k + b]]). ``heads`` (entries taken per run) advances in place."""
    k = sizes.shape[0]
    for o in range(labels.shape[0]):
        m = -1
        for x in range(k):
            if heads[x] >= sizes[x]:
                continue
            if m < 0:
                m = x
                continue
            at = heads[m] + heads[x]  # m < x: runs are scanned in order
            if (words[offsets[m * k + x] + (at >> 6)] >> np.uint64(at & 63)) & np.uint64(1):
                m = x
        labels[o] = m
        heads[m] += 1


@njit(cache=True, nogil=True)
def interleave(labels, src, bounds, out):
    """out[o] = the next entry of run labels[o] (runs src[bounds[m]:bounds[m + 1]])."""
    heads = bounds[:-1].copy()
    for o in range(labels.shape[0]):
        m = labels[o]
        out[o] = src[heads[m]]
        heads[m] += 1
