"""JSON Lines: one parser of a line for every reader, and the build's document readers over it
(plain files in byte-range slices, .gz and .zst files whole, streaming)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from tracer.corpus.document import Document, ReadOptions, SkipLog, bad_record, make_document
from tracer.corpus.streams import decode_line, numbered_lines, range_lines
from tracer.errors import InputError


def parse_json_line(raw: bytes, where: str) -> Any:
    """The JSON value of one line; invalid UTF-8 or malformed JSON is an InputError naming ``where``."""
    line = decode_line(raw, where)
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as e:
        raise InputError(f"{where}: malformed JSON ({e.msg} at column {e.colno})") from None


def json_values(lines: Iterator[tuple[int, bytes]], path: str) -> Iterator[tuple[int, Any]]:
    """(line number, JSON value) of every non-blank line; the first bad line raises."""
    for lineno, raw in lines:
        if raw.strip():
            yield lineno, parse_json_line(raw, f"{path}:{lineno}")


def _documents(lines: Iterator[tuple[int, bytes]], path: str, opts: ReadOptions,
               skips: SkipLog) -> Iterator[Document]:
    for lineno, raw in lines:
        if not raw.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = parse_json_line(raw, where)
        except InputError as e:
            bad_record(str(e), opts, skips)
            continue
        doc = make_document(record, where, {"source": path, "line": lineno}, opts, skips)
        if doc is not None:
            yield doc


def read_jsonl_range(
    path: str, start: int, end: int, first_line: int, opts: ReadOptions, skips: SkipLog
) -> Iterator[Document]:
    """Lines of an uncompressed file that start in [start, end); ``first_line`` is the 1-based number of the first."""
    return _documents(range_lines(path, start, end, first_line), path, opts, skips)


def read_jsonl_stream(path: str, opts: ReadOptions, skips: SkipLog) -> Iterator[Document]:
    """Every line of a (compressed) file, streamed."""
    return _documents(numbered_lines(path), path, opts, skips)
