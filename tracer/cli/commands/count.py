"""tracer count: exact occurrence counts of texts (one, or a JSONL batch)."""

from __future__ import annotations

import argparse

from tracer.cli.output import add_format, add_index, print_json, print_jsonl, read_query_file
from tracer.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("count", help="count occurrences of a text")
    add_index(p)
    p.add_argument("text", nargs="?", help="text to count")
    p.add_argument("--queries", metavar="FILE", help='JSONL file of {"text": ...} lines (batch mode)')
    add_format(p, ("text", "json", "jsonl"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer

    if (args.text is None) == (args.queries is None):
        raise InputError("give either TEXT or --queries FILE")
    index = tracer.open(args.index)
    if args.queries:
        texts = list(read_query_file(args.queries))
        counts = index.count_many(texts) if texts else []
        rows = [{"text": t, "count": c} for t, c in zip(texts, counts, strict=True)]
    else:
        rows = [{"text": args.text, "count": index.count(args.text)}]
    if args.format == "jsonl":
        print_jsonl(rows)
    elif args.format == "json":
        print_json(rows[0] if args.text is not None else rows)
    else:
        for r in rows:
            print(f"{r['count']}\t{r['text']}" if args.queries else r["count"])
    return 0
