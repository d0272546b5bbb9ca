"""tracer.membership: pretraining-data detection scores from token log-probs.

Scores (higher = more likely a member; natural logs): loss, zlib, Min-K% Prob, Min-K%++ and
DC-PDD, whose reference token frequencies come from the index's unigram counts. Never a
yes/no verdict: thresholds are not portable across models, so evaluate with labels
(``metrics.summarize``: AUROC, TPR at 1% / 5% FPR). With ``ScoreOptions(reference_scores=True)``
also infgram_ref and its variants, calibrated on the index's ∞-gram model as a reference corpus
(``reference``); with prefixed log-probs (``ScoreInput.prefix_logprobs``) also ReCaLL.

Entry points:
  ``score(index, rows_or_inputs, k=..., a=...)``        dict rows or ``ScoreInput``s
  ``score_rows(index, rows, k=..., a=..., ...)``         dict rows
  ``ScoreOptions``: the options (``k`` of Min-K%, ``a`` of DC-PDD), their defaults and checks
  ``adapters.load_hf_causal_lm(path)`` / ``adapters.LogitsModelAdapter(module, tokenizer)``
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracer.lazy import lazy_exports

# imported on first use (PEP 562): the command line reads ScoreOptions to build its flags, which
# must not cost loading the numba kernels that scoring pulls in
_WHERE = {
    "ScoreInput": "inputs", "TextRow": "inputs", "parse_row": "inputs", "read_logprobs_jsonl": "inputs",
    "read_texts_jsonl": "inputs", "auroc": "metrics", "summarize": "metrics", "tpr_at_fpr": "metrics",
    "ScoreOptions": "options", "SCORE_NAMES": "scores", "MembershipScore": "scoring", "Reference": "scoring",
    "score_inputs": "scoring", "score_rows": "scoring",
}

__all__ = [
    "SCORE_NAMES", "MembershipScore", "Reference", "ScoreInput", "ScoreOptions", "TextRow", "auroc", "parse_row",
    "read_logprobs_jsonl", "read_texts_jsonl", "score", "score_inputs", "score_rows", "summarize", "tpr_at_fpr",
]


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())


if TYPE_CHECKING:
    from tracer.membership.inputs import ScoreInput, TextRow, parse_row, read_logprobs_jsonl, read_texts_jsonl
    from tracer.membership.metrics import auroc, summarize, tpr_at_fpr
    from tracer.membership.options import ScoreOptions
    from tracer.membership.scores import SCORE_NAMES
    from tracer.membership.scoring import MembershipScore, Reference, score_inputs, score_rows


def score(
    index: Any,
    rows: Iterable[dict | ScoreInput],
    k: float | None = None,
    a: float | None = None,
    tokenizer_fingerprint: str | None = None,
    *,
    options: ScoreOptions | None = None,
) -> list[MembershipScore]:
    """Scores for each row; ``index`` is an open Index, an index path, or None (no DC-PDD).
    ``k``/``a`` override the fields of ``options`` (default ``ScoreOptions()``)."""
    from tracer.membership.inputs import ScoreInput
    from tracer.membership.scoring import score_inputs, score_rows

    if isinstance(index, (str, Path)):
        import tracer

        index = tracer.open(index)
    rows = list(rows)
    if all(isinstance(r, ScoreInput) for r in rows):
        return score_inputs(index, rows, k, a, tokenizer_fingerprint, options=options)
    return score_rows(index, rows, k, a, tokenizer_fingerprint, options=options)
