"""The exploratory reference-calibrated variants (tracer.membership.reference.variant_scores)
against hand-computed values, and the reference evaluation's file-disjoint splits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracer.membership.reference import VARIANT_SCORE_NAMES, variant_scores


def test_variants_by_hand():
    ids = np.array([3, 5, 3, 7])
    lp = np.array([np.nan, -1.0, -2.0, -0.5])
    q = np.array([-4.0, -3.0, -1.0, -6.0])
    caps = {2: np.array([-4.0, -3.5, -1.5, -5.0]), 3: np.array([-4.0, -3.2, -1.2, -5.5])}
    log_freq = np.log(np.array([0.1] * 8))
    mean = np.array([np.nan, -2.0, -2.0, -2.0])
    var = np.array([np.nan, 1.0, 4.0, 0.25])
    r = variant_scores(ids, lp, q, caps, log_freq, a=1.0, mean=mean, var=var)
    assert list(r) == list(VARIANT_SCORE_NAMES)
    assert r["infgram_ref_cap2"] == pytest.approx(((-1 + 3.5) + (-2 + 1.5) + (-0.5 + 5)) / 3)
    assert r["infgram_ref_cap3"] == pytest.approx(((-1 + 3.2) + (-2 + 1.2) + (-0.5 + 5.5)) / 3)
    mix = [math.log(0.5 * math.exp(x) + 0.5 * 0.1) for x in (-3.0, -1.0, -6.0)]
    assert r["infgram_ref_interp"] == pytest.approx(((-1 - mix[0]) + (-2 - mix[1]) + (-0.5 - mix[2])) / 3)
    # first occurrences among scored positions: ids 5, 3, 7 -> min(p * -q, 1)
    want = [min(math.exp(-1.0) * 3.0, 1.0), min(math.exp(-2.0) * 1.0, 1.0), min(math.exp(-0.5) * 6.0, 1.0)]
    assert r["infgram_dc_pdd"] == pytest.approx(sum(want) / 3)
    # z = (1, 0, 3); q scored = (-3, -1, -6), median -3: positions with q <= -3 -> z 1 and 3
    assert r["min_k_pp_novel"] == pytest.approx(2.0)


def test_variants_without_scored_tokens_or_statistics():
    ids = np.array([1, 2])
    q = np.array([-1.0, -1.0])
    caps = {2: q, 3: q}
    assert variant_scores(ids, np.array([np.nan, np.nan]), q, caps, np.zeros(4)) == dict.fromkeys(VARIANT_SCORE_NAMES)
    r = variant_scores(ids, np.array([np.nan, -1.0]), q, caps, np.zeros(4))
    assert r["min_k_pp_novel"] is None and r["infgram_ref_cap2"] == pytest.approx(0.0)


def test_eval_splits_are_file_disjoint_and_drop_reference_chunks():
    from benchmarks.scripts.membership_ref_eval import RefEvalConfig, make_eval_splits

    pool = [(f"f{i}", "".join(f"line {i} {j} " + "x" * 30 + "\n" for j in range(40))) for i in range(60)]
    cfg = RefEvalConfig(chunk_chars=200, n_background=12, n_members=8, n_nonmembers=8)
    dropped = []

    def drop(chunk: str) -> bool:
        hit = chunk.startswith("line 7 ")
        dropped.extend([chunk] if hit else [])
        return hit

    out = make_eval_splits(cfg, pool, drop)
    assert [len(out[s]) for s in ("members", "nonmembers", "nonmembers2", "background")] == [8, 8, 8, 12]
    owner = {s: {c.split()[1] for c in out[s]} for s in out}
    names = list(owner)
    for a in names:
        for b in names:
            if a != b:
                assert not owner[a] & owner[b], (a, b)
    assert not any(c in dropped for s in out for c in out[s])
