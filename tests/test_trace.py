"""Index.trace against a brute-force oracle on random corpora (bytes and BPE, one and many shards).

The oracle knows nothing about suffix arrays or the trace pipeline: it tokenizes with the plain
tokenizer, counts token sequences by scanning every document (NgramOracle), derives allowed
boundaries and delimiter limits from the characters, and takes the *definition* of a maximal
span (an occurring, aligned span not strictly inside another one) over all candidate pairs.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
from conftest import WORDS, NgramOracle, make_texts, write_jsonl

import tracer
from tracer.query.longest import longest_lengths, longest_matches
from tracer.query.trace_spans import kernel_threads

DELIMS = "\n."


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return make_texts(300, seed=31, max_words=80)


@pytest.fixture(scope="module")
def corpus_path(tmp_path_factory, texts):
    return write_jsonl(tmp_path_factory.mktemp("trace") / "c.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])


def _build(path, tmp_path_factory, **kwargs):
    out = tmp_path_factory.mktemp("idx") / "index"
    tracer.build([str(path)], str(out), id_field="id", progress=False, **kwargs)
    return tracer.open(str(out))


@pytest.fixture(scope="module")
def bytes_many(corpus_path, tmp_path_factory):
    index = _build(corpus_path, tmp_path_factory, shard_tokens=2000)
    assert len(index.shards) > 3
    return index


@pytest.fixture(scope="module")
def bytes_one(corpus_path, tmp_path_factory):
    return _build(corpus_path, tmp_path_factory)


@pytest.fixture(scope="module")
def bpe_index(corpus_path, tmp_path_factory, bpe_tokenizer):
    return _build(corpus_path, tmp_path_factory, tokenizer=str(bpe_tokenizer), shard_tokens=1500)


# -- the oracle -------------------------------------------------------------------------------------
def _is_word(c: str, ascii_only: bool) -> bool:
    return (c.isascii() or not ascii_only) and (c.isalnum() or c == "_")


class Tokens:
    """A query tokenized by the plain tokenizer, with each token's character span."""

    def __init__(self, text: str, ids: list[int], starts: list[int], ends: list[int], ascii_only: bool):
        self.text, self.ids, self.starts, self.ends = text, ids, starts, ends
        t = len(ids)
        self.allowed = [True] * (t + 1)
        for j in range(1, t):
            s = starts[j]
            new_char = s != starts[j - 1]
            inside_word = 0 < s < len(text) and _is_word(text[s - 1], ascii_only) and _is_word(text[s], ascii_only)
            self.allowed[j] = new_char and not inside_word
        delim = [any(c in DELIMS for c in text[starts[j]:max(ends[j], starts[j])]) for j in range(t)]
        self.limit = []
        for i in range(t):
            j = next((j for j in range(i, t) if delim[j]), None)
            self.limit.append(t if j is None else j + 1)


def bytes_tokens(text: str) -> Tokens:
    ids, starts, ends = [], [], []
    for ci, ch in enumerate(text):
        for b in ch.encode("utf-8"):
            ids.append(b)
            starts.append(ci)
            ends.append(ci + 1)
    return Tokens(text, ids, starts, ends, ascii_only=True)


def hf_tokens(tokenizer_path, text: str) -> Tokens:
    from tokenizers import Tokenizer

    enc = Tokenizer.from_file(str(tokenizer_path)).encode(text, add_special_tokens=False)
    return Tokens(text, list(enc.ids), [a for a, _ in enc.offsets], [b for _, b in enc.offsets], ascii_only=False)


def brute_longest(oracle: NgramOracle, ids: list[int], i: int, limit: int) -> int:
    n = 0
    while i + n < limit and oracle.count(ids[i:i + n + 1]) > 0:
        n += 1
    return n


def brute_spans(oracle: NgramOracle, q: Tokens, min_len: int, max_count: int) -> dict[tuple[int, int], int]:
    """{(start, end): count} of qualifying maximal spans, straight from the definition."""
    pairs = []
    for i in range(len(q.ids)):
        if q.allowed[i]:
            longest = brute_longest(oracle, q.ids, i, q.limit[i])
            pairs += [(i, e) for e in range(i + 1, i + longest + 1) if q.allowed[e]]
    arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = {}
    for i, e in pairs:
        inside = (arr[:, 0] <= i) & (arr[:, 1] >= e) & ((arr[:, 0] != i) | (arr[:, 1] != e))
        if inside.any() or e - i < min_len:
            continue
        c = oracle.count(q.ids[i:e])
        if c <= max_count:
            out[(i, e)] = c
    return out


def make_query(rng: random.Random, texts: list[str]) -> str:
    """Corpus slices (often crossing words, delimiters, multi-byte characters) glued with random words."""
    nonempty = [t for t in texts if len(t) > 20]
    parts = []
    for _ in range(rng.randint(3, 6)):
        if rng.random() < 0.65:
            t = rng.choice(nonempty)
            s = rng.randrange(len(t) - 10)
            parts.append(t[s:s + rng.randint(10, 70)])
        else:
            parts.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5))))
    return " ".join(parts)


def _doc_tokens(texts, encode):
    return [encode(t) for t in texts]


def check_trace(index, texts, doc_tokens, tokenize, seed: int, n_queries: int, min_len: int, max_count: int):
    oracle = NgramOracle(doc_tokens)
    doc_of = np.cumsum(oracle.flat == -1)  # document number of each position of the concatenation
    rng = random.Random(seed)
    vocab = index.tokenizer.vocab_size
    uni = Counter(x for d in doc_tokens for x in d)
    total = sum(uni.values())
    logp = lambda ids: sum(math.log((uni[x] + 1) / (total + vocab)) for x in ids)  # noqa: E731
    n_spans = 0
    for _ in range(n_queries):
        text = make_query(rng, texts)
        q = tokenize(text)
        want = brute_spans(oracle, q, min_len, max_count)
        res = index.trace(text, min_len=min_len, max_count=max_count, all_spans=True, max_docs=3, context=10)
        got = {(s.start_token, s.end_token): s.count for s in res.spans}
        assert got == want, f"query {text!r}"
        n_spans += len(got)
        for s in res.spans:
            a, b = s.start_token, s.end_token
            assert (s.start_char, s.end_char) == (q.starts[a], q.ends[b - 1])
            assert s.text == text[s.start_char:s.end_char]
            assert abs(s.unigram_logprob - logp(q.ids[a:b])) < 1e-6
            # one more allowed token on either side (within the delimiter rule) never occurs
            right = next((e for e in range(b + 1, q.limit[a] + 1) if q.allowed[e]), None)
            if right is not None:
                assert oracle.count(q.ids[a:right]) == 0
            left = next((i for i in range(a - 1, -1, -1) if q.allowed[i]), None)
            if left is not None and b <= q.limit[left]:
                assert oracle.count(q.ids[left:b]) == 0
            # documents: distinct, each really contains the span, as many as exist up to max_docs
            holders = {f"d{k}" for k in doc_of[oracle.positions(q.ids[a:b])]}
            ids = [d.doc_id for d in s.documents]
            assert len(ids) == len(set(ids)) == min(3, len(holders)) and set(ids) <= holders
        covered = sorted((s.start_char, s.end_char) for s in res.spans)
        union = set().union(*(range(x, y) for x, y in covered)) if covered else set()
        assert set().union(*(range(x, y) for x, y in res.highlights)) == union if res.highlights else not union
        # top K: the K rarest qualifying spans (by the oracle's unigram log-probability)
        top = index.trace(text, min_len=min_len, max_count=max_count, max_docs=0)
        k = min(math.ceil(0.05 * len(q.ids)), len(want))
        chosen = {(s.start_token, s.end_token) for s in top.spans}
        assert len(chosen) == k and chosen <= set(want)
        if k < len(want):
            worst_in = max(logp(q.ids[a:b]) for a, b in chosen)
            best_out = min(logp(q.ids[a:b]) for a, b in set(want) - chosen)
            assert worst_in <= best_out + 1e-9
        by_len = index.trace(text, min_len=min_len, max_count=max_count, rank="length", k=2, max_docs=0)
        longest = sorted((b - a for a, b in want), reverse=True)[:2]
        assert sorted((s.end_token - s.start_token for s in by_len.spans), reverse=True) == longest
    assert n_spans >= n_queries, "too few spans: the oracle test lost its teeth"


@pytest.mark.parametrize("which", ["bytes_one", "bytes_many"])
def test_bytes_trace_equals_oracle(which, request, texts):
    index = request.getfixturevalue(which)
    check_trace(index, texts, _doc_tokens(texts, lambda t: list(t.encode("utf-8"))), bytes_tokens,
                seed=5, n_queries=25, min_len=3, max_count=4)


def test_unsearched_short_windows_change_no_span(bytes_one, texts):
    """With min_len 9, starts whose window to the next delimiter is shorter go unsearched
    (trace_spans.maximal_spans); the kept spans must still be the oracle's."""
    check_trace(bytes_one, texts, _doc_tokens(texts, lambda t: list(t.encode("utf-8"))), bytes_tokens,
                seed=7, n_queries=25, min_len=9, max_count=4)


def test_bpe_trace_equals_oracle(bpe_index, texts, bpe_tokenizer, hf_encode):
    check_trace(bpe_index, texts, _doc_tokens(texts, hf_encode), lambda t: hf_tokens(bpe_tokenizer, t),
                seed=6, n_queries=25, min_len=2, max_count=4)


@pytest.mark.parametrize("which", ["bytes_many", "bpe_index"])
def test_longest_match_kernel_equals_brute_force(which, request, texts, hf_encode):
    index = request.getfixturevalue(which)
    encode = (lambda t: list(t.encode("utf-8"))) if which.startswith("bytes") else hf_encode
    oracle = NgramOracle(_doc_tokens(texts, encode))
    rng = random.Random(8)
    for _ in range(20):
        ids = encode(make_query(rng, texts))
        if rng.random() < 0.3:  # tokens absent from the corpus, too
            ids[rng.randrange(len(ids))] = 254 if which.startswith("bytes") else index.tokenizer.vocab_size - 1
        t = len(ids)
        limits = np.asarray([rng.choice([t, min(t, i + rng.randint(0, 12)), i]) for i in range(t)], dtype=np.int64)
        with kernel_threads(t):  # one thread: parallel regions crawl on a busy 2-core machine
            got = longest_lengths(index, np.asarray(ids), limits)
            full = longest_matches(index, np.asarray(ids), limits)
        want = [brute_longest(oracle, ids, i, int(limits[i])) for i in range(t)]
        assert got.tolist() == want
        assert full.lengths.tolist() == want
        assert full.counts.tolist() == [oracle.count(ids[i:i + n]) if n else 0 for i, n in enumerate(want)]


def test_ascii_fast_path_equals_the_generic_one(bytes_many, texts):
    """ASCII text on a bytes index skips the tokenizer's offsets: its ids, offsets, delimiter
    limits and word boundaries must be the generic path's, and so must every trace."""
    from tracer.query import trace as trace_module
    from tracer.query.trace_spans import delimiter_limits
    from tracer.tokenize.boundaries import token_boundaries

    rng = random.Random(11)
    ascii_texts = [t.encode("ascii", "ignore").decode() for t in texts if t.isascii() or rng.random() < 0.5]
    queries = [make_query(rng, ascii_texts).encode("ascii", "ignore").decode() for _ in range(40)]
    queries += ["a", "..", "x_y.z\n\nfoo_bar 12.5 baz", "no delimiters here at all", "end."]
    fast_used = 0
    for q in queries:
        for delimiters in ("\n.", "", ".;,", "\u3002\n"):
            fast = trace_module._ascii_bytes(bytes_many, q, delimiters)
            searched, ids, starts, ends, _ = trace_module._encode(bytes_many, q)
            want = (ids, starts, ends, delimiter_limits(searched, starts, ends, delimiters),
                    token_boundaries(starts, searched, bytes_many.tokenizer.ascii_words))
            assert fast is not None
            fast_used += 1
            for got, exp in zip(fast, want, strict=True):
                assert np.array_equal(got, exp), (q, delimiters)
    assert trace_module._ascii_bytes(bytes_many, "caf\u00e9 au lait", "\n.") is None  # not ASCII: generic path
    results = [bytes_many.trace(q, min_len=3, max_docs=2).to_json() for q in queries]
    real = trace_module._ascii_bytes
    trace_module._ascii_bytes = lambda *a: None
    try:
        assert [bytes_many.trace(q, min_len=3, max_docs=2).to_json() for q in queries] == results
    finally:
        trace_module._ascii_bytes = real
    assert fast_used == 4 * len(queries) and any(r["spans"] for r in results)
