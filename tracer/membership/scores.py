"""The membership scores as small numpy functions over one text's scored log-probs.

Convention everywhere: higher = more likely a member; natural logs. Each function takes only
the scored tokens (unscored ones already removed) so that the formulas read like the papers:
loss and zlib (Carlini et al. 2021), Min-K% Prob (Shi et al. 2023), Min-K%++ (Zhang et al.
2024) and DC-PDD (Zhang et al. 2024), whose reference frequencies come from the index.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

SCORE_NAMES = ("loss", "zlib", "min_k", "min_k_pp", "dc_pdd")
VAR_FLOOR = 1e-12


def loss(lp: np.ndarray) -> float:
    """Mean log-prob of the scored tokens (the negative of the usual loss, so higher = member)."""
    return float(np.mean(lp))


def zlib_ratio(lp: np.ndarray, text: str) -> float:
    """Mean log-prob divided by the zlib-compressed size of the text in bytes."""
    return float(np.mean(lp)) / len(zlib.compress(text.encode("utf-8")))


def lowest_k_mean(values: np.ndarray, k: float) -> float:
    """Mean of the lowest max(1, floor(n*k)) values: the core of Min-K% and Min-K%++."""
    m = max(1, math.floor(len(values) * k))
    return float(np.mean(np.partition(values, m - 1)[:m]))


def min_k(lp: np.ndarray, k: float) -> float:
    return lowest_k_mean(lp, k)


def min_k_pp(lp: np.ndarray, mean: np.ndarray, var: np.ndarray, k: float) -> float:
    """Min-K% over log-probs standardised by the model's own next-token distribution."""
    z = (lp - mean) / np.sqrt(np.maximum(var, VAR_FLOOR))
    return lowest_k_mean(z, k)


def log_reference_frequencies(unigram: np.ndarray, vocab_size: int) -> np.ndarray:
    """ln f(v) with f(v) = (c_v + 1) / (N + V): add-one smoothed corpus token frequencies."""
    counts = np.asarray(unigram, dtype=np.float64)
    total = float(np.asarray(unigram, dtype=np.uint64).sum()) + vocab_size
    return np.log(counts + 1.0) - math.log(total)


def dc_pdd(token_ids: np.ndarray, lp: np.ndarray, log_freq: np.ndarray, a: float) -> float:
    """Mean over first occurrences of each token of min(p(x_i) * -ln f(x_i), a)."""
    _, first = np.unique(token_ids, return_index=True)
    alpha = np.exp(lp[first]) * -log_freq[token_ids[first]]
    return float(np.mean(np.minimum(alpha, a)))
