"""JSON Lines readers: plain files in byte-range slices, .gz and .zst files whole, streaming."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import IO

import orjson

from tracer.corpus.document import Document, ReadOptions, SkipLog, bad_record, make_document
from tracer.errors import InputError


def open_text_stream(path: str) -> IO[bytes]:
    """Open a possibly compressed file as a binary stream of its decompressed bytes."""
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith(".zst"):
        return io.BufferedReader(_ZstdFrames(path), buffer_size=1 << 20)
    return open(path, "rb")


class _ZstdFrames(io.RawIOBase):
    """The decompressed bytes of every zstd frame of a file, read in chunks.

    zstandard's ``stream_reader`` ends silently when a file stops inside a frame (a truncated
    download would index as a shorter corpus); this reader raises instead.
    """

    def __init__(self, path: str):
        import zstandard

        self._zstd = zstandard
        self._path = path
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._frame = zstandard.ZstdDecompressor().decompressobj()
        self._in_frame = False
        self._pending = b""

    def readable(self) -> bool:
        return True

    def _decompress(self, data: bytes) -> bytes:
        out = []
        while data:
            if self._frame.eof:
                self._frame = self._zstd.ZstdDecompressor().decompressobj()
            out.append(self._frame.decompress(data))
            data = self._frame.unused_data if self._frame.eof else b""
        self._in_frame = not self._frame.eof
        return b"".join(out)

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = self._file.read(1 << 20)
            if not chunk:
                if self._in_frame:
                    raise EOFError("the file ends inside a zstd frame (truncated)")
                return 0
            self._pending = self._decompress(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


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
        lineno = 0
        try:
            with open_text_stream(path) as f:
                for lineno, raw in enumerate(f, start=1):
                    yield lineno, raw
        except Exception as e:  # truncated, corrupt, or not compressed as its name says
            detail = getattr(e, "strerror", None) or str(e)
            raise InputError(f"{path}: cannot decompress after line {lineno} ({detail})") from None

    return _records(lines(), path, opts, skips)
