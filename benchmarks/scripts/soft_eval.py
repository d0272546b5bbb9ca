"""Labelled evaluation of soft contamination (`tracer contamination --soft`, issue 12).

Development data: the real paraphrases of ``rephrased/`` (LLM Decontaminator, Yang et al. 2023)
injected into a real corpus of >= 100M tokens (the benchmark corpus linux.jsonl, see
benchmarks/common.py), and the ORIGINAL items as queries:

- GSM8K test: a random half of the items has its rephrasing injected, the other half is held
  out (non-injected: same template, other numbers and names);
- HumanEval: half has its Python rephrasing injected, the other half is held out; the C and
  JavaScript translations of the injected half are injected too (reported without a target:
  a translation counts when the item's best match lies on it);
- MMLU sociology: half of the items with a rephrasing has it injected, the rest is held out;
- hard negatives, verbatim in the corpus so that near-identical template text is there to be
  confused with: 1,000 GSM8K train items and half of MMLU validation; queried: 1,000 other GSM8K
  train items, all of MMLU dev and the other half of validation; non-injected items also
  include 1,000 MMLU test items of other subjects. A negative whose whole input is that of an item
  injected verbatim (MMLU repeats items across splits) is in the corpus word for word: it is
  listed and left out of the false-positive rates (``duplicates_of_injected``).

Each injection alternates between its own paragraph (between paragraphs of a document) and
inline (mid-sentence). Queries run through ``check_items`` exactly as ``tracer contamination
--soft`` does (whole benchmarks as template reference), once without and once with the soft
tier (exact verdicts must be identical), with a low score floor so that every threshold can be
read off one run.

    flock /work/bench/heavy.lock python -m benchmarks.scripts.soft_eval corpus [--work DIR] [--seed 0]
    flock /work/bench/heavy.lock python -m benchmarks.scripts.soft_eval run [--work DIR] [--json OUT]
    flock /work/bench/heavy.lock python -m benchmarks.scripts.soft_eval run --soft-model DIR ...   # with a sentence model
    python -m benchmarks.scripts.soft_eval run --work DIR --rates-only --json OUT   # rates of one seed, ~2 min
    python -m benchmarks.scripts.soft_eval negatives --index IDX   # all 13,841 other MMLU test items, ~3 min
    python -m benchmarks.scripts.soft_eval pairs [--work DIR] [--soft-model DIR]  # the LLM Decontaminator pair test
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import tracer
from benchmarks.common import bench_dir, benchmark_data
from tracer.contamination import BenchItem, CheckOptions, check_items, read_benchmarks

DATA = benchmark_data()
FLOOR = 0.2  # soft matches kept down to this score, so every threshold reads off one run
GRID = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.62, 0.64, 0.66, 0.7, 0.75, 0.8]
TARGETS = {"recall gsm8k": 0.8, "recall mmlu_sociology": 0.6, "recall humaneval": 0.6,
           "fpr hard": 0.005, "fpr non-injected": 0.001}
PUBLISHED = "10-gram overlap F1 0.00; embeddings 0.985 (English MMLU); GPT-4 judge 0.94-0.99 (Yang et al. 2023)"


def read_texts(name: str) -> list[str]:
    with gzip.open(DATA / "rephrased" / name, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def gsm_question(rephrased: str) -> str:
    """The question of a rephrased GSM8K record ("Question: ... Answer: ... #### n")."""
    return re.split(r"\nAnswer:", re.sub(r"^Question:\s*", "", rephrased))[0].strip()


@dataclass
class Plan:
    """What was injected (by item index) and what is queried as negatives."""

    gsm_in: list[int]
    he_in: list[int]
    soc_in: list[int]
    train_in: list[int]
    val_in: list[int]


def load() -> dict[str, list[BenchItem]]:
    mmlu_test = sorted((DATA / "mmlu").glob("mmlu_test-*.jsonl.gz"))
    return {
        "gsm8k": read_benchmarks([str(DATA / "gsm8k/test.jsonl.gz")]),
        "gsm8k_train": read_benchmarks([str(DATA / "gsm8k/train.jsonl.gz")]),
        "humaneval": read_benchmarks([str(DATA / "humaneval/HumanEval.jsonl.gz")]),
        "sociology": read_benchmarks([f"mmlu_sociology={DATA / 'rephrased/sociology_test.csv.gz'}"]),
        "mmlu": read_benchmarks([str(p) for p in mmlu_test]),
        "mmlu_dev": read_benchmarks([str(DATA / "mmlu/mmlu_dev-1.jsonl.gz")]),
        "mmlu_val": read_benchmarks([str(DATA / "mmlu/mmlu_validation-1.jsonl.gz")]),
    }


def make_plan(items: dict[str, list[BenchItem]], soc_reph: list[str], seed: int) -> Plan:
    rng = random.Random(seed)

    def half(n: int) -> list[int]:
        return sorted(rng.sample(range(n), n // 2))

    soc_ok = [i for i in range(len(items["sociology"])) if soc_reph[i].strip()]
    return Plan(gsm_in=half(len(items["gsm8k"])), he_in=half(len(items["humaneval"])),
                soc_in=sorted(rng.sample(soc_ok, len(soc_ok) // 2)),
                train_in=sorted(rng.sample(range(len(items["gsm8k_train"])), 1000)),
                val_in=half(len(items["mmlu_val"])))


def insert(doc: str, snippet: str, inline: bool, rng: random.Random) -> str:
    if not inline:
        cuts = [m.end() for m in re.finditer(r"\n\n", doc)] or [len(doc)]
        c = rng.choice(cuts)
        return doc[:c] + snippet + "\n\n" + doc[c:]
    cuts = [m.start() for m in re.finditer(r"(?<=\w) (?=\w)", doc)] or [len(doc)]
    c = rng.choice(cuts)
    return doc[:c] + " " + snippet + " " + doc[c:]


def cmd_corpus(a: argparse.Namespace) -> int:
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(a.seed)
    items = load()
    reph = {"gsm8k": read_texts("rephrase_gsm8k.jsonl.gz"), "python": read_texts("humaneval_python.jsonl.gz"),
            "c": read_texts("humaneval_c.jsonl.gz"), "js": read_texts("humaneval_js.jsonl.gz"),
            "sociology": read_texts("sociology_test_rephrase_english.jsonl.gz")}
    plan = make_plan(items, reph["sociology"], a.seed)
    snippets: list[tuple[str, str, bool]] = []  # (kind:key, text, inline)
    for k, i in enumerate(plan.gsm_in):
        inline = k % 2 == 1
        snippets.append((f"gsm8k:{i}", gsm_question(reph["gsm8k"][i]) if inline else reph["gsm8k"][i], inline))
    for i in plan.he_in:
        for lang in ("python", "c", "js"):  # code stays a paragraph of its own
            snippets.append((f"humaneval_{lang}:{i}", reph[lang][i], False))
    for k, i in enumerate(plan.soc_in):
        snippets.append((f"sociology:{i}", reph["sociology"][i], k % 2 == 1))
    for k, i in enumerate(plan.train_in):
        snippets.append((f"train:{i}", items["gsm8k_train"][i].input, k % 2 == 1))
    for k, i in enumerate(plan.val_in):
        snippets.append((f"val:{i}", items["mmlu_val"][i].input, k % 2 == 1))
    docs = []
    with open(bench_dir() / "linux.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append({"id": d["id"], "text": d["text"]})
    hosts = [j for j, d in enumerate(docs) if len(d["text"]) > 2000]
    placed: dict[str, int] = {}
    for key, text, inline in snippets:
        j = rng.choice(hosts)
        docs[j]["text"] = insert(docs[j]["text"], text, inline, rng)
        placed[key] = j
    located = {}
    for key, text, _ in snippets:  # where each injection ended up, in its document's own characters
        j = placed[key]
        at = docs[j]["text"].find(text)
        located[key] = [docs[j]["id"], at, at + len(text)]
    with open(work / "corpus.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    (work / "plan.json").write_text(json.dumps({"seed": a.seed, "plan": plan.__dict__, "located": located}))
    t0 = time.time()
    tracer.build([str(work / "corpus.jsonl")], str(work / "idx"), id_field="id", progress=False)
    print(f"corpus {sum(len(d['text']) for d in docs) / 1e6:.0f} MB, {len(snippets)} injections; "
          f"build {time.time() - t0:.0f} s", file=sys.stderr)
    return 0


# -- run -------------------------------------------------------------------------------


@dataclass
class Group:
    name: str
    kind: str  # pos, neg-hard, neg-non-injected, translation
    items: list[BenchItem]
    keys: list[str] | None = None  # injection keys (translations: where the match must lie)


def groups(items: dict[str, list[BenchItem]], plan: Plan, seed: int) -> list[Group]:
    rng = random.Random(seed + 1)
    out_of = {"gsm8k": set(plan.gsm_in), "humaneval": set(plan.he_in), "sociology": set(plan.soc_in)}
    g = [Group("gsm8k", "pos", [items["gsm8k"][i] for i in plan.gsm_in]),
         Group("humaneval", "pos", [items["humaneval"][i] for i in plan.he_in]),
         Group("mmlu_sociology", "pos", [items["sociology"][i] for i in plan.soc_in])]
    for lang in ("c", "js"):
        g.append(Group(f"humaneval_{lang} (translation)", "translation", [items["humaneval"][i] for i in plan.he_in],
                       [f"humaneval_{lang}:{i}" for i in plan.he_in]))
    for name in ("gsm8k", "humaneval", "sociology"):
        rest = [it for i, it in enumerate(items[name]) if i not in out_of[name]]
        g.append(Group(f"{'mmlu_' if name == 'sociology' else ''}{name} held out", "neg-non-injected", rest))
    # MMLU test files carry no subject: the sociology items (whose rephrasings are injected) are told
    # apart by their question (the first line of the input)
    soc_questions = {it.input.split("\n")[0].strip() for it in items["sociology"]}
    other = [it for it in items["mmlu"] if it.input.split("\n")[0].strip() not in soc_questions]
    g.append(Group("mmlu test, other subjects", "neg-non-injected", rng.sample(other, 1000)))
    train_in = set(plan.train_in)
    train_rest = [it for i, it in enumerate(items["gsm8k_train"]) if i not in train_in]
    g.append(Group("gsm8k train", "neg-hard", rng.sample(train_rest, 1000)))
    g.append(Group("mmlu dev", "neg-hard", items["mmlu_dev"]))
    val_in = set(plan.val_in)
    g.append(Group("mmlu validation", "neg-hard", [it for i, it in enumerate(items["mmlu_val"]) if i not in val_in]))
    return g


def on_injection(m: dict | None, where: list) -> bool:
    return bool(m) and m["doc_id"] == where[0] and m["start_char"] < where[2] and where[1] < m["end_char"]


def duplicates_of_injected(items: dict[str, list[BenchItem]], plan: Plan, report: dict) -> list[dict]:
    """Negatives whose whole input (question and options, whitespace and case aside) is that of an
    item injected verbatim: MMLU repeats some items across splits (test/501 is validation/137), so
    these "negatives" are in the corpus word for word and calling them contaminated is right. They
    are marked ``duplicate`` and left out of the false-positive rates."""
    def norm(it: BenchItem) -> str:
        return " ".join(it.input.split()).casefold()

    injected = {norm(items["mmlu_val"][i]) for i in plan.val_in} | {norm(items["gsm8k_train"][i]) for i in plan.train_in}
    by_id = {(it.benchmark, it.split, it.id): it for v in items.values() for it in v}
    found = []
    for name, g in report["groups"].items():
        if not g["kind"].startswith("neg"):
            continue
        for r in g["rows"]:
            it = by_id.get(tuple(r["key"]))
            r["duplicate"] = it is not None and norm(it) in injected
            if r["duplicate"]:
                found.append({"group": name, "id": r["id"], "exact": r["exact"], "score": r["score"]})
    return found


def reference_key(item: BenchItem, by: str) -> str:
    """Which items check together as one benchmark: all splits of its name (MMLU test, dev and
    validation), or (``split``) only its own split, as a user checking one file gets."""
    return item.benchmark if by == "benchmark" else f"{item.benchmark}/{item.split}"


def cmd_run(a: argparse.Namespace) -> int:
    work = Path(a.work)
    meta = json.loads((work / "plan.json").read_text())
    plan = Plan(**meta["plan"])
    items = load()
    index = tracer.open(work / "idx")
    by_bench: dict[str, list[BenchItem]] = {}
    for v in items.values():  # template text is found per benchmark, over all of its items (as a whole
        for it in v:          # benchmark checked at once); --reference split: over its split's only
            by_bench.setdefault(reference_key(it, a.reference), []).append(it)
    base = CheckOptions()
    soft_opts = replace(base, soft=True, soft_threshold=a.threshold, soft_model=a.soft_model)
    report: dict = {"index": {"path": str(work / "idx"), "n_tokens": index.n_tokens, "n_docs": index.n_docs},
                    "reference": a.reference,
                    "floor": FLOOR, "soft_model": a.soft_model, "groups": {}}
    print(f"index: {index.n_tokens:,} tokens, {index.n_docs:,} documents; soft floor {FLOOR}", file=sys.stderr)
    for g in groups(items, plan, meta["seed"]):
        reference = [it for b in sorted({reference_key(it, a.reference) for it in g.items}) for it in by_bench[b]]
        t0 = time.perf_counter()
        exact = check_items(index, g.items, base, reference=reference)
        t1 = time.perf_counter()
        soft = check_items(index, g.items, soft_opts, reference=reference, soft_floor=FLOOR)
        t2 = time.perf_counter()
        same_exact = all(e.contaminated == (s.match in ("exact", "normalized")) for e, s in zip(exact, soft, strict=True))
        rows = []
        for e, s in zip(exact, soft, strict=True):
            m = s.soft.to_json() if s.soft is not None else None
            rows.append({"id": s.item.id, "key": [s.item.benchmark, s.item.split, s.item.id],
                         "exact": e.contaminated, "score": m["score"] if m else 0.0,
                         "soft": m, "note": s.soft_note})
        located = None
        if g.keys:
            located = [on_injection(r["soft"], meta["located"][k]) for r, k in zip(rows, g.keys, strict=True)]
        report["groups"][g.name] = {"kind": g.kind, "n": len(rows), "exact_s": t1 - t0, "soft_s": t2 - t1,
                                    "exact_unchanged": same_exact, "rows": rows, "located": located}
        print(f"{g.name}: {len(rows)} items, exact {t1 - t0:.1f} s, exact+soft {t2 - t1:.1f} s", file=sys.stderr)
    report["duplicates"] = duplicates_of_injected(items, plan, report)
    if not a.rates_only:
        report["speed"] = speed(index, items["gsm8k"], soft_opts)
        report["pairs"] = pair_test(index, items, meta["seed"], a.soft_model)
    if a.json:
        Path(a.json).write_text(json.dumps(report))
    print_report(report, soft_opts.soft_cutoff)
    return 0


def speed(index, gsm: list[BenchItem], opts: CheckOptions) -> dict:
    """The 1,319 GSM8K test items: exact alone, and with the soft tier (as `tracer contamination
    gsm8k/test.jsonl.gz --soft` runs them)."""
    check_items(index, gsm[:50], opts)  # compile and warm
    t0 = time.perf_counter()
    check_items(index, gsm, replace(opts, soft=False))
    t1 = time.perf_counter()
    res = check_items(index, gsm, opts)
    t2 = time.perf_counter()
    return {"items": len(gsm), "exact_s": round(t1 - t0, 2), "soft_s": round(t2 - t1, 2),
            "soft_contaminated": sum(r.match == "soft" for r in res)}


# -- the LLM Decontaminator pair test -------------------------------------------------------


def pair_test(index, items: dict[str, list[BenchItem]], seed: int, model: str | None = None) -> dict:
    """Each original scored against its rephrasing and against a random other item's rephrasing of
    the same benchmark (the verifier alone, word weights from ``index``; with ``model``, its cosine
    mixed in as the soft search mixes it); F1 at each threshold."""
    from tracer.contamination.soft import soft_query_text
    from tracer.query.soft import too_short, verify
    from tracer.query.soft.query import WordStats, check_text, soft_query

    rng = random.Random(seed + 2)
    sets = {"gsm8k": (items["gsm8k"], read_texts("rephrase_gsm8k.jsonl.gz")),
            "humaneval_python": (items["humaneval"], read_texts("humaneval_python.jsonl.gz")),
            "humaneval_c": (items["humaneval"], read_texts("humaneval_c.jsonl.gz")),
            "humaneval_js": (items["humaneval"], read_texts("humaneval_js.jsonl.gz")),
            "mmlu_sociology": (items["sociology"], read_texts("sociology_test_rephrase_english.jsonl.gz"))}
    out = {}
    for name, (orig, reph) in sets.items():
        idx = [i for i in range(len(orig)) if reph[i].strip() and not too_short(soft_query_text(orig[i]))]
        stats = WordStats(index)
        queries = {}
        for i in idx:
            text = soft_query_text(orig[i])
            ws = check_text(text)
            stats.prepare(ws)
            queries[i] = soft_query(text, ws, stats)
        pos, neg, other = [], [], []
        for i in idx:
            j = rng.choice([x for x in idx if x != i])
            other.append(j)
            pos.append(float(verify(queries[i], reph[i])[0]))
            neg.append(float(verify(queries[i], reph[j])[0]))
        if model is not None:
            from tracer.query.soft.model import combined_score, load_model

            vq = load_model(model).embed([queries[i].text for i in idx])
            vr = load_model(model).embed([reph[i] for i in idx])
            at = {i: k for k, i in enumerate(idx)}
            pos = [combined_score(s, float(vq[k] @ vr[k])) for k, s in enumerate(pos)]
            neg = [combined_score(s, float(vq[k] @ vr[at[j]])) for k, (s, j) in enumerate(zip(neg, other, strict=True))]
        out[name] = {"pairs": len(idx), "pos": pos, "neg": neg}
    return out


def f1_at(pos: list[float], neg: list[float], t: float) -> float:
    tp, fp = sum(s >= t for s in pos), sum(s >= t for s in neg)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / len(pos) if pos else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


# -- tables ---------------------------------------------------------------------------------


def rate(rows: list[dict], t: float, keep: Callable[[dict], bool] = lambda r: True) -> float:
    """Share of rows called contaminated (exact, or a soft match >= t)."""
    return sum(bool(r["exact"] or r["score"] >= t) for r in rows if keep(r)) / max(1, len(rows))


def _pooled(report: dict, kind: str) -> list[dict]:
    return [r for g in report["groups"].values() if g["kind"] == kind for r in _judged(g["rows"])]


def _judged(rows: list[dict]) -> list[dict]:
    """Rows that count in the rates: not a duplicate of an injected item (``duplicates_of_injected``)."""
    return [r for r in rows if not r.get("duplicate")]


def recall_by_benchmark(report: dict, t: float) -> dict[str, float]:
    return {name: rate(g["rows"], t) for name, g in report["groups"].items() if g["kind"] == "pos"}


def choose_threshold(report: dict) -> tuple[float, str]:
    """The lowest grid threshold whose false-positive rates meet the targets (hard negatives <=
    0.5%, non-injected <= 0.1%); if none does, the one maximizing mean recall (GSM8K, HumanEval,
    MMLU) minus 10 x mean false-positive rate (hard, non-injected): the targets' own exchange
    rate (0.5% of false positives against 80% recall: 1 point of false positives costs 10 of recall)."""
    hard, non = _pooled(report, "neg-hard"), _pooled(report, "neg-non-injected")
    for t in GRID:
        if rate(hard, t) <= TARGETS["fpr hard"] and rate(non, t) <= TARGETS["fpr non-injected"]:
            return t, "lowest grid value meeting both false-positive targets"

    def utility(t: float) -> float:
        recall = list(recall_by_benchmark(report, t).values())
        return sum(recall) / len(recall) - 10 * (rate(hard, t) + rate(non, t)) / 2

    best = max(GRID, key=utility)
    return best, (f"no grid value meets both false-positive targets; maximizes mean recall - 10 x mean FPR "
                  f"({utility(best):.3f})")


def _verdict(row: dict) -> str:
    return "exact" if row["exact"] else f"soft {row['score']:.2f}"


def print_report(report: dict, threshold: float) -> None:
    gs = report["groups"]
    print(f"\nShare of items called contaminated (exact tier, or soft score >= t); default t = {threshold}")
    print("| group | kind | n | " + " | ".join(f"{t:g}" for t in GRID) + " | exact only |")
    print("|---|---|---|" + "---|" * (len(GRID) + 1))
    for name, g in gs.items():
        rows = g["rows"]
        if g["located"] is not None:
            cells = [sum(loc and r["score"] >= t for r, loc in zip(rows, g["located"], strict=True)) / len(rows)
                     for t in GRID]
            name += " (match on the translation)"
        else:
            rows = _judged(rows)
            cells = [rate(rows, t) for t in GRID]
        print(f"| {name} | {g['kind']} | {len(rows)} | " + " | ".join(f"{c:.3f}" for c in cells)
              + f" | {rate(rows, 2.0):.3f} |")
    hard, non = _pooled(report, "neg-hard"), _pooled(report, "neg-non-injected")
    print(f"| all hard negatives | | {len(hard)} | " + " | ".join(f"{rate(hard, t):.4f}" for t in GRID) + " | |")
    print(f"| all non-injected | | {len(non)} | " + " | ".join(f"{rate(non, t):.4f}" for t in GRID) + " | |")
    dups = report.get("duplicates", [])
    if dups:
        print("\nleft out of the negatives as duplicates of injected items (the same question and options): "
              + ", ".join(f"{d['group']} {d['id']} ({_verdict(d)})" for d in dups))
    t, why = choose_threshold(report)
    print(f"\nchosen threshold on this data: {t} ({why})")
    print(f"at {threshold} (default): recall " + ", ".join(f"{k} {v:.3f}" for k, v in recall_by_benchmark(report, threshold).items())
          + f"; FPR hard {rate(hard, threshold):.4f}, non-injected {rate(non, threshold):.4f}")
    print(f"exact verdicts unchanged by the soft tier in every group: "
          f"{all(g['exact_unchanged'] for g in gs.values())}")
    if "speed" not in report:  # run --rates-only
        return
    s = report["speed"]
    print(f"speed: {s['items']} GSM8K test items, exact {s['exact_s']} s, exact + soft {s['soft_s']} s "
          f"({s['soft_contaminated']} soft matches at the default threshold)")
    print(f"\nLLM Decontaminator pair test (original vs its rephrasing / vs another item's): F1; published: {PUBLISHED}")
    print("| set | pairs | " + " | ".join(f"F1@{x:g}" for x in GRID) + " | best F1 (t) |")
    print("|---|---|" + "---|" * (len(GRID) + 1))
    for name, p in report["pairs"].items():
        f1s = [f1_at(p["pos"], p["neg"], x) for x in GRID]
        best = max((f1_at(p["pos"], p["neg"], x / 100), x / 100) for x in range(5, 96))
        print(f"| {name} | {p['pairs']} | " + " | ".join(f"{f:.3f}" for f in f1s) + f" | {best[0]:.3f} ({best[1]:.2f}) |")


def cmd_pairs(a: argparse.Namespace) -> int:
    index = tracer.open(Path(a.work) / "idx")
    items = load()
    report = {"pairs": pair_test(index, items, 0, a.soft_model)}
    for name, p in report["pairs"].items():
        best = max((f1_at(p["pos"], p["neg"], x / 100), x / 100) for x in range(5, 96))
        print(f"{name}: {p['pairs']} pairs, best F1 {best[0]:.3f} at {best[1]:.2f}")
    return 0


def cmd_negatives(a: argparse.Namespace) -> int:
    """All MMLU test items of subjects other than sociology (13,841; the run samples 1,000 of them),
    checked with the soft tier against ``--index``: nothing of them is injected, so every item called
    contaminated is a false positive of the base corpus (or an exact-tier call on a verbatim copy of
    a near-duplicate validation item, listed apart). Any index works, one built from a corpus with
    nothing injected too: a held-out estimate of the false-positive rate on unrelated text."""
    items = load()
    index = tracer.open(a.index)
    soc_questions = {it.input.split("\n")[0].strip() for it in items["sociology"]}
    other = [it for it in items["mmlu"] if it.input.split("\n")[0].strip() not in soc_questions]
    reference = items["mmlu"] + items["mmlu_dev"] + items["mmlu_val"]
    t0 = time.perf_counter()
    res = check_items(index, other, replace(CheckOptions(), soft=True, soft_model=a.soft_model), reference=reference)
    soft = [r for r in res if r.match == "soft"]
    exact = [r for r in res if r.match in ("exact", "normalized")]
    print(f"{len(res)} MMLU test items (not sociology) against {a.index} ({index.n_tokens:,} tokens) in "
          f"{time.perf_counter() - t0:.0f} s: soft {len(soft)} ({len(soft) / len(res):.3%}), "
          f"exact {len(exact)} ({len(exact) / len(res):.3%})")
    for r in soft:
        print(f"  {r.item.id} {r.soft.score:.3f} {r.soft.doc_id} {r.soft.passage[:100]!r}")
    if a.json:
        Path(a.json).write_text(json.dumps([r.to_json() for r in res if r.contaminated]))
    return 0


def cmd_show(a: argparse.Namespace) -> int:
    report = json.loads(Path(a.json).read_text())
    print_report(report, CheckOptions(soft_threshold=a.threshold, soft_model=report.get("soft_model")).soft_cutoff)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    default_work = str(bench_dir() / "soft-eval")
    p = sub.add_parser("corpus")
    p.add_argument("--work", default=default_work)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("run")
    p.add_argument("--work", default=default_work)
    p.add_argument("--threshold", type=float)
    p.add_argument("--soft-model", help="a sentence model directory that re-scores soft matches")
    p.add_argument("--json")
    p.add_argument("--rates-only", action="store_true",
                   help="recall and false-positive rates only: no speed run, no pair test (a seed in ~2 min)")
    p.add_argument("--reference", choices=("benchmark", "split"), default="benchmark",
                   help="the items a group is checked with (templates, shared passages, soft attribution): all "
                        "splits of its benchmark (default) or its own split only")
    p = sub.add_parser("pairs")
    p.add_argument("--work", default=default_work)
    p.add_argument("--soft-model", help="a sentence model directory mixed into the pair scores")
    p = sub.add_parser("negatives", help="every MMLU test item outside sociology against an index: false positives")
    p.add_argument("--index", required=True)
    p.add_argument("--json", help="write the items called contaminated here")
    p.add_argument("--soft-model", help="a sentence model directory that re-scores soft matches")
    p = sub.add_parser("show", help="re-print the tables of a saved --json report")
    p.add_argument("json")
    p.add_argument("--threshold", type=float)
    a = ap.parse_args(argv)
    return {"corpus": cmd_corpus, "run": cmd_run, "pairs": cmd_pairs, "negatives": cmd_negatives,
            "show": cmd_show}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
