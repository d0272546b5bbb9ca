"""JSON HTTP API (/v1/<Method>): every method answers like the in-process Index (and a brute-force
count of the corpus texts), over a real uvicorn server on 127.0.0.1; errors carry the gRPC status
name and the documented HTTP code; auth, caps, deadlines and security headers hold."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest
from google.protobuf import json_format
from web_helpers import BENCH_PLANTED, FILLER, PLANTED_A, PLANTED_B, build_index, http_server, write_corpus

from tracer.contamination.check import check_items
from tracer.contamination.inputs import read_benchmarks
from tracer.errors import CorruptIndexError
from tracer.server.http.api import SERVICE, methods
from tracer.server.limits import Limits
from tracer.v1 import tracer_pb2 as pb
from tracer.wire import convert

TOKEN = "web-" + "k" * 24


def post(url: str, path: str, body: object = None, headers: dict | None = None, raw: bytes | None = None):
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def ok(url: str, path: str, body: object) -> dict:
    status, _, data = post(url, path, body)
    assert status == 200, data
    return json.loads(data)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("http"))


@pytest.fixture(scope="module")
def url(index):
    with http_server(index, limits=Limits(max_receive_bytes=1 << 16, max_batch=50, max_find_limit=20)) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    path = write_corpus(tmp_path_factory.mktemp("texts"))
    return [json.loads(line)["text"] for line in path.read_text().splitlines()]


def test_every_service_method_is_routed(url):
    """Derived from the descriptor: a method added to the proto is served without code here."""
    assert set(methods()) == {m.name for m in SERVICE.methods if not m.client_streaming}
    described = json.loads(urllib.request.urlopen(url + "/v1").read())
    assert [m["name"] for m in described["methods"]] == [m.name for m in SERVICE.methods]
    for m in SERVICE.methods:
        status, _, body = post(url, f"/v1/{m.name}", {})
        assert status in (200, 400), (m.name, status, body)  # answered by the servicer, never 404/500
        if status == 400:
            assert json.loads(body)["code"] in ("INVALID_ARGUMENT", "FAILED_PRECONDITION")


def test_count_equals_index_and_brute_force(url, index, texts):
    queries = ["plain filler text", "number 1", PLANTED_A[:30], "xss-marker", "zzz-not-there", "<script>"]
    got = ok(url, "/v1/Count", {"queries": [{"text": q} for q in queries]})["counts"]
    brute = [sum(_overlapping(t, q) for t in texts) for q in queries]
    assert [int(c) for c in got] == brute == [index.count(q) for q in queries]
    one = ok(url, "/v1/Count", {"queries": [{"text": "filler"}]})  # the single-query path
    assert int(one["counts"][0]) == 40


def _overlapping(text: str, q: str) -> int:
    return sum(1 for i in range(len(text) - len(q) + 1) if text.startswith(q, i))


def test_token_id_queries(url, index):
    ids = np.asarray(index.tokenizer.encode("plain filler"), dtype="<u4")
    q = {"tokens": {"data": base64.b64encode(ids.tobytes()).decode(), "dtype": "TOKEN_DTYPE_UINT32"}}
    assert ok(url, "/v1/Count", {"queries": [q]})["counts"] == [str(index.count("plain filler"))]
    q["tokens"]["tokenizerFingerprint"] = "not-this-one"
    status, _, body = post(url, "/v1/Count", {"queries": [q]})
    assert (status, json.loads(body)["code"]) == (400, "FAILED_PRECONDITION")


def test_find_equals_index(url, index):
    got = ok(url, "/v1/Find", {"query": {"text": "filler text"}, "limit": 7, "context": 12})
    want = index.find("filler text", limit=7, context=12)
    assert int(got["count"]) == want.count == 40
    assert [(o["docId"], int(o["charStart"]), o["snippet"]) for o in got["occurrences"]] == \
        [(s.doc_id, s.char_start, s.snippet) for s in want.occurrences]
    # snake_case field names are accepted too (the proto3 JSON mapping's parsers take both)
    assert ok(url, "/v1/Find", {"query": {"text": "filler text"}, "limit": 7, "context": 12}) == \
        ok(url, "/v1/Find", {"index": "", "query": {"text": "filler text"}, "limit": "7", "context": 12})


def test_get_document_equals_index(url, index):
    by_id = ok(url, "/v1/GetDocument", {"docId": "planted-a"})
    doc = index.document("planted-a")
    assert (by_id["text"], int(by_id["docIndex"]), json.loads(by_id["metaJson"])) == (doc.text, doc.doc_index, doc.meta)
    assert ok(url, "/v1/GetDocument", {"doc_index": str(doc.doc_index)}) == by_id
    status, _, body = post(url, "/v1/GetDocument", {"docId": "no-such-doc"})
    assert (status, json.loads(body)["code"]) == (404, "NOT_FOUND")


def test_trace_equals_index(url, index):
    text = f"model says {PLANTED_A}. and {PLANTED_B}. fin"
    got = ok(url, "/v1/Trace", {"text": text, "maxDocs": 3})
    want = json_format.MessageToDict(convert.trace_result_to_msg(index.trace(text, max_docs=3)),
                                     always_print_fields_with_no_presence=True)
    assert got == want
    spans = {s["text"].strip(" .") for s in got["spans"]}
    assert any(PLANTED_A in s for s in spans) and any(PLANTED_B in s for s in spans)


def test_info_equals_index(url, index):
    got = ok(url, "/v1/Info", {})
    assert (int(got["nTokens"]), int(got["nDocs"]), got["tokenizerFingerprint"]) == \
        (index.n_tokens, index.n_docs, index.tokenizer.fingerprint)
    assert got["indexNames"] == ["idx"] and json.loads(got["infoJson"])["n_docs"] == index.n_docs


def test_score_membership_from_token_ids(url, index):
    ids = np.asarray(index.tokenizer.encode(PLANTED_A), dtype="<u4")
    logprobs = np.full(len(ids), -2.0, dtype="<f8")
    item = {"id": "x", "tokenIds": {"data": base64.b64encode(ids.tobytes()).decode()},
            "logprobs": base64.b64encode(logprobs.tobytes()).decode(), "text": PLANTED_A}
    got = ok(url, "/v1/ScoreMembership", {"items": [item]})["scores"][0]
    assert got["id"] == "x" and int(got["nTokens"]) == len(ids)
    assert got["loss"] == pytest.approx(-2.0)  # minus the mean loss (higher = more likely a member), by hand
    status, _, body = post(url, "/v1/ScoreMembership", {"items": [{"id": "t", "text": "only text"}]})
    assert (status, json.loads(body)["code"]) == (400, "FAILED_PRECONDITION")  # no model on this server


def test_contamination_unary_and_stream_equal_library(url, index, tmp_path):
    bench = tmp_path / "zorb_test.jsonl"
    bench.write_text(json.dumps({"question": BENCH_PLANTED, "answer": "Cuprum City"}) + "\n"
                     + json.dumps({"question": "purple giraffes juggle lemons at midnight, why?", "answer": "no"}) + "\n")
    status, _, body = post(url, "/web/benchmark?filename=zorb_test.jsonl", raw=bench.read_bytes())
    assert status == 200, body
    request = json.loads(body)
    items = read_benchmarks([str(bench)])
    assert [(i["id"], i["input"], i["label"]) for i in request["items"]] == [(i.id, i.input, i.label) for i in items]
    unary = ok(url, "/v1/CheckContamination", request)["results"]
    want = [json_format.MessageToDict(convert.item_result_to_msg(r), always_print_fields_with_no_presence=True)
            for r in check_items(index, items)]
    for r in want:  # the upload reports the file by its name, not the server's temporary path
        r["item"]["source"] = r["item"]["source"].replace(f"{tmp_path}/", "")
    assert unary == want
    assert [r["category"] for r in unary] == ["dirty", "clean"]
    status, headers, body = post(url, "/v1/StreamContamination", request)
    assert status == 200 and headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in body.decode().splitlines()] == want


def test_errors_are_json_with_status_names(url):
    cases = [
        ("/v1/Count", {"queries": [{"text": ""}]}, None, 400, "INVALID_ARGUMENT"),
        ("/v1/Count", None, b"{not json", 400, "INVALID_ARGUMENT"),
        ("/v1/Count", None, b"[1, 2]", 400, "INVALID_ARGUMENT"),
        ("/v1/Count", {"queries": [{"txt": "a"}]}, None, 400, "INVALID_ARGUMENT"),
        ("/v1/Find", {"query": {"text": "a"}, "limit": -1}, None, 400, "INVALID_ARGUMENT"),
        ("/v1/Count", {"index": "nope", "queries": [{"text": "a"}]}, None, 404, "NOT_FOUND"),
        ("/v1/NoSuchMethod", {}, None, 404, "NOT_FOUND"),
        ("/v1/Count", {"queries": [{"text": "a"}] * 51}, None, 413, "RESOURCE_EXHAUSTED"),  # max_batch 50
        ("/v1/Find", {"query": {"text": "a"}, "limit": 21}, None, 413, "RESOURCE_EXHAUSTED"),
        ("/v1/Count", None, b'{"queries": [{"text": "' + b"a" * 70000 + b'"}]}', 413, "RESOURCE_EXHAUSTED"),
        ("/web/benchmark?filename=evil.sh", None, b"x", 400, "INVALID_ARGUMENT"),
        ("/web/benchmark?filename=bad.jsonl", None, b"{oops\n", 400, "INVALID_ARGUMENT"),
    ]
    for path, body, raw, status, code in cases:
        got_status, headers, data = post(url, path, body, raw=raw)
        err = json.loads(data)
        assert (got_status, err["code"]) == (status, code), (path, data[:200])
        assert err["message"] and "Traceback" not in err["message"] and "/tmp/tracer-upload" not in err["message"]
        assert headers["content-type"] == "application/json"


def test_deadline_header(url):
    status, _, body = post(url, "/v1/Count", {"queries": [{"text": "a"}, {"text": "b"}]}, {"X-Tracer-Timeout": "1e-9"})
    assert (status, json.loads(body)["code"]) == (504, "DEADLINE_EXCEEDED")
    status, _, body = post(url, "/v1/Count", {"queries": [{"text": "a"}]}, {"X-Tracer-Timeout": "soon"})
    assert status == 400 and "X-Tracer-Timeout" in json.loads(body)["message"]


def test_page_and_security_headers(url):
    with urllib.request.urlopen(url + "/") as r:
        page, headers = r.read().decode(), r.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert '<script type="module" src="/static/js/main.js">' in page and "<script>" not in page
    with urllib.request.urlopen(url + "/static/js/main.js") as r:
        assert "javascript" in r.headers["Content-Type"]
    total = sum(p.stat().st_size for p in (__import__("tracer.server.http.app", fromlist=["STATIC"]).STATIC).rglob("*") if p.is_file())
    assert total < 200_000
    assert json.loads(urllib.request.urlopen(url + "/healthz").read())["status"] == "SERVING"


def test_bearer_token(index):
    with http_server(index, token=TOKEN) as srv:
        body = {"queries": [{"text": "filler"}]}
        for headers, message in (({}, "missing bearer token"), ({"Authorization": "Bearer wrong"}, "invalid bearer token"),
                                 ({"Authorization": TOKEN}, "invalid bearer token")):
            status, h, data = post(srv.url, "/v1/Count", body, headers)
            assert (status, json.loads(data), h.get("www-authenticate")) == \
                (401, {"code": "UNAUTHENTICATED", "message": message}, "Bearer")
        status, _, _ = post(srv.url, "/web/benchmark?filename=a.jsonl", raw=b"{}")
        assert status == 401
        status, _, data = post(srv.url, "/v1/Count", body, {"Authorization": f"Bearer {TOKEN}"})
        assert (status, json.loads(data)["counts"]) == (200, ["40"])
        # the page itself and the method list stay open: the page asks for the token
        assert urllib.request.urlopen(srv.url + "/").status == 200
        assert json.loads(urllib.request.urlopen(srv.url + "/v1").read())["auth"] is True


def test_busy_server_gives_429(index):
    with http_server(index, max_in_flight=0) as srv:
        status, _, data = post(srv.url, "/v1/Count", {"queries": [{"text": "a"}]})
        assert (status, json.loads(data)["code"]) == (429, "RESOURCE_EXHAUSTED")


def test_damaged_index_gives_503(index, monkeypatch):
    with http_server(index) as srv:
        def broken() -> None:
            raise CorruptIndexError("shard 0 block 3: checksum mismatch")
        monkeypatch.setattr(index.integrity, "check", broken)
        status, _, data = post(srv.url, "/v1/Count", {"queries": [{"text": "a"}]})
        assert (status, json.loads(data)["code"]) == (503, "DATA_LOSS")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(srv.url + "/healthz")
        assert e.value.code == 503


def test_stream_error_after_start_is_a_last_line():
    """An error after the first message cannot change the HTTP status: it comes as a last line."""
    from tracer.server.http.api import CallError, HttpContext, call_stream, error_line

    class Servicer:
        def StreamContamination(self, request, context):
            yield pb.ItemResult(category="clean")
            context.abort(__import__("grpc").StatusCode.DEADLINE_EXCEEDED, "too slow")

    lines = call_stream(Servicer(), methods()["StreamContamination"], pb.ContaminationRequest(), HttpContext())
    assert json.loads(next(lines))["category"] == "clean"
    with pytest.raises(CallError) as e:
        next(lines)
    assert json.loads(error_line(e.value)) == {"error": {"code": "DEADLINE_EXCEEDED", "message": "too slow"}}


def test_cli_serve_http_only(tmp_path, index):
    from tracer.server.http.server import bind

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([sys.executable, "-m", "tracer.cli.main", "serve", "--index", f"idx={index.path}",
                             "--no-grpc", "--http-port", str(port), "--verify", "off"],
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if "HTTP API and page on" in line:
                break
        got = ok(f"http://127.0.0.1:{port}", "/v1/Count", {"queries": [{"text": FILLER[3]}]})
        assert got["counts"] == ["1"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_cli_refuses_bad_http_options(tmp_path, index):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tracer.cli.main", "serve", "--index", str(index.path), *args],
                              capture_output=True, text=True, timeout=60)

    r = run("--no-grpc")
    assert r.returncode == 2 and "--no-grpc needs --http-port" in r.stderr and "Traceback" not in r.stderr
    r = run("--http-port", "70000")
    assert r.returncode == 2 and "--http-port 70000" in r.stderr
    r = run("--host", "0.0.0.0", "--http-port", "0", "--no-grpc")
    assert r.returncode == 2 and "--auth-token-file" in r.stderr
