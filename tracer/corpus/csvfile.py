"""CSV (plain or compressed) with a header row, or a header the caller supplies for headerless files."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from tracer.corpus.streams import decode_line, numbered_lines
from tracer.errors import InputError

# Given the first row, the header to use when that row is data (a headerless layout), else None.
HeaderGuess = Callable[[list[str]], "list[str] | None"]


def _text_lines(path: str, starts: list[int]) -> Iterator[str]:
    """Decoded lines for ``csv.reader``; ``starts[0]`` tracks the number of the line last handed out."""
    for lineno, raw in numbered_lines(path):
        starts[0] = lineno
        yield decode_line(raw, f"{path}:{lineno}")


def csv_rows(path: str, headerless: HeaderGuess | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """(line where the row starts, {column: value}) of every non-empty row after the header."""
    last = [0]
    reader = csv.reader(_text_lines(path, last))
    header: list[str] | None = None
    start = 1
    try:
        for row in reader:
            line, start = start, last[0] + 1
            if not row:
                continue
            if header is None:
                guessed = headerless(row) if headerless else None
                if guessed is None:
                    header = row
                    continue
                header = guessed
            if len(row) != len(header):
                raise InputError(f"{path}:{line}: {len(row)} columns, the header has {len(header)}")
            yield line, dict(zip(header, row, strict=True))
    except csv.Error as e:
        raise InputError(f"{path}:{start}: malformed CSV ({e})") from None
