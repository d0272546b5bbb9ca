"""Full integrity check: every block of every file against its CRC-32 (tracer/index/blocks.py), or,
for an index built before block checksums, every file's sha256 against the manifest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tracer.errors import TracerError
from tracer.index import blocks
from tracer.index.format import MANIFEST, Manifest, ShardEntry

Progress = Callable[[int, int], None]


def verify(path: str | Path, progress: Progress | None = None) -> tuple[list[str], int]:
    """Return (problems, files checked). Opening first catches a missing or unfinished index."""
    problems, checked, _ = verify_index(path, progress)
    return problems, checked


def verify_index(path: str | Path, progress: Progress | None = None) -> tuple[list[str], int, str]:
    """(problems, files checked, method): method "blocks" (every block's CRC-32, a problem names the
    byte range), "sha256" (an index from before block checksums: whole files), or "mixed".

    ``progress(done_bytes, total_bytes)`` is called as the checks advance (for a progress bar).
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
            return [open_error], 0, "none"
    folders = blocks.folders_of(root, manifest)
    total = sum(int(rec.get("size", 0)) for f in folders for rec in f.files.values())
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    found = [str(p) for p in blocks.problems(root, manifest, progress=advance)]
    checked = sum(len(f.files) for f in folders)
    if open_error and not found:
        found.append(open_error)
    with_tables = [f.table is not None for f in folders]
    method = "blocks" if all(with_tables) else "sha256" if not any(with_tables) else "mixed"
    return found, checked, method


def _readable_manifest(root: Path) -> Manifest | None:
    """The manifest if it parses and lists shard files, else None."""
    import json

    try:
        m = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        ok = isinstance(m, dict) and all(isinstance(e.get("files"), dict) and "path" in e for e in m["shards"])
        if not ok:
            return None
        # only the file lists matter here: the rest may be what made opening fail
        shards = [ShardEntry(name=str(e.get("name", "")), n_tokens=0, n_docs=0, files=e["files"], path=e["path"],
                             blocks=e.get("blocks")) for e in m["shards"]]
        return Manifest(tokenizer={}, dtype="", separator=0, normalization=None, shards=shards, n_tokens=0,
                        files=dict(m.get("files") or {}), blocks=m.get("blocks"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def samples_missing(path: str | Path) -> list[str]:
    """Shard parts without the in-RAM suffix-array sample (tracer/index/sample.py); [] when the
    manifest cannot be read (verify reports that)."""
    from tracer.index.sample import missing

    manifest = _readable_manifest(Path(path))
    return missing(manifest) if manifest is not None else []
