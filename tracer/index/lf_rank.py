"""The merge order of a few byte-token runs, found by LF ranks (see native/lf_merge.py for why).

The result is a labels file beside the merge's output: one byte per merged suffix-array entry,
the run it comes from. Runs are ranked one at a time (each against every other run), each run's
labels are written and flushed, and the merge state records the run as ranked, so a killed merge
re-ranks only the runs not yet recorded; a run's labels are a pure function of the sources, so
the file comes out the same either way. The merge then cuts its segments from label counts and
fills each one by a sequential interleave of the runs, with no suffix compared.

Used when every source's tokens are bytes ending with the separator 0xFF and there are at most
``MAX_RUNS`` of them (a build's sorted parts, a small compaction); otherwise the compare merge of
native/merge.py runs.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LABELS = "merge-labels.bin"
MAX_RUNS = 8  # each entry is ranked against every other run: (k - 1) table lookups per entry
LANES = 32  # documents ranked side by side, so their table misses overlap
CHUNK = 1 << 24  # suffix-array entries read at a time while the BWT is written
LANE_SEARCH = 1 << 20  # tokens searched for a separator to start a lane at
KILL_AFTER_ENV = "TRACER_MERGE_KILL_AFTER_RANKS"  # tests: SIGKILL this process after K runs are ranked


@dataclass(frozen=True)
class Run:
    """One sorted run as the ranking reads it: its tokens are tokens[start:start + size]."""

    start: int
    size: int


def applies(tokens: np.ndarray, separator: int, runs: list[Run]) -> bool:
    """Whether the LF ranking can order these runs: bytes, separator 0xFF, 2..MAX_RUNS non-empty
    runs, each ending with the separator (a piece cut without one needs the compare merge)."""
    sized = [r for r in runs if r.size]
    if tokens.dtype != np.uint8 or separator != 0xFF or not 2 <= len(sized) <= MAX_RUNS:
        return False
    return all(int(tokens[r.start + r.size - 1]) == 0xFF for r in sized)


def _bytes_below(tokens: np.ndarray, run: Run) -> np.ndarray:
    """below[c] = how many of the run's tokens are less than c (c = 0..256)."""
    counts = np.zeros(256, dtype=np.int64)
    for a in range(run.start, run.start + run.size, CHUNK):
        chunk = np.asarray(tokens[a : min(a + CHUNK, run.start + run.size)])
        counts += np.bincount(chunk, minlength=256)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def _lanes(tokens: np.ndarray, run: Run, lanes: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``lanes`` consecutive ranges covering the run, each ending with a separator."""
    end = run.start + run.size
    cuts = [run.start]
    for g in range(1, lanes):
        at = run.start + run.size * g // lanes
        window = np.asarray(tokens[at : min(at + LANE_SEARCH, end)])
        hits = np.flatnonzero(window == 0xFF)
        if hits.size and cuts[-1] < at + int(hits[0]) + 1 < end:
            cuts.append(at + int(hits[0]) + 1)
    bounds = np.asarray(cuts + [end], dtype=np.int64)
    return bounds[:-1].copy(), bounds[1:].copy()


def _lane_groups(tokens: np.ndarray, runs: list[Run], j: int, below: np.ndarray, threads: int
                 ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The other runs' lanes (starts, ends, rank of a suffix starting with the separator) dealt
    into ``threads`` groups of about equal tokens."""
    lanes = []
    for i, other in enumerate(runs):
        if i == j or not other.size:
            continue
        at_sep = int(below[0xFF]) if i < j else runs[j].size  # a run before j goes first among equals
        starts, ends = _lanes(tokens, other, LANES * threads)
        lanes += [(int(a), int(b), at_sep) for a, b in zip(starts, ends, strict=True)]
    lanes.sort(key=lambda lane: lane[0] - lane[1])  # longest first, each to the lightest group
    groups: list[list[tuple[int, int, int]]] = [[] for _ in range(threads)]
    loads = [0] * threads
    for lane in lanes:
        g = loads.index(min(loads))
        groups[g].append(lane)
        loads[g] += lane[1] - lane[0]
    return [tuple(np.asarray(col, dtype=np.int64) for col in zip(*group, strict=True))
            for group in groups if group]


def rank_run(tokens: np.ndarray, runs: list[Run], j: int,
             read: Callable[[int, int, int], np.ndarray], threads: int = 1) -> np.ndarray:
    """hist[g] = how many entries of the other runs come just before run j's g-th entry (g < n)
    or after its last (g = n). ``read(m, lo, hi)``: run m's entries [lo, hi) as global positions.
    ``threads``: the other runs' documents are ranked on that many threads, each counting into a
    histogram of its own (summed at the end)."""
    from tracer_native.lf_merge import BLOCK, block_rows, bwt_chunk, occurrence_tables, rank_lanes

    run = runs[j]
    n = run.size
    rows, super_rows = block_rows(n)
    blocks = np.zeros((rows, 3 * BLOCK // 2), dtype=np.uint16)  # per block: 256 counts, 256 BWT bytes
    flat = blocks.reshape(-1).view(np.uint8)
    for lo in range(0, n, CHUNK):
        bwt_chunk(tokens, read(j, lo, min(lo + CHUNK, n)), run.start, flat, lo)
    sup = np.zeros((super_rows, 256), dtype=np.uint64)
    occurrence_tables(blocks, n, sup)
    below = _bytes_below(tokens, run)
    groups = _lane_groups(tokens, runs, j, below, max(1, threads))
    hists = [np.zeros(n + 1, dtype=_hist_dtype(runs, j)) for _ in groups]

    def rank(g: int) -> None:
        starts, ends, at_sep = groups[g]
        rank_lanes(tokens, starts, ends, blocks, n, sup, below, at_sep, hists[g])

    if len(groups) <= 1:
        for g in range(len(groups)):
            rank(g)
    else:
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            list(pool.map(rank, range(len(groups))))
    for extra in hists[1:]:
        hists[0] += extra
    return hists[0] if hists else np.zeros(n + 1, dtype=_hist_dtype(runs, j))


def _hist_dtype(runs: list[Run], j: int) -> np.dtype:
    """u32 counts unless the other runs together could put 2^32 entries in one gap."""
    others = sum(r.size for r in runs) - runs[j].size
    return np.dtype(np.uint32 if others < 1 << 32 else np.uint64)


def ranking_threads(runs: list[Run], workers: int, memory: int) -> int:
    """Threads ranking at once: ``workers``, fewer when the largest run's BWT with its counts (3
    bytes per entry) and one histogram per thread (4-8) would not fit in ``memory``."""
    need = [(r.size * 3 + (CHUNK * 24), r.size * _hist_dtype(runs, j).itemsize) for j, r in enumerate(runs)]
    table, hist = max(need)
    return max(1, min(workers, (memory - table) // max(1, hist)))


def write_labels(tokens: np.ndarray, runs: list[Run], path: Path, ranked: set[int],
                 record: Callable[[int], None], read: Callable[[int, int, int], np.ndarray],
                 workers: int, memory: int) -> None:
    """Rank every run not in ``ranked``, one at a time, and write its labels into ``path`` (created
    at the merged size); ``record(j)`` is called once run j's labels are on disk."""
    from tracer_native.lf_merge import place_run

    total = sum(r.size for r in runs)
    if not path.exists() or path.stat().st_size != total:
        with open(path, "ab") as f:
            f.truncate(total)
    labels = np.memmap(path, dtype=np.uint8, mode="r+", shape=(total,))
    kill_after = int(os.environ.get(KILL_AFTER_ENV, "0") or 0)
    threads = ranking_threads(runs, workers, memory)
    for done, j in enumerate(j for j, r in enumerate(runs) if r.size and j not in ranked):
        place_run(rank_run(tokens, runs, j, read, threads), j, labels)
        labels.flush()
        record(j)
        if kill_after and done + 1 >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)


def cuts_from_labels(path: Path, k: int, segment_entries: int) -> np.ndarray:
    """(runs, segments + 1) cut indexes: segment s takes run m's entries [cuts[m, s], cuts[m, s+1]),
    the merged entries [s * total // segments, (s + 1) * total // segments)."""
    labels = np.memmap(path, dtype=np.uint8, mode="r")
    total = labels.shape[0]
    segments = max(1, -(-total // max(1, segment_entries)))
    cuts = np.zeros((k, segments + 1), dtype=np.int64)
    for s in range(segments):
        a, b = s * total // segments, (s + 1) * total // segments
        counts = np.zeros(k, dtype=np.int64)
        for lo in range(a, b, CHUNK):
            counts += np.bincount(np.asarray(labels[lo : min(lo + CHUNK, b)]), minlength=k)[:k]
        cuts[:, s + 1] = cuts[:, s] + counts
    return cuts


def segment_labels(path: Path, lo: int, hi: int) -> np.ndarray:
    """The labels of merged entries [lo, hi) (a read, not a map)."""
    with open(path, "rb") as f:
        f.seek(lo)
        return np.fromfile(f, dtype=np.uint8, count=hi - lo)
