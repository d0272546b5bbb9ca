"""A shard job: (its slices of the input, the tokenizer, parameters) -> shard part files.

The job is a pure function of its ``ShardJob`` description: no global state, output written
atomically under ``DIR/shards``. The local builder runs it in a process pool; a cluster
executor can run the very same function as a remote task.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from tracer.corpus import SkipLog, read_slice
from tracer.errors import InputError
from tracer.index import pointers
from tracer.index.blocks import write_block_table
from tracer.index.format import (
    DEFAULT_SA_BACKEND,
    SHARDS,
    JobRecord,
    ShardEntry,
    ShardJob,
    fsync_dir,
    id_hash,
    job_marker,
    naming,
    write_array,
    write_blob,
    write_json_atomic,
)
from tracer.index.sample import SAMPLE, write_sample
from tracer.index.sorters import SA_BACKENDS, get_sorter
from tracer.index.suffix import max_shard_tokens, return_freed_heap
from tracer.tokenize import BYTES, Tokenizer

BATCH_DOCS = 512

__all__ = ["DEFAULT_SA_BACKEND", "SA_BACKENDS", "ShardJob", "job_marker", "run_shard_job"]


class _PartBuffer:
    """Tokens, document starts and metadata of the part being filled."""

    def __init__(self) -> None:
        self.pieces: list[np.ndarray] = []
        self.n_tokens = 0
        self.starts: list[int] = []
        self.meta_lines: list[bytes] = []
        self.ids: list[str] = []
        self.raw: list[bytes] = []
        self.lossy = False  # a document of this part does not decode back to its text: keep raw text

    def __len__(self) -> int:
        return len(self.starts)


COUNT_CHUNK = 1 << 22  # tokens per np.bincount call (32 MB of int64 at a time)


def token_counts(tokens: np.ndarray, minlength: int, skip: int | None = None) -> np.ndarray:
    """np.bincount in chunks: on a whole part it casts the tokens to int64 first, 8 bytes per
    token, which was the build's memory peak (1.2 GB for 150M byte tokens, above the sort's)."""
    total = np.zeros(minlength, dtype=np.uint64)
    for i in range(0, len(tokens), COUNT_CHUNK):
        part = tokens[i : i + COUNT_CHUNK]
        if skip is not None:
            part = part[part != skip]
        c = np.bincount(part, minlength=minlength)
        if len(c) > len(total):
            total = np.concatenate([total, np.zeros(len(c) - len(total), dtype=np.uint64)])
        total[: len(c)] += c.astype(np.uint64)
    return total


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (glibc malloc.h)


def _trim_thread_heaps() -> None:
    """Let glibc give back the heaps of the tokenizer's threads as they empty.

    A HF tokenizer encodes on its own threads, each with a malloc arena; glibc trims an arena's
    top only above M_TRIM_THRESHOLD, which it raises to 64 MB as large blocks come and go, and
    malloc_trim() leaves other threads' arena tops alone. So ~80 MB of freed encoder memory stayed
    resident through the sort (47M BPE tokens). Fixing both thresholds (mmap at the dynamic
    maximum, so big blocks behave as before) keeps the trimming on. Process-wide: for builds only.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(M_TRIM_THRESHOLD, 4 << 20)


def _join_pieces(buf: _PartBuffer, dtype: np.dtype) -> np.ndarray:
    """The part's tokens in one array, each piece released as soon as it is copied: np.concatenate
    keeps every piece alive until the copy is done, twice the part's tokens at once."""
    tokens = np.empty(buf.n_tokens, dtype=dtype)
    pos = 0
    pieces = buf.pieces
    for i, piece in enumerate(pieces):
        tokens[pos : pos + piece.shape[0]] = piece
        pos += piece.shape[0]
        pieces[i] = None
    if pos != buf.n_tokens:
        raise AssertionError(f"part pieces hold {pos} tokens, counted {buf.n_tokens}")
    pieces.clear()
    return tokens


@dataclass(frozen=True)
class _Vocab:
    """What writing a part needs of the tokenizer: the tokenizer itself is released before the sort."""

    dtype: np.dtype
    separator: int
    vocab_size: int


def _write_side_files(tmp: Path, tokens: np.ndarray, tok: _Vocab, buf: _PartBuffer, keep_raw: bool) -> dict:
    """Every file of a part but the suffix array; empties ``buf``, so that neither its lists nor
    the joined blobs (raw.bin's can be tens of MB) stay alive through the sort."""
    files: dict[str, dict] = {}
    starts = np.asarray(buf.starts + [len(tokens)], dtype=np.uint64)
    files["docs.bin"] = write_array(tmp / "docs.bin", starts)
    meta_blob = b"".join(buf.meta_lines)
    files["meta.jsonl"] = write_blob(tmp / "meta.jsonl", meta_blob)
    offsets = np.zeros(len(buf.meta_lines) + 1, dtype=np.uint64)
    np.cumsum([len(m) for m in buf.meta_lines], out=offsets[1:])
    files["meta.idx"] = write_array(tmp / "meta.idx", offsets)
    hashes = np.asarray([id_hash(i) for i in buf.ids], dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    files["ids.bin"] = write_array(tmp / "ids.bin", np.stack([hashes[order], order.astype(np.uint64)], axis=1))
    if tok.dtype.itemsize <= 2:
        counts = token_counts(tokens, tok.separator + 1)
    else:
        counts = token_counts(tokens, tok.vocab_size, skip=tok.separator)
    counts = counts[: tok.vocab_size].copy()
    if tok.separator < tok.vocab_size:
        counts[tok.separator] = 0
    files["unigram.bin"] = write_array(tmp / "unigram.bin", counts)
    if keep_raw:
        raw_blob = b"".join(buf.raw)
        files["raw.bin"] = write_blob(tmp / "raw.bin", raw_blob)
        raw_off = np.zeros(len(buf.raw) + 1, dtype=np.uint64)
        np.cumsum([len(r) for r in buf.raw], out=raw_off[1:])
        files["raw.idx"] = write_array(tmp / "raw.idx", raw_off)
    buf.starts.clear()
    buf.meta_lines.clear()
    buf.ids.clear()
    buf.raw.clear()
    return files


def _write_part(job: ShardJob, tok: _Vocab, part: int, buf: _PartBuffer) -> ShardEntry:
    """Sort and write one part into a temporary folder, then rename it into place."""
    name = f"{job.job_id:05d}-{part:02d}"
    root = Path(job.out_dir) / SHARDS
    tmp = root / (name + ".tmp")
    final = root / name
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(final, ignore_errors=True)
    with naming(tmp):
        tmp.mkdir(parents=True)
    n_docs = len(buf)
    tokens = _join_pieces(buf, tok.dtype)
    files = {"tokens.bin": write_array(tmp / "tokens.bin", tokens)}
    lossy = buf.lossy
    files.update(_write_side_files(tmp, tokens, tok, buf, job.tokenizer.normalized or lossy))
    n_tokens = len(tokens)
    # Before the sort, the build's peak: glibc keeps the arenas the tokenizer's threads freed
    # (~0.2 GB after a 150 MB BPE part; peak 0.95 -> 0.74 GB).
    return_freed_heap()
    sa = get_sorter(job.sa_backend).sort(tokens, job.device)
    width = pointers.auto_pointer_bytes(n_tokens, job.pointer_bytes)
    files["sa.bin"] = write_array(tmp / "sa.bin", sa if width == 4 else pointers.encode(sa, width))
    files[SAMPLE] = write_sample(tmp, tokens, sa)  # the in-RAM sample for cold lookups
    del sa, tokens
    blocks = finish_shard(tmp, files)
    os.replace(tmp, final)
    fsync_dir(root)
    # normalized parts always have raw text; other parts say so
    return ShardEntry(name, n_tokens, n_docs, files, raw=lossy and not job.tokenizer.normalized,
                      path=f"{SHARDS}/{name}", blocks=blocks, pointer_bytes=width)


def finish_shard(folder: Path, files: dict[str, dict]) -> dict:
    """The last step of writing every shard folder, whichever job wrote it (a shard job's part, a
    merged or a compacted shard): per-file block checksums, then everything fsynced, before the
    caller renames the folder into place. Returns the blocks.json record for the manifest entry.

    Files derived from a finished shard (an in-RAM search sample, say) belong here, written
    before the block table so that it covers them and ``tracer verify`` checks them too.
    """
    blocks = write_block_table(folder, files)  # CRC-32 per 1 MiB block: reads name what is damaged
    for f in folder.iterdir():
        with naming(f), open(f, "rb") as fh:
            os.fsync(fh.fileno())
    return blocks


RECORD_ID = "record.id"  # where a record's own "id" field goes when it is not the document id


def meta_line(doc_id: str, meta: dict, id_field: str | None) -> bytes:
    """One meta.jsonl line: ``"id"`` is always the document id, the one shown and looked up.

    A record's own ``id`` field is the document id only with ``--id-field id``; otherwise (no
    --id-field: the id is file:line; or another --id-field) it is kept as ``record.id``, so it
    can no longer overwrite the id that ids.bin hashes (found by ``tracer doc``).
    """
    if "id" in meta and id_field != "id":
        meta = {(RECORD_ID if k == "id" else k): v for k, v in meta.items()}
    return orjson.dumps({"id": doc_id, **meta}, option=orjson.OPT_SORT_KEYS) + b"\n"


# Also cut a batch at this much text: a HF tokenizer holds ~300 bytes per token of a batch while
# encoding it, so 512 large files (a source tree) made a transient 0.4 GB+ (benchmarks/RESULTS.md).
BATCH_CHARS = 1 << 20


# Text whose pieces a tokenizer must decode one by one to the same characters as the whole.
CONCAT_PROBE = "Hello, World! the cat sat.\nx  y (z) 42"


def _decodes_by_parts(tok: Tokenizer) -> bool:
    """Whether decoding a prefix of a document's tokens gives the prefix of its text, which char
    offsets from decoding need: true of byte-level BPE; a WordPiece or Metaspace decoder joins
    tokens with spaces or strips a leading one, so its indexes keep raw text in every part."""
    ids = tok.encode(CONCAT_PROBE)
    whole = tok.decode(ids)
    return all(tok.decode(ids[:k]) + tok.decode(ids[k:]) == whole for k in range(1, len(ids)))


def _mark_lossy(buf: _PartBuffer, tok: Tokenizer, compressor) -> None:
    """Start keeping raw text in this part: its earlier documents decode exactly (they passed the
    check), so their raw text is their decoded tokens (pieces alternate document ids, separator)."""
    buf.lossy = True
    buf.raw = [compressor.compress(tok.decode(ids).encode("utf-8")) for ids in buf.pieces[0::2]]


def run_shard_job(job: ShardJob, progress: Callable[[int], None] | None = None) -> JobRecord:
    """Read, tokenize, sort and write every part of one job; return the job record (also saved).

    The tokenizer is ``job.tokenizer.load()``, normalization included: documents are encoded as
    the index sees them, and their raw text is kept for offsets where it differs.
    """
    spec = job.tokenizer
    if spec.kind != BYTES:
        _trim_thread_heaps()
    tok: Tokenizer | None = spec.load()
    vocab = _Vocab(tok.dtype, tok.separator, tok.vocab_size)
    sep = np.asarray([tok.separator], dtype=tok.dtype)
    limit = min(job.part_tokens, max_shard_tokens(tok.dtype.itemsize))
    skips = SkipLog()
    parts: list[ShardEntry] = []
    buf = _PartBuffer()
    # A HF tokenizer may not round-trip (a lowercasing WordPiece): documents and char offsets
    # would come from decode(), so parts with such a document keep raw text (manifest "raw"), and
    # so do all parts where decoding by pieces does not give offsets. Bytes round-trip; normalized
    # indexes keep raw text anyway.
    check_lossless = spec.kind != BYTES and not spec.normalized
    raw_everywhere = check_lossless and not _decodes_by_parts(tok)
    compressor = None
    if spec.normalized or check_lossless:
        import zstandard

        compressor = zstandard.ZstdCompressor(level=3)

    def flush() -> None:
        # The tokenizer (~30 MB for a 32k BPE, more with the heap its encoding left) is dropped for
        # the sort, the build's memory peak, and loaded again if input remains.
        nonlocal buf, tok
        if len(buf):
            tok = None
            spec.release()
            parts.append(_write_part(job, vocab, len(parts), buf))
        buf = _PartBuffer()

    def add_batch(docs: list) -> None:
        nonlocal tok
        if tok is None:
            tok = spec.load()
        encoded = tok.encode_batch([d.text for d in docs])  # a normalizing tokenizer normalizes
        done = 0
        for doc, ids in zip(docs, encoded, strict=True):
            need = len(ids) + 1
            if need > limit:
                raise InputError(f"{doc.doc_id}: document of {need} tokens exceeds the shard size {limit}; "
                                 "raise --shard-tokens")
            if buf.n_tokens + need > limit:
                flush()
            if check_lossless and not buf.lossy:
                if tok is None:  # dropped by flush() for the sort
                    tok = spec.load()
                if raw_everywhere or tok.decode(ids) != doc.text:
                    _mark_lossy(buf, tok, compressor)
            buf.starts.append(buf.n_tokens)
            buf.pieces.append(ids)
            buf.pieces.append(sep)
            buf.n_tokens += need
            buf.ids.append(doc.doc_id)
            buf.meta_lines.append(meta_line(doc.doc_id, doc.meta, job.read.id_field))
            if spec.normalized or buf.lossy:
                buf.raw.append(compressor.compress(doc.text.encode("utf-8")))
            done += len(doc.text)
        if progress:
            progress(done)

    batch: list = []
    batch_chars = 0
    for s in job.slices:
        for doc in read_slice(s, job.read, skips):
            batch.append(doc)
            batch_chars += len(doc.text)
            if len(batch) >= BATCH_DOCS or batch_chars >= BATCH_CHARS:
                add_batch(batch)
                batch, batch_chars = [], 0
    if batch:
        add_batch(batch)
    flush()
    record = JobRecord(job.job_id, parts, skips.count, skips.where, job.input_bytes)
    write_json_atomic(job_marker(Path(job.out_dir), job.job_id), record.to_json())
    return record
