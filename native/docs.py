"""Position -> document lookups and small array helpers for one shard."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def documents_of_positions(doc_starts, positions):
    """Index of the document holding each token position (``doc_starts`` sorted u64 starts)."""
    out = np.empty(positions.shape[0], dtype=np.int64)
    nd = doc_starts.shape[0]
    for i in range(positions.shape[0]):
        p = positions[i]
        lo = 0
        hi = nd
        while lo < hi:
            mid = (lo + hi) >> 1
            if doc_starts[mid] <= p:
                lo = mid + 1
            else:
                hi = mid
        out[i] = lo - 1
    return out


@njit(cache=True, nogil=True)
def compact_even_positions(sa, itemsize):
    """In place: keep byte-level suffix positions that are multiples of ``itemsize``, divided by it.

    Turns the suffix array of a big-endian byte view into the token-level suffix array
    without a second array; returns how many entries were kept.
    """
    w = 0
    for r in range(sa.shape[0]):
        v = sa[r]
        if v % itemsize == 0:
            sa[w] = v // itemsize
            w += 1
    return w
