"""Warm, in-process time of ``check_items`` for the 1,319 GSM8K test items against the >=100M-token
benchmark index (target: under 5 s), with the default options (documents, JSON-escaped spelling,
template text), and the parts of it: reading, checking without documents.

    python -m benchmarks.suites.bench_contamination [--index ../bench/idx-linux-bytes] [--repeat 3]
    pytest benchmarks/suites/bench_contamination.py --benchmark-enable    # TRACER_BENCH_INDEX=DIR
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest

import tracer
from benchmarks.common import bench_index, benchmark_data
from tracer.contamination import CheckOptions, check_items, read_benchmarks

DEFAULT_INDEX = bench_index()
GSM8K = str(benchmark_data("gsm8k/test.jsonl.gz"))


def _setup(index_dir: str):
    if not (Path(index_dir) / "manifest.json").exists() or not Path(GSM8K).exists():
        pytest.skip(f"needs {index_dir} and {GSM8K}")
    index = tracer.open(index_dir)
    items = read_benchmarks([GSM8K])
    check_items(index, items[:20])  # compile kernels, map pages
    return index, items


def test_gsm8k_test_check(benchmark):
    index, items = _setup(DEFAULT_INDEX)
    results = benchmark.pedantic(check_items, args=(index, items), rounds=3, iterations=1)
    assert len(results) == 1319


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default=DEFAULT_INDEX)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    t = time.perf_counter()
    items = read_benchmarks([GSM8K])
    t_read = time.perf_counter() - t
    index = tracer.open(a.index)
    check_items(index, items[:20])
    print(f"index {a.index}: {index.n_tokens:,} tokens, {index.n_docs:,} documents; {len(items)} GSM8K test items "
          f"(read in {t_read:.2f} s)")
    for name, opts in [("default", CheckOptions()), ("no documents", CheckOptions(max_documents=0)),
                       ("no JSON spelling", CheckOptions(json_variants=False))]:
        times = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            results = check_items(index, items, opts)
            times.append(time.perf_counter() - t)
        bad = sum(r.contaminated for r in results)
        print(f"{name:>16}: best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s "
              f"({len(items) / min(times):,.0f} items/s); contaminated {bad}")


if __name__ == "__main__":
    main()
