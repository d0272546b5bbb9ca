"""Shared CLI helpers: --format, --index, writing JSON/JSONL to stdout, reading query files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from tracer.errors import InputError


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
    """Queries from a JSONL file of {"text": ...} lines (or plain text lines for other extensions)."""
    try:
        f = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    with f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            if not path.endswith((".jsonl", ".json", ".ndjson")):
                yield line.rstrip("\n")
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise InputError(f"{path}:{lineno}: malformed JSON ({e.msg})") from None
            if not isinstance(obj, dict) or field not in obj:
                raise InputError(f"{path}:{lineno}: field '{field}' is missing")
            if not isinstance(obj[field], str):
                raise InputError(f"{path}:{lineno}: field '{field}' is not a string")
            yield obj[field]
