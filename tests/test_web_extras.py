"""The page's helpers beside /v1: the contamination report download rendered by the library's own
report code (byte-equal to ``render_report`` of the in-process results), with its errors and auth."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format
from test_http_api import post
from web_helpers import BENCH_PLANTED, build_index, http_server

from tracer.contamination.check import check_items
from tracer.contamination.inputs import BenchItem
from tracer.contamination.options import CheckOptions
from tracer.contamination.report import render_report, results_document
from tracer.contamination.verdict import summarize
from tracer.wire import convert

TOKEN = "rep-" + "r" * 24


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
