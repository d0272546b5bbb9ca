"""tracer compact: merge an index's shards into fewer, larger ones (atomic, resumable)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compact", help="merge an index's shards into fewer, larger ones",
                       description="Merge consecutive shards (all into one, or down to --max-shards) with the "
                                   "same answers and document numbers. In place, the manifest is swapped "
                                   "atomically; rerun the same command to resume an interrupted compaction.")
    p.add_argument("index", metavar="IDX", help="index directory")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write the compacted index here (hard links to unchanged files) instead of in place")
    p.add_argument("--max-shards", type=int, default=1, metavar="K", help="shards to keep at most (default: 1)")
    p.add_argument("--pointer-bytes", type=int, choices=(4, 5), default=None, metavar="{4,5}",
                   help="suffix-array entry width of the new shards (default: 4 unless past 2^32 tokens)")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="threads merging at once (default: CPUs)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tracer.errors import InputError
    from tracer.index.builder import default_workers
    from tracer.index.compact import compact

    if args.max_shards < 1:
        raise InputError(f"--max-shards must be at least 1, not {args.max_shards}")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers must be positive")
    r = compact(args.index, out=args.out, max_shards=args.max_shards, pointer_bytes=args.pointer_bytes,
                workers=args.workers or default_workers())
    if r.nothing_to_do:
        print(f"{r.path}: {r.shards_before} shards, nothing to do", file=sys.stderr)
    else:
        again = " (resumed)" if r.resumed else ""
        print(f"compacted {r.path}{again}: {r.shards_before} -> {r.shards_after} shards", file=sys.stderr)
    return 0
