"""Membership scores: each formula against hand-computed values, metrics against brute force,
input validation (file:line, field), tokenizer mismatch, and the `tracer score` CLI."""

from __future__ import annotations

import json
import math
import random
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import tracer
from tracer.errors import InputError, MismatchError
from tracer.membership import Reference, auroc, score, score_rows, summarize, tpr_at_fpr
from tracer.membership import scores as S
from tracer.membership.inputs import read_logprobs_jsonl

# fixed log-probs: the first token is unscored (null), five scored tokens
LP = [None, -1.0, -2.0, -0.5, -3.0, -0.25]
IDS = [7, 3, 3, 5, 3, 9]
MEAN = [None, -1.0, -1.0, -1.0, -1.0, -1.0]
VAR = [None, 1.0, 4.0, 0.25, 4.0, 0.0]
TEXT = "abcabcabc hello"


def _ref(counts: dict[int, int], vocab: int = 10) -> Reference:
    c = np.zeros(vocab, dtype=np.uint64)
    for k, v in counts.items():
        c[k] = v
    return Reference("fp-test", vocab, S.log_reference_frequencies(c, vocab))


def _row(**kw) -> dict:
    row = {"id": "t", "token_ids": IDS, "logprobs": LP, "logprob_mean": MEAN, "logprob_var": VAR, "text": TEXT}
    row.update(kw)
    return {k: v for k, v in row.items() if v is not None}


# -- formulas -------------------------------------------------------------------------------------
def test_loss_and_zlib_by_hand():
    (r,) = score_rows(None, [_row()])
    assert r.loss == pytest.approx(-6.75 / 5)
    assert r.zlib == pytest.approx(-1.35 / len(zlib.compress(TEXT.encode())))
    assert r.n_tokens == 5


@pytest.mark.parametrize(("k", "want"), [(0.2, -3.0), (0.1, -3.0), (0.4, -2.5), (0.6, (-3 - 2 - 1) / 3), (1.0, -1.35)])
def test_min_k_by_hand(k, want):
    (r,) = score_rows(None, [_row()], k=k)
    assert r.min_k == pytest.approx(want)


def test_min_k_pp_by_hand():
    # z = (lp - mean) / sqrt(max(var, 1e-12)) = [0, -0.5, 1, -1, 0.75e6]
    (r,) = score_rows(None, [_row()], k=0.4)
    assert r.min_k_pp == pytest.approx((-1.0 - 0.5) / 2)
    (r,) = score_rows(None, [_row()], k=1.0)
    assert r.min_k_pp == pytest.approx((0 - 0.5 + 1 - 1 + 0.75 / 1e-6) / 5)


def test_dc_pdd_by_hand():
    # counts: c3=9, c9=39, c0=1 -> N=49, V=10, f(v)=(c_v+1)/59; first occurrences: 3 (lp -1), 5 (-0.5), 9 (-0.25)
    ref = _ref({3: 9, 9: 39, 0: 1})
    (r,) = score_rows(ref, [_row()], a=1.0)
    alphas = [math.exp(-1) * math.log(59 / 10), min(math.exp(-0.5) * math.log(59 / 1), 1.0),
              math.exp(-0.25) * math.log(59 / 40)]
    assert r.dc_pdd == pytest.approx(sum(alphas) / 3)
    (r,) = score_rows(ref, [_row()], a=0.5)
    assert r.dc_pdd == pytest.approx((0.5 + 0.5 + alphas[2]) / 3)
    (r,) = score_rows(ref, [_row()])  # default a = 0.01 caps every token
    assert r.dc_pdd == pytest.approx(0.01)


def test_unavailable_scores_are_null_and_named():
    (r,) = score_rows(None, [_row(text=None, logprob_mean=None, logprob_var=None)])
    assert (r.zlib, r.min_k_pp, r.dc_pdd) == (None, None, None)
    assert r.unavailable == ["zlib", "min_k_pp", "dc_pdd"]
    assert r.loss is not None and r.min_k is not None
    # a null mean at a scored position makes Min-K%++ unavailable, not wrong
    (r,) = score_rows(_ref({}), [_row(logprob_mean=[None, -1.0, None, -1.0, -1.0, -1.0])])
    assert r.min_k_pp is None and r.unavailable == ["min_k_pp"]
    (r,) = score_rows(_ref({}), [_row(logprobs=[None] * 6)])
    assert r.n_tokens == 0 and r.unavailable == list(S.SCORE_NAMES)
    assert r.to_json() == {"id": "t", "loss": None, "zlib": None, "min_k": None, "min_k_pp": None,
                           "dc_pdd": None, "n_tokens": 0, "unavailable": list(S.SCORE_NAMES)}


def test_scores_against_a_bytes_index(tmp_path):
    """DC-PDD frequencies come from the index's unigram counts (checked against a byte count here)."""
    docs = ["the cat sat on the mat", "a dog ran", "café naïve über"]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": str(i), "text": d}) + "\n" for i, d in enumerate(docs)))
    tracer.build([str(corpus)], str(tmp_path / "idx"), id_field="id", progress=False)
    c = Counter(b for d in docs for b in d.encode())
    n = sum(c.values())
    text = "the café"
    ids = list(text.encode())
    rng = random.Random(3)
    lp = [None] + [-rng.uniform(0.01, 5) for _ in ids[1:]]
    (r,) = score(str(tmp_path / "idx"), [{"token_ids": ids, "logprobs": lp, "text": text}], a=0.5)
    seen, alphas = set(), []
    for t, v in zip(ids[1:], lp[1:], strict=True):
        if t not in seen:
            seen.add(t)
            alphas.append(min(math.exp(v) * -math.log((c[t] + 1) / (n + 256)), 0.5))
    assert r.dc_pdd == pytest.approx(sum(alphas) / len(alphas))
    assert r.unavailable == ["min_k_pp"]


# -- metrics --------------------------------------------------------------------------------------
def test_auroc_by_hand():
    assert auroc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]) == pytest.approx(0.75)
    assert auroc([1.0, 1.0, 0.0], [1, 0, 0]) == pytest.approx(0.75)  # a tie counts half
    assert auroc([3, 2, 1], [1, 1, 0]) == 1.0 and auroc([1, 2, 3], [1, 1, 0]) == 0.0
    assert auroc([1, 2], [1, 1]) is None
    assert auroc([None, 0.2, 0.1], [0, 1, 0]) == 1.0  # null scores are dropped


def test_tpr_at_fpr_by_hand():
    neg = list(range(20))  # 20 non-members: 5% FPR allows one false positive, 1% none
    pos = [19.5, 18.5, 25, 30]
    s, y = pos + neg, [1] * 4 + [0] * 20
    assert tpr_at_fpr(s, y, 0.05) == pytest.approx(1.0)
    assert tpr_at_fpr(s, y, 0.01) == pytest.approx(0.75)
    assert tpr_at_fpr([5, 5, 1], [1, 0, 0], 0.01) == 0.0  # a tie with a non-member cannot be split


def test_metrics_match_brute_force():
    rng = random.Random(11)
    for _ in range(30):
        n = rng.randrange(4, 60)
        s = [float(rng.randrange(0, 12)) for _ in range(n)]  # many ties
        y = [rng.randrange(2) for _ in range(n)]
        if len(set(y)) < 2:
            continue
        pos = [a for a, b in zip(s, y, strict=True) if b]
        neg = [a for a, b in zip(s, y, strict=True) if not b]
        pairs = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
        assert auroc(s, y) == pytest.approx(pairs / (len(pos) * len(neg)))
        for target in (0.01, 0.05, 0.3):
            best = 0.0
            for t in set(s) | {math.inf}:
                fpr = sum(q >= t for q in neg) / len(neg)
                if fpr <= target:
                    best = max(best, sum(p >= t for p in pos) / len(pos))
            assert tpr_at_fpr(s, y, target) == pytest.approx(best)


def test_summarize_rows():
    rows = summarize({"a": [0.9, 0.8, 0.7, 0.6], "b": [None, 0.1, 0.2, 0.3]}, [1, 0, 1, 0])
    assert rows[0]["score"] == "a" and rows[0]["auroc"] == pytest.approx(0.75)
    assert rows[1]["n_members"] == 1 and rows[1]["n_nonmembers"] == 2


# -- validation and mismatch ----------------------------------------------------------------------
@pytest.mark.parametrize(("row", "needle"), [
    ({"logprobs": [-1.0]}, "field 'token_ids' is missing"),
    ({"token_ids": [1, 2]}, "field 'logprobs' is missing"),
    ({"token_ids": [1, 2], "logprobs": [-1.0]}, "'logprobs' has 1 entries, 'token_ids' has 2"),
    ({"token_ids": [1, "x"], "logprobs": [-1.0, -1.0]}, "field 'token_ids' must be a list of integers"),
    ({"token_ids": [1, -2], "logprobs": [-1.0, -1.0]}, "negative token id"),
    ({"token_ids": [1, 2], "logprobs": [None, "a"]}, "field 'logprobs'[1] is str"),
    ({"token_ids": [1, 2], "logprobs": [None, 0.7]}, "natural-log probability"),
    ({"token_ids": [1], "logprobs": [-1.0], "logprob_var": [-1.0]}, "'logprob_var'[0] = -1.0 is negative"),
    ({"token_ids": [1], "logprobs": [-1.0], "text": 5}, "field 'text' must be a string"),
    ([1, 2], "expected a JSON object"),
])
def test_bad_rows_name_row_and_field(row, needle):
    with pytest.raises(InputError) as e:
        score_rows(None, [{"token_ids": [0], "logprobs": [None]}, row])
    assert str(e.value).startswith("row 1: ") and needle in str(e.value)


def test_bad_file_names_file_and_line(tmp_path):
    p = tmp_path / "lp.jsonl"
    p.write_text('{"token_ids": [1], "logprobs": [null]}\n\n{"token_ids": [1], "logprobs": [null}\n')
    with pytest.raises(InputError, match=rf"^{p}:3: malformed JSON"):
        list(read_logprobs_jsonl(str(p)))
    p.write_text('{"token_ids": [1], "logprobs": [null], "member": 2}\n')
    with pytest.raises(InputError, match=rf"^{p}:1: label field 'member' must be 1 \(member\) or 0"):
        list(read_logprobs_jsonl(str(p), "member"))


def test_tokenizer_mismatch_is_refused():
    ref = _ref({}, vocab=10)
    with pytest.raises(MismatchError, match="token id 10 is outside the index tokenizer's vocabulary of 10"):
        score_rows(ref, [{"token_ids": [1, 10], "logprobs": [None, -1.0]}])
    with pytest.raises(MismatchError, match="fingerprint 'other' does not match the index's 'fp-test'"):
        score_rows(ref, [{"token_ids": [1], "logprobs": [None], "tokenizer_fingerprint": "other"}])
    with pytest.raises(MismatchError, match="fingerprint 'cli' does not match"):
        score_rows(ref, [{"token_ids": [1], "logprobs": [None]}], tokenizer_fingerprint="cli")
    assert score_rows(ref, [{"token_ids": [1], "logprobs": [None], "tokenizer_fingerprint": "fp-test"}])
    with pytest.raises(InputError, match="k must be in"):
        score_rows(ref, [], k=0.0)


# -- CLI --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bytes_index(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("mem")
    corpus = d / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": str(i), "text": f"document {i} about cats and dogs"}) + "\n"
                              for i in range(30)))
    tracer.build([str(corpus)], str(d / "idx"), id_field="id", progress=False)
    return d / "idx"


def _write_rows(path: Path, n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        text = f"text number {i} " + "x" * rng.randrange(5, 40)
        ids = list(text.encode())
        member = i % 2
        lp = [None] + [-rng.expovariate(2.0 if member else 1.0) for _ in ids[1:]]
        rows.append({"id": f"r{i}", "token_ids": ids, "logprobs": lp, "text": text, "member": member})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def test_cli_jsonl_and_labels(tmp_path, bytes_index, tracer_cli):
    rows = _write_rows(tmp_path / "lp.jsonl", 40)
    proc = tracer_cli("score", "--index", bytes_index, "--logprobs", tmp_path / "lp.jsonl", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [g["id"] for g in got] == [r["id"] for r in rows]
    # --index is also the reference corpus of infgram_ref and its variants (issue 13), so they are part of the output
    assert set(got[0]) == {"id", "loss", "zlib", "min_k", "min_k_pp", "dc_pdd", "n_tokens", "unavailable",
                           "infgram_ref", "infgram_ref_min_k", "infgram_ref_cap1"}
    assert got[0]["unavailable"] == ["min_k_pp"] and got[0]["n_tokens"] == len(rows[0]["token_ids"]) - 1
    assert got[3]["loss"] == pytest.approx(float(np.mean(rows[3]["logprobs"][1:])))

    proc = tracer_cli("score", "--index", bytes_index, "--logprobs", tmp_path / "lp.jsonl", "--format", "json",
                      "--label-field", "member", "--k", "0.5")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    summary = {s["score"]: s for s in out["summary"]}
    loss = [s["loss"] for s in out["scores"]]
    labels = [r["member"] for r in rows]
    assert summary["loss"]["auroc"] == pytest.approx(auroc(loss, labels))
    assert summary["loss"]["auroc"] > 0.7  # members were drawn with higher log-probs
    assert summary["min_k_pp"]["auroc"] is None and summary["loss"]["n_members"] == 20

    proc = tracer_cli("score", "--index", bytes_index, "--logprobs", tmp_path / "lp.jsonl", "--label-field", "member")
    assert proc.returncode == 0 and "TPR@5%FPR" in proc.stdout and "r39" in proc.stdout


def test_cli_errors(tmp_path, bytes_index, tracer_cli, expect_cli_error):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"token_ids": [1, 2], "logprobs": [null]}\n')
    expect_cli_error(tracer_cli("score", "--index", bytes_index, "--logprobs", p), f"{p}:1:", "'logprobs'")
    p.write_text('{"token_ids": [1, 300], "logprobs": [null, -1]}\n')
    expect_cli_error(tracer_cli("score", "--index", bytes_index, "--logprobs", p), "token id 300", "vocabulary of 256")
    p.write_text('{"token_ids": [1], "logprobs": [null]}\n')
    expect_cli_error(tracer_cli("score", "--index", bytes_index, "--logprobs", p, "--tokenizer-fingerprint", "hf-x"),
                     "does not match the index's 'bytes-utf8-v1'")
    expect_cli_error(tracer_cli("score", "--index", bytes_index), "give either --logprobs")
    expect_cli_error(tracer_cli("score", "--index", bytes_index, "--logprobs", tmp_path / "none.jsonl"), "none.jsonl")
