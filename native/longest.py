"""Longest match at many query positions at once: binary searches run side by side, prefetched.

One position's longest match is a chain of dependent reads (sample rows, then suffix-array entries
and the text they point to), each a likely cache miss on a large shard, so a loop of one search
after another waits on one miss at a time (~6 µs per position on a 1.5G-token shard here). Here
``LANES`` searches are in flight: each visit advances one lane by one step and prefetches what
that lane's next step reads, then moves on to the other lanes, so by the time a lane comes round
again its data has arrived. Same answers as one search per position: the lower bound of
query[i:i+L] in the suffix array is unique, and any window holding it (from the sample, or the
whole array) leads there.

Steps of a lane: rows lower bound (first sample row >= the query's first tokens, inside the
group of rows its fence keys pin: search.fence_windows), then, for a query longer than a row, the
first row greater than them; then the suffix-array binary search
(read the entry, then compare its text); then the common prefix with the suffixes at and
just before the lower bound.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

from tracer_native.errors import CorruptArrayError
from tracer_native.intrinsics import prefetch
from tracer_native.search import (
    BAD_ENTRY,
    EMPTY_LENS,
    EMPTY_LOOKUP,
    EMPTY_ROWS,
    blocks_of_rows,
    bucket_rows,
    common_prefix,
    compare_row,
    compare_suffix,
    fence_windows,
    prefetch_rows,
    sa_entry,
)

LANES = 32  # searches in flight per thread: enough to cover a DRAM miss (~100-300 ns) with other lanes' steps
CHUNK = 1024  # positions per parallel task (larger queries only: see sampled_longest_prefix_lengths)

# lane stages, and what a lane's pending step reads
_IDLE, _ROWS_LO, _ROWS_HI, _WINDOW, _SEARCH, _ENDS = 0, 1, 2, 3, 4, 5
_NONE, _READ, _COMPARE = 0, 1, 2


@njit(cache=True, nogil=True)
def longest_lanes(tokens, sa, rows, lens, every, lookup, query, limits, i0, i1, out):
    """out[i] = length of the longest prefix of query[i:limits[i]] in the shard, for i in [i0, i1).

    Returns False when a suffix-array entry it read is out of range (out is then incomplete)."""
    n = np.int64(sa.shape[0])
    nt = tokens.shape[0]
    t = query.shape[0]
    nr = np.int64(rows.shape[0])
    width = rows.shape[1]
    sampled = every > 0 and nr > 0
    stage = np.zeros(LANES, dtype=np.int64)
    pending = np.zeros(LANES, dtype=np.int64)  # _NONE, _READ (probe: an entry), _COMPARE (probe: a row or text position)
    probe = np.zeros(LANES, dtype=np.int64)
    pos = np.zeros(LANES, dtype=np.int64)  # query start
    size = np.zeros(LANES, dtype=np.int64)  # tokens searched
    lo = np.zeros(LANES, dtype=np.int64)  # current window [lo, hi)
    hi = np.zeros(LANES, dtype=np.int64)
    first_row = np.zeros(LANES, dtype=np.int64)
    upper_from = np.zeros(LANES, dtype=np.int64)  # rows: where the first row > the query may lie
    end_row = np.zeros(LANES, dtype=np.int64)
    at = np.zeros(LANES, dtype=np.int64)  # text positions of the suffixes at and before the bound
    before = np.zeros(LANES, dtype=np.int64)
    nxt = i0
    active = 0
    while nxt < i1 or active > 0:
        for k in range(LANES):
            if stage[k] == _IDLE:
                while nxt < i1 and stage[k] == _IDLE:
                    i = nxt
                    nxt += 1
                    length = min(limits[i], t) - i
                    if length <= 0 or n == 0:
                        out[i] = 0
                        continue
                    pos[k] = i
                    size[k] = length
                    pending[k] = _NONE
                    active += 1
                    if sampled:
                        ok, a0, a1, c0, c1 = fence_windows(rows, lens, lookup, query, i, length)
                        if ok:  # the rows to search: a few cache lines, fetched now
                            prefetch_rows(rows, a0, a1)
                            prefetch_rows(rows, c0, c1)
                        else:
                            a0, a1 = bucket_rows(rows, lookup, query, i, length)
                            c0, c1 = a0, a1
                        lo[k] = a0
                        hi[k] = a1
                        upper_from[k] = c0
                        end_row[k] = c1
                        stage[k] = _ROWS_LO
                    else:
                        lo[k] = 0
                        hi[k] = n
                        stage[k] = _SEARCH
                if stage[k] == _IDLE:
                    continue
            i = pos[k]
            length = size[k]
            while True:  # advance this lane until its next step waits on memory, or it is done
                s = stage[k]
                if _ROWS_LO <= s <= _ROWS_HI:
                    if pending[k] == _COMPARE:
                        c = compare_row(rows, lens, probe[k], query, i, length)
                        if c < 0 or (s == _ROWS_HI and c == 0):
                            lo[k] = probe[k] + 1
                        else:
                            hi[k] = probe[k]
                        pending[k] = _NONE
                    if lo[k] < hi[k]:
                        probe[k] = (lo[k] + hi[k]) >> 1
                        prefetch(rows, probe[k])
                        prefetch(lens, probe[k])
                        pending[k] = _COMPARE
                        break
                    if s == _ROWS_LO:
                        first_row[k] = lo[k]
                        if length > width:  # rows equal to the query's first tokens: find their end
                            lo[k] = max(lo[k], upper_from[k])
                            hi[k] = end_row[k]
                            stage[k] = _ROWS_HI
                            continue
                    stage[k] = _WINDOW
                elif s == _WINDOW:
                    lo[k], hi[k], _, _ = blocks_of_rows(first_row[k], lo[k], nr, every, n, length > width)
                    stage[k] = _SEARCH
                elif s == _SEARCH:
                    if pending[k] == _READ:
                        p = sa_entry(sa, probe[k], nt)
                        if p < 0:
                            return False
                        prefetch(tokens, p)
                        probe[k] = p
                        pending[k] = _COMPARE
                        break
                    if pending[k] == _COMPARE:
                        m = (lo[k] + hi[k]) >> 1
                        if compare_suffix(tokens, probe[k], query, i, length) < 0:
                            lo[k] = m + 1
                        else:
                            hi[k] = m
                        pending[k] = _NONE
                    if lo[k] < hi[k]:
                        probe[k] = (lo[k] + hi[k]) >> 1
                        prefetch(sa, probe[k])
                        pending[k] = _READ
                        break
                    if lo[k] < n:
                        prefetch(sa, lo[k])
                    if lo[k] > 0:
                        prefetch(sa, lo[k] - 1)
                    stage[k] = _ENDS
                    pending[k] = _READ
                    break
                else:  # _ENDS: the common prefix with the suffixes at and just before the bound
                    if pending[k] == _READ:
                        at[k] = sa_entry(sa, lo[k], nt) if lo[k] < n else np.int64(-2)
                        before[k] = sa_entry(sa, lo[k] - 1, nt) if lo[k] > 0 else np.int64(-2)
                        if at[k] == -1 or before[k] == -1:
                            return False
                        if at[k] >= 0:
                            prefetch(tokens, at[k])
                        if before[k] >= 0:
                            prefetch(tokens, before[k])
                        pending[k] = _COMPARE
                        break
                    best = np.int64(0)
                    if at[k] >= 0:
                        best = np.int64(common_prefix(tokens, at[k], query, i, length))
                    if before[k] >= 0:
                        best = max(best, np.int64(common_prefix(tokens, before[k], query, i, length)))
                    out[i] = best
                    stage[k] = _IDLE
                    active -= 1
                    break
    return True


def sampled_longest_prefix_lengths(tokens, sa, rows, lens, every, lookup, query, limits):
    """For each start i, the length of the longest prefix of query[i:limits[i]] that occurs in the
    shard: ``longest_lanes`` over chunks of at least CHUNK positions, spread over numba's threads."""
    chunks = max(1, min(-(-len(query) // CHUNK), 4 * get_num_threads()))
    if chunks == 1:  # no parallel region to enter (tens of µs on a busy machine)
        out = np.zeros(len(query), dtype=np.int64)
        if not longest_lanes(tokens, sa, rows, lens, every, lookup, query, limits, np.int64(0), len(query), out):
            raise CorruptArrayError(BAD_ENTRY)
        return out
    return _longest_in_chunks(tokens, sa, rows, lens, every, lookup, query, limits, chunks)


@njit(cache=True, nogil=True, parallel=True)
def _longest_in_chunks(tokens, sa, rows, lens, every, lookup, query, limits, chunks):
    """``longest_lanes`` over ``chunks`` equal parts of the query, one parallel task each."""
    t = query.shape[0]
    out = np.zeros(t, dtype=np.int64)
    ok = np.ones(chunks, dtype=np.bool_)
    for c in prange(chunks):
        ok[c] = longest_lanes(tokens, sa, rows, lens, every, lookup, query, limits,
                              t * c // chunks, t * (c + 1) // chunks, out)
    if not ok.all():
        raise CorruptArrayError(BAD_ENTRY)
    return out


@njit(cache=True, nogil=True)
def sampled_longest_into(tokens, sa, rows, lens, every, lookup, query, limits, i0, i1, out):
    """``sampled_longest_prefix_lengths`` for starts i0..i1-1 into out[i0:i1], on this thread: for
    callers that spread a cold shard's starts over more threads than cores (the disk reads, not
    the CPU, are the cost). Returns False when a suffix-array entry was out of range."""
    return longest_lanes(tokens, sa, rows, lens, every, lookup, query, limits, i0, i1, out)


def longest_prefix_lengths(tokens, sa, query, limits):
    """``sampled_longest_prefix_lengths`` without a sample."""
    rows, lens, every, lookup = EMPTY_ROWS.astype(query.dtype), EMPTY_LENS, 0, EMPTY_LOOKUP
    return sampled_longest_prefix_lengths(tokens, sa, rows, lens, every, lookup, query, limits)
