"""A soft passage belongs to the item of the check it fits best (tracer.contamination.attribution):
a corpus copy of one item does not make its same-topic siblings contaminated, and an item whose best
passage is a sibling's copy keeps its own next passage. Scores and passages are planted in a corpus
written here; the oracle is which document holds which item's copy."""

from __future__ import annotations

import pytest
from planted import planted_index

from tracer.contamination import BenchItem, CheckOptions, check_items

# copied verbatim into document d2
COPIED = ("Economists at the central bank argue that in the long run the Phillips curve is vertical at the natural "
          "rate of unemployment, because workers' inflation expectations adjust to actual inflation. Which policy "
          "shifts the long-run Phillips curve to the left?")
# a sibling on the same topic, not in the corpus as such...
SIBLING = ("Which of the following statements about the long-run Phillips curve is correct when inflation "
           "expectations adjust fully to actual inflation?")
# ...but rephrased, more loosely than the copy above resembles it, into document d4
SIBLING_PARA = ("Suppose people's expectations of price rises catch up completely with the inflation they observe. "
                "What then is true of the Phillips curve in the long run?")
# a GSM8K-style item rephrased into d1, and a same-story sibling with other numbers
ORIG = ("Marisol walks her three dogs around the lake, which is 25 kilometres long, twice a day. "
        "How many kilometres does she walk with her dogs in a month of 30 days?")
PARA = ("Every day Marisol takes her 3 dogs for two walks around a lake that measures 25 km. "
        "Over a 30-day month, what distance in kilometres does she cover with the dogs?")
OTHER = ("Marisol walks her three dogs around the lake, which is 25 kilometres long, once a day. "
         "How many metres does she walk with her dogs in a week?")
# a long case item, loosely rephrased into d5, holding three words of a short item's question verbatim
CASE = ("A tenant rented a flat above a bakery. One winter night the boiler in the cellar failed, and the tenant, "
        "relighting the pilot flame, touched a frayed cable that the landlord had promised to replace and was "
        "briefly stunned but unhurt. If the tenant sues the landlord for negligence, will the tenant recover?")
CASE_PARA = ("Renting a flat over a bakery, a tenant went down to the cellar one winter night when the boiler "
             "failed. While relighting its pilot flame the tenant received an electric shock from a frayed cable the "
             "landlord had promised to replace, and was stunned for a moment but unhurt. Can the tenant recover if "
             "suing the landlord for negligence?")
# a multiple-choice item copied verbatim into d3 (its input holds the options; the label is one of them),
# and a short question whose words are those of one of its wrong options
WATER = ("A city council is reviewing how its water utility sets prices. Which of the following statements is "
         "correct?\nMetered billing charges each household for the water it actually uses.\nA flat monthly fee "
         "rewards the households that conserve.\nDesalination plants lower the salinity of seawater through "
         "reverse osmosis membranes.\nUtility rates are fixed by national law and never change.")
WATER_LABEL = "Metered billing charges each household for the water it actually uses."
OSMOSIS = "How do desalination plants use reverse osmosis membranes on seawater?\nThey filter out the dissolved salts."
SHOCK = "To receive an electric shock there must be a\nvoltage difference across part of the body."


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    d = tmp_path_factory.mktemp("attribution")
    one = {1: PARA, 2: COPIED}
    return planted_index(d / "one", one), planted_index(d / "two", {**one, 4: SIBLING_PARA, 5: CASE_PARA, 3: WATER})


def _item(key: str, text: str) -> BenchItem:
    return BenchItem(key, "mmlu", "test", text, "")


def test_a_siblings_copy_does_not_make_an_item_contaminated(planted):
    one, _ = planted
    soft = CheckOptions(soft=True)
    alone = check_items(one, [_item("sibling", SIBLING)], soft)[0]
    # judged alone, the topic words it shares with the copy reach the soft threshold: the false
    # positive this rule exists for (if this stops holding, the test below proves nothing)
    assert alone.match == "soft" and alone.soft.doc_id == "d2" and alone.soft.score >= soft.soft_cutoff

    copied, sibling = check_items(one, [_item("copied", COPIED), _item("sibling", SIBLING)], soft)
    assert copied.match == "exact"
    assert not sibling.contaminated and sibling.match is None and sibling.soft is None
    assert "fits item mmlu/test#copied better" in sibling.soft_note and "document 'd2'" in sibling.soft_note
    assert sibling.to_json()["soft_note"] == sibling.soft_note

    # the reference counts as the check's items do (a harness asking item by item passes the benchmark)
    by_reference = check_items(one, [_item("sibling", SIBLING)], soft, reference=[_item("copied", COPIED)])[0]
    assert (by_reference.match, by_reference.soft_note) == (None, sibling.soft_note)


def test_an_item_keeps_its_own_next_passage(planted):
    _, two = planted
    soft = CheckOptions(soft=True)
    alone = check_items(two, [_item("sibling", SIBLING)], soft)[0]
    assert alone.soft.doc_id == "d2"  # the sibling's copy fits it better than its own loose rephrasing
    sibling = check_items(two, [_item("copied", COPIED), _item("sibling", SIBLING)], soft)[1]
    assert sibling.match == "soft" and sibling.contaminated
    assert sibling.soft.doc_id == "d4" and sibling.soft.passage in SIBLING_PARA
    assert sibling.soft.score < alone.soft.score


def test_a_short_question_inside_a_siblings_rephrasing_is_that_siblings(planted):
    """Three words of a short question ("receive an electric shock") inside a loose rephrasing of a
    long sibling: the question scores higher there, but the sibling is a soft match there itself
    with many times its aligned words, so the passage is the sibling's."""
    _, two = planted
    soft = CheckOptions(soft=True)
    alone = check_items(two, [_item("shock", SHOCK)], soft)[0]
    assert alone.match == "soft" and alone.soft.doc_id == "d5" and alone.soft.score >= soft.soft_cutoff
    case = check_items(two, [_item("case", CASE)], soft)[0]
    assert case.match == "soft" and case.soft.doc_id == "d5" and case.soft.score < alone.soft.score

    shock = check_items(two, [_item("shock", SHOCK)], soft, reference=[_item("case", CASE)])[0]
    assert not shock.contaminated and shock.soft is None
    assert "lies inside a match of item mmlu/test#case (it aligns" in shock.soft_note


def test_a_question_matching_a_copied_items_wrong_option_is_not_contaminated(planted):
    """A copied multiple-choice item is searched as its question and answer, but as a rival it is
    also read whole: the options in its copy are its text, not a copy of another item."""
    _, two = planted
    soft = CheckOptions(soft=True)
    alone = check_items(two, [_item("osmosis", OSMOSIS)], soft)[0]
    assert alone.match == "soft" and alone.soft.doc_id == "d3" and "reverse osmosis" in alone.soft.passage
    water = BenchItem("water", "mmlu", "test", WATER, WATER_LABEL)
    osmosis = check_items(two, [_item("osmosis", OSMOSIS)], soft, reference=[water])[0]
    assert not osmosis.contaminated and "fits item mmlu/test#water better" in osmosis.soft_note


def test_a_true_paraphrase_is_kept_among_same_story_siblings(planted):
    one, _ = planted
    orig, other = check_items(one, [_item("orig", ORIG), _item("other", OTHER)], CheckOptions(soft=True))
    assert orig.match == "soft" and orig.soft.doc_id == "d1" and orig.soft.passage in PARA
    assert not other.contaminated


def test_the_result_does_not_depend_on_the_batch(planted):
    one, _ = planted
    items = [_item("orig", ORIG), _item("copied", COPIED), _item("other", OTHER), _item("sibling", SIBLING)]
    together = check_items(one, items, CheckOptions(soft=True))
    for k, item in enumerate(items):
        apart = check_items(one, [item], CheckOptions(soft=True), reference=items)[0]
        assert apart.to_json() == together[k].to_json()
