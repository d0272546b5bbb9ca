"""Controlled evaluation of reference-calibrated membership scores (infgram_ref and variants).

Extends membership_eval.py (a small GPT trained on members + background, scored through
tracer's adapter + scoring path) with REFERENCE INDEXES of the same source, disjoint from every
evaluation text, at three sizes:

1. source: the Linux sources (``linux.jsonl``'s Linux files + ``linux-extra.jsonl`` of other
   directories, see make_corpus.py), identical files dropped; one fixed shuffle (``POOL_SEED``,
   the same for every seed) splits FILES into an evaluation pool and a reference pool;
2. a byte-level BPE trained on the first reference files (public text: no evaluation text);
3. references = prefixes of the shuffled reference pool of about 1M, 10M and 100M tokens (nested),
   built with ``tracer.build(tokenizer=that.json)``; a chunk whose whole text occurs in the
   largest reference is dropped from the evaluation pool (copies of a file elsewhere in the tree);
4. per seed: the evaluation pool is split by file into background, members, non-members and
   non-members-2; the GPT trains on background + members; after epochs 1, 3 and 10 every score
   (loss, zlib, Min-K%, Min-K%++, DC-PDD with frequencies from the reference, infgram_ref and the
   variants of tracer/membership/reference.py) is evaluated per reference: members vs
   non-members, and the null control non-members vs non-members-2.

    python -m benchmarks.scripts.membership_ref_eval --seed 0 --json s0.json   # one seed (~21 min at load 6-9)
    python -m benchmarks.scripts.membership_ref_eval --report s0.json s1.json  # choose on s0, report s1

Reference indexes are cached in ``--workdir`` (default: ``membership-ref`` in the bench folder).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from benchmarks.common import bench_dir
from benchmarks.scripts.membership_eval import (
    BOS,
    _key,
    chunk_text,
    make_gpt,
    null_auroc_sd,
    train_epoch,
)

POOL_SEED = 12345  # the file shuffle that separates evaluation and reference pools (never varied)
EVAL_SPLITS = ("members", "nonmembers", "nonmembers2")
BASE_NAMES = ("loss", "zlib", "min_k", "min_k_pp", "dc_pdd")


@dataclass(frozen=True)
class RefEvalConfig:
    seed: int = 0
    chunk_chars: int = 500
    chunks_per_file: int = 3  # background chunks per file (evaluation sets take 1 per file)
    n_background: int = 450
    n_members: int = 200
    n_nonmembers: int = 200  # per non-member set
    n_eval_files: int = 4000  # files set aside for the evaluation pool (before duplicate filtering)
    # 100M was the plan; at load ~8 on 2 cores its BPE build alone took > 25 min (see RESULTS.md)
    ref_tokens: tuple[int, ...] = (1_000_000, 3_000_000, 10_000_000)
    tokenizer_bytes: int = 4_000_000  # reference text the BPE trains on
    vocab_size: int = 2048
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    ctx: int = 160
    epochs: int = 10
    eval_epochs: tuple[int, ...] = (1, 3, 10)
    batch_size: int = 8
    lr: float = 2e-3
    threads: int = 1
    k: float = 0.2
    a: float = 0.01


# -- data -----------------------------------------------------------------------------------------
def linux_files(sources: list[Path]) -> list[tuple[str, str]]:
    """(id, text) of every Linux file of the sources, identical files (whitespace-collapsed) once."""
    seen: set[str] = set()
    out = []
    for src in sources:
        with open(src, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                if not rec["id"].startswith("linux"):
                    continue  # the stdlib part of linux.jsonl
                key = _key(rec["text"])
                if key not in seen:
                    seen.add(key)
                    out.append((rec["id"], rec["text"]))
    return out


def split_pools(files: list[tuple[str, str]], n_eval: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    rng = random.Random(POOL_SEED)
    order = list(range(len(files)))
    rng.shuffle(order)
    shuffled = [files[i] for i in order]
    return shuffled[:n_eval], shuffled[n_eval:]


def make_eval_splits(cfg: RefEvalConfig, pool: list[tuple[str, str]], drop) -> dict[str, list[str]]:
    """Split the evaluation pool by file (seeded) into the four sets, as membership_eval does;
    ``drop(chunk)`` True removes a chunk (found verbatim in the reference)."""
    rng = random.Random(cfg.seed)
    files = list(pool)
    rng.shuffle(files)
    quotas = {"members": cfg.n_members, "nonmembers": cfg.n_nonmembers, "nonmembers2": cfg.n_nonmembers,
              "background": cfg.n_background}
    out: dict[str, list[str]] = {s: [] for s in quotas}
    seen: set[str] = set()
    turn = 0
    for _, text in files:
        open_splits = [s for s in quotas if len(out[s]) < quotas[s]]
        if not open_splits:
            break
        unique = []
        for c in chunk_text(text, cfg.chunk_chars):
            if c.strip() and _key(c) not in seen:
                seen.add(_key(c))
                if not drop(c):
                    unique.append(c)
        if not unique:
            continue
        split = open_splits[turn % len(open_splits)]
        turn += 1
        take = cfg.chunks_per_file if split == "background" else 1
        picked = rng.sample(unique, min(take, len(unique)))
        out[split].extend(picked[: quotas[split] - len(out[split])])
    short = [s for s in quotas if len(out[s]) < quotas[s]]
    if short:
        raise RuntimeError(f"the evaluation pool is too small for the quotas of {short}")
    return out


def default_sources() -> list[Path]:
    return [p for p in (bench_dir() / "linux.jsonl", bench_dir() / "linux-extra.jsonl") if p.exists()]


def prepare_references(cfg: RefEvalConfig, workdir: Path, sources: list[Path],
                       log=print) -> tuple[Path, list[Path], list[tuple[str, str]]]:
    """Tokenizer and nested reference indexes (cached in ``workdir``); returns them and the evaluation pool."""
    import tracer
    from benchmarks.scripts.membership_eval import train_tokenizer
    from tracer.tokenize import HFTokenizer

    workdir.mkdir(parents=True, exist_ok=True)
    if not sources:
        raise SystemExit(f"no linux.jsonl in {bench_dir()} (see benchmarks/scripts/make_corpus.py)")
    t0 = time.perf_counter()
    eval_pool, ref_pool = split_pools(linux_files(sources), cfg.n_eval_files)
    log(f"pools: {len(eval_pool)} evaluation files, {len(ref_pool)} reference files "
        f"({sum(len(t) for _, t in ref_pool) / 1e6:.0f} MB) from {[p.name for p in sources]}; "
        f"{time.perf_counter() - t0:.0f}s")
    tok_path = workdir / "tokenizer.json"
    if not tok_path.exists():
        texts, size = [], 0
        for _, t in ref_pool:
            texts.append(t)
            size += len(t)
            if size >= cfg.tokenizer_bytes:
                break
        train_tokenizer(texts, cfg.vocab_size, tok_path)
    tokenizer = HFTokenizer(tok_path)
    sample = "".join(t for _, t in ref_pool[:300])
    bytes_per_token = len(sample.encode()) / len(tokenizer.encode(sample))
    indexes = []
    for target in cfg.ref_tokens:
        out = workdir / f"ref-{target // 1_000_000}M"
        if not (out / "manifest.json").exists():
            budget = target * bytes_per_token
            docs, size = [], 0
            for doc_id, t in ref_pool:
                if size >= budget:
                    break
                docs.append((doc_id, t))
                size += len(t.encode())
            if size < 0.9 * budget:
                log(f"reference {out.name}: only {size / 1e6:.0f} MB in the pool for {budget / 1e6:.0f} MB")
            src = workdir / f"{out.name}.jsonl"
            with open(src, "w", encoding="utf-8") as f:
                for doc_id, t in docs:
                    f.write(json.dumps({"id": doc_id, "text": t}) + "\n")
            t1 = time.perf_counter()
            tracer.build([str(src)], str(out), id_field="id", tokenizer=str(tok_path), progress=False)
            src.unlink()
            log(f"built {out.name}: {time.perf_counter() - t1:.0f}s")
        idx = tracer.open(out)
        log(f"{out.name}: {sum(len(s.tokens) for s in idx.shards):,} tokens")
        indexes.append(out)
    return tok_path, indexes, eval_pool


# -- scoring ----------------------------------------------------------------------------------------
def reference_qs(index, ids: list[np.ndarray]) -> list[dict]:
    """q_i (full suffix and the caps the variants use) per text: the model does not change them."""
    from tracer.membership.reference import VARIANT_CAPS

    caps = sorted({1, *VARIANT_CAPS.values()})
    out = []
    for x in ids:
        full = index.infgram_logprobs(x)
        out.append({"q": full.logprobs, "suffix_len": full.suffix_len,
                    **{c: index.infgram_logprobs(x, max_suffix=c).logprobs for c in caps}})
    return out


def score_all(rows, index, qs: list[dict], cfg: RefEvalConfig) -> list[dict]:
    """Every score per text against one reference index."""
    from tracer.membership import score_inputs
    from tracer.membership.reference import VARIANT_CAPS, infgram_ref, infgram_ref_min_k, variant_scores
    from tracer.membership.scores import log_reference_frequencies

    log_freq = log_reference_frequencies(index.unigram, index.tokenizer.vocab_size)
    base = score_inputs(index, rows, k=cfg.k, a=cfg.a)
    out = []
    for r, b, q in zip(rows, base, qs, strict=True):
        lp = np.asarray(r.logprobs, dtype=np.float64)
        s = {n: b.get(n) for n in BASE_NAMES}
        s["infgram_ref"] = infgram_ref(lp, q["q"])
        s["infgram_ref_min_k"] = infgram_ref_min_k(lp, q["q"], cfg.k)
        s["infgram_ref_cap1"] = infgram_ref(lp, q[1])
        s.update(variant_scores(r.token_ids, lp, q["q"], {c: q[c] for c in VARIANT_CAPS.values()}, log_freq,
                                k=cfg.k, a=cfg.a, mean=r.logprob_mean, var=r.logprob_var))
        out.append(s)
    return out


def tables(scored: dict[str, list[dict]]) -> dict:
    from tracer.membership import summarize

    def table(pos: str, neg: str) -> dict:
        res = scored[pos] + scored[neg]
        labels = [1] * len(scored[pos]) + [0] * len(scored[neg])
        names = list(res[0])
        return {r["score"]: r for r in summarize({n: [x[n] for x in res] for n in names}, labels)}

    return {"members_vs_nonmembers": table("members", "nonmembers"),
            "nonmembers_vs_nonmembers2": table("nonmembers", "nonmembers2")}


def run_seed(cfg: RefEvalConfig, workdir: Path, sources: list[Path], log=print) -> dict:
    import torch

    import tracer
    from tracer.membership.adapters import LogitsModelAdapter
    from tracer.tokenize import HFTokenizer

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    tok_path, ref_paths, eval_pool = prepare_references(cfg, workdir, sources, log)
    tokenizer = HFTokenizer(tok_path)
    refs = [tracer.open(p) for p in ref_paths]
    largest = refs[-1]
    dropped = [0]

    def in_reference(chunk: str) -> bool:
        hit = largest.count(np.asarray(tokenizer.encode(chunk), dtype=np.int64)) > 0
        dropped[0] += hit
        return hit

    splits = make_eval_splits(cfg, eval_pool, in_reference)
    bos = tokenizer._tok.token_to_id(BOS)
    room = cfg.ctx - 1
    ids = {s: [np.asarray(tokenizer.encode(t), dtype=np.int64)[:room] for t in splits[s]] for s in splits}
    texts = {s: [tokenizer.decode(x) for x in ids[s]] for s in splits}
    t1 = time.perf_counter()
    qs = [{s: reference_qs(r, ids[s]) for s in EVAL_SPLITS} for r in refs]
    t_q = time.perf_counter() - t1
    mean_suffix = [float(np.mean(np.concatenate([q["suffix_len"] for s in EVAL_SPLITS for q in qr[s]])))
                   for qr in qs]
    train = [np.concatenate([[bos], x]) for x in ids["background"] + ids["members"]]
    n_train_tokens = int(sum(len(s) - 1 for s in train))
    ref_tokens = [int(sum(len(sh.tokens) for sh in r.shards)) for r in refs]
    log(f"seed {cfg.seed}: {', '.join(f'{s} {len(v)}' for s, v in splits.items())} chunks "
        f"({dropped[0]} dropped: verbatim in the reference); {n_train_tokens} training tokens/epoch; "
        f"references {ref_tokens} tokens, mean suffix {[round(m, 2) for m in mean_suffix]}; q {t_q:.0f}s; "
        f"setup {time.perf_counter() - t0:.0f}s")
    model = make_gpt(tokenizer.vocab_size, cfg.d_model, cfg.n_layers, cfg.n_heads, cfg.ctx)
    adapter = LogitsModelAdapter(model, tokenizer, batch_size=64, max_length=cfg.ctx, bos_id=bos)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    rng = random.Random(cfg.seed)
    epochs = []
    for epoch in range(1, cfg.epochs + 1):
        loss = train_epoch(model, opt, train, cfg.batch_size, rng)
        if epoch not in cfg.eval_epochs:
            log(f"seed {cfg.seed} epoch {epoch:2d} train loss {loss:.3f} ({time.perf_counter() - t0:.0f}s)")
            continue
        rows = {}
        for s in EVAL_SPLITS:
            rows[s] = adapter.score_token_ids(ids[s])
            for i, r in enumerate(rows[s]):
                r.id, r.text = f"{s}-{i}", texts[s][i]
        per_ref = []
        for r, q, n_tok in zip(refs, qs, ref_tokens, strict=True):
            scored = {s: score_all(rows[s], r, q[s], cfg) for s in EVAL_SPLITS}
            per_ref.append({"ref_tokens": n_tok, **tables(scored)})
        epochs.append({"epoch": epoch, "train_loss": loss, "refs": per_ref})
        m = per_ref[-1]["members_vs_nonmembers"]
        log(f"seed {cfg.seed} epoch {epoch:2d} train loss {loss:.3f} ({time.perf_counter() - t0:.0f}s)  largest ref: "
            + " ".join(f"{n}={v['auroc']:.3f}" for n, v in m.items()))
    return {"config": asdict(cfg), "n_train_tokens": n_train_tokens, "ref_tokens": ref_tokens,
            "mean_suffix_len": mean_suffix, "dropped_chunks": dropped[0], "seconds": time.perf_counter() - t0,
            "epochs": epochs}


# -- report -----------------------------------------------------------------------------------------
REF_NAMES = ("infgram_ref", "infgram_ref_min_k", "infgram_ref_cap1", "infgram_ref_cap2", "infgram_ref_cap3",
             "infgram_ref_interp", "infgram_dc_pdd", "min_k_pp_novel")


def _size(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n < 10_000_000 else f"{n / 1e6:.0f}M"


def report(choose: dict, show: dict) -> str:
    """Variants chosen on ``choose``'s labels (per regime and overall), shown on ``show``'s."""
    lines = []
    regimes = [(e["epoch"], j) for e in show["epochs"] for j in range(len(e["refs"]))]

    def cell(res: dict, epoch: int, j: int, pair: str, name: str) -> dict:
        e = next(x for x in res["epochs"] if x["epoch"] == epoch)
        return e["refs"][j][pair][name]

    overall = max(REF_NAMES, key=lambda n: np.mean([cell(choose, ep, j, "members_vs_nonmembers", n)["auroc"]
                                                     for ep, j in regimes]))
    names = list(show["epochs"][0]["refs"][0]["members_vs_nonmembers"])
    lines.append(f"Report seed {show['config']['seed']} (variants chosen on seed {choose['config']['seed']}; "
                 f"best reference score over all regimes there: {overall}).")
    lines.append("")
    lines.append("Members vs non-members, AUROC (TPR@1%FPR / TPR@5%FPR):")
    lines.append("")
    lines.append("| epoch | reference | " + " | ".join(names) + " |")
    lines.append("|" + "---|" * (len(names) + 2))
    for ep, j in regimes:
        row = [f"{cell(show, ep, j, 'members_vs_nonmembers', n)['auroc']:.3f} "
               f"({cell(show, ep, j, 'members_vs_nonmembers', n)['tpr_at_1pct_fpr']:.2f} / "
               f"{cell(show, ep, j, 'members_vs_nonmembers', n)['tpr_at_5pct_fpr']:.2f})" for n in names]
        lines.append(f"| {ep} | {_size(show['ref_tokens'][j])} | " + " | ".join(row) + " |")
    lines += ["", "Null control, non-members vs non-members-2, AUROC:", "",
              "| epoch | reference | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 2)]
    for ep, j in regimes:
        row = [f"{cell(show, ep, j, 'nonmembers_vs_nonmembers2', n)['auroc']:.3f}" for n in names]
        lines.append(f"| {ep} | {_size(show['ref_tokens'][j])} | " + " | ".join(row) + " |")
    lines += ["", "Chosen on the choice seed, shown on the report seed: the best reference score per regime "
              "against the better of Min-K%++ and DC-PDD (AUROC):", "",
              "| epoch | reference | chosen (choice seed) | its AUROC | Min-K%++ | DC-PDD | margin | "
              f"{overall} | its margin |", "|---|---|---|---|---|---|---|---|---|"]
    for ep, j in regimes:
        pick = max(REF_NAMES, key=lambda n: cell(choose, ep, j, "members_vs_nonmembers", n)["auroc"])
        got = cell(show, ep, j, "members_vs_nonmembers", pick)["auroc"]
        mkpp = cell(show, ep, j, "members_vs_nonmembers", "min_k_pp")["auroc"]
        dc = cell(show, ep, j, "members_vs_nonmembers", "dc_pdd")["auroc"]
        ov = cell(show, ep, j, "members_vs_nonmembers", overall)["auroc"]
        lines.append(f"| {ep} | {_size(show['ref_tokens'][j])} | {pick} | {got:.3f} | {mkpp:.3f} | {dc:.3f} | "
                     f"{got - max(mkpp, dc):+.3f} | {ov:.3f} | {ov - max(mkpp, dc):+.3f} |")
    cfg = show["config"]
    sd = null_auroc_sd(cfg["n_members"], cfg["n_nonmembers"])
    lines += ["", f"({cfg['n_members']} members, {cfg['n_nonmembers']} non-members per set: a label-blind score "
              f"has AUROC 0.5 +- {sd:.3f} (1 sd); {show['n_train_tokens']} training tokens per epoch; mean ∞-gram "
              f"suffix length per reference {[round(m, 2) for m in show['mean_suffix_len']]}; "
              f"{show['dropped_chunks']} chunks dropped as verbatim in the reference; {show['seconds']:.0f}s)"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path, help="where the tokenizer and reference indexes are cached")
    ap.add_argument("--sources", type=Path, nargs="+",
                    help="JSONL corpora of Linux files (default: linux.jsonl and linux-extra.jsonl in the bench folder)")
    ap.add_argument("--json", metavar="FILE", help="write the full result as JSON")
    ap.add_argument("--prepare", action="store_true", help="only build the tokenizer and reference indexes")
    ap.add_argument("--small", action="store_true", help="references of 0.3M/1M/3M tokens, 3 epochs (a smoke run)")
    ap.add_argument("--report", nargs=2, metavar=("CHOOSE.json", "SHOW.json"),
                    help="tables: variants chosen on the first result, shown on the second")
    args = ap.parse_args(argv)
    if args.report:
        choose, show = (json.loads(Path(p).read_text()) for p in args.report)
        print(report(choose, show))
        return 0
    cfg = RefEvalConfig(seed=args.seed)
    if args.small:
        cfg = replace(cfg, ref_tokens=(300_000, 1_000_000, 3_000_000), epochs=3, eval_epochs=(1, 3),
                      n_background=300, n_members=100, n_nonmembers=100, n_eval_files=1500)
    sources = args.sources or default_sources()
    workdir = args.workdir or bench_dir() / ("membership-ref-small" if args.small else "membership-ref")

    def log(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    if args.prepare:
        prepare_references(cfg, workdir, sources, log)
        return 0
    result = run_seed(cfg, workdir, sources, log)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    print(report(result, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
