"""tracer sample: add the in-RAM suffix-array sample (cold lookups read one block per shard) to an
index built before samples existed; shards that have one are left as they are."""

from __future__ import annotations

import argparse
import sys

from tracer.cli.output import add_format, print_json


def register(sub: argparse._SubParsersAction) -> None:
    from tracer.index.sample import DEFAULT_EVERY, DEFAULT_ROW_BYTES

    p = sub.add_parser("sample", help="add the in-RAM suffix-array sample to an index built without one")
    p.add_argument("index", metavar="DIR")
    p.add_argument("--every", type=int, default=None, metavar="K",
                   help=f"sample every K-th suffix (default {DEFAULT_EVERY}: a cold lookup reads one block of K "
                        "entries)")
    p.add_argument("--prefix", type=int, default=None, metavar="P",
                   help=f"tokens kept per sampled suffix, 1..255 (default: {DEFAULT_ROW_BYTES} bytes' worth)")
    p.add_argument("--repair", action="store_true",
                   help="also rewrite samples that are missing or fail their checksum (what `tracer verify` reports)")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tracer.errors import InputError
    from tracer.index.sample import add_samples

    if args.every is not None and args.every < 1:
        raise InputError(f"--every must be >= 1, got {args.every}")
    if args.prefix is not None and not 1 <= args.prefix <= 255:
        raise InputError(f"--prefix must be 1..255, got {args.prefix}")
    added = add_samples(args.index, args.every, args.prefix,
                        progress=lambda name: print(f"sample: shard {name} done", file=sys.stderr), repair=args.repair)
    if args.format == "json":
        print_json({"index": args.index, "added": added})
    elif added:
        print(f"{args.index}: sample added to {len(added)} shard(s)")
    else:
        print(f"{args.index}: every shard already has a sound sample" if args.repair
              else f"{args.index}: every shard already has a sample (`--repair` rewrites damaged ones)")
    return 0
