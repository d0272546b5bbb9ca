"""AND/OR document search against a brute-force document filter; the CNF query parser."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import make_texts, write_jsonl

import tracer
from tracer.errors import InputError
from tracer.query import search as search_mod
from tracer.query.search import MAX_MATCHES, parse_cnf

TEXTS = make_texts(80, seed=8, max_words=30)


def _build(tmp: Path, texts: list[str], **kw) -> tracer.Index:
    path = write_jsonl(tmp / "c.jsonl", [{"text": t, "id": f"d{i}"} for i, t in enumerate(texts)])
    tracer.build([str(path)], str(tmp / "i"), id_field="id", progress=False, **kw)
    return tracer.open(str(tmp / "i"))


@pytest.fixture(scope="module", params=["bytes-1", "bytes-many", "bpe-1", "bpe-many"])
def case(request, tmp_path_factory, bpe_tokenizer, hf_encode):
    kind, shards = request.param.split("-")
    tmp = tmp_path_factory.mktemp(request.param)
    encode = (lambda t: list(t.encode("utf-8"))) if kind == "bytes" else hf_encode
    docs = [encode(t) for t in TEXTS]
    kw = {} if kind == "bytes" else {"tokenizer": str(bpe_tokenizer)}
    if shards == "many":
        kw["shard_tokens"] = max(len(d) for d in docs) + 1 + 60
    index = _build(tmp, TEXTS, **kw)
    assert shards == "1" or len(index.shards) > 3
    return index, docs


def _positions(doc: list[int], patterns: list[list[int]]) -> list[tuple[int, int]]:
    """(position, pattern) of every occurrence of any pattern in the document (a repeated pattern counts once)."""
    return [(p, k) for p in range(len(doc)) for k, pat in enumerate(patterns)
            if pat not in patterns[:k] and doc[p:p + len(pat)] == pat]


def _brute(docs: list[list[int]], cnf: list[list[list[int]]], window: int | None) -> list[int]:
    """Documents where every clause matches (and, with a window, one match per clause spans <= window)."""
    out = []
    for i, d in enumerate(docs):
        occ = [[p for p, _ in _positions(d, clause)] for clause in cnf]
        if not all(occ):
            continue
        if window is not None and min(max(c) - min(c) for c in itertools.product(*occ)) > window:
            continue
        out.append(i)
    return out


def _random_cnf(rng: random.Random, docs: list[list[int]]) -> list[list[list[int]]]:
    nonempty = [d for d in docs if d]

    def term() -> list[int]:
        d = rng.choice(nonempty)
        n = rng.randint(1, min(3, len(d)))
        s = rng.randrange(0, len(d) - n + 1)
        return d[s:s + n]

    return [[term() for _ in range(rng.randint(1, 3))] for _ in range(rng.randint(1, 3))]


@pytest.mark.parametrize("gather_cost", [0, 10**9])  # further clauses: always collected / always scanned
@pytest.mark.parametrize("window", [None, 0, 3, 12])
def test_cnf_search_equals_brute_force_filter(case, window, gather_cost, monkeypatch):
    index, docs = case
    monkeypatch.setattr(search_mod, "GATHER_COST", gather_cost)
    rng = random.Random(hash(window) % 1000)
    base = index.shards[0].doc_base
    for _ in range(25):
        cnf = _random_cnf(rng, docs)
        want = _brute(docs, cnf, window)
        r = index.search(cnf, window=window, limit=5)
        assert base == 0 and not r.approximate
        assert r.count == len(want), cnf
        assert r.clause_counts == [sum(len(_positions(d, c)) for d in docs) for c in cnf]
        assert len(r.documents) == min(5, len(want))
        for doc in r.documents:
            assert doc.doc_index in want and doc.doc_id == f"d{doc.doc_index}"
            d = docs[doc.doc_index]
            for c, clause in enumerate(cnf):
                occ = _positions(d, clause)
                assert doc.n_matches[c] == len(occ)
                got = [(m.token_start, m.term) for m in doc.matches[c]]
                assert got == occ[:MAX_MATCHES]
                assert all(m.token_end == m.token_start + len(clause[m.term]) for m in doc.matches[c])


def test_text_terms_and_highlights(case):
    index, docs = case
    r = index.search("cat AND (dog OR mat)", limit=50)
    assert r.count == r.count and not r.approximate
    assert r.count == index.search([["cat"], ["dog", "mat"]]).count
    ids = [[list(v) for v in index.tokenizer.query_variants(w)] for w in ("cat", "dog", "mat")]
    want = _brute(docs, [ids[0], ids[1] + ids[2]], None)
    assert r.count == len(want) > 0
    words = ["cat", ["dog", "mat"]]
    for doc in r.documents:
        text = index.document(doc.doc_index).text
        for c, ms in enumerate(doc.matches):
            for m in ms:
                term = words[c] if c == 0 else words[c][m.term]
                assert text[m.char_start:m.char_end] == term


def test_sampled_rarest_clause_is_marked_approximate(case):
    index, docs = case
    df = Counter(t for d in docs for t in set(d))
    (a, _), (b, _) = df.most_common(2)  # the two tokens found in the most documents
    cnf = [[[a]], [[b]]]
    exact = index.search(cnf)
    truth = _brute(docs, cnf, None)
    assert not exact.approximate and exact.count == len(truth) > 10
    approx = index.search(cnf, max_clause_freq=3, limit=100)
    assert approx.approximate
    assert exact.count / 3 <= approx.count <= exact.count * 3
    assert {d.doc_index for d in approx.documents} <= set(truth)
    assert index.search(cnf, max_clause_freq=10**6).count == exact.count


def test_terms_spelled_alike_match_once(case):
    index, _ = case
    one = index.search([["cat"]], limit=3)
    terms = ["cat", "cat"] + ([" cat"] if index.tokenizer.name != "bytes" else [])  # BPE: " cat" is the 2nd spelling
    two = index.search([terms], limit=3)
    assert one.count == two.count and one.clause_counts == two.clause_counts and [d.n_matches for d in one.documents] == [d.n_matches for d in two.documents]


def test_absent_term_gives_nothing(case):
    index, _ = case
    r = index.search("cat AND qqqzzzqqq")
    assert (r.count, r.approximate, r.documents, r.clause_counts[1]) == (0, False, [], 0)


def test_parser():
    assert parse_cnf("dog AND (cat OR mouse)") == [["dog"], ["cat", "mouse"]]
    assert parse_cnf('"new york" AND city') == [["new york"], ["city"]]
    assert parse_cnf("new  york OR boston AND city") == [["new york", "boston"], ["city"]]
    assert parse_cnf('"a \\"quoted\\" word" OR (x OR y)') == [['a "quoted" word', "x", "y"]]
    assert parse_cnf('"  spaced "') == [["  spaced "]]
    assert parse_cnf("and or") == [["and or"]]  # only upper-case keywords are operators
    for bad, msg in [("", "empty"), ("   ", "empty"), ("AND dog", "without a term before"),
                     ("dog AND", "without a term after"), ("dog OR", "without a term after"),
                     ("(dog AND cat)", "CNF"), ("((dog))", "nested"), ("(dog", "without '\\)'"),
                     ("dog)", "without '\\('"), ("()", "empty parentheses"), ('"dog', "unterminated"),
                     ('""', "empty quoted"), ('dog "cat"', "missing AND/OR"), ("dog (cat)", "missing AND/OR")]:
        with pytest.raises(InputError, match=msg):
            parse_cnf(bad)


def test_bad_arguments(case):
    index, _ = case
    for kw, msg in [({"window": -1}, "window"), ({"limit": -1}, "limit"), ({"max_clause_freq": 0}, "max_clause_freq")]:
        with pytest.raises(InputError, match=msg):
            index.search("cat", **kw)
    for cnf in ([], [[]], ["cat"], [[np.asarray([index.separator])]]):
        with pytest.raises(InputError):
            index.search(cnf)


@pytest.mark.parametrize("gather_cost", [0, 10**9])
def test_sampled_search_when_later_clauses_narrow_the_candidates(case, gather_cost, monkeypatch):
    """The estimate weighs sampled documents of the rarest clause that later clauses removed as 0
    (found on the Linux index: such a document past the last candidate raised IndexError)."""
    monkeypatch.setattr(search_mod, "GATHER_COST", gather_cost)
    index, docs = case
    df = Counter(t for d in docs for t in set(d))
    ranked = [t for t, n in df.most_common() if n > 6]
    for a, b in itertools.combinations(ranked[:8], 2):
        cnf = [[[a]], [[b]]]
        truth = _brute(docs, cnf, None)
        approx = index.search(cnf, max_clause_freq=3, limit=100)
        assert {d.doc_index for d in approx.documents} <= set(truth)
        if approx.approximate:  # sampled in some shard (small shards may each stay under the cap)
            assert approx.count <= 3 * len(truth) + 3
        else:
            assert approx.count == len(truth)
