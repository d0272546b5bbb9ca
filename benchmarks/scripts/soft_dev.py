"""Development loop of soft search (``Index.find_similar``, issue 12): pair test, retrieval, speed.

    python -m benchmarks.scripts.soft_dev corpus --out DIR [--corpus-mb 20]   # injected corpus + index
    python -m benchmarks.scripts.soft_dev pairs --index IDX                   # LLM-Decontaminator pair test
    python -m benchmarks.scripts.soft_dev eval --index DIR/idx                # recall / false positives
    python -m benchmarks.scripts.soft_dev speed --index IDX [--batch] [--soft-model DIR]  # find --soft p50, batch time

``pairs``: each original item is scored (verifier alone, weights from IDX) against its real
rephrasing and against the rephrasing of a random other item of the same benchmark; F1 at the
default threshold and at the best one. ``corpus``: the first ``--corpus-mb`` of the benchmark
corpus (linux.jsonl in the bench folder, see benchmarks/common.py) with injected, as paragraphs
and inline, the rephrasings of some GSM8K / HumanEval / MMLU-sociology items, 1,000 GSM8K train
items and the MMLU dev questions verbatim (same templates, other numbers: what a soft matcher
must not confuse); ``eval`` queries the originals of the injected items (recall) and hard
negatives: other GSM8K train items, MMLU validation questions and non-injected test items.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import tracer
from benchmarks.common import bench_dir, benchmark_data
from tracer.contamination import read_benchmarks
from tracer.query.options import SoftOptions
from tracer.query.soft import too_short
from tracer.query.soft.query import WordStats, check_text, soft_query
from tracer.query.soft.search import verify

DATA = benchmark_data()
N_GSM, N_HE, N_SOC = 400, 82, 100  # injected rephrasings per benchmark


def read_texts(name: str) -> list[str]:
    with gzip.open(DATA / "rephrased" / name, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def gsm_question(rephrased: str) -> str:
    """The question of a rephrased GSM8K record ("Question: ... Answer: ... #### n")."""
    text = re.sub(r"^Question:\s*", "", rephrased)
    return re.split(r"\nAnswer:", text)[0].strip()


def sets() -> dict[str, tuple[list[str], list[str]]]:
    """benchmark -> (original item texts, line-aligned rephrasings)."""
    gsm = [it.input for it in read_benchmarks([str(DATA / "gsm8k/test.jsonl.gz")])]
    he = [it.input for it in read_benchmarks([str(DATA / "humaneval/HumanEval.jsonl.gz")])]
    soc = read_benchmarks([f"mmlu_sociology={DATA / 'rephrased/sociology_test.csv.gz'}"])
    return {
        "gsm8k": (gsm, read_texts("rephrase_gsm8k.jsonl.gz")),
        "humaneval_python": (he, read_texts("humaneval_python.jsonl.gz")),
        "humaneval_c": (he, read_texts("humaneval_c.jsonl.gz")),
        "humaneval_js": (he, read_texts("humaneval_js.jsonl.gz")),
        "sociology": ([it.input for it in soc], read_texts("sociology_test_rephrase_english.jsonl.gz")),
        "sociology_question": ([it.input.split("\n")[0] for it in soc],
                               read_texts("sociology_test_rephrase_english.jsonl.gz")),
    }


def f1_at(pos: list[float], neg: list[float], t: float) -> tuple[float, float, float]:
    tp = sum(s >= t for s in pos)
    fp = sum(s >= t for s in neg)
    fn = len(pos) - tp
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def cmd_pairs(args: argparse.Namespace) -> int:
    tune(args)
    index = tracer.open(args.index)
    threshold = SoftOptions().threshold
    rng = random.Random(args.seed)
    print(f"pair test (verifier alone; weights from {args.index}); default threshold {threshold}")
    print(f"{'set':20} {'pairs':>5} {'F1@def':>7} {'P':>5} {'R':>5} {'bestF1':>7} {'@t':>5}  pos p50 / neg p50")
    for name, (orig, reph) in sets().items():
        pos, neg = [], []
        idx = [i for i in range(min(len(orig), len(reph))) if reph[i].strip() and not too_short(orig[i])]
        stats = WordStats(index)
        qs = {}
        for i in idx:
            ws = check_text(orig[i])
            stats.prepare(ws)
            qs[i] = soft_query(orig[i], ws, stats)
        for i in idx:
            j = rng.choice([x for x in idx if x != i])
            pos.append(verify(qs[i], reph[i])[0])
            neg.append(verify(qs[i], reph[j])[0])
        f, p, r = f1_at(pos, neg, threshold)
        best = max((f1_at(pos, neg, t / 100)[0], t / 100) for t in range(5, 96))
        print(f"{name:20} {len(idx):5d} {f:7.3f} {p:5.2f} {r:5.2f} {best[0]:7.3f} {best[1]:5.2f}  "
              f"{statistics.median(pos):.2f} / {statistics.median(neg):.2f}")
    return 0


# -- injected corpus -------------------------------------------------------------------


def cut_point(doc: str, inline: bool, rng: random.Random) -> int:
    """Where a snippet goes in a document's original text: after a blank line, or between two words."""
    pattern = r"(?<=\w) (?=\w)" if inline else r"\n\n"
    cuts = [m.start() if inline else m.end() for m in re.finditer(pattern, doc)] or [len(doc)]
    return rng.choice(cuts)


def cmd_corpus(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    docs: list[dict] = []
    total = 0
    with open(bench_dir() / "linux.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append({"id": d["id"], "text": d["text"]})
            total += len(d["text"])
            if total >= args.corpus_mb * 1_000_000:
                break
    s = sets()
    injected = {"gsm8k": list(range(N_GSM)), "humaneval_python": list(range(N_HE)),
                "sociology": [i for i in range(N_SOC) if s["sociology"][1][i].strip()]}
    snippets = []
    for name, ids in injected.items():
        for k, i in enumerate(ids):
            text = s[name][1][i]
            snippets.append((gsm_question(text) if name == "gsm8k" and k % 2 else text, k % 2 == 1))
    train = [it.input for it in read_benchmarks([str(DATA / "gsm8k/train.jsonl.gz")])]
    dev = [it.input for it in read_benchmarks([str(DATA / "mmlu/mmlu_dev-1.jsonl.gz")])]
    snippets += [(t, False) for t in train[:1000]] + [(t, True) for t in dev]
    # cuts are chosen in the original texts, so no snippet lands inside another one
    placed: dict[int, list[tuple[int, int, str]]] = {}
    for k, (text, inline) in enumerate(snippets):
        j = rng.randrange(len(docs))
        placed.setdefault(j, []).append((cut_point(docs[j]["text"], inline, rng), k,
                                         f" {text} " if inline else f"{text}\n\n"))
    for j, items in placed.items():
        doc, pieces, last = docs[j]["text"], [], 0
        for cut, _, snippet in sorted(items):
            pieces += [doc[last:cut], snippet]
            last = cut
        docs[j]["text"] = "".join(pieces) + doc[last:]
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    (out / "injected.json").write_text(json.dumps(injected))
    subprocess.run([sys.executable, "-m", "tracer.cli.main", "build", "--out", str(out / "idx"), "--quiet",
                    str(out / "corpus.jsonl")], check=True)
    return 0


def tune(args: argparse.Namespace) -> None:
    """Development overrides of the verifier's constants."""
    from tracer.query.soft import search

    for name in ("beta2", "number_floor", "span_factor"):
        if getattr(args, name, None) is not None:
            setattr(search, name.upper(), getattr(args, name))


def cmd_eval(args: argparse.Namespace) -> int:
    tune(args)
    root = Path(args.index).parent
    injected = json.loads((root / "injected.json").read_text())
    index = tracer.open(args.index)
    opts = SoftOptions(threshold=args.threshold) if args.threshold is not None else SoftOptions()
    s = sets()
    rng = random.Random(args.seed)
    groups: dict[str, list[str]] = {}
    for name, ids in injected.items():
        groups[f"pos {name}"] = [s[name][0][i] for i in ids]
    if "sociology" in injected:
        groups["pos sociology (question)"] = [s["sociology_question"][0][i] for i in injected["sociology"]]
    gsm_rest = [x for i, x in enumerate(s["gsm8k"][0]) if i not in set(injected["gsm8k"])]
    groups["neg gsm8k test (not injected)"] = rng.sample(gsm_rest, min(args.negatives, len(gsm_rest)))
    train = [it.input for it in read_benchmarks([str(DATA / "gsm8k/train.jsonl.gz")])]
    groups["neg gsm8k train (not injected)"] = train[1000 : 1000 + args.negatives]
    val = [it.input for it in read_benchmarks([str(DATA / "mmlu/mmlu_validation-1.jsonl.gz")])]
    groups["neg mmlu validation"] = rng.sample(val, min(args.negatives, len(val)))
    he_rest = [x for i, x in enumerate(s["humaneval_python"][0]) if i not in set(injected["humaneval_python"])]
    groups["neg humaneval (not injected)"] = he_rest
    grid = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]
    print(f"default threshold {opts.threshold}; share of items with a match at each threshold:")
    print(f"{'':34} {'n':>4} " + " ".join(f"{t:5.2f}" for t in grid) + f" {'@def':>5}   time")
    floor = dataclasses.replace(opts, threshold=min(grid[0], opts.threshold))
    for name, texts in groups.items():
        texts = [t for t in texts if not too_short(t)]
        t0 = time.perf_counter()
        res = index.find_similar_many(texts, 1, floor)
        dt = time.perf_counter() - t0
        best = [r[0].score if r else 0.0 for r in res]
        rates = [sum(b >= t for b in best) / max(1, len(best)) for t in [*grid, opts.threshold]]
        print(f"{name:34} {len(texts):4d} " + " ".join(f"{x:5.3f}" for x in rates) + f"   {dt:.1f} s")
        if args.show and name.startswith("neg"):
            for t, r in zip(texts, res, strict=True):
                if r and r[0].score >= args.show:
                    print(f"   FP {r[0].score:.2f} {t[:70]!r} -> {r[0].passage[:70]!r}")
    return 0


def cmd_speed(args: argparse.Namespace) -> int:
    index = tracer.open(args.index)
    gsm = [it.input for it in read_benchmarks([str(DATA / "gsm8k/test.jsonl.gz")])]
    reph = read_texts("rephrase_gsm8k.jsonl.gz")
    passages = [" ".join(t.split()[:60]) for t in gsm + reph if len(t.split()) >= 60][: args.queries]
    arms = [None] + ([args.soft_model] if args.soft_model else [])  # with a model: both arms, one process
    for model in arms:
        index.find_similar(passages[0], 10, model=model)  # compile / warm / load
        times, found = [], 0
        for p in passages:
            t0 = time.perf_counter()
            found += bool(index.find_similar(p, 10, model=model))
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"find_similar of {len(times)} 60-word passages{' with ' + model if model else ''}: "
              f"p50 {1000 * times[len(times) // 2]:.1f} ms, p90 {1000 * times[int(0.9 * len(times))]:.1f} ms "
              f"({found} with a match)")
        if args.batch:
            t0 = time.perf_counter()
            res = index.find_similar_many(gsm, 1, model=model)
            print(f"find_similar_many of {len(gsm)} GSM8K test items{' with the model' if model else ''}: "
                  f"{time.perf_counter() - t0:.1f} s, {sum(bool(r) for r in res)} with a match")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("corpus")
    p.add_argument("--out", required=True)
    p.add_argument("--corpus-mb", type=float, default=20)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("pairs")
    p.add_argument("--index", required=True)
    p.add_argument("--beta2", type=float)
    p.add_argument("--number-floor", type=float)
    p.add_argument("--span-factor", type=float)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("eval")
    p.add_argument("--index", required=True)
    p.add_argument("--beta2", type=float)
    p.add_argument("--number-floor", type=float)
    p.add_argument("--span-factor", type=float)
    p.add_argument("--negatives", type=int, default=500)
    p.add_argument("--threshold", type=float)
    p.add_argument("--show", type=float, metavar="S", help="print negatives matched at score >= S")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("speed")
    p.add_argument("--index", required=True)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--batch", action="store_true")
    p.add_argument("--soft-model", help="also time every query with this sentence model (same process)")
    args = ap.parse_args(argv)
    return {"pairs": cmd_pairs, "corpus": cmd_corpus, "eval": cmd_eval, "speed": cmd_speed}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
