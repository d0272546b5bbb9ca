"""tracer verify: recompute every checksum of an index."""

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
    from tracer.index.verify import verify

    problems, checked = verify(args.index)
    if args.format == "json":
        print_json({"ok": not problems, "files_checked": checked, "problems": problems})
    elif problems:
        for p in problems:
            print(p, file=sys.stderr)
    else:
        print(f"{args.index}: ok ({checked} files checked)")
    if problems:
        print(f"tracer verify: error: {args.index} is corrupt ({len(problems)} problems); rebuild it with `tracer build`",
              file=sys.stderr)
        return 2
    return 0
