"""Soft search: windows of one shard where many of a query's rare words occur together."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def cooccurrence_windows(pos, wid, doc, weights, width, min_score, max_out):
    """The best non-overlapping windows of at most ``width`` tokens inside one document.

    ``pos`` (int64, sorted ascending): token positions in one shard where a query word starts;
    ``wid`` (int32): which word (index into ``weights``, float64) occurs there; ``doc`` (int64):
    the document of each position. A window's score is the summed weight of the *distinct* words
    in it (a word repeated ten times counts once, so boilerplate repeats do not win). Windows
    scoring at least ``min_score`` are ranked and kept greedily while they overlap no kept one,
    up to ``max_out``. Returns (scores float64, first position int64, last position int64).
    One pass with two pointers and per-word counts: O(len(pos) + kept x max_out).
    """
    n = pos.shape[0]
    cnt = np.zeros(weights.shape[0], dtype=np.int64)
    cand_s = np.empty(n, dtype=np.float64)
    cand_a = np.empty(n, dtype=np.int64)
    cand_b = np.empty(n, dtype=np.int64)
    nc = 0
    score = 0.0
    i = 0
    for j in range(n):
        w = wid[j]
        if cnt[w] == 0:
            score += weights[w]
        cnt[w] += 1
        while i < j and (pos[j] - pos[i] > width or doc[i] != doc[j]):
            v = wid[i]
            cnt[v] -= 1
            if cnt[v] == 0:
                score -= weights[v]
            i += 1
        if score >= min_score - 1e-9:
            # end the window on this hit; the next hit may make a better one, so all are kept
            cand_s[nc] = score
            cand_a[nc] = pos[i]
            cand_b[nc] = pos[j]
            nc += 1
    order = np.argsort(-cand_s[:nc], kind="mergesort")
    out_s = np.empty(max_out, dtype=np.float64)
    out_a = np.empty(max_out, dtype=np.int64)
    out_b = np.empty(max_out, dtype=np.int64)
    k = 0
    for r in range(nc):
        if k >= max_out:
            break
        c = order[r]
        a = cand_a[c]
        b = cand_b[c]
        clash = False
        for t in range(k):
            if a <= out_b[t] and out_a[t] <= b:
                clash = True
                break
        if not clash:
            out_s[k] = cand_s[c]
            out_a[k] = a
            out_b[k] = b
            k += 1
    return out_s[:k], out_a[:k], out_b[:k]


@njit(cache=True, nogil=True)
def best_aligned_span(key, content, number_w, key_weight, key_number_w, key_signal, max_len, total_weight,
                      min_keys, beta2, number_floor):
    """The passage span (first and last word) that best matches a query, and its score.

    One row per passage word: ``key`` (int64) the query word it aligns with, or -1; ``content``
    (bool) a word that is neither a stopword nor a number; ``number_w`` (float64) the weight of a
    number (0 for other words). Per query key: ``key_weight`` (float64, 0 for keys outside the
    part of the query being judged), ``key_number_w`` (float64, its number weight, 0 when not a
    number) and ``key_signal`` (bool: a content word that is the query's own, not a stopword or
    template word). A span starts and ends on aligned words and holds at most ``max_len`` words.

    Its score is F(beta) of recall (query key weight found in the span / ``total_weight``) and
    precision (aligned content words / content words of the span; words aligned to non-signal
    keys count on neither side, so a shared template is no evidence), times the evidence
    ``min(1, signal keys found / min_keys)`` (one rare word alone is not a passage), times the
    number agreement ``number_floor + (1 - number_floor) * J``, J = weight of shared numbers /
    (weight of the query's numbers + weight of the span's other numbers), 1 when neither has any.
    Returns (score, first word, last word); (0, -1, -1) when nothing aligns.
    """
    n = key.shape[0]
    seen = np.zeros(key_weight.shape[0], dtype=np.int64)
    item_num = 0.0
    for k in range(key_weight.shape[0]):
        if key_weight[k] > 0:
            item_num += key_number_w[k]
    stamp = 0
    best = 0.0
    best_a = -1
    best_b = -1
    for a in range(n):
        if key[a] < 0 or key_weight[key[a]] <= 0:
            continue
        stamp += 1
        got = 0.0
        signal = 0
        words_c = 0
        aligned_c = 0
        nums_shared = 0.0
        nums_other = 0.0
        for b in range(a, min(n, a + max_len)):
            k = key[b]
            if k >= 0 and key_weight[k] <= 0:
                k = -1
            if k < 0:
                if content[b]:
                    words_c += 1
                nums_other += number_w[b]
                continue
            if seen[k] != stamp:
                seen[k] = stamp
                got += key_weight[k]
                nums_shared += key_number_w[k]
                if key_signal[k]:
                    signal += 1
            if content[b] and key_signal[k]:
                words_c += 1
                aligned_c += 1
            rec = got / total_weight if total_weight > 0 else 0.0
            prec = aligned_c / words_c if words_c > 0 else 0.0
            if rec <= 0.0 or prec <= 0.0:
                continue
            f = (1.0 + beta2) * prec * rec / (beta2 * prec + rec)
            denom = item_num + nums_other
            jac = 1.0 if denom <= 0 else nums_shared / denom
            s = f * min(1.0, signal / min_keys) * (number_floor + (1.0 - number_floor) * jac)
            if s > best:
                best = s
                best_a = a
                best_b = b
    return best, best_a, best_b
