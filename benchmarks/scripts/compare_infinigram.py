"""Count latency of tracer and infini-gram 2.6.0 on the same text and u8 byte tokens, in one run.

Both indexes hold the same corpus as UTF-8 bytes (tracer: ``tracer build`` with the bytes
tokenizer; infini-gram: ``python -m infini_gram.indexing --token_dtype u8``), so the same
token ids are asked of both and every count must agree. Queries: half are random n-grams of
the corpus (present), half are such n-grams with one byte changed (mostly absent); the
separator byte 0xFF never occurs in a query.

Warm: one untimed pass over all queries (pages cached, kernels compiled), then ``--rounds``
timed passes in which every query is asked of both engines back to back (order alternating),
so load from other processes hits both alike. Both the public API (``Index.count`` /
``InfiniGramEngine.count``, with their input checks) and the bare kernels are timed, and
infini-gram once more with its prefetching off (it is slower warm with it on).

Cold: for each of ``--cold`` queries, both engines are closed, the page cache is dropped
(``sync; echo 3 > /proc/sys/vm/drop_caches``, needs root), both are reopened, and one count
is timed in each (their files are disjoint, so the first does not warm the second).

    python -m benchmarks.scripts.compare_infinigram --tracer ../bench/idx-linux-bytes \\
        --ig ../bench/ig-linux-u8 --json ../bench/measure/compare.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone

import numpy as np

import tracer
from benchmarks.common import drop_caches, make_queries
from tracer_native import count_sequence


def open_ig(path: str, prefetch: bool = True):
    """The engine with its default prefetching (madvise WILLNEED ahead of the binary search,
    ~400 madvise calls per count), or with every prefetch depth 0."""
    from infini_gram.engine import InfiniGramEngine

    depths = {} if prefetch else {"ds_prefetch_depth": 0, "sa_prefetch_depth": 0, "od_prefetch_depth": 0}
    # 2.6.0's u8 binding takes vocab_size as a u8 (256 overflows: TypeError) and the wrapper asserts
    # eos < vocab_size, so 255/254 are passed; count() uses neither (indexing.py itself writes
    # 0xFF before every document).
    return InfiniGramEngine(index_dir=path, eos_token_id=254, vocab_size=255, token_dtype="u8", **depths)


def tracer_kernel(index, q: np.ndarray) -> int:
    total = 0
    for shard in index.shards:
        total += count_sequence(shard.tokens, shard.sa, q)
    return int(total)


def summarize(ns: list[int]) -> dict:
    a = np.asarray(ns, dtype=np.float64) / 1000.0
    return {"n": len(a), "p50_us": float(np.percentile(a, 50)), "p90_us": float(np.percentile(a, 90)),
            "p99_us": float(np.percentile(a, 99)), "mean_us": float(a.mean())}


def warm(index, ig, ig_noprefetch, queries: list[np.ndarray], rounds: int) -> dict:
    lists = [[int(x) for x in q] for q in queries]
    raw = ig.engine
    raw0 = ig_noprefetch.engine
    fns = {
        "tracer_api": lambda i: index.count(queries[i]),
        "tracer_kernel": lambda i: tracer_kernel(index, queries[i]),
        "ig_api": lambda i: ig.count(lists[i])["count"],
        "ig_raw": lambda i: raw.count(input_ids=lists[i]).count,
        "ig_raw_noprefetch": lambda i: raw0.count(input_ids=lists[i]).count,
    }
    for i in range(len(queries)):  # untimed warm-up: page cache, numba dispatch
        for f in fns.values():
            f(i)
    times: dict[str, list[int]] = {k: [] for k in fns}
    names = list(fns)
    clock = time.perf_counter_ns
    for r in range(rounds):
        for i in range(len(queries)):
            order = names if (i + r) % 2 == 0 else names[::-1]
            for name in order:
                f = fns[name]
                t0 = clock()
                f(i)
                times[name].append(clock() - t0)
    return {k: summarize(v) for k, v in times.items()}


def _timed(f, *a) -> int:
    t0 = time.perf_counter_ns()
    f(*a)
    return time.perf_counter_ns() - t0


def cold(tracer_path: str, ig_path: str, queries: list[np.ndarray], k: int) -> dict:
    """Page-cache-cold count latency (open excluded); {'permitted': False} if caches cannot be dropped."""
    times: dict[str, list[int]] = {"tracer_api": [], "ig_api": []}
    for i in range(k):
        gc.collect()
        if not drop_caches():
            return {"permitted": False}
        index = tracer.open(tracer_path)
        ig = open_ig(ig_path)
        q = queries[i]
        ql = [int(x) for x in q]
        if i % 2 == 0:
            times["tracer_api"].append(_timed(index.count, q))
            times["ig_api"].append(_timed(ig.count, ql))
        else:
            times["ig_api"].append(_timed(ig.count, ql))
            times["tracer_api"].append(_timed(index.count, q))
        del index, ig
    return {"permitted": True, **{name: summarize(v) for name, v in times.items()}}


def machine() -> dict:
    mem = ""
    with open("/proc/meminfo") as f:
        mem = f.readline().split(":")[1].strip()
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {"cpus": os.cpu_count(), "mem_total": mem, "platform": platform.platform(),
            "python": platform.python_version(), "loadavg_at_start": load,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracer", required=True, help="tracer index built with the bytes tokenizer")
    ap.add_argument("--ig", required=True, help="infini-gram index built with --token_dtype u8")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cold", type=int, default=40, help="cold-cache trials (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write all results here")
    args = ap.parse_args(argv)

    index = tracer.open(args.tracer)
    if index.dtype != np.uint8:
        raise SystemExit(f"{args.tracer}: needs a bytes-tokenizer index (u8), got {index.dtype}")
    ig = open_ig(args.ig)
    queries, kinds = make_queries(index.shards[0].tokens, args.queries, args.seed)

    ours = [int(index.count(q)) for q in queries]
    theirs = [int(ig.count([int(x) for x in q])["count"]) for q in queries]
    mismatches = [
        {"query": q.tobytes().decode("utf-8", "replace"), "tracer": a, "infini_gram": b}
        for q, a, b in zip(queries, ours, theirs, strict=True) if a != b
    ]
    present = sum(1 for c in ours if c > 0)
    result = {
        "machine": machine(),
        "tracer_index": {"path": args.tracer, "n_tokens": index.n_tokens, "shards": len(index.shards)},
        "ig_index": args.ig,
        "queries": {"n": len(queries), "present": present, "absent": len(queries) - present,
                    "mutated": kinds.count("mutated"), "seed": args.seed},
        "agreement": {"equal": len(queries) - len(mismatches), "total": len(queries),
                      "mismatches": mismatches[:20]},
        "warm": warm(index, ig, open_ig(args.ig, prefetch=False), queries, args.rounds),
    }
    del index, ig
    result["cold"] = cold(args.tracer, args.ig, queries, args.cold) if args.cold else {"skipped": True}
    w = result["warm"]
    result["ratios"] = {
        "warm_p50_ig_over_tracer_api": w["ig_api"]["p50_us"] / w["tracer_api"]["p50_us"],
        "warm_p99_ig_over_tracer_api": w["ig_api"]["p99_us"] / w["tracer_api"]["p99_us"],
        "warm_p50_ig_raw_over_tracer_kernel": w["ig_raw"]["p50_us"] / w["tracer_kernel"]["p50_us"],
        "warm_p50_ig_raw_noprefetch_over_tracer_kernel":
            w["ig_raw_noprefetch"]["p50_us"] / w["tracer_kernel"]["p50_us"],
    }
    if result["cold"].get("permitted"):
        c = result["cold"]
        result["ratios"]["cold_p50_ig_over_tracer"] = c["ig_api"]["p50_us"] / c["tracer_api"]["p50_us"]
    text = json.dumps(result, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    print(text)
    return 0 if not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
