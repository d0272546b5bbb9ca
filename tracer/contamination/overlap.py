"""Corpus overlap: how much of each document of B lies inside spans shared with the index A.

For every document of B (an evaluation set, a fine-tuning set, another corpus), streamed: the
share of its words inside corpus matches of >= n words (the ``coverage`` of contamination, with
the same word unit, ``words.py``, and the same kernels: the longest A match from every word start,
``query.longest``), its longest shared span with A's count and A documents holding it. A summary
gathers the share of B's documents above thresholds, a histogram of shares and the spans shared
by the most B documents.

B as an index with A's tokenizer: coverage comes from a join of the two suffix arrays
(``overlap_join``), the rest as for files (``iter_overlap_sources`` picks).
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from tracer.contamination.metrics import covered_mask, runs, word_matches
from tracer.contamination.overlap_options import DEFAULT_THRESHOLDS as DEFAULT_THRESHOLDS
from tracer.contamination.overlap_options import OverlapOptions
from tracer.contamination.words import PreparedText, prepare
from tracer.index.pointers import sa_slice
from tracer.index.reader import IndexReader
from tracer.query.documents import positions_to_docs
from tracer.query.longest import longest_lengths, spans_with_counts

BATCH_TOKENS = 1 << 20  # B tokens per kernel call
STRIDES = (64, 8, 1)  # word groups searched coarse to fine (see _capped_matches)
SPAN_TEXT_CHARS = 300  # a shared span longer than this is keyed (and shown) by its first 300 chars
SPAN_TABLE_LIMIT = 200_000  # distinct spans tracked for the summary; the rarest are pruned past this


@dataclass
class DocOverlap:
    """One B document against A."""

    id: str
    words: int
    covered_words: int  # words inside shared spans of >= n words
    longest: int  # words of the longest shared span (any length)
    longest_text: str
    longest_count: int  # its occurrences in A
    a_documents: list[str]  # ids of A documents holding the longest span (when it is >= n words)
    spans: list[str] = field(default_factory=list, repr=False)  # the shared span from each covered run's start
    # what merging the rows of several shard groups needs (tracer.client.overlap_merge): the covered
    # runs of words [start, end) and the word where the (first) longest span starts
    runs: list[tuple[int, int]] = field(default_factory=list, repr=False)
    longest_word: int = field(default=0, repr=False)

    @property
    def share(self) -> float:
        return self.covered_words / self.words if self.words else 0.0

    def to_json(self) -> dict:
        return {"id": self.id, "words": self.words, "covered_words": self.covered_words,
                "share": round(self.share, 4), "longest": self.longest, "longest_text": self.longest_text,
                "longest_count": self.longest_count, "a_documents": self.a_documents}


def _span_text(p: PreparedText, w: int, words: int) -> str:
    a, b = p.raw_range(int(p.word_starts[w]), int(p.word_ends[w + words - 1]))
    return p.text[a:b]


def _a_documents(index: IndexReader, ranges: list[tuple[np.ndarray, np.ndarray]], j: int, k: int) -> list[str]:
    """Ids of up to k distinct A documents among the first occurrences of span j."""
    out: list[str] = []
    for shard, (lo, hi) in zip(index.shards, ranges, strict=True):
        a, b = int(lo[j]), int(hi[j])
        if b <= a or len(out) >= k:
            continue
        positions = sa_slice(shard.sa, a, min(b, a + 4 * k))
        for local in sorted(set(positions_to_docs(shard, positions).tolist())):
            doc_id = str(shard.meta(int(local)).get("id"))
            if doc_id not in out:
                out.append(doc_id)
            if len(out) >= k:
                break
    return out


def _word_limit(p: PreparedText, o: int, last_word: np.ndarray) -> np.ndarray:
    """Query index just past the token holding the end of each word in ``last_word``."""
    return o + np.searchsorted(p.tok_ends, p.word_ends[last_word], side="left") + 1


def _concat(index: IndexReader, batch: list[tuple[str, PreparedText]]) -> tuple[np.ndarray, list[int]]:
    """The batch's token ids end to end (one kernel call for all) and each document's offset."""
    query = np.zeros(sum(len(p.ids) for _, p in batch), dtype=index.dtype)
    offsets = []
    o = 0
    for _, p in batch:
        query[o : o + len(p.ids)] = p.ids
        offsets.append(o)
        o += len(p.ids)
    return query, offsets


def _batch(index: IndexReader, batch: list[tuple[str, PreparedText]], opts: OverlapOptions,
           capped: list[np.ndarray | None] | None = None) -> Iterator[DocOverlap]:
    """Overlap of a batch of B documents.

    Coverage needs only whether an n-word match starts at each word: a match of L >= n words from w
    means one of >= n words from every word up to w + L - n, so the union of the n-word windows is
    the union of the full matches. Searches are therefore capped (``_capped_matches``; a search costs about
    the length it matches, so uncapped searches cost the square of a copied document's length);
    ``capped`` gives such matches where they are already known (the suffix-array join,
    ``overlap_join``), None for a document still to search.
    The longest span is then searched uncapped, but only inside covered runs (a match never runs
    past one) and only from words whose run end lies at least as far as the longest found so far: from
    each run's start first, which for a copied document settles it in one search. Every word that
    could reach the longest is then exact, so the span reported is the first longest one, whatever
    capped values the coverage step left.
    """
    n = opts.ngram
    query, offsets = _concat(index, batch)
    total = len(query)
    m_all = _fill_capped(index, batch, n, capped)
    rows = [[doc_id, p, o, m, covered_mask(m, n)] for (doc_id, p), o, m in zip(batch, offsets, m_all, strict=True)]

    # the longest: uncapped searches inside covered runs, run starts first, then what could still reach it
    full = [m.copy() for _, _, _, m, _ in rows]
    exact = [~covered for _, _, _, _, covered in rows]  # a capped value below n is the whole match
    run_end = []
    for _, _, _, m, covered in rows:
        end = np.zeros(len(m), np.int64)
        for a, b in runs(covered):
            end[a:b] = b
        run_end.append(end)
    for first_round in (True, False):
        limits = np.arange(total, dtype=np.int64)
        asked = []
        for k, (_, p, o, m, covered) in enumerate(rows):
            if first_round:
                words = np.asarray([a for a, _ in runs(covered)], np.int64)
            else:
                best = int(full[k].max()) if len(m) else 0
                words = np.flatnonzero(~exact[k] & (run_end[k] - np.arange(len(m)) >= best))
            if len(words):
                limits[o + p.word_tok[words]] = _word_limit(p, o, run_end[k][words] - 1)
                asked.append((k, words))
        if not asked:
            continue
        lengths = longest_lengths(index, query, limits)
        for k, words in asked:
            _, p, o, _, _ = rows[k]
            m_full = word_matches(p.word_tok, p.word_ends, p.tok_ends, lengths[o : o + len(p.ids)])
            full[k][words] = m_full[words]
            exact[k][words] = True

    best_starts, best_lens, best_words = [], [], []
    for k, (_, p, o, _, _) in enumerate(rows):
        m = full[k]
        w = int(np.argmax(m)) if len(m) else 0
        longest = int(m[w]) if len(m) else 0
        best_words.append((w, longest))
        if longest:
            first = int(p.word_tok[w])
            last = int(np.searchsorted(p.tok_ends, p.word_ends[w + longest - 1], side="left"))
            best_starts.append(o + first)
            best_lens.append(last - first + 1)
        else:
            best_starts.append(0)
            best_lens.append(0)
    counted = spans_with_counts(index, query, np.asarray(best_starts, np.int64), np.asarray(best_lens, np.int64))
    for j, ((doc_id, p, _, _, covered), (w, longest)) in enumerate(zip(rows, best_words, strict=True)):
        docs = (_a_documents(index, counted.ranges, j, opts.max_documents)
                if longest >= n and opts.max_documents else [])
        covered_runs = [(int(a), int(b)) for a, b in runs(covered)]
        spans = [_span_text(p, a, int(full[j][a]))[:SPAN_TEXT_CHARS] for a, _ in covered_runs]
        yield DocOverlap(doc_id, p.n_words, int(covered.sum()), longest,
                         _span_text(p, w, longest) if longest else "", int(counted.counts[j]) if longest else 0,
                         docs, spans, covered_runs, w if longest else 0)


def _search(index: IndexReader, query: np.ndarray, batch: list[tuple[str, PreparedText]], offsets: list[int],
            words: list[np.ndarray], last: list[np.ndarray]) -> list[np.ndarray]:
    """Per document: whole words of the longest match from each of ``words`` that ends by word ``last``."""
    limits = np.arange(len(query), dtype=np.int64)  # empty range: not searched
    for (_, p), o, w, e in zip(batch, offsets, words, last, strict=True):
        if len(w):
            limits[o + p.word_tok[w]] = _word_limit(p, o, e)
    lengths = longest_lengths(index, query, limits)
    return [word_matches(p.word_tok, p.word_ends, p.tok_ends, lengths[o : o + len(p.ids)])
            for (_, p), o in zip(batch, offsets, strict=True)]


def _fill_capped(index: IndexReader, batch: list[tuple[str, PreparedText]], n: int,
                 capped: list[np.ndarray | None] | None) -> list[np.ndarray]:
    """``capped`` with every None (or all, without it) searched by ``_capped_matches``."""
    todo = [k for k in range(len(batch)) if capped is None or capped[k] is None]
    out: list = list(capped) if capped is not None else [None] * len(batch)
    if todo:
        sub = [batch[k] for k in todo]
        query, offsets = _concat(index, sub)
        for k, m in zip(todo, _capped_matches(index, query, sub, offsets, n), strict=True):
            out[k] = m
    return out


def _capped_matches(index: IndexReader, query: np.ndarray, batch: list[tuple[str, PreparedText]],
                    offsets: list[int], n: int) -> list[np.ndarray]:
    """Per document, m[w] >= n exactly where an n-word match starts at w, m[w] <= the longest match
    from w, and m[w] = that match where it is shorter than n; ``covered_mask(m, n)`` is then the
    exact coverage (the union of [w, w + n) over such w equals the union of the full matches).

    Searched coarse to fine (``STRIDES``): every s-th word not yet settled is searched up to
    C = n + s - 1 words; a match of C words from w implies one of >= n words from each of w ..
    w + s - 1 (inside [w, w + C)), so those words are settled without a search. Copied text
    costs about 1/64 of the searches, text shared nowhere one search per word (plus 1/8 + 1/64).
    """
    words = [p.n_words for _, p in batch]
    m_all = [np.zeros(k, np.int64) for k in words]
    settled = [np.zeros(k, bool) for k in words]
    for stride in STRIDES:
        c = n + stride - 1
        asked = [np.flatnonzero(~done[::stride]) * stride for done in settled]
        last = [np.minimum(w + c - 1, k - 1) for w, k in zip(asked, words, strict=True)]
        found = _search(index, query, batch, offsets, asked, last)
        for m, done, w, got, k in zip(m_all, settled, asked, found, words, strict=True):
            m[w] = got[w]
            done[w] = True
            if stride > 1:
                for start in w[got[w] >= c].tolist():
                    group = slice(start, min(start + stride, k))
                    m[group] = np.where(done[group], m[group], n)
                    done[group] = True
    return m_all


def iter_overlap(index: IndexReader, docs: Iterable[tuple[str, str]], options: OverlapOptions | None = None,
                 ) -> Iterator[DocOverlap]:
    """Each (id, text) of B against ``index``, in order, computed in batches of about
    ``BATCH_TOKENS`` tokens (one parallel kernel call each), so B streams through."""
    opts = options or OverlapOptions()
    batch: list[tuple[str, PreparedText]] = []
    size = 0
    for doc_id, text in docs:
        p = prepare(index, text)
        batch.append((doc_id, p))
        size += len(p.ids)
        if size >= BATCH_TOKENS:
            yield from _batch(index, batch, opts)
            batch, size = [], 0
    if batch:
        yield from _batch(index, batch, opts)


@dataclass
class OverlapSummary:
    """Running totals over B's documents (``add`` each ``DocOverlap``)."""

    options: OverlapOptions
    documents: int = 0
    words: int = 0
    covered_words: int = 0
    any_shared: int = 0
    above: list[int] = field(default_factory=list)
    histogram: list[int] = field(default_factory=list)
    spans: Counter = field(default_factory=Counter)  # span text -> B documents holding it
    longest: DocOverlap | None = None

    def __post_init__(self) -> None:
        self.above = [0] * len(self.options.thresholds)
        self.histogram = [0] * self.options.bins

    def add(self, d: DocOverlap) -> None:
        self.documents += 1
        self.words += d.words
        self.covered_words += d.covered_words
        share = d.share
        self.any_shared += d.covered_words > 0
        for i, t in enumerate(self.options.thresholds):
            self.above[i] += share >= t if t > 0 else d.covered_words > 0
        self.histogram[min(int(share * self.options.bins), self.options.bins - 1)] += 1
        self.spans.update(set(d.spans))
        if len(self.spans) > SPAN_TABLE_LIMIT:  # keep the most frequent half: the top of the table stays exact
            self.spans = Counter(dict(self.spans.most_common(SPAN_TABLE_LIMIT // 2)))
        if d.longest and (self.longest is None or d.longest > self.longest.longest):
            self.longest = dataclasses.replace(d, spans=[])

    def to_json(self, index: IndexReader | None = None) -> dict:
        top = sorted(self.spans.items(), key=lambda kv: (-kv[1], kv[0]))[: self.options.top_spans]
        bins = self.options.bins
        return {
            "ngram": self.options.ngram, "documents": self.documents, "words": self.words,
            "covered_words": self.covered_words,
            "word_share": round(self.covered_words / self.words, 4) if self.words else 0.0,
            "documents_with_shared_span": self.any_shared,
            "above": [{"threshold": t, "documents": n, "share": round(n / self.documents, 4) if self.documents else 0.0}
                      for t, n in zip(self.options.thresholds, self.above, strict=True)],
            "histogram": [{"from": round(i / bins, 4), "to": round((i + 1) / bins, 4), "documents": n}
                          for i, n in enumerate(self.histogram)],
            "top_spans": [{"text": s, "b_documents": n, **({"a_count": index.count(s)} if index is not None else {})}
                          for s, n in top],
            "longest": self.longest.to_json() if self.longest else None,
        }


def overlap(index: IndexReader, docs: Iterable[tuple[str, str]], options: OverlapOptions | None = None,
            ) -> tuple[list[DocOverlap], dict]:
    """Every B document's overlap and the summary (for B that fits in memory; else ``iter_overlap``)."""
    opts = options or OverlapOptions()
    return collect(index, iter_overlap(index, docs, opts), opts)


def collect(index: IndexReader, rows: Iterable[DocOverlap], options: OverlapOptions) -> tuple[list[DocOverlap], dict]:
    """The rows as a list, and their summary."""
    summary = OverlapSummary(options)
    out = []
    for d in rows:
        summary.add(d)
        out.append(d)
    return out, summary.to_json(index)


def iter_overlap_sources(index: IndexReader, sources: Iterable[str | os.PathLike | IndexReader],
                         options: OverlapOptions | None = None, text_field: str = "text", id_field: str | None = None,
                         join: bool = True, notice: Callable[[str], None] | None = None) -> Iterator[DocOverlap]:
    """Each document of B's sources (as ``b_documents`` reads them) against ``index``. A source that
    is an index with the same tokenizer is joined suffix array to suffix array
    (``overlap_join``; ``join=False`` searches its documents one by one instead: the same answers);
    one with another tokenizer is searched one by one, said through ``notice`` (default: a warning)."""
    from tracer.contamination.overlap_join import iter_overlap_index, join_refusal

    opts = options or OverlapOptions()
    for src in sources:
        b = _open_index(src)
        if b is not None and join:
            why = join_refusal(index, b)
            if why is None:
                yield from iter_overlap_index(index, b, opts)
                continue
            message = f"{b.path}: {why}: its documents are matched one by one (no suffix-array join)"
            if notice is None:
                warnings.warn(message, stacklevel=2)
            else:
                notice(message)
        yield from iter_overlap(index, b_documents([b if b is not None else src], text_field, id_field), opts)


def _open_index(src: str | os.PathLike | IndexReader) -> IndexReader | None:
    from pathlib import Path

    from tracer.index.format import MANIFEST

    if isinstance(src, IndexReader):
        return src
    return IndexReader(src) if (Path(src) / MANIFEST).exists() else None


def b_documents(sources: Iterable[str | os.PathLike | IndexReader], text_field: str = "text",
                id_field: str | None = None) -> Iterator[tuple[str, str]]:
    """(id, text) of B: the documents of an index (a path holding manifest.json, or an open one),
    else every record of the files and folders (``iter_records``), id from ``id_field`` or file:line."""
    from pathlib import Path

    from tracer.contamination.decontaminate import iter_index_documents
    from tracer.corpus.records import iter_records
    from tracer.index.format import MANIFEST

    for src in sources:
        if isinstance(src, IndexReader) or (Path(src) / MANIFEST).exists():
            b = src if isinstance(src, IndexReader) else IndexReader(src)
            for _, meta, text, _ in iter_index_documents(b):
                yield str(meta.get("id")), text
            continue
        for rec in iter_records(src):
            obj = rec.object()
            doc_id = obj.get(id_field) if id_field else None
            yield (str(doc_id) if doc_id is not None else rec.where), rec.text(text_field)
