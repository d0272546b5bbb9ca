"""Labelled ground-truth evaluation of ``tracer contamination`` (issue 4).

Builds a real corpus (Python stdlib sources), injects samples of benchmark items from
the shared benchmark data (benchmarks/common.py) in families of changes (verbatim; case/whitespace/hard wrap;
Unicode punctuation; multiple-choice reformatting; first half only; light word edits; the
real paraphrases of rephrased/), each placed as its own paragraph, inline mid-paragraph, or
wrapped in JSON, HTML or Markdown; also injects prompt boilerplate. Then checks positives,
easy negatives (other test items) and hard negatives (GSM8K train, MMLU dev/validation,
unseen items wrapped in the injected boilerplate, and MMLU-style items whose question is template
text and whose options alone occur in the corpus, issue 12 item 5) against a raw and a normalized bytes index
(and a raw BPE index: verdict agreement across tokenizers) and prints precision and recall
per family plus the false-positive rate on hard negatives, for the default method and the
alternatives.

    python -m benchmarks.scripts.contamination_eval [--work DIR] [--corpus-mb 20] [--per-family 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import html
import json
import random
import re
import sys
import sysconfig
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import tracer
from benchmarks.common import benchmark_data
from tracer.contamination import BenchItem, CheckOptions, check_items, read_benchmarks
from tracer.contamination.verdict import judge

DATA = benchmark_data()
FAMILIES = ["verbatim", "case_ws_wrap", "unicode", "mc_reformat", "partial", "light_edit", "rephrased"]
PLACEMENTS = ["paragraph", "inline", "json", "html", "markdown"]
METHODS = [
    ("skip_coverage", 0.4), ("skip_coverage", 0.5), ("skip_coverage", 0.3), ("skip_coverage", 0.2), ("coverage", 0.4),
    ("coverage", 0.2), ("ngram", 0.7), ("longest", 0.5), ("13gram", 1.0),
]
BOILERPLATE = [
    "The following are multiple choice questions (with answers) about {subject}. Think step by step and then "
    "finish your answer with \"the answer is (X)\" where X is the correct letter choice.",
    "Solve the following math problem step by step. The last line of your response should be of the form "
    "Answer: $ANSWER (without quotes) where $ANSWER is the answer to the problem.",
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
]


@dataclass
class Case:
    item: BenchItem
    family: str  # a positive family, or "neg-easy" / "neg-hard-..."
    placement: str = ""

    @property
    def positive(self) -> bool:
        return not self.family.startswith("neg")


# -- corpus ------------------------------------------------------------------------


def stdlib_docs(limit_bytes: int) -> list[dict]:
    root = Path(sysconfig.get_paths()["stdlib"])
    docs, total = [], 0
    for p in sorted(root.rglob("*.py")):
        if "site-packages" in p.parts:
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if not 500 <= len(text) <= 200_000:
            continue
        docs.append({"id": str(p.relative_to(root)), "text": text})
        total += len(text)
        if total >= limit_bytes:
            break
    return docs


# -- families ------------------------------------------------------------------------


def full_text(it: BenchItem) -> str:
    return it.input + ("\n" + it.label if it.label else "")


def case_ws_wrap(text: str, rng: random.Random) -> str:
    text = rng.choice([str.upper, str.lower, lambda s: s.swapcase()])(text)
    text = re.sub(" ", lambda _m: rng.choice([" ", " ", "  ", "\t "]), text)
    width = rng.randint(40, 78)
    return "\n".join(textwrap.fill(line, width) if line.strip() else line for line in text.split("\n"))


def unicode_punct(text: str, rng: random.Random) -> str:
    text = re.sub(r"(?<=\w)'", "\u2019", text)
    text = re.sub(r"'", "\u2018", text)
    quotes = iter(["\u201c", "\u201d"] * len(text))
    text = re.sub('"', lambda _m: next(quotes), text)
    text = text.replace(" - ", " \u2013 ").replace("--", "\u2014").replace("...", "\u2026")

    def space(_m: re.Match) -> str:
        return "\u00a0" if rng.random() < 0.2 else " "

    text = re.sub(" ", space, text)

    def zwsp(m: re.Match) -> str:
        w = m.group(0)
        if len(w) > 4 and rng.random() < 0.15:
            k = rng.randint(1, len(w) - 1)
            return w[:k] + rng.choice(["\u200b", "\u200d", "\u00ad"]) + w[k:]
        return w

    return re.sub(r"\w+", zwsp, text)


def mc_reformat(it: BenchItem, rng: random.Random) -> str:
    lines = it.input.split("\n")
    q, opts = "\n".join(lines[:-4]), lines[-4:]
    style = rng.choice(["({}) {}", "{}. {}", "{}) {}"])
    letters = "ABCD"
    lines = [q] + [style.format(letters[i], o) for i, o in enumerate(opts)]
    ans = letters[opts.index(it.label)] if it.label in opts else "A"
    return "\n".join(lines) + f"\nAnswer: {ans}"


def partial(text: str) -> str:
    words = list(re.finditer(r"\S+", text))
    cut = words[len(words) // 2 - 1].end() if len(words) > 1 else len(text)
    return text[:cut]


def light_edit(text: str, rng: random.Random, vocab: list[str]) -> str:
    words = list(re.finditer(r"[A-Za-z]{3,}", text))
    k = min(len(words), rng.randint(1, 8))
    chosen = {m.start(): m for m in rng.sample(words, k)}
    out, last = [], 0
    for start in sorted(chosen):
        m = chosen[start]
        out += [text[last:start], rng.choice(vocab)]
        last = m.end()
    return "".join(out + [text[last:]])


def render(text: str, it: BenchItem, placement: str) -> tuple[str, str]:
    """(text to insert, where: 'para' or 'inline')."""
    if placement == "json":
        return json.dumps({"id": it.id, "text": text}, ensure_ascii=False), "para"
    if placement == "html":
        body = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n"))
        return f'<div class="item">{body}</div>', "para"
    if placement == "markdown":
        return f"### Problem {it.id}\n\n{text}\n\n---", "para"
    return text, "para" if placement == "paragraph" else "inline"


def insert(doc: str, snippet: str, where: str, rng: random.Random) -> str:
    if where == "para":
        cuts = [m.end() for m in re.finditer(r"\n\n", doc)] or [len(doc)]
        c = rng.choice(cuts)
        return doc[:c] + snippet + "\n\n" + doc[c:]
    cuts = [m.start() for m in re.finditer(r"(?<=\w) (?=\w)", doc)] or [len(doc)]
    c = rng.choice(cuts)
    return doc[:c] + " " + snippet + " " + doc[c:]


# -- benchmark samples ---------------------------------------------------------------


def load_items() -> dict[str, list[BenchItem]]:
    mmlu_test = sorted((DATA / "mmlu").glob("mmlu_test-*.jsonl.gz"))
    return {
        "gsm8k": read_benchmarks([str(DATA / "gsm8k/test.jsonl.gz")]),
        "gsm8k_train": read_benchmarks([str(DATA / "gsm8k/train.jsonl.gz")]),
        "mmlu": read_benchmarks([str(p) for p in mmlu_test]),
        "mmlu_dev": read_benchmarks([str(DATA / "mmlu/mmlu_dev-1.jsonl.gz")]),
        "mmlu_val": read_benchmarks([str(DATA / "mmlu/mmlu_validation-1.jsonl.gz")]),
        "humaneval": read_benchmarks([str(DATA / "humaneval/HumanEval.jsonl.gz")]),
        "sociology": read_benchmarks([f"mmlu_sociology={DATA / 'rephrased/sociology_test.csv.gz'}"]),
    }


def read_lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def make_cases(items: dict[str, list[BenchItem]], per_family: int, rng: random.Random, vocab: list[str]):
    """(cases, injections: list of (text, placement)) with disjoint item samples per family."""
    pools = {k: rng.sample(v, len(v)) for k, v in items.items()}
    take = {k: 0 for k in pools}

    def draw(bench: str, n: int) -> list[BenchItem]:
        out = pools[bench][take[bench] : take[bench] + n]
        take[bench] += n
        return out

    cases: list[Case] = []
    injections: list[tuple[str, BenchItem, str]] = []
    para_gsm = read_lines(DATA / "rephrased/rephrase_gsm8k.jsonl.gz")
    para_he = read_lines(DATA / "rephrased/humaneval_python.jsonl.gz")
    para_soc = read_lines(DATA / "rephrased/sociology_test_rephrase_english.jsonl.gz")
    k = 0
    for family in FAMILIES:
        if family == "rephrased":
            chosen = [(it, para_gsm[int(it.id)]) for it in draw("gsm8k", per_family // 3)]
            chosen += [(it, para_he[int(it.id.split("/")[1])]) for it in draw("humaneval", per_family // 6)]
            chosen += [(it, para_soc[int(it.id)]) for it in draw("sociology", per_family // 3)
                       if para_soc[int(it.id)].strip()]
        else:
            benches = ["mmlu"] if family == "mc_reformat" else ["gsm8k", "mmlu", "humaneval"]
            chosen = []
            for b in benches:
                n = per_family // len(benches) if b != "humaneval" else min(per_family // 3, 20)
                for it in draw(b, n):
                    text = full_text(it)
                    if family == "case_ws_wrap":
                        text = case_ws_wrap(text, rng)
                    elif family == "unicode":
                        text = unicode_punct(text, rng)
                    elif family == "mc_reformat":
                        text = mc_reformat(it, rng)
                    elif family == "partial":
                        text = partial(text)
                    elif family == "light_edit":
                        text = light_edit(text, rng, vocab)
                    chosen.append((it, text))
        for it, text in chosen:
            placement = PLACEMENTS[k % len(PLACEMENTS)]
            k += 1
            cases.append(Case(it, family, placement))
            injections.append((text, it, placement))
    for b, n in (("gsm8k", 200), ("mmlu", 400), ("humaneval", 40)):
        cases += [Case(it, "neg-easy") for it in draw(b, n)]
    cases += [Case(it, "neg-hard-gsm8k-train") for it in draw("gsm8k_train", 1000)]
    cases += [Case(it, "neg-hard-mmlu-dev") for it in draw("mmlu_dev", 285)]
    cases += [Case(it, "neg-hard-mmlu-val") for it in draw("mmlu_val", 500)]
    for i, it in enumerate(draw("gsm8k_train", 150) + draw("mmlu_val", 150)):
        head = BOILERPLATE[i % len(BOILERPLATE)].format(subject="high school mathematics")
        wrapped = BenchItem(f"bp-{it.id}", it.benchmark, it.split, head + "\n\n" + it.input, it.label, it.source)
        cases.append(Case(wrapped, "neg-hard-boilerplate"))
    cases += [Case(it, "neg-hard-options-only") for it in options_only_items()[0]]
    return cases, injections


# issue 12 item 5: "Find the degree for the given field extension Q(sqrt(2), sqrt(3)) over Q." with
# options 0 / 4 / 2 / 6 was flagged at coverage 1.0: its question is template text shared with other
# items of the subject, and another item with the same stem tail and options was in the corpus.
# Here with other radicals and options (so no real MMLU item shares the injected text): per (p, q)
# the checked item, two siblings that make its question template text, and a third sibling with
# the same options in the corpus.
OPTIONS_ONLY = [(3, 7, "1 4 8 16"), (5, 11, "0 3 9 27"), (6, 13, "2 5 10 20"), (10, 17, "1 6 12 36")]
FIELD_STEM = "Find the degree for the given field extension "


def options_only_items() -> tuple[list[BenchItem], list[str]]:
    """(checked items: per (p, q) the item and its two siblings, texts injected into the corpus)."""
    items, texts = [], []
    for p, q, options in OPTIONS_ONLY:  # options differ between the groups: only the stem is shared
        opts = options.split()
        for k, (body, choices) in enumerate([
            (f"Q(sqrt({p}), sqrt({q})) over Q.", opts),
            (f"Q(sqrt({p}), sqrt({q}), sqrt({p * q})) over Q.", ["1", "2", "4", "8"]),
            (f"Q(sqrt({p + 20}), sqrt({q})) over Q.", ["2", "4", "6", "8"]),
        ]):
            items.append(BenchItem(f"opt-{p}-{q}-{k}", "abstract_algebra_extra", "test",
                                   "\n".join([FIELD_STEM + body, *choices]), choices[1]))
        texts.append(f"Exercise. Compute the degree of Q(sqrt({p}) + sqrt({q})) over Q.\n" + "\n".join(opts))
    return items, texts


def build_corpus(docs: list[dict], injections, rng: random.Random, path: Path,
                 extra: list[str] | None = None, extra_seed: int = 0) -> None:
    hosts = [i for i, d in enumerate(docs) if len(d["text"]) > 3000]
    texts = [d["text"] for d in docs]
    for text, it, placement in injections:
        snippet, where = render(text, it, placement)
        h = rng.choice(hosts)
        texts[h] = insert(texts[h], snippet, where, rng)
    for j in range(300):  # boilerplate prompts, copied many times
        h = rng.choice(hosts)
        head = BOILERPLATE[j % len(BOILERPLATE)].format(subject=rng.choice(["high school mathematics", "anatomy"]))
        texts[h] = insert(texts[h], head, "para", rng)
    xrng = random.Random(1000 + extra_seed)  # its own generator: the rest of the corpus is as before
    for text in extra or []:
        h = xrng.choice(hosts)
        texts[h] = insert(texts[h], text, "para", xrng)
    with path.open("w", encoding="utf-8") as f:
        for d, t in zip(docs, texts, strict=True):
            f.write(json.dumps({"id": d["id"], "text": t}, ensure_ascii=False) + "\n")


def train_bpe(corpus: Path, out: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=8000, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())

    def texts():
        with corpus.open(encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)["text"]

    tok.train_from_iterator(texts(), trainer)
    tok.save(str(out))


# -- scoring -------------------------------------------------------------------------


def score(cases: list[Case], results, opts: CheckOptions) -> dict:
    flags = [judge(r.parts, opts)[0] for r in results]
    fam: dict[str, list[bool]] = {}
    for c, f in zip(cases, flags, strict=True):
        fam.setdefault(c.family, []).append(f)
    neg_fp = sum(sum(v) for k, v in fam.items() if k.startswith("neg"))
    out = {}
    for k, v in fam.items():
        if k.startswith("neg"):
            out[k] = {"n": len(v), "fp": sum(v), "fpr": sum(v) / len(v)}
        else:
            tp = sum(v)
            out[k] = {"n": len(v), "tp": tp, "recall": tp / len(v), "precision": tp / (tp + neg_fp) if tp + neg_fp else 1.0}
    by_place: dict[str, list[bool]] = {}
    for c, f in zip(cases, flags, strict=True):
        if c.positive:
            by_place.setdefault(f"{c.family}/{c.placement}", []).append(f)
    for k, v in by_place.items():
        out[k] = {"n": len(v), "tp": sum(v), "recall": sum(v) / len(v)}
    hard = [f for c, f in zip(cases, flags, strict=True) if c.family.startswith("neg-hard")]
    out["hard_negatives"] = {"n": len(hard), "fp": sum(hard), "fpr": sum(hard) / len(hard)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", default=None)
    ap.add_argument("--corpus-mb", type=float, default=20)
    ap.add_argument("--per-family", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-bpe", action="store_true")
    ap.add_argument("--json", default=None, help="write all scores here")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = Path(a.work or tempfile.mkdtemp(prefix="contam-eval-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    docs = stdlib_docs(int(a.corpus_mb * 1e6))
    vocab = sorted({w for d in docs[:200] for w in re.findall(r"[a-z]{4,9}", d["text"])})
    items = load_items()
    cases, injections = make_cases(items, a.per_family, rng, vocab)
    corpus = work / "corpus.jsonl"
    build_corpus(docs, injections, rng, corpus, options_only_items()[1], a.seed)
    print(f"corpus: {len(docs)} stdlib files, {corpus.stat().st_size / 1e6:.1f} MB, {len(injections)} injections, "
          f"{len(cases)} cases ({sum(c.positive for c in cases)} positive)", file=sys.stderr)
    variants = [("raw", {}), ("normalized", {"normalize": True})]
    if not a.no_bpe:
        train_bpe(corpus, work / "bpe.json")
        variants.append(("raw-bpe", {"tokenizer": str(work / "bpe.json")}))
    # as when a whole benchmark is checked: every item counts when finding shared template text
    # (a prompt-wrapped item replaces its plain original: they are one item, not two sharing text)
    wrapped = [c.item for c in cases if c.family == "neg-hard-boilerplate"]
    originals = {(w.benchmark, w.split, w.id[3:]) for w in wrapped}
    reference = [it for v in items.values() for it in v if (it.benchmark, it.split, it.id) not in originals]
    reference += wrapped + options_only_items()[0]
    all_scores, verdicts = {}, {}
    for name, kw in variants:
        out = work / f"idx-{name}"
        tb = time.time()
        if not (out / "manifest.json").exists():
            tracer.build([str(corpus)], str(out), id_field="id", progress=False, **kw)
        tb = time.time() - tb
        index = tracer.open(out)
        tc = time.time()
        results = check_items(index, [c.item for c in cases], CheckOptions(), reference=reference)
        tc = time.time() - tc
        print(f"{name}: {index.n_tokens:,} tokens, build {tb:.0f} s, check {len(cases)} items {tc:.1f} s",
              file=sys.stderr)
        all_scores[name] = {f"{m}@{t}": score(cases, results, CheckOptions(method=m, threshold=t)) for m, t in METHODS}
        verdicts[name] = [r.contaminated for r in results]
    if "raw-bpe" in verdicts:
        agree = sum(x == y for x, y in zip(verdicts["raw"], verdicts["raw-bpe"], strict=True)) / len(cases)
        all_scores["bytes_vs_bpe_agreement"] = agree
    print_tables(all_scores)
    print(f"\ntotal {time.time() - t0:.0f} s; work dir {work}")
    if a.json:
        Path(a.json).write_text(json.dumps(all_scores, indent=1))
    return 0


def print_tables(s: dict) -> None:
    default = f"{METHODS[0][0]}@{METHODS[0][1]}"
    idx_names = [k for k in s if k.startswith(("raw", "normalized"))]
    print(f"\nDefault method ({default}, part any, n=8 words): recall (precision) per family")
    print("| family | n | " + " | ".join(idx_names) + " |")
    print("|---|---|" + "---|" * len(idx_names))
    for fam in FAMILIES:
        row = [s[i][default].get(fam) for i in idx_names]
        if not row[0]:
            continue
        print(f"| {fam} | {row[0]['n']} | " + " | ".join(f"{r['recall']:.3f} ({r['precision']:.3f})" for r in row) + " |")
    for neg in ["neg-easy", "neg-hard-gsm8k-train", "neg-hard-mmlu-dev", "neg-hard-mmlu-val", "neg-hard-boilerplate",
                "neg-hard-options-only", "hard_negatives"]:
        row = [s[i][default][neg] for i in idx_names]
        print(f"| {neg} (FPR) | {row[0]['n']} | " + " | ".join(f"{r['fpr']:.4f} ({r['fp']} FP)" for r in row) + " |")
    for name in idx_names:
        print(f"\nDefault method, {name} index: recall per family and placement")
        print("| family | " + " | ".join(PLACEMENTS) + " |")
        print("|---|" + "---|" * len(PLACEMENTS))
        for fam in FAMILIES:
            cells = [s[name][default].get(f"{fam}/{pl}") for pl in PLACEMENTS]
            print(f"| {fam} | " + " | ".join(f"{c['recall']:.2f} ({c['n']})" if c else "-" for c in cells) + " |")
    print("\nAll methods (normalized index): recall per family / hard-negative FPR")
    fams = [f for f in FAMILIES if f in s["normalized"][default]]
    print("| method | " + " | ".join(fams) + " | hard FPR |")
    print("|---|" + "---|" * (len(fams) + 1))
    for m, t in METHODS:
        sc = s["normalized"][f"{m}@{t}"]
        print(f"| {m}@{t} | " + " | ".join(f"{sc[f]['recall']:.3f}" for f in fams)
              + f" | {sc['hard_negatives']['fpr']:.4f} |")
    if "bytes_vs_bpe_agreement" in s:
        print(f"\nverdict agreement, raw bytes vs raw BPE index (same corpus): {s['bytes_vs_bpe_agreement']:.4f}")


if __name__ == "__main__":
    csv.field_size_limit(1 << 24)
    sys.exit(main())
