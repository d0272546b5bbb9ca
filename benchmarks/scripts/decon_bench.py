"""End-to-end timing of ``tracer decontaminate`` and ``tracer overlap`` (issue 16 targets).

decontaminate: the index against GSM8K test + MMLU test + HumanEval (shared benchmark data),
output written (default JSONL.zst parts), timed as one CLI run (startup, reading the benchmarks,
the check, locating every occurrence, writing and the report).
overlap: the first ``--overlap-mb`` MB of a JSONL corpus (default: the corpus the index was built
from, so every document is shared whole: the costliest case for the longest-span search) against
the index, ``--format json`` to a file.

    python -m benchmarks.scripts.decon_bench --index DIR [--corpus FILE] [--work DIR] [--overlap-mb 100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import bench_dir, bench_index, benchmark_data


def _tracer() -> list[str]:
    script = Path(sys.executable).with_name("tracer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracer.cli.main"]


def _run(args: list[str], stdout=None) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+sys) of one CLI run: CPU time tells the cost on a loaded machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(_tracer() + args, stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"tracer {args[0]} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    print(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "", file=sys.stderr)
    return dt, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _head(src: Path, dst: Path, mb: float) -> int:
    """The first whole lines of src up to mb MB."""
    limit, size = int(mb * 1e6), 0
    with open(src, "rb") as f, open(dst, "wb") as out:
        for line in f:
            if size + len(line) > limit:
                break
            out.write(line)
            size += len(line)
    return size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", default=bench_index())
    ap.add_argument("--corpus", default=str(bench_dir() / "linux.jsonl"), help="JSONL source of the overlap input")
    ap.add_argument("--work", default=None, help="scratch folder (default: beside the index)")
    ap.add_argument("--overlap-mb", type=float, default=100.0)
    ap.add_argument("--format", default="jsonl.zst", help="decontaminate --output-format")
    args = ap.parse_args()
    work = Path(args.work or Path(args.index).parent / "decon-bench")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    info = json.loads(subprocess.run(_tracer() + ["info", args.index, "--format", "json"],
                                     capture_output=True, text=True, check=True).stdout)
    mmlu = sorted(str(p) for p in benchmark_data("mmlu").glob("mmlu_test-*.jsonl.gz"))
    benches = [str(benchmark_data("gsm8k/test.jsonl.gz")), *mmlu, str(benchmark_data("humaneval/HumanEval.jsonl.gz"))]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
          f"index {args.index}: {info['n_tokens']:,} tokens, {info['n_docs']:,} documents", file=sys.stderr)

    t, cpu = _run(["decontaminate", "--index", args.index, *benches, "--out", str(work / "clean"),
              "--output-format", args.format, "--no-progress"])
    report = json.loads((work / "clean" / "decontamination-report.json").read_text())
    tot = report["totals"]
    out_bytes = sum(p.stat().st_size for p in (work / "clean").glob("part-*"))
    print(f"decontaminate: {t:.1f} s end to end ({cpu:.1f} CPU s); {tot['items']} items, {tot['items_matched']} matched, "
          f"{tot['occurrences']} occurrences of {tot['spans_located']} spans, {tot['documents_dropped']} documents "
          f"dropped, {tot['documents_out']} written ({out_bytes / 1e6:.1f} MB {args.format})")

    b = work / "b.jsonl"
    size = _head(Path(args.corpus), b, args.overlap_mb)
    with open(work / "overlap.json", "w") as f:
        t, cpu = _run(["overlap", "--index", args.index, str(b), "--format", "json", "--no-progress"], stdout=f)
    s = json.loads((work / "overlap.json").read_text())["summary"]
    print(f"overlap: {t:.1f} s ({cpu:.1f} CPU s) for {size / 1e6:.1f} MB ({s['documents']} documents, {s['words']:,} words); "
          f"word share {s['word_share']:.4f}; {size / 1e6 / t:.2f} MB/s; load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
