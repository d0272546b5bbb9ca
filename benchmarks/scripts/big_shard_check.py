"""Counts of 1,000 queries on one index, saved, then compared on another (issue 15's check that a
merged >4G-token shard answers like a multi-shard index of the same data; the two indexes need
not be on disk at once).

    python -m benchmarks.scripts.big_shard_check save IDX_A queries.json --corpus A.jsonl B.jsonl
    python -m benchmarks.scripts.big_shard_check compare IDX_B queries.json

Queries: substrings of 1-40 bytes at random places of random records (read by seeking into the
JSONL files), plus each of them with its last byte changed (mostly absent).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path


def sample_queries(files: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    sizes = [os.path.getsize(f) for f in files]
    out: list[str] = []
    while len(out) < n // 2:
        f = rng.choices(files, weights=sizes)[0]
        with open(f, "rb") as fh:
            fh.seek(rng.randrange(os.path.getsize(f)))
            fh.readline()
            line = fh.readline()
        if not line:
            continue
        text = json.loads(line)["text"]
        if len(text) < 2:
            continue
        a = rng.randrange(len(text) - 1)
        q = text[a : a + rng.randint(1, 40)]
        if q.strip():
            out.append(q)
    return out + [q[:-1] + chr((ord(q[-1]) + 1) % 0x80 or 1) for q in out]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("save", "compare"))
    ap.add_argument("index")
    ap.add_argument("queries")
    ap.add_argument("--corpus", nargs="*", default=[])
    ap.add_argument("-n", type=int, default=1000)
    args = ap.parse_args(argv)
    import tracer

    index = tracer.open(args.index)
    if args.mode == "save":
        qs = sample_queries(args.corpus, args.n, seed=15)
    else:
        qs = json.loads(Path(args.queries).read_text())["queries"]
    t = time.perf_counter()
    counts = [index.count(q) for q in qs]
    took = time.perf_counter() - t
    if args.mode == "save":
        Path(args.queries).write_text(json.dumps({"index": args.index, "shards": len(index.shards),
                                                  "queries": qs, "counts": counts}))
        print(f"saved {len(qs)} counts from {args.index} ({len(index.shards)} shards) in {took:.1f}s")
        return 0
    saved = json.loads(Path(args.queries).read_text())
    same = sum(a == b for a, b in zip(saved["counts"], counts, strict=True))
    print(f"{args.index} ({len(index.shards)} shards) vs {saved['index']} ({saved['shards']} shards): "
          f"{same}/{len(qs)} counts equal, {sum(c > 0 for c in counts)} queries present, {took:.1f}s")
    return 0 if same == len(qs) else 1


if __name__ == "__main__":
    sys.exit(main())
