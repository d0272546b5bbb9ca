"""Soft matches among items that share most of their words (tracer.contamination.attribution and
tracer.query.soft.query.BenchmarkText).

- Near-twin items (two prompts that differ in a word) cannot be told apart on a rephrasing of one
  of them: a passage that a sibling fits about as well makes neither contaminated, unless the
  item aligns a number there that the sibling lacks (GSM8K's twin stories differ in their numbers).
- Words that half of a benchmark's items hold ("given a list of integers") say little about
  which item a passage copies, and are verified at less weight.

The corpus is written here (Python sources with planted passages); the oracle is which document
holds which item's rephrasing, and, for the weights, their definition computed by hand.
"""

from __future__ import annotations

import math

import pytest
from planted import planted_index

from tracer.contamination import BenchItem, CheckOptions, check_items
from tracer.contamination.attribution import TWIN_SHARE, Claim, Entry, Sibling, _wins
from tracer.contamination.soft import benchmark_text, soft_verdicts
from tracer.query.soft import SoftMatch
from tracer.query.soft.query import (
    DISTINCT_SHARE,
    TEMPLATE_BATCH,
    TEMPLATE_WEIGHT,
    BenchmarkText,
    WordStats,
    check_text,
    soft_query,
)

TRIPLES = '''def triples_sum_to_zero(l: list):
    """
    triples_sum_to_zero takes a list of integers as an input.
    it returns True if there are three distinct elements in the list that
    sum to zero, and False otherwise.
    >>> triples_sum_to_zero([1, 3, -2, 1])
    True
    >>> triples_sum_to_zero([1, 2, 3, 7])
    False
    """'''
PAIRS = TRIPLES.replace("triples_sum_to_zero", "pairs_sum_to_zero").replace("three distinct", "two distinct")
# a rephrasing of TRIPLES (planted in d1): PAIRS fits it about as well
TRIPLES_PARA = '''def three_elements_sum_zero(nums: list):
    """
    The function three_elements_sum_zero takes a list of numbers as its input.
    It returns True when three distinct numbers in the list add up to zero, else False.
    >>> three_elements_sum_zero([2, -3, 1, 0])
    True
    >>> three_elements_sum_zero([4, 2, 3, 8])
    False
    """'''
# GSM8K's twin stories: the same people and things, other numbers (a rephrasing of PUPPIES in d2)
PUPPIES = ("Jana has 27 puppies. Two thirds of Jana's puppies are Pomeranians. One third of the Pomeranians "
           "are girls. How many girl Pomeranians does Jana have?")
PUPPIES_TWIN = ("Two thirds of Jana's puppies are Pomeranians. One third of the Pomeranians are girls. What "
                "share of Jana's puppies are girl Pomeranians?")
PUPPIES_PARA = ("Jana owns 27 pups. Two thirds of them are of the Pomeranian breed. One third of these Pomeranian "
                "puppies are female. What is the count of female Pomeranians that Jana has?")

# a HumanEval-like benchmark: most prompts say "given a list of integers" and "write a function"; the
# corpus holds a rephrasing of RUNNING_PEAK (d3), and SECOND_LOWEST shares only those common words with it
RUNNING_PEAK = '''def running_peak(values: list) -> list:
    """ Given a list of integers, return the list of the largest element seen so far at each
    position of the input list.
    >>> running_peak([1, 2, 3, 2, 3, 4, 2])
    [1, 2, 3, 3, 3, 4, 4]
    """'''
RUNNING_PEAK_PARA = '''def highest_so_far(input_list: list) -> list:
    """ Given a list of integer values, this function generates a new list where each position holds
    the largest element met so far in the input list.
    >>> highest_so_far([4, 3, 5, 2, 6, 1])
    [4, 4, 5, 5, 6, 6]
    """'''
SECOND_LOWEST = '''def second_lowest(lst):
    """
    You are given a list of integer values. Write a function second_lowest() that returns the
    2nd lowest element of the list, or None if there is no such element.
    second_lowest([1, 2, 3, 4, 5]) == 2
    second_lowest([5, 1, 4, 3, 2]) == 2
    """'''
TASKS = ["the sum of its even elements", "the product of its odd elements", "how many elements are prime",
         "the elements sorted in descending order", "the index of the first negative element",
         "the mean of the elements rounded down", "the elements with duplicates removed",
         "the longest increasing run of elements", "the difference between the largest and smallest element",
         "whether the elements form a palindrome", "the elements rotated left by one place",
         "the count of elements divisible by three", "the elements squared", "the number of sign changes",
         "the median element", "the elements in reverse order", "whether any two elements sum to ten",
         "the smallest positive element", "the elements greater than their left neighbour",
         "the running total of the elements", "the second largest distinct element", "the elements cubed"]
LIST_TASKS = [f'def task_{k}(lst):\n    """Given a list of integers, write a function that returns {t}.\n'
              f'    >>> task_{k}([3, 1, 2])\n    """' for k, t in enumerate(TASKS)]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return planted_index(tmp_path_factory.mktemp("twins") / "c", {1: TRIPLES_PARA, 2: PUPPIES_PARA, 3: RUNNING_PEAK_PARA})


def _item(key: str, text: str, benchmark: str = "humaneval") -> BenchItem:
    return BenchItem(key, benchmark, "test", text, "")


def test_near_twins_on_one_rephrasing_are_neither_contaminated(index):
    soft = CheckOptions(soft=True)
    triples = check_items(index, [_item("40", TRIPLES)], soft)[0]
    pairs = check_items(index, [_item("43", PAIRS)], soft)[0]
    # judged alone each is a soft match on the rephrasing in d1 (for PAIRS the false positive the rule is for)
    for r in (triples, pairs):
        assert r.match == "soft" and r.soft.doc_id == "d1" and r.soft.passage in TRIPLES_PARA
    assert min(triples.soft.score, pairs.soft.score) >= TWIN_SHARE * max(triples.soft.score, pairs.soft.score)

    both = check_items(index, [_item("40", TRIPLES), _item("43", PAIRS)], soft)
    assert [r.contaminated for r in both] == [False, False]
    for r, other in zip(both, ("43", "40"), strict=True):
        assert f"fits item humaneval/test#{other} " in r.soft_note and "document 'd1'" in r.soft_note
    # the one scoring higher there loses it as a twin; the other to a better score
    assert sorted("about as well" in r.soft_note for r in both) == [False, True]
    assert any("cannot be told apart" in r.soft_note for r in both)


def test_a_twin_story_with_other_numbers_does_not_take_the_passage(index):
    soft = CheckOptions(soft=True)
    twin = check_items(index, [_item("761", PUPPIES_TWIN, "gsm8k")], soft)[0]
    own = check_items(index, [_item("488", PUPPIES, "gsm8k")], soft)[0]
    assert own.match == "soft" and own.soft.doc_id == "d2" and own.soft.passage in PUPPIES_PARA
    assert twin.soft is not None and twin.soft.doc_id == "d2"  # the twin finds the passage too
    assert TWIN_SHARE * own.soft.score <= twin.soft.score < own.soft.score  # about as well, by words alone
    got = check_items(index, [_item("488", PUPPIES, "gsm8k"), _item("761", PUPPIES_TWIN, "gsm8k")], soft)
    assert got[0].match == "soft" and got[0].soft.doc_id == "d2"  # 27 is its own: it keeps its passage
    assert not got[1].contaminated and "fits item gsm8k/test#488 better" in got[1].soft_note


def test_the_twin_rule_by_hand():
    s = Sibling(("b", "test", "x"), "x")

    def entry(score: float, numbers: set[str] = frozenset()) -> Entry:
        return Entry(s, score, 0, 10, 5, "x", frozenset(numbers))

    own = entry(0.60)
    assert _wins(entry(0.61), own, None) == "better"
    assert _wins(entry(0.60 * TWIN_SHARE), own, None) == "twin"
    assert _wins(entry(0.60 * TWIN_SHARE - 0.01), own, None) == ""
    assert _wins(entry(0.58), entry(0.60, {"#27"}), None) == ""  # the item's own number tells them apart
    assert _wins(entry(0.58, {"#27", "#6"}), entry(0.60, {"#27"}), None) == "twin"
    assert _wins(entry(0.0), entry(0.0), None) == ""
    m = SoftMatch(0.61, 3, "d3", 10, 40, "passage", [])
    assert "about as well (0.608 against 0.613)" in Claim(s, 0.6084, 0.6131, how="twin").note(m)  # told apart
    assert "better (0.64 against 0.61)" in Claim(s, 0.64, 0.61).note(m)


def test_benchmark_word_weights_by_hand(index):
    texts = [f"Given a list of integers, return the {w} element." for w in
             ["first", "last", "largest", "smallest", "middle", "second", "third", "fourth", "fifth", "sixth"]]
    texts += [f"Write a function that counts the {w} words of a sentence." for w in
              ["long", "short", "odd", "even", "capital", "vowel", "rhyming", "repeated", "hyphenated", "quoted"]]
    texts += [texts[0]] * 5  # the same text listed again (a benchmark with duplicates) counts once
    bench = BenchmarkText.of(texts)
    assert bench.items == 20 == TEMPLATE_BATCH
    assert bench.holders["sequenc"] == 10 and bench.holders["largest"] == 1  # "list" keys as "sequenc"
    text = "Given a list of integers, return the largest element 12."
    ws = check_text(text)
    stats = WordStats(index)
    stats.prepare(ws)
    q = soft_query(text, ws, stats)
    factor = dict(zip(q.keys, bench.distinctness(q).tolist(), strict=True))
    full = math.log(1 / DISTINCT_SHARE)
    assert factor["sequenc"] == pytest.approx(math.log(20 / 10) / full)  # in half of the items
    assert factor["largest"] == 1.0 and factor["#12"] == 1.0  # in one item; numbers are judged apart
    assert factor["given"] == pytest.approx(math.log(2) / full)
    assert BenchmarkText.of(texts[:19]).distinctness(q) is None  # too few items to tell
    assert BenchmarkText.of(["a list of numbers"] * 3 + texts).distinctness(q) is not None
    everywhere = BenchmarkText.of([t + " Given a list." for t in texts])
    assert dict(zip(q.keys, everywhere.distinctness(q).tolist(), strict=True))["given"] == TEMPLATE_WEIGHT


def test_words_most_items_hold_are_weak_evidence(index):
    """A prompt whose words in the rephrasing of another are only those that most of the benchmark's
    prompts hold ("given", "list", "integer", "function", "element") is matched on them alone;
    verified with the benchmark's word frequencies it is not, and the rephrased item still is."""
    peak, lowest = _item("9", RUNNING_PEAK), _item("90", SECOND_LOWEST)
    benchmark = [peak, lowest] + [_item(f"t{k}", t) for k, t in enumerate(LIST_TASKS)]
    threshold = CheckOptions().soft_cutoff
    blind = soft_verdicts(index, [lowest], threshold)[0].match
    assert blind is not None and blind.doc_id == "d3" and blind.passage in RUNNING_PEAK_PARA  # the false positive
    assert {w.casefold() for w, _ in blind.aligned if not w.isdigit()} == {"list", "given", "integer", "values",
                                                                          "function", "element"}
    text = benchmark_text(benchmark)
    seen = soft_verdicts(index, [lowest], threshold, benchmark=text)[0].match
    assert seen is None or seen.score < threshold
    own = soft_verdicts(index, [peak], threshold, benchmark=text)[0].match
    assert own is not None and own.doc_id == "d3" and own.passage in RUNNING_PEAK_PARA
    got = check_items(index, [peak, lowest], CheckOptions(soft=True), reference=benchmark)
    assert [r.match for r in got] == ["soft", None]
