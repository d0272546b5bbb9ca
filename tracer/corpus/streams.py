"""Byte streams of (possibly compressed) input files and their numbered lines.

Every reader of line formats (JSONL, CSV, plain text lines) goes through ``numbered_lines`` and
``decode_line``, so a truncated download, a file not compressed as its name says, or a
non-UTF-8 byte is one located ``InputError`` whichever command reads the file.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import IO

from tracer.errors import InputError

COMPRESSED = (".gz", ".zst")


def base_name(name: str) -> str:
    """A file name without its compression suffix (``a.jsonl.gz`` -> ``a.jsonl``)."""
    for c in COMPRESSED:
        if name.endswith(c):
            return name[: -len(c)]
    return name


def open_stream(path: str) -> IO[bytes]:
    """Open a possibly compressed file as a binary stream of its decompressed bytes."""
    try:
        if path.endswith(".gz"):
            return gzip.open(path, "rb")
        if path.endswith(".zst"):
            return io.BufferedReader(_ZstdFrames(path), buffer_size=1 << 20)
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as e:
        raise InputError(f"{path}: {e.strerror or e}") from None


class _ZstdFrames(io.RawIOBase):
    """The decompressed bytes of every zstd frame of a file, read in chunks.

    zstandard's ``stream_reader`` ends silently when a file stops inside a frame (a truncated
    download would index as a shorter corpus); this reader raises instead.
    """

    def __init__(self, path: str):
        import zstandard

        self._zstd = zstandard
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


def numbered_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, raw line with its newline) of a whole (compressed) file, streamed."""
    f = open_stream(path)
    lineno = 0
    try:
        with f:
            for lineno, raw in enumerate(f, start=1):
                yield lineno, raw
    except Exception as e:  # truncated, corrupt, or not compressed as its name says
        detail = getattr(e, "strerror", None) or str(e)
        raise InputError(f"{path}: cannot decompress after line {lineno} ({detail})") from None


def range_lines(path: str, start: int, end: int, first_line: int) -> Iterator[tuple[int, bytes]]:
    """Lines of an uncompressed file that start in [start, end); ``first_line`` numbers the first."""
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


def decode_line(raw: bytes, where: str) -> str:
    """A line's text; a non-UTF-8 byte is an InputError naming ``where`` (file:line) and the byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{where}: invalid UTF-8 at byte {e.start} of the line") from None
