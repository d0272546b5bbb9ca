"""A short soft match whose words the corpus also puts together elsewhere is a common phrase, not a
copy (issue 12, the non-injected false positives of benchmarks/scripts/soft_eval.py): "a remote
procedure call" in several unrelated documents says nothing about a question on remote procedure
calls, while a short paraphrase found once, or mirrored verbatim in several places, still counts."""

from __future__ import annotations

import json
import random

import pytest

import tracer
from tracer.contamination import BenchItem, CheckOptions, check_items
from tracer.query.soft.search import COMMON_SHARE

FILLER = ("The kernel module registers a device driver and allocates memory for its buffers. ",
          "Interrupt handlers must not sleep, so they defer work to a tasklet or a workqueue. ",
          "Configuration options are read at boot from the command line of the system. ",
          "The scheduler picks the next runnable task from the queue of each processor. ",
          "Block devices queue their requests and merge the adjacent ones before dispatch. ")
PHRASE_SENTENCES = [  # one phrase, four unrelated documents, four different sentences
    "The client issues a remote procedure call to the storage daemon and waits for its reply.",
    "Each remote procedure call carries a transaction id in its header.",
    "When a remote procedure call times out, the library retries it twice before giving up.",
    "To the programmer a remote procedure call looks like a local function invocation.",
]
RPC_ITEM = BenchItem("rpc", "mmlu", "test", "A remote procedure call is used to\nsort a list in place\n"
                     "invoke a routine in another address space\nencrypt a disk\ncompile a kernel",
                     "invoke a routine in another address space")
PARA_ITEM = BenchItem("feminism", "mmlu", "test", "Marxist feminists explain patriarchy as\nan outcome of capitalism\n"
                      "a biological fact\na religious ideal\na legal accident", "an outcome of capitalism")
PARAPHRASE = "How do Marxist feminists interpret patriarchy?"
MIRRORED_ITEM = BenchItem("ecology", "mmlu", "test", "Chicago sociologists described urban ecology as\n"
                          "zones of invasion and succession\na branch of biology\na kind of planning law\n"
                          "a census method", "zones of invasion and succession")
MIRRORED = "According to the Chicago sociologists, what is urban ecology?"


def _texts() -> list[str]:
    rng = random.Random(3)
    texts = ["".join(rng.choice(FILLER) for _ in range(rng.randrange(4, 10))) for _ in range(40)]
    for k, s in enumerate(PHRASE_SENTENCES):
        texts[2 + 5 * k] += s + " " + rng.choice(FILLER)
    texts[30] += "\n\n" + PARAPHRASE + "\n\n" + FILLER[0]
    texts[20] += "Heap fragmentation overhead grows with the number of live allocations. " + FILLER[1]
    texts[26] += "Measuring the heap fragmentation overhead needs a quiet machine. " + FILLER[2]
    for k in (1, 6, 11):  # a heading, alone on its line, in three documents
        texts[k] = "Scheduling latency tuning\n\n" + texts[k]
    for k in (31, 34, 37):  # one paraphrase, mirrored verbatim in three documents
        texts[k] = FILLER[k % 5] + "\n\n" + MIRRORED + "\n\n" + texts[k]
    return texts


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    d = tmp_path_factory.mktemp("common")
    (d / "c.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(_texts())))
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False)
    return tracer.open(d / "idx")


def test_elsewhere_counts_the_other_documents_holding_the_words(index):
    texts = _texts()
    holding = [i for i, t in enumerate(texts) if "remote procedure call" in t]  # brute force
    assert len(holding) == 4
    top = index.find_similar("remote procedure call is used", 5, threshold=0.0)[0]
    assert top.document in holding and "remote procedure call" in top.passage.lower()
    assert top.elsewhere == len(holding) - 1
    assert top.to_json()["elsewhere"] == top.elsewhere
    assert 0 < COMMON_SHARE < 1
    # a passage found once stands alone
    alone = index.find_similar(PARAPHRASE, 1)[0]
    assert alone.document == 30 and alone.elsewhere == 0
    # copies of one text (the same sentence around the query's words) are one text however many
    # documents hold them
    mirrored = index.find_similar(MIRRORED_ITEM.input.split("\n")[0], 3)
    assert sorted(m.document for m in mirrored) == [31, 34, 37] and all(m.elsewhere == 0 for m in mirrored)
    # a short phrase alone on its line in several documents (a heading) is a phrase: counted
    assert [m.elsewhere for m in index.find_similar("scheduling latency tuning", 5)] == [2, 2, 2]


def test_common_phrase_is_not_soft_contamination(index):
    rpc, para, mirrored = check_items(index, [RPC_ITEM, PARA_ITEM, MIRRORED_ITEM], CheckOptions(soft=True))
    assert not rpc.contaminated and rpc.match is None and rpc.soft is None
    assert "common phrase" in rpc.soft_note and "3 other documents" in rpc.soft_note and "3 content words" in rpc.soft_note
    assert para.match == "soft" and para.soft.document == 30 and "patriarchy" in para.soft.passage
    assert mirrored.match == "soft" and mirrored.soft.document in (31, 34, 37)


def test_three_words_in_one_other_document_are_a_phrase(index):
    """Three content words come together in two documents: the item's match there is no copy (a
    4-6 word match needs two other documents, as the rpc test above shows with three)."""
    heap = BenchItem("heap", "mmlu", "test", "Heap fragmentation overhead is caused by\nmany small allocations\n"
                     "a slow disk\na cold cache\na missing swap file", "many small allocations")
    texts = _texts()
    assert sum("heap fragmentation overhead" in t.lower() for t in texts) == 2  # brute force
    r = check_items(index, [heap], CheckOptions(soft=True))[0]
    assert not r.contaminated and r.soft is None
    assert "common phrase" in r.soft_note and "and 1 other document puts them" in r.soft_note


def test_without_the_rule_the_phrase_would_match(index, monkeypatch):
    """The rule is what keeps the item clean: the phrase itself scores above the threshold."""
    import tracer.contamination.check as check

    monkeypatch.setattr(check, "COMMON_WORDS", 0)
    rpc = check_items(index, [RPC_ITEM], CheckOptions(soft=True))[0]
    assert rpc.match == "soft" and "remote procedure call" in rpc.soft.passage.lower()
