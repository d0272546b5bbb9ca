"""Index.count against a brute-force oracle, for the bytes tokenizer and a BPE tokenizer trained here,
on one shard and on many."""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import NgramOracle, make_texts, write_jsonl

import tracer
from tracer.errors import InputError

N_PRESENT = 2000
N_ABSENT = 1000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    texts = make_texts(500, seed=1)
    path = write_jsonl(tmp_path_factory.mktemp("count") / "corpus.jsonl",
                       [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    return path, texts


def _build(corpus, tmp_path_factory, tokenizer: str, shard_tokens: int | None):
    path, _ = corpus
    out = tmp_path_factory.mktemp("idx") / "index"
    kwargs = {"id_field": "id", "progress": False, "tokenizer": tokenizer}
    if shard_tokens:
        kwargs["shard_tokens"] = shard_tokens
    tracer.build([str(path)], str(out), **kwargs)
    return tracer.open(str(out))


def _queries(oracle: NgramOracle, docs: list, vocab: list[int], seed: int) -> list[list[int]]:
    """Present n-grams of 1..50 tokens, then as many mutated or random (mostly absent) ones."""
    rng = random.Random(seed)
    present = [oracle.sample_present(rng, docs, 50) for _ in range(N_PRESENT)]
    absent = []
    for i in range(N_ABSENT):
        if i % 3 == 0:
            absent.append([rng.choice(vocab) for _ in range(rng.randint(1, 50))])
        elif i % 3 == 1:  # end of one document + start of the next: must never match across them
            a, b = rng.sample([d for d in docs if len(d) > 3], 2)
            absent.append([int(x) for x in a[-rng.randint(1, 3):]] + [int(x) for x in b[: rng.randint(1, 3)]])
        else:
            q = list(rng.choice(present))
            q[rng.randrange(len(q))] = rng.choice(vocab)
            absent.append(q)
    return present + absent


def _check_counts(index, docs: list, vocab: list[int], seed: int) -> None:
    oracle = NgramOracle(docs)
    queries = _queries(oracle, docs, vocab, seed)
    want = [oracle.count(q) for q in queries]
    got = index.count_many([np.asarray(q) for q in queries])
    bad = [(q, g, w) for q, g, w in zip(queries, got, want, strict=True) if g != w]
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"
    assert sum(w == 0 for w in want) >= N_ABSENT // 3, "too few absent queries: the test lost its teeth"
    assert all(w > 0 for w in want[:N_PRESENT])
    # the single-query path agrees too
    for q, w in list(zip(queries, want, strict=True))[::25]:
        assert index.count(q) == w


@pytest.mark.parametrize("shard_tokens", [None, 1500], ids=["one-shard", "many-shards"])
def test_bytes_counts_equal_oracle(corpus, tmp_path_factory, shard_tokens):
    index = _build(corpus, tmp_path_factory, "bytes", shard_tokens)
    assert (len(index.shards) > 5) == bool(shard_tokens)
    _, texts = corpus
    docs = [list(t.encode("utf-8")) for t in texts]
    _check_counts(index, docs, [b for b in range(255)], seed=2)
    # text queries: substrings of the documents and their counts as UTF-8 byte strings
    blob = b"\xff".join(t.encode("utf-8") for t in texts)
    rng = random.Random(3)
    for _ in range(300):
        t = rng.choice([t for t in texts if t])
        s = rng.randrange(len(t))
        q = t[s : s + rng.randint(1, 20)]
        qb = q.encode("utf-8")
        want, i = 0, blob.find(qb)
        while i >= 0:
            want, i = want + 1, blob.find(qb, i + 1)
        assert index.count(q) == want, q


@pytest.mark.parametrize("shard_tokens", [None, 700], ids=["one-shard", "many-shards"])
def test_bpe_counts_equal_oracle(corpus, tmp_path_factory, bpe_tokenizer, hf_encode, shard_tokens):
    index = _build(corpus, tmp_path_factory, str(bpe_tokenizer), shard_tokens)
    assert index.dtype == np.uint16 and index.separator == 65535
    assert (len(index.shards) > 5) == bool(shard_tokens)
    _, texts = corpus
    docs = [hf_encode(t) for t in texts]
    assert index.n_tokens == sum(len(d) + 1 for d in docs)
    _check_counts(index, docs, list(range(index.tokenizer.vocab_size)), seed=4)
    # unigram counts are the oracle's bincount (separators excluded)
    want = np.bincount(np.concatenate([np.asarray(d, dtype=np.int64) for d in docs]),
                       minlength=index.tokenizer.vocab_size)
    assert np.array_equal(np.asarray(index.unigram, dtype=np.int64), want)


def test_bpe_text_query_finds_phrases_mid_document(tmp_path, bpe_tokenizer, hf_encode):
    """HFTokenizer documents that a text query counts both spellings: at a document start ("cat") and
    after a space ("Ġcat"). Hand-counted: 'cat' starts d0, and follows a space in d1 (twice) and d2."""
    texts = ["cat sat on the mat", "the cat sat, the cat ran", "a dog\nand a cat", "dog"]
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in texts])
    tracer.build([str(path)], str(tmp_path / "i"), tokenizer=str(bpe_tokenizer), progress=False)
    index = tracer.open(str(tmp_path / "i"))
    assert hf_encode("cat") != hf_encode(" cat")[1:], "tokenizer does not merge the leading space"
    assert index.count("cat") == 4
    assert index.count("the cat") == 2
    assert index.count("cat sat") == 2
    assert index.count("dog") == 2
    assert index.count(" cat") == 3  # an explicit leading space means mid-document only
    assert index.count("cow") == 0
    with pytest.raises(InputError, match="not valid Unicode"):  # lone surrogate, as argv holds for bytes 0xFF
        index.count("cat\udcff")
    for bad in ([index.tokenizer.vocab_size], [65535], [1, 60000]):  # outside the vocabulary; the separator
        with pytest.raises(InputError):
            index.count(np.asarray(bad, dtype=np.uint16))
        with pytest.raises(InputError):
            index.count_many([np.asarray(bad, dtype=np.uint16)])
    # and the ids oracle agrees with the two spellings added
    oracle = NgramOracle([hf_encode(t) for t in texts])
    for phrase in ["cat", "the mat", "cat ran", "a cat"]:
        assert index.count(phrase) == oracle.count(hf_encode(phrase)) + oracle.count(hf_encode(" " + phrase))


def test_counts_never_cross_documents(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": "xxabc"}, {"text": "defxx"}, {"text": ""}, {"text": "aaaa"}])
    tracer.build([str(path)], str(tmp_path / "i"), progress=False)
    index = tracer.open(str(tmp_path / "i"))
    assert index.count("abc") == 1
    assert index.count("abcdef") == 0
    assert index.count("cd") == 0
    assert index.count("aa") == 3  # overlapping
    assert index.count("xx") == 2
    assert index.count("x") == 4
    assert index.n_docs == 4 and index.n_tokens == 5 + 5 + 0 + 4 + 4


def test_bad_token_queries_are_refused(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": "abc"}])
    tracer.build([str(path)], str(tmp_path / "i"), progress=False)
    index = tracer.open(str(tmp_path / "i"))
    for bad in ["", "\udcff", np.asarray([97, 0xFF], dtype=np.uint8), np.zeros(0, dtype=np.uint8), [], [97, 0xFF], [256], [-1], np.zeros((2, 2), dtype=np.int64), [1.5]]:
        with pytest.raises(InputError):
            index.count(bad)
    with pytest.raises(InputError):
        index.count_many(["a", ""])
    with pytest.raises(InputError):
        index.count_many([np.asarray([97], dtype=np.uint8), np.asarray([0xFF], dtype=np.uint8)])
    assert index.count_many([]) == []
    assert index.count([97, 98]) == 1


def test_empty_corpus_counts_zero(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [])
    tracer.build([str(path)], str(tmp_path / "i"), progress=False)
    index = tracer.open(str(tmp_path / "i"))
    assert index.n_docs == 0 and index.n_tokens == 0
    assert index.count("a") == 0
    assert index.count_many(["a", "b"]) == [0, 0]
    assert index.find("a").count == 0
