"""Every occurrence of many spans at once: SA ranges -> all positions -> documents.

``find`` samples a few occurrences for display; decontamination must act on all of them, so
this returns every position of every span as flat arrays (one row per occurrence), located
in its document with one vectorized ``documents_of_positions`` call per shard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracer.errors import IndexFormatError
from tracer.index.pointers import sa_slice
from tracer.index.reader import IndexReader
from tracer.query.documents import positions_to_docs
from tracer.query.longest import spans_with_counts


@dataclass
class Occurrences:
    """One row per occurrence: which span (index into the spans asked for), the global document
    number, and the token range [start, start + length) inside that document."""

    span: np.ndarray  # int64
    doc: np.ndarray  # int64, global document number
    start: np.ndarray  # int64, token offset inside the document
    length: np.ndarray  # int64
    shard: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.span)


def locate_spans(index: IndexReader, ids: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> Occurrences:
    """All occurrences of the spans ``ids[starts[j] : starts[j] + lengths[j]]`` in every shard."""
    ids = np.ascontiguousarray(ids, dtype=index.dtype)
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    empty = np.zeros(0, np.int64)
    if len(starts) == 0:
        return Occurrences(empty, empty, empty, empty, empty)
    ranges = spans_with_counts(index, ids, starts, lengths).ranges
    cols: list[list[np.ndarray]] = [[], [], [], [], []]
    for shard_no, (shard, (lo, hi)) in enumerate(zip(index.shards, ranges, strict=True)):
        hit = np.flatnonzero(hi > lo)
        if len(hit) == 0:
            continue
        sizes = (hi - lo)[hit]
        positions = np.concatenate([sa_slice(shard.sa, a, b) for a, b in zip(lo[hit].tolist(), hi[hit].tolist(), strict=True)])
        positions = positions.astype(np.int64)
        if positions.max() >= shard.n_tokens:  # only a corrupt sa.bin points past its shard
            raise IndexFormatError(f"{shard.path / 'sa.bin'}: position {positions.max()} is out of range (corrupt); "
                                   "run `tracer verify` and rebuild the index")
        local = positions_to_docs(shard, positions).astype(np.int64)
        span_no = np.repeat(hit, sizes)
        cols[0].append(span_no)
        cols[1].append(local + shard.doc_base)
        cols[2].append(positions - shard.doc_starts[local].astype(np.int64))
        cols[3].append(lengths[span_no])
        cols[4].append(np.full(len(positions), shard_no, np.int64))
    if not cols[0]:
        return Occurrences(empty, empty, empty, empty, empty)
    return Occurrences(*(np.concatenate(c) for c in cols))
