"""Parquet (row groups, in batches) and HF ``save_to_disk`` Arrow files, read with pyarrow."""

from __future__ import annotations

from collections.abc import Iterator

from tracer.corpus.document import Document, ReadOptions, SkipLog, make_document
from tracer.errors import InputError


def _rows(batches, path: str, first_row: int, opts: ReadOptions, skips: SkipLog) -> Iterator[Document]:
    row = first_row
    batches = iter(batches)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as e:  # a truncated or corrupt file: pyarrow's message does not name it
            raise InputError(f"{path}: cannot read rows from {row} on ({e})") from None
        for record in batch.to_pylist():
            doc = make_document(record, f"{path}:row {row}", {"source": path, "row": row}, opts, skips)
            row += 1
            if doc is not None:
                yield doc


def read_parquet_groups(
    path: str, first_group: int, last_group: int, first_row: int, opts: ReadOptions, skips: SkipLog
) -> Iterator[Document]:
    """Rows of row groups [first_group, last_group) in batches of 1024; rows numbered from 0 in the file."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    groups = list(range(first_group, last_group))
    if not groups:
        return iter(())
    return _rows(pf.iter_batches(batch_size=1024, row_groups=groups), path, first_row, opts, skips)


def read_arrow_file(path: str, opts: ReadOptions, skips: SkipLog) -> Iterator[Document]:
    """One Arrow IPC file as written by ``datasets.save_to_disk`` (stream format; file format also read)."""
    import pyarrow as pa

    def batches():
        with pa.memory_map(path, "r") as source:
            try:
                reader = pa.ipc.open_stream(source)
            except pa.ArrowInvalid:
                source.seek(0)
                reader = pa.ipc.open_file(source)
                for i in range(reader.num_record_batches):
                    yield reader.get_batch(i)
                return
            yield from reader

    return _rows(batches(), path, 0, opts, skips)
