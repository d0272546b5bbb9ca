"""A name of several words is one piece of soft evidence (tracer.contamination.check.own_aligned).

A question about a pope, a protocol or a chip names it, and any text that names it aligns the
name's words: "Pope John Paul II" in a corpus passage is one thing the passage mentions, not four
words of the item that came together. The soft tier needs 3 pieces of the item's own evidence, so
a passage holding only the name and one more word is not a copy, while a rephrasing of the
question is. The corpus is written here (Python sources with planted sentences); the oracle is
which document holds the rephrasing, and the counts are computed by hand.
"""

from __future__ import annotations

import pytest
from planted import assert_no_soft_copy, assert_soft_copy, planted_index

from tracer.contamination import BenchItem, CheckOptions
from tracer.contamination.check import OWN_WORDS, SOFT_WEAK, name_runs, own_aligned
from tracer.contamination.soft import soft_verdicts
from tracer.query.soft import SoftMatch

NAME_ONLY = "In 1978 the cardinals elected Pope John Paul II; his reign lasted until 2005."
REPHRASED = "Who was the Pope immediately preceding John Paul II?"
POPE = BenchItem("pope", "mmlu", "test",
                 "Which Pope immediately preceded John Paul II?\nJohn XXIII\nPaul VI\nJohn Paul I\nHank II", "John Paul I")


def _match(passage: str, aligned: list[list[str]]) -> SoftMatch:
    return SoftMatch(0.6, 0, "d", 0, len(passage), passage, aligned)


def test_pieces_of_evidence_by_hand():
    pope = [["Pope", "pope"], ["John", "John"], ["Paul", "Paul"], ["II", "II"]]
    own = frozenset({"pope", "immediately", "preceded", "john", "paul", "ii"})
    assert own_aligned(_match("pope'], 'John Paul II", pope), own) == 2  # pope + the name
    assert own_aligned(_match("Pope John Paul II", [["Pope", "Pope"], *pope[1:]]), own) == 1
    ftp = [["file", "File"], ["transfer", "Transfer"], ["protocol", "Protocol"], ["FTP", "FTP"]]
    assert own_aligned(_match("File Transfer Protocol (FTP", ftp),
                       frozenset({"file", "transfer", "protocol", "ftp"})) == 2  # "(" ends the name
    # lower-case words, and capitalized ones not one space apart, each count
    lower = [[a, p.lower() if p != "FTP" else p] for a, p in ftp]
    assert own_aligned(_match("file transfer protocol (FTP", lower),
                       frozenset({"file", "transfer", "protocol", "ftp"})) == 4
    smith = [["Smith", "Smith"], ["Tomlinson", "Tomlinson"], ["argued", "contended"]]
    assert own_aligned(_match("Smith & Tomlinson contended that", smith),
                       frozenset({"smith", "tomlinson", "argued"})) == 3
    assert own_aligned(_match("Smith  Tomlinson contended", smith), frozenset({"smith", "tomlinson", "argued"})) == 3
    # an item word met again (the name, then its surname alone) adds nothing; words not the item's own count not
    mead = [["Margaret", "Margaret"], ["Mead", "Mead"], ["suggested", "proposed"]]
    assert own_aligned(_match("Margaret Mead proposed what Mead", mead),
                       frozenset({"margaret", "mead", "suggested"})) == 2
    assert own_aligned(_match("Margaret Mead proposed", mead), frozenset({"suggested"})) == 1
    runs = name_runs("the Guest State Buffer of R3", ["Guest", "State", "Buffer", "of"])
    assert runs == [["Guest", "State", "Buffer"], ["of"]]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    d = tmp_path_factory.mktemp("names")
    return planted_index(d / "name", {1: NAME_ONLY}), planted_index(d / "both", {1: NAME_ONLY, 3: REPHRASED})


def test_a_passage_naming_the_subject_is_not_a_copy(indexes):
    index, _ = indexes
    cutoff = CheckOptions().soft_cutoff
    best = soft_verdicts(index, [POPE], cutoff)[0].match
    # the passage scores above the threshold: counted word by word it would make the item contaminated
    assert best is not None and best.doc_id == "d1" and best.score >= cutoff
    assert len(best.aligned) >= OWN_WORDS
    assert assert_no_soft_copy(index, POPE).soft_note == SOFT_WEAK


def test_a_rephrased_question_naming_it_is_found(indexes):
    _, index = indexes
    assert_soft_copy(index, POPE, "d3", REPHRASED)
