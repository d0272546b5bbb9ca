"""Character offsets from the byte-level BPE byte table (``HFTokenizer.byte_level``) equal the ones
from decoding the document's token prefix, for every kind of token position: characters split
across tokens, matches starting or ending inside a character, added tokens in the document."""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import make_texts, write_jsonl

import tracer
from tracer.query import documents
from tracer.tokenize.hf import HFTokenizer

SPECIAL = "<|endoftext|>"


def _train(tmp_path, *, special: bool = False, normalizer=None, wordpiece: bool = False):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    if wordpiece:
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        tok.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(vocab_size=300, special_tokens=["[UNK]"], show_progress=False)
    else:
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        # a small vocabulary leaves multi-byte characters split across byte tokens
        trainer = trainers.BpeTrainer(vocab_size=330, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      special_tokens=[SPECIAL] if special else [], show_progress=False)
    if normalizer == "nfkc":
        tok.normalizer = normalizers.NFKC()
    # trained on ASCII only: every multi-byte character of the corpus is split into byte tokens
    tok.train_from_iterator([t.encode("ascii", "ignore").decode() for t in make_texts(300, seed=5)], trainer)
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    return path


@pytest.fixture(scope="module")
def bpe_index(tmp_path_factory):
    """A ByteLevel BPE index with an added token inside some documents, in several shards."""
    tmp = tmp_path_factory.mktemp("offsets")
    tok = _train(tmp, special=True)
    texts = make_texts(120, seed=17, max_words=200)
    for i in range(0, len(texts), 7):
        texts[i] = texts[i][:40] + SPECIAL + "ÿ日本語😀" + texts[i][40:]
    corpus = write_jsonl(tmp / "c.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    tracer.build([corpus], tmp / "idx", id_field="id", tokenizer=str(tok), shard_tokens=4000, progress=False)
    return tracer.open(tmp / "idx")


def _decode_oracle(index, shard_no: int, position: int, length: int, context: int):
    """Offsets and snippet of the occurrence by decoding token prefixes with the tokenizer library."""
    shard = index.shards[shard_no]
    local = int(np.searchsorted(shard.doc_starts, position, side="right")) - 1
    a, b = int(shard.doc_starts[local]), int(shard.doc_starts[local + 1])
    doc = shard.tokens[a:b]
    if b > a and doc[-1] == index.tokenizer.separator:
        doc = doc[:-1]
    t0, t1 = position - a, min(position + length, a + len(doc)) - a
    dec = index.tokenizer.decode
    cs, ce = len(dec(doc[:t0])), len(dec(doc[:t1]))
    before = dec(doc[max(0, t0 - 4 * context) : t0])[-context:]
    snippet = before + dec(doc[t0:t1]) + dec(doc[t1 : t1 + 4 * context])[:context]
    return shard.doc_base + local, t0, t1, cs, ce, snippet, cs - len(before)


def _starts_inside_character(index, shard_no: int, position: int) -> bool:
    table = index.tokenizer.byte_level
    t = int(index.shards[shard_no].tokens[position])
    return table.leads[t] >= 0 and table.offsets[t + 1] > table.offsets[t] and (
        table.data[table.offsets[t]] & 0xC0) == 0x80


def test_byte_table_offsets_equal_decoded_prefixes(bpe_index, monkeypatch):
    index = bpe_index
    assert index.tokenizer.byte_level is not None  # the fast path is what this test exercises
    assert len(index.shards) > 1
    rng = random.Random(3)
    inside = added = 0
    for _ in range(3000):
        shard_no = rng.randrange(len(index.shards))
        shard = index.shards[shard_no]
        position = rng.randrange(shard.n_tokens)
        if shard.tokens[position] == index.tokenizer.separator:
            continue
        length, context = rng.choice([1, 2, 3, 8, 40]), rng.choice([3, 20, 80])
        span = documents.doc_span(index, shard_no, position, length, context)
        want = _decode_oracle(index, shard_no, position, length, context)
        got = (span.doc_index, span.token_start, span.token_end, span.char_start, span.char_end,
               span.snippet, span.snippet_start)
        assert got == want, (shard_no, position, length, context)
        inside += _starts_inside_character(index, shard_no, position)
        a = int(shard.doc_starts[int(np.searchsorted(shard.doc_starts, position, side="right")) - 1])
        added += bool(np.any(index.tokenizer.byte_level.leads[shard.tokens[a:position]] < 0))
    assert inside > 20 and added > 20  # both awkward cases were hit


def test_same_as_decode_path_except_a_start_inside_a_character(bpe_index, monkeypatch):
    """The decode path gives ce = cs + len(decode(match)); a match starting on a character's tail
    bytes decodes them to extra U+FFFDs there, which the prefix count does not add."""
    index = bpe_index
    rng = random.Random(4)
    cases = []
    for _ in range(1500):
        shard_no = rng.randrange(len(index.shards))
        position = rng.randrange(index.shards[shard_no].n_tokens)
        if index.shards[shard_no].tokens[position] != index.tokenizer.separator:
            cases.append((shard_no, position, rng.choice([1, 4, 30])))
    fast = [documents.doc_span(index, s, p, n, 50) for s, p, n in cases]
    monkeypatch.setattr(documents, "_byte_table", lambda index: None)
    slow = [documents.doc_span(index, s, p, n, 50) for s, p, n in cases]
    for (s, p, _), f, w in zip(cases, fast, slow, strict=True):
        if _starts_inside_character(index, s, p):
            assert f.char_end <= w.char_end and (f.char_start, f.snippet) == (w.char_start, w.snippet)
        else:
            assert f == w


def test_find_hits_point_at_the_query(bpe_index):
    index = bpe_index
    for query in ["日本語", "😀", "ÿ", "café", SPECIAL + "ÿ"]:
        result = index.find(query, limit=200, context=10)
        assert result.occurrences
        for o in result.occurrences:
            text = index.document(o.doc_id).text
            assert text[o.char_start : o.char_end] in (query, " " + query), (query, o)
            assert o.snippet[o.char_start - o.snippet_start :].startswith(text[o.char_start : o.char_end])


def test_only_plain_byte_level_tokenizers_get_a_table(tmp_path):
    assert HFTokenizer(_train(tmp_path)).byte_level is not None
    assert HFTokenizer(_train(tmp_path, normalizer="nfkc")).byte_level is None
    assert HFTokenizer(_train(tmp_path, wordpiece=True)).byte_level is None
    table = HFTokenizer(_train(tmp_path, special=True)).byte_level
    assert table is not None and table.leads[0] == -1  # the added token is decoded, not counted
    import json

    spec = json.loads((tmp_path / "tokenizer.json").read_text())
    spec["decoder"] = {"type": "Sequence", "decoders": [spec["decoder"]]}
    (tmp_path / "t2.json").write_text(json.dumps(spec))
    assert HFTokenizer(tmp_path / "t2.json").byte_level is None
