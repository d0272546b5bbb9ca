"""gRPC Tracer service: every RPC answers like the in-process Index, and each bad input gets its status.

An in-process server on port 0 serves two indexes (one sharded); counts are also checked against a
brute-force scan of the corpus texts, so server and library cannot agree on a wrong answer.
"""

from __future__ import annotations

import json
import random
import shutil

import grpc
import numpy as np
import pytest
from conftest import brute_count_bytes as brute_count

import tracer
from tracer.client import TracerClient
from tracer.server import ServerConfig, start_server
from tracer.server.limits import Limits
from tracer.server.registry import IndexRegistry, parse_index_spec
from tracer.v1 import tracer_pb2 as pb
from tracer.v1 import tracer_pb2_grpc as pb_grpc

TOKEN = "t0k-" + "x" * 28
WORDS = ["alpha", "beta", "gamma", "delta", "café", "日本", "zeta", "eta", "theta", "def", "self", "(", ")", ":"]


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 80))) for _ in range(n)]




@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("grpc")
    texts = _texts(300, seed=7)
    recs = [{"id": f"doc-{i}", "text": t, "source": "s", "n": i, "tags": ["a", {"b": i}]} for i, t in enumerate(texts)]
    (d / "c.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    tracer.build([str(d / "c.jsonl")], str(d / "one"), id_field="id", progress=False)
    tracer.build([str(d / "c.jsonl")], str(d / "sharded"), id_field="id", progress=False, shard_tokens=4000)
    return d, texts


@pytest.fixture(scope="module")
def indexes(corpus):
    d, _ = corpus
    return {"one": tracer.open(d / "one"), "sharded": tracer.open(d / "sharded")}


@pytest.fixture(scope="module")
def server(indexes):
    cfg = ServerConfig(port=0, token=TOKEN.encode(), max_workers=4,
                       limits=Limits(max_receive_bytes=1 << 20, max_batch=500, max_find_limit=50))
    srv = start_server(IndexRegistry.of(indexes), cfg)
    yield srv
    srv.stop(0)


@pytest.fixture(scope="module")
def client(server):
    with TracerClient(f"127.0.0.1:{server.port}", token=TOKEN, timeout=20) as c:
        yield c


def code_of(fn) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as e:
        fn()
    return e.value.code()


def sample_queries(texts: list[str], n: int, seed: int) -> list[str]:
    """Substrings of the corpus (present) plus a few shuffled word pairs (often absent)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t = rng.choice(texts)
        a = rng.randrange(0, len(t) - 1)
        out.append(t[a : a + rng.randrange(1, 30)])
    out += [" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(n // 4)]
    out += ["omega", "alpha  beta", "zeta\n"]
    return [q for q in out if q]


# -- equality with the in-process Index ----------------------------------------------------


def test_counts_equal_index_and_brute_force(corpus, indexes, client):
    _, texts = corpus
    queries = sample_queries(texts, 120, seed=1)
    want = [brute_count(texts, q) for q in queries]
    assert sum(want) > 0 and want.count(0) > 0  # present and absent queries both covered
    for name, index in indexes.items():
        remote = TracerClient(client.address, token=TOKEN, index=name)
        assert remote.count_many(queries) == index.count_many(queries) == want
        assert [remote.count(q) for q in queries[:20]] == want[:20]


def test_token_id_queries_equal_text_queries(corpus, indexes, client):
    index = indexes["one"]
    q = "gamma delta"
    ids = index.tokenizer.encode(q)
    assert client.count(ids) == client.count(list(map(int, ids))) == index.count(q) > 0
    # wider packing (u16/u32) of the same ids decodes to the same query
    req = pb.CountRequest(queries=[pb.Query(tokens=pb.TokenIds(data=ids.astype("<u4").tobytes(),
                                                               dtype=pb.TOKEN_DTYPE_UINT32))])
    assert list(client.stub.Count(req, metadata=client._metadata).counts) == [index.count(q)]


def test_find_equals_index(indexes, client):
    for q, limit, ctx in [("beta gamma", 5, 20), ("café", 50, 0), ("日本 zeta", 3, 200), ("no such words", 5, 10)]:
        for name, index in indexes.items():
            client.index = name
            try:
                got = client.find(q, limit=limit, context=ctx)
            finally:
                client.index = ""
            assert got == index.find(q, limit=limit, context=ctx)
    assert client.find("beta gamma", limit=5).occurrences[0].meta["tags"] == ["a", {"b": client.find(
        "beta gamma", limit=5).occurrences[0].meta["n"]}]


def test_documents_equal_index(corpus, indexes, client):
    _, texts = corpus
    index = indexes["one"]
    for i in (0, 1, 150, 299):
        by_num = client.document(i)
        assert by_num == index.document(i)
        assert by_num.text == texts[i] and by_num.meta["n"] == i
        assert client.document(f"doc-{i}") == index.document(f"doc-{i}")


def test_info(indexes, client):
    full = client.server_info()
    assert list(full.index_names) == ["one", "sharded"] and full.name == "one"
    assert full.tokenizer_fingerprint == indexes["one"].tokenizer.fingerprint
    assert full.n_tokens == indexes["one"].n_tokens and full.vocab_size == 256 and full.dtype == "uint8"
    assert client.info() == json.loads(json.dumps(indexes["one"].info()))
    client.index = "sharded"
    try:
        assert client.server_info().n_shards == len(indexes["sharded"].shards) > 1
    finally:
        client.index = ""


# -- status codes --------------------------------------------------------------------------


def test_bad_input_status_codes(server, client):
    stub, md = client.stub, client._metadata
    INVALID = grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: client.count("")) == INVALID
    assert code_of(lambda: stub.Count(pb.CountRequest(queries=[pb.Query()]), metadata=md)) == INVALID
    assert code_of(lambda: client.count([255])) == INVALID  # the separator id
    assert code_of(lambda: client.count_many(["ok", ""])) == INVALID
    odd = pb.Query(tokens=pb.TokenIds(data=b"\x01\x02\x03", dtype=pb.TOKEN_DTYPE_UINT16))
    assert code_of(lambda: stub.Count(pb.CountRequest(queries=[odd]), metadata=md)) == INVALID
    assert code_of(lambda: client.find("x", limit=-1)) == INVALID
    assert code_of(lambda: stub.GetDocument(pb.GetDocumentRequest(), metadata=md)) == INVALID


def test_not_found_and_mismatch_codes(server, client):
    assert code_of(lambda: client.document("doc-nope")) == grpc.StatusCode.NOT_FOUND
    assert code_of(lambda: client.document(10_000)) == grpc.StatusCode.NOT_FOUND
    assert code_of(lambda: client.document(-1)) == grpc.StatusCode.NOT_FOUND
    other = TracerClient(f"127.0.0.1:{server.port}", token=TOKEN, index="missing")
    assert code_of(lambda: other.count("alpha")) == grpc.StatusCode.NOT_FOUND
    wrong_tok = TracerClient(f"127.0.0.1:{server.port}", token=TOKEN, fingerprint="hf-some-other-tokenizer")
    assert code_of(lambda: wrong_tok.count([97, 98])) == grpc.StatusCode.FAILED_PRECONDITION
    right_tok = TracerClient(f"127.0.0.1:{server.port}", token=TOKEN, fingerprint="bytes-utf8-v1")
    assert right_tok.count([97, 98]) == client.count("ab")


def test_caps_give_resource_exhausted(client):
    EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED
    assert code_of(lambda: client.count("a" * (2 << 20))) == EXHAUSTED  # over the 1 MiB message cap
    assert code_of(lambda: client.count_many(["alpha"] * 501)) == EXHAUSTED  # over max_batch
    assert code_of(lambda: client.find("alpha", limit=51)) == EXHAUSTED
    assert len(client.count_many(["alpha"] * 500)) == 500  # at the cap is fine


def test_auth(server):
    addr = f"127.0.0.1:{server.port}"
    assert code_of(lambda: TracerClient(addr).count("alpha")) == grpc.StatusCode.UNAUTHENTICATED
    assert code_of(lambda: TracerClient(addr, token="wrong").count("alpha")) == grpc.StatusCode.UNAUTHENTICATED
    assert code_of(lambda: TracerClient(addr, token=TOKEN + "x").info()) == grpc.StatusCode.UNAUTHENTICATED
    raw = grpc.insecure_channel(addr)
    stub = pb_grpc.TracerStub(raw)
    bad = [("authorization", TOKEN)]  # the scheme is required
    assert code_of(lambda: stub.Info(pb.InfoRequest(), metadata=bad)) == grpc.StatusCode.UNAUTHENTICATED
    assert TracerClient(addr, token=TOKEN).count("alpha") > 0


def test_unexpected_errors_are_internal_without_traceback(corpus, tmp_path):
    d, _ = corpus
    shutil.copytree(d / "one", tmp_path / "broken")
    index = tracer.open(tmp_path / "broken")
    meta = next((tmp_path / "broken").rglob("meta.jsonl"))
    meta.unlink()  # the document store vanishes under a running server
    srv = start_server(IndexRegistry.of({"b": index}), ServerConfig(port=0))
    try:
        with pytest.raises(grpc.RpcError) as e:
            TracerClient(f"127.0.0.1:{srv.port}").document(3)
        assert e.value.code() == grpc.StatusCode.INTERNAL
        assert "Traceback" not in e.value.details() and "meta.jsonl" not in e.value.details()
    finally:
        srv.stop(0)


def test_client_deadline(indexes):
    with start_server(IndexRegistry.of(indexes), ServerConfig(port=0)) as srv:
        slow = TracerClient(f"127.0.0.1:{srv.port}", timeout=0.005)
        # 100k queries take the server far longer than 5 ms; it gives up at its next deadline check
        assert code_of(lambda: slow.count_many(["alpha beta"] * 100_000)) == grpc.StatusCode.DEADLINE_EXCEEDED


class _ExpiredContext:
    """The two ServicerContext calls the servicer makes between work chunks, for a deadline that has passed."""

    def is_active(self) -> bool:
        return True

    def time_remaining(self) -> float:
        return 0.0

    def abort(self, code, details):
        raise grpc.RpcError(code, details)


def test_server_stops_batches_after_the_deadline(indexes):
    from tracer.server.servicer import TracerServicer

    servicer = TracerServicer(IndexRegistry.of(indexes))
    req = pb.CountRequest(queries=[pb.Query(text="alpha")] * 10)
    with pytest.raises(grpc.RpcError) as e:
        servicer.Count(req, _ExpiredContext())
    assert e.value.args[0] == grpc.StatusCode.DEADLINE_EXCEEDED


def test_parse_index_spec():
    assert parse_index_spec("news=/data/idx") == ("news", "/data/idx")
    assert parse_index_spec("/data/idx-a/") == ("idx-a", "/data/idx-a/")
    with pytest.raises(tracer.errors.InputError):
        parse_index_spec("bad name=/x")


def test_packed_tokens_are_narrow():
    from tracer.wire.convert import pack_tokens, unpack_tokens

    for ids, width in ([1, 2, 255], 1), ([256, 3], 2), ([70000], 4):
        msg = pack_tokens(np.asarray(ids))
        assert len(msg.data) == width * len(ids)
        assert unpack_tokens(msg).tolist() == ids


def test_concurrent_clients_get_correct_answers(corpus, indexes, server):
    from concurrent.futures import ThreadPoolExecutor

    _, texts = corpus
    queries = sample_queries(texts, 200, seed=11)
    want = {q: indexes["sharded"].count(q) for q in queries}
    want_find = {q: indexes["sharded"].find(q, limit=3) for q in queries[:40]}

    def worker(seed: int) -> bool:
        c = TracerClient(f"127.0.0.1:{server.port}", token=TOKEN, index="sharded")
        rng = random.Random(seed)
        ok = all(c.count(q) == want[q] for q in rng.sample(queries, 60))
        return ok and all(c.find(q, limit=3) == want_find[q] for q in rng.sample(queries[:40], 10))

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(worker, range(8)))


@pytest.mark.parametrize("exc, code", [
    (tracer.errors.InputError("empty query"), grpc.StatusCode.INVALID_ARGUMENT),
    (tracer.errors.NotFoundError("no document"), grpc.StatusCode.NOT_FOUND),
    (tracer.errors.MismatchError("other tokenizer"), grpc.StatusCode.FAILED_PRECONDITION),
    (tracer.errors.IndexFormatError("corrupt shard"), grpc.StatusCode.FAILED_PRECONDITION),
    (tracer.errors.LimitError("over the cap"), grpc.StatusCode.RESOURCE_EXHAUSTED),
    (ZeroDivisionError("division by zero"), grpc.StatusCode.INTERNAL),
])
def test_library_errors_map_to_the_designed_status_codes(exc, code):
    from tracer.server.status import status_of

    got, detail = status_of(exc)
    assert got == code
    assert (detail == str(exc)) != (code == grpc.StatusCode.INTERNAL)  # internal details stay in the server log
