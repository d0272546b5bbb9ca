"""Overlap with B given as an index: coverage from a join of the two suffix arrays, not a rescan.

Coverage needs, at each word w of a B document, the longest corpus match from w's first token
capped at n words (``overlap._capped_matches`` gets it by one binary search in A per word). With B
an index, B's suffix array lists those word starts in sorted order, so one walk of SA_B that
gallops through SA_A (``tracer_native.join_prefix_lengths``) finds all of them at once, each
next to where the previous one was. The words are those of ``tracer contamination``
(``words.py``): each B document is tokenized as A would (``prepare``) to find them, and its
tokens are checked against the ones B stores, so a document B holds differently (a tokenizer
that encodes the whole document otherwise) is searched the old way rather than answered wrong.
The longest span and A's documents holding it then come from ``overlap._batch`` as for files:
uncapped searches from the covered runs' starts and A's suffix-array range of the longest span.

Two passes over each B shard's documents: the first finds the word starts and caps, the kernel
joins, the second computes the rows in batches. Memory: 8 bytes per B shard token.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tracer.contamination.decontaminate import iter_shard_documents
from tracer.contamination.metrics import word_matches
from tracer.contamination.overlap import BATCH_TOKENS, DocOverlap, OverlapOptions, _batch
from tracer.contamination.words import PreparedText, prepare
from tracer.index.reader import IndexReader, Shard
from tracer.query.longest import _parallel_guard
from tracer_native import JOIN_BAD_A, JOIN_BAD_B, join_prefix_lengths

JOIN_CHUNKS = 256  # pieces of SA_B walked in parallel (each starts with one full binary search)


def join_refusal(a: IndexReader, b: IndexReader) -> str | None:
    """Why B's stored tokens cannot be joined with A's (None when they can): both must hold the same
    token ids for the same text."""
    if a.tokenizer.spec() != b.tokenizer.spec():
        return f"its tokenizer {b.tokenizer.spec()} is not the index's {a.tokenizer.spec()}"
    if a.normalization != b.normalization:
        return f"its normalization {b.normalization!r} is not the index's {a.normalization!r}"
    if a.dtype != b.dtype or a.separator != b.separator:
        return "its token dtype or separator differs from the index's"
    return None


def word_caps(p: PreparedText, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each word start's token (in the document) and the tokens from it through the one holding the
    end of the n-th word from there (or of the last word): the limit ``_capped_matches`` searches
    with at stride 1. Words starting in the same token keep the last one's (the longest) cap."""
    w = np.arange(p.n_words)
    last = np.minimum(w + n - 1, p.n_words - 1)
    caps = np.searchsorted(p.tok_ends, p.word_ends[last], side="left") + 1 - p.word_tok
    keep = np.append(p.word_tok[1:] != p.word_tok[:-1], True)
    return p.word_tok[keep], caps[keep]


def stored_as_prepared(shard: Shard, lo: int, hi: int, p: PreparedText) -> bool:
    """Whether B stores tokens lo..hi exactly as A tokenizes the document's text."""
    return len(p.ids) == hi - lo and bool(np.array_equal(p.ids, shard.tokens[lo:hi]))


def join_shard(a: IndexReader, b: IndexReader, shard: Shard, n: int) -> tuple[np.ndarray, set[int]]:
    """For every token of B's ``shard`` that starts a word: its longest match in A capped at n
    words (int32 per shard token, 0 elsewhere); and the local documents whose stored tokens are not
    A's tokenization of their text (left to the search)."""
    ntok = len(shard.tokens)
    caps = np.zeros(ntok, np.int32)
    unmatched: set[int] = set()
    for local, _, text, _ in iter_shard_documents(b, shard):
        p = prepare(a, text)
        lo, hi = shard.doc_range(local)
        if not stored_as_prepared(shard, lo, hi, p):
            unmatched.add(local)
        elif p.n_words:
            pos, c = word_caps(p, n)
            caps[lo + pos] = c
    starts = np.packbits(caps > 0, bitorder="little")
    out = np.zeros(ntok, np.int32)
    with _parallel_guard():
        for sa_shard in a.shards:
            code = join_prefix_lengths(sa_shard.tokens, sa_shard.sa, shard.tokens, shard.sa, starts, caps, out,
                                       JOIN_CHUNKS)
            if code == JOIN_BAD_A:
                raise sa_shard.bad_sa()
            if code == JOIN_BAD_B:
                raise shard.bad_sa()
    return out, unmatched


def iter_overlap_index(a: IndexReader, b: IndexReader, options: OverlapOptions | None = None) -> Iterator[DocOverlap]:
    """Each document of the index ``b`` against ``a``, in B's order (as ``iter_overlap`` over
    ``b_documents([b])`` gives them, with the same answers). Check ``join_refusal`` first."""
    opts = options or OverlapOptions()
    for shard in b.shards:
        matched, unmatched = join_shard(a, b, shard, opts.ngram)
        batch: list[tuple[str, PreparedText]] = []
        capped: list[np.ndarray | None] = []
        size = 0
        for local, meta, text, _ in iter_shard_documents(b, shard):
            p = prepare(a, text)
            m = None
            if local not in unmatched:
                lo = shard.doc_range(local)[0]
                m = word_matches(p.word_tok, p.word_ends, p.tok_ends,
                                 matched[lo : lo + len(p.ids)].astype(np.int64))
            batch.append((str(meta.get("id")), p))
            capped.append(m)
            size += len(p.ids)
            if size >= BATCH_TOKENS:
                yield from _batch(a, batch, opts, capped)
                batch, capped, size = [], [], 0
        if batch:
            yield from _batch(a, batch, opts, capped)
