"""Maximal verbatim spans of a query that occur in the corpus, under delimiter and word-boundary rules.

The rules (OLMoTrace's): a span never runs past a delimiter token (it may end with one), starts
and ends at allowed token boundaries (word starts; for bytes also whole UTF-8 characters), and
is maximal: a span contained in an earlier-starting span is dropped. Everything here is
vectorized over query positions; the only per-position work is the native longest-match kernel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba
import numpy as np

from tracer.index.reader import IndexReader
from tracer.query.longest import longest_lengths
from tracer.tokenize.boundaries import delimiter_after

# Below this many query tokens the kernels run on the calling thread only: a parallel region costs
# little on an idle machine but tens of milliseconds when the cores are busy (the region waits for
# its slowest, descheduled thread), while a 1,000-token trace is ~2 ms of serial work.
PARALLEL_MIN_TOKENS = 16_384


@contextmanager
def kernel_threads(n_tokens: int) -> Iterator[None]:
    """Run numba parallel kernels single-threaded for short queries (the setting is per thread)."""
    if n_tokens >= PARALLEL_MIN_TOKENS:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def delimiter_limits(text: str, starts: np.ndarray, ends: np.ndarray, delimiters: str) -> np.ndarray:
    """Per token i, the exclusive end a span starting at i may reach: one past the first delimiter token >= i.

    A token is a delimiter token when any character it covers is one of ``delimiters``.
    """
    t = len(starts)
    if t == 0:
        return np.zeros(0, dtype=np.int64)
    is_delim_char = delimiter_after(text, delimiters)
    csum = np.zeros(len(text) + 1, dtype=np.int64)
    np.cumsum(is_delim_char, out=csum[1:])
    s = np.minimum(starts, len(text))  # offsets are >= 0; np.clip costs ~10 µs on arrays this small
    e = np.minimum(np.maximum(ends, starts), len(text))
    # one past each delimiter token, t elsewhere; the running minimum from the right gives each i the first >= i
    limits = np.where(csum[e] > csum[s], np.arange(1, t + 1), t)
    return np.minimum.accumulate(limits[::-1])[::-1].copy()


def maximal_spans(
    index: IndexReader, ids: np.ndarray, limits: np.ndarray, allowed: np.ndarray, min_len: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """(starts, lengths) of the maximal boundary-aligned spans of ``ids`` that occur in the corpus,
    every one of at least ``min_len`` tokens among them (shorter ones may be returned too).

    ``allowed`` (len T+1) marks token indexes where a span may start or end. Each allowed start
    takes its longest occurring prefix within ``limits``, shrunk to the last allowed end; a span
    whose end does not pass the ends of all earlier spans is contained in one and dropped.

    A start whose window (to its limit, shrunk to an allowed end) is shorter than ``min_len`` is
    not searched: its span would be too short, and so would every later span it contains, so
    leaving it out changes no span of ``min_len`` or more. On text cut by many delimiters (code,
    short lines) that skips ~40% of the searches.
    """
    t = len(ids)
    if t == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    positions = np.arange(t, dtype=np.int64)
    window = np.minimum(limits, t)
    last_allowed = np.maximum.accumulate(np.where(allowed, np.arange(t + 1), -1))
    searched = allowed[:t] & (last_allowed[window] - positions >= max(1, min_len))
    lim = np.where(searched, window, positions)  # others: an empty search
    lengths = longest_lengths(index, ids, lim)
    ends = last_allowed[positions + lengths]
    ends = np.where(ends > positions, ends, -1)
    prior_max = np.empty(t, dtype=np.int64)
    prior_max[0] = -1
    if t > 1:
        prior_max[1:] = np.maximum.accumulate(ends)[:-1]
    keep = (ends > positions) & (ends > prior_max)
    starts = positions[keep]
    return starts, ends[keep] - starts
