"""tracer report: render saved contamination results as HTML, Markdown or CONDA-style JSON."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="write a contamination report from saved results",
        description="Render the output of `tracer contamination --format json` (or jsonl) as a self-contained "
                    "HTML page, Markdown for CI logs, or JSON rows in CONDA contamination database terms.",
    )
    p.add_argument("results", metavar="RESULTS", help="a file written by `tracer contamination --format json|jsonl`")
    p.add_argument("--out", "-o", required=True, metavar="PATH", help="PATH.html, PATH.md or PATH.json")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tracer.contamination.report import load_results, write_report

    fmt = write_report(load_results(args.results), args.out)
    print(f"tracer report: wrote {fmt} report {args.out}", file=sys.stderr)
    return 0
