"""Issue 13 over gRPC: Ngram, InfgramLogprobs, Search and the reference scores answer as the library does,
and the fan-out client over two shard groups answers as one server holding the whole index (counts add;
the ∞-gram back-off is taken on the merged counts)."""

from __future__ import annotations

import random
from dataclasses import replace

import grpc
import numpy as np
import pytest
from conftest import make_texts, write_jsonl

import tracer
from tracer.client import TracerClient, connect
from tracer.membership import score_inputs
from tracer.membership.inputs import ScoreInput
from tracer.membership.options import ScoreOptions
from tracer.server import ServerConfig, start_server
from tracer.server.registry import IndexRegistry

TOKEN = "ngram-" + "z" * 26


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("grpc_ngram")
    texts = make_texts(80, seed=5, max_words=40)
    half = len(texts) // 2
    for name, part, base in (("whole", texts, 0), ("a", texts[:half], 0), ("b", texts[half:], half)):
        write_jsonl(d / f"{name}.jsonl", [{"id": f"doc-{base + i}", "text": t} for i, t in enumerate(part)])
        tracer.build([str(d / f"{name}.jsonl")], str(d / name), id_field="id", progress=False,
                     **({"shard_tokens": 1500} if name == "whole" else {}))
    servers = [start_server(IndexRegistry.of({"idx": tracer.open(d / n)}),
                            ServerConfig(port=0, token=TOKEN.encode(), max_workers=4)) for n in ("whole", "a", "b")]
    single = TracerClient(f"127.0.0.1:{servers[0].port}", token=TOKEN, timeout=60)
    fan = connect([f"127.0.0.1:{s.port}" for s in servers[1:]], token=TOKEN, timeout=60)
    yield texts, tracer.open(d / "whole"), single, fan
    single.close()
    fan.close()
    for s in servers:
        s.stop(0)


def _contexts(texts: list[str], rng: random.Random) -> list[str]:
    out = ["", "the", "zqzq the", "qqqq"]
    for _ in range(10):
        t = rng.choice([t for t in texts if len(t) > 30])
        a = rng.randrange(0, len(t) - 20)
        out.append(t[a:a + rng.randrange(1, 15)])
        out.append("xq" + t[a:a + rng.randrange(3, 12)])  # unseen start: the back-off must shorten
    return out


def test_ngram_remote_and_fanout_equal_the_index(setup):
    texts, index, single, fan = setup
    rng = random.Random(3)
    for ctx in _contexts(texts, rng):
        for tok in ("e", " ", "t"):
            for kind in ("prob", "infgram_prob"):
                want = getattr(index, kind)(ctx, tok)
                assert getattr(single, kind)(ctx, tok) == want, (kind, ctx, tok)
                assert getattr(fan, kind)(ctx, tok) == want, (kind, ctx, tok)
        for kind in ("ntd", "infgram_ntd"):
            want = getattr(index, kind)(ctx, max_support=10**5)
            assert getattr(single, kind)(ctx, max_support=10**5) == want
            got = getattr(fan, kind)(ctx, max_support=10**5)
            assert got == want, (kind, ctx)
    ids = list(b"the ")
    assert fan.prob(ids[:-1], ids[-1]) == index.prob(ids[:-1], ids[-1])


def test_fanout_ntd_over_max_support_is_marked_approximate(setup):
    _, index, _, fan = setup
    exact = index.ntd("e")
    got = fan.ntd("e", max_support=50)
    assert got.approximate and got.count_context == exact.count_context
    assert got.support == 50 and sum(c.count for c in got.continuations) + got.doc_end == 50


def test_infgram_logprobs_remote_and_fanout(setup):
    texts, index, single, fan = setup
    rng = random.Random(9)
    for _ in range(4):
        t = rng.choice(texts)
        text = t[: len(t) // 2] + " zqxj vwkp " + rng.choice(texts)[:40]
        for max_suffix in (None, 1, 3):
            want = index.infgram_logprobs(text, max_suffix)
            for client in (single, fan):
                got = client.infgram_logprobs(text, max_suffix)
                for f in ("token_ids", "suffix_len", "count_context", "count_full", "token_count"):
                    assert np.array_equal(getattr(got, f), getattr(want, f)), (f, max_suffix)
                assert got.n_doc_tokens == want.n_doc_tokens
                assert np.allclose(got.logprobs, want.logprobs, rtol=1e-12, atol=0)


def _doc(d):
    return replace(d, shard=0, meta={k: v for k, v in d.meta.items() if k not in ("source", "line")})


def test_search_remote_and_fanout(setup):
    _, index, single, fan = setup
    for query, opts in (("the AND (a OR an)", {}), ("the AND (a OR an)", {"window": 6, "limit": 7}),
                        ([["the"], [list(b"an"), "a"]], {"limit": 3}), ("qqqz AND the", {})):
        want = index.search(query, **opts)
        assert single.search(query, **opts) == want
        got = fan.search(query, **opts)
        assert (got.count, got.approximate, got.clause_counts) == (want.count, want.approximate, want.clause_counts)
        assert [_doc(d) for d in got.documents] == [_doc(d) for d in want.documents]
    approx = fan.search("e AND a", max_clause_freq=5)
    assert approx.approximate


def test_score_reference_scores_over_grpc(setup):
    texts, index, single, _ = setup
    rng = random.Random(1)
    rows = []
    for i, t in enumerate(texts[:5]):
        ids = np.frombuffer(t.encode(), dtype=np.uint8).astype(np.int64)
        lp = np.array([np.nan] + [-rng.random() * 3 for _ in range(len(ids) - 1)])
        rows.append(ScoreInput(str(i), ids, lp, text=t, prefix_logprobs=lp - 0.5))
    want = score_inputs(index, rows, options=ScoreOptions(reference_scores=True))
    got = single.score(rows, reference_scores=True)
    assert got == want and got[0].infgram_ref is not None and got[0].recall is not None
    plain = single.score(rows)
    assert plain[0].infgram_ref is None and "infgram_ref" not in plain[0].to_json()


def test_bad_requests(setup):
    _, _, single, _ = setup
    from tracer.v1 import tracer_pb2 as pb

    with pytest.raises(grpc.RpcError) as e:
        single.call("Ngram", pb.NgramRequest(index="", context=pb.Query(text="a")))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "kind" in e.value.details()
    for call in (lambda: single.prob("a", "ab"), lambda: single.ntd("a", max_support=0),
                 lambda: single.search("a AND ("), lambda: single.search("a", window=-1)):
        with pytest.raises(grpc.RpcError) as e:
            call()
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_every_ngram_field_has_a_proto_field():
    """As test_grpc_services' check: a field added to these results must travel too."""
    import dataclasses

    from tracer.query.ngram import Continuation, InfgramLogprobs, NextTokenDistribution, NgramProb
    from tracer.query.options import NgramOptions, SearchOptions
    from tracer.query.search import SearchDocument, SearchResult, TermMatch
    from tracer.v1 import tracer_pb2 as pb

    pairs = [(NgramProb, pb.NgramProb), (Continuation, pb.Continuation), (NextTokenDistribution, pb.NextTokenDistribution),
             (InfgramLogprobs, pb.InfgramLogprobsResponse), (SearchResult, pb.SearchResponse),
             (SearchDocument, pb.SearchDocument), (TermMatch, pb.TermMatch), (NgramOptions, pb.NgramRequest),
             (SearchOptions, pb.SearchRequest)]
    for cls, msg in pairs:
        names = set(msg.DESCRIPTOR.fields_by_name)
        for f in dataclasses.fields(cls):
            assert f.name in names or f"{f.name}_json" in names, f"{cls.__name__}.{f.name} is missing in {msg.__name__}"
