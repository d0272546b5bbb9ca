"""Model adapters: per-token statistics against a float64 numpy oracle, batching/padding
exactness, BOS and truncation handling, and the Hugging Face path on a tiny model saved here."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tracer  # noqa: E402
from tracer.errors import TracerError  # noqa: E402
from tracer.membership import score_inputs  # noqa: E402
from tracer.membership.adapters import LogitsModelAdapter, load_hf_causal_lm, token_statistics  # noqa: E402
from tracer.tokenize import HFTokenizer  # noqa: E402

TEXTS = ["the cat sat on the mat", "a dog ran in the world", "hello", "café naïve über the dog sat"] * 2


class TinyLM(torch.nn.Module):
    """A causal toy LM: logits at t depend on tokens <= t only (embedding + causal running mean)."""

    def __init__(self, vocab: int, d: int = 16):
        super().__init__()
        torch.manual_seed(0)
        self.emb = torch.nn.Embedding(vocab, d)
        self.out = torch.nn.Linear(d, vocab)

    def forward(self, ids):
        x = self.emb(ids)
        steps = torch.arange(1, ids.shape[1] + 1, device=ids.device).view(1, -1, 1)
        return self.out(torch.cumsum(x, dim=1) / steps) * 3.0


def _oracle(model, ids: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln p(token t | tokens < t), and E / Var of ln p, in float64 numpy from one unpadded pass."""
    with torch.no_grad():
        logits = model(torch.tensor([ids])).double().numpy()[0]
    m = logits.max(-1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))
    p = np.exp(logp)
    mean = (p * logp).sum(-1)
    var = (p * (logp - mean[:, None]) ** 2).sum(-1)
    t = np.arange(len(ids) - 1)
    return logp[t, ids[1:]], mean[:-1], var[:-1]


def test_token_statistics_match_numpy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(7, 50)) * 4
    targets = rng.integers(0, 50, size=7)
    lp, mean, var = (x.double().numpy() for x in token_statistics(torch.tensor(logits), torch.tensor(targets)))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    p = np.exp(logp)
    assert np.allclose(lp, logp[np.arange(7), targets], atol=1e-5)
    assert np.allclose(mean, (p * logp).sum(-1), atol=1e-5)
    assert np.allclose(var, (p * logp**2).sum(-1) - (p * logp).sum(-1) ** 2, atol=1e-4)


def test_batched_padded_scoring_is_exact(bpe_tokenizer):
    tok = HFTokenizer(bpe_tokenizer)
    model = TinyLM(tok.vocab_size)
    batched = LogitsModelAdapter(model, tok, batch_size=3).score_inputs(TEXTS)
    for text, row in zip(TEXTS, batched, strict=True):
        ids = [int(x) for x in tok.encode(text)]
        assert row.token_ids.tolist() == ids and row.text == text
        assert np.isnan(row.logprobs[0])  # no BOS: the first token has no context
        lp, mean, var = _oracle(model, ids)
        assert np.allclose(row.logprobs[1:], lp, atol=1e-5)
        assert np.allclose(row.logprob_mean[1:], mean, atol=1e-5)
        assert np.allclose(row.logprob_var[1:], var, atol=1e-4)
        assert row.tokenizer_fingerprint == tok.fingerprint


def test_bos_scores_the_first_token_and_truncation_cuts_text(bpe_tokenizer):
    tok = HFTokenizer(bpe_tokenizer)
    model = TinyLM(tok.vocab_size)
    (row,) = LogitsModelAdapter(model, tok, bos_id=5).score_inputs([TEXTS[0]])
    ids = [int(x) for x in tok.encode(TEXTS[0])]
    lp, _, _ = _oracle(model, [5, *ids])
    assert np.allclose(row.logprobs, lp, atol=1e-5)
    (row,) = LogitsModelAdapter(model, tok, max_length=4).score_inputs([TEXTS[3]])
    assert row.token_ids.tolist() == ids_of(tok, TEXTS[3])[:4]
    assert tok.encode(row.text).tolist() == row.token_ids.tolist() and TEXTS[3].startswith(row.text)


def ids_of(tok, text: str) -> list[int]:
    return [int(x) for x in tok.encode(text)]


def test_bf16_runs_close_to_float32(bpe_tokenizer):
    tok = HFTokenizer(bpe_tokenizer)
    f32 = LogitsModelAdapter(TinyLM(tok.vocab_size), tok).score_inputs(TEXTS[:2])
    b16 = LogitsModelAdapter(TinyLM(tok.vocab_size), tok, bf16=True).score_inputs(TEXTS[:2])
    for a, b in zip(f32, b16, strict=True):
        assert np.allclose(a.logprobs[1:], b.logprobs[1:], atol=0.15)


@pytest.fixture(scope="module")
def hf_model_dir(tmp_path_factory, bpe_tokenizer) -> Path:
    transformers = pytest.importorskip("transformers")
    d = tmp_path_factory.mktemp("hf_model")
    vocab = HFTokenizer(bpe_tokenizer).vocab_size
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=vocab, n_positions=64, n_embd=32, n_layer=1, n_head=2, bos_token_id=0)
    transformers.GPT2LMHeadModel(cfg).save_pretrained(d)
    shutil.copy(bpe_tokenizer, d / "tokenizer.json")
    return d


def test_hf_adapter_matches_the_model(hf_model_dir):
    import transformers

    adapter = load_hf_causal_lm(hf_model_dir, batch_size=3)
    rows = adapter.score_inputs(TEXTS)
    model = transformers.GPT2LMHeadModel.from_pretrained(hf_model_dir).eval()
    for text, row in zip(TEXTS, rows, strict=True):
        lp, mean, _ = _oracle(lambda x: model(x).logits, ids_of(adapter.tokenizer, text))
        assert np.allclose(row.logprobs[1:], lp, atol=1e-4)
        assert np.allclose(row.logprob_mean[1:], mean, atol=1e-4)
    (row,) = load_hf_causal_lm(hf_model_dir, prepend_bos=True).score_inputs([TEXTS[0]])
    assert not np.isnan(row.logprobs).any()


@pytest.mark.slow  # not in the default run; CI runs `pytest -m slow` after it
def test_cli_model_mode(tmp_path, hf_model_dir, bpe_tokenizer, tracer_cli, expect_cli_error):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(TEXTS[:4])))
    tracer.build([str(corpus)], str(tmp_path / "idx"), id_field="id", tokenizer=str(bpe_tokenizer), progress=False)
    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps({"id": f"q{i}", "body": t, "m": i % 2}) + "\n" for i, t in enumerate(TEXTS)))
    proc = tracer_cli("score", "--index", tmp_path / "idx", "--model", hf_model_dir, texts, "--text-field", "body",
                      "--label-field", "m", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [r["id"] for r in out["scores"]] == [f"q{i}" for i in range(len(TEXTS))]
    # the five scores and the three reference scores on --index (issue 13)
    assert all(r["unavailable"] == [] for r in out["scores"] if r["n_tokens"]) and len(out["summary"]) == 8
    # the same scores through the Python path
    adapter = load_hf_causal_lm(hf_model_dir)
    want = score_inputs(tracer.open(tmp_path / "idx"), adapter.score_inputs(TEXTS))
    assert [r["min_k_pp"] for r in out["scores"]] == pytest.approx([w.min_k_pp for w in want])
    # a bytes index has another tokenizer: refused
    tracer.build([str(corpus)], str(tmp_path / "bytes"), id_field="id", progress=False)
    expect_cli_error(tracer_cli("score", "--index", tmp_path / "bytes", "--model", hf_model_dir, texts,
                                "--text-field", "body"), "is not the index's (bytes-utf8-v1)")
    expect_cli_error(tracer_cli("score", "--index", tmp_path / "idx", "--model", tmp_path, texts, "--text-field", "body"),
                     "no tokenizer.json")


def test_missing_transformers_names_the_package(hf_model_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # import now raises ImportError
    with pytest.raises(TracerError, match=r"needs the 'transformers' package: pip install 'tracer\[model\]'"):
        load_hf_causal_lm(hf_model_dir)
