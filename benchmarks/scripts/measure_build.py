"""Run a build command and report wall time, CPU time and peak memory of its whole process tree.

``/usr/bin/time -v`` reports the largest single process only; builders that fork workers
(infini-gram runs several ``rust_indexing`` processes at once) need the sum over the tree,
so this samples /proc every 50 ms and keeps the largest total RSS seen (it can miss a peak
shorter than the sampling period; ``max_single_rss`` from getrusage is exact per process).

    python -m benchmarks.scripts.measure_build --json out.json -- tracer build ... --out DIR
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(x) for x in f.read().split())
    except OSError:
        pass
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def tree_rss(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss(pid)
        stack.extend(_children(pid))
    return total


def dir_bytes(path: str) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", required=True, help="write the measurements here")
    ap.add_argument("--index-dir", help="report the size of this directory after the build")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "cmd": cmd,
        "returncode": proc.returncode,
        "wall_s": wall,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "peak_tree_rss": peak,
        "max_single_rss": ru.ru_maxrss * 1024,
        "index_bytes": dir_bytes(args.index_dir) if args.index_dir else None,
    }
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(json.dumps(result), file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
