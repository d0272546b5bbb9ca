"""Per-shard lookups: each narrowed by the shard's in-RAM sample, and fanned out over threads when
the shards are slow to answer (cold, on disk).

The kernels release the GIL (numba ``nogil``), so threads overlap the disk reads of independent
shards, and of the query positions of one shard's longest-match pass; on a cold index the cost is
the reads, not the CPU. On a warm one a count costs a few microseconds, less than handing it to a
thread (~20-50 µs), so calls are timed: after one slower than what it costs warm (with a margin),
the next goes to threads, after a fast one the next runs on this thread; a freshly opened index
starts "slow" (its pages are likely on disk). The index's ``parallel_shards``: "auto" (that),
"on" (always threads), "off" (never). Single counts use threads only when "on" (tracer.query.count).
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
    sampled_longest_into,
    sampled_longest_prefix_lengths,
    sampled_range,
    sampled_ranges_of_spans,
    sampled_spans_into,
)

T = TypeVar("T")

# a count slower than this fans out the next one: a cold shard costs >= 1 ms (14 disk reads), a warm
# one ~5 µs, and a lower mark let a warm call preempted on a loaded machine send the next to threads
PARALLEL_ABOVE_S = 1e-3
SLOW_PER_START_S = 50e-6  # the same for a longest-match pass, per query position (warm: ~5 µs)
MODES = ("auto", "on", "off")
# I/O-bound lookups: more threads than cores keep more disk reads in flight
POOL_THREADS = min(32, 4 * (os.cpu_count() or 1))
IO_THREADS = 16  # threads one shard's longest-match pass is spread over when slow
MIN_CHUNK = 16  # query positions per thread, at least

_pools: dict[str, ThreadPoolExecutor] = {}
_pool_lock = threading.Lock()


def _executor(name: str = "shard", threads: int = POOL_THREADS) -> ThreadPoolExecutor:
    """A lazily made pool; "shard" runs whole shards, "io" the pieces of one shard's pass (separate,
    so a shard's thread waiting for its pieces can never starve them)."""
    pool = _pools.get(name)
    if pool is None:
        with _pool_lock:
            pool = _pools.get(name)
            if pool is None:
                pool = _pools[name] = ThreadPoolExecutor(threads, thread_name_prefix=f"tracer-{name}")
    return pool


@contextmanager
def sa_checked(shard: Shard) -> Iterator[None]:
    """A kernel's CorruptArrayError (a suffix-array entry past the tokens) as the shard's CorruptIndexError."""
    try:
        yield
    except CorruptArrayError:
        raise shard.bad_sa() from None


def slow(index: IndexReader) -> bool:
    """Whether lookups should go to threads now: mode "on", or "auto" and the last timed call was
    slow (a freshly opened index starts slow: its pages are likely on disk)."""
    mode = getattr(index, "parallel_shards", "auto")
    return mode == "on" or mode == "auto" and getattr(index, "slow_lookups", False)


def map_shards(index: IndexReader, fn: Callable[[Shard], T], parallel_ok: bool = True,
               budget_s: float = PARALLEL_ABOVE_S) -> list[T]:
    """[fn(shard) for shard in index.shards], in parallel threads when the index has several shards
    and lookups are slow (see the module doc); the call is timed against ``budget_s`` (what it
    costs warm, with a margin) to decide the next one. ``parallel_ok=False``: always in order on
    this thread (numba's workqueue layer cannot run parallel kernels from two threads)."""
    shards = index.shards
    spread = parallel_ok and len(shards) > 1 and slow(index)
    t0 = time.perf_counter()
    if spread:  # the first shard on this thread: one hand-off fewer
        rest = [_executor().submit(fn, s) for s in shards[1:]]
        out = [fn(shards[0])] + [f.result() for f in rest]
    else:
        out = [fn(s) for s in shards]
    if getattr(index, "parallel_shards", "auto") == "auto":
        index.slow_lookups = time.perf_counter() - t0 > budget_s
    return out


# -- the sampled kernels on one shard, errors named -----------------------------------------
def read_only(ids: np.ndarray) -> np.ndarray:
    """``ids`` as every kernel call here passes it: read-only. numba compiles a kernel once per
    argument type and a writable array is another type than a read-only one (tokenizers give
    both), so mixing them cost a second compile of each kernel, several seconds apiece."""
    if ids.flags.writeable:
        ids = ids.view()
        ids.flags.writeable = False
    return ids


def shard_range(shard: Shard, ids: np.ndarray, start: int = 0, length: int | None = None) -> tuple[int, int]:
    """SA range [lo, hi) of ids[start:start+length] in the shard (narrowed by its sample)."""
    rows, lens, every, lookup = shard.sample_args
    try:  # not sa_checked: a context manager costs ~1.5 µs, a third of a warm count
        lo, hi = sampled_range(shard.tokens, shard.sa, rows, lens, every, lookup, read_only(ids), start,
                               len(ids) - start if length is None else length)
    except CorruptArrayError:
        raise shard.bad_sa() from None
    return int(lo), int(hi)


BYTES = np.dtype(np.uint8)


def byte_ids(text: str) -> np.ndarray:
    """A text's UTF-8 bytes as the read-only u8 array ``byte_count`` takes (UnicodeEncodeError for
    lone surrogates, which the general path reports)."""
    return np.frombuffer(text.encode("utf-8"), BYTES)


_ENTRY_POINTS: dict[tuple, Callable] = {}  # (kernel, argument type keys) -> compiled entry point


def _type_key(value) -> tuple:
    """What numba's type of an argument depends on, read without numba (``numba.typeof`` of a
    shard's arrays costs ~0.1 ms each, paid on a cold index's first count otherwise)."""
    if isinstance(value, np.ndarray):
        f = value.flags
        return value.dtype.str, value.ndim, f.c_contiguous, f.f_contiguous, f.writeable, f.aligned
    return (type(value),)


def _compiled_for(kernel, args: tuple) -> Callable:
    """The machine code numba compiled (or loaded) for exactly these arguments' types, callable
    without the dispatcher's per-call typing of each argument: ~0.5 µs of a ~2 µs warm count with
    seven arguments. It does not check types, so it is only for calls whose argument types cannot
    change: one shard's own arrays plus ids made by ``byte_ids``. Resolved once per process and
    type combination, so a freshly opened shard finds it with a dictionary lookup."""
    key = (kernel, *(_type_key(a) for a in args))
    call = _ENTRY_POINTS.get(key)
    if call is None:
        from numba import typeof

        signature = tuple(typeof(a) for a in args)
        kernel.compile(signature)  # or loads it from numba's cache; runs nothing
        call = _ENTRY_POINTS[key] = kernel.overloads[signature].entry_point
    return call


def byte_count(shard: Shard, ids: np.ndarray) -> int:
    """``shard_count`` on a byte-token shard for ids from ``byte_ids`` (read-only contiguous u8),
    through the kernel compiled for this shard's arrays: the warm single-count fast path."""
    call = shard.bound_kernels.get("count")
    if call is None:
        if shard.tokens.dtype != BYTES:
            raise TypeError(f"byte_count: {shard.path} holds {shard.tokens.dtype} tokens, not bytes")
        call = _compiled_for(sampled_count, (shard.tokens, shard.sa, *shard.sample_args, byte_ids("a")))
        shard.bound_kernels["count"] = call
    rows, lens, every, lookup = shard.sample_args
    try:
        return int(call(shard.tokens, shard.sa, rows, lens, every, lookup, ids))
    except CorruptArrayError:
        raise shard.bad_sa() from None


def shard_count(shard: Shard, ids: np.ndarray) -> int:
    """Occurrences of ``ids`` in the shard."""
    rows, lens, every, lookup = shard.sample_args
    try:
        return int(sampled_count(shard.tokens, shard.sa, rows, lens, every, lookup, read_only(ids)))
    except CorruptArrayError:
        raise shard.bad_sa() from None


def _pieces(n: int) -> list[tuple[int, int]]:
    k = max(1, min(IO_THREADS, n // MIN_CHUNK))
    bounds = np.linspace(0, n, k + 1).astype(np.int64).tolist()
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _spread(shard: Shard, run: Callable[[int, int], bool], n: int) -> None:
    """run(i0, i1) over pieces of range(n) on the io pool: each piece is a nogil kernel call, so a
    cold shard has up to IO_THREADS disk reads in flight instead of one per core."""
    if not all(_executor("io", IO_THREADS).map(lambda b: run(*b), _pieces(n))):
        raise shard.bad_sa()


def shard_longest(shard: Shard, ids: np.ndarray, limits: np.ndarray, spread: bool = False) -> np.ndarray:
    """Longest prefix of ids[i:limits[i]] in the shard for every i; ``spread``: over the io pool's
    threads (a cold shard) rather than numba's one thread per core."""
    rows, lens, every, lookup = shard.sample_args
    ids = read_only(ids)
    if spread and len(ids) >= 2 * MIN_CHUNK:
        out = np.zeros(len(ids), dtype=np.int64)
        _spread(shard, lambda i0, i1: sampled_longest_into(shard.tokens, shard.sa, rows, lens, every, lookup, ids, limits,
                                                           i0, i1, out), len(ids))
        return out
    with sa_checked(shard):
        return sampled_longest_prefix_lengths(shard.tokens, shard.sa, rows, lens, every, lookup, ids, limits)


def shard_spans(shard: Shard, ids: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                spread: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """SA ranges of ids[starts[j]:starts[j]+lengths[j]] in the shard (``spread``: see shard_longest)."""
    rows, lens, every, lookup = shard.sample_args
    ids = read_only(ids)
    if spread and len(starts) >= 2 * MIN_CHUNK:
        lo = np.zeros(len(starts), dtype=np.int64)
        hi = np.zeros(len(starts), dtype=np.int64)
        _spread(shard, lambda j0, j1: sampled_spans_into(shard.tokens, shard.sa, rows, lens, every, lookup, ids, starts,
                                                         lengths, j0, j1, lo, hi), len(starts))
        return lo, hi
    with sa_checked(shard):
        return sampled_ranges_of_spans(shard.tokens, shard.sa, rows, lens, every, lookup, ids, starts, lengths)
