"""tracer verify: recompute every checksum of an index (every 1 MiB block's CRC-32, naming the byte
range of a bad block; whole-file sha256 for indexes built before block checksums)."""

from __future__ import annotations

import argparse
import sys

from tracer.cli.output import add_format, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check an index's files against their checksums")
    p.add_argument("index", metavar="DIR")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tracer.index.verify import verify_index

    problems, checked, method = verify_index(args.index)
    how = {"blocks": "every block's CRC-32",
           "sha256": "whole-file sha256: this index was built before block checksums, so a bad file is named "
                     "but not the bad range; rebuild it to get them",
           "mixed": "block CRC-32s, and whole-file sha256 for the parts built before block checksums"}.get(method)
    if args.format == "json":
        print_json({"ok": not problems, "files_checked": checked, "method": method, "problems": problems})
    else:
        for p in problems:
            print(p, file=sys.stderr)
        if how and method != "blocks":
            print(f"tracer verify: note: checked by {how}", file=sys.stderr)
        if not problems:
            print(f"{args.index}: ok ({checked} files checked by {how.split(':')[0]})")
    if problems:
        print(f"tracer verify: error: {args.index} is corrupt ({len(problems)} problems); rebuild it with `tracer build`",
              file=sys.stderr)
        return 2
    return 0
