"""JSON Lines readers: plain files in byte-range slices, .gz and .zst files whole, streaming."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import IO

import orjson

from tracer.corpus.document import Document, ReadOptions, SkipLog, bad_record, make_document


def open_text_stream(path: str) -> IO[bytes]:
    """Open a possibly compressed file as a binary stream of its decompressed bytes."""
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith(".zst"):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True))
    return open(path, "rb")


def _records(lines: Iterator[tuple[int, bytes]], path: str, opts: ReadOptions, skips: SkipLog) -> Iterator[Document]:
    for lineno, raw in lines:
        if not raw.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            bad_record(f"{where}: invalid UTF-8 at byte {e.start} of the line", opts, skips)
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            bad_record(f"{where}: malformed JSON ({e.msg} at column {e.colno})", opts, skips)
            continue
        doc = make_document(record, where, {"source": path, "line": lineno}, opts, skips)
        if doc is not None:
            yield doc


def read_jsonl_range(
    path: str, start: int, end: int, first_line: int, opts: ReadOptions, skips: SkipLog
) -> Iterator[Document]:
    """Lines of an uncompressed file that start in [start, end); ``first_line`` is the 1-based number of the first."""

    def lines() -> Iterator[tuple[int, bytes]]:
        with open(path, "rb") as f:
            f.seek(start)
            pos, lineno = start, first_line
            while pos < end:
                raw = f.readline()
                if not raw:
                    break
                yield lineno, raw
                pos += len(raw)
                lineno += 1

    return _records(lines(), path, opts, skips)


def read_jsonl_stream(path: str, opts: ReadOptions, skips: SkipLog) -> Iterator[Document]:
    """Every line of a (compressed) file, streamed."""

    def lines() -> Iterator[tuple[int, bytes]]:
        with open_text_stream(path) as f:
            yield from enumerate(f, start=1)

    return _records(lines(), path, opts, skips)
