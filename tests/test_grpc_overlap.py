"""gRPC Overlap: posted documents against a served index answer exactly as the in-process call;
bad input gets INVALID_ARGUMENT."""

from __future__ import annotations

import json
import random

import grpc
import pytest

import tracer
from tracer.client import TracerClient
from tracer.contamination.overlap import OverlapOptions
from tracer.server import ServerConfig, start_server
from tracer.server.registry import IndexRegistry

WORDS = ["alpha", "beta", "gamma", "delta", "café", "zeta", "eta", "theta", "def", "self", "(", ")", ":"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    d = tmp_path_factory.mktemp("grpc_overlap")
    rng = random.Random(3)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 80))) for _ in range(200)]
    (d / "c.jsonl").write_text("".join(json.dumps({"id": f"doc-{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False, shard_tokens=5000)
    index = tracer.open(d / "idx")
    srv = start_server(IndexRegistry.of({"idx": index}), ServerConfig(port=0, max_workers=2))
    docs = [(f"q{i}", " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 60)))) for i in range(20)]
    docs.append(("copy", texts[7]))
    yield index, srv, docs
    srv.stop(0)


def test_grpc_overlap_equals_in_process(served):
    index, srv, docs = served
    opts = OverlapOptions(ngram=4, max_documents=5, thresholds=(0.2, 0.9))
    local_rows, local_summary = index.overlap(docs, opts)
    with TracerClient(f"127.0.0.1:{srv.port}", timeout=30) as c:
        rows, summary = c.overlap(docs, opts)
        default_rows, _ = c.overlap([t for _, t in docs])
    assert [r.to_json() for r in rows] == [r.to_json() for r in local_rows]
    assert summary == json.loads(json.dumps(local_summary))
    assert rows[-1].share == 1.0 and "doc-7" in rows[-1].a_documents
    assert [r.to_json()["share"] for r in default_rows] == [r.to_json()["share"] for r in index.overlap(docs)[0]]


def test_grpc_overlap_bad_input(served):
    _, srv, _ = served
    with TracerClient(f"127.0.0.1:{srv.port}", timeout=30) as c:
        with pytest.raises(grpc.RpcError) as e:
            c.overlap([("a", "   ")])
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as e:
            c.overlap(["some text here"], ngram=0)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
