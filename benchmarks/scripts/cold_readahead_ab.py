"""Cold-cache count latency with and without MADV_RANDOM on the tokens / suffix-array maps (A/B).

The reader maps both with MADV_RANDOM; the "normal" arm undoes that (MADV_NORMAL) right after
opening, which is how the index was read before. Trials alternate arms; each drops the page
cache (root only), reopens the index and times one count of a fresh random corpus n-gram.

    python -m benchmarks.scripts.cold_readahead_ab --index ../bench/idx-linux-bytes --trials 40
"""

from __future__ import annotations

import argparse
import ctypes
import json
import time

import numpy as np

import tracer
from benchmarks.common import drop_caches, make_queries

MADV_NORMAL = 0


def _advise_normal(arr: np.ndarray) -> None:
    libc = ctypes.CDLL(None)
    addr = arr.ctypes.data
    page = addr & ~4095
    libc.madvise(ctypes.c_void_p(page), ctypes.c_size_t(arr.nbytes + addr - page), MADV_NORMAL)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True, help="a bytes-tokenizer index")
    ap.add_argument("--trials", type=int, default=40)
    args = ap.parse_args(argv)
    index = tracer.open(args.index)
    queries, _ = make_queries(index.shards[0].tokens, args.trials, seed=1)
    index.count(queries[0])  # compile before timing
    del index
    times: dict[str, list[float]] = {"random": [], "normal": []}
    for i in range(args.trials):
        arm = "random" if i % 2 == 0 else "normal"
        if not drop_caches():
            raise SystemExit("cannot drop the page cache (needs root)")
        index = tracer.open(args.index)
        if arm == "normal":
            for shard in index.shards:
                _advise_normal(shard.tokens)
                _advise_normal(shard.sa)
        t0 = time.perf_counter_ns()
        index.count(queries[i])
        times[arm].append((time.perf_counter_ns() - t0) / 1000)
        del index
    print(json.dumps({arm: {"n": len(v), "p50_us": float(np.median(v)), "p90_us": float(np.percentile(v, 90))}
                      for arm, v in times.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
