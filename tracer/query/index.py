"""``Index``: the reader plus the query operations (what ``tracer.open`` returns)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from tracer.index.reader import IndexReader
from tracer.query import count as _count
from tracer.query import find as _find
from tracer.query import trace as _trace
from tracer.query.options import FindOptions, TraceOptions
from tracer.query.tokens import Query


class Index(IndexReader):
    """A memory-mapped index you can count, find, read and trace against."""

    def count(self, query: Query) -> int:
        """Occurrences of a text or token-id sequence (overlapping, within documents)."""
        return _count.count(self, query)

    def count_many(self, queries: list[Query]) -> list[int]:
        return _count.count_many(self, queries)

    def find(self, query: Query, options: FindOptions | None = None, **overrides) -> _find.FindResult:
        """Count plus up to ``limit`` occurrences with documents, offsets and snippets (``FindOptions``:
        ``limit``, ``context``; given as an object or by keyword)."""
        return _find.find(self, query, options, **overrides)

    def trace(self, text: str, options: TraceOptions | None = None, *,
              progress: Callable[[int, int], None] | None = None, **overrides) -> _trace.TraceResult:
        """Long verbatim spans of ``text`` that occur at most ``max_count`` times, with their documents.

        See tracer.query.trace: maximal spans cut after delimiters and aligned to word boundaries,
        at least ``min_len`` tokens (default per tokenizer), the K = ceil(0.05 L) rarest by unigram
        log-probability (``rank="length"``: longest; ``k`` overrides K; ``all_spans`` keeps all),
        up to ``max_docs`` documents each with a BM25 score of their snippet against ``text``.
        Options: a ``TraceOptions`` and/or its fields by keyword (``index.trace(text, k=3)``);
        ``progress(done, total)`` follows the document lookups.
        """
        return _trace.trace(self, text, options, progress=progress, **overrides)

    def overlap(self, other: str | os.PathLike | IndexReader | Iterable[str | tuple[str, str]], options=None,
                **overrides) -> tuple[list, dict]:
        """How much of each document of ``other`` (an index, its path, record files, or texts / (id, text)
        pairs) lies in spans of >= ``ngram`` words shared with this index: per-document rows
        (``tracer.contamination.overlap.DocOverlap``) and a summary. Options: an ``OverlapOptions``
        and/or its fields by keyword."""
        # overlap is built from contamination's word metrics, a layer above query: imported on use
        from tracer.contamination.overlap import OverlapOptions, b_documents, overlap
        from tracer.query.options import resolve

        opts = resolve(OverlapOptions, options, overrides)
        if isinstance(other, (str, os.PathLike, IndexReader)):
            docs = b_documents([other])
        else:
            docs = ((str(i), d) if isinstance(d, str) else d for i, d in enumerate(other))
        return overlap(self, docs, opts)
