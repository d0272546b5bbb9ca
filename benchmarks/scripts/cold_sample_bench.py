"""Warm and cold count / trace latency with and without the in-RAM suffix-array sample (issue 15),
and with and without parallel per-shard lookups on a multi-shard index.

    flock ../bench/heavy.lock python -m benchmarks.scripts.cold_sample_bench ../bench/coldsample/idx1 \\
        --arms sample nosample --counts 40 --traces 8

Arms: ``sample`` (the index as opened: shards' samples loaded), ``nosample`` (the samples
dropped after opening: every lookup binary-searches the whole suffix array, as indexes built
before samples do), ``serial`` (samples, per-shard lookups one after the other: parallel_shards
"off"; the other arms use "auto"). Queries: 8-40-character n-grams cut from random documents (all
present) and model-like texts of 450 tokens (``bench_trace.model_like_text``), default options.

Warm: p50 / p90 over 3 rounds after a warm pass. Cold: before every query, posix_fadvise(DONTNEED)
on every file of the index, then a fresh ``tracer.open`` (which reads the sample into RAM, as a
server does once at startup; numba kernels already compiled); only the query is timed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import time
from pathlib import Path

import tracer
from benchmarks.suites.bench_trace import model_like_text
from tracer.index.sample import DEFAULT_EVERY, decode_sample, encode_sample, file_source, no_sample

ARMS = ("sample", "nosample", "serial")


def evict(index_dir: str) -> None:
    """Drop the index's files from the page cache (pages another process maps stay resident)."""
    for p in Path(index_dir).rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


OVERRIDE: list = []  # per shard, a Sample with other parameters (--every/--prefix), made once in RAM


def open_arm(index_dir: str, arm: str):
    idx = tracer.open(index_dir)
    if arm == "nosample":
        for shard in idx.shards:
            shard.sample = None
            shard.sample_args = no_sample(idx.dtype)
    elif OVERRIDE:
        for shard, sample in zip(idx.shards, OVERRIDE, strict=True):
            shard.sample = sample
            shard.sample_args = sample.args
    idx.parallel_shards = "off" if arm == "serial" else "auto"
    return idx


def count_queries(index, rng: random.Random, n: int) -> list[str]:
    """Present n-grams of 8-40 characters cut from random documents."""
    out = []
    while len(out) < n:
        text = index.document_by_index(rng.randrange(index.n_docs)).text
        if len(text) < 100:
            continue
        a = rng.randrange(0, len(text) - 60)
        q = text[a : a + rng.randint(8, 40)]
        if q.strip() and index.count(q) >= 1:
            out.append(q)
    return out


def pct(xs: list[float]) -> dict:
    xs = sorted(xs)
    return {"p50": round(statistics.median(xs), 4), "p90": round(xs[int(0.9 * (len(xs) - 1))], 4), "n": len(xs)}


def measure(index_dir: str, arm: str, counts: list[str], texts: list[str], cold: bool) -> dict:
    ops = (("count", "count", counts), ("trace450", "trace", texts))
    res: dict = {}
    if cold:
        for label, method, args in ops:
            ms = []
            for arg in args:
                evict(index_dir)
                fresh = open_arm(index_dir, arm)
                t = time.perf_counter()
                getattr(fresh, method)(arg)
                ms.append((time.perf_counter() - t) * 1e3)
                del fresh
                gc.collect()
            res[f"{label}_cold_ms"] = pct(ms)
    idx = open_arm(index_dir, arm)
    for label, method, args in ops:
        fn = getattr(idx, method)
        for arg in args:  # warm pass
            fn(arg)
        ms = []
        for _ in range(3):
            for arg in args:
                t = time.perf_counter()
                fn(arg)
                ms.append((time.perf_counter() - t) * 1e3)
        res[f"{label}_warm_ms"] = pct(ms)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index")
    ap.add_argument("--arms", nargs="+", choices=ARMS, default=["sample", "nosample"])
    ap.add_argument("--counts", type=int, default=40)
    ap.add_argument("--traces", type=int, default=8)
    ap.add_argument("--no-cold", action="store_true")
    ap.add_argument("--every", type=int, help="measure a sample with these parameters (made in RAM) instead of the file's")
    ap.add_argument("--prefix", type=int)
    args = ap.parse_args(argv)
    t_open = time.perf_counter()
    evict(args.index)
    idx = tracer.open(args.index)
    open_cold_s = time.perf_counter() - t_open
    rng = random.Random(5)
    counts = count_queries(idx, rng, args.counts)
    texts = [model_like_text(idx, 450, seed=100 + i) for i in range(args.traces)]
    if args.every or args.prefix:
        for shard in idx.shards:
            sa = file_source(shard.path / "sa.bin", shard.entry.pointer_bytes)  # chunks, not the whole array mapped
            parts = encode_sample(shard.tokens, sa, len(shard.sa), args.every or DEFAULT_EVERY, args.prefix)
            OVERRIDE.append(decode_sample(shard.path / "sample.bin", b"".join(bytes(p) for p in parts), idx.dtype,
                                          len(shard.sa)))
        out_params = {"every": args.every or DEFAULT_EVERY, "prefix": OVERRIDE[0].rows.shape[1]}
    else:
        s0 = idx.shards[0].sample
        out_params = {"every": s0.every, "prefix": s0.rows.shape[1]} if s0 is not None else {}
    idx.count(counts[0])
    idx.trace(texts[0])  # compile / load the numba kernels once
    sample_bytes = (sum(s.nbytes for s in OVERRIDE) if OVERRIDE
                    else sum(s.sample.nbytes for s in idx.shards if s.sample is not None))
    disk = sum(p.stat().st_size for p in Path(args.index).rglob("*") if p.is_file())
    out = {"index": args.index, "n_tokens": idx.n_tokens, "shards": len(idx.shards), "sample": out_params, "sample_bytes": sample_bytes,
           "sample_share_of_index": round(sample_bytes / disk, 4), "open_cold_s": round(open_cold_s, 3),
           "load": os.getloadavg(), "arms": {}}
    del idx
    gc.collect()
    for arm in args.arms:
        out["arms"][arm] = measure(args.index, arm, counts, texts, cold=not args.no_cold)
        print(json.dumps({arm: out["arms"][arm]}), flush=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
