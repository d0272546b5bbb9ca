"""Overlap with B an index: the suffix-array join gives exactly the answers of matching B's
documents one by one (``join=False``, the path B given as files takes), on several shards, a
normalized pair, a BPE pair, and against the brute-force word-span oracle of test_overlap."""

from __future__ import annotations

import json
import random

import pytest
from test_overlap import _texts, brute

import tracer
from tracer.contamination.overlap import OverlapOptions, b_documents, collect, iter_overlap_sources
from tracer.contamination.overlap_join import join_refusal, join_shard

N = 3


def _write(path, texts, prefix):
    with open(path, "w") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"{prefix}{i}", "text": t}) + "\n")
    return path


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A and B corpora sharing whole documents, pieces and long runs, with case and spacing changes
    (which a normalized index folds away)."""
    d = tmp_path_factory.mktemp("join")
    rng = random.Random(5)
    a_texts = _texts(rng, 30, 5, 50) + [" ".join(_texts(rng, 1, 120, 120))]
    b_texts = _texts(rng, 24, 0, 40)
    for i in range(0, 24, 2):
        src = rng.choice(a_texts).split(" ")
        x = rng.randint(0, len(src) - 1)
        piece = " ".join(src[x : x + rng.randint(1, 30)])
        if i % 4 == 0:
            piece = piece.upper().replace(" ", "  ")
        words = b_texts[i].split(" ")
        cut = rng.randint(0, len(words))
        b_texts[i] = " ".join(words[:cut] + [piece] + words[cut:]).strip()
    b_texts += [a_texts[3], a_texts[-1], "é ü " + a_texts[-1][: 200] + " ñ"]
    return d, _write(d / "a.jsonl", a_texts, "a"), _write(d / "b.jsonl", b_texts, "b"), a_texts, b_texts


def _both(a, b, opts):
    joined = collect(a, iter_overlap_sources(a, [b], opts), opts)
    searched = collect(a, iter_overlap_sources(a, [b], opts, join=False), opts)
    return joined, searched


@pytest.mark.parametrize("kind", ["bytes_sharded", "normalized", "bpe"])
def test_join_equals_search(pair, kind, bpe_tokenizer):
    d, a_path, b_path, a_texts, b_texts = pair
    kw = {"bytes_sharded": {"shard_tokens": 700}, "normalized": {"normalize": True},
          "bpe": {"tokenizer": str(bpe_tokenizer)}}[kind]
    tracer.build([str(a_path)], str(d / f"a-{kind}"), id_field="id", progress=False, **kw)
    tracer.build([str(b_path)], str(d / f"b-{kind}"), id_field="id", progress=False, **kw)
    a, b = tracer.open(d / f"a-{kind}"), tracer.open(d / f"b-{kind}")
    if kind == "bytes_sharded":
        assert len(a.shards) > 1 and len(b.shards) > 1
    assert join_refusal(a, b) is None
    for shard in b.shards:  # every document is answered by the join, none left to the search
        matched, unmatched = join_shard(a, b, shard, N)
        assert not unmatched and matched.any()
    for ngram in (1, N, 8):
        opts = OverlapOptions(ngram=ngram, max_documents=50)
        (rows, summary), (rows2, summary2) = _both(a, b, opts)
        assert [r.to_json() for r in rows] == [r.to_json() for r in rows2]
        assert [r.spans for r in rows] == [r.spans for r in rows2]
        assert summary == summary2
        assert sum(r.covered_words for r in rows) > 0
        from_files = collect(a, iter_overlap_sources(a, [b_path], opts, id_field="id"), opts)
        assert [r.to_json() for r in from_files[0]] == [r.to_json() for r in rows]
        if kind == "bytes_sharded":  # the word-span oracle, straight from the texts
            for row, text in zip(rows, b_texts, strict=True):
                words, covered, longest, count = brute(a_texts, text, ngram)
                assert (row.words, row.covered_words, row.longest, row.longest_count) == (words, covered, longest, count)


def test_other_tokenizer_falls_back_with_a_notice(pair):
    d, a_path, b_path, _, _ = pair
    tracer.build([str(a_path)], str(d / "a-plain"), id_field="id", progress=False)
    tracer.build([str(b_path)], str(d / "b-norm"), id_field="id", progress=False, normalize=True)
    a, b = tracer.open(d / "a-plain"), tracer.open(d / "b-norm")
    assert "normalization" in join_refusal(a, b)
    opts = OverlapOptions(ngram=N)
    said: list[str] = []
    rows, _ = collect(a, iter_overlap_sources(a, [b], opts, notice=said.append), opts)
    assert len(said) == 1 and "one by one" in said[0] and str(b.path) in said[0]
    want, _ = collect(a, iter_overlap_sources(a, [b], opts, join=False), opts)
    assert [r.to_json() for r in rows] == [r.to_json() for r in want]
    assert [r.to_json() for r in rows] == [r.to_json() for r in collect(a, b_documents_rows(a, b, opts), opts)[0]]
    with pytest.warns(UserWarning, match="one by one"):
        a.overlap(b, opts)


def b_documents_rows(a, b, opts):
    from tracer.contamination.overlap import iter_overlap

    return iter_overlap(a, b_documents([b]), opts)


def test_cli_join_and_rescan_agree(pair, tracer_cli):
    d, a_path, b_path, _, _ = pair
    tracer.build([str(a_path)], str(d / "a-cli"), id_field="id", progress=False)
    tracer.build([str(b_path)], str(d / "b-cli"), id_field="id", progress=False)
    outs = []
    for extra in ([], ["--rescan"]):
        proc = tracer_cli("overlap", "--index", d / "a-cli", d / "b-cli", "--ngram", str(N), "--format", "json", *extra)
        assert proc.returncode == 0, proc.stderr
        outs.append(json.loads(proc.stdout))
    assert outs[0] == outs[1] and outs[0]["summary"]["covered_words"] > 0


def test_documents_stored_otherwise_are_searched(pair, monkeypatch):
    """A B document whose stored tokens are not A's tokenization of its text is left to the search;
    the rows stay those of the search path."""
    from tracer.contamination import overlap_join

    d, a_path, b_path, _, _ = pair
    tracer.build([str(a_path)], str(d / "a-odd"), id_field="id", progress=False)
    tracer.build([str(b_path)], str(d / "b-odd"), id_field="id", progress=False)
    a, b = tracer.open(d / "a-odd"), tracer.open(d / "b-odd")
    opts = OverlapOptions(ngram=N, max_documents=50)
    want = collect(a, iter_overlap_sources(a, [b], opts, join=False), opts)
    real = overlap_join.stored_as_prepared
    monkeypatch.setattr(overlap_join, "stored_as_prepared", lambda shard, lo, hi, p: lo % 3 != 0 and real(shard, lo, hi, p))
    _, unmatched = join_shard(a, b, b.shards[0], N)
    assert 0 < len(unmatched) < b.n_docs
    got = collect(a, iter_overlap_sources(a, [b], opts), opts)
    assert [r.to_json() for r in got[0]] == [r.to_json() for r in want[0]] and got[1] == want[1]
