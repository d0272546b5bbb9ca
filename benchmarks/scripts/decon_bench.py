"""End-to-end timing of ``tracer decontaminate`` and ``tracer overlap`` (issue 16 targets).

decontaminate: the index against GSM8K test + MMLU test + HumanEval (shared benchmark data),
output written (default JSONL.zst parts), timed as one CLI run (startup, reading the benchmarks,
the check, locating every occurrence, writing and the report).
overlap: the first ``--overlap-mb`` MB of a JSONL corpus (default: the corpus the index was built
from, so every document is shared whole: the costliest case for the longest-span search) against
the index, ``--format json`` to a file. With ``--b-extra FILE --b-extra-mb MB``, B starts with the
first MB of another JSONL corpus (text the index mostly lacks) and the rest comes from ``--corpus``.
With ``--b-index``, B is also built as an index (build timed apart) and overlap with B the index
is timed both ways in the same run: the suffix-array join and ``--rescan`` (B's documents matched
one by one); their outputs must be identical.

    python -m benchmarks.scripts.decon_bench --index DIR [--corpus FILE] [--work DIR] [--overlap-mb 100]
        [--b-extra FILE --b-extra-mb 60] [--b-index] [--skip-decontaminate]
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
    ap.add_argument("--b-extra", default=None, help="JSONL corpus whose first --b-extra-mb MB start B")
    ap.add_argument("--b-extra-mb", type=float, default=0.0)
    ap.add_argument("--b-index", action="store_true", help="also time overlap with B built as an index: join vs rescan")
    ap.add_argument("--skip-decontaminate", action="store_true")
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

    if not args.skip_decontaminate:
        _decontaminate(args, work, benches)
    _overlap(args, work)


def _decontaminate(args: argparse.Namespace, work: Path, benches: list[str]) -> None:
    t, cpu = _run(["decontaminate", "--index", args.index, *benches, "--out", str(work / "clean"),
              "--output-format", args.format, "--no-progress"])
    report = json.loads((work / "clean" / "decontamination-report.json").read_text())
    tot = report["totals"]
    out_bytes = sum(p.stat().st_size for p in (work / "clean").glob("part-*"))
    print(f"decontaminate: {t:.1f} s end to end ({cpu:.1f} CPU s); {tot['items']} items, {tot['items_matched']} matched, "
          f"{tot['occurrences']} occurrences of {tot['spans_located']} spans, {tot['documents_dropped']} documents "
          f"dropped, {tot['documents_out']} written ({out_bytes / 1e6:.1f} MB {args.format})")



def _overlap(args: argparse.Namespace, work: Path) -> None:
    b = work / "b.jsonl"
    size = 0
    if args.b_extra:
        size = _head(Path(args.b_extra), work / "b-extra.jsonl", args.b_extra_mb)
    size += _head(Path(args.corpus), work / "b-corpus.jsonl", args.overlap_mb - size / 1e6)
    with open(b, "wb") as out:
        for part in ("b-extra.jsonl", "b-corpus.jsonl"):
            if (work / part).exists():
                out.write((work / part).read_bytes())
                (work / part).unlink()
    with open(work / "overlap.json", "w") as f:
        t, cpu = _run(["overlap", "--index", args.index, str(b), "--format", "json", "--no-progress"], stdout=f)
    s = json.loads((work / "overlap.json").read_text())["summary"]
    print(f"overlap: {t:.1f} s ({cpu:.1f} CPU s) for {size / 1e6:.1f} MB ({s['documents']} documents, {s['words']:,} words); "
          f"word share {s['word_share']:.4f}; {size / 1e6 / t:.2f} MB/s; load {os.getloadavg()[0]:.2f}")
    if not args.b_index:
        return
    t, cpu = _run(["build", str(b), "--out", str(work / "b-index"), "--quiet"])
    print(f"B index built in {t:.1f} s ({cpu:.1f} CPU s) (not part of the overlap times)", file=sys.stderr)
    times = {}
    for name, extra in (("join", []), ("rescan", ["--rescan"])):
        with open(work / f"overlap-{name}.json", "w") as f:
            times[name] = _run(["overlap", "--index", args.index, str(work / "b-index"), "--format", "json",
                                "--no-progress", *extra], stdout=f)
        print(f"overlap with B the index, {name}: {times[name][0]:.1f} s ({times[name][1]:.1f} CPU s); "
              f"load {os.getloadavg()[0]:.2f}")
    same = [json.loads((work / f"overlap-{n}.json").read_text()) for n in ("join", "rescan")]
    if same[0] != same[1]:
        sys.exit("join and rescan outputs differ")
    print(f"outputs identical; join/rescan wall {times['join'][0] / times['rescan'][0]:.2f}, "
          f"CPU {times['join'][1] / times['rescan'][1]:.2f}; the files run above searches like rescan")


if __name__ == "__main__":
    main()
