"""Input discovery and slicing: turn INPUT paths into slices that shard jobs read independently.

A slice names its own piece of the input (a byte range of a plain JSONL file, row groups of
a Parquet file, one Arrow file, some text files), so a shard job needs nothing but its slices:
the same job runs in a local process pool or as a task on a cluster.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tracer.corpus.columnar import read_arrow_file, read_parquet_groups
from tracer.corpus.document import Document, ReadOptions, SkipLog
from tracer.corpus.jsonl import read_jsonl_range, read_jsonl_stream
from tracer.corpus.records import SAVE_TO_DISK_MARKERS, file_format, walk_files
from tracer.corpus.streams import COMPRESSED
from tracer.corpus.text_files import read_text_files
from tracer.errors import InputError


@dataclass(frozen=True)
class Slice:
    """A self-describing piece of input. ``kind``: jsonl-range, jsonl-stream, parquet, arrow, text."""

    kind: str
    path: str = ""
    start: int = 0  # byte offset (jsonl-range) or first row group (parquet)
    end: int = 0  # byte offset or row group, exclusive
    first: int = 1  # number of the first line (1-based) or row (0-based)
    files: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    size: int = 0  # approximate input bytes, for planning and progress

    def to_json(self) -> dict:
        d = asdict(self)
        d["files"] = [list(f) for f in self.files]
        return d

    @staticmethod
    def from_json(d: dict) -> Slice:
        return Slice(**{**d, "files": tuple(tuple(f) for f in d.get("files", ()))})


def read_slice(s: Slice, opts: ReadOptions, skips: SkipLog) -> Iterator[Document]:
    """Stream the documents of one slice."""
    if s.kind == "jsonl-range":
        return read_jsonl_range(s.path, s.start, s.end, s.first, opts, skips)
    if s.kind == "jsonl-stream":
        return read_jsonl_stream(s.path, opts, skips)
    if s.kind == "parquet":
        return read_parquet_groups(s.path, s.start, s.end, s.first, opts, skips)
    if s.kind == "arrow":
        return read_arrow_file(s.path, opts, skips)
    if s.kind == "text":
        return read_text_files(list(s.files), opts, skips)
    raise ValueError(f"unknown slice kind {s.kind}")


def _is_data_file(name: str) -> bool:
    """Files the build reads as records (CSV is not one: a .csv file is indexed as a text document)."""
    return file_format(name) in ("jsonl", "parquet", "arrow")


def _jsonl_ranges(path: str, target_bytes: int) -> list[Slice]:
    """Cut a plain JSONL file into line-aligned byte ranges of about ``target_bytes``, numbering lines."""
    size = os.path.getsize(path)
    if size <= target_bytes:
        return [Slice("jsonl-range", path, 0, size, 1, size=size)]
    slices, start, line = [], 0, 1
    with open(path, "rb") as f:
        while start < size:
            cut = min(size, start + target_bytes)
            if cut < size:
                f.seek(cut)
                f.readline()
                cut = f.tell()
            f.seek(start)
            newlines, remaining = 0, cut - start
            while remaining:
                chunk = f.read(min(remaining, 1 << 24))
                if not chunk:
                    break
                newlines += chunk.count(b"\n")
                remaining -= len(chunk)
            slices.append(Slice("jsonl-range", path, start, cut, line, size=cut - start))
            start, line = cut, line + newlines
    return slices


def _parquet_slices(path: str, target_bytes: int) -> list[Slice]:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as e:
        raise InputError(f"{path}: not a readable Parquet file ({e})") from None
    slices, group, row = [], 0, 0
    while group < meta.num_row_groups:
        start, start_row, size = group, row, 0
        while group < meta.num_row_groups and (size == 0 or size < target_bytes):
            rg = meta.row_group(group)
            size += rg.total_byte_size
            row += rg.num_rows
            group += 1
        slices.append(Slice("parquet", path, start, group, start_row, size=size))
    return slices


def _file_slices(path: Path, target_bytes: int) -> list[Slice]:
    name, p = path.name, str(path)
    if file_format(name) == "jsonl":
        if name.endswith(COMPRESSED):
            return [Slice("jsonl-stream", p, size=os.path.getsize(p) * 4)]
        return _jsonl_ranges(p, target_bytes)
    if name.endswith(".parquet"):
        return _parquet_slices(p, target_bytes)
    if name.endswith(".arrow"):
        return [Slice("arrow", p, size=os.path.getsize(p))]
    return [Slice("text", files=((p, name),), size=os.path.getsize(p))]


BALANCE_SLICES = 32  # a balanced plan cuts its inputs into slices of 1/32 of the job size


def plan_slices(inputs: list[str], target_bytes: int) -> list[Slice]:
    """Slices for every input path, in a deterministic order.

    A file is read by its extension (.jsonl/.json/.ndjson, optionally .gz/.zst; .parquet;
    .arrow; anything else is one text document). A folder with ``state.json`` or
    ``dataset_info.json`` is a HF ``save_to_disk`` folder (its .arrow files), one with
    ``dataset_dict.json`` a saved DatasetDict (the .arrow files of every split); a folder of
    only data files is read file by file; any other folder is one document per file.
    """
    slices: list[Slice] = []
    for raw in inputs:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{raw}: no such file or directory")
        if path.is_file():
            slices.extend(_file_slices(path, target_bytes))
            continue
        files = walk_files(path)
        if any((path / marker).exists() for marker in SAVE_TO_DISK_MARKERS):
            arrows = [f for f in files if f.name.endswith(".arrow")]
            if not arrows:
                raise InputError(f"{raw}: looks like a save_to_disk folder but holds no .arrow files")
            slices.extend(Slice("arrow", str(f), size=f.stat().st_size) for f in arrows)
        elif files and all(_is_data_file(f.name) for f in files):
            for f in files:
                slices.extend(_file_slices(f, target_bytes))
        else:
            group: list[tuple[str, str]] = []
            size = 0
            for f in files:
                group.append((str(f), str(f.relative_to(path))))
                size += f.stat().st_size
                if size >= target_bytes:
                    slices.append(Slice("text", files=tuple(group), size=size))
                    group, size = [], 0
            if group:
                slices.append(Slice("text", files=tuple(group), size=size))
    return slices


def group_into_jobs(slices: list[Slice], target_bytes: int, balanced: bool = False) -> list[list[Slice]]:
    """Consecutive slices packed into jobs of about ``target_bytes`` each (order kept).

    ``balanced``: as few jobs as ``target_bytes`` allows, of about equal size: cut at the slice
    boundaries nearest to the total's equal shares, one job more while any passes the target. A
    merged build asks for this: its sorted parts are merged pair by pair, so a small part left at
    a file's end costs a whole pair of lookups over a big part, and each part more costs
    (parts - 1) / 2 more lookups per entry. Its slices are cut finer (``BALANCE_SLICES``)."""
    if balanced and len(slices) > 1:
        return _balanced_jobs(slices, target_bytes)
    jobs: list[list[Slice]] = []
    current: list[Slice] = []
    size = 0
    for s in slices:
        if current and size + s.size > target_bytes:
            jobs.append(current)
            current, size = [], 0
        current.append(s)
        size += s.size
    if current:
        jobs.append(current)
    return jobs


def plan_jobs(inputs: list[str], target_bytes: int, balanced: bool = False) -> list[list[Slice]]:
    """The inputs cut into slices and packed into jobs of about ``target_bytes`` each (``balanced``:
    even jobs from slices of ``1 / BALANCE_SLICES`` of a job; see ``group_into_jobs``); [] when
    there is no input file."""
    slices = plan_slices(inputs, max(1 << 16, target_bytes // BALANCE_SLICES) if balanced else target_bytes)
    return group_into_jobs(slices, target_bytes, balanced=balanced)


def _balanced_jobs(slices: list[Slice], target_bytes: int) -> list[list[Slice]]:
    ends = np.cumsum([s.size for s in slices])  # ends[i]: bytes up to and including slice i
    total = int(ends[-1])
    n = max(1, -(-total // max(1, target_bytes)))
    while True:
        cuts = [0]
        for k in range(1, n):
            i = int(np.argmin(np.abs(ends - k * total / n))) + 1  # nearest boundary to the k-th share
            if cuts[-1] < i < len(slices):
                cuts.append(i)
        cuts.append(len(slices))
        jobs = [slices[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        if n >= len(slices) or all(sum(s.size for s in j) <= target_bytes for j in jobs if len(j) > 1):
            return jobs
        n += 1
