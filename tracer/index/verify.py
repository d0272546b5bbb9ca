"""Full integrity check: every file's size and sha256 against the manifest."""

from __future__ import annotations

from pathlib import Path

from tracer.errors import TracerError
from tracer.index.format import sha256_file


def verify(path: str | Path) -> tuple[list[str], int]:
    """Return (problems, files checked). Opening first catches a missing or unfinished index."""
    from tracer.index.reader import IndexReader

    root = Path(path)
    try:
        reader = IndexReader(root)
    except TracerError as e:
        return [str(e)], 0
    problems: list[str] = []
    checked = 0
    records = [(root / name, rec) for name, rec in reader.manifest.get("files", {}).items()]
    for entry in reader.manifest["shards"]:
        records += [(root / entry["path"] / name, rec) for name, rec in entry["files"].items()]
    for file, rec in records:
        checked += 1
        if not file.exists():
            problems.append(f"{file}: missing")
        elif file.stat().st_size != rec["size"]:
            problems.append(f"{file}: size {file.stat().st_size}, expected {rec['size']} (truncated?)")
        elif sha256_file(file) != rec["sha256"]:
            problems.append(f"{file}: checksum mismatch (corrupt)")
    return problems, checked
