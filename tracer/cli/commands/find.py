"""tracer find: where a text occurs, with documents and snippets."""

from __future__ import annotations

import argparse

from tracer.cli.options import add_options, options_from_args
from tracer.cli.output import add_format, add_index, print_json
from tracer.query.options import FindOptions


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("find", help="locate occurrences of a text")
    add_index(p)
    p.add_argument("text")
    add_options(p, FindOptions)
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer
    options = options_from_args(args, FindOptions)
    result = tracer.open(args.index).find(args.text, options)
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
