"""``Index``: the reader plus the query operations (what ``tracer.open`` returns)."""

from __future__ import annotations

from tracer.index.reader import IndexReader
from tracer.query import count as _count
from tracer.query import find as _find
from tracer.query.tokens import Query


class Index(IndexReader):
    """A memory-mapped index you can count, find, read, trace and check overlap against."""

    def count(self, query: Query) -> int:
        """Occurrences of a text or token-id sequence (overlapping, within documents)."""
        return _count.count(self, query)

    def count_many(self, queries: list[Query]) -> list[int]:
        return _count.count_many(self, queries)

    def find(self, query: Query, limit: int = 10, context: int = 80) -> _find.FindResult:
        """Count plus up to ``limit`` occurrences with documents, offsets and snippets."""
        return _find.find(self, query, limit=limit, context=context)
