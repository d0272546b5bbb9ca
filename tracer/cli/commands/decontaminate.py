"""tracer decontaminate: write the indexed corpus without the benchmarks' contaminating spans."""

from __future__ import annotations

import argparse
import sys

from tracer.cli.commands.contamination import SPAN_RULE
from tracer.cli.options import add_options, options_from_args
from tracer.cli.output import add_index
from tracer.cli.progress import add_progress, progress_bar
from tracer.contamination.decon_options import DEFAULT_MARKER, REPORT_NAME, DecontaminateOptions
from tracer.contamination.options import CheckOptions

# settings of `tracer contamination` that only shape its report (documents listed per item, the
# clean/dirty category bands): decontamination follows the verdict alone, so it does not offer them
REPORT_ONLY = ("max_documents", "clean_below", "dirty_from")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "decontaminate", help="write the corpus without documents (or spans) holding benchmark items",
        description="Check the benchmarks as `tracer contamination` does (same flags, same verdicts), locate every "
                    "occurrence of each contaminated item's matched spans, and write the corpus (from the index, or "
                    "from the original files with --source) with those documents dropped (--mode drop) or the spans "
                    f"replaced by a marker (--mode mask, default marker {DEFAULT_MARKER!r}). Output parts "
                    "OUT/part-NNNNN.<format> are written atomically; rerunning the same command after an interruption "
                    f"resumes it. OUT/{REPORT_NAME}.json and .md say what was removed and why. " + SPAN_RULE,
    )
    add_index(p)
    p.add_argument("benchmarks", nargs="+", metavar="BENCH",
                   help="benchmark files or folders, as for `tracer contamination` (NAME=PATH names the benchmark)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created; a rerun resumes it)")
    p.add_argument("--source", nargs="+", metavar="FILE",
                   help="re-read the documents from these files (those the index was built from, in build order) "
                        "to keep every field of each record verbatim; default: text and metadata from the index")
    p.add_argument("--build", metavar="DIR", help="then build the clean index DIR from the output "
                                                 "(same tokenizer and normalization as --index)")
    p.add_argument("--input-field", action="append", default=[], metavar="F",
                   help="field(s) holding the item input (repeatable); default: preset")
    p.add_argument("--label-field", metavar="F", help="field holding the answer/solution part")
    p.add_argument("--id-field", metavar="F", help="field holding the item id")
    add_options(p, CheckOptions, skip=REPORT_ONLY)
    add_options(p, DecontaminateOptions)
    add_progress(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer
    from tracer.contamination import FieldSpec, read_benchmarks
    from tracer.contamination.decontaminate import decontaminate
    from tracer.errors import InputError

    check = options_from_args(args, CheckOptions, skip=REPORT_ONLY)
    options = options_from_args(args, DecontaminateOptions)
    spec = FieldSpec(tuple(args.input_field), args.label_field, args.id_field)
    items = read_benchmarks(args.benchmarks, spec)  # bad records fail here, before anything is written
    if not items:
        raise InputError("no benchmark items to check")
    index = tracer.open(args.index)
    bar = progress_bar(args, len(items), "item", "decontaminate")
    try:
        result = decontaminate(index, items, args.out, check, options, source=args.source,
                               progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    matched = sum(r.contaminated for r in result.removal.results)
    verb = "dropped" if options.mode == "drop" else "masked"
    print(f"tracer decontaminate: {matched} of {len(items)} items matched; "
          f"{result.docs_dropped or result.docs_masked} of {result.docs_in} documents {verb} "
          f"({result.tokens_removed} tokens); {result.docs_out} documents in {len(result.parts)} parts under "
          f"{args.out}{' (resumed)' if result.resumed else ''}", file=sys.stderr)
    if args.build:
        from tracer.contamination.decontaminate import build_clean_index

        m = build_clean_index(index, result, args.out, args.build, args.source, progress=bool(args.progress))
        print(f"tracer decontaminate: built {args.build}: {m.n_docs} documents, {m.n_tokens} tokens",
              file=sys.stderr)
    return 0
