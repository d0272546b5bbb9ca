"""A match of a multiple-choice question must ask it or give its answer
(tracer.contamination.check.off_question, tracer.query.soft.search.sentence_asks).

A statement that names the question's subject ("The Quillfeather tabular formatter renders
argparse help text.") aligns the question's rare words as well as a rephrased copy does; what
it lacks is the question: it neither asks anything nor states the answer. The corpus is argparse
and five more standard-library modules (tests/planted.py) with one such passage planted; the
oracles are which document holds which planted text, and clauses read by hand.
"""

from __future__ import annotations

import pytest
from planted import assert_no_soft_copy, assert_soft_copy, planted_index

from tracer.contamination import BenchItem, CheckOptions
from tracer.contamination.check import OWN_WORDS, common_phrase, off_question, own_aligned
from tracer.contamination.soft import multiple_choice, soft_verdicts
from tracer.query.soft.search import SoftMatch, asks, sentence_asks
from tracer.query.soft.words import words

ANSWER = "It pads every column to the widest cell"
ITEM = BenchItem("q", "mmlu", "test", "Which of the following is true about the Quillfeather tabular formatter of argparse?\n"
                 f"It prints nothing\n{ANSWER}\nIt sorts the options\nIt needs a terminal", ANSWER)
STATEMENT = "The Quillfeather tabular formatter renders argparse help text."
ANSWERED = "The Quillfeather tabular formatter of argparse pads every column to the widest cell."
ASKED = "What holds for the tabular formatter of argparse called Quillfeather"


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    d = tmp_path_factory.mktemp("question")
    return {name: planted_index(d / name, {3: text})
            for name, text in (("statement", STATEMENT), ("answered", ANSWERED), ("asked", ASKED))}


def test_a_statement_on_the_subject_is_no_copy(indexes):
    index = indexes["statement"]
    cutoff = CheckOptions().soft_cutoff
    best = soft_verdicts(index, [ITEM], cutoff)[0].match
    # by every other rule the planted statement would make the item contaminated
    assert best is not None and best.doc_id == "d3" and best.passage in STATEMENT and best.score >= cutoff
    own = frozenset({"quillfeather", "tabular", "formatter", "argparse"})
    assert own_aligned(best, own) >= OWN_WORDS and not common_phrase(best)
    assert best.asks is False and off_question(best, ITEM)
    r = assert_no_soft_copy(index, ITEM)
    assert "statement on the question's subject" in r.soft_note and "'d3'" in r.soft_note


def test_a_statement_of_the_answer_is_a_copy(indexes):
    r = assert_soft_copy(indexes["answered"], ITEM, "d3", ANSWERED)
    assert r.soft.asks is False  # it does not ask: the answer's words make it a copy
    assert any(item_word.casefold() in {"pads", "column", "widest", "cell"} for item_word, _ in r.soft.aligned)


def test_a_rephrased_question_is_a_copy(indexes):
    r = assert_soft_copy(indexes["asked"], ITEM, "d3", ASKED)
    assert r.soft.asks is True


@pytest.mark.parametrize(("text", "expected"), [
    ("The middle classes that emerged in the 1800s were:", True),  # a stem ending in a colon
    ("Which of the following best describes the formatter", True),  # a question word opening a clause
    ("It wraps text. How wide is a column", True),
    ("Describe how the formatter wraps text", False),  # inside a clause: no question
    ("The planets Mercury and Venus, which are nearer to the sun", False),  # a relative "which"
    ("Is this the formatter", False),  # no question mark, no question word: read as a statement
    ("Is this the formatter?", True),
    ("Sizes used by the formatter: 4 and 8", True),  # a stem and its completion
    ("allocation_policy:WriteAllocate", False),  # a colon inside a token is no stem
    ("Sorting time is O(n log n) both on average and worst-case", False),
])
def test_asks(text, expected):
    assert asks(text) is expected


def test_sentence_asks_reads_the_clause_of_the_passage():
    text = "Which one is it? Sorting time is O(n log n) on average. Where does it go?"
    a = text.index("Sorting")
    assert not sentence_asks(text, a, a + len("Sorting time"))  # the questions around it are other clauses
    text = "Note that the buffer sizes in use were: 4 and 8."
    a = text.index("buffer")
    assert sentence_asks(text, a, a + len("buffer sizes"))  # "... in use were:" ends the clause with a colon
    text = "Frank asserted that societies labelled underdeveloped were:  at the lab we test. Nothing more."
    a = text.index("societies")
    assert sentence_asks(text, a, text.index(" we test"))  # an inline copy: the stem's colon inside the passage
    assert not sentence_asks(text, text.index("Nothing"), len(text) - 1)
    text = "It is late. Which of the following formats help text best"
    a = text.index("formats")
    assert sentence_asks(text, a, len(text))  # the clause opens with a question word


def test_only_multiple_choice_questions_are_judged():
    statement = SoftMatch(0.9, 0, "d", 0, 9, "Quillfeather tabular formatter", [["Quillfeather", "Quillfeather"]],
                          asks=False)
    assert off_question(statement, ITEM)
    open_ended = BenchItem("o", "x", "test", "Which of the following is true about the Quillfeather formatter?", "")
    assert multiple_choice(open_ended) is None and not off_question(statement, open_ended)
    to_complete = BenchItem("c", "mmlu", "test", f"The Quillfeather tabular formatter\n{ANSWER}\nb\nc\nd", ANSWER)
    assert not off_question(statement, to_complete)  # a sentence to complete does not ask
    # the span stops before the answer, which its sentence goes on to state
    answered = SoftMatch(0.9, 0, "d", 0, 9, "Quillfeather tabular formatter", [["Quillfeather", "Quillfeather"]],
                         asks=False, around=frozenset(w.key for w in words("the formatter pads each column")))
    assert not off_question(answered, ITEM)
    unseen = SoftMatch(0.9, 0, "d", 0, 9, "Quillfeather tabular formatter", [["Quillfeather", "Quillfeather"]])
    assert unseen.asks is None and not off_question(unseen, ITEM)  # from the wire: not judged
