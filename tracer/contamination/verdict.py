"""Verdicts: Llama 2 categories, the ``contaminated`` flag, and summaries per benchmark and split.

Category (Llama 2: its skip-budget coverage against thresholds 20% / 80%): ``clean`` below
20%, ``not_clean`` from 20% to below 80%, ``dirty`` from 80%. Summaries give the four Llama 2
subsets: clean, not clean (>= 20%), not dirty (< 80%) and dirty.

``contaminated`` (default method ``skip_coverage``, threshold 0.4, part ``any``): at least
40% of the item's own words (template text left out) lie in Llama 2 skip-budget spans that
start with a corpus match of >= n words (n = ``--ngram``, default 8 words), in the input or
in input and label together. 40% rather than Llama 2's 20% keeps unrelated items that share
a phrase, a code idiom or some arithmetic with a leaked item clean, and still catches an
item whose first half leaked. Chosen on the labelled evaluation
(benchmarks/contamination_eval.py, seed 0; seed 1 held out, see benchmarks/RESULTS.md): the
lowest threshold with no false positive among 2,085 hard negatives. Other methods: ``coverage`` (no skip
budget), ``ngram`` (PaLM: >= 70% of n-grams), ``longest`` (ConTAM: the longest match covers
>= the threshold share of the item), ``13gram`` (GPT-3: any 13-gram).

Not enough evidence (``evidence_note``): an item is never contaminated on option labels, short
numbers and punctuation alone. If none of its own words (template text left out) is a content
word (``words.content_mask``), it is too short to judge under any method; under the coverage
methods, a match whose own words are all such words does not count either. An MMLU item whose
question is template text shared with other items of its subject keeps only its options
(``0 4 2 6``), and another item with the same options in the corpus would otherwise cover it
whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tracer.contamination.metrics import PartMetrics
from tracer.contamination.options import CheckOptions


def category(coverage: float, opts: CheckOptions) -> str:
    if coverage >= opts.dirty_from:
        return "dirty"
    if coverage >= opts.clean_below:
        return "not_clean"
    return "clean"


def method_value(pm: PartMetrics, method: str) -> float:
    """The number the method compares with its threshold."""
    if method == "coverage":
        return pm.coverage
    if method == "skip_coverage":
        return pm.skip_coverage
    if method == "ngram":
        return pm.ngram_fraction
    if method == "longest":
        return pm.longest_match_fraction
    if method == "13gram":
        return 1.0 if pm.any_13gram else 0.0
    raise ValueError(method)


TOO_SHORT = ("too short to judge: after template text only option labels, short numbers and punctuation "
             "remain")
WEAK_MATCH = ("not enough evidence: the matched words of the item are only option labels, short numbers and "
              "punctuation")


def evidence_note(pm: PartMetrics, opts: CheckOptions) -> str:
    """Why the part cannot make the item contaminated ("" when it can): see the module docstring."""
    if pm.words and pm.content_words == 0:
        return TOO_SHORT
    if opts.method in ("coverage", "skip_coverage", "ngram") and pm.matched_content_words == 0 and (
            pm.covered_words or pm.skip_words):
        return WEAK_MATCH
    return ""


def is_contaminated(pm: PartMetrics, opts: CheckOptions) -> bool:
    if pm.words == 0 or evidence_note(pm, opts):
        return False
    return method_value(pm, opts.method) >= opts.verdict_threshold


def verdict_part(parts: dict[str, PartMetrics], opts: CheckOptions) -> str:
    """The part the verdict reads: the named one, or under ``any`` the higher of input and both.

    A label alone is not read by default: labels are short and formulaic (an MMLU option,
    arithmetic, a common code idiom), so unrelated items share them.
    """
    if opts.part != "any":
        return opts.part if opts.part in parts else "both"
    order = [k for k in ("both", "input") if k in parts and parts[k].words]
    return max(order, key=lambda k: method_value(parts[k], opts.method)) if order else "both"


def judge(parts: dict[str, PartMetrics], opts: CheckOptions) -> tuple[bool, str, str]:
    """(contaminated, category, part read) of an item's part metrics under ``opts``."""
    part = verdict_part(parts, opts)
    if opts.part == "any" and evidence_note(parts[part], opts):  # the other part may still have evidence
        part = max((k for k in ("both", "input") if k in parts and parts[k].words),
                   key=lambda k: (not evidence_note(parts[k], opts), method_value(parts[k], opts.method)))
    pm = parts[part]
    return is_contaminated(pm, opts), category(pm.skip_coverage, opts), part


def summarize(results: Iterable[Any], opts: CheckOptions | None = None) -> list[dict]:
    """One row per (benchmark, split) of ItemResults: see ``summarize_dicts``."""
    return summarize_dicts([r.to_json() for r in results])


def summarize_dicts(items: list[dict]) -> list[dict]:
    """One row per (benchmark, split) of item JSON dicts: items, contaminated share, Llama 2 subsets, means."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for it in items:
        groups[(str(it["benchmark"]), str(it["split"]))].append(it)
    rows = []
    for (bench, split), rs in groups.items():
        n = len(rs)
        cats = [r["category"] for r in rs]
        bad = sum(bool(r["contaminated"]) for r in rs)

        def pct(k: int, n: int = n) -> float:
            return round(100.0 * k / n, 2) if n else 0.0

        rows.append({
            "benchmark": bench, "split": split, "items": n, "contaminated": bad, "contaminated_pct": pct(bad),
            "clean_pct": pct(cats.count("clean")), "not_clean_pct": pct(n - cats.count("clean")),
            "not_dirty_pct": pct(n - cats.count("dirty")), "dirty_pct": pct(cats.count("dirty")),
            "mean_coverage": round(sum(r["coverage"] for r in rs) / n, 4),
            "mean_skip_coverage": round(sum(r.get("skip_coverage", r["coverage"]) for r in rs) / n, 4),
            "mean_longest_match_fraction": round(sum(r.get("longest_match_fraction", 0.0) for r in rs) / n, 4),
            "short_items": sum(bool(r.get("short")) for r in rs),
            "not_enough_evidence": sum(bool(r.get("not_enough_evidence")) for r in rs),
            # the tiers (match: exact / normalized / soft); soft counts only when the soft tier ran
            "exact_contaminated": sum(r.get("match") in ("exact", "normalized") for r in rs),
            "soft_contaminated": sum(r.get("match") == "soft" for r in rs),
            "soft_pct": pct(sum(r.get("match") == "soft" for r in rs)),
            "soft_checked": any("soft" in r for r in rs),
        })
    return rows


def contaminated_share(results: list[Any]) -> float:
    """Percentage of contaminated items over all results (what --fail-above compares)."""
    return 100.0 * sum(r.contaminated for r in results) / len(results) if results else 0.0
