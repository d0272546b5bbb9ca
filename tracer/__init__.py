"""tracer: training-data tracing, contamination and membership search over one suffix-array index."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "build", "open"]


def open(path: str, **kwargs):  # noqa: A001 - mirrors the builtin on purpose: tracer.open(path)
    """Open an index directory read-only (memory-mapped): a ``tracer.query.index.Index``, the
    ``IndexReader`` (tracer.index.reader) with the query methods."""
    from tracer.query.index import Index

    return Index(path, **kwargs)


def build(inputs, out, **kwargs):
    """Build an index; see ``tracer.index.builder.build``."""
    from tracer.index.builder import build as _build

    return _build(inputs, out, **kwargs)
