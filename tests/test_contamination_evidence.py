"""Issue 12 item 5: an MMLU item is never contaminated on its options alone.

The abstract-algebra item "Find the degree for the given field extension Q(sqrt(2), sqrt(3)) over
Q." (options 0 / 4 / 2 / 6) was flagged at coverage 1.0 although it was not in the corpus: its
question is template text shared with other items of the subject, so only its options remained,
and another item with the same stem tail and the same options was in the corpus.
"""

from __future__ import annotations

import json

import numpy as np

import tracer
from tracer.contamination import CheckOptions, check_items, read_benchmarks
from tracer.contamination.verdict import TOO_SHORT, WEAK_MATCH
from tracer.contamination.words import is_content_word

STEM = "Find the degree for the given field extension "
CHECKED = [  # MMLU HF layout: question, choices, answer index
    (STEM + "Q(sqrt(2), sqrt(3)) over Q.", ["0", "4", "2", "6"], 1),  # the item of the report
    (STEM + "Q(sqrt(2), sqrt(3), sqrt(18)) over Q.", ["0", "4", "2", "8"], 1),  # shares its head
    (STEM + "Q(sqrt(5), sqrt(3)) over Q.", ["2", "4", "1", "8"], 1),  # shares "), sqrt(3)) over Q."
    ("Statement 1 | Every element of a group generates a cyclic subgroup of the group. Statement 2 | "
     "The symmetric group S_10 has 10 elements.", ["True, True", "False, False", "True, False", "False, True"], 2),
]
# in the corpus: another item of the subject (not checked) with the same stem tail and options
LEAKED_OTHER = STEM + "Q(sqrt(2) + sqrt(3)) over Q.\n0\n4\n2\n6"
FILLER = ("Kernel modules register their devices with the driver core, which matches them against the "
          "buses they sit on and calls probe for every device a driver claims. ")


def _write(tmp_path, docs, items):
    tmp_path.mkdir(parents=True, exist_ok=True)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(docs)))
    bench = tmp_path / "abstract_algebra_test.jsonl"
    bench.write_text("".join(json.dumps({"question": q, "choices": c, "answer": a}) + "\n" for q, c, a in items))
    tracer.build([str(corpus)], str(tmp_path / "idx"), id_field="id", progress=False)
    return tracer.open(tmp_path / "idx"), read_benchmarks([str(bench)])


def test_options_alone_are_not_evidence(tmp_path):
    docs = [FILLER * 5 + "Exercise 7.\n" + LEAKED_OTHER + "\nAnswer: B\n" + FILLER,
            FILLER * 3 + "A. 0\nB. 4\nC. 2\nD. 6\n" + FILLER, FILLER * 4]
    index, items = _write(tmp_path, docs, CHECKED)
    r = check_items(index, items, CheckOptions())[0]
    # the situation of the report: only the options are the item's own words, and they are matched
    assert r.parts["input"].template_words == r.parts["input"].words - 4
    assert r.parts["input"].coverage == 1.0
    assert r.contaminated is False
    assert r.note == TOO_SHORT
    js = r.to_json()
    assert js["not_enough_evidence"] is True and js["note"].startswith(("too short to judge", "not enough evidence"))
    # every other method too
    for method in ("coverage", "ngram", "longest", "13gram"):
        assert not check_items(index, items[:1], CheckOptions(method=method), reference=items)[0].contaminated


def test_options_plus_a_real_leak_still_count(tmp_path):
    """The same item copied into the corpus whole is contaminated: the rule removes no real evidence."""
    docs = [FILLER * 5 + CHECKED[0][0] + "\n0\n4\n2\n6\n" + FILLER, FILLER * 4]
    index, items = _write(tmp_path, docs, CHECKED[:1])  # checked alone: its question is its own text
    r = check_items(index, items, CheckOptions())[0]
    assert r.contaminated and r.note == "" and r.parts["input"].matched_content_words > 0
    # with the whole subject checked, its question is all template text: explicitly too short to judge
    index, items = _write(tmp_path / "all", docs, CHECKED)
    got = check_items(index, items, CheckOptions())
    assert [x.contaminated for x in got] == [False] * 4 and got[0].note == TOO_SHORT and got[3].note == ""


def test_matched_words_only_numbers_is_not_enough_evidence(tmp_path):
    """Own content words exist but the match holds none of them: not contaminated, said so."""
    seq = " ".join(str(k) for k in range(1, 13))
    docs = [FILLER * 3 + "Counting: " + seq + ". " + FILLER]
    index, _ = _write(tmp_path, docs, CHECKED)
    item = tracer.contamination.BenchItem("s1", "sequences", "test", "Which rule generates the sequence " + seq, "")
    r = check_items(index, [item], CheckOptions())[0]
    assert r.parts["input"].coverage >= 0.6 and r.parts["input"].content_words == 5
    assert not r.contaminated and r.note == WEAK_MATCH


def test_item_of_only_options_and_numbers_is_too_short(tmp_path):
    docs = [FILLER * 3 + "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n" + FILLER]
    index, _ = _write(tmp_path, docs, CHECKED)
    item = tracer.contamination.BenchItem("n1", "numbers", "test", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12", "")
    r = check_items(index, [item], CheckOptions())[0]
    assert r.parts["input"].coverage == 1.0 and not r.contaminated and r.note == TOO_SHORT


def test_a_word_between_runs_of_single_digits_is_not_found_evidence(tmp_path):
    """Found on the soft evaluation (MMLU test/63 against Python's test suite): "= (1, 2, 3, 4)" and
    "1, 2), (1, 3), (" occur in any code with tuples, and the skip budget bridged them across
    "Let", a content word the corpus never had there. A gap word counts only beside matches holding
    something specific (a content word, or a number of 2 or 3 digits)."""
    code = ("[(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3), (2, 0), (2, 1)]\n"
            "A = (1, 2, 3, 4). See below.\n")
    index, _ = _write(tmp_path, [FILLER * 3 + code + FILLER], CHECKED)
    stem = "If A = ({}, {}, {}, {}). Let ~= {{({}, {}), ({}, {}), ({}, {})}}. Then ~ is"
    options = "\nnot anti-symmetric\ntransitive\nreflexive\nsymmetric"
    relation = tracer.contamination.BenchItem("63", "algebra", "test", stem.format(1, 2, 3, 4, 1, 2, 1, 3, 4, 2) + options,
                                              "transitive")
    r = check_items(index, [relation], CheckOptions())[0]
    pm = r.parts["input"]
    assert pm.skip_coverage > 0.5 and pm.matched_content_words == 0  # "Let" is bridged, not found
    assert not r.contaminated and r.note == WEAK_MATCH
    # the same shape with numbers of 2 digits: the matches are specific, and the bridged word counts
    code = code.replace("(1, 2), (1, 3)", "(12, 24), (12, 31)").replace("(1, 2, 3, 4)", "(12, 24, 31, 47)")
    index, _ = _write(tmp_path / "specific", [FILLER * 3 + code + FILLER], CHECKED)
    relation = tracer.contamination.BenchItem("64", "algebra", "test",
                                              stem.format(12, 24, 31, 47, 12, 24, 12, 31, 47, 24) + options, "transitive")
    r = check_items(index, [relation], CheckOptions())[0]
    assert r.parts["input"].matched_content_words == 1 and r.contaminated


def test_content_words_by_hand():
    assert [w for w in ["0", "4", "12", "123", "1945", "A", "B", ".", "))", "sqrt", "Q", "x2", "S_10"]
            if is_content_word(w)] == ["1945", "sqrt", "x2", "S_10"]


def test_a_list_of_small_numbers_is_not_a_long_number(tmp_path):
    """Found on the soft evaluation (an MMLU test item against the Linux docs): "{1,2,3,4}" is a
    list of short numbers, not one number with thousands separators, and was the whole of a
    corpus match ("BUCK{1,2,3,4}", "chan_{1,2,3,4}_rw") that made the item contaminated."""
    docs = [FILLER * 2 + "ramp delay on BUCK{1,2,3,4}. The events chan_{1,2,3,4}_rw are " + FILLER,
            FILLER * 3 + "self.assertEqual(indexOf([1,2,2,3,2,5], 1), 0) " + FILLER]
    index, _ = _write(tmp_path, docs, CHECKED)
    sets = tracer.contamination.BenchItem("s1", "sets", "test", "Let l = [1,2,2,3,4]. In Python3, what is a "
                                          "possible output of set(l)?\n{1}\n{1,2,2,3,4}\n{1,2,3,4}\n{4,3,2,2,1}",
                                          "{1,2,3,4}")
    r = check_items(index, [sets], CheckOptions())[0]
    assert r.parts["label"].coverage == 1.0 and r.parts["label"].content_words == 0
    assert not r.contaminated


def test_numbers_with_separators_are_evidence():
    from tracer.contamination.words import WORD, PreparedText, content_mask

    text = "pKa 4.26 0.5 3/16 12:45 7"
    spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
    starts, ends = (np.asarray([s[k] for s in spans], np.int64) for k in (0, 1))
    p = PreparedText(text, text, None, np.zeros(0, np.uint8), starts, ends, starts, ends, np.arange(len(spans)))
    got = [text[a:b] for (a, b), keep in zip(spans, content_mask(p), strict=True) if keep]
    assert got == ["pKa", "4", ".", "26", "3", "/", "16", "12", ":", "45"]
    text = "80,000 and 1,234.5 but 1,2,3,4 and 12,34"
    spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
    starts, ends = (np.asarray([s[k] for s in spans], np.int64) for k in (0, 1))
    p = PreparedText(text, text, None, np.zeros(0, np.uint8), starts, ends, starts, ends, np.arange(len(spans)))
    got = [text[a:b] for (a, b), keep in zip(spans, content_mask(p), strict=True) if keep]
    assert got == ["80", ",", "000", "and", "1", ",", "234", ".", "5", "but", "and"]
