"""Per-shard lookups: each narrowed by the shard's in-RAM sample, and fanned out over threads when
the shards are slow to answer (cold, on disk).

The kernels release the GIL (numba ``nogil``), so threads overlap the disk reads of independent
shards; on a cold index a count's cost is the reads, not the CPU. On a warm one a lookup costs a
few microseconds, less than handing it to a thread (~20-50 µs), so ``map_shards`` runs the
shards one after the other until a whole call takes longer than ``PARALLEL_ABOVE_S``, then in
parallel until one is fast again (the index's ``parallel_shards``: "auto", "on", "off").
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import numpy as np

from tracer.index.reader import IndexReader, Shard
from tracer_native import (
    CorruptArrayError,
    sampled_count,
    sampled_longest_prefix_lengths,
    sampled_range,
    sampled_ranges_of_spans,
)

T = TypeVar("T")

PARALLEL_ABOVE_S = 200e-6  # a call slower than this (disk reads, not CPU) fans out the next one
MODES = ("auto", "on", "off")
# I/O-bound lookups: more threads than cores keep more reads in flight
POOL_THREADS = min(32, 4 * (os.cpu_count() or 1))

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="tracer-shard")
    return _pool


@contextmanager
def sa_checked(shard: Shard) -> Iterator[None]:
    """A kernel's CorruptArrayError (a suffix-array entry past the tokens) as the shard's CorruptIndexError."""
    try:
        yield
    except CorruptArrayError:
        raise shard.bad_sa() from None


def map_shards(index: IndexReader, fn: Callable[[Shard], T], parallel_ok: bool = True) -> list[T]:
    """[fn(shard) for shard in index.shards], in parallel threads when the index has several shards
    and they are slow (see the module doc). ``parallel_ok=False``: always in order on this thread
    (numba's workqueue layer cannot run parallel kernels from two threads)."""
    shards = index.shards
    mode = getattr(index, "parallel_shards", "auto")
    if len(shards) < 2 or not parallel_ok or mode == "off":
        return [fn(s) for s in shards]
    if mode == "on":
        return list(_executor().map(fn, shards))
    t0 = time.perf_counter()
    out = list(_executor().map(fn, shards)) if index.slow_lookups else [fn(s) for s in shards]
    index.slow_lookups = time.perf_counter() - t0 > PARALLEL_ABOVE_S
    return out


# -- the sampled kernels on one shard, errors named -----------------------------------------
def shard_range(shard: Shard, ids: np.ndarray, start: int = 0, length: int | None = None) -> tuple[int, int]:
    """SA range [lo, hi) of ids[start:start+length] in the shard (narrowed by its sample)."""
    rows, lens, every = shard.sample_args
    with sa_checked(shard):
        lo, hi = sampled_range(shard.tokens, shard.sa, rows, lens, every, ids, start,
                               len(ids) - start if length is None else length)
    return int(lo), int(hi)


def shard_count(shard: Shard, ids: np.ndarray) -> int:
    rows, lens, every = shard.sample_args
    with sa_checked(shard):
        return int(sampled_count(shard.tokens, shard.sa, rows, lens, every, ids))


def shard_longest(shard: Shard, ids: np.ndarray, limits: np.ndarray) -> np.ndarray:
    rows, lens, every = shard.sample_args
    with sa_checked(shard):
        return sampled_longest_prefix_lengths(shard.tokens, shard.sa, rows, lens, every, ids, limits)


def shard_spans(shard: Shard, ids: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, lens, every = shard.sample_args
    with sa_checked(shard):
        return sampled_ranges_of_spans(shard.tokens, shard.sa, rows, lens, every, ids, starts, lengths)
