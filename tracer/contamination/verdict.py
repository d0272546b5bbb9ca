"""Verdicts: Llama 2 categories, the ``contaminated`` flag, and summaries per benchmark and split.

Category (Llama 2 thresholds on coverage, default 20% / 80%): ``clean`` below 20%,
``not_clean`` from 20% to below 80%, ``dirty`` from 80%. Summaries give the four Llama 2
subsets: clean, not clean (>= 20%), not dirty (< 80%) and dirty.

``contaminated`` (default method ``coverage``, threshold 0.5, part ``both``): at least half
of the item's words lie in corpus matches of >= n words (n = ``--ngram``, default 8 words).
Half rather than Llama 2's 20% because unrelated items of one benchmark legitimately share
8-word phrases and arithmetic ("How many ... does she have left?", ``= <<2*3=6>>6``); the
ground-truth evaluation in benchmarks/contamination_eval.py measures both choices. Other
methods: ``skip_coverage``, ``ngram`` (PaLM: >= 70% of n-grams), ``longest`` (ConTAM: the
longest match covers >= the threshold share of the item), ``13gram`` (GPT-3: any 13-gram).
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


def is_contaminated(pm: PartMetrics, opts: CheckOptions) -> bool:
    if pm.words == 0:
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
    pm = parts[part]
    return is_contaminated(pm, opts), category(pm.coverage, opts), part


def summarize(results: Iterable[Any], opts: CheckOptions) -> list[dict]:
    """One row per (benchmark, split): items, contaminated share, Llama 2 subsets, mean metrics."""
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in results:
        groups[(r.item.benchmark, r.item.split)].append(r)
    rows = []
    for (bench, split), rs in groups.items():
        n = len(rs)
        cov = [r.verdict_part.coverage for r in rs]
        cats = [r.category for r in rs]

        def pct(k: int, n: int = n) -> float:
            return round(100.0 * k / n, 2) if n else 0.0

        rows.append({
            "benchmark": bench, "split": split, "items": n,
            "contaminated": sum(r.contaminated for r in rs),
            "contaminated_pct": pct(sum(r.contaminated for r in rs)),
            "clean_pct": pct(cats.count("clean")),
            "not_clean_pct": pct(n - cats.count("clean")),
            "not_dirty_pct": pct(n - cats.count("dirty")),
            "dirty_pct": pct(cats.count("dirty")),
            "mean_coverage": round(sum(cov) / n, 4) if n else 0.0,
            "mean_longest_match_fraction": round(sum(r.verdict_part.longest_match_fraction for r in rs) / n, 4),
            "any_13gram_pct": pct(sum(r.verdict_part.any_13gram for r in rs)),
            "short_items": sum(r.short for r in rs),
        })
    return rows


def contaminated_share(results: list[Any]) -> float:
    """Percentage of contaminated items over all results (what --fail-above compares)."""
    return 100.0 * sum(r.contaminated for r in results) / len(results) if results else 0.0
