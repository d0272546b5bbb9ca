"""Warm latency of the n-gram queries on a large index: p50 / p90 per query kind, as a table.

Issue 13's targets on a >= 100M-token index: ``infgram_logprobs`` of a 1,000-token text <= 10 ms,
``ntd`` of a context seen <= 1,000 times <= 5 ms, a two-clause AND ``search`` <= 50 ms.

Inputs are real: windows of the corpus itself (every context occurs, so back-off runs are long)
and held-out text that is not in the corpus (this checkout's README and Python sources: prose
and code the index never saw, so contexts back off often). Each input is run once to warm the
page cache and numba, then ``--reps`` timed rounds over all inputs; a call's time is its own
wall clock (``time.perf_counter``), so p50/p90 are over calls.

    python -m benchmarks.scripts.ngram_speed [--index DIR] [--reps 5]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, bench_index


def held_out_text() -> str:
    """Prose and code this index was not built from: the checkout's README and package sources."""
    parts = [(REPO / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "tracer").rglob("*.py"))
              if "v1" not in p.parts]  # generated stubs left out
    return "\n".join(parts)


def corpus_windows(index, rng: np.random.Generator, length: int, k: int) -> list[np.ndarray]:
    """k windows of ``length`` tokens inside documents (no separator)."""
    tokens = index.shards[0].tokens
    out: list[np.ndarray] = []
    while len(out) < k:
        pos = int(rng.integers(0, len(tokens) - length))
        w = np.array(tokens[pos:pos + length], dtype=np.int64)
        if not (w == index.separator).any():
            out.append(w)
    return out


def text_windows(index, text: str, rng: np.random.Generator, length: int, k: int) -> list[np.ndarray]:
    ids = np.asarray(index.tokenizer.encode(text), dtype=np.int64)
    starts = rng.integers(0, len(ids) - length, size=k)
    return [ids[s:s + length] for s in starts]


def words(text: str) -> list[str]:
    """Identifier-like words of 5+ letters: the terms a person types into a search."""
    return sorted(set(re.findall(r"\b[A-Za-z_][A-Za-z_]{4,}\b", text)))


def timed(fn: Callable, inputs: list, reps: int) -> np.ndarray:
    for x in inputs:  # warm
        fn(x)
    out = []
    for _ in range(reps):
        for x in inputs:
            t0 = time.perf_counter()
            fn(x)
            out.append(time.perf_counter() - t0)
    return np.asarray(out) * 1e3


def main(argv: list[str] | None = None) -> int:
    import tracer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", default=bench_index(), help="index folder (default: the benchmark index)")
    ap.add_argument("--reps", type=int, default=5, help="timed rounds over all inputs")
    ap.add_argument("--n", type=int, default=40, help="inputs per row")
    args = ap.parse_args(argv)
    if not (Path(args.index) / "manifest.json").exists():
        print(f"no index at {args.index} (build it, or pass --index)", file=sys.stderr)
        return 2
    index = tracer.open(args.index)
    rng = np.random.default_rng(0)
    held = held_out_text()
    n_tokens = sum(len(sh.tokens) for sh in index.shards)
    rows: list[tuple[str, str, np.ndarray, str]] = []

    def row(name: str, source: str, fn: Callable, inputs: list, note: str = "") -> None:
        if not inputs:
            print(f"{name} / {source}: no inputs", file=sys.stderr)
            return
        try:
            rows.append((name, source, timed(fn, inputs, args.reps), note))
        except Exception as exc:  # a failing query kind is reported in the table, not fatal to the others
            rows.append((name, source, np.full(1, np.nan), f"ERROR {type(exc).__name__}: {exc}"))
        print(f"{name} / {source}: done", file=sys.stderr, flush=True)

    # infgram_logprobs of 1,000-token texts
    corpus_texts = corpus_windows(index, rng, 1000, args.n)
    held_texts = text_windows(index, held, rng, 1000, args.n)
    for source, texts in (("corpus", corpus_texts), ("held-out", held_texts)):
        sl = np.concatenate([index.infgram_logprobs(t).suffix_len for t in texts])
        row("infgram_logprobs 1,000 tokens", source, index.infgram_logprobs, texts,
            f"mean suffix {sl.mean():.1f}, median {np.median(sl):.0f}")

    # ntd of contexts seen 1..1,000 times (exact, no sampling)
    for source, pool in (("corpus", [w for n in (3, 4, 6, 8) for w in corpus_windows(index, rng, n, 4 * args.n)]),
                         ("held-out", [w for n in (3, 4, 6, 8) for w in text_windows(index, held, rng, n, 4 * args.n)])):
        ctx = [c for c in pool if 1 <= index.count(c) <= 1000]
        ctx = [ctx[i] for i in rng.permutation(len(ctx))[: args.n]]
        counts = [index.count(c) for c in ctx]
        row("ntd, context seen <= 1,000 times", source, index.ntd, ctx,
            f"median count {int(np.median(counts)) if counts else 0}")

    # two-clause AND of words (document-level: no window), and of words within 100 tokens
    corpus_text = index.tokenizer.decode(np.concatenate(corpus_windows(index, rng, 4000, 10)).astype(index.dtype))
    for source, text in (("corpus words", corpus_text), ("held-out words", held)):
        ws = words(text)
        pick = rng.choice(len(ws), size=(args.n, 2), replace=len(ws) < 2 * args.n)
        queries = [f"{ws[a]} AND {ws[b]}" for a, b in pick]
        res = [index.search(q, limit=10) for q in queries]
        note = f"median matching docs {int(np.median([r.count for r in res]))}"
        row("search A AND B, limit 10", source, lambda q: index.search(q, limit=10), queries, note)
        row("search A AND B, window 100", source, lambda q: index.search(q, window=100, limit=10), queries)
    bigrams = corpus_windows(index, rng, 2, 2 * args.n)
    queries2 = [[[bigrams[i]], [bigrams[i + 1]]] for i in range(0, len(bigrams), 2)]
    row("search A AND B, 2-byte terms (worst case)", "corpus", lambda q: index.search(q, limit=10), queries2,
        "rarest clause sampled beyond 50k")

    print(f"\nindex {args.index}: {n_tokens:,} tokens, {len(index.shards)} shard(s); "
          f"{args.n} inputs x {args.reps} rounds per row, warm\n")
    print("| query | input | p50 ms | p90 ms | max ms | note |")
    print("|---|---|---|---|---|---|")
    for name, source, ms, note in rows:
        print(f"| {name} | {source} | {np.percentile(ms, 50):.2f} | {np.percentile(ms, 90):.2f} | "
              f"{ms.max():.2f} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
