"""The reference-calibrated membership score infgram_ref (and its variants) by hand and against a
brute-force ∞-gram computed the way ../shared/checks/infgram_check.py computes it."""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import make_texts, write_jsonl

import tracer
from tracer.errors import InputError, MismatchError
from tracer.membership.inputs import ScoreInput
from tracer.membership.reference import REFERENCE_SCORE_NAMES, reference_scores


def _index(tmp: Path, texts: list[str], **kw) -> tracer.Index:
    path = write_jsonl(tmp / "c.jsonl", [{"text": t} for t in texts])
    tracer.build([str(path)], str(tmp / "i"), progress=False, **kw)
    return tracer.open(str(tmp / "i"))


def _input(ids: bytes, lp: list[float | None], id: str = "t") -> ScoreInput:
    return ScoreInput(id, np.asarray(list(ids), dtype=np.int64), np.asarray([math.nan if v is None else v for v in lp]))


def test_by_hand(tmp_path):
    # corpus "abab", "ba": N = 6, V = 256, count(a) = count(b) = 3, count(ab) = 2, count(x) = 0
    index = _index(tmp_path, ["abab", "ba"])
    (r,) = reference_scores(index, [_input(b"abx", [None, -1.0, -2.0])], k=0.5)
    q1 = math.log((2 + 4 / 262) / (3 + 1))  # s = "a": count(ab) = 2, u(b) = 4/262
    q2 = math.log((0 + 1 / 262) / (2 + 1))  # s = "ab": count(abx) = 0, u(x) = 1/262
    q2_cap = math.log((1 / 262) / (3 + 1))  # capped at one token: s = "b", count(b) = 3
    d1, d2 = -1.0 - q1, -2.0 - q2
    assert list(r) == list(REFERENCE_SCORE_NAMES)
    assert r["infgram_ref"] == pytest.approx((d1 + d2) / 2, rel=1e-12)
    assert r["infgram_ref_min_k"] == pytest.approx(min(d1, d2), rel=1e-12)
    assert r["infgram_ref_cap1"] == pytest.approx((d1 + (-2.0 - q2_cap)) / 2, rel=1e-12)
    # no scored token: every reference score is null
    (r,) = reference_scores(index, [_input(b"abx", [None] * 3)])
    assert r == dict.fromkeys(REFERENCE_SCORE_NAMES)


def test_foreign_ids_and_bad_k(tmp_path):
    index = _index(tmp_path, ["abab", "ba"])
    with pytest.raises(MismatchError, match="fingerprint"):
        reference_scores(index, [_input(b"ab", [None, -1.0])], tokenizer_fingerprint="other")
    with pytest.raises(InputError, match="k must be"):
        reference_scores(index, [_input(b"ab", [None, -1.0])], k=0.0)


def _checker_q(docs: list[bytes], ctx: bytes, t: int) -> float:
    """q as infgram_check.py computes it: regex counts, binary search for the longest suffix."""
    n = sum(len(d) for d in docs)
    uni = [0] * 256
    for d in docs:
        for b in d:
            uni[b] += 1

    def count(s: bytes) -> int:
        if not s:
            return n
        pat = re.compile(b"(?=" + re.escape(s) + b")")
        return sum(len(pat.findall(d)) for d in docs)

    lo, hi = 0, len(ctx)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(ctx[len(ctx) - mid:]) > 0:
            lo = mid
        else:
            hi = mid - 1
    s = ctx[len(ctx) - lo:]
    return math.log((count(s + bytes([t])) + (uni[t] + 1) / (n + 256)) / (count(s) + 1))


@pytest.mark.parametrize("shard_tokens", [None, 300])
def test_equals_the_checker_formula(tmp_path, shard_tokens):
    texts = make_texts(60, seed=21, max_words=40)
    docs = [t.encode() for t in texts]
    kw = {"shard_tokens": max(len(d) for d in docs) + 1 + shard_tokens} if shard_tokens else {}
    index = _index(tmp_path, texts, **kw)
    rng = random.Random(7)
    inputs, want = [], []
    for i in range(8):
        d = rng.choice([d for d in docs if len(d) > 60])
        s0 = rng.randrange(0, len(d) - 50)
        ids = list(d[s0:s0 + rng.randrange(20, 50)])
        if i % 3 == 2:  # partly unseen text: the back-off must shorten
            ids = ids[: len(ids) // 2] + list(b" zqxj vwkp ") + ids[len(ids) // 2:]
        lp = [math.nan] + [-rng.expovariate(0.7) for _ in ids[1:]]
        inputs.append(ScoreInput(f"t{i}", np.asarray(ids, dtype=np.int64), np.asarray(lp)))
        want.append(sum(lp[j] - _checker_q(docs, bytes(ids[:j]), ids[j]) for j in range(1, len(ids))) / (len(ids) - 1))
    got = reference_scores(index, inputs)
    assert [g["infgram_ref"] for g in got] == pytest.approx(want, rel=1e-9)
    assert json.dumps(got)  # plain JSON values
