"""tracer search: AND/OR document search, ``tracer search --index DIR "dog AND (cat OR mouse)"``.

Text output: the number of matching documents (marked approximate when estimated), each clause's
occurrences, then each returned document with its matches highlighted by clause: «N:term» marks a
match of clause N (colored on a terminal).
"""

from __future__ import annotations

import argparse

from tracer.cli.options import add_options, options_from_args
from tracer.cli.output import add_format, add_index, print_json
from tracer.query.options import SearchOptions

CONTEXT = 40  # characters shown each side of a match
COLORS = ("bold red", "bold green", "bold blue", "bold magenta", "bold yellow", "bold cyan")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="documents matching an AND/OR query",
                       description='Documents where every AND-clause has one of its OR-terms, e.g. "dog AND (cat OR '
                                   'mouse)". AND joins clauses, OR joins terms (OR binds tighter; parentheses group '
                                   'OR-terms); adjacent words form one phrase; "quoted phrases" keep their text. '
                                   "Terms are n-grams of any length, matched as `tracer count` counts them.")
    add_index(p)
    p.add_argument("query", help='CNF query, e.g. "dog AND (cat OR mouse)"')
    add_options(p, SearchOptions)
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer
    from tracer.query.search import parse_cnf

    cnf = parse_cnf(args.query)  # a bad query fails before the index is opened
    index = tracer.open(args.index)
    result = index.search(cnf, options_from_args(args, SearchOptions))
    if args.format == "json":
        print_json({"query": args.query, "clauses": cnf, **result.to_json()})
        return 0
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    about = "about " if result.approximate else ""
    console.print(f"{about}{result.count} documents match{' (approximate)' if result.approximate else ''}; "
                  f"showing {len(result.documents)}")
    for c, (terms, n) in enumerate(zip(cnf, result.clause_counts, strict=True)):
        line = Text(f"clause {c + 1}: ")
        line.append(" OR ".join(repr(t) for t in terms), style=COLORS[c % len(COLORS)])
        line.append(f"  ({n} occurrences)")
        console.print(line)
    for d in result.documents:
        text = index.document(d.doc_index).text
        counts = ", ".join(f"{c + 1}:{n}" for c, n in enumerate(d.n_matches))
        console.print(Text(f"{d.doc_id} (doc {d.doc_index}; matches by clause {counts})", style="bold cyan"))
        console.print(_highlight(text, d, cnf))
    return 0


def _highlight(text: str, doc, cnf):
    """The document's matches with CONTEXT characters around each, overlapping windows merged."""
    from rich.text import Text

    marks = sorted((m.char_start, m.char_end, c) for c, ms in enumerate(doc.matches) for m in ms)
    windows: list[list[int]] = []
    for a, b, _ in marks:
        lo, hi = max(0, a - CONTEXT), min(len(text), b + CONTEXT)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    out = Text("  ")
    for w, (lo, hi) in enumerate(windows):
        out.append("… " if lo > 0 or w else "")
        pos = lo
        for a, b, c in marks:
            if a < pos or b > hi or a < lo:
                continue
            out.append(text[pos:a].replace("\n", " "))
            out.append(f"«{c + 1}:{text[a:b]}»".replace("\n", " "), style=COLORS[c % len(COLORS)])
            pos = b
        out.append(text[pos:hi].replace("\n", " "))
        out.append(" …" if hi < len(text) else "")
    return out
