"""Longest match at every query position, over all shards: the base of tracing and contamination."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass

import numba
import numpy as np

from tracer.index.reader import IndexReader
from tracer.query.shards import SLOW_PER_START_S, map_shards, shard_longest, shard_spans, slow

_WORKQUEUE_LOCK = threading.Lock()


def _parallel_guard():
    """numba's fallback 'workqueue' threading layer is not thread-safe (omp and tbb are): serialize there."""
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet in this process
        return _WORKQUEUE_LOCK
    return _WORKQUEUE_LOCK if layer == "workqueue" else nullcontext()


@dataclass
class LongestMatches:
    """For each start i: ``lengths[i]`` tokens of query[i:limits[i]] occur in the corpus, ``counts[i]`` times.

    ``ranges[s]`` holds the (lo, hi) SA ranges of those spans in shard s.
    """

    lengths: np.ndarray  # int64 [T]
    counts: np.ndarray  # int64 [T]
    ranges: list[tuple[np.ndarray, np.ndarray]]


def longest_matches(index: IndexReader, ids: np.ndarray, limits: np.ndarray | None = None) -> LongestMatches:
    """Longest prefix of query[i:limits[i]] found in the corpus, for every i (limits default: the end).

    Matches never cross documents: the query cannot contain the separator. Costs one binary
    search per position and shard, run in parallel over positions.
    """
    ids = np.ascontiguousarray(ids, dtype=index.dtype)
    t = len(ids)
    if limits is None:
        limits = np.full(t, t, dtype=np.int64)
    limits = np.minimum(np.asarray(limits, dtype=np.int64), t)
    lengths = longest_lengths(index, ids, limits)
    return spans_with_counts(index, ids, np.arange(t, dtype=np.int64), lengths)


def longest_lengths(index: IndexReader, ids: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Only the lengths of ``longest_matches`` (0 where limits[i] <= i): callers that count a few spans later."""
    ids = np.ascontiguousarray(ids, dtype=index.dtype)
    limits = np.minimum(np.asarray(limits, dtype=np.int64), len(ids))
    lengths = np.zeros(len(ids), dtype=np.int64)
    spread = slow(index)
    with _parallel_guard() as guard:  # guard None (nullcontext): a thread-safe layer, shards may run in threads
        for part in map_shards(index, lambda shard: shard_longest(shard, ids, limits, spread),
                               parallel_ok=guard is None, budget_s=SLOW_PER_START_S * len(ids)):
            np.maximum(lengths, part, out=lengths)
    return lengths


def spans_with_counts(index: IndexReader, ids: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> LongestMatches:
    """Counts and per-shard SA ranges of the spans ids[starts[j]:starts[j]+lengths[j]]."""
    ids = np.ascontiguousarray(ids, dtype=index.dtype)
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    counts = np.zeros(len(starts), dtype=np.int64)
    spread = slow(index)
    with _parallel_guard() as guard:
        ranges = map_shards(index, lambda shard: shard_spans(shard, ids, starts, lengths, spread),
                            parallel_ok=guard is None, budget_s=SLOW_PER_START_S * len(starts))
    for lo, hi in ranges:
        counts += hi - lo
    return LongestMatches(lengths, counts, ranges)
