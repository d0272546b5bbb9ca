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

Further variants measured by benchmarks/scripts/membership_ref_eval.py (``VARIANT_SCORE_NAMES``,
Python only, not on the wire until one earns it; k% as above, a as DC-PDD's):

  infgram_ref_cap2/3   = infgram_ref with |s_i| <= 2 / 3             (trigram / 4-gram reference)
  infgram_ref_interp   = mean of lp_i - ln(lam P∞_i + (1 - lam) f(t_i)) (∞-gram mixed with the unigram)
  infgram_dc_pdd       = DC-PDD with -ln f(t_i) replaced by -q_i        (∞-gram probabilities as reference)
  min_k_pp_novel       = mean of Min-K%++'s z_i over the positions whose q_i is below the text's
                         median q (the tokens the reference finds surprising: text-specific ones)

These scores are returned beside ``MembershipScore`` (a dict per text), not inside it: a field
of MembershipScore must have its protobuf field too (tests/test_grpc_services.py), so they move
into it together with the wire format.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tracer.errors import InputError
from tracer.index.reader import IndexReader
from tracer.membership.inputs import ScoreInput
from tracer.membership.scores import VAR_FLOOR, lowest_k_mean
from tracer.query.ngram import infgram_logprobs

REFERENCE_SCORE_NAMES = ("infgram_ref", "infgram_ref_min_k", "infgram_ref_cap1")
VARIANT_SCORE_NAMES = ("infgram_ref_cap2", "infgram_ref_cap3", "infgram_ref_interp", "infgram_dc_pdd",
                       "min_k_pp_novel")
VARIANT_CAPS = {"infgram_ref_cap2": 2, "infgram_ref_cap3": 3}
INTERP_LAMBDA = 0.5


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


def infgram_ref_interp(lp: np.ndarray, q: np.ndarray, log_freq: np.ndarray, lam: float = INTERP_LAMBDA) -> float | None:
    """infgram_ref against lam P∞ + (1 - lam) f: the unigram keeps a sparse reference from vetoing."""
    return infgram_ref(lp, np.logaddexp(np.log(lam) + q, np.log1p(-lam) + log_freq))


def infgram_dc_pdd(token_ids: np.ndarray, lp: np.ndarray, q: np.ndarray, a: float) -> float | None:
    """DC-PDD's mean of min(p(x_i) * -ln f, a) over first occurrences, with -q_i in place of -ln f(x_i)."""
    keep = ~np.isnan(lp)
    if not keep.any():
        return None
    ids, p, qq = token_ids[keep], np.exp(lp[keep]), q[keep]
    _, first = np.unique(ids, return_index=True)
    return float(np.mean(np.minimum(p[first] * -qq[first], a)))


def min_k_pp_novel(lp: np.ndarray, q: np.ndarray, mean: np.ndarray | None, var: np.ndarray | None) -> float | None:
    """Mean Min-K%++ z over the positions the reference predicts worst (q_i below the text's median)."""
    if mean is None or var is None:
        return None
    keep = ~(np.isnan(lp) | np.isnan(mean) | np.isnan(var))
    if not keep.any():
        return None
    z = (lp[keep] - mean[keep]) / np.sqrt(np.maximum(var[keep], VAR_FLOOR))
    qq = q[keep]
    return float(np.mean(z[qq <= np.median(qq)]))


def variant_scores(token_ids: np.ndarray, lp: np.ndarray, q: np.ndarray, q_caps: dict[int, np.ndarray],
                   log_freq: np.ndarray, k: float = 0.2, a: float = 0.01, mean: np.ndarray | None = None,
                   var: np.ndarray | None = None) -> dict[str, float | None]:
    """Every score of VARIANT_SCORE_NAMES for one text from precomputed q (``q_caps[c]``: q with
    |s_i| <= c for c in VARIANT_CAPS' values), so an evaluation computes q once per text."""
    del k  # the variants so far use no lowest-k%; kept for a uniform signature
    lp = np.asarray(lp, dtype=np.float64)
    ids = np.asarray(token_ids, dtype=np.int64)
    if not (~np.isnan(lp)).any():
        return dict.fromkeys(VARIANT_SCORE_NAMES)
    out: dict[str, float | None] = {name: infgram_ref(lp, q_caps[c]) for name, c in VARIANT_CAPS.items()}
    out["infgram_ref_interp"] = infgram_ref_interp(lp, q, log_freq[ids])
    out["infgram_dc_pdd"] = infgram_dc_pdd(ids, lp, q, a)
    out["min_k_pp_novel"] = min_k_pp_novel(lp, q, mean, var)
    return out


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
    from tracer.membership.scoring import Reference  # scoring imports this module: import on use

    if not 0.0 < k <= 1.0:
        raise InputError(f"k must be in (0, 1], got {k}")
    ref = Reference.from_index(index)
    model = InfgramReference(index)
    out = []
    for inp in inputs:
        ref.check(inp, f"text {inp.id!r}", tokenizer_fingerprint)
        out.append(model.scores(inp.token_ids, inp.logprobs, k))
    return out
