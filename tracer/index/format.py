"""On-disk layout of an index directory, and the atomic-write and checksum helpers it relies on.

    DIR/manifest.json          written last, atomically: an index without it is unfinished
    DIR/build-plan.json        the jobs of the build (for resume and --append)
    DIR/tokenizer.json         copy of a HF tokenizer (bytes indexes have none)
    DIR/unigram.bin            u64 count per token id, summed over shards, separators excluded
    DIR/shards/J-P/            part P of shard job J (renamed into place when complete):
        tokens.bin  u8/u16/u32 LE, every document followed by the separator id
        sa.bin      suffix array in numeric token order: u32, or u40 (5 LE bytes) when the
                    entry says "pointer_bytes": 5 (tracer/index/pointers.py)
        docs.bin    u64 document start offsets, plus one final entry = number of tokens
        meta.jsonl  one JSON object per document: {"id": ..., "source": ..., "line"|"row": ..., kept fields}
        meta.idx    u64 byte offsets of the meta lines, plus the final file size
        ids.bin     u64 pairs (hash of id, local doc index) sorted by hash: id -> document
        unigram.bin u64 counts of this part
        sample.bin  every 128th suffix's first tokens, read into RAM to narrow lookups (tracer/index/sample.py)
        raw.bin/raw.idx  zstd raw text per document, for raw text and offsets: every part of a
                    normalized index, and parts where a HF tokenizer did not decode a document
                    back to its text (a lowercasing WordPiece); their manifest entry has "raw": true
    DIR/shards/job-J.json      written after all parts of job J: their names, counts and checksums
    DIR/shards/merge-NAME.json written when merged shard NAME is complete (tracer/index/merge.py):
                               its manifest entry; a build's MergeJob, or a compaction's group
    DIR/folds.json             compactions done: which consecutive shards each new one replaced
    DIR/compact-plan.json      a compaction in progress (tracer/index/compact.py)

The JSON records (build-plan.json, job-J.json, manifest.json) are read and written only through
the dataclasses below (``BuildPlan`` > ``PlanBatch`` > ``ShardJob``, ``JobRecord``, ``Manifest`` >
``ShardEntry``): their ``to_json`` / ``from_json`` are the one place that knows the keys.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tracer.corpus import ReadOptions, Slice
from tracer.tokenize import BYTES, HF, NORMALIZATION_NAME, TokenizerSpec

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


def sha256_file(path: Path, chunk: int = 1 << 24, progress: Callable[[int], None] | None = None) -> str:
    """Hex sha256 of a file, streamed; ``progress(bytes)`` after each chunk."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
            if progress is not None:
                progress(len(block))
    return h.hexdigest()


@contextmanager
def naming(path: Path) -> Iterator[None]:
    """Give an OSError raised while writing ``path`` that path: a full disk (ENOSPC) raised by
    write() or fsync() names no file, and "No space left on device" alone does not say where."""
    try:
        yield
    except OSError as e:
        if e.filename is not None:
            raise
        raise OSError(e.errno, e.strerror or str(e), str(path)) from e


def write_bytes_atomic(path: Path, data: bytes | memoryview) -> None:
    """Write via a temporary file, fsync and rename, so readers see all of it or none."""
    tmp = path.with_name(path.name + ".tmp")
    with naming(tmp), open(tmp, "wb") as f:
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
    with naming(path), open(path, "wb") as f:
        f.write(view)
    return {"size": arr.nbytes, "sha256": sha256_bytes(view)}


def write_blob(path: Path, data: bytes) -> dict:
    with naming(path), open(path, "wb") as f:
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


# -- build records --------------------------------------------------------------------------

DEFAULT_SA_BACKEND = "pydivsufsort"


def _read_json(d: ReadOptions) -> dict:
    return {"text_field": d.text_field, "id_field": d.id_field, "on_error": d.on_error}


@dataclass(frozen=True)
class ShardJob:
    """Everything a shard job needs; pickled to pool workers and Ray tasks, saved in the plan.

    On disk the tokenizer keeps its original shape (``"tokenizer"``: "bytes" or the file path,
    ``"normalize"``: bool), so plans written by earlier versions resume.
    """

    job_id: int
    slices: tuple[Slice, ...]
    out_dir: str
    tokenizer: TokenizerSpec
    read: ReadOptions
    part_tokens: int
    sa_backend: str = DEFAULT_SA_BACKEND  # how the job sorts, not what it makes: the same suffix array
    device: str | None = None  # torch backend only: "cuda", "cpu", or None for cuda when available
    pointer_bytes: int | None = None  # suffix-array width of its parts: None = narrowest that fits

    @property
    def input_bytes(self) -> int:
        return sum(s.size for s in self.slices)

    def to_json(self) -> dict:
        d = {
            "job_id": self.job_id,
            "slices": [s.to_json() for s in self.slices],
            "out_dir": self.out_dir,
            "tokenizer": self.tokenizer.file if self.tokenizer.kind == HF else BYTES,
            "normalize": self.tokenizer.normalized,
            "read": _read_json(self.read),
            "part_tokens": self.part_tokens,
        }
        if self.sa_backend != DEFAULT_SA_BACKEND:  # plans of default builds keep their old shape
            d["sa_backend"], d["device"] = self.sa_backend, self.device
        if self.pointer_bytes is not None:
            d["pointer_bytes"] = self.pointer_bytes
        return d

    @staticmethod
    def from_json(d: dict, tokenizer: TokenizerSpec | None = None) -> ShardJob:
        """``tokenizer``: the plan's spec (with its fingerprint), else one made from the job's keys."""
        if tokenizer is None:
            norm = NORMALIZATION_NAME if d["normalize"] else None
            tokenizer = (TokenizerSpec.parse(BYTES, bool(norm)) if d["tokenizer"] == BYTES
                         else TokenizerSpec(HF, d["tokenizer"], None, norm))
        return ShardJob(
            job_id=d["job_id"],
            slices=tuple(Slice.from_json(s) for s in d["slices"]),
            out_dir=d["out_dir"],
            tokenizer=tokenizer,
            read=ReadOptions(**d["read"]),
            part_tokens=d["part_tokens"],
            sa_backend=d.get("sa_backend", DEFAULT_SA_BACKEND),
            device=d.get("device"),
            pointer_bytes=d.get("pointer_bytes"),
        )


@dataclass(frozen=True)
class MergeJob:
    """Merge the parts of consecutive shard jobs into one shard (tracer/index/merge.py): planned
    with its batch when --shard-tokens exceeds --sort-tokens; done once shards/merge-NAME.json exists."""

    merge_id: int
    name: str  # the merged shard's folder under DIR/shards
    out_dir: str
    job_ids: tuple[int, ...]
    pointer_bytes: int | None = None  # None: u32 when the positions fit, else u40
    workers: int = 1  # threads merging segments at once
    segment_entries: int = 1 << 24  # suffix-array entries per resumable segment

    input_bytes = 0  # progress is counted by the shard jobs that read the input

    def to_json(self) -> dict:
        return {"merge_id": self.merge_id, "name": self.name, "out_dir": self.out_dir,
                "job_ids": list(self.job_ids), "pointer_bytes": self.pointer_bytes,
                "segment_entries": self.segment_entries}

    @staticmethod
    def from_json(d: dict) -> MergeJob:
        return MergeJob(merge_id=int(d["merge_id"]), name=d["name"], out_dir=d["out_dir"],
                        job_ids=tuple(int(j) for j in d["job_ids"]), pointer_bytes=d.get("pointer_bytes"),
                        segment_entries=int(d.get("segment_entries", 1 << 24)))


@dataclass
class PlanBatch:
    """The jobs of one ``tracer build`` invocation (the first build, or one --append)."""

    inputs: list[str]
    fingerprint: list[dict]  # per input: its files with size and mtime, to recognise a rerun
    read: ReadOptions
    part_tokens: int  # tokens sorted at once (a part of a shard job)
    jobs: list[ShardJob]
    merges: list[MergeJob] = field(default_factory=list)  # parts merged into larger shards (none: as sorted)
    shard_tokens: int | None = None  # with merges: the --shard-tokens they were planned for

    def to_json(self) -> dict:
        d = {"inputs": self.inputs, "fingerprint": self.fingerprint, "read": _read_json(self.read),
             "part_tokens": self.part_tokens, "jobs": [j.to_json() for j in self.jobs]}
        if self.merges:  # plans without merges keep their old shape
            d["merges"] = [m.to_json() for m in self.merges]
            d["shard_tokens"] = self.shard_tokens
        return d

    @staticmethod
    def from_json(d: dict, tokenizer: TokenizerSpec) -> PlanBatch:
        return PlanBatch(inputs=d["inputs"], fingerprint=d["fingerprint"], read=ReadOptions(**d["read"]),
                         part_tokens=d["part_tokens"], jobs=[ShardJob.from_json(j, tokenizer) for j in d["jobs"]],
                         merges=[MergeJob.from_json(m) for m in d.get("merges", [])],
                         shard_tokens=d.get("shard_tokens"))

    def summary(self) -> dict:
        """What the manifest records of the batch."""
        d = {"inputs": self.inputs, "read": _read_json(self.read), "part_tokens": self.part_tokens,
             "jobs": len(self.jobs)}
        if self.merges:
            d["merges"], d["shard_tokens"] = len(self.merges), self.shard_tokens
        return d


@dataclass
class BuildPlan:
    """build-plan.json: saved before any work, so that a rerun resumes and --append adds a batch."""

    tokenizer: TokenizerSpec  # its file is the index's own copy (DIR/tokenizer.json) for HF
    batches: list[PlanBatch]
    format_version: int = FORMAT_VERSION

    @property
    def jobs(self) -> list[ShardJob]:
        return [j for b in self.batches for j in b.jobs]

    def next_job_id(self) -> int:
        return max(j.job_id for j in self.jobs) + 1

    def to_json(self) -> dict:
        return {"format_version": self.format_version, "tokenizer_kind": self.tokenizer.kind,
                "normalize": self.tokenizer.normalized, "batches": [b.to_json() for b in self.batches]}

    @staticmethod
    def from_json(d: dict, out: Path) -> BuildPlan:
        """Jobs get the plan's spec, fingerprint included (read from the index's tokenizer copy)."""
        from tracer.tokenize.spec import file_fingerprint

        norm = NORMALIZATION_NAME if d["normalize"] else None
        if d["tokenizer_kind"] == HF:
            file = out / TOKENIZER_FILE
            spec = TokenizerSpec(HF, str(file), file_fingerprint(file), norm)
        else:
            spec = TokenizerSpec.parse(BYTES, bool(norm))
        batches = []
        for b in d["batches"]:
            # each job names the file as it was given (a relative --out stays relative)
            job_spec = spec if not b["jobs"] or b["jobs"][0]["tokenizer"] == BYTES else \
                spec.with_file(b["jobs"][0]["tokenizer"])
            batches.append(PlanBatch.from_json(b, job_spec))
        return BuildPlan(spec, batches, d.get("format_version", FORMAT_VERSION))

    def save(self, out: Path) -> None:
        write_json_atomic(out / PLAN, self.to_json())

    @staticmethod
    def load(out: Path) -> BuildPlan:
        return BuildPlan.from_json(json.loads((out / PLAN).read_text()), out)


@dataclass
class ShardEntry:
    """One shard part as the manifest lists it (and, without ``path``, as its job record does)."""

    name: str
    n_tokens: int
    n_docs: int
    files: dict[str, dict]  # file name -> {"size", "sha256"}
    raw: bool = False  # keeps raw text although the index is not normalized (a lossy tokenizer)
    path: str = ""  # relative to the index directory: "shards/<name>"
    blocks: dict | None = None  # {size, sha256} of the part's blocks.json (None: built before block checksums)
    pointer_bytes: int = 4  # suffix-array entry width: 4 (u32) or 5 (u40, past 2^32 tokens); absent = 4
    extra: dict = field(default_factory=dict)  # keys this version does not know, kept as they were

    KEYS = ("name", "n_tokens", "n_docs", "files", "path", "blocks", "pointer_bytes")

    def to_json(self, with_path: bool = True) -> dict:
        d = {**self.extra, "name": self.name, "n_tokens": self.n_tokens, "n_docs": self.n_docs, "files": self.files}
        if self.blocks is not None:
            d["blocks"] = self.blocks
        if with_path:
            d["path"] = self.path
        if self.raw:
            d["raw"] = True
        if self.pointer_bytes != 4:  # u32 shards keep the shape older readers know
            d["pointer_bytes"] = self.pointer_bytes
        return d

    @staticmethod
    def from_json(d: dict) -> ShardEntry:
        extra = {k: v for k, v in d.items() if k not in ShardEntry.KEYS and not (k == "raw" and v is True)}
        return ShardEntry(name=d["name"], n_tokens=int(d["n_tokens"]), n_docs=int(d["n_docs"]), files=d["files"],
                          raw=d.get("raw") is True, path=d.get("path", f"{SHARDS}/{d['name']}"),
                          blocks=d.get("blocks"), pointer_bytes=int(d.get("pointer_bytes", 4)), extra=extra)


@dataclass
class JobRecord:
    """shards/job-J.json: written by a finished job; its presence is what makes the job done."""

    job_id: int
    parts: list[ShardEntry]
    skipped: int
    skipped_where: list[str]
    input_bytes: int

    def to_json(self) -> dict:
        return {"job_id": self.job_id, "parts": [p.to_json(with_path=False) for p in self.parts],
                "skipped": self.skipped, "skipped_where": self.skipped_where, "input_bytes": self.input_bytes}

    @staticmethod
    def from_json(d: dict) -> JobRecord:
        return JobRecord(d["job_id"], [ShardEntry.from_json(p) for p in d["parts"]], d["skipped"],
                         d["skipped_where"], d["input_bytes"])


def job_marker(out_dir: Path, job_id: int) -> Path:
    return out_dir / SHARDS / f"job-{job_id:05d}.json"


FOLDS = "folds.json"  # compactions made: which consecutive shards each new shard replaced
COMPACT_PLAN = "compact-plan.json"  # a compaction in progress (removed when it is done)


@dataclass
class Fold:
    """One shard made by ``tracer compact`` from consecutive shards (``sources``, by name)."""

    name: str
    sources: list[str]
    shards: list[ShardEntry]

    def to_json(self) -> dict:
        return {"name": self.name, "sources": self.sources, "shards": [s.to_json() for s in self.shards]}

    @staticmethod
    def from_json(d: dict) -> Fold:
        return Fold(d["name"], list(d["sources"]), [ShardEntry.from_json(s) for s in d["shards"]])


def load_folds(root: Path) -> list[Fold]:
    p = root / FOLDS
    return [Fold.from_json(f) for f in json.loads(p.read_text())["folds"]] if p.exists() else []


def save_folds(root: Path, folds: list[Fold]) -> None:
    write_json_atomic(root / FOLDS, {"folds": [f.to_json() for f in folds]})


def apply_folds(root: Path, shards: list[ShardEntry]) -> list[ShardEntry]:
    """The shard list after the compactions recorded in ``root/folds.json``: a rebuild of the
    manifest (a resumed build, an --append) then lists the compacted shards, not their sources."""
    for fold in load_folds(root):
        names = [s.name for s in shards]
        if fold.sources and fold.sources[0] in names:
            i = names.index(fold.sources[0])
            if names[i : i + len(fold.sources)] == fold.sources:
                shards = shards[:i] + fold.shards + shards[i + len(fold.sources) :]
    return shards


@dataclass
class CompactPlan:
    """compact-plan.json: the groups of consecutive shards a compaction merges, saved before any work."""

    max_shards: int
    pointer_bytes: int | None
    groups: list[Fold]  # their ``shards`` are filled in as the merges finish (not saved here)

    def to_json(self) -> dict:
        return {"max_shards": self.max_shards, "pointer_bytes": self.pointer_bytes,
                "groups": [{"name": g.name, "sources": g.sources} for g in self.groups]}

    @staticmethod
    def from_json(d: dict) -> CompactPlan:
        return CompactPlan(int(d["max_shards"]), d.get("pointer_bytes"),
                           [Fold(g["name"], list(g["sources"]), []) for g in d["groups"]])


MANIFEST_REQUIRED = ("tokenizer", "dtype", "separator", "shards", "n_tokens")


@dataclass
class Manifest:
    """manifest.json: written last, atomically; what a reader opens and ``tracer verify`` checks."""

    tokenizer: dict  # the tokenizer's own spec(): kind, vocab_size, fingerprint (, file)
    dtype: str
    separator: int
    normalization: str | None
    shards: list[ShardEntry]
    n_tokens: int
    files: dict[str, dict] = field(default_factory=dict)  # index-level files: unigram.bin, tokenizer.json
    blocks: dict | None = None  # {size, sha256} of the root's blocks.json (None: built before block checksums)
    n_docs: int = 0
    skipped_records: int = 0
    build: dict = field(default_factory=dict)  # {"batches": [PlanBatch.summary(), ...]}
    tool: dict | None = None
    format_version: int = FORMAT_VERSION
    extra: dict = field(default_factory=dict)  # keys this version does not know, kept as they were

    KEYS = ("tokenizer", "dtype", "separator", "normalization", "shards", "n_tokens", "files", "blocks", "n_docs",
            "skipped_records", "build", "tool", "format_version")

    def to_json(self) -> dict:
        return {**self.extra, "format_version": self.format_version, "tool": self.tool,
                "tokenizer": self.tokenizer, "dtype": self.dtype, "separator": self.separator,
                "normalization": self.normalization, "shards": [s.to_json() for s in self.shards],
                "files": self.files, "n_tokens": self.n_tokens, "n_docs": self.n_docs,
                "skipped_records": self.skipped_records, "build": self.build,
                **({"blocks": self.blocks} if self.blocks is not None else {})}

    @staticmethod
    def from_json(d: dict) -> Manifest:
        """Raises KeyError/TypeError/ValueError on a malformed record (callers name the file)."""
        shards = [ShardEntry.from_json(e) for e in d["shards"]]
        return Manifest(
            tokenizer=d["tokenizer"], dtype=d["dtype"], separator=int(d["separator"]),
            normalization=d.get("normalization"), shards=shards, n_tokens=int(d["n_tokens"]),
            files=d.get("files", {}), blocks=d.get("blocks"), n_docs=int(d.get("n_docs", sum(s.n_docs for s in shards))),
            skipped_records=int(d.get("skipped_records", 0)), build=d.get("build", {}), tool=d.get("tool"),
            format_version=d.get("format_version", FORMAT_VERSION),
            extra={k: v for k, v in d.items() if k not in Manifest.KEYS},
        )

    def save(self, out: Path) -> None:
        write_json_atomic(out / MANIFEST, self.to_json())
