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

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (Unicode letters, digits, underscore)."""
    return _WORD.findall(text.lower())


def bm25_scores(query: str, texts: list[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """BM25 of each text against ``query``, IDF over ``texts``: log(1 + (N - n + 0.5) / (n + 0.5)).

    A query term repeated in the query counts that many times (the query is a long text, not a
    keyword list).
    """
    if not texts:
        return []
    q_terms = Counter(words(query))
    docs = [Counter(words(t)) for t in texts]
    n_docs = len(docs)
    lengths = [d.total() for d in docs]
    avg_len = (sum(lengths) / n_docs) or 1.0
    shared = [sorted(d.keys() & q_terms.keys()) for d in docs]  # only these terms score; sorted: a fixed sum order
    df = Counter(term for terms in shared for term in terms)
    idf = {t: math.log(1.0 + (n_docs - n + 0.5) / (n + 0.5)) for t, n in df.items()}
    scores = []
    for d, length, terms in zip(docs, lengths, shared, strict=True):
        norm = k1 * (1.0 - b + b * length / avg_len)
        scores.append(sum(idf[t] * q_terms[t] * d[t] * (k1 + 1.0) / (d[t] + norm) for t in terms))
    return scores
