"""Full integrity check: every file's size and sha256 against the manifest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tracer.errors import TracerError
from tracer.index.format import MANIFEST, Manifest, ShardEntry, sha256_file


def verify(path: str | Path, progress: Callable[[int, int], None] | None = None) -> tuple[list[str], int]:
    """Return (problems, files checked). Opening first catches a missing or unfinished index.

    ``progress(done_bytes, total_bytes)`` is called as the checksums advance (for a progress bar).
    """
    from tracer.index.reader import IndexReader

    root = Path(path)
    open_error = None
    try:
        manifest = IndexReader(root).record
    except TracerError as e:
        # a damaged file stops opening at the first one found: still check every file the
        # manifest lists, so that one run names them all
        open_error, manifest = str(e), _readable_manifest(root)
        if manifest is None:
            return [open_error], 0
    problems: list[str] = []
    checked = 0
    records = [(root / name, rec) for name, rec in manifest.files.items()]
    for entry in manifest.shards:
        records += [(root / entry.path / name, rec) for name, rec in entry.files.items()]
    total = sum(int(rec.get("size", 0)) for _, rec in records)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    for file, rec in records:
        checked += 1
        if not file.exists():
            problems.append(f"{file}: missing")
        elif file.stat().st_size != rec["size"]:
            problems.append(f"{file}: size {file.stat().st_size}, expected {rec['size']} (truncated?)")
        elif sha256_file(file, progress=advance) != rec["sha256"]:
            problems.append(f"{file}: checksum mismatch (corrupt)")
    if open_error and not problems:
        problems.append(open_error)
    return problems, checked


def _readable_manifest(root: Path) -> Manifest | None:
    """The manifest if it parses and lists shard files, else None."""
    import json

    try:
        m = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        ok = isinstance(m, dict) and all(isinstance(e.get("files"), dict) and "path" in e for e in m["shards"])
        if not ok:
            return None
        # only the file lists matter here: the rest may be what made opening fail
        shards = [ShardEntry(name=str(e.get("name", "")), n_tokens=0, n_docs=0, files=e["files"], path=e["path"])
                  for e in m["shards"]]
        return Manifest(tokenizer={}, dtype="", separator=0, normalization=None, shards=shards, n_tokens=0,
                        files=dict(m.get("files") or {}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
