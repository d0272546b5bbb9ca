"""tracer info: what an index holds."""

from __future__ import annotations

import argparse

from tracer.cli.output import add_format, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe an index")
    p.add_argument("index", metavar="DIR")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer

    info = tracer.open(args.index).info()
    if args.format == "json":
        print_json(info)
    else:
        for k, v in info.items():
            print(f"{k:15} {v}")
    return 0
