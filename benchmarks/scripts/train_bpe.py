"""Train the benchmark's byte-level BPE tokenizer (32k vocab) on a sample of the corpus, offline.

A locally trained tokenizer stands in for a hub model (no downloads): every 5th document of
the corpus made by make_corpus.py, deterministic, so the same corpus gives the same tokenizer.

    python -m benchmarks.scripts.train_bpe ../bench/linux.jsonl --out ../bench/bpe32k.json
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

import orjson
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def sample_texts(path: str, every: int) -> Iterator[str]:
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if i % every == 0:
                yield orjson.loads(line)["text"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab-size", type=int, default=32000)
    ap.add_argument("--every", type=int, default=5, help="train on every N-th document")
    args = ap.parse_args(argv)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=args.vocab_size, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(sample_texts(args.corpus, args.every), trainer=trainer)
    tok.save(args.out)
    print(f"{args.out}: vocab {tok.get_vocab_size()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
