"""``Index``: the reader plus the query operations (what ``tracer.open`` returns)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from tracer.index.reader import IndexReader
from tracer.query import count as _count
from tracer.query import find as _find
from tracer.query import ngram as _ngram
from tracer.query import search as _search
from tracer.query import soft as _soft
from tracer.query import trace as _trace
from tracer.query.options import FindOptions, NgramOptions, SearchOptions, SoftOptions, TraceOptions
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

    def find_similar(self, text: str, limit: int = 10, options: SoftOptions | None = None,
                     **overrides) -> list[_soft.SoftMatch]:
        """Up to ``limit`` passages similar to ``text`` (paraphrased, reordered, lightly rewritten),
        best first, each with its score, document, raw char offsets and aligned words (see
        tracer.query.soft). Raises ``TooShortError`` for a text with under 3 content words."""
        return _soft.find_similar(self, text, limit, options, **overrides)

    def find_similar_many(self, texts: list[str], limit: int = 10, options: SoftOptions | None = None,
                          **overrides) -> list[list[_soft.SoftMatch]]:
        """``find_similar`` of many texts at once, sharing word counts and positions."""
        return _soft.find_similar_many(self, texts, limit, options, **overrides)

    # -- the corpus as a language model (tracer.query.ngram) and AND/OR search (tracer.query.search)
    def prob(self, context: Query, token: _ngram.Token) -> _ngram.NgramProb:
        """count(context + token) / count(context) with both counts; prob None when the context is absent."""
        return _ngram.prob(self, context, token)

    def ntd(self, context: Query, options: NgramOptions | None = None, **overrides) -> _ngram.NextTokenDistribution:
        """Next-token distribution after ``context`` (exact up to ``max_support`` occurrences, else sampled;
        ``NgramOptions`` as an object and/or by keyword)."""
        return _ngram.ntd(self, context, options, **overrides)

    def infgram_prob(self, context: Query, token: _ngram.Token) -> _ngram.NgramProb:
        """``prob`` on the longest suffix of ``context`` that occurs (the ∞-gram back-off)."""
        return _ngram.infgram_prob(self, context, token)

    def infgram_ntd(self, context: Query, options: NgramOptions | None = None,
                    **overrides) -> _ngram.NextTokenDistribution:
        """``ntd`` on the longest suffix of ``context`` that occurs."""
        return _ngram.infgram_ntd(self, context, options, **overrides)

    def infgram_logprobs(self, tokens: Query, max_suffix: int | None = None) -> _ngram.InfgramLogprobs:
        """Smoothed ln P∞(t_i | t_<i) and the suffix length used, for every position of a text."""
        return _ngram.infgram_logprobs(self, tokens, max_suffix)

    def search(self, cnf: str | _search.Cnf, options: SearchOptions | None = None,
               **overrides) -> _search.SearchResult:
        """Documents where every AND-clause has one of its OR-terms (within ``window`` tokens of the
        others when given): their count and up to ``limit`` documents with matches by clause
        (``SearchOptions``: ``window``, ``limit``, ``max_clause_freq``; an object and/or by keyword)."""
        return _search.search(self, cnf, options, **overrides)

    def overlap(self, other: str | os.PathLike | IndexReader | Iterable[str | tuple[str, str]], options=None,
                **overrides) -> tuple[list, dict]:
        """How much of each document of ``other`` (an index, its path, record files, or texts / (id, text)
        pairs) lies in spans of >= ``ngram`` words shared with this index: per-document rows
        (``tracer.contamination.overlap.DocOverlap``) and a summary. Options: an ``OverlapOptions``
        and/or its fields by keyword."""
        # overlap is built from contamination's word metrics, a layer above query: imported on use
        from tracer.contamination.overlap import OverlapOptions, collect, iter_overlap_sources, overlap
        from tracer.query.options import resolve

        opts = resolve(OverlapOptions, options, overrides)
        if isinstance(other, (str, os.PathLike, IndexReader)):  # an index: joined suffix array to suffix array
            return collect(self, iter_overlap_sources(self, [other], opts), opts)
        docs = ((str(i), d) if isinstance(d, str) else d for i, d in enumerate(other))
        return overlap(self, docs, opts)
