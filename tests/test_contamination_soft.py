"""The soft tier of ``tracer contamination`` (issue 12): a planted paraphrase is found with its
passage in the document's own characters; a same-template item with other numbers is not; exact
verdicts are the same with and without it; bad items get an error or an explicit note; reports
show the tier; gRPC and the fan-out client give what the library gives."""

from __future__ import annotations

import importlib
import inspect
import json

import pytest

import tracer
from tracer.client import TracerClient
from tracer.client.fanout import FanOutClient
from tracer.contamination import BenchItem, CheckOptions, check_items
from tracer.contamination.report import render_html, render_markdown, results_document
from tracer.contamination.soft import SOFT_TOO_SHORT, soft_verdicts
from tracer.contamination.verdict import summarize
from tracer.errors import InputError
from tracer.server import ServerConfig, start_server
from tracer.server.registry import IndexRegistry

MODULES = ["argparse", "textwrap", "string", "difflib", "json.decoder", "shlex"]
ORIG = ("Marisol walks her three dogs around the lake, which is 25 kilometres long, twice a day. "
        "How many kilometres does she walk with her dogs in a month of 30 days?")
PARA = ("Every day Marisol takes her 3 dogs for two walks around a lake that measures 25 km. "
        "Over a 30-day month, what distance in kilometres does she cover with the dogs?")
SAME_TEMPLATE = ("Marisol walks her four cats around the pond, which is 12 kilometres long, three times a day. "
                 "How many kilometres does she walk with her cats in a month of 31 days?")
VERBATIM = ("A library lends out 312 novels in March and a third fewer in April, while returns stay constant "
            "at 250. By how much does the number of books on the shelves change over both months?")


def _items() -> list[BenchItem]:
    return [BenchItem("para", "gsm", "test", ORIG, "#### 1500"),
            BenchItem("other", "gsm", "test", SAME_TEMPLATE, "#### 2232"),
            BenchItem("verbatim", "gsm", "test", VERBATIM, "#### 20")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("soft")
    texts = [inspect.getsource(importlib.import_module(m)) for m in MODULES]
    host = texts[1]
    cut = host.index("\n\n", len(host) // 2) + 2
    texts[1] = host[:cut] + PARA + "\n\n" + host[cut:]
    texts[3] = texts[3][:5000] + "\n" + VERBATIM + "\n" + texts[3][5000:]
    rows = [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)]
    for name, part in (("all", rows), ("a", rows[:3]), ("b", rows[3:])):
        (d / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part))
        tracer.build([str(d / f"{name}.jsonl")], str(d / name), id_field="id", progress=False)
    return d, texts, (cut, cut + len(PARA))


def test_planted_paraphrase_found_with_its_passage(corpus):
    d, texts, (a, b) = corpus
    r = check_items(tracer.open(d / "all"), _items(), CheckOptions(soft=True))[0]
    assert r.match == "soft" and r.contaminated
    m = r.soft
    assert m.doc_id == "d1" and m.document == 1
    assert texts[1][m.start_char : m.end_char] == m.passage  # the document's own characters
    assert a <= m.start_char < m.end_char <= b and m.end_char - m.start_char > 0.6 * (b - a)
    assert m.score >= CheckOptions().soft_cutoff
    pairs = {tuple(p) for p in m.aligned}
    assert ("Marisol", "Marisol") in pairs and ("25", "25") in pairs
    js = r.to_json()
    assert js["match"] == "soft" and js["soft"]["passage"] == m.passage and js["soft"]["start_char"] == m.start_char


def test_same_template_other_numbers_is_not_soft_contaminated(corpus):
    d, _, _ = corpus
    r = check_items(tracer.open(d / "all"), _items(), CheckOptions(soft=True))[1]
    assert not r.contaminated and r.match is None
    assert r.soft is None or r.soft.score < CheckOptions().soft_cutoff


def test_exact_verdicts_identical_with_and_without_soft(corpus):
    d, _, _ = corpus
    index = tracer.open(d / "all")
    items = _items()
    plain = check_items(index, items, CheckOptions())
    soft = check_items(index, items, CheckOptions(soft=True))
    assert [r.match for r in plain] == [None, None, "exact"]
    assert [r.match for r in soft] == ["soft", None, "exact"]
    for p, s in zip(plain, soft, strict=True):
        assert (p.match, p.parts["input"].coverage) == (s.match if s.match != "soft" else None,
                                                       s.parts["input"].coverage)
        assert "soft" not in p.to_json() and "soft" in s.to_json()
    assert soft[2].soft is None  # an exact verdict is final: the item is not soft-searched


def test_bad_items(corpus):
    d, _, _ = corpus
    index = tracer.open(d / "all")
    with pytest.raises(InputError, match="no text"):
        check_items(index, [BenchItem("e", "gsm", "test", "", "")], CheckOptions(soft=True))
    stop = BenchItem("s", "gsm", "test", "what is the one that was to be there, and how is it?", "")
    huge = BenchItem("h", "gsm", "test", " ".join(f"word{i % 977} alpha{i}" for i in range(4000)), "")
    r_stop, r_huge = check_items(index, [stop, huge], CheckOptions(soft=True))
    assert not r_stop.contaminated and r_stop.soft is None
    assert r_stop.to_json()["soft_note"].startswith("soft: too short to judge")
    assert not r_huge.contaminated and r_huge.soft is None and "too long" in r_huge.soft_note
    # the soft search's own refusal, for an item with enough own words but too few for soft search
    assert soft_verdicts(index, [stop], 0.5)[0].note == SOFT_TOO_SHORT
    with pytest.raises(InputError, match="soft-threshold"):
        CheckOptions(soft=True, soft_threshold=1.5)


def test_reports_render_the_soft_tier(corpus):
    d, _, _ = corpus
    index = tracer.open(d / "all")
    opts = CheckOptions(soft=True)
    results = check_items(index, _items(), opts)
    summary = summarize(results)
    assert summary[0]["soft_contaminated"] == 1 and summary[0]["exact_contaminated"] == 1
    doc = results_document({"path": str(d / "all")}, opts.to_json(), summary, [r.to_json() for r in results])
    page = render_html(doc)
    assert "Soft matches" in page and "<td>Marisol</td><td>Marisol</td>" in page
    assert "<mark class='al'>Marisol</mark>" in page  # highlighted in the item and in the passage
    assert page.count("<mark class='al'>Marisol</mark>") >= 2
    md = render_markdown(doc)
    assert "## Soft matches" in md and "| gsm | para |" in md


def test_grpc_and_fanout_equal_the_library(corpus):
    d, _, _ = corpus
    opts = CheckOptions(soft=True)
    items = _items()
    local = [r.to_json() for r in check_items(tracer.open(d / "all"), items, opts)]
    servers = [start_server(IndexRegistry.of({"i": tracer.open(d / name)}), ServerConfig(port=0))
               for name in ("all", "a", "b")]
    try:
        with TracerClient(f"127.0.0.1:{servers[0].port}", timeout=60) as client:
            assert [r.to_json() for r in client.contamination(items, opts)] == local
        # fan-out over two halves: per item the best soft match of the groups, numbered globally
        per_group = [check_items(tracer.open(d / name), items, opts) for name in ("a", "b")]
        with FanOutClient([f"127.0.0.1:{s.port}" for s in servers[1:]], timeout=60) as fan:
            merged = fan.soft_contamination(items, opts)
        bases = [0, tracer.open(d / "a").n_docs]
        for k, r in enumerate(merged):
            found = [(g, rs[k].soft) for g, rs in enumerate(per_group) if rs[k].soft is not None]
            if not found:
                assert r.soft is None
                continue
            g, best = max(found, key=lambda x: (x[1].score, -x[0]))
            assert r.soft is not None and r.soft.score == pytest.approx(best.score)
            assert r.soft.document == best.document + bases[g] and r.soft.passage == best.passage
        assert merged[0].match == "soft" and merged[0].soft.doc_id == "d1" and merged[0].soft.document == 1
        assert merged[2].match == "exact"
    finally:
        for s in servers:
            s.stop(0)


def test_decontaminate_soft_drops_the_paraphrase_document(corpus, tmp_path):
    from tracer.contamination.decontaminate import DecontaminateOptions, decontaminate

    d, texts, _ = corpus
    index = tracer.open(d / "all")
    items = _items()
    out = decontaminate(index, items, tmp_path / "clean", CheckOptions(soft=True),
                        DecontaminateOptions(output_format="jsonl"))
    kept = [json.loads(line)["id"] for p in sorted((tmp_path / "clean").glob("part-*.jsonl"))
            for line in p.read_text().splitlines()]
    assert "d1" not in kept and "d3" not in kept  # the paraphrase's and the verbatim copy's documents
    assert kept == [f"d{i}" for i in range(len(texts)) if i not in (1, 3)]
    assert out.docs_dropped == 2
    plain = decontaminate(index, items, tmp_path / "exact", CheckOptions(), DecontaminateOptions(output_format="jsonl"))
    assert plain.docs_dropped == 1  # without --soft only the verbatim copy goes
    with pytest.raises(InputError, match="--mode drop only"):
        decontaminate(index, items, tmp_path / "m", CheckOptions(soft=True), DecontaminateOptions(mode="mask"))


SOURCE = ("This question refers to the following information. The harbour commissioners of Valparaiso "
          "reported in 1851 that the copper barques from Coquimbo waited eleven days at anchor, because "
          "the guano lighters of the Chincha islands had taken every berth along the mole and the "
          "customs brokers refused to clear cargo before the tide tables were reprinted.")
SIBLING_Q = "Which institution most directly caused the delays of the copper barques described above?"
OWN_Q = "The passage best illustrates which long-term consequence of nitrate speculation for Peruvian banks?"


def test_shared_source_passage_is_not_soft_evidence(tmp_path):
    """Two items of a benchmark share a source passage; the corpus holds a copy of one of them.
    The other item is not soft-contaminated on the passage once the benchmark's shared passages
    are known (without them the passage alone scores far above the threshold)."""
    from tracer.contamination.soft import benchmark_text
    from tracer.query.soft.query import PASSAGE_NGRAM, shared_passages
    from tracer.query.soft.words import words

    texts = [inspect.getsource(importlib.import_module(m)) for m in MODULES[:3]]
    texts[1] = texts[1][:4000] + "\n\n" + SOURCE + "\n" + SIBLING_Q + "\n\n" + texts[1][4000:]
    (tmp_path / "c.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n"
                                              for i, t in enumerate(texts)))
    tracer.build([str(tmp_path / "c.jsonl")], str(tmp_path / "idx"), id_field="id", progress=False)
    index = tracer.open(tmp_path / "idx")
    sibling = BenchItem("s", "hist", "test", SOURCE + "\n" + SIBLING_Q, "")
    mine = BenchItem("m", "hist", "test", SOURCE + "\n" + OWN_Q, "")
    benchmark = benchmark_text([mine, sibling, mine])
    # hand-checked: every PASSAGE_NGRAM-word run of the passage, none reaching into either question
    n_source = len(words(SOURCE))
    assert len(benchmark.passages) == n_source - PASSAGE_NGRAM + 1 == len(shared_passages([SOURCE, SOURCE + " x", SOURCE]))
    assert not shared_passages([SOURCE, SIBLING_Q, OWN_Q])  # nothing shared by two texts
    threshold = CheckOptions().soft_cutoff
    blind = soft_verdicts(index, [mine], threshold)[0].match
    assert blind is not None and blind.score >= 0.8  # the old behaviour: matched on the passage
    seen = soft_verdicts(index, [mine], threshold, benchmark=benchmark)[0].match
    assert seen is None or seen.score < threshold
    # through check_items: the sibling as reference; the copied sibling itself is still found
    r_mine, r_sib = check_items(index, [mine, sibling], CheckOptions(soft=True))
    assert not r_mine.contaminated and r_sib.contaminated
