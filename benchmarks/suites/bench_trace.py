"""Warm, in-process latency of ``Index.trace`` on model-like texts of 100, 450 and 1000 tokens.

Texts are stitched from real corpus passages (40-150 characters from evenly spaced documents,
cut at spaces) and novel English-like filler, so they hold both long rare spans and the short
common matches that every model output has. Timed: spans only (``max_docs=0``: tokenize,
longest match at every allowed position, maximal spans, counts, ranking; what infini-gram's
``attribute`` computes), and the full default trace (K spans, 10 documents each with snippets
and BM25), both with ``all_spans`` as well. Optionally side by side with infini-gram 2.6.0's
``attribute`` on an infini-gram index of the same corpus as u8 bytes (same delimiters "\\n" and
".", same min_len and max_cnt; infini-gram gets no word-boundary rule: it has none for u8).

    python -m benchmarks.suites.bench_trace --index ../bench/idx-linux-bytes [--ig ../bench/ig-linux-u8]
    pytest benchmarks/suites/bench_trace.py --benchmark-enable    # TRACER_BENCH_INDEX=DIR (see benchmarks/common.py)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import datetime, timezone

import numpy as np
import pytest

import tracer
from benchmarks.common import bench_index

DEFAULT_INDEX = bench_index()
LENGTHS = (100, 450, 1000)
FILLER = ["the", "answer", "is", "that", "we", "can", "see", "how", "this", "works", "when", "the", "value", "changes", "so", "it", "is", "important", "to", "note", "that", "in", "this", "case", "each", "step", "follows", "from", "the", "previous", "one", "and", "then", "we", "get", "a", "result", "which", "shows", "why", "the", "approach", "makes", "sense", "here", "because", "it", "keeps", "things", "simple", "while", "still", "being", "correct"]


def _passage(rng: random.Random, text: str) -> str:
    if len(text) < 200:
        return ""
    s = text.find(" ", rng.randrange(0, len(text) - 160)) + 1
    p = text[s:s + rng.randint(40, 150)]
    return p[: p.rfind(" ")] if " " in p else ""


def model_like_text(index, n_tokens: int, seed: int) -> str:
    """Exactly ``n_tokens`` tokens: corpus passages alternating with novel filler sentences."""
    rng = random.Random(seed)
    parts: list[str] = []
    while len(index.tokenizer.encode(" ".join(parts))) < n_tokens:
        doc = index.document_by_index(rng.randrange(index.n_docs))
        parts.append(_passage(rng, doc.text))
        filler = " ".join(rng.choice(FILLER) for _ in range(rng.randint(6, 20)))
        parts.append(filler.capitalize() + ",")
    ids = index.tokenizer.encode(" ".join(parts))[:n_tokens]
    return index.tokenizer.decode(ids)


def timed(fns: list, repeats: int) -> dict:
    """Warm pass over every call (pages, numba dispatch, unigram table), then ``repeats`` round-robin rounds."""
    for fn in fns:
        fn()
    ts = []
    for _ in range(repeats):
        for fn in fns:
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return {"p50_ms": 1000 * statistics.median(ts), "p90_ms": 1000 * float(np.percentile(ts, 90)),
            "min_ms": 1000 * min(ts), "n": len(ts)}


def timed_pair(ours: list, theirs: list, repeats: int) -> tuple[dict, dict]:
    """Like ``timed`` for two engines, each text asked of both back to back (order alternating),
    so load from other processes on a shared machine hits both alike."""
    for f in ours + theirs:
        f()
    ts: dict[int, list[float]] = {0: [], 1: []}
    for r in range(repeats):
        for i, pair in enumerate(zip(ours, theirs, strict=True)):
            order = (0, 1) if (i + r) % 2 == 0 else (1, 0)
            for k in order:
                t0 = time.perf_counter()
                pair[k]()
                ts[k].append(time.perf_counter() - t0)
    stat = lambda v: {"p50_ms": 1000 * statistics.median(v), "p90_ms": 1000 * float(np.percentile(v, 90)),  # noqa: E731
                      "min_ms": 1000 * min(v), "n": len(v)}
    return stat(ts[0]), stat(ts[1])


def open_ig(path: str):
    from infini_gram.engine import InfiniGramEngine

    # u8 binding: vocab_size must fit u8 and eos < vocab_size (see compare_infinigram.py)
    return InfiniGramEngine(index_dir=path, eos_token_id=254, vocab_size=255, token_dtype="u8")


def run(index_path: str, ig_path: str | None, repeats: int, texts_per_length: int) -> dict:
    index = tracer.open(index_path)
    ig = open_ig(ig_path) if ig_path else None
    min_len = 24 if index.tokenizer.name == "bytes" else 6
    delim_ids = [int(x) for x in index.tokenizer.encode("\n.")] if index.tokenizer.name == "bytes" else []
    modes = {
        "spans_top_k": {"max_docs": 0},
        "spans_all": {"max_docs": 0, "all_spans": True},
        "full_top_k": {},
        "full_all": {"all_spans": True},
    }
    rows = []
    for n in LENGTHS:
        texts = [model_like_text(index, n, seed) for seed in range(texts_per_length)]
        row: dict = {"tokens": n, "texts": len(texts)}
        for name, kw in modes.items():
            row[name] = timed([lambda t=t, kw=kw: index.trace(t, **kw) for t in texts], repeats)
        row["n_spans_all"] = float(np.median([len(index.trace(t, all_spans=True, max_docs=0).spans) for t in texts]))
        row["n_spans_top_k"] = float(np.median([len(index.trace(t, max_docs=0).spans) for t in texts]))
        row["n_docs_full"] = float(np.median([sum(len(s.documents) for s in index.trace(t).spans) for t in texts]))
        if ig is not None:
            id_lists = [[int(x) for x in index.tokenizer.encode(t)] for t in texts]
            calls = [lambda ids=ids: ig.attribute(ids, delim_ids, min_len, 10, False) for ids in id_lists]
            ours_calls = [lambda t=t: index.trace(t, all_spans=True, max_docs=0) for t in texts]
            row["spans_all_paired"], row["ig_attribute"] = timed_pair(ours_calls, calls, repeats)
            ig_sets = [{(sp["l"], sp["r"]) for sp in c().get("spans", [])} for c in calls]
            ours = [{(sp.start_token, sp.end_token) for sp in index.trace(t, all_spans=True, max_docs=0).spans}
                    for t in texts]
            row["ig_n_spans"] = float(np.median([len(x) for x in ig_sets]))
            row["ig_same_spans"] = sum(a == b for a, b in zip(ig_sets, ours, strict=True))
        rows.append(row)
    return {
        "index": {"path": index_path, "n_tokens": index.n_tokens, "shards": len(index.shards),
                  "tokenizer": index.tokenizer.name},
        "ig_index": ig_path, "repeats": repeats,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "loadavg": os.getloadavg(),
                    "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")},
        "rows": rows,
    }


def table(result: dict) -> str:
    cols = ["spans_top_k", "spans_all", "full_top_k", "full_all"] + (["spans_all_paired", "ig_attribute"] if result["ig_index"] else [])
    head = "| tokens | " + " | ".join(f"{c} p50 / p90 ms" for c in cols) + " | spans K / all | docs (full K) |"
    lines = [head, "|" + "---|" * (len(cols) + 3)]
    for r in result["rows"]:
        cells = [f"{r[c]['p50_ms']:.2f} / {r[c]['p90_ms']:.2f}" for c in cols]
        spans = f"{r['n_spans_top_k']:.0f} / {r['n_spans_all']:.0f}"
        if result["ig_index"]:
            spans += f" (ig {r['ig_n_spans']:.0f}; same set in {r['ig_same_spans']}/{r['texts']} texts)"
        lines.append(f"| {r['tokens']} | " + " | ".join(cells) + f" | {spans} | {r['n_docs_full']:.0f} |")
    return "\n".join(lines)


# -- pytest-benchmark ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bench_index():
    path = DEFAULT_INDEX
    if not os.path.exists(os.path.join(path, "manifest.json")):
        pytest.skip(f"no benchmark index at {path} (set TRACER_BENCH_INDEX)")
    return tracer.open(path)


@pytest.mark.parametrize("n_tokens", LENGTHS)
@pytest.mark.parametrize("max_docs", [0, 10], ids=["spans", "full"])
def test_trace_latency(benchmark, bench_index, n_tokens, max_docs):
    text = model_like_text(bench_index, n_tokens, seed=0)
    result = benchmark(lambda: bench_index.trace(text, max_docs=max_docs))
    assert result.n_tokens == n_tokens


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", default=DEFAULT_INDEX)
    ap.add_argument("--ig", default=None, help="infini-gram 2.6.0 index of the same corpus (u8)")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--texts", type=int, default=5, help="texts per length")
    ap.add_argument("--json", help="write the raw results here")
    args = ap.parse_args(argv)
    result = run(args.index, args.ig, args.repeats, args.texts)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print(f"index {result['index']}, {result['machine']}")
    print(table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
