"""On-disk layout of an index directory, and the atomic-write and checksum helpers it relies on.

    DIR/manifest.json          written last, atomically: an index without it is unfinished
    DIR/build-plan.json        the jobs of the build (for resume and --append)
    DIR/tokenizer.json         copy of a HF tokenizer (bytes indexes have none)
    DIR/unigram.bin            u64 count per token id, summed over shards, separators excluded
    DIR/shards/J-P/            part P of shard job J (renamed into place when complete):
        tokens.bin  u8/u16/u32 LE, every document followed by the separator id
        sa.bin      u32 suffix array in numeric token order
        docs.bin    u64 document start offsets, plus one final entry = number of tokens
        meta.jsonl  one JSON object per document: {"id": ..., "source": ..., "line"|"row": ..., kept fields}
        meta.idx    u64 byte offsets of the meta lines, plus the final file size
        ids.bin     u64 pairs (hash of id, local doc index) sorted by hash: id -> document
        unigram.bin u64 counts of this part
        raw.bin/raw.idx  zstd raw text per document, for raw text and offsets: every part of a
                    normalized index, and parts where a HF tokenizer did not decode a document
                    back to its text (a lowercasing WordPiece); their manifest entry has "raw": true
    DIR/shards/job-J.json      written after all parts of job J: their names, counts and checksums
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PLAN = "build-plan.json"
SHARDS = "shards"
UNIGRAM = "unigram.bin"
TOKENIZER_FILE = "tokenizer.json"
SHARD_FILES = ("tokens.bin", "sa.bin", "docs.bin", "meta.jsonl", "meta.idx", "ids.bin", "unigram.bin")
RAW_FILES = ("raw.bin", "raw.idx")
MAX_SA_BYTES = (1 << 31) - 1  # 32-bit divsufsort limit on the byte length of a shard


def sha256_bytes(data: bytes | memoryview | np.ndarray) -> str:
    """Hex sha256 of an in-memory buffer (numpy arrays hashed without a copy)."""
    if isinstance(data, np.ndarray):
        data = memoryview(np.ascontiguousarray(data)).cast("B")
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 24) -> str:
    """Hex sha256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def write_bytes_atomic(path: Path, data: bytes | memoryview) -> None:
    """Write via a temporary file, fsync and rename, so readers see all of it or none."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: Path, obj: Any) -> None:
    write_bytes_atomic(path, (json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode())


def write_array(path: Path, arr: np.ndarray) -> dict:
    """Write an array's raw little-endian bytes and return its {size, sha256} record."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    view = memoryview(arr).cast("B") if arr.size else memoryview(b"")
    with open(path, "wb") as f:
        f.write(view)
    return {"size": arr.nbytes, "sha256": sha256_bytes(view)}


def write_blob(path: Path, data: bytes) -> dict:
    with open(path, "wb") as f:
        f.write(data)
    return {"size": len(data), "sha256": sha256_bytes(data)}


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (best effort on filesystems that refuse)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def id_hash(doc_id: str) -> int:
    """Stable 64-bit hash of a document id (for the ids.bin lookup table)."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(), "little")
