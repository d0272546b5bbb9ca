"""The contaminating spans of a contaminated item: the word windows whose every corpus
occurrence decontamination removes.

A window is chosen so that once all its occurrences are gone, the metric that decided the
verdict can no longer count the words it covered (so a check of the cleaned corpus with the same
settings finds the item clean). Per spelling (as written, JSON-escaped) and part, from ``m[w]``
(words of the longest corpus match from word w):

- coverage, skip_coverage: from each word w, the shortest run of >= n words that holds
  min(n, the part's own words) words outside template text (the rule of ``covered_mask``),
  where the corpus match from w is at least that long;
- ngram: the n words from each non-template word w with m[w] >= n (PaLM's n-gram hits);
- longest: runs of ceil(threshold x the item's input words) words (the longest match the verdict
  needs), from every w that reaches it;
- 13gram: runs of min(13, item length) words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tracer.contamination.check import ItemResult, PartEvidence
from tracer.contamination.options import CheckOptions


@dataclass
class Window:
    """Words [word, word + words) of one spelling of one part, and its tokens in ``ev.prep.ids``."""

    ev: PartEvidence
    word: int
    words: int
    tok_start: int
    tok_len: int


def _token_span(ev: PartEvidence, w: int, words: int) -> tuple[int, int]:
    """Tokens from the one holding word w's first character to the one holding the last word's end
    (the tokens the longest-match kernel matched from w)."""
    p = ev.prep
    first = int(p.word_tok[w])
    last = int(np.searchsorted(p.tok_ends, p.word_ends[w + words - 1], side="left"))
    return first, last - first + 1


def _own_lengths(ev: PartEvidence, n: int) -> np.ndarray:
    """For each w: the shortest L >= n with min(n, own words) non-template words in [w, w + L) (a
    huge value where none)."""
    words = len(ev.m)
    keep = np.ones(words, bool) if ev.template is None else ~ev.template
    need = min(n, int(keep.sum()))
    csum = np.concatenate(([0], np.cumsum(keep)))
    # first end e (exclusive) with csum[e] - csum[w] >= need
    ends = np.searchsorted(csum, csum[:words] + need, side="left")
    lengths = np.maximum(ends - np.arange(words), n)
    return np.where(ends <= words, lengths, np.iinfo(np.int64).max)


def item_windows(result: ItemResult, evidence: list[PartEvidence], opts: CheckOptions) -> list[Window]:
    """The windows of an item (empty if it is not contaminated, or only by the soft tier: its exact
    matches are below the threshold) from its ``check_items`` evidence."""
    if not result.contaminated or result.match == "soft":
        return []
    input_words = next((ev.prep.n_words for ev in evidence if ev.part == "input"), 0)
    out: list[Window] = []
    for ev in evidence:
        m = ev.m
        if len(m) == 0:
            continue
        n = ev.ngram
        if opts.method in ("coverage", "skip_coverage"):
            lengths = _own_lengths(ev, n)
        elif opts.method == "ngram":
            keep = np.ones(len(m), bool) if ev.template is None else ~ev.template
            lengths = np.where(keep, n, np.iinfo(np.int64).max)
        elif opts.method == "longest":
            base = input_words or ev.prep.n_words
            lengths = np.full(len(m), max(1, math.ceil(opts.verdict_threshold * base)), np.int64)
        else:  # 13gram
            lengths = np.full(len(m), ev.gpt3_ngram, np.int64)
        for w in np.flatnonzero(m >= lengths).tolist():
            words = int(lengths[w])
            out.append(Window(ev, w, words, *_token_span(ev, w, words)))
    return out
