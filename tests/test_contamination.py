"""Contamination metrics against brute-force oracles on a real corpus (Python stdlib sources)
with planted benchmark items: coverage, n-gram fraction, longest match and 13-gram flag from
plain substring search; verdict agreement between byte and BPE indexes; normalized matching
with raw document offsets; short items; skip budget; template text; JSON-escaped copies."""

from __future__ import annotations

import json
import random
import re
import textwrap

import numpy as np
import pytest

import tracer
from tracer.contamination import BenchItem, CheckOptions, check_items
from tracer.contamination.metrics import covered_mask, skip_mask
from tracer.contamination.words import WORD
from tracer.tokenize import normalize

STDLIB_MODULES = ["argparse", "textwrap", "string", "difflib", "json.decoder", "shlex"]

QUESTIONS = [
    "A baker sells 14 loaves of rye bread every morning and twice as many sourdough loaves in the afternoon. "
    "How many loaves does the baker sell in one week if the shop is closed on Sundays?",
    "Marisol walks her three dogs around the lake, which is 2.5 kilometres long, twice a day. "
    "How many kilometres does she walk with her dogs in a month of 30 days?",
    "The ferry to the island leaves every 45 minutes from 6:15 in the morning until 9:00 in the evening. "
    "How many times does the ferry leave the harbour each day?",
    "Theo plants tulip bulbs in 7 rows of 18 bulbs; a squirrel digs up one bulb in every nine. "
    "How many tulips can still flower in the spring?",
    "A library lends out 312 novels in March and a third fewer in April, while returns stay constant at 250. "
    "By how much does the number of books on the shelves change over both months?",
    "Quentin saves 35 dollars from each weekly paycheck and spends 12 of his savings every fortnight on "
    "comics. How much money has he saved after twenty weeks?",
]
ANSWERS = [
    "He sells 14 + 28 = 42 loaves a day.\nOver six days that is 42 * 6 = 252 loaves.\n#### 252",
    "Each walk is 2.5 km and she walks twice, so 5 km a day.\nIn 30 days that is 150 km.\n#### 150",
    "From 6:15 to 9:00 is 14 hours and 45 minutes, which is 885 minutes.\n885 / 45 = 19.67 so 20 departures.\n#### 20",
    "He plants 7 * 18 = 126 bulbs.\nThe squirrel takes 126 / 9 = 14 bulbs.\n#### 112",
    "April lends 312 * 2 / 3 = 208 novels.\nThe shelves change by 500 - 520 = -20 books.\n#### -20",
    "He saves 35 * 20 = 700 dollars.\nHe spends 12 * 10 = 120 dollars.\n#### 580",
]


def stdlib_texts() -> list[str]:
    import importlib
    import inspect

    return [inspect.getsource(importlib.import_module(m)) for m in STDLIB_MODULES]


def reformat(text: str) -> str:
    """Curly quotes, an en dash, upper case, NBSP and hard wrapping: what exact matching misses."""
    text = text.replace("'", "\u2019").replace(" - ", " \u2013 ").upper().replace(" a ", "\u00a0a ")
    return textwrap.fill(text, 37)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    """Stdlib sources; item 0 verbatim mid-paragraph, 1 reformatted, 2 first half only, 3 with one
    word edited, 4 inside a JSON string; 5 is never planted (clean)."""
    d = tmp_path_factory.mktemp("contam")
    texts = stdlib_texts()
    items = [BenchItem(str(i), "toy", "test", q, a) for i, (q, a) in enumerate(zip(QUESTIONS, ANSWERS, strict=True))]
    planted = [
        "Notes from the forum. " + items[0].input + " " + items[0].label + " Thanks for reading.",
        "Copied quiz:\n" + reformat(items[1].input + "\n" + items[1].label),
        "Teaser: " + items[2].input[: len(items[2].input) // 2],
        "Edited: " + items[3].input.replace("squirrel", "raccoon") + "\n" + items[3].label,
        json.dumps({"q": items[4].input, "a": items[4].label}),
    ]
    docs = [{"id": f"std{i}", "text": t} for i, t in enumerate(texts)]
    docs += [{"id": f"plant{i}", "text": t} for i, t in enumerate(planted)]
    path = d / "corpus.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in docs), encoding="utf-8")
    raw = tracer.build([str(path)], str(d / "raw"), id_field="id", progress=False)
    norm = tracer.build([str(path)], str(d / "norm"), id_field="id", progress=False, normalize=True)
    assert raw and norm
    return {"dir": d, "docs": docs, "items": items, "raw": tracer.open(d / "raw"), "norm": tracer.open(d / "norm"),
            "path": path}


# -- oracle -------------------------------------------------------------------------


def oracle_part(text: str, docs: list[str], n: int, gpt3: int) -> dict:
    """Metrics by plain substring search over the documents' texts (no index)."""
    spans = [m.span() for m in WORD.finditer(text)]
    w = len(spans)

    def occurs(a: int, b: int) -> bool:  # words a..b-1
        s = text[spans[a][0] : spans[b - 1][1]]
        return any(s in d for d in docs)

    covered = np.zeros(w, bool)
    hits = 0
    for i in range(w - n + 1):
        if occurs(i, i + n):
            covered[i : i + n] = True
            hits += 1
    longest = 0
    for i in range(w):
        k = longest
        while i + k < w and occurs(i, i + k + 1):
            k += 1
        longest = max(longest, k)
    return {"words": w, "coverage": covered.sum() / w, "ngram_fraction": hits / max(1, w - n + 1),
            "longest_match": longest, "any_13gram": longest >= gpt3}


def plain_options(**kw) -> CheckOptions:
    return CheckOptions(template_items=0, json_variants=False, **kw)


def test_metrics_equal_brute_force_substring_search(corpus):
    docs = [d["text"] for d in corpus["docs"]]
    results = check_items(corpus["raw"], corpus["items"], plain_options())
    for item, r in zip(corpus["items"], results, strict=True):
        n = min(8, max(len(WORD.findall(item.input)), len(WORD.findall(item.label))))
        for name, text in (("input", item.input), ("label", item.label)):
            want = oracle_part(text, docs, n, 13)
            got = r.parts[name]
            assert got.words == want["words"], (item.id, name)
            assert got.coverage == pytest.approx(want["coverage"]), (item.id, name)
            assert got.ngram_fraction == pytest.approx(want["ngram_fraction"]), (item.id, name)
            assert got.longest_match == want["longest_match"], (item.id, name)
            assert got.any_13gram == want["any_13gram"], (item.id, name)
            if got.longest_match:
                assert got.longest_match_count == sum(d.count(got.longest_match_text) for d in docs)


def test_verdicts_per_family_raw_index(corpus):
    results = {r.item.id: r for r in check_items(corpus["raw"], corpus["items"])}
    assert results["0"].contaminated and results["0"].category == "dirty"
    assert not results["1"].contaminated and results["1"].category == "clean"  # reformatted: missed by raw
    assert results["2"].parts["input"].coverage == pytest.approx(0.5, abs=0.1)
    assert results["3"].contaminated  # one edited word
    assert results["4"].contaminated  # inside a JSON string: found through the JSON-escaped spelling
    assert not results["5"].contaminated and results["5"].category == "clean"
    assert results["5"].documents == []


def test_json_escaped_copy_needs_the_variant(corpus):
    item = corpus["items"][4]
    plain = check_items(corpus["raw"], [item], plain_options())[0]
    full = check_items(corpus["raw"], [item], CheckOptions(template_items=0))[0]
    assert plain.parts["label"].coverage < full.parts["label"].coverage == 1.0
    # the reported spans are offsets into the item's own text, not into the escaped spelling
    for a, b in full.parts["label"].spans:
        assert item.label[a:b].strip() and "\\n" not in item.label[a:b]


def test_documents_and_raw_offsets(corpus):
    r = check_items(corpus["raw"], [corpus["items"][0]])[0]
    doc = r.documents[0]
    assert doc.doc_id == "plant0"
    text = corpus["docs"][doc.doc_index]["text"]
    for s in doc.spans:
        part_text = getattr(r.item, s.part)
        assert text[s.char_start : s.char_end].startswith(part_text[s.start : s.end])


def test_normalized_index_finds_reformatted_copy_with_raw_offsets(corpus):
    item = corpus["items"][1]
    raw = check_items(corpus["raw"], [item])[0]
    norm = check_items(corpus["norm"], [item])[0]
    assert not raw.contaminated
    assert norm.contaminated and norm.parts["input"].coverage == 1.0
    doc = norm.documents[0]
    assert doc.doc_id == "plant1"
    raw_text = corpus["docs"][doc.doc_index]["text"]
    for s in doc.spans:
        found = raw_text[s.char_start : s.char_end]
        assert "\u2019" in found or "\n" in found or found.isupper()  # the raw document's own characters
        assert normalize(found) == normalize(getattr(item, s.part)[s.start : s.end])


def test_short_items_must_occur_whole(corpus):
    present = "Marisol walks her three dogs"  # 5 words, occurs in plant document 1? no: it is reformatted
    whole = "How many loaves does the baker"  # 6 words that occur verbatim (item 0 is planted)
    scattered = "loaves Marisol ferry tulip"  # every word occurs, the sequence does not
    items = [BenchItem("w", "s", "test", whole), BenchItem("x", "s", "test", scattered),
             BenchItem("p", "s", "test", present)]
    r = {x.item.id: x for x in check_items(corpus["raw"], items)}
    assert r["w"].short and r["w"].contaminated and r["w"].verdict_part.coverage == 1.0
    assert r["x"].short and not r["x"].contaminated and r["x"].verdict_part.coverage == 0.0
    assert not r["p"].contaminated  # only a reformatted copy exists; the raw index must not match it


def test_skip_budget_by_hand():
    # words 0-9 matched (n=8), words 10-11 mismatched, 12-20 matched (9 words), 21 mismatched,
    # 22-24 matched by a 3-word match only, then words 25-34 matched again after a 1-word gap
    m = np.array([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 3, 2, 1, 0] + list(range(9, 0, -1)))
    assert len(m) == 35
    full = skip_mask(m, 8, 4)
    # 0-20 is one span (2 skipped words); then 21-25 are 5 unmatched words (22-24 are too short
    # to continue a span), more than the 2 left in the budget: a new span starts at 26
    assert full[:21].all() and not full[21:26].any() and full[26:].all()
    assert (skip_mask(m, 8, 1) == covered_mask(m, 8)).all()  # a budget of 1 bridges nothing here
    assert (skip_mask(m, 8, 0) == covered_mask(m, 8)).all()
    # nothing before the first n-word match, nothing after the last
    m2 = np.array([3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 3, 2, 1])
    got2 = skip_mask(m2, 8, 4)
    assert not got2[:4].any() and got2[4:13].all() and not got2[13:].any()


def test_light_edit_keeps_skip_coverage_high(corpus):
    r = check_items(corpus["raw"], [corpus["items"][3]], plain_options())[0]
    inp = r.parts["input"]
    assert inp.coverage < 1.0 and inp.skip_coverage == 1.0


def test_template_text_shared_by_items_is_not_evidence(corpus):
    stem = "Answer the following question about the toy benchmark carefully and show all of your work."
    planted = corpus["items"][0]
    items = [BenchItem("a", "tpl", "test", stem + "\n" + planted.input),
             BenchItem("b", "tpl", "test", stem + "\n" + corpus["items"][5].input)]
    # the stem appears in the corpus? it does not, so plant it through a second index below
    d = corpus["dir"] / "tpl"
    d.mkdir(exist_ok=True)
    (d / "c.jsonl").write_text(json.dumps({"id": "x", "text": stem + " " + planted.input}) + "\n"
                               + json.dumps({"id": "y", "text": stem}) + "\n", encoding="utf-8")
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False)
    index = tracer.open(d / "idx")
    with_t = {r.item.id: r for r in check_items(index, items)}
    without = {r.item.id: r for r in check_items(index, items, CheckOptions(template_items=0))}
    assert with_t["a"].contaminated and not with_t["b"].contaminated
    assert with_t["b"].parts["input"].template_words == len(WORD.findall(stem)) + 0 or \
        with_t["b"].parts["input"].template_words >= len(WORD.findall(stem))
    assert without["b"].parts["input"].coverage > 0  # the stem alone is covered
    assert with_t["b"].parts["input"].coverage == 0.0


def test_bytes_and_bpe_indexes_agree(corpus, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=2000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator([d["text"] for d in corpus["docs"]], trainer)
    tok.save(str(tmp_path / "bpe.json"))
    tracer.build([str(corpus["path"])], str(tmp_path / "bpe"), id_field="id", progress=False,
                 tokenizer=str(tmp_path / "bpe.json"))
    bpe = check_items(tracer.open(tmp_path / "bpe"), corpus["items"])
    raw = check_items(corpus["raw"], corpus["items"])
    assert [r.contaminated for r in bpe] == [r.contaminated for r in raw]
    assert [r.category for r in bpe] == [r.category for r in raw]
    for a, b in zip(raw, bpe, strict=True):
        assert a.parts["input"].words == b.parts["input"].words
        # a BPE match may start one token later at a word whose token carries a different prefix
        assert abs(a.parts["input"].coverage - b.parts["input"].coverage) <= 0.1


def test_random_items_metrics_bounds_and_order(corpus):
    rng = random.Random(3)
    texts = [d["text"] for d in corpus["docs"] if d["id"].startswith("std")]
    items = []
    for i in range(40):
        t = rng.choice(texts)
        a = rng.randrange(0, len(t) - 400)
        items.append(BenchItem(f"r{i}", "rand", "test", t[a : a + rng.randrange(20, 300)],
                               "novel words zebra quokka" if i % 2 else ""))
    for r in check_items(corpus["raw"], items, plain_options()):
        for p in r.parts.values():
            assert 0 <= p.coverage <= p.skip_coverage <= 1
            assert 0 <= p.ngram_fraction <= 1 and 0 <= p.longest_match <= p.words
            if p.words >= 8:
                assert (p.coverage > 0) == (p.longest_match >= p.ngram) == (p.ngram_fraction > 0)
        assert r.parts["input"].coverage == 1.0 or re.search(r"\S", r.item.input) is None


def test_raw_map_equals_normalize_with_map():
    from tracer.tokenize import normalize_with_map
    from tracer.tokenize.normalize import RawOffsets as RawMap

    rng = random.Random(5)
    alphabet = list("abcXYZ019 .,\n\t&;'\"") + ["\u2019", "\u00a0", "\u200b", "\u2026", "&amp;", "&#8217;",
                                                "\ufb01", "\u00df", "  ", "\r\n", "\u03a9", "\u65e5"]
    for trial in range(300):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 12000 if trial % 10 == 0 else 300)))
        norm, raw_of = normalize_with_map(raw)
        if not norm:
            continue
        rmap = RawMap(raw)
        for _ in range(5):
            ns = rng.randrange(0, len(norm))
            ne = rng.randrange(ns, min(len(norm), ns + 2000) + 1)
            assert rmap.offsets(ns, ne) == (int(raw_of[ns]), int(raw_of[ne]))
