"""tracer contamination: is a benchmark in the training data? Item by item, with a CI exit code."""

from __future__ import annotations

import argparse
import sys

from tracer.cli.options import add_options, options_from_args
from tracer.cli.output import add_index, print_json, print_jsonl
from tracer.cli.progress import add_progress, progress_bar
from tracer.contamination.options import CheckOptions

SPAN_RULE = (
    "Span lengths are counted in words: runs of letters/digits/_ or runs of other non-space characters "
    "(regex \\w+|[^\\w\\s]+), so --ngram means the same for byte and BPE indexes. An item shorter "
    "than --ngram words counts as matched only if it occurs whole."
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "contamination", help="check benchmark items for overlap with the indexed corpus",
        description="Per-item contamination of benchmarks against an index. " + SPAN_RULE
        + " Exit 0 when the share of contaminated items is at most --fail-above, 1 above it, 2 on errors.",
    )
    add_index(p)
    p.add_argument("benchmarks", nargs="+", metavar="BENCH",
                   help="benchmark files: .jsonl[.gz|.zst], .csv[.gz], .parquet, HF save_to_disk folder, "
                        "lm-eval --log_samples JSONL; NAME=PATH names the benchmark")
    p.add_argument("--input-field", action="append", default=[], metavar="F",
                   help="field(s) holding the item input (repeatable; joined by newlines); default: preset")
    p.add_argument("--label-field", metavar="F", help="field holding the answer/solution part")
    p.add_argument("--id-field", metavar="F", help="field holding the item id (default: preset or line number)")
    add_options(p, CheckOptions)
    p.add_argument("--fail-above", type=float, default=0.0, metavar="PCT",
                   help="exit 1 when more than PCT percent of the items are contaminated (default 0)")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when the gate fails (errors still exit 2)")
    p.add_argument("--format", choices=["text", "json", "jsonl"], default="text", help="output format (default text)")
    p.add_argument("--report", metavar="PATH", help="also write a report: PATH.html, PATH.md or PATH.json")
    add_progress(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer
    from tracer.contamination import FieldSpec, check_items, read_benchmarks
    from tracer.contamination.report import results_document, write_report
    from tracer.contamination.verdict import contaminated_share, summarize
    from tracer.errors import InputError

    if not 0 <= args.fail_above <= 100:
        raise InputError(f"--fail-above must be a percentage in [0, 100] (got {args.fail_above})")
    opts = options_from_args(args, CheckOptions)
    if args.report:
        from pathlib import Path

        from tracer.contamination.report import FORMATS

        if Path(args.report).suffix.lower() not in FORMATS:
            raise InputError(f"--report {args.report}: unknown report format (use .html, .md or .json)")
    spec = FieldSpec(tuple(args.input_field), args.label_field, args.id_field)
    items = read_benchmarks(args.benchmarks, spec)
    if not items:
        raise InputError("no benchmark items to check")
    index = tracer.open(args.index)
    bar = progress_bar(args, len(items), "item", "contamination")
    try:
        results = check_items(index, items, opts, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    share = contaminated_share(results)
    failed = share > args.fail_above
    doc = None
    if args.format == "json" or args.report:
        info = index.info()
        index_info = {k: info.get(k) for k in ("path", "n_tokens", "n_docs", "tokenizer", "normalization")}
        doc = results_document(index_info, opts.to_json(), summarize(results), [r.to_json() for r in results])
    if args.format == "json":
        print_json(doc)
    elif args.format == "jsonl":
        print_jsonl(r.to_json() for r in results)
    else:
        _print_text(results, summarize(results), share, args, opts)
    if args.report:
        fmt = write_report(doc, args.report)
        print(f"tracer contamination: wrote {fmt} report {args.report}", file=sys.stderr)
    if failed:
        print(f"tracer contamination: {share:.2f}% of {len(results)} items contaminated "
              f"(> --fail-above {args.fail_above:g}%)", file=sys.stderr)
    return 0 if args.exit_zero or not failed else 1


def _print_text(results, summary, share, args, opts) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from tracer.contamination.report import score_parts

    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"contamination: {opts.method} >= {opts.verdict_threshold:g} on part {opts.part}, "
                        f"spans of >= {opts.ngram} words")
    for col in ("benchmark", "split", "items", "contaminated", "clean", "not clean", "not dirty", "dirty",
                "mean coverage"):
        table.add_column(col, justify="left" if col in ("benchmark", "split") else "right")
    for s in summary:
        table.add_row(s["benchmark"], s["split"], str(s["items"]), f"{s['contaminated_pct']:.2f}%",
                      f"{s['clean_pct']:.1f}%", f"{s['not_clean_pct']:.1f}%", f"{s['not_dirty_pct']:.1f}%",
                      f"{s['dirty_pct']:.1f}%", f"{s['mean_coverage']:.3f}")
    console.print(table)
    bad = sorted((r for r in results if r.contaminated), key=lambda r: -r.verdict_part.skip_coverage)
    for r in bad[:20]:
        vp = r.verdict_part
        line = Text(f"{r.item.benchmark}/{r.item.id}", style="bold red")
        if r.match == "soft" and r.soft is not None:
            words = ", ".join(a if a == b else f"{a}~{b}" for a, b in r.soft.aligned[:8])
            parts = score_parts(r.soft.to_json())
            line.append(f"  soft match {r.soft.score:.2f}{parts} in {r.soft.doc_id} chars {r.soft.start_char}-"
                        f"{r.soft.end_char} ({words})", style="magenta")
            console.print(line)
            continue
        line.append(f"  coverage {vp.coverage:.2f} (skip budget {vp.skip_coverage:.2f}), longest {vp.longest_match} words ({vp.longest_match_count}x), "
                    f"{r.category}")
        if r.documents:
            line.append(f"  in {r.documents[0].doc_id}", style="cyan")
        console.print(line)
    if len(bad) > 20:
        console.print(f"... and {len(bad) - 20} more contaminated items (use --format jsonl or --report)")
    if opts.soft:
        soft = sum(r.match == "soft" for r in results)
        console.print(f"soft tier (score >= {opts.soft_cutoff:g}): {soft} of {len(results)} items contaminated "
                      f"only by a paraphrase or light rewrite")
    verdict = "FAIL" if share > args.fail_above else "ok"
    console.print(f"{share:.2f}% of {len(results)} items contaminated (gate --fail-above {args.fail_above:g}%: {verdict})")
