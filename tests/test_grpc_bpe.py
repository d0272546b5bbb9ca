"""`tracer serve` over a BPE index with a server-side model (--model): u16 token ids travel packed,
the tokenizer fingerprint is enforced, and model scores equal the library's for the same model."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time

import grpc
import numpy as np
import pytest
from conftest import make_texts

import tracer
from tracer.client import TracerClient
from tracer.membership import score as library_score

pytestmark = pytest.mark.slow  # not in the default run; CI runs `pytest -m slow` after it


@pytest.fixture(scope="module")
def bpe_setup(tmp_path_factory, bpe_tokenizer):
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("grpc_bpe")
    texts = [t for t in make_texts(200, seed=5) if t]
    (d / "c.jsonl").write_text("".join(json.dumps({"id": f"b{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", tokenizer=str(bpe_tokenizer), progress=False)
    index = tracer.open(d / "idx")
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=index.tokenizer.vocab_size, n_positions=128, n_embd=16, n_layer=1,
                                  n_head=2)
    transformers.GPT2LMHeadModel(cfg).save_pretrained(d / "model")
    shutil.copy(bpe_tokenizer, d / "model" / "tokenizer.json")
    err = open(d / "serve.err", "w+")  # noqa: SIM115 - the server process owns it
    cmd = [sys.executable, "-m", "tracer.cli.main", "serve", "--index", f"bpe={d / 'idx'}", "--model", str(d / "model"),
           "--port", "0", "--grace", "1"]
    proc = subprocess.Popen(cmd, stderr=err, stdout=subprocess.DEVNULL)
    port = None
    deadline = time.time() + 120
    while port is None and time.time() < deadline and proc.poll() is None:
        m = re.search(r"listening on [^:]+:(\d+)", (d / "serve.err").read_text())
        port = int(m.group(1)) if m else time.sleep(0.1)
    if port is None:
        proc.kill()
        pytest.fail("server did not start: " + (d / "serve.err").read_text())
    client = TracerClient(f"127.0.0.1:{port}", timeout=60)
    yield texts, index, client, d
    client.close()
    proc.terminate()
    proc.wait(30)


def test_bpe_counts_and_token_ids(bpe_setup):
    texts, index, client, _ = bpe_setup
    queries = [t[: 5 + i % 30] for i, t in enumerate(texts[:60])]
    assert client.count_many(queries) == index.count_many(queries)
    ids = index.tokenizer.encode(texts[3][:40])
    assert ids.max() > 255  # needs the u16 packing
    assert client.count(ids) == index.count(ids) > 0
    assert client.find(texts[7][:20], limit=4) == index.find(texts[7][:20], limit=4)
    fp = client.server_info().tokenizer_fingerprint
    assert fp == index.tokenizer.fingerprint != "bytes-utf8-v1"
    wrong = TracerClient(client.address, fingerprint="bytes-utf8-v1")
    with pytest.raises(grpc.RpcError) as e:
        wrong.count(ids)
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_server_side_model_scores_equal_the_library(bpe_setup):
    from tracer.membership.adapters import load_hf_causal_lm

    texts, index, client, d = bpe_setup
    sample = texts[:5] + ["a text the corpus never saw, café naïve über"]
    ids = [f"t{i}" for i in range(len(sample))]
    remote = client.score_texts(sample, ids=ids)
    local = library_score(index, load_hf_causal_lm(d / "model").score_inputs(sample, ids))
    assert [r.id for r in remote] == ids
    for r, want in zip(remote, local, strict=True):
        for name in ("loss", "zlib", "min_k", "min_k_pp", "dc_pdd"):
            assert np.isclose(r.get(name), want.get(name), rtol=1e-9, atol=1e-12), name
        assert r.n_tokens == want.n_tokens
