"""Hypothesis: small random corpora (empty documents, non-ASCII text, separator look-alikes such as
'ÿ' = C3 BF and U+FFFF = EF BF BF) give exactly the brute-force counts, text and id queries alike."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import NgramOracle, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracer
from tracer.errors import InputError
from tracer.tokenize import normalize

ALPHABET = ["a", "b", "ab", " ", "\n", "ÿ", "\uffff", "é", "日", "\x00", "😀", "ÿa"]
doc_text = st.lists(st.sampled_from(ALPHABET), max_size=12).map("".join)
corpora = st.lists(doc_text, min_size=1, max_size=8)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _substrings(texts: list[str], max_len: int = 6) -> set[str]:
    out = set()
    for t in texts:
        for i in range(len(t)):
            for n in range(1, max_len + 1):
                if i + n <= len(t):
                    out.add(t[i : i + n])
    return out


def _build(texts: list[str], tmp: str, **kwargs):
    path = write_jsonl(Path(tmp) / "c.jsonl", [{"text": t} for t in texts])
    tracer.build([str(path)], str(Path(tmp) / "i"), progress=False, **kwargs)
    return tracer.open(str(Path(tmp) / "i"))


@SETTINGS
@given(texts=corpora, extra=st.lists(doc_text.filter(bool), max_size=6),
       id_queries=st.lists(st.lists(st.sampled_from([0x00, 0x61, 0x62, 0xBF, 0xC3, 0xEF, 0xFE, 0x0A]),
                                    min_size=1, max_size=5), max_size=10),
       shard_tokens=st.sampled_from([None, 40]))
def test_bytes_random_corpus(texts, extra, id_queries, shard_tokens):
    docs = [list(t.encode("utf-8")) for t in texts]
    if shard_tokens and max(len(d) for d in docs) + 1 > shard_tokens:
        shard_tokens = max(len(d) for d in docs) + 1
    with tempfile.TemporaryDirectory() as tmp:
        index = _build(texts, tmp, shard_tokens=shard_tokens)
        oracle = NgramOracle(docs)
        assert index.n_docs == len(texts)
        assert index.n_tokens == sum(len(d) + 1 for d in docs)
        queries = sorted(_substrings(texts)) + extra
        got = index.count_many(queries)
        assert got == [oracle.count(list(q.encode("utf-8"))) for q in queries]
        got_ids = index.count_many([np.asarray(q) for q in id_queries])
        assert got_ids == [oracle.count(q) for q in id_queries]
        for i, t in enumerate(texts):
            assert index.document(i).text == t
        with pytest.raises(InputError):
            index.count([0xC3, 0xFF])


@SETTINGS
@given(texts=corpora, extra=st.lists(doc_text.filter(bool), max_size=6), shard_tokens=st.sampled_from([None, 30]))
def test_bpe_random_corpus(texts, extra, shard_tokens, bpe_tokenizer, hf_encode):
    docs = [hf_encode(t) for t in texts]
    if shard_tokens and max(len(d) for d in docs) + 1 > shard_tokens:
        shard_tokens = max(len(d) for d in docs) + 1
    with tempfile.TemporaryDirectory() as tmp:
        index = _build(texts, tmp, tokenizer=str(bpe_tokenizer), shard_tokens=shard_tokens)
        oracle = NgramOracle(docs)
        assert index.n_tokens == sum(len(d) + 1 for d in docs)
        # every n-gram of the documents' ids, and the ids of extra texts (often absent)
        id_queries = [d[i : i + n] for d in docs for i in range(len(d)) for n in range(1, 5) if i + n <= len(d)]
        id_queries += [hf_encode(t) for t in extra]
        got = index.count_many([np.asarray(q) for q in id_queries])
        assert got == [oracle.count(q) for q in id_queries]
        # text queries count both spellings (document start, and after a space)
        for q in sorted(_substrings(texts, 3))[:30] + extra:
            a, b = hf_encode(q), hf_encode(" " + q)
            want = oracle.count(a) if q[0].isspace() or b == a or b[1:] == a and b[0] == hf_encode(" ")[0] \
                else oracle.count(a) + oracle.count(b)
            assert index.count(q) == want, q
        for i, t in enumerate(texts):
            assert index.document(i).text == t


NORM_ALPHABET = ["a", "B", " ", "  ", "\n", "\t", "\u00a0", "\u2019", "'", "&amp;", "&", "ﬁ", "ß", "SS", "\u200b",
                 "É", "e\u0301", "—", "-", "…", "ÿ"]
norm_text = st.lists(st.sampled_from(NORM_ALPHABET), max_size=10).map("".join)


@SETTINGS
@given(texts=st.lists(norm_text, min_size=1, max_size=6), extra=st.lists(norm_text, max_size=4))
def test_normalized_random_corpus(texts, extra):
    """Counts equal the oracle over normalized documents; find's raw spans normalize to the query."""
    norm_docs = [normalize(t) for t in texts]
    oracle = NgramOracle([list(t.encode("utf-8")) for t in norm_docs])
    with tempfile.TemporaryDirectory() as tmp:
        index = _build(texts, tmp, normalize=True)
        queries = [q for q in sorted(_substrings(texts, 4)) + extra if normalize(q)]
        got = index.count_many(queries)
        assert got == [oracle.count(list(normalize(q).encode("utf-8"))) for q in queries]
        for q in queries[:15]:
            result = index.find(q, limit=1000)
            assert result.count == len(result.occurrences)
            for o in result.occurrences:
                span = texts[o.doc_index][o.char_start : o.char_end]
                assert normalize(q) in normalize(span), (q, span, texts[o.doc_index])
        for i, t in enumerate(texts):
            assert index.document(i).text == t
