"""tracer trace: which long verbatim spans of a text occur in the corpus, and in which documents."""

from __future__ import annotations

import argparse
import sys

from tracer.cli.options import add_options, options_from_args
from tracer.cli.output import add_format, add_index, print_json
from tracer.cli.progress import add_progress, progress_bar
from tracer.errors import InputError
from tracer.query.options import TraceOptions


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trace", help="trace a text (model output) to verbatim spans in training documents")
    add_index(p)
    p.add_argument("text", nargs="?", help="text to trace (or --file)")
    p.add_argument("--file", metavar="F", help="read the text from a UTF-8 file ('-' for stdin)")
    add_format(p)
    add_options(p, TraceOptions)
    add_progress(p)
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


def _updater(bar):
    """trace's ``progress(done, total)`` as updates of a tqdm bar (None: no bar)."""
    if bar is None:
        return None

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return update


def run(args: argparse.Namespace) -> int:
    import tracer

    text = _read_text(args)
    delimiters = args.delimiters.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r")
    options = options_from_args(args, TraceOptions, delimiters=delimiters)
    bar = progress_bar(args, None, "span", "trace: documents of spans")
    try:
        result = tracer.open(args.index).trace(text, options, progress=_updater(bar))
    finally:
        if bar:
            bar.close()
    if args.format == "json":
        print_json(result.to_json())
        return 0
    from rich.console import Console

    from tracer.cli.trace_view import render_trace

    render_trace(Console(highlight=False, soft_wrap=True), text, result)
    return 0
