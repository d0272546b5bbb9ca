"""Fan-out over shard groups vs one server holding the whole index: answers equal, and what it costs.

Starts three ``tracer serve`` processes on loopback: the whole index, and two group indexes built
from the same inputs split in two (built separately, in corpus order). Checks that the fan-out
client's counts, find totals and traces equal the single server's, then times each call both ways
(median of ``--repeat`` runs, after a warm-up).

    python -m benchmarks.scripts.fanout_bench --whole ../bench/idx-linux210-bytes \
        --groups ../bench/idx-linux-bytes /tmp/fanout-idx-extra --texts ../bench/linux-extra.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from tracer.client import FanOutClient, TracerClient


def serve(index: str, log: Path) -> tuple[subprocess.Popen, int]:
    err = open(log, "w+")  # noqa: SIM115 - the server process owns it
    proc = subprocess.Popen([sys.executable, "-m", "tracer.cli.main", "serve", "--index", f"idx={index}", "--port", "0",
                             "--grace", "1"], stderr=err, stdout=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        m = re.search(r"listening on [^:]+:(\d+)", log.read_text())
        if m:
            return proc, int(m.group(1))
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server for {index} did not start: {log.read_text()}")


def median_ms(call, client, repeat: int) -> float:
    call(client)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        call(client)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def sample_texts(path: str, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    docs = []
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if i % 50 == 0:
                docs.append(orjson.loads(line)["text"])
    out = []
    for _ in range(n):
        t = rng.choice([d for d in docs if len(d) > 2000])
        a = rng.randrange(len(t) - 1000)
        out.append(t[a:a + 1000])
    return out


def without_source(result):
    for s in result.spans:
        for d in s.documents:
            d.meta = {k: v for k, v in d.meta.items() if k not in ("source", "line")}
    return dataclasses.asdict(result)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--whole", required=True)
    ap.add_argument("--groups", nargs="+", required=True)
    ap.add_argument("--texts", required=True, help="JSONL to cut query and trace texts from")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fanout-bench-"))
    procs = [serve(ix, tmp / f"serve{i}.err") for i, ix in enumerate([args.whole, *args.groups])]
    try:
        single = TracerClient(f"127.0.0.1:{procs[0][1]}", timeout=600)
        fan = FanOutClient([f"127.0.0.1:{p}" for _, p in procs[1:]], timeout=600)
        texts = sample_texts(args.texts, 10, seed=1)
        queries = [t[i:i + 4 + i % 20] for t in texts for i in range(0, 500, 50)]
        assert fan.count_many(queries) == single.count_many(queries), "counts differ"
        for q in queries[:20]:
            assert fan.find(q, limit=10).count == single.find(q, limit=10).count, q
        n_spans = 0
        for t in texts:
            want = single.trace(t)
            assert without_source(fan.trace(t)) == without_source(want), "trace differs"
            n_spans += len(want.spans)
        print(f"equal: {len(queries)} counts, 20 find totals, {len(texts)} traces ({n_spans} spans)")
        q = "static int"
        for name, call in (("count 1 query", lambda c: c.count(q)),
                           ("count_many 100", lambda c: c.count_many(queries)),
                           ("find limit 10", lambda c: c.find(q, limit=10)),
                           ("trace 1000 chars", lambda c: c.trace(texts[0])),
                           ("trace all_spans", lambda c: c.trace(texts[1], all_spans=True))):
            a, b = median_ms(call, single, args.repeat), median_ms(call, fan, args.repeat)
            print(f"{name:18s} one server {a:8.2f} ms   fan-out x{len(args.groups)} {b:8.2f} ms   ratio {b / a:5.2f}")
    finally:
        for proc, _ in procs:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
