"""The merge order of a few byte-token runs, found by LF ranks (see native/lf_merge.py for why).

The result is a labels file beside the merge's output: one byte per merged suffix-array entry,
the run it comes from. Each pair of runs i < j is ranked once (run i's documents walked over run
j's BWT, which is built once for all its pairs) into the pair's merged order as a bit string,
written to its own file and recorded in the merge state, so a killed merge ranks only the pairs
not yet recorded; a k-way pass over the pairs' bits then writes the labels. Everything is a pure
function of the sources, so the files come out the same either way. The merge cuts its segments
from label counts and fills each one by a sequential interleave of the runs, no suffix compared.

Used when every source's tokens are bytes ending with the separator 0xFF and there are at most
``MAX_RUNS`` of them (a build's sorted parts, a small compaction); otherwise the compare merge of
native/merge.py runs.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tracer.index.format import naming, write_bytes_atomic
from tracer.index.shard_job import token_counts

LABELS = "merge-labels.bin"
PAIRS = "merge-pairs"  # folder of the ranked pairs' bit strings, beside the labels
MAX_RUNS = 8  # every pair is ranked: (k - 1) / 2 table lookups per entry on average
LANES = 32  # documents ranked side by side, so their table misses overlap
CHUNK = 1 << 24  # suffix-array entries read at a time while the BWT is written
LANE_SEARCH = 1 << 20  # tokens searched for a separator to start a lane at
KILL_AFTER_ENV = "TRACER_MERGE_KILL_AFTER_RANKS"  # tests: SIGKILL this process after K pairs are ranked


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
    counts = token_counts(tokens[run.start : run.start + run.size], 256)
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


def _lane_groups(tokens: np.ndarray, walker: Run, at_sep: int, threads: int
                 ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The walking run's lanes (starts, ends, rank of a suffix that starts with the separator)
    dealt into ``threads`` groups of about equal tokens."""
    starts, ends = _lanes(tokens, walker, LANES * threads)
    lanes = sorted(zip(starts.tolist(), ends.tolist(), strict=True), key=lambda lane: lane[0] - lane[1])
    groups: list[list[tuple[int, int]]] = [[] for _ in range(threads)]
    loads = [0] * threads
    for lane in lanes:  # longest first, each to the lightest group
        g = loads.index(min(loads))
        groups[g].append(lane)
        loads[g] += lane[1] - lane[0]
    return [(np.asarray([a for a, _ in group], dtype=np.int64), np.asarray([b for _, b in group], dtype=np.int64),
             np.full(len(group), at_sep, dtype=np.int64)) for group in groups if group]


@dataclass
class _Tables:
    """Run j's BWT with its block counts, superblock counts and ``below[c]``."""

    blocks: np.ndarray
    sup: np.ndarray
    below: np.ndarray


def _tables(tokens: np.ndarray, run: Run, j: int, read: Callable[[int, int, int], np.ndarray],
            threads: int = 1) -> _Tables:
    """Run j's ranking tables; its BWT gathered chunk by chunk on ``threads`` threads."""
    from tracer_native.lf_merge import BLOCK, block_rows, bwt_chunk, occurrence_tables

    n = run.size
    rows, super_rows = block_rows(n)
    blocks = np.zeros((rows, 3 * BLOCK // 2), dtype=np.uint16)  # per block: 256 counts, 256 BWT bytes
    flat = blocks.reshape(-1).view(np.uint8)

    def gather(lo: int) -> None:  # chunks are multiples of 256 entries: no two write one block
        bwt_chunk(tokens, read(j, lo, min(lo + CHUNK, n)), run.start, flat, lo)

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        list(pool.map(gather, range(0, n, CHUNK)))
    sup = np.zeros((super_rows, 256), dtype=np.uint64)
    occurrence_tables(blocks, n, sup)
    return _Tables(blocks, sup, _bytes_below(tokens, run))


def rank_pair(tokens: np.ndarray, walker: Run, owner: Run, tables: _Tables, threads: int = 1) -> np.ndarray:
    """The merged order of two runs (``walker`` before ``owner`` in run order) as bits: 0 for a
    walker entry, 1 for an owner entry; the walker's documents are ranked over the owner's BWT
    on ``threads`` threads, each counting into a histogram of its own."""
    from tracer_native.lf_merge import pair_bits, rank_lanes

    n = owner.size
    dtype = np.uint32 if walker.size < 1 << 32 else np.uint64
    groups = _lane_groups(tokens, walker, int(tables.below[0xFF]), max(1, threads))
    hists = [np.zeros(n + 1, dtype=dtype) for _ in groups] or [np.zeros(n + 1, dtype=dtype)]

    def rank(g: int) -> None:
        starts, ends, at_sep = groups[g]
        rank_lanes(tokens, starts, ends, tables.blocks, n, tables.sup, tables.below, at_sep, hists[g])

    if len(groups) <= 1:
        for g in range(len(groups)):
            rank(g)
    else:
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            list(pool.map(rank, range(len(groups))))
    for extra in hists[1:]:
        hists[0] += extra
    words = np.zeros((walker.size + n + 63) // 64, dtype=np.uint64)
    pair_bits(hists[0], words)
    return words


def ranking_threads(runs: list[Run], workers: int, memory: int) -> int:
    """Threads ranking at once: ``workers``, fewer when the largest run's BWT with its counts (3
    bytes per entry) and one histogram per thread (4-8) would not fit in ``memory``."""
    largest = max(r.size for r in runs)
    table = largest * 3 + CHUNK * 24
    hist = largest * (4 if largest < 1 << 32 else 8)  # counts of walker entries: as rank_pair sizes them
    return max(1, min(workers, (memory - table) // max(1, hist)))


def _pairs(runs: list[Run]) -> list[tuple[int, int]]:
    return [(i, j) for j in range(len(runs)) for i in range(j) if runs[i].size and runs[j].size]


def labels_from_pairs(runs: list[Run], bits: dict[tuple[int, int], np.ndarray], out: Callable[[int, np.ndarray], None]
                      ) -> None:
    """The k-way merge order from every pair's bits, handed to ``out(start, labels)`` in chunks."""
    from tracer_native.lf_merge import label_chunk

    k = len(runs)
    offsets = np.zeros(k * k, dtype=np.int64)
    at = 0
    for (i, j), words in sorted(bits.items()):
        offsets[i * k + j] = at
        at += words.shape[0]
    words = np.concatenate([bits[p] for p in sorted(bits)] or [np.zeros(1, dtype=np.uint64)])
    sizes = np.asarray([r.size for r in runs], dtype=np.int64)
    heads = np.zeros(k, dtype=np.int64)
    total = int(sizes.sum())
    for lo in range(0, total, CHUNK):
        labels = np.empty(min(CHUNK, total - lo), dtype=np.uint8)
        label_chunk(words, offsets, sizes, heads, labels)
        out(lo, labels)


def _ranked_pairs(tokens: np.ndarray, runs: list[Run], read: Callable[[int, int, int], np.ndarray],
                  threads: int, skip: set[tuple[int, int]]) -> Iterator[tuple[tuple[int, int], np.ndarray]]:
    """((i, j), bits) for every pair not in ``skip``, each later run's BWT built once for its pairs."""
    for j in range(len(runs)):
        walkers = [i for i, jj in _pairs(runs) if jj == j and (i, jj) not in skip]
        if walkers:
            tables = _tables(tokens, runs[j], j, read, threads)
            for i in walkers:
                yield (i, j), rank_pair(tokens, runs[i], runs[j], tables, threads)
            del tables


def merge_labels(tokens: np.ndarray, runs: list[Run], read: Callable[[int, int, int], np.ndarray],
                 threads: int = 1) -> np.ndarray:
    """The run labels of the merged order, all in memory (tests, benchmarks)."""
    bits = dict(_ranked_pairs(tokens, runs, read, threads, set()))
    labels = np.empty(sum(r.size for r in runs), dtype=np.uint8)

    def out(lo: int, chunk: np.ndarray) -> None:
        labels[lo : lo + chunk.shape[0]] = chunk

    labels_from_pairs(runs, bits, out)
    return labels


def write_labels(tokens: np.ndarray, runs: list[Run], path: Path, ranked: set[tuple[int, int]],
                 record: Callable[[tuple[int, int]], None], read: Callable[[int, int, int], np.ndarray],
                 workers: int, memory: int) -> None:
    """Rank every pair not in ``ranked`` into its file (``record(pair)`` once it is on disk), then
    write the labels into ``path``. A kill anywhere leaves recorded pairs to reuse."""
    folder = path.parent / PAIRS
    folder.mkdir(exist_ok=True)
    kill_after = int(os.environ.get(KILL_AFTER_ENV, "0") or 0)
    threads = ranking_threads(runs, workers, memory)
    for done, ((i, j), words) in enumerate(_ranked_pairs(tokens, runs, read, threads, ranked), start=1):
        write_bytes_atomic(folder / f"{i}-{j}.bits", memoryview(words).cast("B"))
        record((i, j))
        if kill_after and done >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
    bits = {(i, j): np.fromfile(folder / f"{i}-{j}.bits", dtype=np.uint64) for i, j in _pairs(runs)}
    with naming(path), open(path, "wb") as f:
        labels_from_pairs(runs, bits, lambda lo, chunk: f.write(chunk.tobytes()))
        f.flush()
        os.fsync(f.fileno())


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
