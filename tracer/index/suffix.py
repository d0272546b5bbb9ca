"""Suffix arrays in numeric token order, stored as u32.

u8 tokens go straight to libdivsufsort (5 bytes per token at peak). Wider tokens are sorted
as their big-endian byte string, whose suffix order at token-aligned positions is the
numeric token order; the unaligned byte positions are then dropped in place, so the peak
is the byte-level array plus the tokens: 4*itemsize+itemsize bytes per token with
``borrow=True`` (the tokens byte-swapped in place), one more itemsize without.

The compaction is plain numpy in chunks, not a numba kernel: loading numba and the compiled
kernel cost the build process ~125 MB, 2.6 bytes per token of a 47M-token BPE part.
"""

from __future__ import annotations

import contextlib
import ctypes

import numpy as np
from pydivsufsort import divsufsort

from tracer.index.format import MAX_SA_BYTES

PEAK_BYTES_PER_TOKEN = {1: 7, 2: 14, 4: 26}  # tokens + SA + buffers while sorting, measured (per itemsize)


def max_shard_tokens(itemsize: int) -> int:
    """Largest shard the 32-bit sorter handles for this token width."""
    return MAX_SA_BYTES // itemsize - 1


COMPACT_CHUNK = 1 << 18  # byte-level SA entries per numpy step of the compaction (~2 MB of temporaries)
TRIM_EVERY = 4  # compaction steps between two returns of freed heap to the OS


def return_freed_heap() -> None:
    """Hand the heap's free pages back to the OS (glibc; elsewhere nothing to do)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def compact_aligned_positions(byte_sa: np.ndarray, itemsize: int) -> int:
    """In place: keep the entries of ``byte_sa`` that are multiples of ``itemsize``, divided by it,
    in order, at the front; return how many were kept.

    Turns the suffix array of a big-endian byte view into the token-level one without a second
    array: entries are written only at or before the chunk being read, which was copied already.
    The heap is trimmed as it goes: after a build's tokenizing, its temporaries landed on ever
    new free (already returned) pages of a fragmented heap, +40 MB at the peak for 47M tokens.
    """
    shift = itemsize.bit_length() - 1
    kept = 0
    for step, i in enumerate(range(0, byte_sa.shape[0], COMPACT_CHUNK)):
        chunk = byte_sa[i : i + COMPACT_CHUNK]
        aligned = chunk[(chunk & (itemsize - 1)) == 0]  # a copy: safe to write over chunk below
        aligned >>= shift
        byte_sa[kept : kept + aligned.shape[0]] = aligned
        kept += aligned.shape[0]
        del chunk, aligned
        if step % TRIM_EVERY == TRIM_EVERY - 1:
            return_freed_heap()
    return kept


def suffix_array(tokens: np.ndarray, borrow: bool = False) -> np.ndarray:
    """u32 suffix array of ``tokens`` (u8/u16/u32), suffixes ordered by numeric token value.

    ``borrow=True`` lets a wider array be byte-swapped in place for the sort, instead of copied
    (itemsize bytes per token less at the peak), and swapped back before returning; only for an
    array nothing else reads meanwhile (not a writable file mapping: its pages would be rewritten).
    """
    n = tokens.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    itemsize = tokens.dtype.itemsize
    if n * itemsize > MAX_SA_BYTES:
        raise ValueError(f"shard of {n} tokens exceeds the 32-bit suffix sorter ({max_shard_tokens(itemsize)})")
    if itemsize == 1:
        data = tokens if tokens.flags.writeable and tokens.flags.c_contiguous else tokens.copy()
        return divsufsort(data).view(np.uint32)
    in_place = (borrow and tokens.flags.writeable and tokens.flags.c_contiguous
                and tokens.dtype.byteorder in ("<", "=") and np.little_endian)
    if in_place:
        tokens.byteswap(inplace=True)  # the same bytes as tokens.astype(">u2"), no second array
        try:
            byte_sa = divsufsort(tokens.view(np.uint8))
        finally:
            tokens.byteswap(inplace=True)
    else:
        big_endian = tokens.astype(tokens.dtype.newbyteorder(">"))
        byte_sa = divsufsort(big_endian.view(np.uint8))
        del big_endian
    kept = compact_aligned_positions(byte_sa, itemsize)
    return byte_sa[:kept].view(np.uint32)
