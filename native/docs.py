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
def lead_byte_sum(tokens, leads):
    """Sum of ``leads[t]`` over ``tokens`` (characters starting in a byte-level token prefix);
    -1 as soon as a token's entry is negative (a token whose decode is not its own bytes)."""
    total = 0
    for i in range(tokens.shape[0]):
        v = leads[tokens[i]]
        if v < 0:
            return -1
        total += v
    return total


@njit(cache=True, nogil=True)
def gather_token_bytes(tokens, offsets, data):
    """Concatenated bytes of ``tokens`` (token t's bytes are ``data[offsets[t]:offsets[t + 1]]``)."""
    n = 0
    for i in range(tokens.shape[0]):
        t = tokens[i]
        n += offsets[t + 1] - offsets[t]
    out = np.empty(n, dtype=np.uint8)
    w = 0
    for i in range(tokens.shape[0]):
        t = tokens[i]
        for j in range(offsets[t], offsets[t + 1]):
            out[w] = data[j]
            w += 1
    return out
