"""Load test of `tracer serve`: N concurrent clients for T seconds, mixed Count / Find / Trace.

Starts the server as its own process (so its RSS is measured alone), warms it up, then measures:
  1. unloaded latency: one client, sequential Count calls (the Count p50 <= 0.5 ms target);
  2. load: ``--clients`` clients (spread over ``--procs`` processes, threads inside each) calling
     Count / Find / Trace in the ``--mix`` proportions for ``--duration`` seconds.
Reports throughput, p50/p99 per RPC, errors and the server's RSS before and after, as JSON
(``--json``) and as a Markdown table row block on stdout.

    python -m benchmarks.scripts.grpc_load --index ../bench/idx-linux-bytes --corpus ../bench/linux.jsonl
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import bench_dir, run_client_threads

RPCS = ("count", "find", "trace")


def sample_queries(corpus: str, n_docs: int, seed: int) -> dict[str, list[str]]:
    """Real substrings of the first ``n_docs`` documents: short ones to count and find, passages to trace."""
    rng = random.Random(seed)
    texts = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)["text"]
            if len(t) > 600:
                texts.append(t)
            if len(texts) >= n_docs:
                break
    out: dict[str, list[str]] = {"count": [], "find": [], "trace": []}
    for _ in range(2000):
        t = rng.choice(texts)
        a = rng.randrange(0, len(t) - 500)
        out["count"].append(t[a : a + rng.randrange(4, 40)])
        out["find"].append(t[a : a + rng.randrange(8, 40)])
        # a model output: a real passage with an edited middle, so spans end inside it
        p = t[a : a + 400]
        out["trace"].append(p[:180] + " which the model then rephrased entirely " + p[220:])
    return {k: [q for q in v if q.strip()] for k, v in out.items()}


def rss_mb(pid: int) -> dict[str, float]:
    """Resident memory in MB: total, anonymous (heap: a leak shows here) and file-backed (the mmap'd index)."""
    with open(f"/proc/{pid}/status") as f:
        status = f.read()
    out = {}
    for key, name in (("VmRSS", "total"), ("RssAnon", "anon"), ("RssFile", "file")):
        m = re.search(rf"{key}:\s+(\d+) kB", status)
        out[name] = int(m.group(1)) / 1024 if m else float("nan")
    return out


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(index: str, workers: int) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracer.cli.main", "serve", "--index", index, "--port", "0",
         "--max-workers", str(workers)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        m = re.search(r"listening on [^:]+:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # drain logs
            return proc, int(m.group(1))
    raise SystemExit(f"server did not start (exit {proc.wait()})")


def call(client, rpc: str, q: str) -> None:
    if rpc == "count":
        client.count(q)
    elif rpc == "find":
        client.find(q, limit=10, context=80)
    else:
        client.trace(q, max_docs=5)


def client_proc(addr: str, n_threads: int, duration: float, mix: list[float], queries: dict, seed: int,
                out: mp.Queue) -> None:
    """One process of client threads; each thread has its own channel and records (rpc, ms, ok)."""
    import grpc

    from tracer.client import TracerClient

    def run(tid: int, sink: list) -> None:
        rng = random.Random(seed * 1000 + tid)
        c = TracerClient(addr, timeout=30)
        end = time.perf_counter() + duration
        while (t0 := time.perf_counter()) < end:
            rpc = rng.choices(RPCS, mix)[0]
            q = rng.choice(queries[rpc])
            try:
                call(c, rpc, q)
                ok = True
            except grpc.RpcError as e:
                ok = False
                sink.append(("error", 0.0, f"{rpc}: {e.code().name} {e.details()}"))
            sink.append((rpc, (time.perf_counter() - t0) * 1e3, ok))
        c.close()

    out.put(run_client_threads(n_threads, run))


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", default=str(bench_dir() / "idx-linux-bytes"))
    ap.add_argument("--corpus", default=str(bench_dir() / "linux.jsonl"), help="JSONL the queries are sampled from")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--procs", type=int, default=4, help="client processes (clients are threads inside them)")
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--mix", default="0.7,0.2,0.1", help="Count,Find,Trace proportions")
    ap.add_argument("--server-workers", type=int, default=16)
    ap.add_argument("--unloaded-calls", type=int, default=2000)
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args()
    mix = [float(x) for x in args.mix.split(",")]
    queries = sample_queries(args.corpus, 400, seed=0)
    proc, port = start_server(args.index, args.server_workers)
    addr = f"127.0.0.1:{port}"
    try:
        from tracer.client import TracerClient

        c = TracerClient(addr, timeout=60)
        info = c.server_info()
        rss_start = rss_mb(proc.pid)
        for rpc in RPCS:  # compile numba kernels, fault in the hot pages
            for q in queries[rpc][:20]:
                call(c, rpc, q)
        rss_before = rss_mb(proc.pid)
        lat = []
        for i in range(args.unloaded_calls):
            q = queries["count"][i % len(queries["count"])]
            t0 = time.perf_counter()
            c.count(q)
            lat.append((time.perf_counter() - t0) * 1e3)
        unloaded = {"count_p50_ms": statistics.median(lat), "count_p99_ms": pct(lat, 99), "calls": len(lat)}
        c.close()

        per_proc = [args.clients // args.procs + (i < args.clients % args.procs) for i in range(args.procs)]
        q: mp.Queue = mp.get_context("fork").Queue()
        ctx = mp.get_context("fork")
        procs = [ctx.Process(target=client_proc, args=(addr, n, args.duration, mix, queries, i, q))
                 for i, n in enumerate(per_proc) if n]
        cpu0 = cpu_s(proc.pid)
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        records = [r for _ in procs for r in q.get()]
        for p in procs:
            p.join()
        wall = time.perf_counter() - t0
        server_cpu = cpu_s(proc.pid) - cpu0
        rss_after = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)

    errors = [r[2] for r in records if r[0] == "error"]
    calls = [r for r in records if r[0] != "error"]
    per_rpc = {}
    for rpc in RPCS:
        ms = [r[1] for r in calls if r[0] == rpc and r[2]]
        per_rpc[rpc] = {"calls": len(ms), "per_s": len(ms) / args.duration, "p50_ms": pct(ms, 50),
                        "p99_ms": pct(ms, 99)}
    result = {
        "index": args.index, "n_tokens": info.n_tokens, "n_docs": info.n_docs, "clients": args.clients,
        "client_procs": args.procs, "server_workers": args.server_workers, "duration_s": args.duration,
        "wall_s": wall, "mix": dict(zip(RPCS, mix, strict=True)), "throughput_per_s": len(calls) / args.duration,
        "errors": len(errors), "error_samples": errors[:5], "per_rpc": per_rpc, "unloaded": unloaded,
        "server_cpu_s": server_cpu, "server_cpu_ms_per_call": 1e3 * server_cpu / max(1, len(calls)),
        "server_rss_mb_start": rss_start, "server_rss_mb_before": rss_before, "server_rss_mb_after": rss_after, "cpus": os.cpu_count(),
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(f"index {args.index}: {info.n_tokens:,} tokens, {info.n_docs:,} docs; {args.clients} clients "
          f"({args.procs} procs) x {args.duration:.0f} s, server {args.server_workers} workers, {os.cpu_count()} CPUs")
    print(f"unloaded Count (1 client, {unloaded['calls']} calls): p50 {unloaded['count_p50_ms']:.3f} ms, "
          f"p99 {unloaded['count_p99_ms']:.3f} ms")
    def mb(r: dict[str, float]) -> str:
        return f"{r['total']:.0f} MB (anon {r['anon']:.0f}, file {r['file']:.0f})"

    print(f"load: {result['throughput_per_s']:.0f} calls/s, errors {len(errors)}")
    print(f"server RSS: {mb(rss_start)} at start, {mb(rss_before)} after warm-up, {mb(rss_after)} after load")
    print(f"server CPU during load: {server_cpu:.1f} s of {wall:.1f} s wall "
          f"({result['server_cpu_ms_per_call']:.2f} ms per call; the clients use the rest of the {os.cpu_count()} CPUs)")
    print("| RPC | calls | calls/s | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|")
    for rpc, r in per_rpc.items():
        print(f"| {rpc} | {r['calls']} | {r['per_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")
    for e in errors[:5]:
        print("error:", e)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
