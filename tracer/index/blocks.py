"""Block checksums of index files: corruption found where it is, and checkable while serving.

Every folder of index files (each shard part, and the index root for ``unigram.bin`` and
``tokenizer.json``) gets a ``blocks.json`` at build time: a CRC-32 of every 1 MiB block of every
file. The folder's record in the manifest holds ``"blocks": {size, sha256}`` of that table (beside
its ``"files"``, which stay as they were), so the manifest and the tables vouch for each other (a manifest copied from another build is refused
when the tables are read, which is cheap: a few KB per part).

Why blocks rather than one hash per file: a failing block names the file *and* the byte range, a
reader can check one block without reading the whole file, and a background scrub can stop and
report at the first bad block. CRC-32 (zlib, stdlib) detects every burst of up to 32 bits and
misses random damage with probability 2^-32 per block; it runs at GB/s and releases the GIL, so a
scrub thread barely slows the server's query threads. Indexes built before block checksums have
no ``blocks.json``: they are checked against the manifest's whole-file sha256 instead.

    Integrity(root, manifest, folders).start_background() -> a scrub thread; .check() raises once a
    block failed. verify_all(...) -> every problem (``tracer verify``); first_problem(...) -> startup.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tracer.errors import CorruptIndexError
from tracer.index.format import Manifest, sha256_file, write_bytes_atomic

BLOCKS = "blocks.json"
BLOCK_SIZE = 1 << 20
ALGORITHM = "crc32"
VERIFY_MODES = ("off", "startup", "background")
REBUILD = "rebuild it with `tracer build`"

log = logging.getLogger("tracer.index")


def file_crcs(path: Path, block_size: int = BLOCK_SIZE) -> list[int]:
    """CRC-32 of every ``block_size`` block of a file (the last one may be shorter)."""
    out = []
    with open(path, "rb") as f:
        while block := f.read(block_size):
            out.append(zlib.crc32(block))
    return out


def write_block_table(folder: Path, names: Iterable[str]) -> dict:
    """Write ``folder/blocks.json`` for the named files and return its {size, sha256} record."""
    files = {}
    for name in sorted(names):
        path = folder / name
        files[name] = {"size": path.stat().st_size, ALGORITHM: file_crcs(path)}
    data = (json.dumps({"algorithm": ALGORITHM, "block_size": BLOCK_SIZE, "files": files},
                       sort_keys=True, separators=(",", ":")) + "\n").encode()
    write_bytes_atomic(folder / BLOCKS, data)
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def replace_file(folder: Path, name: str) -> dict:
    """Rewrite one file's line of ``folder/blocks.json`` (a rewritten sample) and return the table's
    new {size, sha256} record; the other files' checksums are kept as they were."""
    table = json.loads((folder / BLOCKS).read_text(encoding="utf-8"))
    path = folder / name
    table["files"][name] = {"size": path.stat().st_size, ALGORITHM: file_crcs(path, table["block_size"])}
    data = (json.dumps(table, sort_keys=True, separators=(",", ":")) + "\n").encode()
    write_bytes_atomic(folder / BLOCKS, data)
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@dataclass(frozen=True)
class Problem:
    """One damaged file, or one damaged block of it (``start``/``end`` in bytes; None: whole file)."""

    file: Path
    reason: str
    start: int | None = None
    end: int | None = None

    def __str__(self) -> str:
        where = f" in bytes {self.start}-{self.end}" if self.start is not None else ""
        return f"{self.file}: {self.reason}{where} (corrupt)"

    def error(self) -> CorruptIndexError:
        return CorruptIndexError(f"{self}; run `tracer verify` and {REBUILD}")


@dataclass(frozen=True)
class Folder:
    """A folder of index files, their manifest records {name: {size, sha256}}, and the record of
    its block table (None: built before block checksums)."""

    path: Path
    files: dict[str, dict]
    table: dict | None


def folders_of(root: Path, manifest: Manifest) -> list[Folder]:
    """The index root and every shard part, as the manifest lists them."""
    out = [Folder(root, manifest.files, manifest.blocks)]
    out += [Folder(root / e.path, e.files, e.blocks) for e in manifest.shards]
    return out


def read_table(folder: Folder) -> tuple[dict | None, Problem | None]:
    """(the folder's block table, None), (None, None) for an index built before block checksums,
    or (None, problem) when the table is missing, damaged or not the one the manifest names (a
    manifest copied from another build)."""
    record = folder.table
    if record is None:
        return None, None
    path = folder.path / BLOCKS
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, Problem(path, f"unreadable ({e.strerror})")
    if len(data) != record["size"] or hashlib.sha256(data).hexdigest() != record["sha256"]:
        return None, Problem(path, "not the block table manifest.json names (damaged, or a manifest from another build)")
    try:
        table = json.loads(data)
        if table["algorithm"] != ALGORITHM or not isinstance(table["block_size"], int) or table["block_size"] < 1:
            return None, Problem(path, f"unknown checksum algorithm {table['algorithm']!r}")
    except (ValueError, KeyError, TypeError):
        return None, Problem(path, "unreadable block table")
    return table, None


def load_table(folder: Folder) -> dict | None:
    """``read_table`` that raises CorruptIndexError on a problem."""
    table, problem = read_table(folder)
    if problem is not None:
        raise problem.error()
    return table


def blocks_present(root: Path, manifest: Manifest) -> bool:
    """Whether every folder has a block table (False: an index from before them, whole files only)."""
    return all(f.table is not None for f in folders_of(root, manifest))


def _check_file(path: Path, record: dict, table: dict | None, stop: threading.Event | None,
                progress: Callable[[int], None] | None = None) -> Iterator[Problem]:
    """Problems of one file: by block where the table covers it, else by whole-file sha256."""
    if not path.exists():
        yield Problem(path, "missing")
        return
    size = path.stat().st_size
    covered = table["files"].get(path.name) if table else None
    want = covered["size"] if covered else record.get("size")
    if want is not None and size != want:
        yield Problem(path, f"size {size}, expected {want} (truncated?)")
        return
    if covered is None:
        if sha256_file(path, progress=progress) != record["sha256"]:
            yield Problem(path, "checksum mismatch")
        return
    bs = table["block_size"]
    crcs = covered[ALGORITHM]
    with open(path, "rb") as f:
        for k, want_crc in enumerate(crcs):
            if stop is not None and stop.is_set():
                return
            block = f.read(bs)
            if progress is not None:
                progress(len(block))
            if zlib.crc32(block) != want_crc:
                yield Problem(path, f"checksum mismatch in block {k}", k * bs, k * bs + len(block))


def check_bytes(path: Path, data: bytes, record: dict, table: dict | None) -> Problem | None:
    """The first problem of a file already read into memory (a shard's in-RAM sample): by block
    where the folder's table covers it, else by the manifest record's size and sha256."""
    covered = table["files"].get(path.name) if table else None
    want = covered["size"] if covered else record.get("size")
    if want is not None and len(data) != want:
        return Problem(path, f"size {len(data)}, expected {want} (truncated?)")
    if covered is None:
        if hashlib.sha256(data).hexdigest() != record.get("sha256"):
            return Problem(path, "checksum mismatch")
        return None
    bs = table["block_size"]
    view = memoryview(data)
    for k, want_crc in enumerate(covered[ALGORITHM]):
        block = view[k * bs : (k + 1) * bs]
        if zlib.crc32(block) != want_crc:
            return Problem(path, f"checksum mismatch in block {k}", k * bs, k * bs + len(block))
    return None


def problems(root: Path, manifest: Manifest, stop: threading.Event | None = None,
             progress: Callable[[int], None] | None = None) -> Iterator[Problem]:
    """Every problem of the index's files, folder by folder (lazy: a caller may stop at the first);
    ``progress(n_bytes)`` is called as bytes are checked."""
    for folder in folders_of(root, manifest):
        table, problem = read_table(folder)
        if problem is not None:
            yield problem  # the files are still checked, against the manifest's sha256
        for name, record in folder.files.items():
            yield from _check_file(folder.path / name, record, table, stop, progress)


def first_problem(root: Path, manifest: Manifest) -> Problem | None:
    return next(problems(root, manifest), None)


def check_tables(root: Path, manifest: Manifest) -> None:
    """The cheap part, done on every open: each block table is the one the manifest names."""
    for folder in folders_of(root, manifest):
        load_table(folder)


def _lower_priority() -> None:
    """Nice this thread (Linux threads have their own nice value) so a scrub yields the CPU."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class Integrity:
    """What is known of an open index's data: unchecked, checking, ok or corrupt.

    ``start_background`` scrubs every block in a daemon thread at low priority; at the first bad
    block it logs the file and byte range, records the problem and calls ``on_corrupt``. From then
    on ``check()`` raises CorruptIndexError, which the reader does before every query.
    """

    def __init__(self, root: Path, manifest: Manifest, mode: str = "off"):
        self.root, self.manifest, self.mode = root, manifest, mode
        self.state = "unchecked"
        self.problem: Problem | None = None
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[Problem], None]] = []

    @property
    def corrupt(self) -> bool:
        return self.problem is not None

    def check(self) -> None:
        if self.problem is not None:
            raise self.problem.error()

    def verify_now(self) -> None:
        """Check every block before returning (``verify="startup"``); raise at the first bad one."""
        self.state = "checking"
        found = first_problem(self.root, self.manifest)
        self._finish(found)
        self.check()

    def on_corrupt(self, fn: Callable[[Problem], None]) -> None:
        """Call ``fn(problem)`` when a scrub finds a bad block (at once if one already did)."""
        self._listeners.append(fn)
        if self.problem is not None:
            fn(self.problem)

    def start_background(self) -> Integrity:
        if self._thread is None:
            self.state = "checking"
            self._thread = threading.Thread(target=self._scrub, name="tracer-scrub", daemon=True)
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the scrub to finish; True when it did."""
        return self.done.wait(timeout)

    def stop(self) -> None:
        self._stop.set()

    def _scrub(self) -> None:
        _lower_priority()
        try:
            found = next(problems(self.root, self.manifest, self._stop), None)
        except OSError as e:  # a file vanished or became unreadable while serving
            found = Problem(Path(e.filename or self.root), f"unreadable ({e.strerror})")
        if self._stop.is_set() and found is None:
            self.state = "unchecked"
            self.done.set()
            return
        self._finish(found)
        if found is None:
            log.info("%s: every block checked, no corruption", self.root)

    def _finish(self, found: Problem | None) -> None:
        self.problem = found
        self.state = "corrupt" if found else "ok"
        self.done.set()
        if found is not None:
            log.error("%s: %s", self.root, found)
            for fn in self._listeners:
                fn(found)
