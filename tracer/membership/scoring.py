"""One scoring path for every source of log-probs: rows from a file, gRPC, or a model adapter.

The index supplies DC-PDD's reference token frequencies and the tokenizer the token ids must
come from; a mismatch is an error (MismatchError), because scores over foreign ids are silently
meaningless rather than merely noisy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tracer.errors import InputError, MismatchError
from tracer.membership import scores as S
from tracer.membership.inputs import ScoreInput, parse_row
from tracer.membership.options import ScoreOptions
from tracer.membership.reference import REFERENCE_SCORE_NAMES, InfgramReference
from tracer.query.options import resolve

# scores computed only when asked for (reference scores) or given their inputs (ReCaLL's prefixed
# log-probs): in the JSON form only when computed, so the five-score output stays as it was
EXTRA_SCORE_NAMES = (*REFERENCE_SCORE_NAMES, "recall")


@dataclass
class MembershipScore:
    """Scores of one text; a score is None when its inputs were missing (named in ``unavailable``).

    ``infgram_ref``, ``infgram_ref_min_k``, ``infgram_ref_cap1``: calibrated on the ∞-gram model
    of the index as a reference corpus (tracer.membership.reference), when asked for;
    ``recall``: ReCaLL, LL(text | non-member prefix) / LL(text), when prefixed log-probs are given.
    """

    id: str
    loss: float | None
    zlib: float | None
    min_k: float | None
    min_k_pp: float | None
    dc_pdd: float | None
    n_tokens: int  # scored tokens (non-null log-probs)
    unavailable: list[str] = field(default_factory=list)
    label: int | None = None
    infgram_ref: float | None = None
    infgram_ref_min_k: float | None = None
    infgram_ref_cap1: float | None = None
    recall: float | None = None

    def get(self, name: str) -> float | None:
        return getattr(self, name)

    def computed(self, name: str) -> bool:
        """Whether an extra score was asked for (present, or named unavailable)."""
        return getattr(self, name) is not None or name in self.unavailable

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id, "loss": self.loss, "zlib": self.zlib, "min_k": self.min_k,
            "min_k_pp": self.min_k_pp, "dc_pdd": self.dc_pdd, "n_tokens": self.n_tokens,
            "unavailable": self.unavailable,
        }
        for name in EXTRA_SCORE_NAMES:
            if self.computed(name):
                out[name] = getattr(self, name)
        if self.label is not None:
            out["label"] = self.label
        return out


class Reference:
    """What scoring needs from an index: tokenizer fingerprint, vocabulary size, ln f(v), and the
    index's ∞-gram model for the reference scores."""

    def __init__(self, fingerprint: str | None, vocab_size: int | None, log_freq: np.ndarray | None,
                 infgram: InfgramReference | None = None):
        self.fingerprint = fingerprint
        self.vocab_size = vocab_size
        self.log_freq = log_freq
        self.infgram = infgram

    @classmethod
    def from_index(cls, index: Any) -> Reference:
        tok = index.tokenizer
        return cls(tok.fingerprint, int(tok.vocab_size), S.log_reference_frequencies(index.unigram, tok.vocab_size),
                   InfgramReference(index))

    def check(self, inp: ScoreInput, where: str, fingerprint: str | None = None) -> None:
        """Token ids must come from the index's tokenizer: fingerprint equal, ids < vocab size."""
        fp = inp.tokenizer_fingerprint or fingerprint
        if fp is not None and self.fingerprint is not None and fp != self.fingerprint:
            raise MismatchError(
                f"{where}: tokenizer fingerprint {fp!r} does not match the index's {self.fingerprint!r}; "
                "compute log-probs with the tokenizer the index was built with"
            )
        if self.vocab_size is not None and len(inp.token_ids):
            top = int(inp.token_ids.max())
            if top >= self.vocab_size:
                raise MismatchError(
                    f"{where}: token id {top} is outside the index tokenizer's vocabulary of {self.vocab_size} "
                    f"({self.fingerprint}); were the ids made by another tokenizer?"
                )


def score_options(k: float | None = None, a: float | None = None, options: ScoreOptions | None = None) -> ScoreOptions:
    """``options`` (default ``ScoreOptions()``) with ``k`` and ``a`` overridden where given, validated."""
    overrides = {name: v for name, v in (("k", k), ("a", a)) if v is not None}
    return resolve(ScoreOptions, options, overrides)


def recall_score(lp: np.ndarray, prefixed: np.ndarray) -> float | None:
    """ReCaLL (Xie et al. 2024): mean log-prob of the text after a non-member prefix over its mean
    log-prob alone, at the positions both score. Both means are negative; a member's likelihood
    drops more under a foreign prefix, so higher = more likely a member. None when undefined."""
    keep = ~(np.isnan(lp) | np.isnan(prefixed))
    if not keep.any():
        return None
    base = float(np.mean(lp[keep]))
    return float(np.mean(prefixed[keep])) / base if base < 0 else None


def score_input(inp: ScoreInput, ref: Reference | None, options: ScoreOptions | None = None) -> MembershipScore:
    """All scores of one text (inputs already validated and checked against ``ref``): the five,
    the reference scores when ``options.reference_scores``, ReCaLL when prefixed log-probs are given."""
    opts = options or ScoreOptions()
    k, a = opts.k, opts.a
    keep = ~np.isnan(inp.logprobs)
    lp = inp.logprobs[keep]
    n = int(lp.size)
    out: dict[str, float | None] = dict.fromkeys(S.SCORE_NAMES)
    if n:
        out["loss"] = S.loss(lp)
        out["min_k"] = S.min_k(lp, k)
        if inp.text is not None:
            out["zlib"] = S.zlib_ratio(lp, inp.text)
        if inp.logprob_mean is not None and inp.logprob_var is not None:
            mean, var = inp.logprob_mean[keep], inp.logprob_var[keep]
            if not (np.isnan(mean).any() or np.isnan(var).any()):
                out["min_k_pp"] = S.min_k_pp(lp, mean, var, k)
        if ref is not None and ref.log_freq is not None:
            out["dc_pdd"] = S.dc_pdd(inp.token_ids[keep], lp, ref.log_freq, a)
    asked = list(S.SCORE_NAMES)
    if opts.reference_scores:
        if ref is None or ref.infgram is None:
            raise InputError("reference scores (infgram_ref) need an index: the reference corpus")
        asked += REFERENCE_SCORE_NAMES
        out.update(ref.infgram.scores(inp.token_ids, inp.logprobs, k))
    if inp.prefix_logprobs is not None:
        asked.append("recall")
        out["recall"] = recall_score(inp.logprobs, inp.prefix_logprobs) if n else None
    return MembershipScore(
        id=inp.id, n_tokens=n, unavailable=[name for name in asked if out.get(name) is None],
        label=inp.label, **out,
    )


def score_inputs(
    index: Any,
    inputs: Iterable[ScoreInput],
    k: float | None = None,
    a: float | None = None,
    tokenizer_fingerprint: str | None = None,
    *,
    options: ScoreOptions | None = None,
) -> list[MembershipScore]:
    """Score validated inputs against an index (or a ready ``Reference``; None skips DC-PDD).

    ``options`` (``ScoreOptions``) with ``k``/``a`` overriding its fields where given."""
    opts = score_options(k, a, options)
    ref = _reference(index)
    results = []
    for inp in inputs:
        if ref is not None:
            ref.check(inp, f"text {inp.id!r}", tokenizer_fingerprint)
        results.append(score_input(inp, ref, opts))
    return results


def _reference(index: Any) -> Reference | None:
    if index is None or isinstance(index, Reference):
        return index
    return Reference.from_index(index)


def score_rows(
    index: Any,
    rows: Iterable[dict],
    k: float | None = None,
    a: float | None = None,
    tokenizer_fingerprint: str | None = None,
    label_field: str | None = None,
    *,
    options: ScoreOptions | None = None,
) -> list[MembershipScore]:
    """Score JSON-like rows (``token_ids``, ``logprobs``, optional ``logprob_mean``,
    ``logprob_var``, ``text``, ``id``, ``tokenizer_fingerprint``) against an index.

    The entry point for the gRPC servicer: bad rows raise InputError naming ``row N`` and the
    field; token ids from another tokenizer raise MismatchError.
    """
    opts = score_options(k, a, options)
    ref = _reference(index)
    results = []
    for i, obj in enumerate(rows):
        where = f"row {i}"
        inp = parse_row(obj, where, str(i), label_field)
        if ref is not None:
            ref.check(inp, where, tokenizer_fingerprint)
        results.append(score_input(inp, ref, opts))
    return results
