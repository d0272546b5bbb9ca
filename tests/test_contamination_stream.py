"""StreamContamination sends each item's result as soon as it is done (issue 11 item 7): the first
result reaches the client before the server has run the kernel over the last items, the results
come in item order, and they equal CheckContamination's and the library's."""

from __future__ import annotations

import random
import threading

import orjson

import tracer
from tracer.client import TracerClient
from tracer.contamination import BenchItem, check_items
from tracer.contamination import check as check_module
from tracer.server import ServerConfig, start_server
from tracer.server.registry import IndexRegistry

WORDS = [f"w{i}" for i in range(300)]


def test_stream_sends_first_result_before_the_last_items_are_checked(tmp_path, monkeypatch):
    rng = random.Random(11)
    docs = [" ".join(rng.choice(WORDS) for _ in range(200)) for _ in range(30)]
    (tmp_path / "c.jsonl").write_bytes(b"".join(orjson.dumps({"id": f"d{i}", "text": t}) + b"\n"
                                                for i, t in enumerate(docs)))
    tracer.build([str(tmp_path / "c.jsonl")], str(tmp_path / "idx"), id_field="id", progress=False)
    index = tracer.open(tmp_path / "idx")
    # ~120 items of ~250 bytes: several times the first batch, so the check runs in several batches
    items = [BenchItem(id=f"q{i}", benchmark="b", split="test", source="", label="",
                       input=" ".join(docs[i % 30].split()[i % 50: i % 50 + 50]) if i % 2
                       else " ".join(rng.choice(WORDS) for _ in range(50))) for i in range(120)]
    assert sum(len(it.input) for it in items) > 3 * check_module.FIRST_BATCH_TOKENS
    want = [r.to_json() for r in check_items(index, items)]

    events: list[str] = []
    first_received = threading.Event()
    kernel = check_module.longest_lengths

    def recording_kernel(*args, **kwargs):
        if events:  # a later batch: wait (bounded) until the client holds a result, if streaming works
            first_received.wait(timeout=10)
        events.append("kernel")
        return kernel(*args, **kwargs)

    srv = start_server(IndexRegistry.of({"i": index}), ServerConfig(port=0))
    try:
        with TracerClient(f"127.0.0.1:{srv.port}", timeout=60) as client:
            unary = [r.to_json() for r in client.contamination(items)]
            monkeypatch.setattr(check_module, "longest_lengths", recording_kernel)
            streamed = []
            for r in client.contamination_stream(items):
                if not streamed:
                    events.append("first result")
                    first_received.set()
                streamed.append(r.to_json())
    finally:
        srv.stop(0)
    assert events.count("kernel") >= 2
    last_kernel = len(events) - 1 - events[::-1].index("kernel")
    assert events.index("first result") < last_kernel, events
    assert [r["id"] for r in streamed] == [it.id for it in items]
    assert streamed == unary == want
    assert any(r["contaminated"] for r in want) and not all(r["contaminated"] for r in want)
