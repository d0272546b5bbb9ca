"""Per-call cost of the gRPC layer: the same Count / Find through ``TracerClient`` (in-process server on
loopback) and directly on ``Index``, in one run, so the ratio is the transport's overhead.

    pytest benchmarks/suites/bench_grpc.py --benchmark-enable    # TRACER_BENCH_INDEX=DIR (see benchmarks/common.py)
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tracer
from benchmarks.common import bench_index
from tracer.client import TracerClient
from tracer.server import ServerConfig, start_server
from tracer.server.registry import IndexRegistry

INDEX = bench_index()
QUERY = "def __init__(self"

pytestmark = pytest.mark.skipif(not (Path(INDEX) / "manifest.json").exists(), reason=f"no benchmark index at {INDEX}")


@pytest.fixture(scope="module")
def index():
    return tracer.open(INDEX)


@pytest.fixture(scope="module")
def client(index):
    srv = start_server(IndexRegistry.of({"bench": index}), ServerConfig(port=0, token=b"bench-token"))
    c = TracerClient(f"127.0.0.1:{srv.port}", token="bench-token")
    c.count(QUERY)
    c.find(QUERY)
    yield c
    c.close()
    srv.stop(0)


def test_count_direct(benchmark, index):
    assert benchmark(index.count, QUERY) > 0


def test_count_grpc(benchmark, client, index):
    assert benchmark(client.count, QUERY) == index.count(QUERY)


def test_count_batch_100_grpc(benchmark, client, index):
    queries = [QUERY[: 4 + i % 14] for i in range(100)]
    assert benchmark(client.count_many, queries) == index.count_many(queries)


def test_find_direct(benchmark, index):
    benchmark(index.find, QUERY, 10, 80)


def test_find_grpc(benchmark, client):
    benchmark(client.find, QUERY, 10, 80)
