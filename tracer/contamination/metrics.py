"""Per-part contamination metrics from the longest corpus match at every word.

Input: ``m[w]``, the number of whole words of the part that the longest corpus match starting
at word w covers (see ``words.py`` for the unit), and ``n`` = the effective span length:
``min(--ngram, words of the item's longest part)``. So an item shorter than n words is judged
by the explicit rule "it must occur whole" (never silently clean), and a label shorter than
n words (an MMLU option, ``#### 18``) is only covered as part of a longer match.

- coverage (Llama 2, in words): share of words inside some corpus match of >= n words;
  ``token_coverage`` is the same share counted in index tokens;
- skip_coverage (Llama 2 skip budget): spans that start with a >= n-word match (no mismatch
  in their first n words) and continue across up to ``skip_budget`` mismatched words in all
  into further >= n-word matches, never ending on a mismatch (continuations as long as the
  first match: shorter ones, 4 words of code or arithmetic, occur everywhere);
- ngram_fraction (PaLM): share of the part's word n-grams that occur in the corpus;
- longest_match (ConTAM): the longest matched run of words, also as a share of the part;
- any_13gram (GPT-3): some run of min(13, item length) words occurs;
- longest_match_count: how often the longest match occurs in the corpus;
- content_words / matched_content_words: the item's own words (template text left out) that can
  be evidence (``words.content_mask``: not option labels, short numbers or punctuation), and
  those of them inside matched spans (a word a skip span bridges counts only beside matches that
  hold more than single digits and punctuation: ``matched_evidence``). An item whose matched own
  words are all option labels and short numbers is not contaminated on that alone (verdict.py:
  "not enough evidence").

Template words: text shared by several items of one benchmark (an MMLU subject's fixed
question stem and options, a passage several questions refer to, a prompt header) says
nothing about whether one particular item leaked. Words inside a word n-gram that occurs in
>= ``template_items`` items of the same benchmark in the same check (default 2) are left out
of coverage, skip_coverage and ngram_fraction (numerator and denominator) and counted in
``template_words``; if every word is template text, nothing is left out. A corpus match then
counts for coverage only if it holds at least min(n, non-template words) of the item's own
words: a match of template text plus a word or two at its edge proves nothing about the item
(MMLU moral scenarios are pairs of scenarios that recur across items; only a match across
the pair's junction shows that this item, not its neighbours, is in the corpus).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class PartMetrics:
    """Metrics of one part (input, label) or of both parts together."""

    words: int
    tokens: int
    ngram: int
    template_words: int
    covered_words: int  # covered words outside template text
    covered_tokens: int
    skip_words: int
    ngram_hits: int
    ngram_slots: int
    longest_match: int
    longest_match_count: int = 0
    any_13gram: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)  # raw char ranges of covered text
    text: str | None = None
    longest_match_text: str = ""
    content_words: int = 0  # own (non-template) words that can be evidence (see words.content_mask)
    matched_content_words: int = 0  # of them, inside covered or skip-budget spans

    @property
    def scored_words(self) -> int:
        return self.words - self.template_words

    @property
    def coverage(self) -> float:
        return self.covered_words / self.scored_words if self.scored_words else 0.0

    @property
    def token_coverage(self) -> float:
        return self.covered_tokens / self.tokens if self.tokens else 0.0

    @property
    def skip_coverage(self) -> float:
        return self.skip_words / self.scored_words if self.scored_words else 0.0

    @property
    def ngram_fraction(self) -> float:
        return self.ngram_hits / self.ngram_slots if self.ngram_slots else 0.0

    @property
    def longest_match_fraction(self) -> float:
        return self.longest_match / self.words if self.words else 0.0

    def to_json(self) -> dict:
        d = {
            "words": self.words, "tokens": self.tokens, "ngram": self.ngram, "template_words": self.template_words,
            "coverage": round(self.coverage, 4), "token_coverage": round(self.token_coverage, 4),
            "skip_coverage": round(self.skip_coverage, 4), "ngram_fraction": round(self.ngram_fraction, 4),
            "longest_match": self.longest_match, "longest_match_fraction": round(self.longest_match_fraction, 4),
            "longest_match_count": self.longest_match_count, "longest_match_text": self.longest_match_text,
            "any_13gram": self.any_13gram, "content_words": self.content_words,
            "matched_content_words": self.matched_content_words,
        }
        if self.text is not None:
            d["text"] = self.text
            d["spans"] = [list(s) for s in self.spans]
        return d


def word_matches(word_tok: np.ndarray, word_ends: np.ndarray, tok_ends: np.ndarray, tok_lengths: np.ndarray) -> np.ndarray:
    """m[w]: whole words covered by the corpus match of tok_lengths[word_tok[w]] tokens from word w."""
    w = len(word_tok)
    if w == 0:
        return np.zeros(0, np.int64)
    length = tok_lengths[word_tok]
    last = np.maximum(word_tok + length - 1, 0)
    end_char = np.where(length > 0, tok_ends[last], -1)
    reach = np.searchsorted(word_ends, end_char, side="right")
    return np.maximum(reach - np.arange(w), 0).astype(np.int64)


def covered_mask(m: np.ndarray, k: int, keep: np.ndarray | None = None) -> np.ndarray:
    """Words inside the union of intervals [w, w + m[w]) with m[w] >= k.

    With ``keep`` (the words outside template text), an interval counts only if it holds at
    least min(k, number of kept words) kept words: evidence must be the item's own text.
    """
    if len(m) == 0:
        return np.zeros(0, bool)
    idx = np.arange(len(m))
    ok = m >= k
    if keep is not None and not keep.all():
        csum = np.concatenate(([0], np.cumsum(keep)))
        own = csum[np.minimum(idx + m, len(m))] - csum[idx]
        ok &= own >= min(k, int(keep.sum()))
    ends = np.where(ok, idx + m, 0)
    return idx < np.maximum.accumulate(ends)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs [start, end) of True."""
    if not mask.any():
        return []
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    d = np.diff(padded)
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def skip_mask(m: np.ndarray, n: int, budget: int, keep: np.ndarray | None = None) -> np.ndarray:
    """Words inside skip-budget spans (rule in the module docstring)."""
    covered = covered_mask(m, n, keep)
    out = covered.copy()
    if not covered.any() or budget <= 0:
        return out
    loose = runs(covered)
    j = 0
    while j < len(loose):
        start, end = loose[j]
        if not covered[start:end].any():
            j += 1
            continue
        left = budget
        j += 1
        while j < len(loose) and loose[j][0] - end <= left:
            left -= loose[j][0] - end
            end = loose[j][1]
            j += 1
        out[start:end] = True
    return out


def template_mask(ngram_hashes: list[int], n: int, words: int, template: set[int]) -> np.ndarray:
    """Words inside an n-gram (hash at its first word) that belongs to the benchmark's template set."""
    mask = np.zeros(words, bool)
    if template:
        for i, h in enumerate(ngram_hashes):
            if h in template:
                mask[i : i + n] = True
    if mask.all():
        mask[:] = False
    return mask


def part_metrics(
    m: np.ndarray, n: int, gpt3_n: int, budget: int, n_tokens: int, word_tok: np.ndarray, tok_count: int,
    template: np.ndarray | None = None, content: np.ndarray | None = None,
    short_numbers: np.ndarray | None = None,
) -> tuple[PartMetrics, np.ndarray]:
    """Metrics of one part from its word matches; also returns the covered-word mask.

    ``content``: the words that can be evidence (``words.content_mask``; None: all of them).
    ``short_numbers``: numbers of 2-3 digits (``words.short_number_mask``), which make the matches
    beside a bridged word specific enough for it to count (``matched_evidence``).
    """
    w = len(m)
    keep = ~template if template is not None else np.ones(w, bool)
    strong = keep if content is None else keep & content
    covered = covered_mask(m, n, keep)
    skipped = skip_mask(m, n, budget, keep)
    covered_tokens = 0
    if covered.any():
        tok_covered = np.zeros(tok_count + 1, np.int64)
        for a, b in runs(covered):
            first = word_tok[a]
            after = word_tok[b] if b < w else tok_count
            tok_covered[first] += 1
            tok_covered[after] -= 1
        covered_tokens = int((np.cumsum(tok_covered[:-1]) > 0).sum())
    slots = max(0, w - n + 1)
    longest = int(m.max()) if w else 0
    starts_kept = keep[:slots]  # an n-gram is template text if its first word is
    pm = PartMetrics(
        words=w, tokens=n_tokens, ngram=n, template_words=int(w - keep.sum()),
        covered_words=int((covered & keep).sum()), covered_tokens=covered_tokens,
        skip_words=int((skipped & keep).sum()),
        ngram_hits=int(((m[:slots] >= n) & starts_kept).sum()), ngram_slots=int(starts_kept.sum()),
        longest_match=longest, any_13gram=bool(w and longest >= gpt3_n),
        content_words=int(strong.sum()),
        matched_content_words=matched_evidence(covered, skipped, strong, short_numbers),
    )
    return pm, covered


def matched_evidence(covered: np.ndarray, skipped: np.ndarray, strong: np.ndarray,
                     short_numbers: np.ndarray | None) -> int:
    """Content words inside matched spans. A word a skip span bridges (not itself found) counts only
    when the matches around it hold something specific, a content word or a number of 2 or 3 digits:
    runs of single digits and punctuation ("(1, 2), (1, 3)") occur in any code, and a gap word
    between them ("Let") was never found in the corpus."""
    found = covered & strong
    if found.any() or (short_numbers is not None and (covered & short_numbers).any()):
        return int(((covered | skipped) & strong).sum())
    return int(found.sum())


def combine(parts: list[PartMetrics]) -> PartMetrics:
    """Metrics of several parts taken together (the ``both`` part): sums of words, max of matches."""
    best = max(parts, key=lambda p: p.longest_match) if parts else None
    return PartMetrics(
        words=sum(p.words for p in parts), tokens=sum(p.tokens for p in parts),
        ngram=max((p.ngram for p in parts), default=0), template_words=sum(p.template_words for p in parts),
        covered_words=sum(p.covered_words for p in parts), covered_tokens=sum(p.covered_tokens for p in parts),
        skip_words=sum(p.skip_words for p in parts), ngram_hits=sum(p.ngram_hits for p in parts),
        ngram_slots=sum(p.ngram_slots for p in parts), longest_match=best.longest_match if best else 0,
        longest_match_count=best.longest_match_count if best else 0,
        any_13gram=any(p.any_13gram for p in parts), longest_match_text=best.longest_match_text if best else "",
        content_words=sum(p.content_words for p in parts),
        matched_content_words=sum(p.matched_content_words for p in parts),
    )
