"""Membership scoring throughput (tokens/s): the numpy scoring path from parsed inputs and from
JSON rows, and the model adapter's forward + per-token statistics (CPU; CUDA when present).

    pytest benchmarks/suites/bench_membership.py --benchmark-enable
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

import tracer
from tracer.membership import score_inputs, score_rows
from tracer.membership.inputs import parse_row

N_TEXTS, N_TOKENS = 400, 512


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> tracer.query.index.Index:
    d = tmp_path_factory.mktemp("bench_mem")
    rng = random.Random(0)
    words = ["alpha", "beta", "gamma", "delta", "def", "return", "self", "import", "class", "x"]
    with open(d / "c.jsonl", "w") as f:
        for i in range(2000):
            f.write(json.dumps({"id": str(i), "text": " ".join(rng.choice(words) for _ in range(80))}) + "\n")
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False)
    return tracer.open(d / "idx")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(N_TEXTS):
        ids = rng.integers(32, 127, N_TOKENS).tolist()
        lp = (-rng.exponential(1.5, N_TOKENS)).tolist()
        lp[0] = None
        mean = (-rng.uniform(1, 4, N_TOKENS)).tolist()
        var = rng.uniform(0, 3, N_TOKENS).tolist()
        out.append({"id": str(i), "token_ids": ids, "logprobs": lp, "logprob_mean": mean, "logprob_var": var,
                    "text": bytes(ids).decode()})
    return out


def _per_second(benchmark, tokens: int) -> None:
    if benchmark.stats is not None:  # None under --benchmark-disable: the calls ran once, untimed
        benchmark.extra_info["tokens_per_s"] = tokens / benchmark.stats.stats.mean


def test_score_parsed_inputs(benchmark, index, rows):
    inputs = [parse_row(r, f"row {i}", str(i)) for i, r in enumerate(rows)]
    benchmark.pedantic(score_inputs, args=(index, inputs), rounds=5, iterations=1)
    _per_second(benchmark, N_TEXTS * N_TOKENS)


def test_score_json_rows(benchmark, index, rows):
    benchmark.pedantic(score_rows, args=(index, rows), rounds=5, iterations=1)
    _per_second(benchmark, N_TEXTS * N_TOKENS)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_adapter_forward(benchmark, device):
    torch = pytest.importorskip("torch")
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from benchmarks.scripts import membership_eval as mod
    from tracer.membership.adapters import LogitsModelAdapter

    cfg = mod.FULL
    model = mod.make_gpt(cfg.vocab_size, cfg.d_model, cfg.n_layers, cfg.n_heads, cfg.ctx)
    adapter = LogitsModelAdapter(model, tokenizer=type("T", (), {"fingerprint": "bench"})(), device=device,
                                 batch_size=32, max_length=cfg.ctx)
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, cfg.vocab_size, cfg.ctx) for _ in range(128)]
    benchmark.pedantic(adapter.score_token_ids, args=(seqs,), rounds=3, iterations=1, warmup_rounds=1)
    _per_second(benchmark, 128 * cfg.ctx)
