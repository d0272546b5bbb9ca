"""Overlap against a brute-force word-span oracle: for every word of a B document, the longest run
of whole words (from its first character) that occurs as a substring of some A document."""

from __future__ import annotations

import json
import random

import pytest

import tracer
from tracer.contamination.overlap import OverlapOptions
from tracer.contamination.words import WORD

N = 3


def _texts(rng: random.Random, k: int, lo: int, hi: int) -> list[str]:
    vocab = ["ab", "cd", "ef", "gh", "ij", "kl", "mn", "op", "qr", "st", "uv", "wx", ".", ",", "(", ")"]
    return [" ".join(rng.choice(vocab) for _ in range(rng.randint(lo, hi))) for _ in range(k)]


def brute(a_texts: list[str], text: str, n: int) -> tuple[int, int, int, int]:
    """(words, covered words, longest run, its occurrences in A)."""
    spans = [m.span() for m in WORD.finditer(text)]
    w = len(spans)
    m = []
    for i in range(w):
        best = 0
        for j in range(i, w):
            piece = text[spans[i][0] : spans[j][1]]
            if any(piece in t for t in a_texts):
                best = j - i + 1
            else:
                break
        m.append(best)
    covered = set()
    for i, k in enumerate(m):
        if k >= n:
            covered.update(range(i, i + k))
    longest = max(m, default=0)
    count = 0
    if longest:
        i = m.index(longest)
        piece = text[spans[i][0] : spans[i + longest - 1][1]]
        count = sum(sum(1 for s in range(len(t)) if t.startswith(piece, s)) for t in a_texts)
    return w, len(covered), longest, count


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    d = tmp_path_factory.mktemp("overlap")
    rng = random.Random(11)
    a_texts = _texts(rng, 40, 10, 60)
    b_texts = _texts(rng, 30, 0, 40)
    for i in range(0, 30, 3):  # copies of A pieces, some whole documents
        src = rng.choice(a_texts).split(" ")
        x = rng.randint(0, len(src) - 1)
        piece = " ".join(src[x : x + rng.randint(1, 25)])
        words = b_texts[i].split(" ")
        cut = rng.randint(0, len(words))
        b_texts[i] = " ".join(words[:cut] + [piece] + words[cut:]).strip()
    b_texts[1] = a_texts[5]
    a_texts += _texts(rng, 1, 200, 200)  # long shared runs: the coarse (64- and 8-word) searches settle them
    long_words = a_texts[-1].split(" ")
    b_texts.append(a_texts[-1])
    b_texts.append(" ".join(_texts(rng, 1, 5, 5) + long_words[50:180] + _texts(rng, 1, 70, 70) + long_words[:90]))
    with open(d / "a.jsonl", "w") as f:
        for i, t in enumerate(a_texts):
            f.write(json.dumps({"id": f"a{i}", "text": t}) + "\n")
    with open(d / "b.jsonl", "w") as f:
        for i, t in enumerate(b_texts):
            f.write(json.dumps({"id": f"b{i}", "text": t}) + "\n")
    tracer.build([str(d / "a.jsonl")], str(d / "a"), id_field="id", progress=False)
    tracer.build([str(d / "b.jsonl")], str(d / "b"), id_field="id", progress=False)
    return d, a_texts, b_texts


def test_overlap_equals_brute_force(corpora):
    d, a_texts, b_texts = corpora
    index = tracer.open(d / "a")
    rows, summary = index.overlap([(f"b{i}", t) for i, t in enumerate(b_texts)], ngram=N, max_documents=50)
    assert len(rows) == len(b_texts)
    for row, text in zip(rows, b_texts, strict=True):
        words, covered, longest, count = brute(a_texts, text, N)
        assert (row.words, row.covered_words, row.longest, row.longest_count) == (words, covered, longest, count), row.id
        if longest >= N:
            piece = row.longest_text
            assert piece and set(row.a_documents) == {f"a{i}" for i, t in enumerate(a_texts) if piece in t}
    assert summary["documents"] == len(b_texts)
    assert summary["covered_words"] == sum(r.covered_words for r in rows)
    assert sum(h["documents"] for h in summary["histogram"]) == len(b_texts)
    shares = [r.share for r in rows]
    for a in summary["above"]:
        assert a["documents"] == sum(s >= a["threshold"] for s in shares)
    assert rows[1].share == 1.0 and "a5" in rows[1].a_documents
    assert summary["top_spans"] and all(t["a_count"] >= 1 for t in summary["top_spans"])  # real shared spans


def test_b_as_index_and_files_agree(corpora, tracer_cli):
    d, _, _ = corpora
    index = tracer.open(d / "a")
    opts = OverlapOptions(ngram=N)
    from_index, s1 = index.overlap(d / "b", opts)
    from_files, s2 = index.overlap(tracer.contamination.overlap.b_documents([d / "b.jsonl"], id_field="id"), opts)
    assert [r.to_json() for r in from_index] == [r.to_json() for r in from_files]
    assert s1 == s2
    proc = tracer_cli("overlap", "--index", d / "a", d / "b.jsonl", "--id-field", "id", "--ngram", str(N),
                      "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["summary"] == s1 and out["documents"] == [r.to_json() for r in from_index]
    for fmt, needle in (("html", "<html"), ("text", "documents of B")):
        proc = tracer_cli("overlap", "--index", d / "a", d / "b", "--format", fmt)
        assert proc.returncode == 0 and needle in proc.stdout, proc.stderr

