"""Tracing planted passages back to their documents, normalized indexes, the CLI, and bad input."""

from __future__ import annotations

import json
import random
import time

import pytest
from conftest import write_jsonl

import tracer
from tracer.errors import InputError, LimitError
from tracer.query.bm25 import bm25_scores
from tracer.query.trace import merge_ranges
from tracer.tokenize import normalize

LETTERS = "abcdefghilmnoprstu"  # novel text uses only q x z j v k w: it cannot occur in the corpus


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 8)))


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    rng = random.Random(41)
    out = []
    for i in range(120):
        sentences = [" ".join(_word(rng) for _ in range(rng.randint(6, 18))) for _ in range(rng.randint(3, 12))]
        out.append({"id": f"doc-{i}", "text": ". ".join(sentences) + ".\n", "src": "synthetic"})
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, docs):
    return write_jsonl(tmp_path_factory.mktemp("planted") / "c.jsonl", docs)


@pytest.fixture(scope="module", params=["bytes", "bpe"])
def index(request, corpus, tmp_path_factory):
    kwargs = {"tokenizer": str(request.getfixturevalue("bpe_tokenizer"))} if request.param == "bpe" else {}
    out = tmp_path_factory.mktemp("idx") / "index"
    tracer.build([str(corpus)], str(out), id_field="id", progress=False, shard_tokens=20_000, **kwargs)
    return tracer.open(str(out))


def _novel(rng: random.Random) -> str:
    return " " + " ".join("".join(rng.choice("qxzjvkw") for _ in range(rng.randint(3, 7))) for _ in range(8)) + " "


def planted_text(docs: list[dict], seed: int, n: int = 4) -> tuple[str, list[tuple[int, int, str]]]:
    """Novel words around ``n`` unique passages (50-100 chars, inside one sentence) of known documents."""
    rng = random.Random(seed)
    blob = "\x00".join(d["text"] for d in docs)
    pieces, planted, pos = [], [], 0
    while len(planted) < n:
        d = rng.choice(docs)
        sentence = max(d["text"].split("."), key=len).strip()
        words = sentence.split(" ")
        s = rng.randrange(max(1, len(words) - 8))
        p = " ".join(words[s:])[:100]
        p = p[: p.rfind(" ")] if len(p) == 100 else p
        if len(p) < 50 or blob.count(p) != 1:
            continue
        pieces.append(_novel(rng))
        pos += len(pieces[-1])
        planted.append((pos, pos + len(p), d["id"]))
        pieces.append(p)
        pos += len(p)
    pieces.append(_novel(rng))
    return "".join(pieces), planted


@pytest.mark.parametrize("all_spans", [True, False])
def test_planted_passages_are_traced_to_their_documents(index, docs, all_spans):
    for seed in range(3):
        text, planted = planted_text(docs, seed)
        result = index.trace(text, all_spans=all_spans)
        for a, b, doc_id in planted:
            hits = [s for s in result.spans if min(b, s.end_char) - max(a, s.start_char) >= 0.9 * (b - a)]
            assert hits, f"passage {text[a:b]!r} not traced"
            assert doc_id in [d.doc_id for d in hits[0].documents]
            assert hits[0].count == 1 and text[hits[0].start_char:hits[0].end_char] == hits[0].text
        # nothing novel is reported: every span lies within a planted passage (plus the spaces around it)
        for s in result.spans:
            assert any(a - 1 <= s.start_char and s.end_char <= b + 1 for a, b, _ in planted), s.text
        assert result.highlights == merge_ranges([(s.start_char, s.end_char) for s in result.spans])


def test_documents_are_sampled_deterministically_and_scored(index, docs):
    text, _ = planted_text(docs, seed=9)
    word = text.split()[-20:]  # common short spans: allow frequent ones and keep many documents
    first = index.trace(" the ".join(word), max_count=1000, min_len=1, all_spans=True, max_docs=4)
    again = index.trace(" the ".join(word), max_count=1000, min_len=1, all_spans=True, max_docs=4)
    assert first.to_json() == again.to_json()
    for s in first.spans:
        assert len(s.documents) <= 4
        assert [d.score for d in s.documents] == sorted((d.score for d in s.documents), reverse=True)


def test_bm25_hand_computed():
    # two snippets; "cat" is in both (idf log(1 + 0.5/2.5)), "dog" in one (idf log(1 + 1.5/1.5))
    s = bm25_scores("cat dog", ["cat dog dog", "cat"])
    import math

    idf_cat, idf_dog = math.log(1 + 0.5 / 2.5), math.log(1 + 1.5 / 1.5)
    avg = 2.0
    norm0, norm1 = 1.2 * (0.25 + 0.75 * 3 / avg), 1.2 * (0.25 + 0.75 * 1 / avg)
    want0 = idf_cat * 1 * 2.2 / (1 + norm0) + idf_dog * 2 * 2.2 / (2 + norm0)
    want1 = idf_cat * 1 * 2.2 / (1 + norm1)
    assert s == pytest.approx([want0, want1])
    assert bm25_scores("x", []) == []


def test_bm25_words_equal_the_unicode_regex():
    """ASCII text takes a translate-and-split path; it must cut words exactly as ``\\w+`` does on
    the lower-cased text (the path every other text takes)."""
    import random
    import re
    import string

    from tracer.query.bm25 import words

    rng = random.Random(3)
    alphabet = string.printable + "\x00\x7f"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(60))) for _ in range(3000)]
    texts += ["".join(map(chr, range(128))), "Straße ÉCOLE naïve_42 déjà-vu", "x\u00a0y\u2003z"]
    for text in texts:
        assert words(text) == re.findall(r"\w+", text.lower()), repr(text)


def test_normalized_index_reports_offsets_in_the_raw_query(tmp_path):
    raw_doc = "The committee adopted the “Resolution on Quiet Rivers” after a long debate in March"
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "n1", "text": raw_doc}, {"id": "n2", "text": "other words here"}])
    tracer.build([str(path)], str(tmp_path / "idx"), id_field="id", progress=False, normalize=True)
    index = tracer.open(str(tmp_path / "idx"))
    query = "Note:   THE COMMITTEE ADOPTED   the \"resolution on quiet rivers\" &amp; zzqx"
    result = index.trace(query, all_spans=True)
    assert len(result.spans) == 1
    s = result.spans[0]
    assert s.text == query[s.start_char:s.end_char]
    assert s.text.startswith("THE COMMITTEE") and s.text.rstrip().endswith('rivers"')
    assert normalize(s.text) in normalize(raw_doc)
    d = s.documents[0]
    assert d.doc_id == "n1" and raw_doc[d.char_start:d.char_end].startswith("The committee")


def test_bad_input_gives_an_answer_or_a_clear_error(index):
    with pytest.raises(InputError, match="empty"):
        index.trace("")
    assert index.trace("\n\n....\n.").spans == []
    assert index.trace("qxz").to_json() == {"spans": [], "highlights": []}
    for kwargs in ({"max_count": 0}, {"min_len": 0}, {"rank": "random"}, {"k": -1}, {"max_docs": -2},
                   {"context": -1}, {"max_count": "10"}, {"delimiters": None}):
        with pytest.raises(InputError):
            index.trace("some text here", **kwargs)
    with pytest.raises(InputError):
        index.trace(None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="surrogate"):
        index.trace("abc \udcff def")  # what argv gives for bytes that are not UTF-8


def test_huge_query_is_refused_quickly(index):
    if index.tokenizer.name != "bytes":
        pytest.skip("one size check is enough")
    t0 = time.perf_counter()
    with pytest.raises(LimitError, match="at most"):
        index.trace("ab " * 333_334)  # 10^6 tokens
    assert time.perf_counter() - t0 < 10


def test_largest_accepted_query_is_answered(index, docs):
    if index.tokenizer.name != "bytes":
        pytest.skip("one size check is enough")
    rng = random.Random(3)
    pieces = [planted_text(docs, rng.randrange(10**6), n=1)[0] for _ in range(200)]
    text = ("".join(pieces) * (1_000_000 // sum(map(len, pieces)) + 1))[:1_000_000]
    assert len(index.tokenizer.encode(text)) == 1_000_000
    result = index.trace(text, max_docs=2)
    assert len(result.spans) >= 200 and all(1 <= len(s.documents) <= 2 for s in result.spans)


def test_cli_json(index, docs, tmp_path, tracer_cli):
    text, planted = planted_text(docs, seed=4)
    f = tmp_path / "q.txt"
    f.write_text(text, encoding="utf-8")
    proc = tracer_cli("trace", "--index", index.path, "--file", f, "--format", "json", "--all")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"spans", "highlights"}
    assert {"start_char", "end_char", "start_token", "end_token", "text", "count", "unigram_logprob",
            "documents"} == set(out["spans"][0])
    assert {"doc_id", "meta", "snippet", "score"} <= set(out["spans"][0]["documents"][0])
    assert {doc for *_, doc in planted} <= {d["doc_id"] for s in out["spans"] for d in s["documents"]}



def test_cli_text_output_and_demo_section(index, docs, capsys):
    import io

    from rich.console import Console

    from tracer.cli.main import main
    from tracer.cli.trace_view import demo_text, demo_trace

    text, planted = planted_text(docs, seed=4)
    assert main(["trace", "--index", str(index.path), text, "--max-count", "3"]) == 0
    out = capsys.readouterr().out
    assert "span(s) found" in out and planted[0][2] in out
    sample, ids = demo_text(index)
    assert len(ids) == 3
    buf = io.StringIO()
    result = demo_trace(index, Console(file=buf, width=100))
    assert set(ids) <= {d.doc_id for s in result.spans for d in s.documents}
    assert ids[0] in buf.getvalue()


def test_cli_errors_exit_2_with_one_line(index, tmp_path, capsys, monkeypatch):
    if index.tokenizer.name != "bytes":
        pytest.skip("the CLI checks are tokenizer-independent")
    from tracer.cli.main import main

    def error_line(*args: str) -> str:
        assert main(["trace", "--index", str(index.path), *map(str, args)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "Traceback" not in err[0]
        return err[0]

    f = tmp_path / "q.txt"
    f.write_text("some text", encoding="utf-8")
    assert "empty" in error_line("")
    assert "missing.txt" in error_line("--file", tmp_path / "missing.txt")
    assert "either" in error_line("x", "--file", f)
    assert "max_count" in error_line("x", "--max-count", "0")
    assert "at most" in error_line("ab " * 333_334)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not utf-8")
    assert "UTF-8" in error_line("--file", bad)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("\n.\n"))
    assert main(["trace", "--index", str(index.path), "--file", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"spans": [], "highlights": []}


def test_normalized_offsets_map_back_on_random_text(tmp_path):
    from conftest import NgramOracle, make_texts

    texts = make_texts(150, seed=77, max_words=60)
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    tracer.build([str(path)], str(tmp_path / "idx"), id_field="id", progress=False, normalize=True)
    index = tracer.open(str(tmp_path / "idx"))
    oracle = NgramOracle([list(normalize(t).encode("utf-8")) for t in texts])
    rng = random.Random(78)
    n_spans = 0
    for _ in range(30):
        t = rng.choice([t for t in texts if len(t) > 40])
        s = rng.randrange(len(t) - 30)
        raw = t[s:s + 60]
        # reformat: case, doubled spaces, curly quotes, an entity, a zero-width space
        raw = "".join(c.upper() if rng.random() < 0.3 else c for c in raw).replace(" ", "  ")
        query = "Zq &amp; \u201cx\u201d " + raw.replace("a", "a\u200b", 1) + " \u2014 qz"
        result = index.trace(query, min_len=4, max_count=50, all_spans=True, max_docs=1)
        searched = normalize(query).encode("utf-8")
        for sp in result.spans:
            n_spans += 1
            assert sp.text == query[sp.start_char:sp.end_char]
            # the raw slice normalizes to exactly the searched tokens (up to the spaces normalize trims)
            span_bytes = searched[sp.start_token:sp.end_token]
            assert normalize(sp.text) == normalize(span_bytes.decode("utf-8"))
            assert oracle.count(list(span_bytes)) == sp.count
    assert n_spans >= 20
