"""A number word aligned with short digits is no soft evidence (tracer.contamination.check).

Soft search aligns "three" with "3" (GSM8K rephrasings write numbers either way), so it also
aligns the 3 of a register "R3". A short number in digits is no evidence that an item leaked, on
either side of an aligned pair ("two" aligned with "twice" is a word of both texts, and counts):
an MMLU question about a "three-state buffer" must not be found in a kernel document that lists
register R3 next to a "Guest State Buffer" heading. The corpus is written here (Python sources
with planted passages); the oracle is which document holds the rephrasing, and the counts are
computed by hand.
"""

from __future__ import annotations

import pytest
from planted import assert_no_soft_copy, assert_soft_copy, planted_index

from tracer.contamination import BenchItem, CheckOptions
from tracer.contamination.check import SOFT_WEAK, aligned_content, is_evidence_pair, own_aligned
from tracer.contamination.soft import soft_verdicts
from tracer.query.soft import SoftMatch

REGISTERS = "Output:\n    R3: Return code\n\nGuest State Buffer\n==================\n"
REPHRASED = "What output states does a buffer with three states have?"
BUFFER = BenchItem("buffer", "mmlu", "test", "A three-state buffer has the following output states\n"
                   "1, 0, float\nHigh, Low, Float\nBoth A and B\nSet, Reset, Halt", "Both A and B")


def _match(passage: str, aligned: list[list[str]]) -> SoftMatch:
    return SoftMatch(0.6, 0, "d", 0, len(passage), passage, aligned)


def test_number_words_by_hand():
    assert not is_evidence_pair("three", "3") and not is_evidence_pair("3", "three")
    assert is_evidence_pair("twice", "two") and is_evidence_pair("three", "three")
    assert is_evidence_pair("thousand", "1000")  # four digits: evidence, as "1000" itself is
    assert not is_evidence_pair("28", "28") and not is_evidence_pair("x", "x")
    own = frozenset({"three", "state", "buffer", "output", "following"})
    aligned = [["output", "Output"], ["three", "3"], ["state", "State"], ["buffer", "Buffer"]]
    # output + "State Buffer" (one name); "three" aligns only the 3 of R3
    assert own_aligned(_match("Output:\n    R3: Return code\n\nGuest State Buffer", aligned), own) == 2
    assert aligned_content(_match("Output R3 State Buffer", aligned)) == 3
    worded = [["output", "output"], ["three", "three"], ["state", "states"], ["buffer", "buffer"]]
    assert own_aligned(_match("output states does a buffer with three", worded), own) == 4


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    d = tmp_path_factory.mktemp("numwords")
    return planted_index(d / "registers", {1: REGISTERS}), planted_index(d / "rephrased", {3: REPHRASED})


def test_a_register_number_is_not_evidence(indexes):
    index, _ = indexes
    cutoff = CheckOptions().soft_cutoff
    best = soft_verdicts(index, [BUFFER], cutoff)[0].match
    # the passage scores above the threshold, aligning "three" with the 3 of R3
    assert best is not None and best.doc_id == "d1" and best.score >= cutoff
    assert ["three", "3"] in best.aligned
    assert assert_no_soft_copy(index, BUFFER).soft_note == SOFT_WEAK


def test_a_rephrased_question_is_still_found(indexes):
    _, index = indexes
    assert_soft_copy(index, BUFFER, "d3", REPHRASED)
