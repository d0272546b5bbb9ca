"""Suffix-array pointer widths: u32 entries, or u40 (5 little-endian bytes) past 2^32 tokens.

A u40 suffix array is held as an (entries, 5) u8 array: ``len(sa)`` and ``sa.shape[0]`` are the
number of entries for both widths, and the numba kernels read either through
``tracer_native.sa_entry``. Python code that takes entries out of a suffix array goes through
``sa_slice`` / ``sa_take`` here, which give int64 positions for both widths.
"""

from __future__ import annotations

import numpy as np

from tracer.errors import InputError

POINTER_BYTES = (4, 5)
U32_LIMIT = 1 << 32  # a shard of at most this many tokens has every position in u32


def auto_pointer_bytes(n_tokens: int, forced: int | None = None) -> int:
    """The width a shard of ``n_tokens`` is written with: ``forced`` (4 or 5), else the narrowest."""
    if forced is not None:
        if forced not in POINTER_BYTES:
            raise InputError(f"--pointer-bytes must be 4 or 5, not {forced}")
        if forced == 4 and n_tokens > U32_LIMIT:
            raise InputError(f"--pointer-bytes 4: a shard of {n_tokens} tokens needs 5-byte pointers "
                             "(positions past 2^32); use --pointer-bytes 5 or a smaller --shard-tokens")
        return forced
    return 4 if n_tokens <= U32_LIMIT else 5


def encode(positions: np.ndarray, width: int) -> np.ndarray:
    """Positions (any integer dtype) as stored entries: u32, or (n, 5) u8 little-endian rows."""
    if width == 4:
        return np.ascontiguousarray(positions, dtype=np.uint32)
    wide = np.ascontiguousarray(positions, dtype="<u8")
    return np.ascontiguousarray(wide.view(np.uint8).reshape(-1, 8)[:, :5])


def decode(entries: np.ndarray) -> np.ndarray:
    """Stored entries (u32 or (n, 5) u8 rows) as int64 positions."""
    if entries.ndim == 1:
        return entries.astype(np.int64)
    out = np.zeros((entries.shape[0], 8), dtype=np.uint8)
    out[:, :5] = entries
    return out.view("<i8").reshape(-1)


def sa_slice(sa: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """sa[lo:hi] as int64 positions, for either width."""
    return decode(sa[lo:hi])


def sa_take(sa: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """sa[rows] (an index array) as int64 positions, for either width."""
    return decode(sa[rows])


def view(raw: np.ndarray, width: int) -> np.ndarray:
    """A suffix array's bytes (u8) or u32 map as the array the kernels take for ``width``."""
    if width == 4:
        return raw if raw.dtype == np.uint32 else raw.view(np.uint32)
    return raw.view(np.uint8).reshape(-1, 5)
