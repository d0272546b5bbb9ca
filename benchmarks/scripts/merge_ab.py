"""The two suffix-array merges side by side on the same sorted runs, in one process.

usage: python -m benchmarks.scripts.merge_ab ROOT [ROOT ...]

Each ROOT is a one-shard byte index (e.g. parts built with `tracer build --shard-tokens N` on
consecutive slices of a corpus); their shards are the runs, concatenated in the order given. Times,
on one thread each: the compare merge (``merge_runs`` over the segments ``plan_cuts`` makes, as
tracer/index/merge.py runs it) and the LF-ranked merge (``lf_rank.merge_labels``: every pair
ranked, then the labels; then ``interleave``), and checks that both give the same suffix array (sha256 of the int64 output).
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from tracer.index import lf_rank
from tracer.index.merge import Source, _read_run, plan_cuts
from tracer.index.reader import IndexReader

SEGMENT = 1 << 24


def _sources(roots: list[Path]) -> tuple[np.ndarray, list[Source]]:
    sources, tokens, offset = [], [], 0
    for root in roots:
        entry = IndexReader(root).record.shards[0]
        sources.append(Source(root / entry.path, entry, offset, 0))
        tokens.append(np.fromfile(root / entry.path / "tokens.bin", dtype=np.uint8))
        offset += entry.n_tokens
    return np.concatenate(tokens), sources


def compare_merge(tokens: np.ndarray, sources: list[Source]) -> tuple[float, str]:
    from tracer_native import merge_runs

    cuts = plan_cuts(tokens, 0xFF, sources, SEGMENT)
    digest, seconds = hashlib.sha256(), 0.0
    for j in range(cuts.shape[1] - 1):
        src = np.concatenate([_read_run(s, int(cuts[m, j]), int(cuts[m, j + 1])) for m, s in enumerate(sources)])
        bounds = np.concatenate([[0], np.cumsum(cuts[:, j + 1] - cuts[:, j])]).astype(np.int64)
        out = np.empty(src.shape[0], dtype=np.int64)
        if j == 0:
            merge_runs(tokens, 0xFF, src[:100], np.asarray([0, 100]), out[:100])  # numba's cache load
        t = time.perf_counter()
        merge_runs(tokens, 0xFF, src, bounds, out)
        seconds += time.perf_counter() - t
        digest.update(out.tobytes())
    return seconds, digest.hexdigest()


def ranked_merge(tokens: np.ndarray, sources: list[Source], threads: int) -> tuple[float, float, str]:
    from tracer_native import interleave

    runs = [lf_rank.Run(s.token_offset, s.entry.n_tokens) for s in sources]
    assert lf_rank.applies(tokens, 0xFF, runs), "runs must be bytes ending with 0xFF, at most MAX_RUNS"
    n = sum(r.size for r in runs)

    def read(m: int, lo: int, hi: int) -> np.ndarray:
        return _read_run(sources[m], lo, hi)

    t = time.perf_counter()
    labels = lf_rank.merge_labels(tokens, runs, read, threads)
    ranking = time.perf_counter() - t
    digest, seconds = hashlib.sha256(), 0.0
    heads = np.zeros(len(runs), dtype=np.int64)
    for lo in range(0, n, SEGMENT):
        part = labels[lo : lo + SEGMENT]
        counts = np.bincount(part, minlength=len(runs))
        src = np.concatenate([_read_run(s, int(heads[m]), int(heads[m] + counts[m])) for m, s in enumerate(sources)])
        bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        out = np.empty(src.shape[0], dtype=np.int64)
        t = time.perf_counter()
        interleave(part, src, bounds, out)
        seconds += time.perf_counter() - t
        heads += counts
        digest.update(out.tobytes())
    return ranking, seconds, digest.hexdigest()


def main(argv: list[str]) -> None:
    tokens, sources = _sources([Path(a) for a in argv])
    n = tokens.shape[0]
    print(f"{len(sources)} runs, {n:,} entries", flush=True)
    ranking, filling, ranked_sha = ranked_merge(tokens, sources, threads=1)
    print(f"LF-ranked merge: ranks and labels {ranking:.1f} s + interleave {filling:.1f} s = "
          f"{(ranking + filling) / n * 1e9:.0f} ns/entry  sha {ranked_sha[:16]}", flush=True)
    seconds, compare_sha = compare_merge(tokens, sources)
    print(f"compare merge: {seconds:.1f} s = {seconds / n * 1e9:.0f} ns/entry  sha {compare_sha[:16]}", flush=True)
    print(f"ratio compare / ranked: {seconds / (ranking + filling):.2f}x; same output: {ranked_sha == compare_sha}")


if __name__ == "__main__":
    main(sys.argv[1:])
