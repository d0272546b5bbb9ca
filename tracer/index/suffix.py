"""Suffix arrays in numeric token order, stored as u32.

u8 tokens go straight to libdivsufsort (5 bytes per token at peak). Wider tokens are sorted
as their big-endian byte string, whose suffix order at token-aligned positions is the
numeric token order; the odd byte positions are then dropped in place by a kernel, so the
peak stays at the byte-level array (about 2*itemsize+4*itemsize bytes per token).
"""

from __future__ import annotations

import numpy as np
from pydivsufsort import divsufsort

from tracer.index.format import MAX_SA_BYTES
from tracer_native import compact_even_positions


def max_shard_tokens(itemsize: int) -> int:
    """Largest shard the 32-bit sorter handles for this token width."""
    return MAX_SA_BYTES // itemsize - 1


def suffix_array(tokens: np.ndarray) -> np.ndarray:
    """u32 suffix array of ``tokens`` (u8/u16/u32), suffixes ordered by numeric token value."""
    n = tokens.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    itemsize = tokens.dtype.itemsize
    if n * itemsize > MAX_SA_BYTES:
        raise ValueError(f"shard of {n} tokens exceeds the 32-bit suffix sorter ({max_shard_tokens(itemsize)})")
    if itemsize == 1:
        data = tokens if tokens.flags.writeable and tokens.flags.c_contiguous else tokens.copy()
        return divsufsort(data).view(np.uint32)
    big_endian = tokens.astype(tokens.dtype.newbyteorder(">"))
    byte_sa = divsufsort(big_endian.view(np.uint8))
    del big_endian
    kept = compact_even_positions(byte_sa, itemsize)
    return byte_sa[:kept].view(np.uint32)
