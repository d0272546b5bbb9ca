"""pytest-benchmark of the core queries, warm and in-process, on a real index (not in the default run).

Queries are fixed-seed random n-grams of the indexed corpus (lengths 1-64 tokens), half of them
with one token changed (mostly absent), so both hits and misses are timed. Each benchmark
round asks the next query of a rotation, so one lucky cached path cannot dominate.

    pytest benchmarks/suites/bench_core.py --benchmark-enable
    TRACER_BENCH_INDEX=../bench/idx-linux-bpe pytest benchmarks/suites/bench_core.py --benchmark-enable

The side-by-side with infini-gram (same queries, ratios, cold cache, agreement) is
benchmarks/scripts/compare_infinigram.py; the corpus and indexes are made as in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import tracer
from benchmarks.common import LENGTHS, bench_index

INDEX = bench_index()

pytestmark = pytest.mark.skipif(not (Path(INDEX) / "manifest.json").exists(),
                                reason=f"no benchmark index at {INDEX} (see benchmarks/RESULTS.md)")


@pytest.fixture(scope="module")
def index():
    return tracer.open(INDEX)


@pytest.fixture(scope="module")
def queries(index) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    tokens = index.shards[0].tokens
    vocab = index.tokenizer.vocab_size
    out: list[np.ndarray] = []
    while len(out) < 1000:
        length = int(rng.choice(LENGTHS))
        pos = int(rng.integers(0, len(tokens) - length))
        q = np.array(tokens[pos : pos + length], dtype=index.dtype)
        if (q == index.separator).any():
            continue
        if len(out) % 2 and length >= 3:
            q[length // 2] = (int(q[length // 2]) + 1 + int(rng.integers(0, vocab - 2))) % vocab
            if q[length // 2] == index.separator:
                continue
        out.append(q)
    for q in out[:100]:  # fault the pages in: these are warm-cache numbers
        index.count(q)
    return out


def _rotating(items):
    it = itertools.cycle(items)
    return lambda: next(it)


def test_count_ids(benchmark, index, queries):
    nxt = _rotating(queries)
    benchmark(lambda: index.count(nxt()))


def test_count_text(benchmark, index, queries):
    texts = [index.tokenizer.decode(q) for q in queries[::2]]  # present n-grams as text
    nxt = _rotating(texts)
    benchmark(lambda: index.count(nxt()))


def test_count_many_100(benchmark, index, queries):
    batches = [queries[i : i + 100] for i in range(0, len(queries), 100)]
    nxt = _rotating(batches)
    benchmark(lambda: index.count_many(nxt()))


def test_find_10(benchmark, index, queries):
    nxt = _rotating(queries[::2])
    benchmark(lambda: index.find(nxt(), limit=10, context=80))


def test_count_agrees_with_scan(index, queries):
    """Sanity check of what is timed: counts equal a brute-force scan of the tokens for a few queries."""
    tokens = np.asarray(index.shards[0].tokens)
    if len(index.shards) != 1 or len(tokens) > 200_000_000:
        pytest.skip("scan check needs a single shard of at most 200M tokens")
    for q in queries[:3]:
        if len(q) < 4:
            continue
        hits = np.flatnonzero(tokens[: len(tokens) - len(q) + 1] == q[0])
        for k in range(1, len(q)):
            hits = hits[tokens[hits + k] == q[k]]
        assert index.count(q) == len(hits)
