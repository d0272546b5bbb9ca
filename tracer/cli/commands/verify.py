"""tracer verify: recompute every checksum of an index (every 1 MiB block's CRC-32, naming the byte
range of a bad block; whole-file sha256 for indexes built before block checksums)."""

from __future__ import annotations

import argparse
import sys

from tracer.cli.output import add_format, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check an index's files against their checksums")
    p.add_argument("index", metavar="DIR")
    p.add_argument("--progress", action="store_true",
                   help="show a progress bar on stderr even when it is not a terminal (default: only on one)")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from tracer.index.verify import samples_missing, verify_index

    bars: list[tqdm] = []

    def progress(done: int, total: int) -> None:
        if not bars:  # made at the first call, when the total is known
            bars.append(tqdm(total=total, unit="B", unit_scale=True, desc="verify", file=sys.stderr,
                             disable=not (args.progress or sys.stderr.isatty())))
        bars[0].update(done - bars[0].n)

    try:
        problems, checked, method = verify_index(args.index, progress=progress)
    finally:
        for bar in bars:
            bar.close()
    how = {"blocks": "every block's CRC-32",
           "sha256": "whole-file sha256: this index was built before block checksums, so a bad file is named "
                     "but not the bad range; rebuild it to get them",
           "mixed": "block CRC-32s, and whole-file sha256 for the parts built before block checksums"}.get(method)
    no_sample = samples_missing(args.index)
    if args.format == "json":
        print_json({"ok": not problems, "files_checked": checked, "method": method, "problems": problems,
                    "shards_without_sample": no_sample})
    else:
        if no_sample:
            print(f"tracer verify: note: {len(no_sample)} shard(s) have no in-RAM suffix-array sample (built before "
                  f"samples), so cold lookups search their whole suffix array; add it with `tracer sample {args.index}`",
                  file=sys.stderr)
        for p in problems:
            print(p, file=sys.stderr)
        if how and method != "blocks":
            print(f"tracer verify: note: checked by {how}", file=sys.stderr)
        if not problems:
            print(f"{args.index}: ok ({checked} files checked by {how.split(':')[0]})")
    if problems and args.format != "json" and any("sample.bin" in str(p) for p in problems):
        print(f"tracer verify: note: a damaged sample.bin is derived data: `tracer sample --repair {args.index}` "
              "rewrites it from the shard's tokens and suffix array", file=sys.stderr)
    if problems:
        print(f"tracer verify: error: {args.index} is corrupt ({len(problems)} problems); rebuild it with `tracer build`",
              file=sys.stderr)
        return 2
    return 0
