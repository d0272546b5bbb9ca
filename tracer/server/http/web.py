"""The page's helpers beside the /v1 API: contamination reports rendered by the library's own
report code. They run in worker threads; bad input raises CallError (INVALID_ARGUMENT)."""

from __future__ import annotations

from typing import Any

import grpc
import orjson
from google.protobuf import json_format

from tracer.contamination.report import render_report, results_document
from tracer.contamination.verdict import summarize_dicts
from tracer.errors import TracerError
from tracer.server.http.api import CallError
from tracer.server.registry import IndexRegistry
from tracer.server.status import status_of
from tracer.v1 import tracer_pb2 as pb
from tracer.wire import convert

REPORT_TYPES = {"html": ("text/html; charset=utf-8", "html"), "md": ("text/markdown; charset=utf-8", "md"),
                "json": ("application/json", "json")}


def _bad(message: str) -> CallError:
    return CallError(grpc.StatusCode.INVALID_ARGUMENT, message)


def report(registry: IndexRegistry, fmt: str, body: bytes, max_items: int) -> tuple[bytes, str, str]:
    """``{"index", "options", "results": [ItemResult in proto3 JSON]}`` (what StreamContamination
    sent the page) as the report ``tracer contamination --report`` writes: (bytes, media type, file name)."""
    if fmt not in REPORT_TYPES:
        raise _bad(f"format {fmt!r}: use one of {', '.join(REPORT_TYPES)}")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise _bad(f"request body: not JSON ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise _bad("request body: give an object with a 'results' list of ItemResult messages")
    if len(doc["results"]) > max_items:
        raise CallError(grpc.StatusCode.RESOURCE_EXHAUSTED,
                        f"results: {len(doc['results'])} items is over this server's cap of {max_items}")
    results = []
    for i, raw in enumerate(doc["results"]):
        try:
            msg = json_format.ParseDict(raw, pb.ItemResult())
            results.append(convert.msg_to_item_result(msg).to_json())
        except Exception as e:  # noqa: BLE001 - any malformed result is the caller's error
            raise _bad(f"results[{i}]: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    try:
        options = convert.msg_to_options(json_format.ParseDict(doc.get("options") or {}, pb.ContaminationOptions()))
    except Exception as e:  # noqa: BLE001
        raise _bad(f"options: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    info = _index_info(registry, str(doc.get("index") or ""))
    text = render_report(results_document(info, options.to_json(), summarize_dicts(results), results), fmt)
    media, ext = REPORT_TYPES[fmt]
    return (text + "\n").encode("utf-8"), media, f"contamination.{ext}"


def _index_info(registry: IndexRegistry, name: str) -> dict[str, Any]:
    try:
        served, index = registry.get(name)
    except TracerError as e:  # unknown name: NOT_FOUND; a damaged index: DATA_LOSS, as on /v1
        raise CallError(*status_of(e)) from None
    info = index.info()
    return {"name": served, **{k: info.get(k) for k in ("n_tokens", "n_docs", "tokenizer", "normalization")},
            "path": served}
