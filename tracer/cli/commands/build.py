"""tracer build: corpus files -> index directory (resumable, appendable)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build an index from corpus files",
                       description="Build a suffix-array index. Rerun the same command to resume an interrupted build.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL(.gz/.zst), Parquet, Arrow, text files or folders")
    p.add_argument("--out", required=True, metavar="DIR", help="index directory to create")
    p.add_argument("--tokenizer", default="bytes", help="'bytes' (default) or a tokenizer.json path")
    p.add_argument("--text-field", default="text", help="record field holding the text (default: text)")
    p.add_argument("--id-field", default=None, help="record field holding the document id")
    p.add_argument("--normalize", action="store_true", help="index normalized text (case, whitespace, quotes...)")
    p.add_argument("--shard-tokens", type=int, default=None, metavar="N",
                   help="max tokens per shard (default: from available memory); above --sort-tokens, "
                        "shards are merged from sorted parts")
    p.add_argument("--sort-tokens", type=int, default=None, metavar="N",
                   help="tokens sorted in memory at once (default: from available memory)")
    p.add_argument("--pointer-bytes", type=int, choices=(4, 5), default=None, metavar="{4,5}",
                   help="suffix-array entry width: 4 (u32) or 5 (u40); default: 4 unless a shard "
                        "passes 2^32 tokens")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="parallel shard jobs (default: CPUs)")
    p.add_argument("--append", action="store_true", help="add the inputs as new shards of an existing index")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="bad records: stop with a message (default) or skip and report them")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="where shard jobs run: a local process pool (default) or a Ray cluster (pip install 'tracer[ray]')")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="Ray cluster to join with --executor ray (default: $RAY_ADDRESS, else a local one); "
                        "--out and the inputs must be on storage every node reaches")
    p.add_argument("--sa-backend", choices=("pydivsufsort", "torch"), default="pydivsufsort",
                   help="suffix sorter: pydivsufsort (default) or torch prefix doubling (GPU); identical output")
    p.add_argument("--device", choices=("cuda", "cpu"), default=None,
                   help="device for --sa-backend torch (default: cuda when available)")
    p.add_argument("--allow-empty", action="store_true",
                   help="build an index even if the input holds no documents (default: an error)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--progress", action="store_true",
                   help="show the progress bar on stderr even when it is not a terminal (default: only on one)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tracer.errors import InputError
    from tracer.index.builder import build

    if args.shard_tokens is not None and args.shard_tokens < 1:
        raise InputError("--shard-tokens must be positive")
    if args.sort_tokens is not None and args.sort_tokens < 1:
        raise InputError("--sort-tokens must be positive")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers must be positive")
    if args.device is not None and args.sa_backend != "torch":
        raise InputError("--device applies only to --sa-backend torch")
    if args.ray_address is not None and args.executor != "ray":
        raise InputError("--ray-address applies only to --executor ray")
    result = build(args.inputs, args.out, tokenizer=args.tokenizer, text_field=args.text_field,
                   id_field=args.id_field, on_error=args.on_error, normalize=args.normalize,
                   shard_tokens=args.shard_tokens, workers=args.workers, append=args.append,
                   executor=args.executor,
                   progress=not args.quiet and (args.progress or sys.stderr.isatty()), sa_backend=args.sa_backend,
                   device=args.device, ray_address=args.ray_address, allow_empty=args.allow_empty,
                   sort_tokens=args.sort_tokens, pointer_bytes=args.pointer_bytes)
    m = result.manifest
    if result.nothing_to_do:
        print(f"{args.out}: index is complete, nothing to do", file=sys.stderr)
    if result.resumed is not None:
        print(result.resumed.describe(args.out), file=sys.stderr)
    if m.skipped_records:
        print(f"skipped {m.skipped_records} bad records; first ones:", file=sys.stderr)
        for w in result.skipped_where[:10]:
            print(f"  {w}", file=sys.stderr)
    print(f"built {args.out}: {m.n_docs} documents, {m.n_tokens} tokens, {len(m.shards)} shards",
          file=sys.stderr)
    return 0
