"""Issue 13 surfaces: `tracer ngram` and `tracer search` against the library (itself checked against brute
force in test_ngram.py / test_search.py), `tracer score --index` reference scores against a brute-force
∞-gram, ReCaLL, options objects, and the kernels refusing out-of-range suffix-array entries."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from conftest import write_jsonl

import tracer
from tracer.errors import CorruptIndexError, InputError
from tracer.membership.scoring import recall_score
from tracer.query.options import NgramOptions, SearchOptions

DOCS = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the cat ate the mouse",
        "zebra stripes and a cat nap", "the mat was red"]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("ngram_cli")
    write_jsonl(d / "c.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(DOCS)])
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False)
    return d / "idx"


def _brute(seq: bytes) -> int:
    if not seq:
        return sum(len(t.encode()) for t in DOCS)
    return sum(len(re.findall(b"(?=" + re.escape(seq) + b")", t.encode())) for t in DOCS)


@pytest.mark.slow  # many CLI processes: kept out of the default run (CI runs `pytest -m slow`)
def test_cli_prob_and_ntd_json(small, tracer_cli):
    index = tracer.open(small)
    for kind in ("prob", "infgram-prob"):
        for ctx, tok in (("the ca", "t"), ("qqq the m", "a"), ("", "t"), ("zzzz", "q")):
            proc = tracer_cli("ngram", kind, "--index", small, ctx, tok, "--format", "json")
            assert proc.returncode == 0, proc.stderr
            got = json.loads(proc.stdout)
            assert got == getattr(index, kind.replace("-", "_"))(ctx, tok).to_json()
    got = json.loads(tracer_cli("ngram", "prob", "--index", small, "the ca", "t", "--format", "json").stdout)
    assert (got["count_context"], got["count_full"]) == (_brute(b"the ca"), _brute(b"the cat"))
    got = json.loads(tracer_cli("ngram", "prob", "--index", small, "--ids", "116,104,101", "--format", "json").stdout)
    assert (got["count_context"], got["count_full"]) == (_brute(b"th"), _brute(b"the"))
    for kind in ("ntd", "infgram-ntd"):
        proc = tracer_cli("ngram", kind, "--index", small, "qq the ", "--max-support", "3", "--format", "json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == getattr(index, kind.replace("-", "_"))("qq the ", max_support=3).to_json()
    got = json.loads(tracer_cli("ngram", "ntd", "--index", small, "the ", "--format", "json").stdout)
    assert {c["text"]: c["count"] for c in got["continuations"]} == {
        ch: _brute(b"the " + ch.encode()) for ch in "cdml"}
    proc = tracer_cli("ngram", "infgram-logprobs", "--index", small, "--ids", "116,104,101", "--format", "json")
    assert json.loads(proc.stdout)["logprobs"] == pytest.approx(index.infgram_logprobs([116, 104, 101]).logprobs.tolist())


def test_cli_text_output_and_errors(small, tracer_cli, expect_cli_error):
    out = tracer_cli("ngram", "prob", "--index", small, "the ca", "t").stdout
    assert out.startswith("1\t") and "count(context)=2" in out  # "the cat" twice, never "the ca" otherwise
    assert "context not found" in tracer_cli("ngram", "prob", "--index", small, "zzzz", "q").stdout
    out = tracer_cli("ngram", "ntd", "--index", small, "the ", "--top", "1").stdout.splitlines()
    assert len(out) == 2 and "exact" in out[0] and "'m'" in out[1]  # mat, mouse, mat
    expect_cli_error(tracer_cli("ngram", "prob", "--index", small, "the", "ab"), "2 tokens")
    expect_cli_error(tracer_cli("ngram", "prob", "--index", small, "--ids", "1,x"), "--ids")
    expect_cli_error(tracer_cli("ngram", "ntd", "--index", small, "a", "--max-support", "0"), "max_support")
    expect_cli_error(tracer_cli("ngram", "prob", "--index", small, "the"), "TOKEN")
    expect_cli_error(tracer_cli("ngram", "ntd", "--index", small, "--ids", "1,300"), "out of range")
    expect_cli_error(tracer_cli("search", "--index", small, "cat AND ("), "'(' without ')'")
    expect_cli_error(tracer_cli("search", "--index", small, "cat", "--limit", "-1"), "limit")


def test_cli_search(small, tracer_cli):
    index = tracer.open(small)
    proc = tracer_cli("search", "--index", small, "cat AND (mat OR mouse)", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    want = index.search("cat AND (mat OR mouse)").to_json()
    assert {k: got[k] for k in want} == json.loads(json.dumps(want))
    # brute force: documents holding "cat" and one of "mat" / "mouse"
    assert [d["doc_id"] for d in got["documents"]] == [f"d{i}" for i, t in enumerate(DOCS)
                                                       if "cat" in t and ("mat" in t or "mouse" in t)]
    text = tracer_cli("search", "--index", small, "cat AND (mat OR mouse)").stdout
    assert "2 documents match" in text and "«1:cat»" in text and "«2:mouse»" in text and "«2:mat»" in text
    near = json.loads(tracer_cli("search", "--index", small, "cat AND dog", "--window", "9", "--format", "json").stdout)
    assert near["count"] == 0  # "a cat and a dog": the starts are 10 bytes apart
    assert json.loads(tracer_cli("search", "--index", small, "cat AND dog", "--window", "10",
                                 "--format", "json").stdout)["count"] == 1


def test_options_objects_are_the_defaults(small):
    index = tracer.open(small)
    assert index.ntd("the ") == index.ntd("the ", NgramOptions()) == index.ntd("the ", max_support=1000)
    assert index.search("cat", SearchOptions(limit=1)).documents == index.search("cat", limit=1).documents
    with pytest.raises(InputError, match="window"):
        SearchOptions(window=-1)
    with pytest.raises(TypeError):
        index.ntd("the ", bogus=1)


# -- tracer score --index: the reference scores -------------------------------------------------
def _q(ctx: bytes, t: int, uni: list[int], n: int) -> float:
    lo, hi = 0, len(ctx)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _brute(ctx[len(ctx) - mid:]) > 0:
            lo = mid
        else:
            hi = mid - 1
    s = ctx[len(ctx) - lo:]
    return math.log((_brute(s + bytes([t])) + (uni[t] + 1) / (n + 256)) / (_brute(s) + 1))


def test_score_cli_reference_scores_and_recall_input(small, tmp_path, tracer_cli):
    n = _brute(b"")
    uni = [0] * 256
    for t in DOCS:
        for b in t.encode():
            uni[b] += 1
    rows = []
    for i, text in enumerate(["the cat sat", "a dog qq mat", "xyz"]):
        ids = list(text.encode())
        lp = [None] + [-0.3 - 0.1 * ((j * 7 + i) % 5) for j in range(1, len(ids))]
        pre = [None] + [x - 0.2 for x in lp[1:]]
        rows.append({"id": f"t{i}", "token_ids": ids, "logprobs": lp, "prefix_logprobs": pre, "text": text})
    write_jsonl(tmp_path / "lp.jsonl", rows)
    proc = tracer_cli("score", "--index", small, "--logprobs", tmp_path / "lp.jsonl", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    for g, r in zip(got, rows, strict=True):
        ids = r["token_ids"]
        d = [r["logprobs"][j] - _q(bytes(ids[:j]), ids[j], uni, n) for j in range(1, len(ids))]
        assert g["infgram_ref"] == pytest.approx(sum(d) / len(d), rel=1e-9)
        assert g["infgram_ref_min_k"] == pytest.approx(np.mean(sorted(d)[:max(1, math.floor(len(d) * 0.2))]))
        lp = np.asarray(r["logprobs"][1:], dtype=float)
        assert g["recall"] == pytest.approx(np.mean(lp - 0.2) / np.mean(lp))
    text = tracer_cli("score", "--index", small, "--logprobs", tmp_path / "lp.jsonl").stdout
    assert "infgram_ref" in text.splitlines()[0] and "recall" in text.splitlines()[0]


def test_recall_score_by_hand():
    lp = np.array([np.nan, -1.0, -3.0])
    assert recall_score(lp, np.array([np.nan, -2.0, -4.0])) == pytest.approx(3.0 / 2.0)
    assert recall_score(lp, np.array([np.nan, np.nan, -6.0])) == pytest.approx(2.0)  # positions both score
    assert recall_score(np.array([np.nan]), np.array([-1.0])) is None


# -- bounds: the n-gram and search kernels refuse suffix-array entries past the tokens -----------
def test_out_of_range_sa_entries_are_corrupt_index_errors(small, tmp_path):
    import shutil

    from tracer_native import (
        CorruptArrayError,
        backoff_counts,
        narrow_range,
        next_token_groups,
        next_tokens_at,
    )

    bad = tmp_path / "bad"
    shutil.copytree(small, bad)
    index = tracer.open(bad)
    shard = index.shards[0]
    q = np.frombuffer(b"the ", dtype=np.uint8).copy()
    from tracer_native import sa_range

    lo, hi = sa_range(shard.tokens, shard.sa, q, 0, len(q))
    sa = np.array(shard.sa)
    sa[lo:hi] = shard.n_tokens + 5  # every row of the context's range points past the tokens
    sa_file = next(p for p in bad.rglob("sa.bin"))
    del index, shard
    sa.astype(np.uint32).tofile(sa_file)
    index = tracer.open(bad)
    calls = [lambda: index.prob("the ", "c"), lambda: index.ntd("the "), lambda: index.infgram_prob("xx the ", "c"),
             lambda: index.infgram_ntd("xx the "), lambda: index.infgram_logprobs("the cat"),
             lambda: index.search("the c AND mat"), lambda: index.count("the ")]
    for call in calls:
        with pytest.raises(CorruptIndexError, match="sa.bin"):
            call()
    # each kernel on its own: raised, not answered (narrow_range/next_token_groups read rows of the range)
    tokens = index.shards[0].tokens
    sa32 = sa.astype(np.uint32)
    for kernel in (lambda: narrow_range(tokens, sa32, lo, hi, 4, 99), lambda: next_token_groups(tokens, sa32, lo, hi, 4),
                   lambda: next_tokens_at(tokens, sa32, np.arange(lo, hi, dtype=np.int64), 4),
                   lambda: backoff_counts(tokens, sa32, q, np.zeros(4, dtype=np.int64), np.array([0, 4]))):
        with pytest.raises(CorruptArrayError):
            kernel()
