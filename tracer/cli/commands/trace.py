"""tracer trace: which long verbatim spans of a text occur in the corpus, and in which documents."""

from __future__ import annotations

import argparse
import sys

from tracer.cli.output import add_format, add_index, print_json
from tracer.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trace", help="trace a text (model output) to verbatim spans in training documents")
    add_index(p)
    p.add_argument("text", nargs="?", help="text to trace (or --file)")
    p.add_argument("--file", metavar="F", help="read the text from a UTF-8 file ('-' for stdin)")
    add_format(p)
    p.add_argument("--max-count", type=int, default=10, metavar="N", help="keep spans occurring at most N times (default 10)")
    p.add_argument("--min-len", type=int, default=None, metavar="N",
                   help="minimum span length in tokens (default: 24 for bytes indexes, 6 for BPE)")
    p.add_argument("--all", action="store_true", dest="all_spans", help="keep every span, not only the top K")
    p.add_argument("-k", "--top", type=int, default=None, dest="k", help="spans to keep (default ceil(0.05 x tokens))")
    p.add_argument("--rank", choices=("unigram", "length"), default="unigram",
                   help="rank spans by lowest unigram probability (default) or by length")
    p.add_argument("--delimiters", default="\\n.", metavar="CHARS",
                   help=r"characters a span may not run past (default '\n.'; \n and \t escapes understood)")
    p.add_argument("--max-docs", type=int, default=10, metavar="N", help="documents per span (default 10)")
    p.add_argument("--context", type=int, default=80, metavar="CHARS", help="snippet context in characters (default 80)")
    p.set_defaults(func=run)


def _read_text(args: argparse.Namespace) -> str:
    if (args.text is None) == (args.file is None):
        raise InputError("give either TEXT or --file F")
    if args.text is not None:
        return args.text
    if args.file == "-":
        return sys.stdin.read()
    try:
        with open(args.file, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise InputError(f"--file {args.file}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"--file {args.file}: not UTF-8 text (byte {e.start})") from None


def run(args: argparse.Namespace) -> int:
    import tracer

    text = _read_text(args)
    delimiters = args.delimiters.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r")
    result = tracer.open(args.index).trace(
        text, max_count=args.max_count, min_len=args.min_len, delimiters=delimiters, rank=args.rank, k=args.k,
        all_spans=args.all_spans, max_docs=args.max_docs, context=args.context,
    )
    if args.format == "json":
        print_json(result.to_json())
        return 0
    from rich.console import Console

    from tracer.cli.trace_view import render_trace

    render_trace(Console(highlight=False, soft_wrap=True), text, result)
    return 0
