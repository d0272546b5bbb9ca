"""The JSON HTTP API under measurement (issue 14 targets), beside grpc_load.py.

  overhead  HTTP /v1/Count p50 minus in-process ``Index.count`` p50 on the same queries (one
            keep-alive client, sequential; target <= 1 ms added);
  load      ``--clients`` concurrent keep-alive HTTP clients (threads spread over ``--procs``
            processes) calling Count / Find / Trace for ``--duration`` seconds (target: no errors).

The server runs as its own process (``tracer serve --no-grpc --http-port 0``) so that client and
server do not share a GIL. Prints JSON.

    python -m benchmarks.scripts.http_load --index ../bench/idx-linux-bytes --corpus ../bench/linux.jsonl
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import random
import re
import statistics
import subprocess
import sys
import threading
import time

from benchmarks.common import bench_dir, bench_index, run_client_threads
from benchmarks.scripts.grpc_load import sample_queries

RPCS = ("count", "find", "trace")


def start_http(index: str, workers: int) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracer.cli.main", "serve", "--index", index, "--no-grpc", "--http-port", "0",
         "--max-workers", str(workers), "--verify", "off"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        m = re.search(r"HTTP API and page on http://[^:]+:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, int(m.group(1))
    raise SystemExit(f"server did not start (exit {proc.wait()})")


class Client:
    """One keep-alive connection; ``post`` returns (status, body)."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, method: str, body: dict) -> tuple[int, bytes]:
        self.conn.request("POST", f"/v1/{method}", json.dumps(body), {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        return r.status, r.read()


def request_of(rpc: str, q: str) -> tuple[str, dict]:
    if rpc == "count":
        return "Count", {"queries": [{"text": q}]}
    if rpc == "find":
        return "Find", {"query": {"text": q}, "limit": 10, "context": 80}
    return "Trace", {"text": q, "maxDocs": 5}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))] if s else float("nan")


def overhead(index_path: str, port: int, queries: list[str], rounds: int) -> dict:
    import tracer

    index = tracer.open(index_path)
    client = Client(port)
    for q in queries[:50]:
        index.count(q)
        client.post("Count", {"queries": [{"text": q}]})
    local, remote = [], []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            want = index.count(q)
            t1 = time.perf_counter()
            status, body = client.post("Count", {"queries": [{"text": q}]})
            t2 = time.perf_counter()
            assert status == 200 and int(json.loads(body)["counts"][0]) == want, (q, status, body[:200])
            local.append((t1 - t0) * 1e3)
            remote.append((t2 - t1) * 1e3)
    return {"queries": len(local), "in_process_p50_ms": statistics.median(local),
            "http_p50_ms": statistics.median(remote), "http_p99_ms": pct(remote, 0.99),
            "added_p50_ms": statistics.median(remote) - statistics.median(local)}


def client_proc(port: int, n_threads: int, duration: float, mix: list[float], queries: dict, seed: int,
                out: mp.Queue) -> None:
    def run(tid: int, sink: list) -> None:
        rng = random.Random(seed * 1000 + tid)
        c = Client(port)
        end = time.perf_counter() + duration
        while (t0 := time.perf_counter()) < end:
            rpc = rng.choices(RPCS, mix)[0]
            try:
                status, body = c.post(*request_of(rpc, rng.choice(queries[rpc])))
                ok = status == 200
                if not ok:
                    sink.append(("error", 0.0, f"{rpc}: HTTP {status} {body[:120]!r}"))
            except (OSError, http.client.HTTPException) as e:
                ok = False
                sink.append(("error", 0.0, f"{rpc}: {e!r}"))
                c = Client(port)
            sink.append((rpc, (time.perf_counter() - t0) * 1e3, ok))

    out.put(run_client_threads(n_threads, run))


def load(port: int, queries: dict, clients: int, procs: int, duration: float, mix: list[float]) -> dict:
    out: mp.Queue = mp.Queue()
    per = [clients // procs + (i < clients % procs) for i in range(procs)]
    ps = [mp.Process(target=client_proc, args=(port, n, duration, mix, queries, i, out)) for i, n in enumerate(per)]
    t0 = time.perf_counter()
    for p in ps:
        p.start()
    records = [r for _ in ps for r in out.get()]
    for p in ps:
        p.join()
    wall = time.perf_counter() - t0
    errors = [r[2] for r in records if r[0] == "error"]
    calls = [r for r in records if r[0] != "error"]
    per_rpc = {}
    for rpc in RPCS:
        ms = [r[1] for r in calls if r[0] == rpc and r[2]]
        per_rpc[rpc] = {"calls": len(ms), "p50_ms": statistics.median(ms) if ms else None, "p99_ms": pct(ms, 0.99)}
    return {"clients": clients, "duration_s": duration, "wall_s": wall, "calls": len(calls),
            "throughput_per_s": len(calls) / duration, "errors": len(errors), "first_errors": errors[:5],
            "per_rpc": per_rpc}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", default=bench_index())
    ap.add_argument("--corpus", default=str(bench_dir() / "linux.jsonl"))
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--mix", type=float, nargs=3, default=[0.8, 0.15, 0.05], metavar=("COUNT", "FIND", "TRACE"))
    ap.add_argument("--rounds", type=int, default=3, help="passes over the queries for the overhead measurement")
    ap.add_argument("--json", help="also write the result here")
    args = ap.parse_args()
    queries = sample_queries(args.corpus, 300, seed=1)
    proc, port = start_http(args.index, args.workers)
    try:
        result = {"index": args.index, "overhead": overhead(args.index, port, queries["count"][:400], args.rounds),
                  "load": load(port, queries, args.clients, args.procs, args.duration, args.mix)}
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
