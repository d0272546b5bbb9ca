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

Counting those ranks (``hist[g]`` = how many suffixes of the other runs fall just before run j's
g-th one) gives every run-j entry its final position, ``g + sum(hist[:g + 1])``; writing run j's
label there for every run makes the merged order a string of run labels, and the merge itself a
sequential interleave of the runs. Each run is ranked against every other: (k - 1) lookups per
entry, so this suits a handful of large runs (a build's sorted parts), not hundreds of shards.

Memory per ranked run j of n entries: its BWT (n bytes), its occurrence counts (2n bytes: u16
counts every 256 entries relative to u64 counts every 65,536) and the histogram (4 or 8 n bytes).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tracer_native.intrinsics import load_u64, prefetch

SEP = 0xFF
BLOCK_SHIFT = 8  # occurrence counts every 256 BWT entries
SUPER_SHIFT = 16  # u64 counts every 65,536 entries, u16 counts relative to them in between
PAD = 8  # bytes after the BWT, so an 8-byte load at its last entry stays inside the array


def occ_rows(n: int) -> tuple[int, int]:
    """Rows of the (relative, super) occurrence tables for a BWT of ``n`` entries."""
    rows = (n >> BLOCK_SHIFT) + 2
    return rows, (((rows - 1) << BLOCK_SHIFT) >> SUPER_SHIFT) + 1


@njit(cache=True, nogil=True)
def bwt_chunk(tokens, positions, run_start, bwt, at):
    """bwt[at + r] = the token before the suffix at global ``positions[r]``; SEP for the run's first
    suffix (its predecessor lies in another run, and SEP is never looked up)."""
    m = positions.shape[0]
    for r in range(m):
        if r + 32 < m:
            q = positions[r + 32]
            prefetch(tokens, q - 1 if q > 0 else 0)
        p = positions[r]
        bwt[at + r] = tokens[p - 1] if p > run_start else SEP


@njit(cache=True, nogil=True)
def occurrence_tables(bwt, n, rel, sup):
    """rel[b, c] + sup[(b << 8) >> 16, c] = occurrences of c in bwt[:min(b << 8, n)]."""
    counts = np.zeros(256, dtype=np.uint64)
    for b in range(rel.shape[0]):
        start = b << BLOCK_SHIFT
        s = start >> SUPER_SHIFT
        if start & ((1 << SUPER_SHIFT) - 1) == 0:
            sup[s, :] = counts
        for c in range(256):
            rel[b, c] = counts[c] - sup[s, c]
        for r in range(start, min(start + (1 << BLOCK_SHIFT), n)):
            counts[bwt[r]] += 1


@njit(cache=True, nogil=True, inline="always")
def _count_byte(bwt, c, lo, hi):
    """How many of bwt[lo:hi] equal ``c`` (hi - lo <= 256), eight per load."""
    ones = np.uint64(0x0101010101010101)
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    highs = np.uint64(0x8080808080808080)
    pattern = ones * np.uint64(c)
    total = np.int64(0)
    k = lo
    while k < hi:
        x = load_u64(bwt, k) ^ pattern
        zero = ~(((x & low7) + low7) | x) & highs  # the high bit of every zero byte of x
        left = hi - k
        if left < 8:
            zero &= (np.uint64(1) << np.uint64(8 * left)) - np.uint64(1)
        total += np.int64(((zero >> np.uint64(7)) * ones) >> np.uint64(56))
        k += 8
    return total


@njit(cache=True, nogil=True, inline="always")
def occ(bwt, n, rel, sup, c, r):
    """Occurrences of byte ``c`` in bwt[:r], from the nearer of the two count rows around r."""
    b = r >> BLOCK_SHIFT
    lo = b << BLOCK_SHIFT
    hi = min(lo + (1 << BLOCK_SHIFT), n)
    if r - lo <= hi - r:
        return np.int64(sup[lo >> SUPER_SHIFT, c] + rel[b, c]) + _count_byte(bwt, c, lo, r)
    up = (b + 1) << BLOCK_SHIFT
    return np.int64(sup[up >> SUPER_SHIFT, c] + rel[b + 1, c]) - _count_byte(bwt, c, r, hi)


@njit(cache=True, nogil=True, inline="always")
def _prefetch_step(bwt, n, rel, c, r):
    """Ask for what ``occ(.., c, r)`` will read, so that many lanes' misses are in flight at once."""
    b = r >> BLOCK_SHIFT
    if r - (b << BLOCK_SHIFT) <= (min((b << BLOCK_SHIFT) + (1 << BLOCK_SHIFT), n) - r):
        prefetch(rel[b], c)
        prefetch(bwt, b << BLOCK_SHIFT)
    else:
        prefetch(rel[b + 1], c)
        prefetch(bwt, min((b << BLOCK_SHIFT) + (1 << BLOCK_SHIFT) - 1, n - 1))
    prefetch(bwt, min(r, n - 1))


@njit(cache=True, nogil=True)
def rank_lanes(tokens, starts, ends, bwt, n, rel, sup, below, at_sep, hist):
    """Rank every suffix of tokens[starts[g]:ends[g]] (each range ends with SEP) among run j's
    (given by its BWT ``bwt[:n]``, tables, and ``below[c]`` = its suffixes starting below c) and
    count each rank in ``hist``. ``at_sep``: the rank of a suffix that starts with SEP. The lanes
    advance in turn, one step each, so their table misses overlap."""
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
            r = at_sep if c == SEP else below[c] + occ(bwt, n, rel, sup, c, rank[g])
            rank[g] = r
            pending[g] = r
            prefetch(hist, r)
            if p > starts[g]:
                nxt = tokens[p - 1]
                if nxt != SEP:
                    _prefetch_step(bwt, n, rel, nxt, r)
            pos[g] = p - 1


@njit(cache=True, nogil=True)
def place_run(hist, label, labels):
    """labels[g + sum(hist[:g + 1])] = label for each of the run's n = len(hist) - 1 entries."""
    before = np.int64(0)
    for g in range(hist.shape[0] - 1):
        before += hist[g]
        labels[g + before] = label


@njit(cache=True, nogil=True)
def interleave(labels, src, bounds, out):
    """out[o] = the next entry of run labels[o] (runs src[bounds[m]:bounds[m + 1]])."""
    heads = bounds[:-1].copy()
    for o in range(labels.shape[0]):
        m = labels[o]
        out[o] = src[heads[m]]
        heads[m] += 1
