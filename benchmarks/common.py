"""What the benchmarks share: where the shared data and the benchmark indexes are, and cold-cache helpers.

Paths are found relative to the checkout, never written out: the shared folder is
``$TRACER_SHARED`` or ``../shared`` beside the checkout (benchmark data in ``data/benchmarks``);
the folder of large benchmark corpora and indexes is ``$TRACER_BENCH_DIR`` or ``../bench``; the
index a suite measures is ``$TRACER_BENCH_INDEX`` or ``idx-linux-bytes`` in that folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# n-gram lengths of the count benchmarks; the byte tokenizer's document separator
LENGTHS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
SEPARATOR = 0xFF


def shared_dir() -> Path:
    """The project's shared folder: ``$TRACER_SHARED``, else ``../shared`` beside the checkout."""
    return Path(os.environ.get("TRACER_SHARED") or REPO.parent / "shared")


def benchmark_data(sub: str = "") -> Path:
    """A path inside the shared benchmark data (``data/benchmarks``), e.g. ``gsm8k/test.jsonl.gz``."""
    return shared_dir() / "data" / "benchmarks" / sub


def bench_dir() -> Path:
    """The folder of benchmark corpora and indexes: ``$TRACER_BENCH_DIR``, else ``../bench`` beside the checkout."""
    return Path(os.environ.get("TRACER_BENCH_DIR") or REPO.parent / "bench")


def bench_index() -> str:
    """The index the suites measure: ``$TRACER_BENCH_INDEX``, else ``idx-linux-bytes`` in ``bench_dir()``."""
    return os.environ.get("TRACER_BENCH_INDEX") or str(bench_dir() / "idx-linux-bytes")


def drop_caches() -> bool:
    """Drop the page cache (root only); False when not permitted."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def make_queries(tokens: np.ndarray, n: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    """n/2 corpus n-grams and n/2 one-byte mutations of corpus n-grams (length >= 4)."""
    rng = np.random.default_rng(seed)
    queries: list[np.ndarray] = []
    kinds: list[str] = []
    while len(queries) < n:
        mutate = len(queries) % 2 == 1
        length = int(rng.choice([x for x in LENGTHS if x >= 4] if mutate else LENGTHS))
        pos = int(rng.integers(0, len(tokens) - length))
        q = np.array(tokens[pos : pos + length], dtype=np.uint8)
        if (q == SEPARATOR).any():
            continue
        if mutate:
            i = int(rng.integers(1, length - 1))
            choices = [c for c in range(32, 127) if c != q[i]]
            q[i] = choices[int(rng.integers(0, len(choices)))]
        queries.append(q)
        kinds.append("mutated" if mutate else "ngram")
    return queries, kinds


def run_client_threads(n_threads: int, run) -> list:
    """Run ``run(thread_no, sink)`` in ``n_threads`` threads and return every record they appended
    (the load benchmarks' client processes: one connection per thread)."""
    import threading

    sinks: list[list] = [[] for _ in range(n_threads)]
    threads = [threading.Thread(target=run, args=(i, sinks[i])) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for s in sinks for r in s]
