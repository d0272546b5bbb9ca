"""Exact counts of token sequences, summed over shards (overlapping, never across documents)."""

from __future__ import annotations

import numpy as np

from tracer.index.reader import IndexReader
from tracer.query.tokens import Query, query_variants
from tracer_native import CorruptArrayError, count_batch, count_sequence, ids_searchable


def _ready_ids(index: IndexReader, query: Query) -> np.ndarray | None:
    """The query itself when it is already a valid id array of the index's dtype, else None.

    The general checks (``query_variants``) cost several numpy calls, 3-4x the search itself on
    a warm index; this one-pass check takes the common programmatic case. Anything it rejects
    goes through ``query_variants``, so answers and error messages are unchanged.
    """
    if (type(query) is np.ndarray and query.ndim == 1 and query.size and query.dtype == index.dtype
            and ids_searchable(query, index.tokenizer.vocab_size, index.separator)):
        return query
    return None


def count(index: IndexReader, query: Query) -> int:
    ready = _ready_ids(index, query)
    total = 0
    for ids in [ready] if ready is not None else query_variants(index, query):
        for shard in index.shards:
            try:
                total += count_sequence(shard.tokens, shard.sa, ids)
            except CorruptArrayError:
                raise shard.bad_sa() from None
    return int(total)


def count_many(index: IndexReader, queries: list[Query]) -> list[int]:
    """Counts of many queries at once: one kernel call per shard for the whole batch."""
    owner: list[int] = []
    seqs: list[np.ndarray] = []
    for qi, q in enumerate(queries):
        ready = _ready_ids(index, q)
        for ids in [ready] if ready is not None else query_variants(index, q):
            owner.append(qi)
            seqs.append(ids)
    offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in seqs], out=offsets[1:])
    flat = np.concatenate(seqs).astype(index.dtype) if seqs else np.zeros(0, dtype=index.dtype)
    per_seq = np.zeros(len(seqs), dtype=np.int64)
    for shard in index.shards:
        try:
            per_seq += count_batch(shard.tokens, shard.sa, flat, offsets)
        except CorruptArrayError:
            raise shard.bad_sa() from None
    out = np.zeros(len(queries), dtype=np.int64)
    np.add.at(out, np.asarray(owner, dtype=np.int64), per_seq)
    return [int(x) for x in out]
