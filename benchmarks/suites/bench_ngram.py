"""pytest-benchmark of the n-gram queries, warm and in-process (not in the default run).

Targets on a >= 100M-token index (issue 13): ``infgram_logprobs`` of a 1,000-token text
<= 10 ms, ``ntd`` of a context seen <= 1,000 times <= 5 ms, a two-clause AND query <= 50 ms.

    TRACER_BENCH_INDEX=/path/to/index pytest benchmarks/suites/bench_ngram.py --benchmark-enable

Without TRACER_BENCH_INDEX a small synthetic bytes index is built in a temporary folder (a
smoke run: its timings say nothing about the targets).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

import numpy as np
import pytest

import tracer

WORDS = ("the", "cat", "sat", "on", "mat", "dog", "ran", "hello", "world", "a", "in", "of", "to", "and",
         "river", "stone", "light", "green", "house", "under", "over", "quick", "brown", "fox")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = os.environ.get("TRACER_BENCH_INDEX")
    if path:
        if not (Path(path) / "manifest.json").exists():
            pytest.skip(f"no index at TRACER_BENCH_INDEX={path}")
        return tracer.open(path)
    tmp = tmp_path_factory.mktemp("bench-ngram")
    rng = random.Random(0)
    with open(tmp / "c.jsonl", "w") as f:
        for i in range(3000):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(50, 300)))
            f.write(json.dumps({"id": str(i), "text": text}) + "\n")
    tracer.build([str(tmp / "c.jsonl")], str(tmp / "idx"), id_field="id", progress=False)
    return tracer.open(str(tmp / "idx"))


def _pieces(index, rng: np.random.Generator, length: int, k: int) -> list[np.ndarray]:
    """k corpus pieces of ``length`` tokens without a separator."""
    tokens = index.shards[0].tokens
    out: list[np.ndarray] = []
    while len(out) < k:
        pos = int(rng.integers(0, max(1, len(tokens) - length)))
        q = np.array(tokens[pos:pos + length], dtype=np.int64)
        if len(q) == length and not (q == index.separator).any():
            out.append(q)
    return out


def _rotating(items):
    it = itertools.cycle(items)
    return lambda: next(it)


def test_infgram_logprobs_1000_tokens(benchmark, index):
    rng = np.random.default_rng(1)
    texts = []
    for q in _pieces(index, rng, 1000, 20):  # corpus text with 5% of tokens changed: the back-off shortens
        hit = rng.random(len(q)) < 0.05
        q[hit] = rng.choice(np.flatnonzero(np.asarray(index.unigram) > 0), int(hit.sum()))
        texts.append(q)
    for t in texts[:3]:
        index.infgram_logprobs(t)
    nxt = _rotating(texts)
    benchmark(lambda: index.infgram_logprobs(nxt()))


def test_ntd_context_seen_at_most_1000_times(benchmark, index):
    rng = np.random.default_rng(2)
    contexts = [c for c in _pieces(index, rng, 3, 400) if 1 <= index.count(c) <= 1000][:50]
    if not contexts:
        pytest.skip("no 3-token context seen 1..1000 times")
    for c in contexts[:3]:
        index.ntd(c)
    nxt = _rotating(contexts)
    benchmark(lambda: index.ntd(nxt()))


def test_two_clause_and(benchmark, index):
    rng = np.random.default_rng(3)
    pieces = _pieces(index, rng, 2, 200)
    queries = [[[pieces[i]], [pieces[i + 1]]] for i in range(0, 200, 2)]
    for q in queries[:3]:
        index.search(q, limit=10)
    nxt = _rotating(queries)
    benchmark(lambda: index.search(nxt(), limit=10))
