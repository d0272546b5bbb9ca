"""tracer find: where a text occurs, with documents and snippets."""

from __future__ import annotations

import argparse

from tracer.cli.output import add_format, add_index, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("find", help="locate occurrences of a text")
    add_index(p)
    p.add_argument("text")
    p.add_argument("--limit", type=int, default=10, help="occurrences to show (default 10)")
    p.add_argument("--context", type=int, default=80, help="snippet context in characters")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer
    from tracer.errors import InputError

    if args.limit < 0:
        raise InputError("--limit must be >= 0")
    result = tracer.open(args.index).find(args.text, limit=args.limit, context=args.context)
    if args.format == "json":
        print_json({"text": args.text, **result.to_json()})
        return 0
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    console.print(f"{result.count} occurrences; showing {len(result.occurrences)}")
    for o in result.occurrences:
        a = o.char_start - o.snippet_start
        b = o.char_end - o.snippet_start
        line = Text(f"{o.doc_id} @ char {o.char_start}: ", style="bold cyan")
        line.append(o.snippet[:a].replace("\n", " "))
        line.append(o.snippet[a:b].replace("\n", " "), style="bold reverse")
        line.append(o.snippet[b:].replace("\n", " "))
        console.print(line)
    return 0
