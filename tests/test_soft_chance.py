"""A short soft match of words so frequent that chance explains it is no evidence
(tracer.query.soft.search.log_chance, tracer.contamination.check.common_phrase).

The corpus is argparse and five more standard-library modules (tests/planted.py): "help",
"message", "argument" and "format" are everywhere in it, so a passage holding all four says
nothing about a question that asks when a help message is formatted. The oracles: corpus counts by
``str.count`` over the documents, the chance worked out by hand, and which document holds a
planted rephrasing.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from planted import assert_no_soft_copy, assert_soft_copy, module_texts, planted_index

from tracer.contamination import BenchItem, CheckOptions
from tracer.contamination.check import aligned_content, by_chance, common_phrase
from tracer.contamination.soft import soft_verdicts
from tracer.query.soft.query import WordStats, check_text, soft_query
from tracer.query.soft.search import SoftMatch, log_chance
from tracer.query.soft.words import retrieval_forms

HELP = BenchItem("help", "mmlu", "test", "When is the help message of an argument formatted?\n"
                 "Always\nNever\nOn error\nOn request", "On request")
RARE = BenchItem("rare", "mmlu", "test", "When does the Quillfeather formatter wrap the help message of an argument?\n"
                 "Always\nNever\nOn error\nOn request", "On request")
REPHRASED = "The help message of an argument: when is it wrapped by the Quillfeather formatter?"


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    d = tmp_path_factory.mktemp("chance")
    return planted_index(d / "plain", {}), planted_index(d / "rephrased", {4: REPHRASED})


def test_chance_by_hand(indexes):
    index, _ = indexes
    q = soft_query("help message argument", check_text("help message argument"), _stats(index, "help message argument"))
    q.rarity = np.asarray([3.0, 4.0, 0.5])
    aligned = [["help", "help"], ["message", "messages"], ["argument", "argument"]]
    # a passage of 10 tokens in a corpus of 10**6: each word is there with probability
    # min(1, 10 * 10**-rarity) = 10**-2, 10**-3 and 1; 10**6 passages -> 10**(6 - 2 - 3) = 10
    assert log_chance(q, aligned, 10, 10**6) == pytest.approx(1.0)
    assert log_chance(q, aligned[:1], 10, 10**6) == pytest.approx(4.0)
    assert log_chance(q, aligned, 10, 10**4) == pytest.approx(-1.0)


def test_rarity_is_the_corpus_frequency(indexes):
    index, _ = indexes
    text = "help message formatted"
    q = soft_query(text, check_text(text), _stats(index, text))
    corpus = "".join(module_texts())
    for w in check_text(text):
        count = sum(corpus.count(f) for f in retrieval_forms(w, bytes_index=True))
        assert q.rarity[q.key_id[w.key]] == pytest.approx(math.log10(index.n_tokens / (count + 1)))
        assert count > 50  # frequent words: the point of the test below


def test_frequent_words_together_are_no_copy(indexes):
    index, _ = indexes
    cutoff = CheckOptions().soft_cutoff
    best = soft_verdicts(index, [HELP], cutoff)[0].match
    # counted word by word the passage would make the item contaminated: it scores above the
    # threshold, aligns 3+ content words, and no other document the search saw holds them
    assert best is not None and best.score >= cutoff and aligned_content(best) >= 3 and best.elsewhere == 0
    assert best.chance is not None and best.chance >= 0 and by_chance(best) and common_phrase(best)
    r = assert_no_soft_copy(index, HELP)
    assert "the corpus would hold about" in r.soft_note and "by chance: a common phrase" in r.soft_note


def test_a_rare_name_makes_it_a_copy(indexes):
    _, index = indexes
    r = assert_soft_copy(index, RARE, "d4", REPHRASED)
    assert r.soft.chance is not None and r.soft.chance < 0


def test_unknown_chance_is_not_by_chance():
    m = SoftMatch(0.7, 0, "d", 0, 9, "help here", [["help", "help"]])
    assert m.chance is None and not by_chance(m)  # a match from the wire carries no chance


def test_agreeing_numbers_are_not_chance():
    # three frequent words and a run of small numbers: each number is everywhere, the run is not
    words_only = [["positive", "positive"], ["numbers", "numbers"], ["list", "list"]]
    numbers = [[n, n] for n in ("2", "5", "6", "3", "9", "123")]
    short = SoftMatch(0.6, 0, "d", 0, 40, "passage", words_only, chance=1.5)
    long = SoftMatch(0.6, 0, "d", 0, 400, "passage", words_only + numbers, chance=1.5)
    assert by_chance(short) and common_phrase(short)
    assert aligned_content(long) == 3 and not by_chance(long) and not common_phrase(long)


def _stats(index, text: str) -> WordStats:
    stats = WordStats(index)
    stats.prepare(check_text(text))
    return stats
