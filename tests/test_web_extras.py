"""The page's helpers beside /v1: the contamination report download rendered by the library's own
report code (byte-equal to ``render_report`` of the in-process results), with its errors and auth."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from google.protobuf import json_format
from test_http_api import post
from web_helpers import BENCH_PLANTED, build_index, http_server

from tracer.contamination.check import check_items
from tracer.contamination.inputs import BenchItem, read_benchmarks
from tracer.contamination.options import CheckOptions
from tracer.contamination.report import render_report, results_document
from tracer.contamination.verdict import summarize
from tracer.errors import InputError
from tracer.server.http.web import load_benchmarks
from tracer.wire import convert

TOKEN = "rep-" + "r" * 24


def get(url: str, path: str, headers: dict | None = None):
    req = urllib.request.Request(url + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return build_index(tmp_path_factory.mktemp("extras"))


@pytest.fixture(scope="module")
def url(index):
    with http_server(index) as srv:
        yield srv.url


def _items():
    return [BenchItem(id="0", benchmark="zorb", split="test", input=BENCH_PLANTED, label="Cuprum City", source="z"),
            BenchItem(id="1", benchmark="zorb", split="test", input="purple giraffes juggle lemons at midnight, why?",
                      label="no", source="z")]


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_report_download_equals_library_report(url, index, fmt):
    results = check_items(index, _items())
    body = {"index": "idx", "results": [json_format.MessageToDict(convert.item_result_to_msg(r)) for r in results]}
    status, headers, data = post(url, f"/web/report?format={fmt}", body)
    assert status == 200, data
    assert headers["content-disposition"] == f'attachment; filename="contamination.{fmt}"'
    info = index.info()
    doc = results_document({"name": "idx", **{k: info.get(k) for k in ("n_tokens", "n_docs", "tokenizer", "normalization")},
                            "path": "idx"}, CheckOptions().to_json(), summarize(results), [r.to_json() for r in results])
    assert data.decode() == render_report(doc, fmt) + "\n"
    if fmt == "json":
        assert json.loads(data)["items"][0]["category"] == "dirty"
    if fmt == "html":
        assert headers["content-type"].startswith("text/html") and "<img" in data.decode()  # the histograms


def test_report_errors(url):
    for path, body, raw, status, code in [
        ("/web/report?format=pdf", {"results": []}, None, 400, "INVALID_ARGUMENT"),
        ("/web/report?format=md", None, b"{oops", 400, "INVALID_ARGUMENT"),
        ("/web/report?format=md", {"results": [{"item": {"id": "x"}, "nope": 1}]}, None, 400, "INVALID_ARGUMENT"),
        ("/web/report?format=md", {"index": "other", "results": []}, None, 404, "NOT_FOUND"),
    ]:
        got, headers, data = post(url, path, body, raw=raw)
        err = json.loads(data)
        assert (got, err["code"]) == (status, code), data
        assert err["message"] and "Traceback" not in err["message"]
        if body and body.get("results"):
            assert err["message"].startswith("results[0]:"), err


def test_report_needs_the_token(index):
    with http_server(index, token=TOKEN) as srv:
        status, _, data = post(srv.url, "/web/report?format=md", {"results": []})
        assert (status, json.loads(data)["code"]) == (401, "UNAUTHENTICATED")
        status, _, data = post(srv.url, "/web/report?format=md", {"results": []}, {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and b"Contamination" in data


def _bench_file(tmp_path):
    path = tmp_path / "zorb_test.jsonl"
    path.write_text(json.dumps({"question": BENCH_PLANTED, "answer": "Cuprum City"}) + "\n"
                    + json.dumps({"question": "why do purple giraffes juggle lemons?", "answer": "no"}) + "\n")
    return path


def test_configured_benchmarks_listed_and_served_like_an_upload(index, tmp_path):
    path = _bench_file(tmp_path)
    with http_server(index, token=TOKEN, benchmarks=load_benchmarks([f"zorb={path}"], 100)) as srv:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        status, _, data = get(srv.url, "/web/benchmarks")
        assert (status, json.loads(data)["code"]) == (401, "UNAUTHENTICATED")
        status, _, data = get(srv.url, "/web/benchmarks", auth)
        assert status == 200 and json.loads(data) == {"benchmarks": [{"name": "zorb", "items": 2}]}
        status, _, data = get(srv.url, "/web/benchmarks?name=zorb", auth)
        served = json.loads(data)["items"]
        _, _, uploaded = post(srv.url, "/web/benchmark?filename=zorb_test.jsonl", raw=path.read_bytes(), headers=auth)
        assert served == json.loads(uploaded)["items"]  # the same items, the same source (file name only)
        assert [i["input"] for i in served] == [i.input for i in read_benchmarks([str(path)])]
        status, _, data = get(srv.url, "/web/benchmarks?name=nope", auth)
        assert (status, json.loads(data)["code"]) == (404, "NOT_FOUND") and "zorb" in json.loads(data)["message"]


@pytest.mark.parametrize("args, message", [
    (["--benchmark", "z=b.jsonl"], "--benchmark needs --http-port"),
    (["--http-port", "0", "--benchmark", "noequals"], "expected NAME=PATH"),
    (["--http-port", "0", "--benchmark", "z=missing.jsonl"], "missing.jsonl"),
])
def test_serve_benchmark_flag_errors(index, tmp_path, capsys, args, message):
    from tracer.cli.main import main

    code = main(["serve", "--index", str(index.path), "--port", "0", *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_load_benchmarks_rejects_duplicates_and_bad_records(tmp_path):
    path = _bench_file(tmp_path)
    with pytest.raises(InputError, match="given twice"):
        load_benchmarks([f"a={path}", f"a={path}"], 100)
    with pytest.raises(InputError, match="batch cap of 1"):
        load_benchmarks([f"a={path}"], 1)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok?", "answer": "y"}\n{oops\n')
    with pytest.raises(InputError, match="bad.jsonl:2"):
        load_benchmarks([f"b={bad}"], 100)


def test_tokenize_bytes_index(url):
    got = json.loads(get(url, "/web/tokenize?text=h%C3%A9llo")[2])
    assert got["tokenizer"] == "bytes" and len(got["variants"]) == 1
    v = got["variants"][0]
    assert v["ids"] == list("héllo".encode())
    assert v["tokens"] == ["h", "<0xC3>", "<0xA9>", "l", "l", "o"]
    assert v["offsets"] == [[0, 1], [1, 2], [1, 2], [2, 3], [3, 4], [4, 5]]  # both bytes of é end at its end
    assert json.loads(post(url, "/web/tokenize", {"text": "héllo"})[2]) == got
    for body, raw, status, code in [({"text": ""}, None, 400, "INVALID_ARGUMENT"), (None, b"[1]", 400, "INVALID_ARGUMENT"),
                                    ({"text": "a", "index": "nope"}, None, 404, "NOT_FOUND")]:
        got_status, _, data = post(url, "/web/tokenize", body, raw=raw)
        assert (got_status, json.loads(data)["code"]) == (status, code), data


def test_tokenize_bpe_index_gives_both_spellings(tmp_path, bpe_tokenizer):
    """Oracle: the `tokenizers` library itself on the text and on " " + text."""
    from tokenizers import Tokenizer

    import tracer

    (tmp_path / "c.jsonl").write_text(json.dumps({"id": "a", "text": "the cat sat on the mat"}) + "\n")
    tracer.build([str(tmp_path / "c.jsonl")], str(tmp_path / "idx"), id_field="id", tokenizer=str(bpe_tokenizer),
                 progress=False)
    lib = Tokenizer.from_file(str(bpe_tokenizer))
    with http_server(tracer.open(tmp_path / "idx")) as srv:
        got = json.loads(post(srv.url, "/web/tokenize", {"text": "cat sat"})[2])
    assert got["tokenizer"] == "hf"
    plain, spaced = (lib.encode(t, add_special_tokens=False) for t in ("cat sat", " cat sat"))
    assert [v["ids"] for v in got["variants"]] == [plain.ids, spaced.ids]
    assert [v["spelling"] for v in got["variants"]] == ["as typed", "with a leading space"]
    assert got["variants"][1]["tokens"] == [lib.decode([i]) for i in spaced.ids]
    assert got["variants"][1]["tokens"][0].startswith(" ")
    assert got["variants"][0]["offsets"] == [list(o) for o in plain.offsets]
