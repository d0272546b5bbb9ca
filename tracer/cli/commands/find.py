"""tracer find: where a text occurs, with documents and snippets; ``--soft``: passages similar to it."""

from __future__ import annotations

import argparse

from tracer.cli.options import add_options, options_from_args
from tracer.cli.output import add_format, add_index, print_json
from tracer.query.options import FindOptions, SoftOptions


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("find", help="locate occurrences of a text")
    add_index(p)
    p.add_argument("text")
    add_options(p, FindOptions)
    p.add_argument("--soft", action="store_true",
                   help="passages similar to the text (paraphrases, reorderings, light rewrites) instead of "
                        "exact occurrences; see README 'Soft matching'")
    add_options(p, SoftOptions)
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer
    options = options_from_args(args, FindOptions)
    if args.soft:
        return run_soft(args, options.limit)
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


def run_soft(args: argparse.Namespace, limit: int) -> int:
    import tracer

    options = options_from_args(args, SoftOptions)
    matches = tracer.open(args.index).find_similar(args.text, limit, options)
    if args.format == "json":
        print_json({"text": args.text, "soft": True, "matches": [m.to_json() for m in matches]})
        return 0
    from rich.console import Console
    from rich.text import Text

    from tracer.contamination.report import score_parts

    console = Console(highlight=False, soft_wrap=True)
    console.print(f"{len(matches)} similar passages (score >= {options.score_threshold:g})")
    for m in matches:
        also = f" (and {m.elsewhere} other documents)" if m.elsewhere else ""
        head = Text(f"{m.score:.3f}{score_parts(m.to_json())} {m.doc_id} @ chars {m.start_char}-{m.end_char}{also}: ",
                    style="bold cyan")
        head.append(m.passage.replace("\n", " "))
        console.print(head)
        pairs = Text("    aligned: ", style="dim")
        for i, (a, b) in enumerate(m.aligned):
            pairs.append(("" if i == 0 else ", ") + (a if a == b else f"{a}~{b}"),
                         style="green" if a == b else "yellow")
        console.print(pairs)
    return 0
