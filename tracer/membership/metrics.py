"""Threshold-free evaluation of a score against member / non-member labels.

AUROC is the Mann-Whitney statistic with mid-ranks for ties (the probability that a random
member scores above a random non-member, ties counting half). TPR at a fixed FPR is read off
the ROC staircase without interpolation: the best TPR over thresholds whose FPR <= target,
which is the low-FPR operating point that MIMIR and the LiRA line of work report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The low-FPR operating points every summary reports, as ``tpr_at_<percent>pct_fpr`` columns.
FPR_TARGETS = (0.01, 0.05)


def tpr_column(fpr: float) -> str:
    """The summary column of one FPR target: 0.01 -> ``tpr_at_1pct_fpr``."""
    return f"tpr_at_{fpr * 100:g}pct_fpr"


def _split(scores: Sequence[float | None], labels: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray([np.nan if v is None else v for v in scores], dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if s.shape != y.shape:
        raise ValueError(f"{len(s)} scores but {len(y)} labels")
    keep = ~np.isnan(s)
    return s[keep], y[keep]


def _midranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing the mean of their ranks."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], len(xs)]
    ranks_sorted = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = ranks_sorted
    return ranks


def auroc(scores: Sequence[float | None], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve; None when either class is empty. Null scores are dropped."""
    s, y = _split(scores, labels)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    r = _midranks(s)
    return float((r[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def tpr_at_fpr(scores: Sequence[float | None], labels: Sequence[int], fpr: float) -> float | None:
    """Highest TPR over thresholds t ("member if score >= t") whose FPR is at most ``fpr``."""
    s, y = _split(scores, labels)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True]  # a threshold admits a whole tie group at once
    tp = np.cumsum(y == 1)[last_of_tie]
    fp = np.cumsum(y == 0)[last_of_tie]
    ok = fp <= fpr * n_neg + 1e-9
    return float(tp[ok].max() / n_pos) if ok.any() else 0.0


def summarize(columns: dict[str, Sequence[float | None]], labels: Sequence[int]) -> list[dict]:
    """One row per score: AUROC, TPR at each of ``FPR_TARGETS`` and how many labelled texts had it."""
    rows = []
    for name, scores in columns.items():
        s, y = _split(scores, labels)
        rows.append({
            "score": name,
            "auroc": auroc(s, y),
            **{tpr_column(f): tpr_at_fpr(s, y, f) for f in FPR_TARGETS},
            "n_members": int((y == 1).sum()),
            "n_nonmembers": int((y == 0).sum()),
        })
    return rows
