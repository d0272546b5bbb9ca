"""Soft search (Index.find_similar): planted paraphrases are found with their raw offsets on bytes,
BPE and normalized indexes; a same-template problem with other numbers and names is not; bad input
is refused clearly; the kernels agree with brute force; CLI, gRPC, fan-out and HTTP answer as the
library does."""

from __future__ import annotations

import json
import random
import urllib.request

import numpy as np
import pytest

import tracer
from tracer.errors import InputError
from tracer.query.options import SoftOptions
from tracer.query.soft import TooShortError, too_short
from tracer.query.soft.words import stem, words
from tracer_native import best_aligned_span, cooccurrence_windows

ITEM = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins "
        "for her friends every day with four. She sells the remainder at the farmers' market daily for $2 "
        "per fresh duck egg. How much in dollars does she make every day at the farmers' market?")
# a real-style paraphrase: synonyms, reordering, inserted and deleted words, numbers kept
PARAPHRASE = ("Every single day, Janet’s flock of ducks produces 16 eggs. For her morning breakfast she consumes "
              "three of them, and she uses four to bake muffins for her friends daily. The remaining eggs are sold "
              "at the farmers' market for $2 each. What amount in dollars does she earn at the farmers' market daily?")
# the same template with other numbers and names: another problem
OTHER = ("Marcus's geese lay 31 eggs per day. He eats seven for breakfast every morning and bakes cakes for his "
         "neighbours every day with nine. He sells the remainder at the town market daily for $5 per goose egg. "
         "How much in dollars does he make every day at the town market?")
ITEM2 = ("Kylar went to the store to buy glasses for his new apartment. One glass costs $5, but every second glass "
         "costs only 60% of the price. Kylar wants to buy 16 glasses. How much does he need to pay for them?")
PARA2 = ("Kylar plans to purchase 16 glasses for his new flat, so he visited the shop. A single glass is priced at "
         "$5, however every second glass is priced at just 60% of the cost. How much does he have to pay?")
FILLER = ("The kernel module registers a device driver and allocates memory for its buffers. ",
          "Interrupt handlers must not sleep, so they defer work to a tasklet or a workqueue. ",
          "Configuration options are read at boot from the command line of the system. ",
          "The scheduler picks the next runnable task from the queue of each processor. ")


def corpus_texts() -> list[str]:
    rng = random.Random(5)
    texts = ["".join(rng.choice(FILLER) for _ in range(rng.randrange(3, 12))) for _ in range(60)]
    texts[11] = texts[11] + "\n\n" + PARAPHRASE + "\n\n" + texts[12]  # as a paragraph
    texts[23] = "Notes: " + OTHER + " " + texts[23]
    cut = texts[40].find(". ") + 2
    texts[40] = texts[40][:cut] + PARA2 + " " + texts[40][cut:]  # inline, mid-document
    texts[47] = "Caf\u00e9 notes \u2014 " + texts[47]
    return texts


def write_corpus(d, texts):
    p = d / "c.jsonl"
    p.write_text("".join(json.dumps({"id": f"doc-{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    return p


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("soft")
    texts = corpus_texts()
    return d, write_corpus(d, texts), texts


@pytest.fixture(scope="module")
def bytes_index(corpus):
    d, path, _ = corpus
    tracer.build([str(path)], str(d / "idx-bytes"), id_field="id", progress=False)
    return tracer.open(d / "idx-bytes")


@pytest.fixture(scope="module")
def bpe_index(corpus, bpe_tokenizer):
    d, path, _ = corpus
    tracer.build([str(path)], str(d / "idx-bpe"), tokenizer=str(bpe_tokenizer), id_field="id", progress=False)
    return tracer.open(d / "idx-bpe")


@pytest.fixture(scope="module")
def norm_index(corpus):
    d, path, _ = corpus
    tracer.build([str(path)], str(d / "idx-norm"), id_field="id", normalize=True, progress=False)
    return tracer.open(d / "idx-norm")


def check_found(index, texts, item, doc_no, needle):
    matches = index.find_similar(item, 5)
    assert matches, "planted paraphrase not found"
    m = matches[0]
    assert m.document == doc_no and m.doc_id == f"doc-{doc_no}"
    assert texts[doc_no][m.start_char : m.end_char] == m.passage
    assert index.document(doc_no).text[m.start_char : m.end_char] == m.passage
    assert needle in m.passage
    assert 0.0 < m.score <= 1.0 and m.score >= SoftOptions().score_threshold
    assert all(d.document != 23 for d in matches), "a same-template problem with other numbers matched"
    return m


@pytest.mark.parametrize("kind", ["bytes", "bpe", "norm"])
def test_planted_paraphrases_found_with_offsets(kind, request, corpus):
    index = request.getfixturevalue(f"{kind}_index")
    texts = corpus[2]
    m = check_found(index, texts, ITEM, 11, "produces 16 eggs")
    pairs = {tuple(p) for p in m.aligned}
    assert ("16", "16") in pairs and ("eats", "consumes") in pairs and ("remainder", "remaining") in pairs
    m2 = check_found(index, texts, ITEM2, 40, "Kylar plans to purchase 16 glasses")
    assert ("buy", "purchase") in {tuple(p) for p in m2.aligned}


def test_same_template_with_other_numbers_is_not_a_match(bytes_index):
    """OTHER is in the corpus; the item shares its template but not its numbers or names."""
    loose = bytes_index.find_similar(ITEM, 10, threshold=0.0)
    other = [m for m in loose if m.document == 23]
    real = [m for m in loose if m.document == 11]
    assert real and real[0].score >= SoftOptions().score_threshold
    assert not other or other[0].score < SoftOptions().score_threshold <= real[0].score
    # and queried with OTHER itself, that one is found (exactly present: highest score)
    top = bytes_index.find_similar(OTHER, 1)[0]
    assert top.document == 23 and top.score > 0.9


def test_reordering_tolerated(bytes_index, corpus):
    sentences = ITEM.split(". ")
    shuffled = ". ".join([sentences[2], sentences[0], sentences[3], sentences[1]])
    m = check_found(bytes_index, corpus[2], shuffled, 11, "16 eggs")
    assert m.score >= SoftOptions().score_threshold


def test_batch_equals_single(bytes_index):
    many = bytes_index.find_similar_many([ITEM, ITEM2, OTHER], 3)
    assert [[x.to_json() for x in r] for r in many[:2]] == [
        [x.to_json() for x in bytes_index.find_similar(t, 3)] for t in (ITEM, ITEM2)]
    assert bytes_index.find_similar_many([ITEM], 0) == [[]]


def test_bad_input(bytes_index):
    for text in ("", "   ", "the of and to it is", "a b c"):
        assert too_short(text)
        with pytest.raises(TooShortError, match="too short to judge"):
            bytes_index.find_similar(text)
    assert not too_short(ITEM)
    with pytest.raises(InputError, match="too long"):
        bytes_index.find_similar("word " * 6000)
    with pytest.raises(TooShortError, match="text 1: soft query is too short"):
        bytes_index.find_similar_many([ITEM, "the and"])
    with pytest.raises(InputError, match="must be text"):
        bytes_index.find_similar(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="threshold"):
        SoftOptions(threshold=1.5)
    with pytest.raises(InputError, match="limit"):
        bytes_index.find_similar(ITEM, -1)
    with pytest.raises(InputError, match="not a directory"):
        bytes_index.find_similar(ITEM, model="/no/such/model-dir")


def test_words_and_stems():
    assert [w.key for w in words("Ducks laid 80,000 eggs; three hikes")] == ["duck", "laid", "#80000", "egg", "#3",
                                                                            "hik"]
    assert stem("purchases") == stem("buying") == "buy"
    assert stem("hiking") == stem("hike") == stem("hiked")
    assert stem("speed") == "speed" and stem("class") == "class"
    assert [w.text for w in words("has_close_elements camelCase")] == ["has", "close", "elements", "camel", "Case"]


def test_question_wording_swaps_align(bytes_index):
    """Rephrasings swap the wording of a question about a claim or a study ("study" / "research",
    "suggested" / "proposes", "argued" / "contended"): those words align, so a stem whose evidence
    is its few content words still reaches the threshold; an unrelated question does not."""
    from tracer.query.soft import verify
    from tracer.query.soft.query import WordStats, check_text, soft_query

    item = "Harrowby's study of seasonal orchard labour suggested that pickers:"
    rephrased = "Did Harrowby's research on seasonal orchard labour propose that the pickers were"
    other = "Which study of harbour cranes suggested that dockers were paid by the hour?"
    ws = check_text(item)
    stats = WordStats(bytes_index)
    stats.prepare(ws)
    q = soft_query(item, ws, stats)
    score, _, _, aligned = verify(q, rephrased)
    assert {("study", "research"), ("suggested", "propose")} <= {tuple(p) for p in aligned}
    assert score >= SoftOptions().score_threshold
    assert verify(q, other)[0] < SoftOptions().score_threshold
    assert stem("argued") == stem("contended") == stem("claims") and stem("idea") == stem("concepts")


# -- kernels against brute force ---------------------------------------------------------------------


def test_cooccurrence_windows_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(30):
        n = int(rng.integers(1, 60))
        pos = np.sort(rng.choice(500, n, replace=False)).astype(np.int64)
        wid = rng.integers(0, 5, n).astype(np.int32)
        doc = (pos // 200).astype(np.int64)
        weights = rng.uniform(0.5, 3, 5)
        width, min_score = int(rng.integers(5, 80)), float(rng.uniform(0, 6))
        s, a, b = cooccurrence_windows(pos, wid, doc, weights, width, min_score, 4)
        # brute force: each hit j ends a window from the first hit i within width in its document
        cands = []
        for j in range(n):
            i = min(k for k in range(j + 1) if pos[j] - pos[k] <= width and doc[k] == doc[j])
            score = sum(weights[w] for w in set(wid[i : j + 1].tolist()))
            if score >= min_score - 1e-9:
                cands.append((score, pos[i], pos[j]))
        cands.sort(key=lambda c: -c[0])
        kept: list[tuple] = []
        for c in cands:
            if len(kept) < 4 and not any(c[1] <= k[2] and k[1] <= c[2] for k in kept):
                kept.append(c)
        assert np.allclose(s, [k[0] for k in kept])
        assert [float(x) for x in s] == sorted((float(x) for x in s), reverse=True)


def test_best_aligned_span_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(40):
        nk, n = int(rng.integers(1, 6)), int(rng.integers(1, 25))
        key = rng.integers(-1, nk, n).astype(np.int64)
        number = rng.random(n) < 0.2
        content = ~number & (rng.random(n) < 0.7)
        number_w = np.where(number, 1.0, 0.0)
        kw = rng.uniform(0, 3, nk) * (rng.random(nk) < 0.9)
        knw = np.where(rng.random(nk) < 0.3, 1.0, 0.0)
        signal = rng.random(nk) < 0.8
        max_len, total, min_keys = int(rng.integers(1, 30)), float(kw.sum()) or 1.0, 2.0
        got = best_aligned_span(key, content, number_w, kw, knw, signal, max_len, total, min_keys, 1.0, 0.2)
        item_num = float(knw[kw > 0].sum())
        best = (0.0, -1, -1)
        scores = {}
        for a in range(n):
            for b in range(a, min(n, a + max_len)):
                if key[a] < 0 or key[b] < 0 or kw[key[a]] <= 0 or kw[key[b]] <= 0:
                    continue
                ks = {int(k) for k in key[a : b + 1] if k >= 0 and kw[k] > 0}
                rec = sum(kw[k] for k in ks) / total
                words_c = sum(1 for t in range(a, b + 1) if content[t] and (key[t] < 0 or kw[key[t]] <= 0
                                                                            or signal[key[t]]))
                aligned = sum(1 for t in range(a, b + 1) if content[t] and key[t] >= 0 and kw[key[t]] > 0
                              and signal[key[t]])
                prec = aligned / words_c if words_c else 0.0
                if rec <= 0 or prec <= 0:
                    continue
                f = 2 * prec * rec / (prec + rec)
                other = sum(number_w[t] for t in range(a, b + 1) if key[t] < 0 or kw[key[t]] <= 0)
                shared = sum(knw[k] for k in ks)
                jac = 1.0 if item_num + other <= 0 else shared / (item_num + other)
                s = f * min(1.0, sum(1 for k in ks if signal[k]) / min_keys) * (0.2 + 0.8 * jac)
                scores[(a, b)] = s
                if s > best[0]:
                    best = (s, a, b)
        assert got[0] == pytest.approx(best[0])
        if best[1] >= 0:  # the span it names scores what it says (ties may name another best span)
            assert scores[(got[1], got[2])] == pytest.approx(best[0])


# -- surfaces ----------------------------------------------------------------------------------------


def test_cli_find_soft(bytes_index, tracer_cli, expect_cli_error):
    run_cli = tracer_cli
    idx = str(bytes_index.path)
    out = run_cli("find", "--index", idx, "--soft", ITEM, "--limit", "2", "--format", "json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["matches"] == [m.to_json() for m in bytes_index.find_similar(ITEM, 2)]
    text = run_cli("find", "--index", idx, "--soft", ITEM, "--soft-threshold", "0.3")
    assert text.returncode == 0 and "doc-11" in text.stdout and "eats~consumes" in text.stdout
    expect_cli_error(run_cli("find", "--index", idx, "--soft", "the and of"), "too short to judge")
    expect_cli_error(run_cli("find", "--index", idx, "--soft", ITEM, "--soft-threshold", "7"), "threshold")


def test_grpc_and_fanout_equal_local(tmp_path, corpus, bytes_index):
    from tracer.client import FanOutClient, TracerClient
    from tracer.server import ServerConfig, start_server
    from tracer.server.registry import IndexRegistry

    texts = corpus[2]
    halves = [texts[:30], texts[30:]]
    groups = []
    for g, part in enumerate(halves):
        p = tmp_path / f"g{g}.jsonl"
        p.write_text("".join(json.dumps({"id": f"doc-{i + 30 * g}", "text": t}) + "\n" for i, t in enumerate(part)))
        tracer.build([str(p)], str(tmp_path / f"idx{g}"), id_field="id", progress=False)
        groups.append(tracer.open(tmp_path / f"idx{g}"))
    servers = [start_server(IndexRegistry.of({"idx": ix}), ServerConfig(port=0, max_workers=2))
               for ix in [bytes_index, *groups]]
    try:
        with TracerClient(f"127.0.0.1:{servers[0].port}", timeout=30) as c:
            assert [m.to_json() for m in c.find_similar(ITEM, 3)] == [m.to_json() for m in bytes_index.find_similar(ITEM, 3)]
            many = c.find_similar_many([ITEM, ITEM2], 2, SoftOptions(threshold=0.2))
            assert [[m.to_json() for m in r] for r in many] == [
                [m.to_json() for m in r] for r in bytes_index.find_similar_many([ITEM, ITEM2], 2, threshold=0.2)]
            import grpc

            with pytest.raises(grpc.RpcError) as e:
                c.find_similar("the of")
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with FanOutClient([f"127.0.0.1:{s.port}" for s in servers[1:]], timeout=30) as fan:
            got = fan.find_similar_many([ITEM, ITEM2], 3, threshold=0.1)
        for r, text in zip(got, [ITEM, ITEM2], strict=True):
            expect = [m.to_json() for m in groups[0].find_similar(text, 3, threshold=0.1)]
            expect += [{**m.to_json(), "document": m.document + groups[0].n_docs}
                       for m in groups[1].find_similar(text, 3, threshold=0.1)]
            expect.sort(key=lambda m: (-m["score"], m["document"], m["start_char"]))
            assert [m.to_json() for m in r] == expect[:3]
        assert got[0][0].document == 11 and got[1][0].document == 40
    finally:
        for s in servers:
            s.stop(0)


def test_http_find_similar(bytes_index):
    from web_helpers import http_server

    with http_server(bytes_index) as srv:
        body = json.dumps({"index": "idx", "texts": [ITEM], "limit": 2}).encode()
        req = urllib.request.Request(srv.url + "/v1/FindSimilar", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            got = json.loads(r.read())
    want = bytes_index.find_similar(ITEM, 2)
    matches = got["results"][0]["matches"]
    assert [(m["docId"], int(m["startChar"]), int(m["endChar"]), m["passage"]) for m in matches] == [
        (m.doc_id, m.start_char, m.end_char, m.passage) for m in want]


def test_batch_template_words_weigh_little(bytes_index):
    """Words in a 5-word run shared by many texts of a batch are template text: a tenth of their
    weight and no evidence; each text's own words keep theirs; small batches are left alone."""
    from tracer.query.soft.query import WordStats, check_text, soft_query, template_factors

    stem_text = "For which of these two scenarios does the main character do something morally wrong"
    texts = [f"{stem_text}? Scenario {i}: I painted the gl{c}mp fence near the lake."
             for i, c in enumerate("abcdefghijklmnopqrstuvwxy")]
    stats = WordStats(bytes_index)
    qs = [soft_query(t, check_text(t), stats) for t in texts]
    before = [q.weight.copy() for q in qs]
    template_factors(qs[:5])  # under 20 texts: unchanged
    assert all(np.array_equal(q.weight, b) for q, b in zip(qs, before, strict=True))
    template_factors(qs)
    q, b = qs[0], before[0]
    ids = q.key_id
    for word in map(stem, ("scenario", "character", "morally")):
        assert q.weight[ids[word]] == pytest.approx(0.1 * b[ids[word]]) and not q.signal[ids[word]]
    for word in ("glamp", "fenc", "paint"):  # no 5-word run around them is shared
        assert q.weight[ids[word]] == b[ids[word]] and q.signal[ids[word]]
    assert q.weight[ids["#0"]] == b[ids["#0"]]  # numbers are never template


def test_import_lines_are_template(bytes_index):
    """Words found only on code import lines ("from typing import List, Tuple") weigh a tenth and
    are no evidence: many unrelated programs start with them. A word also used elsewhere in the
    prompt (List in the signature) keeps its weight; prose starting with "Import" is not code."""
    from tracer.query.soft.query import WordStats, check_text, soft_query

    code = ("from typing import List, Optional\nimport itertools\n\n\n"
            "def longest_plateau(heights: List[int]) -> int:\n"
            "    \"\"\" Length of the longest run of equal neighbouring heights.\n"
            "    Import duties on granite are ignored.\n    \"\"\"\n")
    stats = WordStats(bytes_index)
    q = soft_query(code, check_text(code), stats)
    ids = q.key_id
    raw = {k: stats.weight(q.first[k]) for k in q.keys}
    for word in map(stem, ("typing", "optional", "itertools")):
        assert q.weight[ids[word]] == pytest.approx(0.1 * raw[word]) and not q.signal[ids[word]]
    for word in map(stem, ("list", "import", "plateau", "neighbouring")):
        assert q.weight[ids[word]] == raw[word] and q.signal[ids[word]]
    prose = "Import duties on granite rose sharply\nfrom the quarry owners' point of view"
    qp = soft_query(prose, check_text(prose), stats)
    assert qp.signal.sum() == len([k for k in qp.keys if not qp.first[k].stop and not qp.first[k].number])


def test_offsets_hold_after_multibyte_text(tmp_path):
    """A soft region cut inside a 3-byte character (Korean text just before the passage, at each of
    the 3 byte alignments) still gives the document's own offsets: text[start:end] == passage."""
    texts = [("설명서의 번역입니다" * 40) + "x" * k + PARAPHRASE + " 끝" for k in range(3)] + list(FILLER)
    index_dir = tmp_path / "idx"
    tracer.build([str(write_corpus(tmp_path, texts))], str(index_dir), id_field="id", progress=False)
    index = tracer.open(index_dir)
    matches = index.find_similar(ITEM, 10, threshold=0.0)
    assert sorted(m.document for m in matches if "16 eggs" in m.passage) == [0, 1, 2]
    for m in matches:
        assert index.document(m.document).text[m.start_char : m.end_char] == m.passage, m
