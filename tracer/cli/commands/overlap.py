"""tracer overlap: how much of each document of B sits inside spans shared with the index A."""

from __future__ import annotations

import argparse
import html
import sys

from tracer.cli.options import add_options, options_from_args
from tracer.cli.output import add_index, dumps, print_json
from tracer.cli.progress import add_progress, progress_bar
from tracer.contamination.overlap_options import DEFAULT_THRESHOLDS, OverlapOptions


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "overlap", help="share of each document of B inside spans shared with the index",
        description="For every document of B (an index folder, or record files and folders: JSONL/CSV/Parquet/"
                    "Arrow), the share of its words inside spans of >= N words that also occur in the index "
                    "(--index, A), its longest shared span and A's documents holding it; then a summary: share of "
                    "B's documents at or above thresholds, histogram, spans shared by the most B documents. "
                    "Words as in `tracer contamination`. B is streamed; B given as an index with the same "
                    "tokenizer is matched by a join of the two suffix arrays (same answers, much less searching).",
    )
    add_index(p)
    p.add_argument("b", nargs="+", metavar="B", help="an index folder or record files/folders")
    p.add_argument("--text-field", default="text", help="field of B's records holding the text (default: text)")
    p.add_argument("--id-field", default=None, help="field of B's records holding the id (default: file:line)")
    add_options(p, OverlapOptions)
    p.add_argument("--rescan", action="store_true",
                   help="with B an index: match its documents one by one as for files, instead of joining the two "
                        "suffix arrays (the same answers; for comparison)")
    p.add_argument("--thresholds", default=",".join(f"{t:g}" for t in DEFAULT_THRESHOLDS), metavar="LIST",
                   help="comma-separated shares for the summary (default %(default)s)")
    p.add_argument("--format", choices=("text", "json", "jsonl", "html"), default="text",
                   help="text/json/html: the summary (json adds every document); jsonl: one line per document "
                        "as it is done, then the summary line")
    add_progress(p)
    p.set_defaults(func=run)


def _thresholds(spec: str) -> tuple[float, ...]:
    from tracer.errors import InputError

    try:
        return tuple(float(x) for x in spec.split(",") if x.strip())
    except ValueError:
        raise InputError(f"--thresholds {spec!r}: give comma-separated fractions, e.g. 0.1,0.5") from None


def run(args: argparse.Namespace) -> int:
    import tracer
    from tracer.contamination.overlap import OverlapSummary, iter_overlap_sources

    opts = options_from_args(args, OverlapOptions, thresholds=_thresholds(args.thresholds))
    index = tracer.open(args.index)
    summary = OverlapSummary(opts)
    rows = []
    bar = progress_bar(args, None, "doc", "overlap")
    try:
        rows_of_b = iter_overlap_sources(index, args.b, opts, args.text_field, args.id_field, join=not args.rescan,
                                         notice=lambda m: print(f"tracer overlap: {m}", file=sys.stderr))
        for d in rows_of_b:
            summary.add(d)
            if args.format == "jsonl":
                sys.stdout.write(dumps(d.to_json()) + "\n")
            elif args.format == "json":
                rows.append(d.to_json())
            if bar:
                bar.update(1)
    finally:
        if bar:
            bar.close()
    doc = summary.to_json(index)
    if args.format == "jsonl":
        sys.stdout.write(dumps({"summary": doc}) + "\n")
    elif args.format == "json":
        print_json({"index": str(index.path), "summary": doc, "documents": rows})
    elif args.format == "html":
        sys.stdout.write(render_html(doc, str(index.path)))
    else:
        sys.stdout.write(render_text(doc))
    return 0


def render_text(s: dict) -> str:
    lines = [f"{s['documents']} documents of B, {s['words']} words; {s['covered_words']} words "
             f"({100 * s['word_share']:.2f}%) inside spans of >= {s['ngram']} words shared with A",
             f"documents with a shared span: {s['documents_with_shared_span']}"]
    for a in s["above"]:
        lines.append(f"  share >= {a['threshold']:g}: {a['documents']} documents ({100 * a['share']:.2f}%)")
    lines.append("histogram of shares:")
    peak = max((h["documents"] for h in s["histogram"]), default=0) or 1
    for h in s["histogram"]:
        lines.append(f"  [{h['from']:.2f}, {h['to']:.2f}) {h['documents']:>8} {'#' * round(40 * h['documents'] / peak)}")
    if s["top_spans"]:
        lines.append("spans shared by the most B documents:")
        for t in s["top_spans"]:
            text = t["text"].replace("\n", "\\n")
            lines.append(f"  {t['b_documents']:>6} B docs, {t.get('a_count', '?'):>6} in A: {text[:100]}")
    if s["longest"]:
        lo = s["longest"]
        lines.append(f"longest shared span: {lo['longest']} words in {lo['id']} ({lo['longest_count']}x in A, "
                     f"e.g. {', '.join(lo['a_documents']) or '-'})")
    return "\n".join(lines) + "\n"


def render_html(s: dict, index: str) -> str:
    e = html.escape
    peak = max((h["documents"] for h in s["histogram"]), default=0) or 1
    bars = "".join(f"<tr><td>{h['from']:.2f}&ndash;{h['to']:.2f}</td><td>{h['documents']}</td>"
                   f"<td><div style='background:#4a7;height:1em;width:{300 * h['documents'] / peak:.0f}px'></div></td></tr>"
                   for h in s["histogram"])
    above = "".join(f"<tr><td>&ge; {a['threshold']:g}</td><td>{a['documents']}</td><td>{100 * a['share']:.2f}%</td></tr>"
                    for a in s["above"])
    spans = "".join(f"<tr><td>{t['b_documents']}</td><td>{t.get('a_count', '')}</td><td><pre>{e(t['text'])}</pre></td></tr>"
                    for t in s["top_spans"])
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>tracer overlap</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}
pre{{margin:0;white-space:pre-wrap;max-width:60em}}</style></head><body>
<h1>Overlap with {e(index)}</h1>
<p>{s['documents']} documents, {s['words']} words; {s['covered_words']} words ({100 * s['word_share']:.2f}%) inside spans
of &ge; {s['ngram']} words shared with the index.</p>
<h2>Documents by share of shared words</h2><table><tr><th>share</th><th>documents</th><th>of all</th></tr>{above}</table>
<h2>Histogram</h2><table><tr><th>share</th><th>documents</th><th></th></tr>{bars}</table>
<h2>Spans shared by the most documents</h2><table><tr><th>B documents</th><th>count in index</th><th>span</th></tr>{spans}</table>
</body></html>
"""
