"""Exact counts of token sequences, summed over shards (overlapping, never across documents)."""

from __future__ import annotations

import numpy as np

from tracer.index.reader import IndexReader
from tracer.query.shards import byte_count, byte_ids, map_shards, sa_checked, shard_count
from tracer.query.tokens import Query, query_variants
from tracer.tokenize.bytes_tokenizer import BytesTokenizer
from tracer_native import ids_searchable, sampled_count_batch


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


def _plain_bytes(index: IndexReader, query: Query) -> np.ndarray | None:
    """A text query's ids on a byte-level index without normalization: its UTF-8 bytes (``byte_ids``),
    the one variant ``query_variants`` would give (skipping its generic checks saves ~2 µs of a
    ~5 µs warm count). None for anything else, which then takes the general path (and its error
    messages)."""
    if type(query) is not str or not query or type(index.tokenizer) is not BytesTokenizer:
        return None
    try:
        return byte_ids(query)
    except UnicodeEncodeError:
        return None


def count(index: IndexReader, query: Query) -> int:
    shards = index.shards
    ready = _plain_bytes(index, query)
    if ready is not None and len(shards) == 1:  # the warm fast path: ~3 µs, half of it the kernel
        return byte_count(shards[0], ready)
    if ready is None:
        ready = _ready_ids(index, query)
    variants = [ready] if ready is not None else query_variants(index, query)
    if len(shards) == 1:  # the common warm case, a few µs: no fan-out machinery
        return sum(shard_count(shards[0], ids) for ids in variants)
    # threads only when asked ("on"): measured on 2 shards, they saved 0.3 ms of a 1.5 ms cold count and
    # cost ~18 µs of a 11 µs warm one (benchmarks/RESULTS.md, "Cold lookups")
    threads = getattr(index, "parallel_shards", "auto") == "on"
    total = 0
    for ids in variants:
        total += sum(map_shards(index, lambda shard, ids=ids: shard_count(shard, ids), parallel_ok=threads))
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
    def one(shard) -> np.ndarray:
        with sa_checked(shard):
            return sampled_count_batch(shard.tokens, shard.sa, *shard.sample_args, flat, offsets)

    per_seq = np.zeros(len(seqs), dtype=np.int64)
    for part in map_shards(index, one):
        per_seq += part
    out = np.zeros(len(queries), dtype=np.int64)
    np.add.at(out, np.asarray(owner, dtype=np.int64), per_seq)
    return [int(x) for x in out]
