"""tracer: training-data tracing, contamination and membership search over one suffix-array index."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "build", "open"]


def open(path: str, verify: str = "off", **kwargs):  # noqa: A001 - mirrors the builtin on purpose
    """Open an index directory read-only (memory-mapped); see ``tracer.query.index.Index``.

    ``verify``: when to check every block checksum. ``"off"`` (default: opening stays cheap; sizes
    and the block tables are checked, and queries refuse out-of-range data), ``"startup"`` (read
    every block first; CorruptIndexError names the file and byte range), ``"background"`` (a
    low-priority scrub thread; queries raise CorruptIndexError once it found a bad block).
    """
    from tracer.query.index import Index

    return Index(path, verify=verify, **kwargs)


def build(inputs, out, **kwargs):
    """Build an index; see ``tracer.index.builder.build``."""
    from tracer.index.builder import build as _build

    return _build(inputs, out, **kwargs)
