"""Controlled evaluation of the membership scores on a small GPT trained here.

Pretrained LLMs cannot be downloaded on this machine, so the scores are measured on a model
whose training set we know exactly:

1. pool: the Python standard library's own .py sources (real text, same source), exact
   duplicates removed at file and chunk level; files are split at random into background,
   members, non-members and non-members-2 (a file's chunks all go to one split);
2. a byte-level BPE tokenizer trained on background only (no member or non-member text);
3. a small GPT trained on part of the background + the members, and a tracer index over
   exactly that training corpus with the same tokenizer (DC-PDD's frequencies);
4. after every epoch (epoch 0 = untrained) every score is computed through tracer's adapter +
   scoring path and evaluated with AUROC and TPR@5%FPR: members vs non-members, and the
   control non-members vs non-members-2.

    python -m benchmarks.scripts.membership_eval            # the benchmark (a few minutes on 2 cores)
    python -m benchmarks.scripts.membership_eval --fast     # the preset the default tests run

The fast preset is also imported by tests/test_membership_eval.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
import sysconfig
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

SPLITS = ("background", "members", "nonmembers", "nonmembers2")
BOS = "<|endoftext|>"


@dataclass(frozen=True)
class EvalConfig:
    seed: int = 0
    chunk_chars: int = 500  # a membership unit: consecutive lines of one file, about this long
    chunks_per_file: int = 3  # background chunks taken from one file (evaluation sets take 1)
    n_background: int = 1500  # chunks; the tokenizer trains on all background chunks ...
    n_background_train: int = 600  # ... the model on this many of them plus the members
    n_members: int = 300
    n_nonmembers: int = 300  # per non-member set
    vocab_size: int = 2048
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    ctx: int = 160
    epochs: int = 10
    batch_size: int = 8
    lr: float = 2e-3
    # one thread: on a loaded 2-core machine two OpenMP threads made a training step 10x slower
    threads: int = 1
    eval_every: int = 1  # evaluate after every this many epochs (and after the last)


FULL = EvalConfig()
FAST = EvalConfig(chunk_chars=400, n_background=600, n_background_train=100, n_members=150, n_nonmembers=150,
                  vocab_size=1024, ctx=128, epochs=6, eval_every=100)


# -- data ---------------------------------------------------------------------------------------
def stdlib_files() -> list[Path]:
    """The pool: stdlib .py sources (its test suite included), no third-party packages; fixed order."""
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages", "dist-packages", "__pycache__"}
    return sorted(p for p in root.rglob("*.py") if not skip & set(p.relative_to(root).parts))


def chunk_text(text: str, size: int) -> list[str]:
    """Consecutive whole lines of about ``size`` characters; a short remainder is dropped."""
    chunks, cur, n = [], [], 0
    for line in text.splitlines(keepends=True):
        cur.append(line)
        n += len(line)
        if n >= size:
            chunks.append("".join(cur))
            cur, n = [], 0
    if n >= size // 2:
        chunks.append("".join(cur))
    return chunks


def _key(chunk: str) -> str:
    return hashlib.sha1(re.sub(r"\s+", " ", chunk).strip().encode()).hexdigest()


def make_splits(cfg: EvalConfig, files: list[Path] | None = None) -> dict[str, list[str]]:
    """Split the pool by file at random into the four sets (chunk quotas), without duplicates.

    Files are visited in a seeded random order and assigned in turn to the sets that still need
    chunks; a file identical to one seen before is skipped, and a chunk whose whitespace-collapsed
    text was seen before (in any set) is dropped, so no text is both a member and a non-member.
    """
    rng = random.Random(cfg.seed)
    paths = list(files if files is not None else stdlib_files())
    rng.shuffle(paths)
    quotas = {"members": cfg.n_members, "nonmembers": cfg.n_nonmembers, "nonmembers2": cfg.n_nonmembers,
              "background": cfg.n_background}
    out: dict[str, list[str]] = {s: [] for s in SPLITS}
    seen: set[str] = set()
    turn = 0
    for p in paths:
        open_splits = [s for s in ("members", "nonmembers", "nonmembers2", "background") if len(out[s]) < quotas[s]]
        if not open_splits:
            break
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if _key(text) in seen:
            continue
        seen.add(_key(text))
        unique = []
        for c in chunk_text(text, cfg.chunk_chars):
            if c.strip() and _key(c) not in seen:
                seen.add(_key(c))
                unique.append(c)
        if not unique:
            continue
        split = open_splits[turn % len(open_splits)]  # interleave files over the splits
        turn += 1
        take = cfg.chunks_per_file if split == "background" else 1  # independent evaluation texts
        picked = rng.sample(unique, min(take, len(unique)))
        out[split].extend(picked[: quotas[split] - len(out[split])])
    short = [s for s in SPLITS if len(out[s]) < quotas[s]]
    if short:
        raise RuntimeError(f"the pool is too small for the quotas of {short}")
    return out


def train_tokenizer(texts: list[str], vocab_size: int, path: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[BOS], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    tok.save(str(path))
    return path


# -- model ----------------------------------------------------------------------------------------
def make_gpt(vocab: int, d: int, layers: int, heads: int, ctx: int):
    """A small pre-LN GPT: token + position embeddings, causal attention blocks, tied head."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
            x = x + self.proj(y)
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
            self.blocks = nn.ModuleList(Block() for _ in range(layers))
            self.ln = nn.LayerNorm(d)
            nn.init.normal_(self.tok.weight, std=0.02)
            nn.init.normal_(self.pos.weight, std=0.02)

        def forward(self, ids):
            x = self.tok(ids) + self.pos(torch.arange(ids.shape[1], device=ids.device))
            for blk in self.blocks:
                x = blk(x)
            return self.ln(x) @ self.tok.weight.T

    return GPT()


def batches(seqs: list[np.ndarray], size: int, rng: random.Random):
    import torch

    idx = list(range(len(seqs)))
    rng.shuffle(idx)
    for b in range(0, len(idx), size):
        group = [seqs[i] for i in idx[b : b + size]]
        width = max(len(s) for s in group)
        x = np.zeros((len(group), width), dtype=np.int64)
        y = np.full((len(group), width), -100, dtype=np.int64)
        for r, s in enumerate(group):
            x[r, : len(s)] = s
            y[r, : len(s) - 1] = s[1:]
        yield torch.from_numpy(x), torch.from_numpy(y)


def train_epoch(model, opt, train: list[np.ndarray], batch_size: int, rng: random.Random) -> float:
    """One pass over ``train`` in a shuffled order; returns the mean token loss (model left in eval mode)."""
    import torch

    model.train()
    total, count = 0.0, 0
    for x, y in batches(train, batch_size, rng):
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                                 ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        n_tok = int((y != -100).sum())
        total += loss.item() * n_tok
        count += n_tok
    model.eval()
    return total / count


# -- evaluation -----------------------------------------------------------------------------------
def evaluate(adapter, index, token_ids: dict[str, list[np.ndarray]], texts: dict[str, list[str]]) -> dict:
    """Scores of every evaluation text through tracer's scoring path, then AUROC / TPR@FPR."""
    from tracer.membership import SCORE_NAMES, score_inputs, summarize

    scored = {}
    for split in ("members", "nonmembers", "nonmembers2"):
        rows = adapter.score_token_ids(token_ids[split])
        for i, r in enumerate(rows):
            r.id, r.text = f"{split}-{i}", texts[split][i]
        scored[split] = score_inputs(index, rows)

    def table(pos: str, neg: str) -> dict:
        res = scored[pos] + scored[neg]
        labels = [1] * len(scored[pos]) + [0] * len(scored[neg])
        rows = summarize({n: [r.get(n) for r in res] for n in SCORE_NAMES}, labels)
        return {r["score"]: r for r in rows}

    return {"members_vs_nonmembers": table("members", "nonmembers"),
            "nonmembers_vs_nonmembers2": table("nonmembers", "nonmembers2")}


def run_eval(cfg: EvalConfig, workdir: Path, log=print) -> dict:
    import torch

    import tracer
    from tracer.membership.adapters import LogitsModelAdapter
    from tracer.tokenize import HFTokenizer

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    splits = make_splits(cfg)
    tok_path = train_tokenizer(splits["background"], cfg.vocab_size, workdir / "tokenizer.json")
    tokenizer = HFTokenizer(tok_path)
    # the model's training corpus = background[:n_background_train] + members; the index is built
    # over exactly that corpus, as a training-data index would be
    train_texts = splits["background"][: cfg.n_background_train] + splits["members"]
    corpus = workdir / "train.jsonl"
    with open(corpus, "w", encoding="utf-8") as f:
        for i, t in enumerate(train_texts):
            f.write(json.dumps({"id": f"train-{i}", "text": t}) + "\n")
    tracer.build([str(corpus)], str(workdir / "index"), id_field="id", tokenizer=str(tok_path), progress=False)
    index = tracer.open(workdir / "index")
    bos = tokenizer._tok.token_to_id(BOS)
    room = cfg.ctx - 1
    ids = {s: [np.asarray(tokenizer.encode(t), dtype=np.int64)[:room] for t in splits[s]] for s in SPLITS}
    # the text each evaluation row covers (for zlib), cut like its tokens
    texts = {s: [tokenizer.decode(x) for x in ids[s]] for s in SPLITS}
    train = [np.concatenate([[bos], x]) for x in ids["background"][: cfg.n_background_train] + ids["members"]]
    model = make_gpt(tokenizer.vocab_size, cfg.d_model, cfg.n_layers, cfg.n_heads, cfg.ctx)
    adapter = LogitsModelAdapter(model, tokenizer, batch_size=64, max_length=cfg.ctx, bos_id=bos)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    rng = random.Random(cfg.seed)
    n_train_tokens = int(sum(len(s) - 1 for s in train))
    log(f"data: {', '.join(f'{s} {len(splits[s])}' for s in SPLITS)} chunks; {n_train_tokens} training tokens; "
        f"setup {time.perf_counter() - t0:.1f}s")
    epochs = [{"epoch": 0, "train_loss": None, **evaluate(adapter, index, ids, texts)}]
    log(_line(epochs[-1]))
    t_train = 0.0
    for epoch in range(1, cfg.epochs + 1):
        t1 = time.perf_counter()
        train_loss = train_epoch(model, opt, train, cfg.batch_size, rng)
        t_train += time.perf_counter() - t1
        if epoch % cfg.eval_every and epoch != cfg.epochs:
            log(f"epoch {epoch:2d} train loss {train_loss:.3f}")
            continue
        epochs.append({"epoch": epoch, "train_loss": train_loss, **evaluate(adapter, index, ids, texts)})
        log(_line(epochs[-1]))
    return {"config": asdict(cfg), "n_train_tokens": n_train_tokens, "seconds": time.perf_counter() - t0,
            "train_seconds": t_train, "epochs": epochs}


def _line(e: dict) -> str:
    m, c = e["members_vs_nonmembers"], e["nonmembers_vs_nonmembers2"]
    loss = "-" if e["train_loss"] is None else f"{e['train_loss']:.3f}"
    return (f"epoch {e['epoch']:2d} train loss {loss}  AUROC " +
            " ".join(f"{k}={v['auroc']:.3f}" for k, v in m.items()) +
            "  control " + " ".join(f"{k}={v['auroc']:.3f}" for k, v in c.items()))


def markdown(result: dict) -> str:
    names = list(result["epochs"][0]["members_vs_nonmembers"])
    head = "| epoch | train loss | " + " | ".join(f"{n} AUROC / TPR@5%" for n in names) + " |"
    lines = [head, "|" + "---|" * (len(names) + 2)]
    for e in result["epochs"]:
        m = e["members_vs_nonmembers"]
        loss = "untrained" if e["train_loss"] is None else f"{e['train_loss']:.3f}"
        lines.append(f"| {e['epoch']} | {loss} | " + " | ".join(
            f"{m[n]['auroc']:.3f} / {m[n]['tpr_at_5pct_fpr']:.3f}" for n in names) + " |")
    lines += ["", "Control, non-members vs non-members-2 (AUROC):", "",
              "| epoch | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    for e in result["epochs"]:
        c = e["nonmembers_vs_nonmembers2"]
        lines.append(f"| {e['epoch']} | " + " | ".join(f"{c[n]['auroc']:.3f}" for n in names) + " |")
    return "\n".join(lines) + "\n"


def null_auroc_sd(n_pos: int, n_neg: int) -> float:
    """Standard deviation of AUROC for a score unrelated to the labels (Mann-Whitney null)."""
    return math.sqrt((n_pos + n_neg + 1) / (12.0 * n_pos * n_neg))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="the small preset of the default tests")
    ap.add_argument("--epochs", type=int, help="override the preset's epochs")
    ap.add_argument("--seed", type=int, help="override the preset's seed")
    ap.add_argument("--json", metavar="FILE", help="write the full result as JSON")
    args = ap.parse_args(argv)
    cfg = FAST if args.fast else FULL
    if args.epochs:
        cfg = replace(cfg, epochs=args.epochs)
    if args.seed is not None:
        cfg = replace(cfg, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        result = run_eval(cfg, Path(tmp), log=lambda s: print(s, file=sys.stderr, flush=True))
    print(markdown(result))
    sd = null_auroc_sd(cfg.n_members, cfg.n_nonmembers)
    print(f"({cfg.n_members} members, {cfg.n_nonmembers} non-members per set; a label-blind score has AUROC "
          f"0.5 +- {sd:.3f} (1 sd); {result['n_train_tokens']} training tokens; {result['seconds']:.0f}s)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
