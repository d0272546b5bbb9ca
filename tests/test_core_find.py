"""find and doc: every occurrence's character offsets point at the query in the document's own text
(bytes, BPE and normalized indexes; raw offsets for normalized ones); doc by id returns the input."""

from __future__ import annotations

import json

import pytest
from conftest import NgramOracle, make_texts, write_jsonl

import tracer
from tracer.tokenize import normalize


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    texts = make_texts(200, seed=31)
    texts[5] = "naïve café ÿÿ\uffff hello world, 日本語 hello"
    path = write_jsonl(tmp_path_factory.mktemp("find") / "c.jsonl",
                       [{"id": f"doc-{i}", "text": t, "lang": "xx"} for i, t in enumerate(texts)])
    return path, texts


def _check_occurrences(result, texts: list[str], query: str) -> None:
    for o in result.occurrences:
        text = texts[o.doc_index]
        assert o.doc_id == f"doc-{o.doc_index}"
        assert text[o.char_start : o.char_end] == query, (o, text)
        a = o.char_start - o.snippet_start
        assert o.snippet == text[o.snippet_start : o.snippet_start + len(o.snippet)]
        assert o.snippet[a : a + len(query)] == query
        assert o.meta["lang"] == "xx" and o.meta["line"] == o.doc_index + 1


def test_cli_find_offsets_bytes(corpus, tmp_path, tracer_cli):
    path, texts = corpus
    out = tmp_path / "i"
    assert tracer_cli("build", path, "--out", out, "--id-field", "id", "--shard-tokens", "3000",
                      "--quiet").returncode == 0
    oracle = NgramOracle([list(t.encode()) for t in texts])
    for query in ["ÿ", "日本語 hello"]:
        proc = tracer_cli("find", "--index", out, query, "--limit", "1000", "--format", "json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["count"] == oracle.count(list(query.encode())) == len(result["occurrences"]) > 0
        for o in result["occurrences"]:
            text = texts[o["doc_index"]]
            assert text[o["char_start"] : o["char_end"]] == query
            assert o["snippet"][o["char_start"] - o["snippet_start"] :][: len(query)] == query
    # limit caps the occurrences, not the count
    proc = tracer_cli("find", "--index", out, "the", "--limit", "3", "--format", "json")
    result = json.loads(proc.stdout)
    assert len(result["occurrences"]) == 3 and result["count"] == oracle.count(list(b"the"))
    # batch counting: one output line per query, in order
    queries = ["ÿ", "the", "\uffff", "zzz zzz", "not there at all", "日本語", "a", "\n"]
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("".join(json.dumps({"text": q}) + "\n" for q in queries), encoding="utf-8")
    proc = tracer_cli("count", "--index", out, "--queries", qfile, "--format", "jsonl")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows == [{"text": q, "count": oracle.count(list(q.encode()))} for q in queries]
    # doc by id, and #N
    proc = tracer_cli("doc", "--index", out, "doc-5", "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["text"] == texts[5] and doc["doc_id"] == "doc-5" and doc["meta"]["line"] == 6
    proc = tracer_cli("doc", "--index", out, "#5")
    assert proc.stdout == texts[5] + "\n"


def test_find_offsets_in_process_all_occurrences(corpus, tmp_path):
    path, texts = corpus
    tracer.build([str(path)], str(tmp_path / "i"), id_field="id", progress=False)
    index = tracer.open(str(tmp_path / "i"))
    for query in ["a", "cat sat", "😀", "Ω x", "\x00", "hello", "café ÿÿ\uffff"]:
        result = index.find(query, limit=10_000, context=5)
        assert result.count == len(result.occurrences)
        assert result.count == sum(_overlapping(t, query) for t in texts)
        _check_occurrences(result, texts, query)


def _overlapping(text: str, query: str) -> int:
    return sum(1 for i in range(len(text)) if text.startswith(query, i))


def test_find_offsets_bpe(corpus, tmp_path, bpe_tokenizer):
    """Mid-document matches come from the space-prefixed spelling; offsets still cover just the query."""
    path, texts = corpus
    tracer.build([str(path)], str(tmp_path / "i"), id_field="id", tokenizer=str(bpe_tokenizer),
                 shard_tokens=2000, progress=False)
    index = tracer.open(str(tmp_path / "i"))
    for query in ["hello", "world", "café", "hello world"]:
        result = index.find(query, limit=10_000)
        assert result.count == len(result.occurrences) > 0
        _check_occurrences(result, texts, query)
        for o in result.occurrences:
            assert o.char_start == 0 or not texts[o.doc_index][o.char_start].isspace()


def test_find_offsets_normalized_index(tmp_path, tracer_cli):
    texts = ["He said: Hello,   WORLD!", "HELLO, world", "“hello, world”\n and\n\nthen", "Tom &amp; Jerry",
             "tom\u00a0&\tjerry and hello,\nworld", "nothing here", "say ﬁne Straße  \n"]
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in texts])
    tracer.build([str(path)], str(tmp_path / "i"), normalize=True, progress=False)
    index = tracer.open(str(tmp_path / "i"))
    assert index.normalization
    cases = {"hello, world": ["Hello,   WORLD", "HELLO, world", "hello, world", "hello,\nworld"],
             "TOM & JERRY": ["Tom &amp; Jerry", "tom\u00a0&\tjerry"], "and then": ["and\n\nthen"],
             "fine strasse": ["ﬁne Straße"], "ine": ["ﬁne"]}  # NFKC/casefold change lengths; trailing space dropped
    for query, raws in cases.items():
        result = index.find(query, limit=100)
        assert result.count == len(raws)
        got = []
        for o in result.occurrences:
            raw = texts[o.doc_index]
            span = raw[o.char_start : o.char_end]
            assert normalize(span).endswith(normalize(query)) or normalize(query) in normalize(span)
            got.append(span)
        assert sorted(got) == sorted(raws)
    assert index.document(3).text == "Tom &amp; Jerry"  # raw text is kept
    proc = tracer_cli("find", "--index", tmp_path / "i", "tom & jerry", "--format", "json")
    occ = json.loads(proc.stdout)["occurrences"]
    assert [texts[o["doc_index"]][o["char_start"] : o["char_end"]] for o in occ] == ["Tom &amp; Jerry",
                                                                                      "tom\u00a0&\tjerry"]


def test_find_inside_a_normalization_expansion(tmp_path):
    """'ß' normalizes to 'ss' and 'ﬁ' to 'fi': a match of part of an expansion reports its raw character."""
    texts = ["ßSS", "ﬁne"]
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in texts])
    tracer.build([str(path)], str(tmp_path / "i"), normalize=True, progress=False)
    index = tracer.open(str(tmp_path / "i"))
    spans = [texts[o.doc_index][o.char_start : o.char_end] for o in index.find("S").occurrences]
    assert spans == ["ß", "ß", "S", "S"]
    spans = [texts[o.doc_index][o.char_start : o.char_end] for o in index.find("f").occurrences]
    assert spans == ["ﬁ"]
    spans = [texts[o.doc_index][o.char_start : o.char_end] for o in index.find("sss").occurrences]
    assert spans == ["ßS", "ßSS"]


def _wordpiece(path):
    """A lowercasing WordPiece tokenizer (BERT-style): decode() cannot give back case or spacing."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    texts = ["Hello, World! the cat sat.", "x the cat", "a dog and the cat ran far away"]
    tok.train_from_iterator(texts * 20, trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[UNK]"],
                                                                 show_progress=False))
    tok.save(str(path))
    return path


def test_lossy_tokenizer_documents_and_offsets(tmp_path):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    texts = ["Hello, World! the cat sat.", "x the cat"]
    tok.train_from_iterator(texts * 20, trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[UNK]"]))
    tok.save(str(tmp_path / "wp.json"))
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in texts])
    tracer.build([str(path)], str(tmp_path / "i"), tokenizer=str(tmp_path / "wp.json"), progress=False)
    index = tracer.open(str(tmp_path / "i"))
    assert index.count("cat") == 2
    assert [index.document(i).text for i in range(2)] == texts
    assert [texts[o.doc_index][o.char_start : o.char_end] for o in index.find("cat").occurrences] == ["cat", "cat"]


def _lowercasing_bpe(path):
    """Byte-level BPE after a lowercasing normalizer: decodes by pieces, but not back to "The"."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(["a dog and the cat ran far away", "x the cat sat"] * 20, trainer)
    tok.save(str(path))
    return path


@pytest.mark.parametrize("kind", ["lowercasing-bpe", "wordpiece"])
def test_lossy_tokenizer_parts_keep_raw_text_where_needed(tmp_path, kind):
    """Several parts. A tokenizer that decodes by pieces: parts with a document that does not
    round-trip keep every document's raw text (earlier lossless ones too) and say so in the
    manifest, the others keep none. WordPiece joins pieces with spaces, so offsets cannot come
    from decoding: every part keeps raw text. find and trace offsets index the raw text."""
    from tracer.query.trace import trace

    wp = _lowercasing_bpe(tmp_path / "t.json") if kind == "lowercasing-bpe" else _wordpiece(tmp_path / "t.json")
    texts = ["the cat sat", "a dog and the cat ran", "x the cat",  # lossless: decode gives them back
             "the cat sat", "The  CAT sat far away", "a dog",  # lossless first, then lossy ones
             "x the cat", "the dog ran", "x the cat"] * 3
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    tracer.build([str(path)], str(tmp_path / "i"), tokenizer=str(wp), id_field="id", shard_tokens=18,
                 progress=False)
    index = tracer.open(str(tmp_path / "i"))
    from tokenizers import Tokenizer

    hf = Tokenizer.from_file(str(wp))
    lossy_doc = [hf.decode(hf.encode(t, add_special_tokens=False).ids) != t for t in texts]
    assert any(lossy_doc) and not all(lossy_doc)
    n_raw = 0
    for shard in index.shards:
        docs = range(shard.doc_base, shard.doc_base + shard.n_docs)
        want = kind == "wordpiece" or any(lossy_doc[d] for d in docs)
        assert shard.entry.raw is want and shard.has_raw is want
        assert (shard.path / "raw.bin").exists() is want and (shard.path / "raw.idx").exists() is want
        assert ("raw.bin" in shard.entry.files) is want
        n_raw += want
        if want:
            assert [shard.raw_text(d - shard.doc_base) for d in docs] == [texts[d] for d in docs]
    if kind == "lowercasing-bpe":
        assert 0 < n_raw < len(index.shards)
        assert any(not lossy_doc[s.doc_base] and s.has_raw for s in index.shards)  # an earlier lossless doc kept
    assert [index.document(f"d{i}").text for i in range(len(texts))] == texts
    want_cat = sum(t.lower().split().count("cat") for t in texts)
    shard_raw = [s.has_raw for s in index.shards]
    result = index.find("cat", limit=1000, context=4)
    assert result.count == len(result.occurrences) == want_cat
    for o in result.occurrences:
        text = texts[o.doc_index]
        assert text[o.char_start : o.char_end].lower() == "cat"
        assert o.snippet == text[o.snippet_start : o.snippet_start + len(o.snippet)]
        if shard_raw[o.shard]:  # cut from the raw text
            assert o.snippet_start <= o.char_start and o.snippet_start + len(o.snippet) == min(len(text), o.char_end + 4)
    spans = [texts[o.doc_index][o.char_start : o.char_end] for o in index.find("cat sat far").occurrences]
    assert spans == ["CAT sat far"] * 3
    traced = trace(index, "THE CAT SAT FAR AWAY", max_count=100, min_len=2, max_docs=100)
    docs = [d for s in traced.spans for d in s.documents]
    assert docs
    for d in docs:
        span = texts[d.doc_index][d.char_start : d.char_end]  # byte-level BPE spans keep their leading space
        assert " ".join(span.lower().split()) in "the cat sat far away" and span.rstrip() == span != ""


def test_index_without_raw_mark_still_opens(tmp_path):
    """An index built before parts were marked "raw" opens; its text and offsets come from decoding."""
    wp = _lowercasing_bpe(tmp_path / "bpe.json")
    texts = ["The  CAT sat", "x the cat"]
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in texts])
    out = tmp_path / "i"
    tracer.build([str(path)], str(out), tokenizer=str(wp), progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s.get("raw") for s in manifest["shards"]] == [True]
    for s in manifest["shards"]:
        del s["raw"]
        del s["files"]["raw.bin"], s["files"]["raw.idx"]
        (out / s["path"] / "raw.bin").unlink()
        (out / s["path"] / "raw.idx").unlink()
    (out / "manifest.json").write_text(json.dumps(manifest))
    index = tracer.open(str(out))
    assert [index.document(i).text for i in range(2)] == ["the  cat sat", "x the cat"]
    spans = [index.document(o.doc_index).text[o.char_start : o.char_end] for o in index.find("cat").occurrences]
    assert spans == ["cat", "cat"]


def test_lossy_offsets_fall_back_to_decoding_when_tokens_differ(tmp_path):
    """Raw text that no longer encodes to the stored tokens (here: the tokenizer is swapped for one
    that keeps case) gives offsets by decoding, as before, rather than offsets of other tokens."""
    from tokenizers import Tokenizer, normalizers

    from tracer.tokenize.hf import HFTokenizer

    wp = _wordpiece(tmp_path / "wp.json")
    texts = ["The  CAT sat"]
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in texts])
    tracer.build([str(path)], str(tmp_path / "i"), tokenizer=str(wp), progress=False)
    index = tracer.open(str(tmp_path / "i"))
    cased = Tokenizer.from_file(str(wp))
    cased.normalizer = normalizers.BertNormalizer(lowercase=False)
    cased.save(str(tmp_path / "cased.json"))
    index.tokenizer = HFTokenizer(tmp_path / "cased.json")
    ids = index.shards[0].tokens[:3]
    (o,) = index.find(ids[1:2]).occurrences  # "cat"
    assert o.char_start == len(index.tokenizer.decode(ids[:1])) and o.char_end == o.char_start + len("cat")
