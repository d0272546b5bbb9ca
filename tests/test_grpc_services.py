"""gRPC Trace and ScoreMembership: remote answers equal the library's, plus independent oracles
(a brute-force count for each traced span; the loss formula by hand), and their status codes."""

from __future__ import annotations

import json
import math
import random

import grpc
import numpy as np
import pytest
from conftest import brute_count_bytes as brute_count

import tracer
from tracer.client import TracerClient
from tracer.contamination import BenchItem, CheckOptions, check_items
from tracer.membership import score as library_score
from tracer.server import ServerConfig, start_server
from tracer.server.registry import IndexRegistry
from tracer.v1 import tracer_pb2 as pb

WORDS = ["river", "stone", "lantern", "orbit", "maple", "quartz", "velvet", "harbor", "cinder", "meadow"]


def _doc(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."




@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    rng = random.Random(3)
    texts = [_doc(rng, rng.randrange(20, 60)) for _ in range(150)]
    texts[17] = "The committee approved the unusual budget for the northern lighthouse restoration in spring."
    texts[90] = "Quantum marmalade recipes require seventeen precise stirs under a copper moon."
    d = tmp_path_factory.mktemp("grpc_s")
    (d / "c.jsonl").write_text("".join(json.dumps({"id": f"s{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False)
    index = tracer.open(d / "idx")
    srv = start_server(IndexRegistry.of({"s": index}), ServerConfig(port=0))
    client = TracerClient(f"127.0.0.1:{srv.port}", timeout=30)
    yield texts, index, client, srv
    client.close()
    srv.stop(0)


def code_of(fn) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as e:
        fn()
    return e.value.code()


# -- Trace -------------------------------------------------------------------------------------


OUTPUT = ("As the model wrote: the committee approved the unusual budget for the northern lighthouse "
          "restoration, then noted that quantum marmalade recipes require seventeen precise stirs. Done.")


@pytest.mark.parametrize("options", [
    {},
    {"all_spans": True},
    {"rank": "length", "k": 2, "max_docs": 1, "context": 10},
    {"max_count": 1, "min_len": 30, "delimiters": "\n"},
])
def test_trace_equals_index(setup, options):
    texts, index, client, _ = setup
    remote = client.trace(OUTPUT, **options)
    assert remote == index.trace(OUTPUT, **options)
    assert remote.spans, "the planted passages must be traced"
    for span in remote.spans:
        assert OUTPUT[span.start_char : span.end_char] == span.text
        assert span.count == brute_count(texts, span.text)
        for doc in span.documents:
            assert span.text in texts[doc.doc_index] and doc.doc_id == f"s{doc.doc_index}"


def test_trace_finds_the_planted_documents(setup):
    _, _, client, _ = setup
    docs = {d.doc_id for s in client.trace(OUTPUT, all_spans=True).spans for d in s.documents}
    assert {"s17", "s90"} <= docs


def test_trace_status_codes(setup):
    _, _, client, _ = setup
    assert code_of(lambda: client.trace("")) == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: client.trace("some text", rank="bogus")) == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: client.trace("some text", max_count=0)) == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: client.trace("x" * 1_000_001)) == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert code_of(lambda: client.trace("some text", max_docs=1_000_000)) == grpc.StatusCode.RESOURCE_EXHAUSTED


# -- ScoreMembership -----------------------------------------------------------------------------


def _rows(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        t = int(rng.integers(2, 40))
        lp = (-rng.exponential(2.0, t)).tolist()
        lp[0] = None  # first token unscored, as without a BOS
        row = {"id": f"r{i}", "token_ids": rng.integers(0, 255, t).tolist(), "logprobs": lp}
        if i % 2:
            row["logprob_mean"] = (-rng.exponential(3.0, t)).tolist()
            row["logprob_var"] = rng.exponential(1.0, t).tolist()
            row["text"] = f"text number {i}"
        rows.append(row)
    return rows


def test_score_equals_library_and_formula(setup):
    _, index, client, _ = setup
    rows = _rows(12, seed=5)
    remote = client.score(rows, k=0.3, a=0.02)
    assert remote == library_score(index, rows, k=0.3, a=0.02)
    for row, s in zip(rows, remote, strict=True):
        lp = [x for x in row["logprobs"] if x is not None]
        assert s.loss == pytest.approx(sum(lp) / len(lp), rel=1e-12)
        assert s.n_tokens == len(lp) and s.id == row["id"]
        assert (s.min_k_pp is None) == ("logprob_mean" not in row)
        assert s.dc_pdd is not None


def test_score_status_codes(setup):
    _, _, client, _ = setup
    good = _rows(1, seed=1)[0]
    with pytest.raises(tracer.errors.InputError, match=r"rows\[0\]: field 'logprobs'"):  # checked before sending
        client.score([{**good, "logprobs": [0.5] * len(good["token_ids"])}])
    stub = client.stub
    bad_lp = pb.ScoreRequest(items=[pb.ScoreItem(token_ids=pb.TokenIds(data=b"\x01\x02", dtype=pb.TOKEN_DTYPE_UINT8),
                                                 logprobs=np.array([-1.0, 2.0]).tobytes())])
    assert code_of(lambda: stub.ScoreMembership(bad_lp)) == grpc.StatusCode.INVALID_ARGUMENT
    short = pb.ScoreRequest(items=[pb.ScoreItem(token_ids=pb.TokenIds(data=b"\x01\x02", dtype=pb.TOKEN_DTYPE_UINT8),
                                                logprobs=np.array([-1.0]).tobytes())])
    assert code_of(lambda: stub.ScoreMembership(short)) == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: client.score([good], k=0.0)) == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: client.score([good], tokenizer_fingerprint="hf-other")) == \
        grpc.StatusCode.FAILED_PRECONDITION
    outside = {**good, "token_ids": [300] * len(good["token_ids"])}  # beyond the bytes vocabulary
    assert code_of(lambda: client.score([outside])) == grpc.StatusCode.FAILED_PRECONDITION
    assert code_of(lambda: client.score_texts(["no model here"])) == grpc.StatusCode.FAILED_PRECONDITION


def test_score_texts_with_a_server_side_model(setup):
    torch = pytest.importorskip("torch")
    from tracer.membership.adapters import LogitsModelAdapter

    _, index, _, _ = setup
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Embedding(256, 16), torch.nn.Linear(16, 256))
    adapter = LogitsModelAdapter(model, index.tokenizer, batch_size=4)
    texts = ["river stone lantern.", "an unseen sentence about nothing", "quartz"]
    with start_server(IndexRegistry.of({"s": index}), ServerConfig(port=0, model=adapter)) as srv, \
            TracerClient(f"127.0.0.1:{srv.port}") as c:
        remote = c.score_texts(texts, ids=["a", "b", "c"])
    local = library_score(index, adapter.score_inputs(texts, ["a", "b", "c"]))
    assert remote == local
    assert all(s.loss is not None and math.isfinite(s.loss) for s in remote)


# -- CheckContamination --------------------------------------------------------------------------


def _items(texts: list[str]) -> list[BenchItem]:
    seen = [BenchItem(f"seen{i}", "toy", "test", texts[i], "") for i in (17, 90)]
    part = [BenchItem("half", "toy", "test", texts[17][:60] + " but then a wholly invented ending about owls", "")]
    novel = [BenchItem(f"new{i}", "toy", "test", f"Completely novel question {i} about purple giraffes?", "42")
             for i in range(3)]
    return seen + part + novel


@pytest.mark.parametrize("options", [None, CheckOptions(ngram=4, method="longest", max_documents=1),
                                     CheckOptions(part="input", context=5, skip_budget=0)])
def test_contamination_equals_library(setup, options):
    texts, index, client, _ = setup
    items = _items(texts)
    local = check_items(index, items, options)
    assert client.contamination(items, options) == local
    assert list(client.contamination_stream(items, options)) == local
    by_id = {r.item.id: r for r in local}
    # oracle: items copied from the corpus are fully covered and found in their own document
    for i in (17, 90):
        r = by_id[f"seen{i}"]
        assert r.contaminated and r.parts["input"].coverage == 1.0
        assert r.documents[0].doc_id == f"s{i}"
    assert not by_id["new0"].contaminated and by_id["new0"].parts["input"].coverage == 0.0


def test_contamination_stream_keeps_item_order(setup):
    texts, index, client, _ = setup
    items = _items(texts) * 5
    for n, it in enumerate(items):
        items[n] = BenchItem(f"{it.id}-{n}", it.benchmark, it.split, it.input, it.label)
    got = list(client.contamination_stream(items))
    assert [r.item.id for r in got] == [it.id for it in items]
    assert got == check_items(index, items)


def test_contamination_status_codes(setup):
    _, _, client, _ = setup
    INVALID = grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: client.contamination([{"id": "e", "input": "", "label": ""}])) == INVALID
    bad_method = pb.ContaminationRequest(items=[pb.BenchItem(input="some text here")],
                                         options=pb.ContaminationOptions(method="vibes"))
    assert code_of(lambda: client.stub.CheckContamination(bad_method)) == INVALID
    assert code_of(lambda: list(client.stub.StreamContamination(bad_method))) == INVALID
    assert code_of(lambda: client.contamination([{"input": "x" * 2_000_000}])) == grpc.StatusCode.RESOURCE_EXHAUSTED


# -- the contract carries every field of the library's result types ---------------------------------


def test_every_library_field_has_a_proto_field():
    """A field added to a library result must be added to the proto too, or remote answers would drop it."""
    import dataclasses

    from tracer.contamination import DocumentMatch, ItemResult, MatchedSpan, PartMetrics
    from tracer.index.reader import DocumentRecord
    from tracer.membership import MembershipScore
    from tracer.membership.inputs import ScoreInput
    from tracer.query.documents import DocSpan
    from tracer.query.trace import TracedSpan, TraceResult
    from tracer.query.trace_docs import TracedDocument

    pairs = [(DocSpan, pb.DocSpan), (DocumentRecord, pb.Document), (TracedSpan, pb.TracedSpan),
             (TracedDocument, pb.TracedDocument), (TraceResult, pb.TraceResponse),
             (MembershipScore, pb.MembershipScore), (ScoreInput, pb.ScoreItem), (BenchItem, pb.BenchItem),
             (PartMetrics, pb.PartMetrics), (MatchedSpan, pb.MatchedSpan), (DocumentMatch, pb.DocumentMatch),
             (ItemResult, pb.ItemResult), (CheckOptions, pb.ContaminationOptions)]
    carried_elsewhere = {("ScoreInput", "tokenizer_fingerprint")}  # inside ScoreItem.token_ids
    for cls, msg in pairs:
        names = set(msg.DESCRIPTOR.fields_by_name)
        for f in dataclasses.fields(cls):
            if (cls.__name__, f.name) in carried_elsewhere:
                continue
            assert f.name in names or f"{f.name}_json" in names, f"{cls.__name__}.{f.name} is missing in {msg.__name__}"
