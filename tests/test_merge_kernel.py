"""The suffix-array merges against a brute-force sort: the compare kernel for every token width
(long ties past the cached keys, separators inside and past the keys, a last piece cut without a
separator), and the LF-ranked merge of byte runs (tracer/index/lf_rank.py) on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

from tracer.index import lf_rank
from tracer_native import interleave, merge_runs
from tracer_native.merge import KEY_WORDS


def _pieces(rng: np.random.Generator, dtype, n_pieces: int) -> tuple[np.ndarray, list[tuple[int, int]], int]:
    """Tokens of a few pieces, each of documents from a 3-token alphabet with repeated passages
    longer than the keys (ties the keys cannot decide), each document ending with the separator."""
    sep = int(np.iinfo(dtype).max)
    passage = rng.integers(0, 3, size=KEY_WORDS * 8 * 3).tolist()
    toks: list[int] = []
    bounds = []
    for _ in range(n_pieces):
        start = len(toks)
        for _ in range(int(rng.integers(2, 6))):
            doc = rng.integers(0, 3, size=int(rng.integers(0, 40))).tolist()
            if rng.random() < 0.2:  # exactly a key's length, separator included
                doc = rng.integers(0, 3, size=KEY_WORDS * 8 // np.dtype(dtype).itemsize - 1).tolist()
            if rng.random() < 0.6:
                cut = int(rng.integers(0, len(passage)))
                doc += passage[cut:] + rng.integers(0, 3, size=int(rng.integers(0, 5))).tolist()
            toks += doc + [sep]
        bounds.append((start, len(toks)))
    return np.asarray(toks, dtype=dtype), bounds, sep


def _through_sep(tokens: np.ndarray, p: int, sep: int) -> tuple:
    rest = tokens[p:].tolist()
    return tuple(rest[: rest.index(sep) + 1]) if sep in rest else tuple(rest)


def _check(tokens: np.ndarray, bounds: list[tuple[int, int]], sep: int) -> None:
    runs = [sorted(range(a, b), key=lambda p, b=b: tokens[p:b].tolist()) for a, b in bounds]
    src = np.asarray([p for r in runs for p in r], dtype=np.int64)
    offsets = np.asarray([0] + np.cumsum([len(r) for r in runs]).tolist(), dtype=np.int64)
    entries = [(m, i, p) for m, r in enumerate(runs) for i, p in enumerate(r)]
    expected = [p for m, i, p in sorted(entries, key=lambda e: (_through_sep(tokens, e[2], sep), e[0], e[1]))]
    out = np.empty(len(src), dtype=np.int64)
    merge_runs(tokens, sep, src, offsets, out)
    assert out.tolist() == expected
    runs = [lf_rank.Run(a, b - a) for a, b in bounds]
    if lf_rank.applies(tokens, sep, runs):
        assert _lf_merge(tokens, runs, src, offsets).tolist() == expected
    else:  # only byte runs that each end with the separator, 2..MAX_RUNS of them, are ranked
        assert (tokens.dtype != np.uint8 or tokens[-1] != sep
                or not 2 <= sum(1 for r in runs if r.size) <= lf_rank.MAX_RUNS)


def _lf_merge(tokens: np.ndarray, runs: list, src: np.ndarray, offsets: np.ndarray, threads: int = 1) -> np.ndarray:
    """The LF-ranked merge in memory: every pair ranked (the walking run's documents split over
    ``threads`` threads), the labels from the pairs' bits, then the interleave."""
    labels = lf_rank.merge_labels(tokens, runs, lambda m, lo, hi: src[offsets[m] + lo : offsets[m] + hi], threads)
    sizes = [r.size for r in runs]
    assert np.bincount(labels, minlength=len(runs)).tolist() == sizes  # every entry placed once
    out = np.empty(len(src), dtype=np.int64)
    interleave(labels, src, offsets, out)
    return out


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n_pieces", [1, 2, 3, 5])
def test_merge_equals_brute_force_sort(dtype, n_pieces):
    rng = np.random.default_rng(n_pieces * 7 + np.dtype(dtype).itemsize)
    for _ in range(3):
        tokens, bounds, sep = _pieces(rng, dtype, n_pieces)
        _check(tokens, bounds, sep)


def test_last_piece_without_separator():
    """A suffix cut by the array's end sorts before a longer one it is a prefix of (not equal)."""
    rng = np.random.default_rng(3)
    tokens, bounds, sep = _pieces(rng, np.uint8, 2)
    a, b = bounds[-1]  # the last piece's final separator becomes a run of zeros longer than a key
    tokens = np.concatenate([tokens[: b - 1], np.zeros(KEY_WORDS * 8 + 3, dtype=np.uint8)])
    bounds[-1] = (a, len(tokens))
    _check(tokens, bounds, sep)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16], ids=lambda d: np.dtype(d).name)
def test_merge_of_duplicated_documents_equals_brute_force(dtype):
    """Whole documents repeated within and across 6-9 runs (a tree with empty padding leaves):
    suffixes equal through their separator in many runs at once, and long shared prefixes that
    the LCP-aware tree decides from its stored LCPs, must come out in brute-force order."""
    rng = np.random.default_rng(np.dtype(dtype).itemsize + 40)
    sep = int(np.iinfo(dtype).max)
    for trial in range(6):
        docs = [rng.integers(0, 2 + trial % 3, size=int(rng.integers(1, 90))).tolist() for _ in range(5)]
        toks: list[int] = []
        bounds = []
        for _ in range(int(rng.integers(6, 10))):
            start = len(toks)
            for _ in range(int(rng.integers(1, 5))):
                doc = list(docs[int(rng.integers(0, len(docs)))])
                if rng.random() < 0.3:  # a near-duplicate: one token changed
                    doc[int(rng.integers(0, len(doc)))] = int(rng.integers(0, 3))
                toks += doc + [sep]
            bounds.append((start, len(toks)))
        _check(np.asarray(toks, dtype=dtype), bounds, sep)


def test_ranked_merge_equals_compare_merge_past_superblocks():
    """Runs of 60-200K byte tokens (the ranked merge's u64 counts every 65,536 entries, block
    counts relative to them, runs whose sizes fall on and beside those boundaries), each sorted by
    the build's sorter: the same merged order as the compare kernel."""
    from tracer.index.suffix import suffix_array

    rng = np.random.default_rng(11)
    passage = rng.integers(97, 100, size=300).tolist()
    for sizes in ([65536, 70000], [131072, 65535, 61000], [200000, 64000, 65537]):
        toks: list[int] = []
        bounds = []
        for size in sizes:
            start = len(toks)
            while len(toks) - start < size - 1:
                doc = rng.integers(97, 100 + int(rng.integers(0, 20)), size=int(rng.integers(1, 400))).tolist()
                if rng.random() < 0.4:
                    doc += passage[int(rng.integers(0, 300)):]
                toks += doc[: size - 1 - (len(toks) - start)] + [255]
            bounds.append((start, len(toks)))
        tokens = np.asarray(toks, dtype=np.uint8)
        runs = [lf_rank.Run(a, b - a) for a, b in bounds]
        assert lf_rank.applies(tokens, 255, runs)
        src = np.concatenate([suffix_array(tokens[a:b]).astype(np.int64) + a for a, b in bounds])
        offsets = np.asarray([0] + np.cumsum([b - a for a, b in bounds]).tolist(), dtype=np.int64)
        out = np.empty(len(src), dtype=np.int64)
        merge_runs(tokens, 255, src, offsets, out)
        assert (_lf_merge(tokens, runs, src, offsets, threads=3) == out).all()


def test_ranking_threads_fit_the_memory():
    """Threads rank with a histogram each (4 bytes per entry of the largest run, beside its 3-byte
    BWT table): as many as the memory holds, at least one, at most the workers asked for."""
    runs = [lf_rank.Run(0, 10**9), lf_rank.Run(10**9, 5 * 10**8)]
    table = 3 * 10**9 + lf_rank.CHUNK * 24
    assert lf_rank.ranking_threads(runs, 8, table + 2 * 4 * 10**9) == 2
    assert lf_rank.ranking_threads(runs, 8, table + 2 * 4 * 10**9 - 1) == 1
    assert lf_rank.ranking_threads(runs, 1, 10**12) == 1
    assert lf_rank.ranking_threads(runs, 4, 0) == 1
