"""``Index``: the reader plus the query operations (what ``tracer.open`` returns)."""

from __future__ import annotations

from tracer.index.reader import IndexReader
from tracer.query import count as _count
from tracer.query import find as _find
from tracer.query import trace as _trace
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

    def trace(
        self,
        text: str,
        *,
        max_count: int = 10,
        min_len: int | None = None,
        delimiters: str = "\n.",
        rank: str = "unigram",
        k: int | None = None,
        all_spans: bool = False,
        max_docs: int = 10,
        context: int = 80,
    ) -> _trace.TraceResult:
        """Long verbatim spans of ``text`` that occur at most ``max_count`` times, with their documents.

        See tracer.query.trace: maximal spans cut after delimiters and aligned to word boundaries,
        at least ``min_len`` tokens (default per tokenizer), the K = ceil(0.05 L) rarest by unigram
        log-probability (``rank="length"``: longest; ``k`` overrides K; ``all_spans`` keeps all),
        up to ``max_docs`` documents each with a BM25 score of their snippet against ``text``.
        """
        return _trace.trace(
            self, text, max_count=max_count, min_len=min_len, delimiters=delimiters, rank=rank, k=k,
            all_spans=all_spans, max_docs=max_docs, context=context,
        )
