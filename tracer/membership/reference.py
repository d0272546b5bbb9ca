"""Membership scores calibrated on a reference index's ∞-gram model.

A reference-model attack compares the target model's log-prob of each token with a second
model's; here the second model is the ∞-gram model of a reference corpus (same distribution
as the training data, not containing the texts under test). For token ids t_1..t_n with model
log-probs lp_i (natural log, NaN where unscored) and q_i the smoothed ∞-gram log-prob of
``tracer.query.ngram.infgram_logprobs``:

  infgram_ref        = mean of (lp_i - q_i) over the scored positions   (the baseline, as specified)
  infgram_ref_min_k  = mean of the lowest k% of (lp_i - q_i)            (Min-K% over calibrated tokens)
  infgram_ref_cap1   = infgram_ref with |s_i| <= 1                       (a bigram reference, suffix capped)

Higher = more likely a member. The variants are exploratory, kept under their own names.

``score_inputs``/``tracer score --index REF`` (``ScoreOptions.reference_scores``) put them on
``MembershipScore``; ``reference_scores`` returns them as a dict per text.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tracer.errors import InputError
from tracer.index.reader import IndexReader
from tracer.membership.inputs import ScoreInput
from tracer.membership.scores import lowest_k_mean
from tracer.query.ngram import infgram_logprobs

REFERENCE_SCORE_NAMES = ("infgram_ref", "infgram_ref_min_k", "infgram_ref_cap1")


def calibrated(lp: np.ndarray, q: np.ndarray) -> np.ndarray:
    """lp_i - q_i at the scored positions (NaN log-probs dropped)."""
    keep = ~np.isnan(lp)
    return lp[keep] - q[keep]


def infgram_ref(lp: np.ndarray, q: np.ndarray) -> float | None:
    d = calibrated(lp, q)
    return float(np.mean(d)) if d.size else None


def infgram_ref_min_k(lp: np.ndarray, q: np.ndarray, k: float) -> float | None:
    d = calibrated(lp, q)
    return lowest_k_mean(d, k) if d.size else None


class InfgramReference:
    """The ∞-gram model of a reference index, as the scorer's second model."""

    def __init__(self, index: IndexReader):
        self.index = index

    def q(self, token_ids: np.ndarray, max_suffix: int | None = None) -> np.ndarray:
        """q_i for every position (contexts use every earlier token, scored or not)."""
        return infgram_logprobs(self.index, np.asarray(token_ids, dtype=np.int64), max_suffix).logprobs

    def scores(self, token_ids: np.ndarray, logprobs: np.ndarray, k: float) -> dict[str, float | None]:
        """Every score of REFERENCE_SCORE_NAMES for one text (None where no position is scored)."""
        lp = np.asarray(logprobs, dtype=np.float64)
        if not (~np.isnan(lp)).any():
            return dict.fromkeys(REFERENCE_SCORE_NAMES)
        q = self.q(token_ids)
        return {
            "infgram_ref": infgram_ref(lp, q),
            "infgram_ref_min_k": infgram_ref_min_k(lp, q, k),
            "infgram_ref_cap1": infgram_ref(lp, self.q(token_ids, max_suffix=1)),
        }


def reference_scores(index: IndexReader, inputs: Iterable[ScoreInput], k: float = 0.2,
                     tokenizer_fingerprint: str | None = None) -> list[dict[str, float | None]]:
    """REFERENCE_SCORE_NAMES for each input against the reference ``index``; ids from another
    tokenizer raise MismatchError, as in ``score_inputs``."""
    from tracer.membership.scoring import Reference  # scoring builds on this module

    if not 0.0 < k <= 1.0:
        raise InputError(f"k must be in (0, 1], got {k}")
    ref = Reference.from_index(index)
    model = InfgramReference(index)
    out = []
    for inp in inputs:
        ref.check(inp, f"text {inp.id!r}", tokenizer_fingerprint)
        out.append(model.scores(inp.token_ids, inp.logprobs, k))
    return out
