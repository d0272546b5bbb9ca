"""Scale benchmark (issue 7): a >= 1B-token index of real source text on one machine, then count
and trace latency on it, warm and cold, next to a ~100M-token index measured in the same run.

    python -m benchmarks.scripts.scale_bench corpus --out ../bench/scale/corpus.jsonl --bytes 1100000000
    python -m benchmarks.scripts.scale_bench build  ../bench/scale/corpus.jsonl --out ../bench/scale/idx \\
        --shard-tokens 250000000
    python -m benchmarks.scripts.scale_bench latency ../bench/idx-linux-bytes ../bench/scale/idx

``corpus`` streams the text files of the Debian source tarballs (linux-source-6.12, then
gcc-12-source, each an even share of the remaining --bytes) into JSONL ({"id": "<tarball>/<path>", "text": ...}), skipping binary and
non-UTF-8 files, until --bytes of text. ``build`` runs ``tracer build`` and samples the summed
RSS of the whole process tree. ``latency`` evicts an index's files from the page cache with
posix_fadvise(DONTNEED) before every cold query (pages another process maps stay resident).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

TARBALLS = ("/usr/src/linux-source-6.12.tar.xz", "/usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz")
MAX_FILE_BYTES = 8 << 20


# -- corpus -----------------------------------------------------------------------------------
def make_corpus(out: Path, target_bytes: int) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    written = docs = skipped = 0
    per_source: dict[str, int] = {}
    with open(out, "w", encoding="utf-8") as f:
        for i, tarball in enumerate(TARBALLS):
            name = Path(tarball).name.split(".tar")[0]
            # An even share of what is left, so both code bases are in the corpus.
            share = written + (target_bytes - written) // (len(TARBALLS) - i)
            with tarfile.open(tarball, "r|xz") as tar:
                for member in tar:
                    if written >= share:
                        break
                    if not member.isfile() or member.size == 0 or member.size > MAX_FILE_BYTES:
                        continue
                    data = tar.extractfile(member).read()
                    if b"\0" in data:
                        skipped += 1
                        continue
                    try:
                        text = data.decode("utf-8")
                    except UnicodeDecodeError:
                        skipped += 1
                        continue
                    f.write(json.dumps({"id": f"{name}/{member.name}", "text": text}, ensure_ascii=False) + "\n")
                    written += len(data)
                    per_source[name] = per_source.get(name, 0) + len(data)
                    docs += 1
    return {"docs": docs, "text_bytes": written, "per_source": per_source, "skipped_binary": skipped}


# -- build ------------------------------------------------------------------------------------
def _tree_rss(pid: int) -> int:
    """Summed RSS (bytes) of ``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(d))
            rss[int(d)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def run_build(inputs: list[str], out: str, extra: list[str]) -> dict:
    cmd = ["tracer", "build", *inputs, "--out", out, "--id-field", "id", "--quiet", *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.5)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    rc = proc.wait()
    wall = time.perf_counter() - t0
    th.join()
    if rc:
        raise SystemExit(f"build failed with exit {rc}")
    manifest = json.loads((Path(out) / "manifest.json").read_text())
    disk = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    return {"command": " ".join(cmd), "wall_s": round(wall, 1), "peak_tree_rss_gib": round(peak[0] / 2**30, 2),
            "n_tokens": manifest["n_tokens"], "n_docs": manifest["n_docs"], "shards": len(manifest["shards"]),
            "disk_bytes": disk, "disk_bytes_per_token": round(disk / manifest["n_tokens"], 3),
            "tokens_per_s": round(manifest["n_tokens"] / wall)}


# -- latency ----------------------------------------------------------------------------------
def evict(index_dir: str) -> None:
    for p in Path(index_dir).rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _queries(index, rng: random.Random, n: int) -> list[str]:
    """Present n-grams of 8-40 characters cut from random documents (so every count is >= 1)."""
    out = []
    while len(out) < n:
        text = index.document_by_index(rng.randrange(index.n_docs)).text
        if len(text) < 100:
            continue
        a = rng.randrange(0, len(text) - 60)
        q = text[a:a + rng.randint(8, 40)]
        if q.strip() and index.count(q) >= 1:
            out.append(q)
    return out


def _pct(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"{statistics.median(xs):.3f} / {xs[int(0.9 * (len(xs) - 1))]:.3f}"


def latency(index_dir: str, n_count: int, n_trace: int, cold: bool) -> dict:
    import tracer
    from benchmarks.suites.bench_trace import model_like_text

    idx = tracer.open(index_dir)
    rng = random.Random(5)
    counts = _queries(idx, rng, n_count)
    texts = [model_like_text(idx, 450, seed=100 + i) for i in range(n_trace)]
    idx.count(counts[0])
    idx.trace(texts[0])  # compile / load the numba kernels once
    res = {"index": index_dir, "n_tokens": idx.n_tokens, "shards": len(idx.shards)}
    del idx
    ops = (("count", "count", counts), ("trace450", "trace", texts))
    if cold:
        # Pages this process maps cannot be dropped, so each cold query gets a fresh, unmapped
        # index object (numba kernels stay compiled); only the query itself is timed.
        for label, method, args in ops:
            ms = []
            for arg in args:
                evict(index_dir)
                fresh = tracer.open(index_dir)
                t = time.perf_counter()
                getattr(fresh, method)(arg)
                ms.append((time.perf_counter() - t) * 1e3)
                del fresh
                gc.collect()
            res[f"{label}_cold_ms"] = _pct(ms)
    idx = tracer.open(index_dir)
    for label, method, args in ops:
        fn = getattr(idx, method)
        for arg in args:  # warm pass
            fn(arg)
        ms = []
        for _ in range(3):
            for arg in args:
                t = time.perf_counter()
                fn(arg)
                ms.append((time.perf_counter() - t) * 1e3)
        res[f"{label}_warm_ms"] = _pct(ms)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("--out", required=True)
    c.add_argument("--bytes", type=int, default=1_100_000_000)
    b = sub.add_parser("build")
    b.add_argument("inputs", nargs="+")
    b.add_argument("--out", required=True)
    b.add_argument("--shard-tokens", default="250000000")
    b.add_argument("--workers", default="2")
    lat = sub.add_parser("latency")
    lat.add_argument("indexes", nargs="+")
    lat.add_argument("--counts", type=int, default=40)
    lat.add_argument("--traces", type=int, default=8)
    lat.add_argument("--no-cold", action="store_true")
    a = ap.parse_args(argv)
    if a.cmd == "corpus":
        t = time.perf_counter()
        r = make_corpus(Path(a.out), a.bytes)
        r["wall_s"] = round(time.perf_counter() - t, 1)
    elif a.cmd == "build":
        r = run_build(a.inputs, a.out, ["--shard-tokens", a.shard_tokens, "--workers", a.workers])
    else:
        r = [latency(i, a.counts, a.traces, not a.no_cold) for i in a.indexes]
    print(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
