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


@dataclass
class MembershipScore:
    """Scores of one text; a score is None when its inputs were missing (named in ``unavailable``)."""

    id: str
    loss: float | None
    zlib: float | None
    min_k: float | None
    min_k_pp: float | None
    dc_pdd: float | None
    n_tokens: int  # scored tokens (non-null log-probs)
    unavailable: list[str] = field(default_factory=list)
    label: int | None = None

    def get(self, name: str) -> float | None:
        return getattr(self, name)

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id, "loss": self.loss, "zlib": self.zlib, "min_k": self.min_k,
            "min_k_pp": self.min_k_pp, "dc_pdd": self.dc_pdd, "n_tokens": self.n_tokens,
            "unavailable": self.unavailable,
        }
        if self.label is not None:
            out["label"] = self.label
        return out


class Reference:
    """What scoring needs from an index: tokenizer fingerprint, vocabulary size, ln f(v)."""

    def __init__(self, fingerprint: str | None, vocab_size: int | None, log_freq: np.ndarray | None):
        self.fingerprint = fingerprint
        self.vocab_size = vocab_size
        self.log_freq = log_freq

    @classmethod
    def from_index(cls, index: Any) -> Reference:
        tok = index.tokenizer
        return cls(tok.fingerprint, int(tok.vocab_size), S.log_reference_frequencies(index.unigram, tok.vocab_size))

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


def check_params(k: float, a: float) -> None:
    if not 0.0 < k <= 1.0:
        raise InputError(f"k must be in (0, 1], got {k}")
    if not a > 0.0:
        raise InputError(f"a must be > 0, got {a}")


def score_input(inp: ScoreInput, ref: Reference | None, k: float = 0.2, a: float = 0.01) -> MembershipScore:
    """All five scores of one text (inputs already validated and checked against ``ref``)."""
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
    return MembershipScore(
        id=inp.id, n_tokens=n, unavailable=[name for name in S.SCORE_NAMES if out[name] is None],
        label=inp.label, **out,
    )


def score_inputs(
    index: Any,
    inputs: Iterable[ScoreInput],
    k: float = 0.2,
    a: float = 0.01,
    tokenizer_fingerprint: str | None = None,
) -> list[MembershipScore]:
    """Score validated inputs against an index (or a ready ``Reference``; None skips DC-PDD)."""
    check_params(k, a)
    ref = _reference(index)
    results = []
    for inp in inputs:
        if ref is not None:
            ref.check(inp, f"text {inp.id!r}", tokenizer_fingerprint)
        results.append(score_input(inp, ref, k, a))
    return results


def _reference(index: Any) -> Reference | None:
    if index is None or isinstance(index, Reference):
        return index
    return Reference.from_index(index)


def score_rows(
    index: Any,
    rows: Iterable[dict],
    k: float = 0.2,
    a: float = 0.01,
    tokenizer_fingerprint: str | None = None,
    label_field: str | None = None,
) -> list[MembershipScore]:
    """Score JSON-like rows (``token_ids``, ``logprobs``, optional ``logprob_mean``,
    ``logprob_var``, ``text``, ``id``, ``tokenizer_fingerprint``) against an index.

    The entry point for the gRPC servicer: bad rows raise InputError naming ``row N`` and the
    field; token ids from another tokenizer raise MismatchError.
    """
    check_params(k, a)
    ref = _reference(index)
    results = []
    for i, obj in enumerate(rows):
        where = f"row {i}"
        inp = parse_row(obj, where, str(i), label_field)
        if ref is not None:
            ref.check(inp, where, tokenizer_fingerprint)
        results.append(score_input(inp, ref, k, a))
    return results
