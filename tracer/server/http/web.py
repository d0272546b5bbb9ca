"""The page's helpers beside the /v1 API: contamination reports rendered by the library's own
report code, and the server's configured benchmarks (``serve --benchmark NAME=PATH``), read once
at startup by the library's reader. Reports run in worker threads; bad input raises CallError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import orjson
from google.protobuf import json_format

from tracer.contamination.inputs import read_benchmarks
from tracer.contamination.report import render_report, results_document
from tracer.contamination.verdict import summarize_dicts
from tracer.errors import InputError, TracerError
from tracer.server.http.api import CallError
from tracer.server.registry import NAME_CHARS, IndexRegistry
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


def convert_item(item: Any) -> dict:
    """A benchmark item as the page sends it in a ContaminationRequest (proto3 JSON names)."""
    msg = convert.bench_item_to_msg(item)
    return {"id": msg.id, "benchmark": msg.benchmark, "split": msg.split, "input": msg.input,
            "label": msg.label, "source": msg.source}


def load_benchmarks(specs: list[str], max_items: int) -> dict[str, bytes]:
    """``NAME=PATH`` specs -> name -> ``{"items": [...]}`` JSON, read now so that a bad file stops
    the server at startup (file:line) rather than failing on the page later."""
    out: dict[str, bytes] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise InputError(f"--benchmark {spec!r}: expected NAME=PATH")
        if set(name) - NAME_CHARS:
            raise InputError(f"--benchmark {spec!r}: a benchmark name may use letters, digits, '_', '.', '-' only")
        if name in out:
            raise InputError(f"--benchmark: the name {name!r} is given twice")
        items = read_benchmarks([path])
        if not items:
            raise InputError(f"--benchmark {spec!r}: {path} holds no benchmark items")
        if len(items) > max_items:
            raise InputError(f"--benchmark {spec!r}: {len(items)} items is over this server's batch cap of {max_items}")
        for item in items:  # the page sees the file's name, not the server's paths
            item.source = Path(item.source).name
        out[name] = orjson.dumps({"items": [convert_item(i) for i in items]})
    return out


def item_count(body: bytes) -> int:
    return len(orjson.loads(body)["items"])


def tokenize(registry: IndexRegistry, body: dict, max_chars: int) -> bytes:
    """How the index's tokenizer reads a query: every spelling it searches (query_variants: the
    text as typed and, for BPE, with a leading space), each as ids and token strings, plus the
    typed text's character offsets (encode_with_offsets) where they give the same ids."""
    text, name = body.get("text"), body.get("index") or ""
    if not isinstance(text, str) or not text:
        raise _bad("text: give a non-empty query text")
    if len(text) > max_chars:
        raise CallError(grpc.StatusCode.RESOURCE_EXHAUSTED, f"text: {len(text)} characters is over this server's cap of {max_chars}")
    if not isinstance(name, str):
        raise _bad("index: give an index name")
    try:
        served, index = registry.get(name)
        tok = index.tokenizer
        variants = [v for v in tok.query_variants(text) if len(v)]
        enc = tok.encode_with_offsets(text)
    except TracerError as e:
        raise CallError(*status_of(e)) from None
    except UnicodeError:
        raise _bad("text: not valid Unicode text") from None
    out = []
    for k, ids in enumerate(variants):
        entry: dict[str, Any] = {"spelling": "as typed" if k == 0 else "with a leading space",
                                 "ids": [int(i) for i in ids], "tokens": [_token_string(tok, int(i)) for i in ids]}
        if k == 0 and enc.ids.shape == ids.shape and (enc.ids == ids).all():
            entry["offsets"] = [[int(a), int(b)] for a, b in zip(enc.starts, enc.ends, strict=True)]
        out.append(entry)
    info = index.info()
    return orjson.dumps({"index": served, "tokenizer": info.get("tokenizer", {}).get("kind"),
                         "normalization": info.get("normalization"), "normalized": tok.normalize_text(text),
                         "variants": out})


def _token_string(tok: Any, token_id: int) -> str:
    """One token as text; a byte that is part of a multi-byte character shows as ``<0xNN>``."""
    if tok.name == "bytes":
        return chr(token_id) if token_id < 0x80 else f"<0x{token_id:02X}>"
    text = tok.decode([token_id])
    return text if text and "\ufffd" not in text else f"<{token_id}: part of a character>"
