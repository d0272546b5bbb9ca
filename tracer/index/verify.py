"""Full integrity check: every block of every file against its CRC-32 (tracer/index/blocks.py), or,
for an index built before block checksums, every file's sha256 against the manifest."""

from __future__ import annotations

from pathlib import Path

from tracer.errors import TracerError
from tracer.index import blocks
from tracer.index.format import MANIFEST


def verify(path: str | Path) -> tuple[list[str], int]:
    """Return (problems, files checked). Opening first catches a missing or unfinished index."""
    problems, checked, _ = verify_index(path)
    return problems, checked


def verify_index(path: str | Path) -> tuple[list[str], int, str]:
    """(problems, files checked, method): method "blocks" (every block's CRC-32, a problem names the
    byte range), "sha256" (an index from before block checksums: whole files), or "mixed"."""
    from tracer.index.reader import IndexReader

    root = Path(path)
    open_error = None
    try:
        manifest = IndexReader(root).manifest
    except TracerError as e:
        # a damaged file stops opening at the first one found: still check every file the
        # manifest lists, so that one run names them all
        open_error, manifest = str(e), _readable_manifest(root)
        if manifest is None:
            return [open_error], 0, "none"
    found = [str(p) for p in blocks.problems(root, manifest)]
    checked = sum(len(f.files) for f in blocks.folders_of(root, manifest))
    if open_error and not found:
        found.append(open_error)
    with_tables = [f.table is not None for f in blocks.folders_of(root, manifest)]
    method = "blocks" if all(with_tables) else "sha256" if not any(with_tables) else "mixed"
    return found, checked, method


def _readable_manifest(root: Path) -> dict | None:
    """The manifest if it parses and lists shard files, else None."""
    import json

    try:
        m = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        ok = isinstance(m, dict) and all(isinstance(e.get("files"), dict) and "path" in e for e in m["shards"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return m if ok else None
