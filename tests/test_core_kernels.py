"""Native kernels against brute force: SA ranges, batch counts, longest prefixes, position -> document;
and a corrupt suffix array (values out of range) gives wrong answers, never a crash."""

from __future__ import annotations

import numpy as np
import pytest

import tracer_native as tn
from tracer.index.suffix import suffix_array

DTYPES = [np.uint8, np.uint16, np.uint32]


def naive_sa(tokens: np.ndarray) -> np.ndarray:
    """Suffix start positions sorted by numeric token order (a proper prefix sorts first)."""
    seq = [int(x) for x in tokens]
    return np.asarray(sorted(range(len(seq)), key=lambda i: seq[i:]), dtype=np.uint32)


def _corpus(rng: np.random.Generator, dtype, n: int, alphabet: np.ndarray) -> np.ndarray:
    return rng.choice(alphabet, size=n).astype(dtype)


def _alphabets(dtype) -> list[np.ndarray]:
    top = np.iinfo(dtype).max
    alpha = [np.arange(4)]  # few symbols: long repeats
    if dtype != np.uint8:  # values whose bytes compare differently than the numbers in little-endian
        alpha.append(np.asarray([0x00FF, 0x0100, 0x01FF, 0xFF00, top, top - 1, 1]))
    alpha.append(np.asarray([0, 1, 2, 0x7F, 0x80, top - 1, top]))
    return alpha


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_suffix_array_equals_naive_sort(dtype):
    rng = np.random.default_rng(5)
    cases = [np.zeros(0, dtype=dtype), np.asarray([7], dtype=dtype), np.full(300, 3, dtype=dtype),
             np.tile(np.asarray([1, 2], dtype=dtype), 150), np.tile(np.asarray([5, 5, 4], dtype=dtype), 101)]
    for alpha in _alphabets(dtype):
        cases += [_corpus(rng, dtype, n, alpha) for n in (2, 17, 400)]
    if dtype == np.uint32:
        cases.append(rng.integers(0, 2**32, size=500, dtype=np.uint64).astype(np.uint32))
    for tokens in cases:
        sa = suffix_array(tokens)
        assert sa.dtype == np.uint32
        assert np.array_equal(sa, naive_sa(tokens)), (dtype, tokens[:20])
        # the builder's lean path byte-swaps the tokens in place: same array, tokens restored
        borrowed = tokens.copy()
        assert np.array_equal(suffix_array(borrowed, borrow=True), sa)
        assert np.array_equal(borrowed, tokens) and borrowed.dtype == tokens.dtype


def _brute_range(tokens: np.ndarray, sa: np.ndarray, q: np.ndarray) -> tuple[int, int]:
    """[lo, hi): suffixes ordered before q, and those that start with q."""
    seq, qs = [int(x) for x in tokens], [int(x) for x in q]
    below = sum(1 for p in sa if seq[p : p + len(qs)] < qs)
    match = sum(1 for p in sa if seq[p : p + len(qs)] == qs)
    return below, below + match


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sa_range_and_counts_equal_brute_force(dtype):
    rng = np.random.default_rng(6)
    for alpha in _alphabets(dtype):
        tokens = _corpus(rng, dtype, 400, alpha)
        sa = suffix_array(tokens)
        queries = [tokens[s : s + n] for s, n in zip(rng.integers(0, 400, 40), rng.integers(1, 9, 40), strict=True)]
        queries += [_corpus(rng, dtype, int(n), alpha) for n in rng.integers(1, 6, 40)]
        queries = [q for q in queries if len(q)]
        for q in queries:
            q = np.ascontiguousarray(q)
            lo, hi = tn.sa_range(tokens, sa, q, 0, len(q))
            assert (lo, hi) == _brute_range(tokens, sa, q)
            positions = {p for p in range(len(tokens)) if np.array_equal(tokens[p : p + len(q)], q)}
            assert set(sa[lo:hi].tolist()) == positions
            assert tn.count_sequence(tokens, sa, q) == len(positions)
        # batch form: queries packed back to back, one empty
        flat = np.concatenate(queries).astype(dtype)
        offsets = np.zeros(len(queries) + 2, dtype=np.int64)
        offsets[1:-1] = np.cumsum([len(q) for q in queries])
        offsets[-1] = offsets[-2]
        got = tn.count_batch(tokens, sa, flat, offsets)
        assert got.tolist() == [tn.count_sequence(tokens, sa, np.ascontiguousarray(q)) for q in queries] + [0]
        # a query given by offset inside a longer array
        lo, hi = tn.sa_range(tokens, sa, flat, int(offsets[3]), int(offsets[4] - offsets[3]))
        assert (lo, hi) == _brute_range(tokens, sa, queries[3])


def _brute_longest(tokens: np.ndarray, query: np.ndarray, limits: np.ndarray) -> list[int]:
    """max over every corpus position p of the common prefix of tokens[p:] and query[i:limits[i]]."""
    n = len(tokens)
    padded = np.concatenate([tokens.astype(np.int64), np.full(len(query) + 1, -1)])
    out = []
    for i in range(len(query)):
        alive = np.arange(n)
        k = 0
        while k < limits[i] - i and alive.size:
            alive = alive[padded[alive + k] == int(query[i + k])]
            if alive.size:
                k += 1
        out.append(k)
    return out


@pytest.mark.slow  # not in the default run; CI runs `pytest -m slow` after it
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_longest_prefix_lengths_equal_brute_force(dtype):
    rng = np.random.default_rng(7)
    for alpha in _alphabets(dtype):
        tokens = _corpus(rng, dtype, 300, alpha)
        sa = suffix_array(tokens)
        query = np.concatenate([tokens[40:60], _corpus(rng, dtype, 10, alpha), tokens[200:230]]).astype(dtype)
        t = len(query)
        for limits in (np.full(t, t, dtype=np.int64), np.minimum(np.arange(t) + rng.integers(0, 6, t), t)):
            got = tn.longest_prefix_lengths(tokens, sa, query, limits)
            assert got.tolist() == _brute_longest(tokens, query, limits)
            lo, hi = tn.ranges_of_spans(tokens, sa, query, np.arange(t, dtype=np.int64), got)
            for i in range(t):
                if got[i]:
                    assert (lo[i], hi[i]) == _brute_range(tokens, sa, query[i : i + got[i]])
                else:
                    assert lo[i] == hi[i] == 0


def test_documents_of_positions():
    starts = np.asarray([0, 4, 4, 9, 15], dtype=np.uint64)  # doc 1 is empty, 15 = end
    positions = np.arange(15, dtype=np.uint64)
    want = [int(np.searchsorted(starts, p, side="right")) - 1 for p in positions]
    assert tn.documents_of_positions(starts, positions).tolist() == want


def test_corrupt_suffix_array_never_crashes():
    """Out-of-range SA values (as from a bit-flipped sa.bin) must not make a kernel read outside tokens."""
    rng = np.random.default_rng(8)
    tokens = rng.integers(0, 4, 1000).astype(np.uint8)
    good = suffix_array(tokens)
    corrupt = [
        np.full(1000, 0xFFFFFFFF, dtype=np.uint32),
        rng.integers(0, 2**32, 1000, dtype=np.uint64).astype(np.uint32),
        np.where(rng.random(1000) < 0.1, np.uint32(2**31 + 5), good).astype(np.uint32),
        np.zeros(1000, dtype=np.uint32),
        good[:10].copy(),  # shorter than tokens
    ]
    query = tokens[100:140].copy()
    limits = np.full(len(query), len(query), dtype=np.int64)
    flat = np.concatenate([query, query[:3]])
    offsets = np.asarray([0, 40, 43], dtype=np.int64)
    def answered(kernel, *args):
        """The kernel's result, or None when it refused the damaged array (issue 11: raise, not answer)."""
        try:
            return kernel(*args)
        except tn.CorruptArrayError:
            return None

    for sa in corrupt:
        out_of_range = bool((sa >= len(tokens)).any())
        if (r := answered(tn.sa_range, tokens, sa, query, 0, len(query))) is not None:
            lo, hi = r
            assert 0 <= lo <= hi <= len(sa)
        if (r := answered(tn.count_batch, tokens, sa, flat, offsets)) is not None:
            assert (r >= 0).all()
        lengths = answered(tn.longest_prefix_lengths, tokens, sa, query, limits)
        assert (lengths is None) == out_of_range  # reads every part of the SA, so meets a bad entry
        if lengths is not None:
            assert ((lengths >= 0) & (lengths <= len(query))).all()
        spans = lengths if lengths is not None else np.ones(len(query), dtype=np.int64)
        starts = np.arange(len(query), dtype=np.int64)
        if (r := answered(tn.ranges_of_spans, tokens, sa, query, starts, spans)) is not None:
            lo, hi = r
            assert (lo <= hi).all() and (hi <= len(sa)).all()
    # empty shard
    empty_t, empty_sa = np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.uint32)
    assert tn.sa_range(empty_t, empty_sa, query, 0, len(query)) == (0, 0)
    assert tn.longest_prefix_lengths(empty_t, empty_sa, query, limits).tolist() == [0] * len(query)


def test_query_bounds_are_clamped_to_the_query_array():
    """Kernels never read past the query either: a length or limit beyond it acts as its end."""
    tokens = np.frombuffer(b"abcabcab\xffabd\xff", dtype=np.uint8).copy()
    sa = suffix_array(tokens)
    q = np.frombuffer(b"abc", dtype=np.uint8).copy()
    assert tn.sa_range(tokens, sa, q, 0, 1000) == tn.sa_range(tokens, sa, q, 0, 3)
    lo, hi = tn.sa_range(tokens, sa, q, 5, 2)  # starts past the query: no read, a range inside the SA
    assert 0 <= lo <= hi <= len(sa)
    big = np.full(3, 1 << 40, dtype=np.int64)
    assert tn.longest_prefix_lengths(tokens, sa, q, big).tolist() == [3, 2, 1]
    offsets = np.asarray([0, 99], dtype=np.int64)
    assert tn.count_batch(tokens, sa, q, offsets).tolist() == [tn.count_sequence(tokens, sa, q)]
    lo, hi = tn.ranges_of_spans(tokens, sa, q, np.asarray([1, 7], dtype=np.int64), np.asarray([50, 4], dtype=np.int64))
    assert (hi[0] - lo[0]) == 2 and hi[1] == lo[1]  # "bc" occurs twice; a span starting past the end: empty
