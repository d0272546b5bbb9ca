"""The two-suffix-array join kernel against brute force: for each asked B position, the longest
prefix of tokens_b[i:i+cap] that occurs anywhere in A (matches never run through a separator)."""

from __future__ import annotations

import numpy as np
import pytest

from tracer_native import JOIN_BAD_A, JOIN_BAD_B, JOIN_OK, join_prefix_lengths

SEP = 255


def _corpus(rng: np.random.Generator, docs: int, alphabet: int) -> np.ndarray:
    parts = []
    for _ in range(docs):
        parts.append(rng.integers(0, alphabet, rng.integers(0, 30)).astype(np.uint8))
        parts.append(np.asarray([SEP], np.uint8))
    return np.concatenate(parts)


def _sa(tokens: np.ndarray) -> np.ndarray:
    t = tokens.tolist()
    return np.asarray(sorted(range(len(t)), key=lambda i: t[i:]), np.uint32)


def _brute(a: np.ndarray, b: np.ndarray, i: int, cap: int) -> int:
    key = b[i : i + cap].tolist()
    at = a.tolist()
    best = 0
    for p in range(len(at)):
        k = 0
        while k < len(key) and p + k < len(at) and at[p + k] == key[k]:
            k += 1
        best = max(best, k)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_join_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    alphabet = [2, 3, 5][seed % 3]
    a = _corpus(rng, 12, alphabet)
    b = _corpus(rng, 10, alphabet)
    b[: len(a) // 3] = np.where(b[: len(a) // 3] == SEP, SEP, a[: len(b[: len(a) // 3])])  # shared stretches
    ends = np.flatnonzero(b == SEP)
    doc_end = ends[np.searchsorted(ends, np.arange(len(b)))]
    asked = (rng.random(len(b)) < 0.6) & (b != SEP)
    caps = np.where(asked, np.minimum(rng.integers(1, 12, len(b)), doc_end - np.arange(len(b))), 0).astype(np.int32)
    starts = np.packbits(caps > 0, bitorder="little")
    out = np.zeros(len(b), np.int32)
    for chunks in (1, 3):
        out[:] = 0
        assert join_prefix_lengths(a, _sa(a), b, _sa(b), starts, caps, out, chunks) == JOIN_OK
        want = [(_brute(a, b, i, int(caps[i])) if caps[i] > 0 else 0) for i in range(len(b))]
        assert out.tolist() == want


def test_join_refuses_damaged_arrays():
    a = np.asarray([1, 2, 3, SEP], np.uint8)
    b = np.asarray([2, 3, SEP], np.uint8)
    caps = np.asarray([2, 1, 0], np.int32)
    starts = np.packbits(caps > 0, bitorder="little")
    out = np.zeros(3, np.int32)
    bad_a = _sa(a)
    bad_a[1] = 99
    assert join_prefix_lengths(a, bad_a, b, _sa(b), starts, caps, out, 1) == JOIN_BAD_A
    bad_b = _sa(b)
    bad_b[0] = 99
    assert join_prefix_lengths(a, _sa(a), b, bad_b, starts, caps, out, 1) == JOIN_BAD_B
