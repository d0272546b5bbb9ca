"""tracer demo: build (once) an index of this interpreter's standard library and show what tracer does."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import orjson


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="build a demo index of the Python standard library and query it")
    p.add_argument("--cache-dir", default=None, help="where the demo corpus and index live "
                   "(default: $XDG_CACHE_HOME/tracer or ~/.cache/tracer)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the demo index")
    p.set_defaults(func=run)


def cache_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tracer"


def write_stdlib_corpus(path: Path) -> int:
    """One JSONL document per standard-library .py file (tests excluded), id = path relative to the stdlib."""
    from tracer.corpus.stdlib import stdlib_sources

    n = 0
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        for doc_id, text in stdlib_sources():
            out.write(orjson.dumps({"id": doc_id, "text": text}) + b"\n")
            n += 1
    tmp.replace(path)
    return n


def demo_index(cache: Path, rebuild: bool = False):
    """The demo index, built on first use (resumable like any build)."""
    import shutil

    import tracer

    version = f"py{sys.version_info.major}.{sys.version_info.minor}"
    corpus = cache / f"stdlib-{version}.jsonl"
    index_dir = cache / f"stdlib-{version}-index"
    if rebuild:
        shutil.rmtree(index_dir, ignore_errors=True)
        corpus.unlink(missing_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    if not corpus.exists():
        write_stdlib_corpus(corpus)
    if not (index_dir / "manifest.json").exists():
        print(f"building the demo index of the standard library in {index_dir} ...", file=sys.stderr)
        tracer.build([str(corpus)], str(index_dir), id_field="id")
    return tracer.open(index_dir)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from tracer.cli.contamination_demo import demo_contamination, print_whole

    console = Console(highlight=False)
    cache = cache_dir(args.cache_dir)
    index = demo_index(cache, args.rebuild)
    info = index.info()
    console.rule("[bold]tracer demo[/bold]: the Python standard library as a training corpus")
    console.print(f"index {info['path']}: {info['n_docs']:,} documents, {info['n_tokens']:,} byte tokens, "
                  f"{info['bytes_on_disk'] / info['n_tokens']:.2f} bytes on disk per token")
    table = Table(title="exact counts (overlapping, within documents)")
    table.add_column("query")
    table.add_column("count", justify="right")
    for q in ["def __init__(self", "import os", "raise NotImplementedError", "Guido van Rossum",
              "tracer was here"]:
        table.add_row(repr(q), f"{index.count(q):,}")
    print_whole(console, table)
    result = index.find("Beautiful is better than ugly", limit=3, context=60)
    console.print(f"\nfind 'Beautiful is better than ugly': {result.count} occurrence(s)")
    for o in result.occurrences:
        console.print(f"  [cyan]{o.doc_id}[/cyan] char {o.char_start}: "
                      f"…{o.snippet.replace(chr(10), ' ')[:140]}…")

    from tracer.cli.trace_view import demo_trace

    console.print()
    demo_trace(index, console)
    console.print()
    demo_contamination(console, cache)
    return 0
