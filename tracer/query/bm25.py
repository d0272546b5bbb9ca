"""Okapi BM25 of short texts (document snippets) against one query text.

Tracing ranks the documents of a span by how relevant their snippet is to the whole traced
text (as OLMoTrace does): a snippet that shares many rare words with the model output is a
better explanation than one that only shares the span. The collection for the IDF is the set
of snippets being scored, so scores compare documents within one trace, not across traces.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import chain

_WORD = re.compile(r"\w+")
# ASCII text: every byte that is not [0-9A-Za-z_] becomes a space and letters become lower case, so
# str.split gives what the regex does (which costs ~35 ns a character, most of a trace's BM25)
_ASCII_WORDS = bytes((c | 0x20) if chr(c).isalpha() else c if (chr(c).isdigit() or c == 0x5F) else 0x20
                     for c in range(128)) + b" " * 128


def words(text: str) -> list[str]:
    """Lower-cased word tokens (Unicode letters, digits, underscore)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    return _WORD.findall(text.lower())


def bm25_scores(query: str, texts: list[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """BM25 of each text against ``query``, IDF over ``texts``: log(1 + (N - n + 0.5) / (n + 0.5)).

    A query term repeated in the query counts that many times (the query is a long text, not a
    keyword list).
    """
    if not texts:
        return []
    q_terms = Counter(words(query))
    tokenized = [words(t) for t in texts]
    docs = [Counter(ws) for ws in tokenized]
    n_docs = len(docs)
    lengths = [len(ws) for ws in tokenized]
    avg_len = (sum(lengths) / n_docs) or 1.0
    q_keys = q_terms.keys()
    shared = [sorted(d.keys() & q_keys) for d in docs]  # only these terms score; sorted: a fixed sum order
    df = Counter(chain.from_iterable(shared))
    idf = {t: math.log(1.0 + (n_docs - n + 0.5) / (n + 0.5)) for t, n in df.items()}
    scores = []
    for d, length, terms in zip(docs, lengths, shared, strict=True):
        norm = k1 * (1.0 - b + b * length / avg_len)
        scores.append(sum(idf[t] * q_terms[t] * d[t] * (k1 + 1.0) / (d[t] + norm) for t in terms))
    return scores
