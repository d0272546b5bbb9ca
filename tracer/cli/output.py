"""Shared CLI helpers: --format, --index, writing JSON/JSONL to stdout, reading query files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson


def add_format(p: argparse.ArgumentParser, choices: tuple[str, ...] = ("text", "json")) -> None:
    p.add_argument("--format", choices=choices, default="text", help="output format (default: text)")


def add_index(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", required=True, metavar="DIR", help="index directory")


def dumps(obj: Any, pretty: bool = False) -> str:
    opt = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    if pretty:
        opt |= orjson.OPT_INDENT_2
    return orjson.dumps(obj, option=opt, default=_default).decode()


def _default(obj: Any) -> Any:
    if hasattr(obj, "to_json"):
        return obj.to_json()
    raise TypeError(type(obj).__name__)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj, pretty=True) + "\n")


def print_jsonl(rows: Iterable[Any]) -> None:
    out = sys.stdout
    for row in rows:
        out.write(dumps(row) + "\n")


def read_query_file(path: str, field: str = "text") -> Iterator[str]:
    """Queries from a record file (JSONL/CSV/Parquet/...: the ``field`` of each record), else one per line."""
    from tracer.corpus.records import file_format, iter_records, iter_text_lines

    if file_format(Path(path).name) is None:
        for _, line in iter_text_lines(path):
            yield line
        return
    for rec in iter_records(path):
        yield rec.text(field)
