"""The soft tier of a contamination check: items the exact tiers call clean, searched softly.

After the exact (raw index) or normalized (normalized index) tier has judged a batch, every item
it did not call contaminated is looked up with ``Index.find_similar_many`` (one call per batch,
so the items share word counts and positions; see tracer.query.soft). The query is the item's
input (the question, the prompt), or input and label when the input alone is too short; for a
multiple-choice item (a question and 4 option lines, the label one of them) the question and its
correct option: a paraphrase restates the question and answer, and the 3 wrong options would
weigh as words the passage lacks (on the development data of benchmarks/scripts/soft_eval.py the
pair-test F1 of MMLU sociology at score 0.5 is 0.58 this way and 0.12 with all options). A best match scoring at least ``CheckOptions.soft_cutoff``
makes the item contaminated with ``match = "soft"``; an exact verdict is never changed, and an
item already contaminated exactly is not searched.

An item with too few content words for a soft match to mean anything (empty, only stopwords,
option labels and numbers) gets the explicit note ``soft: too short to judge``; one longer than
soft search takes gets ``soft: too long``; neither stops the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tracer.contamination.inputs import BenchItem
from tracer.errors import InputError
from tracer.index.reader import IndexReader
from tracer.query.options import SoftOptions
from tracer.query.soft import SoftMatch, TooShortError, find_similar_many
from tracer.query.soft.query import NO_BENCHMARK, BenchmarkText, check_text

SOFT_TOO_SHORT = "soft: too short to judge (fewer than 3 content words that are not stopwords)"


@dataclass
class SoftVerdict:
    """The soft tier's answer for one item: its best passages (best first; ``match`` is the first)
    and why it was not searched."""

    matches: list[SoftMatch] = field(default_factory=list)
    note: str = ""

    @property
    def match(self) -> SoftMatch | None:
        return self.matches[0] if self.matches else None


def multiple_choice(item: BenchItem) -> tuple[str, str] | None:
    """(question, answer) of an item that is a question and its 4 options with the answer among
    them (MMLU's layout); None for any other item."""
    lines = item.input.split("\n")
    if item.label and len(lines) >= 5 and item.label in lines[-4:]:
        return "\n".join(lines[:-4]), item.label
    return None


def soft_query_text(item: BenchItem) -> str:
    """What the soft tier searches for an item (see the module docstring)."""
    mc = multiple_choice(item)
    if mc is not None:
        return "\n".join(mc)
    text = item.input
    if item.label and _note(text) == SOFT_TOO_SHORT:
        text = f"{item.input}\n{item.label}" if item.input else item.label
    return text


def _note(text: str) -> str:
    try:
        check_text(text)
    except TooShortError:
        return SOFT_TOO_SHORT
    except InputError as e:
        return f"soft: {e}"
    return ""


def soft_options(threshold: float, floor: float | None = None, model: str | None = None) -> SoftOptions:
    """The search options of the tier: its threshold (or a lower ``floor`` to see near misses) and
    the sentence model that re-scores its passages, if any."""
    return SoftOptions(threshold=threshold if floor is None else min(floor, threshold), model=model)


def benchmark_text(items: Iterable[BenchItem]) -> BenchmarkText:
    """What the soft queries of ``items`` share (all items of the benchmarks checked, so that a
    batch's result does not depend on which siblings it holds): word runs several of them hold,
    searched as template so that an item sharing a source passage with a copied sibling is not
    matched on it, and how many items hold each word (tracer.query.soft.query.BenchmarkText)."""
    from tracer.contamination.attribution import SiblingPool

    return BenchmarkText.of(SiblingPool(items, soft_query_text).texts())


def soft_verdicts(index: IndexReader, items: Sequence[BenchItem], threshold: float,
                  floor: float | None = None,
                  benchmark: BenchmarkText = NO_BENCHMARK, model: str | None = None,
                  depth: int = 1) -> list[SoftVerdict]:
    """The ``depth`` best soft matches per item (score >= threshold, or >= ``floor`` when given),
    one batched search; ``benchmark``: what the items of their benchmarks share (``benchmark_text``);
    ``model``: a sentence model directory that re-scores the passages (tracer.query.soft.model)."""
    out = [SoftVerdict() for _ in items]
    texts, where = [], []
    for k, item in enumerate(items):
        text = soft_query_text(item)
        note = _note(text)
        if note:
            out[k].note = note
            continue
        texts.append(text)
        where.append(k)
    if texts:
        found = find_similar_many(index, texts, depth, soft_options(threshold, floor, model), benchmark=benchmark)
        for k, matches in zip(where, found, strict=True):
            out[k].matches = matches
    return out
