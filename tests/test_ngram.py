"""n-gram and ∞-gram queries (prob, ntd, infgram_prob, infgram_ntd, infgram_logprobs) against a
brute-force scan of the documents, on bytes and BPE indexes with one and many shards."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import NgramOracle, make_texts, write_jsonl

import tracer
from tracer.errors import InputError


class Brute:
    """The oracle: counts, continuations and ∞-gram log-probs by scanning the documents."""

    def __init__(self, docs: list[list[int]], vocab: int):
        self.docs = docs
        self.o = NgramOracle(docs)
        self.n = sum(len(d) for d in docs)
        self.vocab = vocab
        self.unigram = Counter(t for d in docs for t in d)

    def count(self, seq) -> int:
        return self.n if len(seq) == 0 else self.o.count(list(seq))

    def continuations(self, seq) -> tuple[Counter, int]:
        """Next token after every occurrence (inside documents), and occurrences ending a document."""
        nxt: Counter = Counter()
        end = 0
        for d in self.docs:
            for p in range(len(d) - len(seq) + 1):
                if list(d[p:p + len(seq)]) == list(seq):
                    if p + len(seq) < len(d):
                        nxt[d[p + len(seq)]] += 1
                    else:
                        end += 1
        return nxt, end

    def longest_suffix(self, ctx) -> int:
        for n in range(len(ctx), 0, -1):
            if self.count(ctx[len(ctx) - n:]) > 0:
                return n
        return 0

    def q(self, ctx, t) -> tuple[float, int]:
        n = self.longest_suffix(ctx)
        s = list(ctx[len(ctx) - n:])
        u = (self.unigram[t] + 1) / (self.n + self.vocab)
        return math.log((self.count(s + [t]) + u) / (self.count(s) + 1)), n


def _build(tmp: Path, texts: list[str], **kw) -> tracer.Index:
    path = write_jsonl(tmp / "c.jsonl", [{"text": t} for t in texts])
    tracer.build([str(path)], str(tmp / "i"), progress=False, **kw)
    return tracer.open(str(tmp / "i"))


TEXTS = make_texts(70, seed=5, max_words=25)


@pytest.fixture(scope="module", params=["bytes-1", "bytes-many", "bpe-1", "bpe-many"])
def case(request, tmp_path_factory, bpe_tokenizer, hf_encode):
    kind, shards = request.param.split("-")
    tmp = tmp_path_factory.mktemp(request.param)
    if kind == "bytes":
        docs = [list(t.encode("utf-8")) for t in TEXTS]
        kw = {}
    else:
        docs = [hf_encode(t) for t in TEXTS]
        kw = {"tokenizer": str(bpe_tokenizer)}
    if shards == "many":
        kw["shard_tokens"] = max(len(d) for d in docs) + 1 + 40
    index = _build(tmp, TEXTS, **kw)
    if shards == "many":
        assert len(index.shards) > 3
    return index, Brute(docs, index.tokenizer.vocab_size)


def _contexts(brute: Brute, rng: random.Random, k: int) -> list[list[int]]:
    """Present n-grams (1-4 tokens), absent ones (a present one plus a random token), and the empty context."""
    out: list[list[int]] = [[]]
    for _ in range(k):
        g = brute.o.sample_present(rng, brute.docs, 4)
        out.append(g)
        out.append(g + [rng.choice(list(brute.unigram))])
    return out


def test_prob_equals_brute_force(case):
    index, brute = case
    rng = random.Random(1)
    tokens = list(brute.unigram)
    for ctx in _contexts(brute, rng, 25):
        for t in rng.sample(tokens, 4):
            r = index.prob(np.asarray(ctx, dtype=np.int64), t)
            c, f = brute.count(ctx), brute.count(ctx + [t])
            assert (r.count_context, r.count_full, r.token, r.context_len) == (c, f, t, len(ctx))
            assert r.prob == (f / c if c else None)


def test_ntd_exact_equals_brute_force(case):
    index, brute = case
    rng = random.Random(2)
    for ctx in _contexts(brute, rng, 25)[1:]:
        d = index.ntd(ctx, max_support=10**9)
        nxt, end = brute.continuations(ctx)
        assert not d.approximate and d.count_context == brute.count(ctx) == d.support
        assert {c.token: c.count for c in d.continuations} == dict(nxt)
        assert d.doc_end == end
        total = sum(nxt.values())
        for c in d.continuations:
            assert c.prob == pytest.approx(nxt[c.token] / total)
        counts = [c.count for c in d.continuations]
        assert counts == sorted(counts, reverse=True)  # most frequent first


def test_ntd_of_the_empty_context_is_the_unigram(case):
    index, brute = case
    d = index.ntd([], max_support=10**9)
    assert d.count_context == brute.n and d.doc_end == len(brute.docs) and not d.approximate
    assert {c.token: c.count for c in d.continuations} == dict(brute.unigram)
    assert index.prob([], next(iter(brute.unigram))).count_context == brute.n


def test_ntd_sampled_beyond_max_support(case):
    index, brute = case
    ctx = max(([t] for t in brute.unigram), key=brute.count)  # the most frequent token
    nxt, end = brute.continuations(ctx)
    d = index.ntd(ctx, max_support=7)
    assert d.approximate and d.count_context == brute.count(ctx) and d.support == 7
    assert sum(c.count for c in d.continuations) + d.doc_end == 7
    assert all(c.token in nxt for c in d.continuations)
    assert sum(c.prob for c in d.continuations) == pytest.approx(1.0)
    # an even sample along the suffix array (sorted by continuation) hits every continuation
    # that holds more than 1/7 of the occurrences
    big = {t for t, n in nxt.items() if n > (sum(nxt.values()) + end) / 7 * 2}
    assert big <= {c.token for c in d.continuations}


def test_infgram_prob_and_ntd_back_off(case):
    index, brute = case
    rng = random.Random(3)
    tokens = list(brute.unigram)
    for ctx in _contexts(brute, rng, 20):
        ctx = [rng.choice(tokens) for _ in range(rng.randrange(0, 3))] + ctx  # often unseen as a whole
        n = brute.longest_suffix(ctx)
        s = ctx[len(ctx) - n:]
        t = rng.choice(tokens)
        r = index.infgram_prob(ctx, t)
        assert (r.context_len, r.count_context, r.count_full) == (n, brute.count(s), brute.count(s + [t]))
        d = index.infgram_ntd(ctx, max_support=10**9)
        assert d.context_len == n
        if n:
            assert {c.token: c.count for c in d.continuations} == dict(brute.continuations(s)[0])


def test_infgram_logprobs_equal_brute_force(case):
    index, brute = case
    rng = random.Random(4)
    tokens = list(brute.unigram)
    texts = []
    for _ in range(6):  # a document piece with unseen tokens spliced in, so the back-off shortens
        d = rng.choice([d for d in brute.docs if len(d) > 10])
        a = rng.randrange(0, len(d) - 5)
        piece = list(d[a:a + rng.randrange(5, 40)])
        k = rng.randrange(len(piece))
        texts.append(piece[:k] + [rng.choice(tokens) for _ in range(3)] + piece[k:])
    texts.append([rng.choice(tokens) for _ in range(30)])
    for ids in texts:
        r = index.infgram_logprobs(ids)
        want = [brute.q(ids[:i], ids[i]) for i in range(len(ids))]
        assert r.suffix_len.tolist() == [n for _, n in want]
        np.testing.assert_allclose(r.logprobs, [q for q, _ in want], rtol=1e-12)
        # capped at one token of context: the longest suffix of length <= 1 that occurs
        r1 = index.infgram_logprobs(ids, max_suffix=1)
        want1 = [brute.q(ids[max(0, i - 1):i], ids[i]) for i in range(len(ids))]
        assert r1.suffix_len.tolist() == [n for _, n in want1]
        np.testing.assert_allclose(r1.logprobs, [q for q, _ in want1], rtol=1e-12)


def test_text_inputs_follow_the_leading_space_rule(case):
    index, brute = case
    text = TEXTS[0].split()[1] if len(TEXTS[0].split()) > 1 else "cat"
    variants = [list(v) for v in index.tokenizer.query_variants(text)]
    want_ctx = sum(brute.count(v) for v in variants)
    t = next(iter(brute.unigram))
    r = index.prob(text, t)
    assert r.count_context == want_ctx and r.count_full == sum(brute.count(v + [t]) for v in variants)
    d = index.ntd(text, max_support=10**9)
    merged: Counter = Counter()
    for v in variants:
        merged.update(brute.continuations(v)[0])
    assert {c.token: c.count for c in d.continuations} == dict(merged)
    whole = TEXTS[1]
    assert index.infgram_logprobs(whole).token_ids.tolist() == list(index.tokenizer.encode(whole))


def test_bad_inputs_are_input_errors(case):
    index, _ = case
    sep = index.separator
    with pytest.raises(InputError, match="separator|out of range"):  # bytes: 0xFF; BPE: beyond the vocabulary
        index.prob([sep], 0)
    with pytest.raises(InputError, match="separator|out of range"):
        index.prob([1], sep)
    with pytest.raises(InputError, match="tokens of this index"):
        index.prob("a", "hello world")
    with pytest.raises(InputError, match="max_support"):
        index.ntd("a", max_support=0)
    with pytest.raises(InputError, match="out of range"):
        index.infgram_logprobs([index.tokenizer.vocab_size])
    with pytest.raises(InputError, match="max_suffix"):
        index.infgram_logprobs([1], max_suffix=-1)
    assert index.infgram_logprobs([]).logprobs.size == 0


def test_separator_byte_in_a_text_breaks_the_context(tmp_path):
    """Byte 0xFF can be a token id of a bytes text (not of UTF-8): no context spans it, it never continues."""
    index = _build(tmp_path, ["abcabd", "xab"])
    brute = Brute([list(b"abcabd"), list(b"xab")], 256)
    ids = list(b"ab") + [0xFF] + list(b"abc")
    r = index.infgram_logprobs(ids)
    assert r.suffix_len.tolist() == [0, 1, 2, 0, 1, 2]
    assert r.count_full[2] == 0
    want = [brute.q(ids[:i], ids[i])[0] for i in (0, 1)] + [math.log((1 / (brute.n + 256)) / (brute.count(b"ab") + 1))]
    want += [brute.q(ids[3:i], ids[i])[0] for i in (3, 4, 5)]
    np.testing.assert_allclose(r.logprobs, want, rtol=1e-12)
