"""Parquet (row groups, in batches) and Arrow IPC files (stream or file format), read with pyarrow.

``parquet_rows`` and ``arrow_rows`` are the only code that opens these formats: the build's
shard jobs and ``iter_records`` both read through them, so a truncated or corrupt file is the
same located ``InputError`` everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tracer.corpus.document import Document, ReadOptions, SkipLog, make_document
from tracer.errors import InputError

BATCH_ROWS = 1024


def _rows(batches: Iterable[Any], path: str, first_row: int) -> Iterator[tuple[int, dict[str, Any]]]:
    row = first_row
    batches = iter(batches)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except InputError:
            raise
        except Exception as e:  # a truncated or corrupt file: pyarrow's message does not name it
            raise InputError(f"{path}: cannot read rows from {row} on ({e})") from None
        for record in batch.to_pylist():
            yield row, record
            row += 1


def parquet_rows(
    path: str, groups: range | None = None, first_row: int = 0
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, record) of a Parquet file, or of its row ``groups`` whose first row is ``first_row``."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:
        raise InputError(f"{path}: not a readable Parquet file ({e})") from None
    if groups is not None and not groups:
        return iter(())
    batches = pf.iter_batches(batch_size=BATCH_ROWS, row_groups=list(groups) if groups is not None else None)
    return _rows(batches, path, first_row)


def _arrow_batches(path: str) -> Iterator[Any]:
    """Record batches of an IPC file: stream format (what ``datasets.save_to_disk`` writes), else file format."""
    import pyarrow as pa

    with pa.memory_map(path, "r") as source:
        try:
            reader = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            source.seek(0)
            try:
                freader = pa.ipc.open_file(source)
            except pa.ArrowInvalid as e:
                raise InputError(f"{path}: not an Arrow file ({e})") from None
            for i in range(freader.num_record_batches):
                yield freader.get_batch(i)
            return
        yield from reader


def arrow_rows(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number from 0, record) of one Arrow IPC file."""
    return _rows(_arrow_batches(path), path, 0)


def _documents(rows: Iterator[tuple[int, dict[str, Any]]], path: str, opts: ReadOptions,
               skips: SkipLog) -> Iterator[Document]:
    for row, record in rows:
        doc = make_document(record, f"{path}:row {row}", {"source": path, "row": row}, opts, skips)
        if doc is not None:
            yield doc


def read_parquet_groups(
    path: str, first_group: int, last_group: int, first_row: int, opts: ReadOptions, skips: SkipLog
) -> Iterator[Document]:
    """Documents of row groups [first_group, last_group); rows numbered from 0 in the file."""
    return _documents(parquet_rows(path, range(first_group, last_group), first_row), path, opts, skips)


def read_arrow_file(path: str, opts: ReadOptions, skips: SkipLog) -> Iterator[Document]:
    """Documents of one Arrow IPC file as written by ``datasets.save_to_disk``."""
    return _documents(arrow_rows(path), path, opts, skips)
