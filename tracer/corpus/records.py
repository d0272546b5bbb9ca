"""The one record reader: ``iter_records(path)`` over every input format tracer accepts.

Formats by extension, optionally compressed (.gz, .zst): JSON Lines (.jsonl, .json, .ndjson),
CSV (.csv, header row; a ``headerless`` hook names the columns of headerless layouts),
Parquet (.parquet), Arrow IPC stream or file format (.arrow). A folder is either a HF
``save_to_disk`` folder (a marker file, or nothing but .arrow files: its .arrow files, with
DatasetDict splits in sub-folders) or a folder of such files, read recursively in sorted
order (documentation files like LICENSE or README.md are passed over).

Each record says where it came from (``path:line`` for line formats, ``path:row N`` for
tables), and malformed input is an ``InputError`` naming that place, so benchmark files,
membership inputs, query files and saved reports fail the same way. The build plans byte
slices of the same files for parallel shard jobs (corpus/sources.py) and reads them with the
same line parser and columnar readers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracer.corpus.columnar import arrow_rows, parquet_rows
from tracer.corpus.csvfile import HeaderGuess, csv_rows
from tracer.corpus.document import type_name
from tracer.corpus.jsonl import json_values
from tracer.corpus.streams import base_name, decode_line, numbered_lines
from tracer.errors import InputError

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
SAVE_TO_DISK_MARKERS = ("state.json", "dataset_info.json", "dataset_dict.json")
_DOC_NAMES = ("license", "licence", "readme", "copying", "notice", "changelog")
_DOC_SUFFIXES = (".md", ".txt", ".rst")
SUPPORTED = ".jsonl/.json/.ndjson or .csv (optionally .gz/.zst), .parquet, .arrow, or a folder of them"


@dataclass(frozen=True)
class Record:
    """One record and its place: ``data`` is the parsed value (a dict for CSV and table rows)."""

    data: Any
    path: str
    line: int | None = None  # 1-based line where the record starts (JSONL, CSV)
    row: int | None = None  # 0-based row (Parquet, Arrow)

    @property
    def where(self) -> str:
        """``path:line`` or ``path:row N``, the prefix of every error about this record."""
        return f"{self.path}:{self.line}" if self.line is not None else f"{self.path}:row {self.row}"

    @property
    def number(self) -> int:
        """The line or row number: a default id for records that carry none."""
        return self.line if self.line is not None else int(self.row or 0)

    def object(self) -> dict[str, Any]:
        """``data`` as a JSON object, or an InputError naming where it is not one."""
        if not isinstance(self.data, dict):
            raise InputError(f"{self.where}: expected a JSON object, got {type_name(self.data)}")
        return self.data

    def text(self, field: str) -> str:
        """A string field; missing or not a string is an InputError naming the field."""
        obj = self.object()
        if field not in obj:
            fields = ", ".join(sorted(obj)[:12])
            raise InputError(f"{self.where}: field '{field}' is missing (fields: {fields})")
        value = obj[field]
        if not isinstance(value, str):
            raise InputError(f"{self.where}: field '{field}' is not a string (got {type_name(value)})")
        return value


def file_format(name: str) -> str | None:
    """``jsonl``, ``csv``, ``parquet`` or ``arrow`` by a file name's extension, else None."""
    base = base_name(name)
    if base.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if base.endswith(".csv"):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".arrow"):
        return "arrow"
    return None


def walk_files(root: Path) -> list[Path]:
    """Every file below ``root`` in a fixed order (sorted, depth first); hidden names skipped."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
    return out


def is_save_to_disk(folder: Path) -> bool:
    """A HF ``save_to_disk`` folder: a marker file, or data files that are all .arrow."""
    if any((folder / m).exists() for m in SAVE_TO_DISK_MARKERS):
        return True
    data = [f for f in walk_files(folder) if file_format(f.name)]
    return bool(data) and all(f.name.endswith(".arrow") for f in data)


def _is_documentation(name: str) -> bool:
    lower = name.lower()
    return lower.startswith(_DOC_NAMES) or lower.endswith(_DOC_SUFFIXES)


def data_files(folder: Path) -> list[Path]:
    """The input files of a folder that is not a save_to_disk folder, recursively and sorted.

    Documentation files are passed over; any other file of an unknown format is an error
    (rather than a silently smaller input).
    """
    files = []
    for f in walk_files(folder):
        if file_format(f.name):
            files.append(f)
        elif not _is_documentation(f.name):
            raise InputError(f"{f}: unknown input format in folder {folder} (expected {SUPPORTED})")
    if not files:
        raise InputError(f"{folder}: folder holds no input files (expected {SUPPORTED})")
    return files


def expand_input(path: str | Path) -> list[Path]:
    """The inputs a path names: itself (a file or a save_to_disk folder) or the data files of a folder."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    if p.is_dir() and not is_save_to_disk(p):
        return data_files(p)
    return [p]


def _arrow_folder(folder: Path) -> Iterator[Record]:
    files = [f for f in walk_files(folder) if f.name.endswith(".arrow")]
    if not files:
        raise InputError(f"{folder}: looks like a save_to_disk folder but holds no .arrow files")
    for f in files:
        yield from _file_records(f, None)


def _file_records(p: Path, headerless: HeaderGuess | None) -> Iterator[Record]:
    path = str(p)
    fmt = file_format(p.name)
    if fmt == "jsonl":
        return (Record(v, path, line=n) for n, v in json_values(numbered_lines(path), path))
    if fmt == "csv":
        return (Record(v, path, line=n) for n, v in csv_rows(path, headerless))
    if fmt == "parquet":
        return (Record(v, path, row=n) for n, v in parquet_rows(path))
    if fmt == "arrow":
        return (Record(v, path, row=n) for n, v in arrow_rows(path))
    raise InputError(f"{p}: unknown input format (use {SUPPORTED})")


def iter_records(path: str | Path, *, headerless: HeaderGuess | None = None) -> Iterator[Record]:
    """Every record of a file or folder, in order, each with its ``path:line`` or ``path:row N``."""
    inputs = expand_input(path)
    for p in inputs:
        if p.is_dir():
            yield from _arrow_folder(p)
        else:
            yield from _file_records(p, headerless)


def iter_json_lines(path: str | Path) -> Iterator[Record]:
    """Every non-blank line of a file read as JSON Lines whatever its extension (saved reports)."""
    p = str(path)
    return (Record(v, p, line=n) for n, v in json_values(numbered_lines(p), p))


def iter_text_lines(path: str | Path) -> Iterator[tuple[str, str]]:
    """(``path:line``, text without its newline) of every non-blank line of a (compressed) text file."""
    p = str(path)
    for lineno, raw in numbered_lines(p):
        if raw.strip():
            yield f"{p}:{lineno}", decode_line(raw, f"{p}:{lineno}").rstrip("\r\n")
