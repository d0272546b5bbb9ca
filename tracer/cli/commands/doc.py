"""tracer doc: print one document by id (or #N for the N-th document)."""

from __future__ import annotations

import argparse

from tracer.cli.output import add_format, add_index, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doc", help="show a document by id")
    add_index(p)
    p.add_argument("doc_id", metavar="ID", help="document id, or #N for the N-th document")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer

    doc = tracer.open(args.index).document(args.doc_id)
    if args.format == "json":
        print_json(doc.to_json())
    else:
        print(doc.text)
    return 0
