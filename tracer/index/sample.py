"""A shard's suffix-array sample, kept in RAM so a lookup on a cold shard reads one block from disk.

``sample.bin`` in a shard folder holds the first ``prefix`` tokens of every ``every``-th suffix
of the shard's suffix array (rows in suffix-array order, so they are sorted). A lookup first
binary-searches these rows in RAM (tracer_native.sample_bounds), which pins each end of the
query's range to one block of ``every`` entries when the query fits in ``prefix`` tokens, and
only then probes ``sa.bin``/``tokens.bin`` inside that block: log2(every) probes of the disk
instead of log2(n_tokens). It stores tokens, not pointers, so it does not depend on the suffix
array's pointer width.

    header (64 bytes): magic b"TRSMPL01", then u64 every, prefix, n_rows, itemsize, n_entries
    lens  u8[n_rows]           real tokens in each row (fewer than prefix only at the shard's end), padded to 8
    rows  dtype[n_rows, prefix] the tokens, zero-padded past lens

Defaults: every 128th suffix, 8 bytes of tokens per row (8 byte tokens, 4 u16, 2 u32): 9 bytes
per 128 tokens, 0.07 B/token against the index's >= 5 B/token, 1.4% of a bytes index, which stays
at 5.09 B/token (u32 pointers) and 6.09 (u40). A cold lookup's block of 128 entries is 512 or
640 bytes (one or two pages). Every 64th was as fast cold and warm on a 1.19G-token shard and
cost 5.16 B/token (benchmarks/RESULTS.md, session 11).

The file is listed in the manifest and covered by the shard's block checksums when the build
writes it; ``tracer sample DIR`` adds it to an index built before samples (the manifest,
rewritten atomically last, is what makes it count: whole-file sha256 there). A sample that does
not match its checksum is refused when the index opens, since a wrong sample gives wrong counts.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tracer.errors import CorruptIndexError, IndexFormatError
from tracer.index import blocks, pointers
from tracer.index.format import (
    SHARDS,
    JobRecord,
    Manifest,
    ShardEntry,
    fsync_dir,
    naming,
    write_json_atomic,
)

SAMPLE = "sample.bin"
MAGIC = b"TRSMPL01"
HEADER = 64
DEFAULT_EVERY = 128  # every shard, whatever its pointer width (u32 shards had 64 before session 11)
DEFAULT_ROW_BYTES = 8

SaSource = np.ndarray | Callable[[int, int, int], np.ndarray]


def default_prefix(itemsize: int) -> int:
    """Tokens per row: DEFAULT_ROW_BYTES of them, at least 1."""
    return max(1, DEFAULT_ROW_BYTES // itemsize)


BUCKETS = 1 << 16  # tracer_native.search.BUCKETS: kept apart so that building never imports numba
FENCE = 32  # tracer_native.search.FENCE: rows per fence key


def bucket_lookup(rows: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """The sample's lookup tables, made when a sample is loaded (~0.1 s per 10^8 rows), not stored.

    First the first row of every 16-bit key (BUCKETS + 1 entries), so a lookup starts its row
    search inside one key's rows instead of all of them (tracer_native.search.bucket_rows). Key:
    the first two tokens of byte rows (the second 0 where the row holds one), else the first
    token capped at 65535. Rows are sorted, so keys never decrease. Then, for byte rows, the
    fence (``fence_keys``)."""
    if rows.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([_bucket_starts(rows, lens), fence_keys(rows, lens)])


def fence_keys(rows: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Every FENCE-th byte row's first 8 bytes as one big-endian integer (zero-padded, top bit
    flipped so that signed order is byte order), int64: a few MB for 10^8 rows, mostly in the CPU
    caches. A lookup searches them to pin its rows to FENCE of them (256 bytes) before touching
    the rows themselves: a bucket of a common key holds ~10^4 rows, ~10 cache misses of
    ~0.4 µs each on a large machine (tracer_native.search.fence_windows). None for wider tokens."""
    if rows.dtype.itemsize != 1:
        return np.zeros(0, dtype=np.int64)
    picked = rows[::FENCE]
    width = min(8, picked.shape[1])
    padded = np.zeros((len(picked), 8), dtype=np.uint8)
    real = np.arange(width) < lens[::FENCE, None]  # a row cut short by the shard's end: zeros past it
    padded[:, :width] = np.where(real, picked[:, :width], 0)
    keys = padded.view(">u8").ravel().astype(np.uint64) ^ np.uint64(1 << 63)
    return keys.view(np.int64)


def _bucket_starts(rows: np.ndarray, lens: np.ndarray) -> np.ndarray:
    if rows.dtype.itemsize == 1:
        key = rows[:, 0].astype(np.int32) << 8
        if rows.shape[1] >= 2:
            key |= np.where(lens >= 2, rows[:, 1], 0).astype(np.int32)
    else:
        key = np.minimum(rows[:, 0], BUCKETS - 1).astype(np.int32)
    return np.searchsorted(key, np.arange(BUCKETS + 1, dtype=np.int32), side="left").astype(np.int64)


@dataclass(frozen=True)
class Sample:
    """A loaded sample: ``rows[j]`` starts suffix ``sa[j * every]`` (``lens[j]`` tokens real)."""

    rows: np.ndarray  # [n_rows, prefix], the shard's token dtype
    lens: np.ndarray  # u8 [n_rows]
    every: int
    lookup: np.ndarray = field(default=None)  # int64 [BUCKETS + 1 + fence keys]: bucket_lookup(rows, lens)

    def __post_init__(self) -> None:
        if self.lookup is None:
            object.__setattr__(self, "lookup", bucket_lookup(self.rows, self.lens))

    @property
    def args(self) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        """(rows, lens, every, lookup) as the sampled kernels take them."""
        return self.rows, self.lens, self.every, self.lookup

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.lens.nbytes + self.lookup.nbytes


def no_sample(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """The kernels' arguments for a shard without a sample (same types: no second compilation)."""
    return np.zeros((0, 1), dtype=dtype), np.zeros(0, dtype=np.uint8), 0, np.zeros(0, dtype=np.int64)


CHUNK_ROWS = 1 << 18  # rows gathered per numpy step (16 MB of int64 indexes at 8 tokens a row)


def file_source(path: Path, width: int) -> Callable[[int, int, int], np.ndarray]:
    """A suffix-array file as a ``sa(start, stop, step)`` source that reads each chunk with a
    plain read: a strided pass over a mapping would leave every page of the file resident in the
    process (22 GB of RSS for a 4.5G-token shard's u40 array), a read leaves it to the page cache."""
    def read(start: int, stop: int, step: int) -> np.ndarray:
        count = max(0, stop - start)
        raw = np.fromfile(path, dtype=np.uint8, count=count * width, offset=start * width)
        if raw.size != count * width:
            raise CorruptIndexError(f"{path}: shorter than its {stop} entries of {width} bytes (truncated)")
        return pointers.decode(pointers.view(raw, width)[::step])
    return read


def _positions(sa: SaSource, start: int, stop: int, every: int) -> np.ndarray:
    """Entries start, start+every, ... < stop of the suffix array, as int64: a 1-D integer array
    (u32), an (entries, 5) u8 array of little-endian 40-bit pointers, or a callable."""
    if callable(sa):
        return np.asarray(sa(start, stop, every), dtype=np.int64)
    if sa.ndim == 2 and sa.shape[1] == 5 and sa.dtype == np.uint8:
        b = np.asarray(sa[start:stop:every], dtype=np.int64)
        return b[:, 0] | b[:, 1] << 8 | b[:, 2] << 16 | b[:, 3] << 24 | b[:, 4] << 32
    if sa.ndim != 1:
        raise ValueError("sample: pass a 1-D suffix array, (n, 5) u8 40-bit pointers, or sa(start, stop, step)")
    return np.asarray(sa[start:stop:every], dtype=np.int64)


def encode_sample(tokens: np.ndarray, sa: SaSource, n_entries: int | None = None, every: int = DEFAULT_EVERY,
                  prefix: int | None = None) -> list[bytes | memoryview]:
    """The contents of sample.bin for a shard's tokens and suffix array, as consecutive buffers
    (written one after the other, so the rows are never copied into one big bytes object).

    ``sa``: the suffix array as a 1-D integer array (u32 today), or, for another pointer layout,
    a callable ``sa(start, stop, step)`` returning those entries as integers (then ``n_entries``,
    the number of entries, is required). Plain numpy in chunks: the build process does not load
    numba (~125 MB, tracer/index/suffix.py), and the memory beyond the output is a few MB."""
    if every < 1:
        raise ValueError(f"sample: every must be >= 1, got {every}")
    prefix = default_prefix(tokens.dtype.itemsize) if prefix is None else prefix
    if not 1 <= prefix <= 255:
        raise ValueError(f"sample: prefix must be 1..255 tokens, got {prefix}")
    if n_entries is None:
        if callable(sa):
            raise ValueError("sample: n_entries is required when sa is a callable")
        n_entries = len(sa)
    n = len(tokens)
    n_rows = -(-n_entries // every)
    rows = np.zeros((n_rows, prefix), dtype=tokens.dtype.newbyteorder("<"))
    lens = np.zeros(n_rows, dtype=np.uint8)
    offsets = np.arange(prefix, dtype=np.int64)
    for r0 in range(0, n_rows, CHUNK_ROWS):
        r1 = min(r0 + CHUNK_ROWS, n_rows)
        pos = _positions(sa, r0 * every, min(r1 * every, n_entries), every)
        if pos.size != r1 - r0 or pos.size and (pos.min() < 0 or pos.max() >= n):
            raise CorruptIndexError("sample: a suffix array entry points past the shard's tokens (corrupt suffix array)")
        idx = pos[:, None] + offsets
        real = idx < n
        rows[r0:r1] = np.where(real, tokens[np.minimum(idx, n - 1)], 0)
        lens[r0:r1] = real.sum(axis=1)
    header = np.zeros(HEADER // 8, dtype="<u8")
    header[1:6] = [every, prefix, n_rows, tokens.dtype.itemsize, n_entries]
    head = bytearray(header.tobytes())
    head[:8] = MAGIC
    return [bytes(head), memoryview(lens), b"\0" * ((-n_rows) % 8), memoryview(rows).cast("B")]


def _write_parts(path: Path, parts: list[bytes | memoryview], durable: bool = False) -> dict:
    """Write the buffers to ``path`` and return its {size, sha256} record."""
    h = hashlib.sha256()
    size = 0
    with naming(path), open(path, "wb") as f:
        for part in parts:
            f.write(part)
            h.update(part)
            size += len(part) if isinstance(part, bytes) else part.nbytes
        if durable:
            f.flush()
            os.fsync(f.fileno())
    return {"size": size, "sha256": h.hexdigest()}


def write_sample(folder: Path, tokens: np.ndarray, sa: SaSource, n_entries: int | None = None,
                 every: int = DEFAULT_EVERY, prefix: int | None = None) -> dict:
    """Write ``folder/sample.bin`` for a finished shard and return its manifest record {size, sha256}.

    Called where a shard's files are written, before its block table (so the table covers it):
    tracer/index/shard_job.py, and any other path that produces a shard (a merge)."""
    return _write_parts(Path(folder) / SAMPLE, encode_sample(tokens, sa, n_entries, every, prefix))


def _refuse(path: Path, what: str, root: Path | None = None) -> CorruptIndexError:
    where = root if root is not None else "DIR"
    return CorruptIndexError(f"{path}: {what} (corrupt); run `tracer verify`, then rewrite it with "
                             f"`tracer sample --repair {where}` (or rebuild the index)")


def decode_sample(path: Path, data: bytes, dtype: np.dtype, n_entries: int) -> Sample:
    """Parse sample.bin's bytes (already checked against their checksums) for a shard of ``n_entries``."""
    if len(data) < HEADER or data[:8] != MAGIC:
        raise _refuse(path, "not a suffix-array sample")
    every, prefix, n_rows, itemsize, entries = (int(x) for x in np.frombuffer(data, "<u8", 5, 8))
    if (itemsize != dtype.itemsize or entries != n_entries or every < 1 or not 1 <= prefix <= 255
            or n_rows != -(-n_entries // every)):
        raise _refuse(path, f"header says every={every}, prefix={prefix}, rows={n_rows}, itemsize={itemsize}, "
                            f"entries={entries}, not this shard's {n_entries} entries of {dtype.itemsize} bytes")
    lens_end = HEADER + n_rows + (-n_rows) % 8
    if len(data) != lens_end + n_rows * prefix * itemsize:
        raise _refuse(path, f"size {len(data)} does not fit its header")
    lens = np.frombuffer(data, np.uint8, n_rows, HEADER)
    rows = np.frombuffer(data, dtype.newbyteorder("<"), n_rows * prefix, lens_end).reshape(n_rows, prefix)
    return Sample(rows.astype(dtype, copy=False), lens, every)


def load_sample(root: Path, entry: ShardEntry, dtype: np.dtype) -> Sample | None:
    """The shard's sample, read into RAM and checked (block CRCs, else the manifest's sha256); None
    for a shard without one (built before samples). Raises CorruptIndexError on a damaged one."""
    record = entry.files.get(SAMPLE)
    if record is None:
        return None
    folder = root / entry.path
    path = folder / SAMPLE
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise IndexFormatError(f"{path}: missing (the manifest lists it); rewrite it with "
                               f"`tracer sample --repair {root}`, or rebuild the index") from None
    table = blocks.load_table(blocks.Folder(folder, entry.files, entry.blocks))
    problem = blocks.check_bytes(path, data, record, table)
    if problem is not None:
        where = "" if problem.start is None else f" in bytes {problem.start}-{problem.end}"
        raise _refuse(path, problem.reason + where, root)
    try:
        return decode_sample(path, data, dtype, entry.n_tokens)
    except CorruptIndexError as e:  # name the index to repair
        raise CorruptIndexError(str(e).replace("--repair DIR", f"--repair {root}")) from None


def missing(manifest: Manifest) -> list[str]:
    """Names of the shard parts without a sample (their cold lookups search the whole suffix array)."""
    return [e.name for e in manifest.shards if SAMPLE not in e.files]


def add_samples(root: str | Path, every: int | None = None, prefix: int | None = None,
                progress: Callable[[str], None] | None = None, repair: bool = False) -> list[str]:
    """Add sample.bin to every shard part of an existing index that lacks one; return their names.
    ``every``: None = ``DEFAULT_EVERY``.
    ``repair``: also rewrite samples that are missing or fail their checksum.

    Safe to interrupt and rerun: each sample file is written and fsynced first, then (repair of a
    shard whose block table covers it) that table, then the job records, and the manifest last,
    atomically; until the manifest names a sample it is ignored. Good samples are kept (to change
    the parameters, rebuild)."""
    from tracer.index.reader import IndexReader

    root = Path(root)
    reader = IndexReader(root, samples=False)  # refuses a damaged or unfinished index, bar its samples
    manifest = reader.record
    added: list[str] = []
    for entry, shard in zip(manifest.shards, reader.shards, strict=True):
        if SAMPLE in entry.files and (not repair or _sound(root, entry, reader.dtype)):
            continue
        folder = root / entry.path
        tokens = shard.tokens
        sa = file_source(folder / "sa.bin", entry.pointer_bytes)
        path = folder / SAMPLE
        tmp = path.with_name(SAMPLE + ".tmp")
        interval = every if every is not None else DEFAULT_EVERY
        record = _write_parts(tmp, encode_sample(tokens, sa, entry.n_tokens, interval, prefix), durable=True)
        os.replace(tmp, path)
        fsync_dir(folder)
        if entry.blocks is not None and SAMPLE in entry.files:  # the table covers the old one: rewrite its line
            entry.blocks = blocks.replace_file(folder, SAMPLE)
        entry.files[SAMPLE] = record
        added.append(entry.name)
        if progress is not None:
            progress(entry.name)
    if added:
        _update_job_records(root, manifest)
        manifest.save(root)
        fsync_dir(root)
    return added


def _sound(root: Path, entry: ShardEntry, dtype: np.dtype) -> bool:
    try:
        load_sample(root, entry, dtype)
        return True
    except (CorruptIndexError, IndexFormatError):
        return False


def _update_job_records(root: Path, manifest: Manifest) -> None:
    """Give the job records (what an --append rebuilds the manifest from) the new sample records."""
    by_name = {e.name: e.files.get(SAMPLE) for e in manifest.shards}
    blocks_of = {e.name: e.blocks for e in manifest.shards}
    for marker in sorted((root / SHARDS).glob("job-*.json")):
        try:
            record = JobRecord.from_json(json.loads(marker.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours to repair: the manifest still gets the sample
        changed = False
        for part in record.parts:
            rec = by_name.get(part.name)
            if rec is not None and part.files.get(SAMPLE) != rec:
                part.files[SAMPLE] = rec
                part.blocks = blocks_of.get(part.name, part.blocks)
                changed = True
        if changed:
            write_json_atomic(marker, record.to_json())
