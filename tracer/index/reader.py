"""Open an index directory: validate cheaply, memory-map every shard, read documents one at a time."""

from __future__ import annotations

import json
import mmap
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from tracer.errors import CorruptIndexError, IndexFormatError, InputError, NotFoundError
from tracer.index import pointers
from tracer.index.blocks import VERIFY_MODES, Integrity, check_tables
from tracer.index.format import (
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_REQUIRED,
    PLAN,
    RAW_FILES,
    SHARD_FILES,
    UNIGRAM,
    Manifest,
    ShardEntry,
    id_hash,
)
from tracer.index.sample import Sample, load_sample, no_sample
from tracer.tokenize import Tokenizer, tokenizer_from_spec

REBUILD = "rebuild it with `tracer build` (or rerun the original build command to resume)"


def _map(path: Path, dtype: np.dtype | str, count: int | None = None, random_access: bool = False) -> np.ndarray:
    """Read-only memory map as a plain ndarray (what numba kernels take); empty files give empty arrays.

    ``random_access``: MADV_RANDOM, for the arrays a binary search probes (tokens, suffix array).
    Without it every page-cache miss reads ahead around the page, which made a cold count on a
    150M-token index ~20x slower (~150 ms instead of a few ms; benchmarks/RESULTS.md).
    """
    dtype = np.dtype(dtype)
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=dtype)
    mapped = np.memmap(path, dtype=dtype, mode="r")
    if random_access and hasattr(mmap, "MADV_RANDOM"):
        mapped._mmap.madvise(mmap.MADV_RANDOM)
    return np.asarray(mapped)


@dataclass
class DocumentRecord:
    """A document read back from the index: its text (decoded tokens, or raw text if stored), id and metadata."""

    doc_index: int
    doc_id: str
    meta: dict[str, Any]
    text: str
    n_tokens: int
    shard: int

    def to_json(self) -> dict:
        return {"doc_index": self.doc_index, "doc_id": self.doc_id, "meta": self.meta, "n_tokens": self.n_tokens,
                "text": self.text}


class Shard:
    """One shard part: memory-mapped tokens, suffix array, document starts, metadata and id table."""

    def __init__(self, root: Path, entry: ShardEntry, dtype: np.dtype, doc_base: int, has_raw: bool,
                 samples: bool = True):
        self.path = root / entry.path
        self.name = entry.name
        self.n_tokens = entry.n_tokens
        self.n_docs = entry.n_docs
        self.doc_base = doc_base
        self.entry = entry
        self._check_sizes(dtype, has_raw)
        self.tokens = _map(self.path / "tokens.bin", dtype, random_access=True)
        width = entry.pointer_bytes
        if width not in pointers.POINTER_BYTES:
            raise IndexFormatError(f"{self.path}: manifest gives pointer_bytes {width} (4 or 5 expected); {REBUILD}")
        self.sa = pointers.view(_map(self.path / "sa.bin", np.uint32 if width == 4 else np.uint8, random_access=True),
                                width)
        self.doc_starts = _map(self.path / "docs.bin", np.uint64)
        self.meta_idx = _map(self.path / "meta.idx", np.uint64)
        ids = _map(self.path / "ids.bin", np.uint64)
        self.id_hashes = ids.reshape(-1, 2)[:, 0] if ids.size else ids
        self.id_docs = ids.reshape(-1, 2)[:, 1] if ids.size else ids
        self.has_raw = has_raw
        self._mapped: dict[str, np.ndarray] = {}  # meta.jsonl / raw.bin, mapped when first read
        if has_raw:
            self.raw_idx = _map(self.path / "raw.idx", np.uint64)
        # the in-RAM suffix-array sample (tracer/index/sample.py), checked as it is read; shards
        # built before samples have none and search the whole suffix array
        self.sample: Sample | None = load_sample(root, entry, dtype) if samples else None
        self.sample_args = self.sample.args if self.sample is not None else no_sample(dtype)
        # compiled kernels bound to this part's arrays, made on first use (tracer.query.shards.byte_count)
        self.bound_kernels: dict[str, Callable] = {}

    def _check_sizes(self, dtype: np.dtype, has_raw: bool) -> None:
        expected = {
            "tokens.bin": self.n_tokens * dtype.itemsize,
            "sa.bin": self.n_tokens * self.entry.pointer_bytes,
            "docs.bin": (self.n_docs + 1) * 8,
            "meta.idx": (self.n_docs + 1) * 8,
            "ids.bin": self.n_docs * 16,
            "raw.idx": (self.n_docs + 1) * 8,
        }
        names = SHARD_FILES + (RAW_FILES if has_raw else ())
        self.sizes: dict[str, int] = {}
        for name in names:
            f = self.path / name
            if not f.exists():
                raise IndexFormatError(f"{f}: missing shard file; the index is incomplete, {REBUILD}")
            size = self.sizes[name] = f.stat().st_size
            want = self.entry.files.get(name, {}).get("size")
            if name in expected and expected[name] != size or want is not None and want != size:
                raise IndexFormatError(
                    f"{f}: size {size} bytes, expected {want if want is not None else expected[name]} "
                    f"(truncated or corrupt); run `tracer verify` and {REBUILD}"
                )

    def corrupt(self, name: str, what: str) -> CorruptIndexError:
        """The error for a value read from this part's file ``name`` that cannot be right."""
        return CorruptIndexError(f"{self.path / name}: {what} (corrupt); run `tracer verify` and {REBUILD}")

    def bad_sa(self) -> CorruptIndexError:
        """What a kernel's CorruptArrayError means for this part: its suffix array is damaged."""
        return self.corrupt("sa.bin", "a suffix array entry points past the shard's tokens")

    def _offsets(self, arr: np.ndarray, name: str, local: int, end: int) -> tuple[int, int]:
        """arr[local], arr[local + 1], checked to be an in-order range inside [0, end]: a damaged
        docs.bin or .idx would otherwise give another document's text, silently."""
        if not 0 <= local < self.n_docs:
            raise self.corrupt(name, f"document {local} is out of range")
        a, b = int(arr[local]), int(arr[local + 1])
        if not 0 <= a <= b <= end:
            raise self.corrupt(name, f"document {local} has offsets {a}..{b} outside 0..{end}")
        return a, b

    def doc_range(self, local: int) -> tuple[int, int]:
        """Token range [start, end) of a local document, separator excluded."""
        a, b = self._offsets(self.doc_starts, "docs.bin", local, self.n_tokens)
        if b == a:  # every document ends with a separator
            raise self.corrupt("docs.bin", f"document {local} has no separator")
        return a, b - 1

    def _bytes(self, name: str) -> np.ndarray:
        """The shard file ``name`` as mapped bytes, mapped on first use and kept (a trace reads a
        few documents' metadata; opening the file for each cost ~0.15 ms a document, warm)."""
        mapped = self._mapped.get(name)
        if mapped is None:
            mapped = self._mapped[name] = _map(self.path / name, np.uint8)
        return mapped

    def meta(self, local: int) -> dict[str, Any]:
        a, b = self._offsets(self.meta_idx, "meta.idx", local, self.sizes["meta.jsonl"])
        try:
            return orjson.loads(self._bytes("meta.jsonl")[a:max(a, b)].tobytes())
        except orjson.JSONDecodeError:  # same sizes as built, so only verify's checksums tell
            raise IndexFormatError(f"{self.path / 'meta.jsonl'}: document {local} is unreadable (corrupt); "
                                   f"run `tracer verify` and {REBUILD}") from None

    def raw_text(self, local: int) -> str:
        import zstandard

        a, b = self._offsets(self.raw_idx, "raw.idx", local, self.sizes["raw.bin"])
        try:
            blob = self._bytes("raw.bin")[a:max(a, b)].tobytes()
            return zstandard.ZstdDecompressor().decompress(blob).decode("utf-8")
        except (zstandard.ZstdError, UnicodeDecodeError):
            raise IndexFormatError(f"{self.path / 'raw.bin'}: document {local} is unreadable (corrupt); "
                                   f"run `tracer verify` and {REBUILD}") from None

    def find_id(self, doc_id: str) -> list[int]:
        """Local indexes of documents whose id hashes like ``doc_id`` (the caller checks the id)."""
        h = np.uint64(id_hash(doc_id))
        lo = int(np.searchsorted(self.id_hashes, h, side="left"))
        hi = int(np.searchsorted(self.id_hashes, h, side="right"))
        found = [int(x) for x in self.id_docs[lo:hi]]
        if any(x >= self.n_docs for x in found):  # same size as built, so only verify's checksums tell
            raise IndexFormatError(f"{self.path / 'ids.bin'}: document number out of range (corrupt); "
                                   f"run `tracer verify` and {REBUILD}")
        return found


_LOCATION = re.compile(r"^(.+):(row )?(\d+)$")


def _location(meta: dict[str, Any]) -> str | None:
    """The FILE:LINE (FILE:row N) a document was read from, as ids without --id-field spell it."""
    if "line" in meta:
        return f"{meta.get('source')}:{meta['line']}"
    if "row" in meta:
        return f"{meta.get('source')}:row {meta['row']}"
    return None


class IndexReader:
    """A read-only, memory-mapped index.

    ``verify`` says when the block checksums (tracer/index/blocks.py) are checked:
    ``"off"`` (default) checks sizes and that the block tables are the manifest's, which costs a
    few KB per shard, so a library caller or a CLI command opens a 100 GB index in milliseconds;
    the kernels still refuse suffix-array entries out of range. ``"startup"`` reads every block
    before returning and raises CorruptIndexError naming the file and byte range. ``"background"``
    returns at once and scrubs in a low-priority thread; once a block failed, every query raises
    CorruptIndexError (``self.integrity`` tells the state). ``tracer verify`` checks everything.
    ``samples=False`` leaves the in-RAM samples unread (``tracer sample --repair`` rewrites them).
    """

    def __init__(self, path: str | Path, verify: str = "off", samples: bool = True):
        if verify not in VERIFY_MODES:
            raise InputError(f"verify={verify!r}: expected one of {', '.join(VERIFY_MODES)}")
        self.path = Path(path)
        self.manifest = self._load_manifest()  # as on disk (JSON)
        self.record: Manifest = self._parse_manifest(self.manifest)
        m = self.record
        self.normalization = m.normalization
        try:
            self.tokenizer: Tokenizer = tokenizer_from_spec(m.tokenizer, self.path, self.normalization)
        except InputError as e:  # the index's own copy of tokenizer.json is damaged: not the user's input
            raise IndexFormatError(f"{e}; {REBUILD}") from None
        self.dtype = np.dtype(m.dtype)
        if self.dtype != self.tokenizer.dtype:
            raise IndexFormatError(f"{self.path}: dtype {self.dtype} does not fit the tokenizer; {REBUILD}")
        self.separator = m.separator
        self._shards: list[Shard] = []
        base = 0
        for entry in m.shards:
            # raw text: every part of a normalized index; else parts marked "raw" at build time (a
            # document did not decode back to its text); indexes from before the mark have none
            has_raw = bool(self.normalization) or entry.raw
            self._shards.append(Shard(self.path, entry, self.dtype, base, has_raw, samples))
            base += entry.n_docs
        self.n_docs = base
        self.n_tokens = m.n_tokens
        self._doc_bases = np.asarray([s.doc_base for s in self._shards] + [base], dtype=np.int64)
        unigram = self.path / UNIGRAM
        if not unigram.exists() or unigram.stat().st_size != self.tokenizer.vocab_size * 8:
            raise IndexFormatError(f"{unigram}: missing or wrong size; {REBUILD}")
        self.unigram = _map(unigram, np.uint64)
        # derived data the query layer keeps per open index (tracer.query), filled on first use
        self._unigram_logprobs: np.ndarray | None = None
        self.raw_encodings: OrderedDict[tuple[int, int], Any] = OrderedDict()  # LRU of query.documents
        self.raw_encodings_lock = threading.Lock()
        # lookups in parallel threads: "auto" (while calls are slow: a cold index; a fresh one is
        # assumed cold), "on" or "off" (tracer.query.shards)
        self.parallel_shards = "auto"
        self.slow_lookups = True

        self.integrity = Integrity(self.path, self.record, verify)
        check_tables(self.path, self.record)
        if verify == "startup":
            self.integrity.verify_now()
        elif verify == "background":
            self.integrity.start_background()

    @property
    def shards(self) -> list[Shard]:
        """The shard parts; raises CorruptIndexError once a check found a damaged block, so that
        every query (they all reach the data through here) refuses rather than answers."""
        if self.integrity.problem is not None:
            self.integrity.check()
        return self._shards

    def unigram_logprobs(self) -> np.ndarray:
        """log P(token), add-one smoothed over the unigram counts (trace's span rarity), computed once."""
        if self._unigram_logprobs is None:
            counts = np.asarray(self.unigram, dtype=np.float64)
            self._unigram_logprobs = np.log((counts + 1.0) / (counts.sum() + len(counts)))
        return self._unigram_logprobs

    def _load_manifest(self) -> dict:
        p = self.path / MANIFEST
        if not self.path.is_dir():
            raise IndexFormatError(f"{self.path}: no such index directory (build one with `tracer build`)")
        if not p.exists():
            if (self.path / PLAN).exists():
                raise IndexFormatError(
                    f"{self.path}: unfinished build (no manifest.json); rerun the same `tracer build` command to resume it"
                )
            raise IndexFormatError(f"{self.path}: not a tracer index (no manifest.json); build one with `tracer build`")
        try:
            m = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise IndexFormatError(f"{p}: corrupt manifest ({e}); {REBUILD}") from None
        if not isinstance(m, dict) or m.get("format_version") != FORMAT_VERSION:
            raise IndexFormatError(
                f"{p}: index format version {m.get('format_version') if isinstance(m, dict) else '?'}, "
                f"this tracer reads version {FORMAT_VERSION}; {REBUILD}"
            )
        for key in MANIFEST_REQUIRED:
            if key not in m:
                raise IndexFormatError(f"{p}: manifest lacks '{key}'; {REBUILD}")
        return m

    def _parse_manifest(self, m: dict) -> Manifest:
        try:
            return Manifest.from_json(m)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise IndexFormatError(f"{self.path / MANIFEST}: malformed manifest ({type(e).__name__}: {e}); "
                                   f"{REBUILD}") from None

    # -- documents ------------------------------------------------------------------
    def locate_doc(self, doc_index: int) -> tuple[Shard, int]:
        if not 0 <= doc_index < self.n_docs:
            raise NotFoundError(f"no document #{doc_index} (the index has {self.n_docs})")
        s = int(np.searchsorted(self._doc_bases, doc_index, side="right")) - 1
        shard = self.shards[s]
        return shard, doc_index - shard.doc_base

    def document_text(self, shard: Shard, local: int) -> str:
        """The document's own text: raw text where stored (normalized indexes, parts of lossy
        tokenizers), else decoded tokens."""
        if shard.has_raw:
            return shard.raw_text(local)
        a, b = shard.doc_range(local)
        return self.tokenizer.decode(shard.tokens[a:b])

    def document_by_index(self, doc_index: int) -> DocumentRecord:
        shard, local = self.locate_doc(doc_index)
        meta = shard.meta(local)
        a, b = shard.doc_range(local)
        return DocumentRecord(doc_index, str(meta.get("id")), meta, self.document_text(shard, local), b - a,
                              self.shards.index(shard))

    def document(self, doc_id: str | int) -> DocumentRecord:
        """A document by its id (string) or its global number (int, or '#N')."""
        if isinstance(doc_id, int):
            return self.document_by_index(doc_id)
        if doc_id.startswith("#") and doc_id[1:].isdigit():
            return self.document_by_index(int(doc_id[1:]))
        for shard in self.shards:
            for local in shard.find_id(doc_id):
                meta = shard.meta(local)
                # an index built before record.id existed may show a record's own "id" in meta
                # while ids.bin hashes file:line: accept the location the hash was made from
                if str(meta.get("id")) == doc_id or _location(meta) == doc_id:
                    return self.document_by_index(shard.doc_base + local)
        found = self._find_location(doc_id)
        if found is not None:
            return self.document_by_index(found)
        batches = self.record.build.get("batches") or [{}]
        if not any((b.get("read") or {}).get("id_field") for b in batches):
            raise NotFoundError(f"no document with id {doc_id!r} (this index was built without --id-field: "
                                "ids are FILE:LINE, FILE:row N or #N; a record's own id field is metadata)")
        raise NotFoundError(f"no document with id {doc_id!r}")

    def _find_location(self, doc_id: str) -> int | None:
        """The document read from ``FILE:LINE`` (or ``FILE:row N``) when ids are another field
        (--id-field): a byte search of the metadata for the line number, each hit checked."""
        m = _LOCATION.match(doc_id)
        if m is None:
            return None
        key = b'"row":' if m.group(2) else b'"line":'
        needle = key + m.group(3).encode()
        for shard in self.shards:
            with open(shard.path / "meta.jsonl", "rb") as f:
                data = f.read()
            at = data.find(needle)
            while at >= 0:
                after = data[at + len(needle) : at + len(needle) + 1]
                if after in (b",", b"}"):
                    local = int(np.searchsorted(shard.meta_idx, at, side="right")) - 1
                    if 0 <= local < shard.n_docs and _location(shard.meta(local)) == doc_id:
                        return shard.doc_base + local
                at = data.find(needle, at + 1)
        return None

    def info(self) -> dict:
        m = self.record
        return {
            "path": str(self.path),
            "format_version": m.format_version,
            "tokenizer": m.tokenizer,
            "dtype": m.dtype,
            "normalization": m.normalization,
            "n_tokens": self.n_tokens,
            "n_docs": self.n_docs,
            "n_shards": len(self._shards),
            "bytes_on_disk": sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file()),
            "tool": m.tool,
        }
