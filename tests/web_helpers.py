"""Shared by the HTTP API and browser tests: a tiny corpus with planted passages and hostile
documents, and a real HTTP server (uvicorn on 127.0.0.1, port 0) over it."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import tracer
from tracer.server.http.app import HttpOptions
from tracer.server.http.server import HttpServer
from tracer.server.limits import Limits
from tracer.server.registry import IndexRegistry

PLANTED_A = "the quartz heron folded seven paper lanterns beside the quiet harbour"
PLANTED_B = "a violet engine hummed under the marble staircase of the old library"
BENCH_PLANTED = "What is the capital of the invented country Zorblandia, famous for its copper bridges?"
XSS = [
    "before <script>window.__xss = 'script';</script> xss-marker-one after",
    "look <img src=x onerror=\"window.__xss = 'img'\"> xss-marker-two here",
    "a link <a href=\"javascript:window.__xss='href'\">xss-marker-three</a> end",
]
FILLER = [f"plain filler text about rivers and mountains number {i} with some words" for i in range(40)]


def write_corpus(d: Path) -> Path:
    recs = [{"id": f"filler-{i}", "text": t} for i, t in enumerate(FILLER)]
    recs += [{"id": "planted-a", "text": f"intro words. {PLANTED_A}. closing words", "topic": "story"},
             {"id": "planted-b", "text": f"other start. {PLANTED_B}. other end", "topic": "story"},
             {"id": "bench-leak", "text": f"forum post: {BENCH_PLANTED} answer: Cuprum City"}]
    recs += [{"id": f"<img src=x onerror=\"window.__xss='id{i}'\">", "text": t,
              "title": "<script>window.__xss='meta'</script>"} for i, t in enumerate(XSS)]
    path = d / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def build_index(d: Path) -> tracer.Index:
    tracer.build([str(write_corpus(d))], str(d / "idx"), id_field="id", progress=False)
    return tracer.open(d / "idx")


@contextlib.contextmanager
def http_server(index: tracer.Index, token: str | None = None, limits: Limits | None = None,
                max_in_flight: int = 1024, benchmarks: dict[str, bytes] | None = None) -> Iterator[HttpServer]:
    options = HttpOptions(token=token.encode() if token else None, limits=limits or Limits(), max_workers=4,
                          max_in_flight=max_in_flight, benchmarks=benchmarks or {})
    server = HttpServer(IndexRegistry.of({"idx": index}), "127.0.0.1", 0, options).start()
    for _ in range(100):
        try:
            urllib.request.urlopen(server.url + "/healthz", timeout=1)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    try:
        yield server
    finally:
        server.stop()
