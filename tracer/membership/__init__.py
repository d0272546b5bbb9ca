"""tracer.membership: pretraining-data detection scores from token log-probs.

Scores (higher = more likely a member; natural logs): loss, zlib, Min-K% Prob, Min-K%++ and
DC-PDD, whose reference token frequencies come from the index's unigram counts. Never a
yes/no verdict: thresholds are not portable across models, so evaluate with labels
(``metrics.summarize``: AUROC, TPR at 1% / 5% FPR).

Entry points:
  ``score(index, rows_or_inputs, k=0.2, a=0.01)``        dict rows or ``ScoreInput``s
  ``score_rows(index, rows, k=0.2, a=0.01, ...)``       dict rows (the gRPC servicer's call)
  ``adapters.load_hf_causal_lm(path)`` / ``adapters.LogitsModelAdapter(module, tokenizer)``
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tracer.membership.inputs import ScoreInput, TextRow, parse_row, read_logprobs_jsonl, read_texts_jsonl
from tracer.membership.metrics import auroc, summarize, tpr_at_fpr
from tracer.membership.scores import SCORE_NAMES
from tracer.membership.scoring import MembershipScore, Reference, score_inputs, score_rows

__all__ = [
    "SCORE_NAMES", "MembershipScore", "Reference", "ScoreInput", "TextRow", "auroc", "parse_row",
    "read_logprobs_jsonl", "read_texts_jsonl", "score", "score_inputs", "score_rows", "summarize", "tpr_at_fpr",
]


def score(
    index: Any,
    rows: Iterable[dict | ScoreInput],
    k: float = 0.2,
    a: float = 0.01,
    tokenizer_fingerprint: str | None = None,
) -> list[MembershipScore]:
    """Scores for each row; ``index`` is an open Index, an index path, or None (no DC-PDD)."""
    if isinstance(index, (str, Path)):
        import tracer

        index = tracer.open(index)
    rows = list(rows)
    if all(isinstance(r, ScoreInput) for r in rows):
        return score_inputs(index, rows, k, a, tokenizer_fingerprint)
    return score_rows(index, rows, k, a, tokenizer_fingerprint)
