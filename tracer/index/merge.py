"""A merge job: shard folders (sorted parts of a build, or an index's shards) -> one larger shard.

Documents and tokens are concatenated in the sources' order, so document numbers do not change.
The suffix arrays are merged in one of two ways, with byte-identical results: a few byte-token
sources (a build's sorted parts) are ranked against each other by LF-mapping, whose cost does
not depend on how repetitive the text is (tracer/index/lf_rank.py, native/lf_merge.py); any
other sources by the compare kernel ``tracer_native.merge_runs`` (native/merge.py). The output's
suffix array is u32 when its positions fit, u40 past 2^32 tokens (or as forced).

Bounded memory and resumable: the merged suffix array is cut into segments of about
``segment_entries`` entries by pivot suffixes (each source run is binary-searched for a pivot's
rank, so a segment is an independent merge of one slice of every run). A segment reads its
slices from the sources' sa.bin files (plain reads, not a mapping, so they do not stay resident),
merges them and writes its entries at their final offset in sa.bin, fsynced, and is then marked
done in ``merge-state.json`` beside the output. A killed merge resumes at the first segment not
marked; segments are a pure function of the sources, so the result is byte-identical to an
uninterrupted run. Memory: the tokens (mapped) plus ~30 bytes per entry of the segments in flight.
A ranked merge first ranks every pair of sources (each pair recorded in the state once its bits
are on disk, so a kill re-ranks only the others), writes the run labels (one byte per entry) and
cuts its segments from their counts; its segments then interleave the runs by label instead of
comparing suffixes. While it ranks it also holds one source's BWT table (3 bytes per entry) and a
4-byte histogram per thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tracer.errors import IndexFormatError
from tracer.index import lf_rank, pointers
from tracer.index.format import (
    SHARDS,
    MergeJob,
    ShardEntry,
    fsync_dir,
    naming,
    sha256_file,
    write_array,
    write_json_atomic,
)
from tracer.index.sample import SAMPLE, file_source, write_sample
from tracer.index.shard_job import finish_shard

STATE = "merge-state.json"
KILL_AFTER_ENV = "TRACER_MERGE_KILL_AFTER"  # tests: SIGKILL this process after K segments are written
SEGMENT_ENV = "TRACER_MERGE_SEGMENT_ENTRIES"  # tests: small segments, so a small merge has several
DEFAULT_SEGMENT_ENTRIES = 1 << 24  # ~0.5 GB of buffers per merging thread


def segment_entries() -> int:
    """Entries per merge segment: DEFAULT_SEGMENT_ENTRIES unless the environment says (tests)."""
    return int(os.environ.get(SEGMENT_ENV) or DEFAULT_SEGMENT_ENTRIES)
COPY_CHUNK = 1 << 24


@dataclass(frozen=True)
class Source:
    """One source shard as the merge reads it."""

    path: Path
    entry: ShardEntry
    token_offset: int
    doc_offset: int


def merge_marker(out_dir: Path, name: str) -> Path:
    """Written last by a finished merge: the merged shard's manifest entry."""
    return out_dir / SHARDS / f"merge-{name}.json"


def read_marker(out_dir: Path, name: str) -> list[ShardEntry] | None:
    """The shards a finished merge made (one; none for sources without tokens), or None: not done."""
    m = merge_marker(out_dir, name)
    if not m.exists():
        return None
    return [ShardEntry.from_json(e) for e in json.loads(m.read_text())["shards"]]


def write_marker(out_dir: Path, name: str, entries: list[ShardEntry]) -> None:
    write_json_atomic(merge_marker(out_dir, name), {"shards": [e.to_json() for e in entries]})


def _sources(root: Path, entries: list[ShardEntry]) -> list[Source]:
    out, tok, doc = [], 0, 0
    for e in entries:
        out.append(Source(root / e.path, e, tok, doc))
        tok += e.n_tokens
        doc += e.n_docs
    return out


def _copy_concat(paths: list[Path], dest: Path) -> dict:
    """Concatenate files into ``dest`` (streamed), returning its {size, sha256}."""
    h = hashlib.sha256()
    size = 0
    with naming(dest), open(dest, "wb") as out:
        for p in paths:
            with open(p, "rb") as f:
                while block := f.read(COPY_CHUNK):
                    out.write(block)
                    h.update(block)
                    size += len(block)
    return {"size": size, "sha256": h.hexdigest()}


def _shifted(sources: list[Source], name: str, shift: Callable[[Source], int], last: int) -> np.ndarray:
    """Concatenated u64 offset tables (docs.bin, meta.idx, raw.idx): each without its final entry,
    shifted by its source's base, plus the merged final entry."""
    parts = [np.fromfile(s.path / name, dtype=np.uint64)[:-1] + np.uint64(shift(s)) for s in sources]
    return np.concatenate(parts + [np.asarray([last], dtype=np.uint64)])


def _raw_pieces(src: Source, dtype: np.dtype,
                decode: Callable[[np.ndarray], str] | None) -> tuple[bytes, np.ndarray]:
    """A source's raw.bin bytes and per-document lengths; made from its decoded tokens when it has
    none (a part whose documents all decoded back to their text, merged with one that did not)."""
    if (src.path / "raw.bin").exists():
        idx = np.fromfile(src.path / "raw.idx", dtype=np.uint64)
        return (src.path / "raw.bin").read_bytes(), np.diff(idx)
    if decode is None:
        raise IndexFormatError(f"{src.path}: no raw text and no tokenizer to make it from")
    import zstandard

    comp = zstandard.ZstdCompressor(level=3)
    starts = np.fromfile(src.path / "docs.bin", dtype=np.uint64)
    tokens = np.memmap(src.path / "tokens.bin", dtype=dtype, mode="r")
    blobs = [comp.compress(decode(tokens[int(a) : int(b) - 1]).encode("utf-8")) for a, b in zip(starts[:-1], starts[1:], strict=True)]
    return b"".join(blobs), np.asarray([len(b) for b in blobs], dtype=np.uint64)


def write_side_files(tmp: Path, sources: list[Source], n_tokens: int, raw: bool, dtype: np.dtype,
                     decode: Callable[[np.ndarray], str] | None) -> dict[str, dict]:
    """Every file of the merged shard but sa.bin: concatenations, offsets shifted, ids re-sorted."""
    files = {"tokens.bin": _copy_concat([s.path / "tokens.bin" for s in sources], tmp / "tokens.bin")}
    files["docs.bin"] = write_array(tmp / "docs.bin", _shifted(sources, "docs.bin", lambda s: s.token_offset, n_tokens))
    meta_sizes = [(s.path / "meta.jsonl").stat().st_size for s in sources]
    meta_base = dict(zip([s.path for s in sources], np.cumsum([0] + meta_sizes[:-1]).tolist(), strict=True))
    files["meta.jsonl"] = _copy_concat([s.path / "meta.jsonl" for s in sources], tmp / "meta.jsonl")
    files["meta.idx"] = write_array(tmp / "meta.idx", _shifted(sources, "meta.idx", lambda s: meta_base[s.path],
                                                                sum(meta_sizes)))
    ids = np.concatenate([np.fromfile(s.path / "ids.bin", dtype=np.uint64).reshape(-1, 2)
                          + np.asarray([0, s.doc_offset], dtype=np.uint64) for s in sources])
    order = np.argsort(ids[:, 0], kind="stable")  # equal hashes stay in document order, as a build writes them
    files["ids.bin"] = write_array(tmp / "ids.bin", ids[order])
    del ids, order
    unigram = np.fromfile(sources[0].path / "unigram.bin", dtype=np.uint64)
    for s in sources[1:]:
        unigram = unigram + np.fromfile(s.path / "unigram.bin", dtype=np.uint64)
    files["unigram.bin"] = write_array(tmp / "unigram.bin", unigram)
    if raw:
        blobs, lengths = zip(*(_raw_pieces(s, dtype, decode) for s in sources), strict=True)
        with naming(tmp / "raw.bin"), open(tmp / "raw.bin", "wb") as f:
            for b in blobs:
                f.write(b)
        files["raw.bin"] = {"size": (tmp / "raw.bin").stat().st_size, "sha256": sha256_file(tmp / "raw.bin")}
        offsets = np.zeros(sum(len(x) for x in lengths) + 1, dtype=np.uint64)
        np.cumsum(np.concatenate(lengths), out=offsets[1:])
        files["raw.idx"] = write_array(tmp / "raw.idx", offsets)
    for name in files:
        with naming(tmp / name), open(tmp / name, "rb") as fh:
            os.fsync(fh.fileno())
    return files


def _sa_map(src: Source) -> np.ndarray:
    width = src.entry.pointer_bytes
    raw = np.memmap(src.path / "sa.bin", dtype=np.uint32 if width == 4 else np.uint8, mode="r")
    return pointers.view(np.asarray(raw), width)


def plan_cuts(tokens: np.ndarray, sep: int, sources: list[Source], segment_entries: int) -> np.ndarray:
    """(runs, segments + 1) cut indexes: segment j takes run m's entries [cuts[m, j], cuts[m, j+1])."""
    from tracer_native import rank_in_run

    n = sum(s.entry.n_tokens for s in sources)
    segments = max(1, -(-n // max(1, segment_entries)))
    k = len(sources)
    cuts = np.zeros((k, segments + 1), dtype=np.int64)
    cuts[:, -1] = [s.entry.n_tokens for s in sources]
    r = max(range(k), key=lambda m: sources[m].entry.n_tokens)
    run_r = _sa_map(sources[r])
    for j in range(1, segments):
        i = (j * sources[r].entry.n_tokens) // segments
        pivot = int(pointers.sa_slice(run_r, i, i + 1)[0]) + sources[r].token_offset
        for m, s in enumerate(sources):
            cuts[m, j] = i if m == r else rank_in_run(tokens, sep, _sa_map(s), s.token_offset, pivot, m < r)
    return cuts


def _read_run(src: Source, lo: int, hi: int) -> np.ndarray:
    """Entries [lo, hi) of a source's suffix array as global int64 positions (a read, not a map)."""
    width = src.entry.pointer_bytes
    count = hi - lo
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    with open(src.path / "sa.bin", "rb") as f:
        f.seek(lo * width)
        raw = np.fromfile(f, dtype=np.uint32 if width == 4 else np.uint8, count=count * (1 if width == 4 else 5))
    positions = pointers.decode(pointers.view(raw, width))
    positions += src.token_offset
    return positions


def _shrink_sources(sources: list[Source], cuts: np.ndarray, done: set[int]) -> None:
    """Truncate every source's sa.bin below the lowest segment from which all later ones are done:
    no segment left to run reads those entries (a resumed merge neither)."""
    frontier = cuts.shape[1] - 1
    while frontier - 1 in done:
        frontier -= 1
    for m, s in enumerate(sources):
        keep = int(cuts[m, frontier]) * s.entry.pointer_bytes
        path = s.path / "sa.bin"
        if path.exists() and path.stat().st_size > keep:
            os.truncate(path, keep)


class _State:
    """merge-state.json: the side files once written, the cuts, and the segments done."""

    def __init__(self, path: Path, signature: dict):
        self.path = path
        self.lock = threading.Lock()
        self.data: dict = {"signature": signature, "files": None, "done": []}
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except ValueError:
                old = None
            if isinstance(old, dict) and old.get("signature") == signature:
                self.data = old

    def save(self) -> None:
        write_json_atomic(self.path, self.data)


def _rank_runs(tokens: np.ndarray, sources: list[Source], runs: list[lf_rank.Run], labels: Path,
               state: _State, workers: int) -> None:
    """The merge order as run labels (tracer/index/lf_rank.py), each ranked pair recorded in the state."""
    from tracer.index.builder import available_memory

    state.data.setdefault("pairs", [])
    state.save()

    def record(pair: tuple[int, int]) -> None:
        with state.lock:
            state.data["pairs"] = sorted(set(map(tuple, state.data["pairs"])) | {pair})
            state.save()

    def read(m: int, lo: int, hi: int) -> np.ndarray:
        return _read_run(sources[m], lo, hi)

    ranked = {(int(i), int(j)) for i, j in state.data["pairs"]}
    lf_rank.write_labels(tokens, runs, labels, ranked, record, read, workers, int(available_memory() * 0.8))


def merge_shards(root: Path, entries: list[ShardEntry], name: str, *, separator: int, dtype: np.dtype,
                 pointer_bytes: int | None = None, workers: int = 1, segment_entries: int = 1 << 24,
                 decode: Callable[[np.ndarray], str] | None = None,
                 progress: Callable[[int], None] | None = None, consume: bool = False) -> ShardEntry:
    """Merge the shards ``entries`` of the index at ``root`` into ``root/shards/<name>``; resumable.

    ``consume``: the sources are private to this merge (a build's parts): their tokens.bin goes once
    the merged one is written, and their sa.bin files shrink as the merge proceeds (segments run
    from the last, and every source is truncated below the lowest segment done), so the disk holds
    about one copy of the data at a time instead of two.
    """
    from tracer_native import interleave, merge_runs

    sources = _sources(root, entries)
    n_tokens = sum(e.n_tokens for e in entries)
    n_docs = sum(e.n_docs for e in entries)
    width = pointers.auto_pointer_bytes(n_tokens, pointer_bytes)
    raw = any((s.path / "raw.bin").exists() for s in sources)
    shards = root / SHARDS
    tmp, final = shards / (name + ".tmp"), shards / name
    tmp.mkdir(parents=True, exist_ok=True)
    signature = {"sources": [e.name for e in entries], "n_tokens": n_tokens, "width": width,
                 "segment_entries": segment_entries}
    state = _State(tmp / STATE, signature)
    if state.data["files"] is None:
        files = write_side_files(tmp, sources, n_tokens, raw, np.dtype(dtype), decode)
        state.data["files"] = files
        state.save()
    if consume:
        for s in sources:
            (s.path / "tokens.bin").unlink(missing_ok=True)
    files = dict(state.data["files"])
    tokens = np.asarray(np.memmap(tmp / "tokens.bin", dtype=dtype, mode="r")) if n_tokens else np.zeros(0, dtype)
    labels_path = tmp / lf_rank.LABELS
    if "cuts" not in state.data:
        runs = [lf_rank.Run(s.token_offset, s.entry.n_tokens) for s in sources]
        if lf_rank.applies(tokens, separator, runs):
            _rank_runs(tokens, sources, runs, labels_path, state, workers)
            state.data["cuts"] = lf_rank.cuts_from_labels(labels_path, len(sources), segment_entries).tolist()
        else:
            state.data["cuts"] = plan_cuts(tokens, separator, sources, segment_entries).tolist()
        state.save()
        shutil.rmtree(tmp / lf_rank.PAIRS, ignore_errors=True)  # the labels hold what the pairs said
    cuts = np.asarray(state.data["cuts"], dtype=np.int64)
    by_labels = labels_path.exists() and "pairs" in state.data
    sa_path = tmp / "sa.bin"
    if not sa_path.exists() or sa_path.stat().st_size != n_tokens * width:
        with open(sa_path, "ab") as f:
            f.truncate(n_tokens * width)
    done = set(state.data["done"])
    kill_after = int(os.environ.get(KILL_AFTER_ENV, "0") or 0)
    written = 0
    fd = os.open(sa_path, os.O_RDWR)

    def segment(j: int) -> None:
        nonlocal written
        src = np.concatenate([_read_run(s, int(cuts[m, j]), int(cuts[m, j + 1])) for m, s in enumerate(sources)])
        sizes = cuts[:, j + 1] - cuts[:, j]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        out = np.empty(src.shape[0], dtype=np.int64)
        first = int(cuts[:, j].sum())  # the segment's first merged entry
        if by_labels:
            interleave(lf_rank.segment_labels(labels_path, first, first + src.shape[0]), src, bounds, out)
        else:
            merge_runs(tokens, separator, src, bounds, out)
        del src
        data = memoryview(pointers.encode(out, width)).cast("B")
        start = first * width
        with naming(sa_path):
            view = data
            while view.nbytes:
                n = os.pwrite(fd, view, start)
                view, start = view[n:], start + n
            os.fsync(fd)
        with state.lock:
            state.data["done"] = sorted(set(state.data["done"]) | {j})
            state.save()
            if consume:
                _shrink_sources(sources, cuts, set(state.data["done"]))
            written += 1
            if kill_after and written >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        if progress is not None:
            progress(out.shape[0])

    todo = [j for j in range(cuts.shape[1] - 1) if j not in done]
    if consume:
        todo.reverse()  # from the end, so that the sources can shrink from their ends
    try:
        if workers <= 1 or len(todo) <= 1:
            for j in todo:
                segment(j)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(segment, todo))
    finally:
        os.close(fd)
    files["sa.bin"] = {"size": n_tokens * width, "sha256": sha256_file(sa_path)}
    if n_tokens:  # the in-RAM sample for cold lookups, as every shard job writes one
        files[SAMPLE] = write_sample(tmp, tokens, file_source(sa_path, width), n_tokens)
    labels_path.unlink(missing_ok=True)
    shutil.rmtree(tmp / lf_rank.PAIRS, ignore_errors=True)  # also after a kill right after the cuts
    (tmp / STATE).unlink()
    blocks = finish_shard(tmp, files)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    fsync_dir(shards)
    entry = ShardEntry(name, n_tokens, n_docs, files, raw=any(e.raw for e in entries),
                       path=f"{SHARDS}/{name}", blocks=blocks, pointer_bytes=width)
    write_marker(root, name, [entry])
    return entry


def run_merge_job(job: MergeJob, progress: Callable[[int], None] | None = None) -> list[ShardEntry]:
    """A build's merge: the parts of ``job.job_ids`` (from their job records) into one shard; the
    parts are deleted once the merged shard is in place. Done already: returns what it made."""
    from tracer.index.format import BuildPlan, JobRecord, job_marker

    root = Path(job.out_dir)
    entries = [p for j in job.job_ids for p in JobRecord.from_json(json.loads(job_marker(root, j).read_text())).parts]
    done = read_marker(root, job.name)
    if done is None:
        if entries:
            tokenizer = BuildPlan.load(root).tokenizer.without_normalization().load()
            done = [merge_shards(root, entries, job.name, separator=tokenizer.separator, dtype=tokenizer.dtype,
                                 pointer_bytes=job.pointer_bytes, workers=job.workers,
                                 segment_entries=job.segment_entries, decode=tokenizer.decode, progress=progress,
                                 consume=True)]
        else:
            done = []
            write_marker(root, job.name, done)
    for e in entries:  # also after a kill between the marker and this clean-up
        shutil.rmtree(root / e.path, ignore_errors=True)
    return done
