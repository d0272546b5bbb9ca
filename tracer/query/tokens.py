"""Turn a user query (text or token ids) into the token sequences to search, with checks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tracer.errors import InputError
from tracer.index.reader import IndexReader

Query = str | Sequence[int] | np.ndarray


def query_variants(index: IndexReader, query: Query) -> list[np.ndarray]:
    """Token sequences whose occurrences together answer ``query``.

    Text goes through the index's own tokenizer (and normalization); BPE tokenizers give a
    second, space-prefixed spelling (see HFTokenizer). Token ids are checked against the
    vocabulary and may not contain the separator.
    """
    if isinstance(query, str):
        if not query:
            raise InputError("empty query")
        try:  # checked here for every tokenizer: HF tokenizers raise a bare TypeError on surrogates
            query.encode("utf-8")
        except UnicodeEncodeError as e:  # lone surrogates: what argv holds for bytes that are not UTF-8
            raise InputError(f"query is not valid Unicode text (character {e.start}: {query[e.start]!r})") from None
        variants = [v for v in index.tokenizer.query_variants(query) if len(v)]
        if not variants:
            raise InputError("query has no tokens (empty after normalization)")
        return variants
    return [check_token_ids(index, query)]


def check_token_ids(index: IndexReader, ids: Sequence[int] | np.ndarray) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1 or arr.size == 0:
        raise InputError("token ids must be a non-empty 1-D sequence")
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"token ids must be integers, got {arr.dtype}")
    vocab = index.tokenizer.vocab_size
    if arr.min() < 0 or arr.max() >= vocab:
        raise InputError(f"token id out of range [0, {vocab})")
    if (arr == index.separator).any():
        raise InputError(f"token id {index.separator} is the document separator and cannot be searched")
    return arr.astype(index.dtype)
