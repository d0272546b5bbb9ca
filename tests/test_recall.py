"""ReCaLL in the model path: the prefixed pass equals one unpadded forward pass over prefix + text, and
`tracer score --model --prefix-file` reports LL(text | prefix) / LL(text) from those log-probs."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_membership_adapters import TEXTS, TinyLM, _oracle, hf_model_dir, ids_of  # noqa: E402, F401

import tracer  # noqa: E402
from tracer.membership.adapters import LogitsModelAdapter, load_hf_causal_lm  # noqa: E402
from tracer.tokenize import HFTokenizer  # noqa: E402

PREFIX = "zebras graze quietly near the river while"


def test_prefixed_logprobs_match_one_pass(bpe_tokenizer):
    tok = HFTokenizer(bpe_tokenizer)
    model = TinyLM(tok.vocab_size)
    adapter = LogitsModelAdapter(model, tok, batch_size=3, max_length=64)
    rows = adapter.score_inputs(TEXTS, prefix=PREFIX)
    pre = ids_of(tok, PREFIX)
    for text, row in zip(TEXTS, rows, strict=True):
        ids = ids_of(tok, text)
        lp, _, _ = _oracle(model, pre + ids)
        assert np.allclose(row.prefix_logprobs, lp[len(pre) - 1:], atol=1e-5)  # every token of the text is scored
    # a window too small for the whole prefix: it is cut from the left
    short = LogitsModelAdapter(model, tok, max_length=len(ids_of(tok, TEXTS[0])) + 2)
    (row,) = short.score_inputs([TEXTS[0]], prefix=PREFIX)
    ids = ids_of(tok, TEXTS[0])
    lp, _, _ = _oracle(model, pre[-2:] + ids)
    assert np.allclose(row.prefix_logprobs, lp[1:], atol=1e-5)


@pytest.mark.slow  # many CLI processes: kept out of the default run (CI runs `pytest -m slow`)
def test_cli_prefix_file(tmp_path, hf_model_dir, bpe_tokenizer, tracer_cli, expect_cli_error):  # noqa: F811
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(TEXTS[:4])))
    tracer.build([str(corpus)], str(tmp_path / "idx"), id_field="id", tokenizer=str(bpe_tokenizer), progress=False)
    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps({"id": f"q{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS[:4])))
    (tmp_path / "prefix.txt").write_text(PREFIX)
    proc = tracer_cli("score", "--index", tmp_path / "idx", "--model", hf_model_dir, texts,
                      "--prefix-file", tmp_path / "prefix.txt", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    adapter = load_hf_causal_lm(hf_model_dir)
    for g, row in zip(got, adapter.score_inputs(TEXTS[:4], prefix=PREFIX), strict=True):
        keep = ~(np.isnan(row.logprobs) | np.isnan(row.prefix_logprobs))
        if not keep.any():
            assert g["recall"] is None and "recall" in g["unavailable"]
            continue
        assert g["recall"] == pytest.approx(np.mean(row.prefix_logprobs[keep]) / np.mean(row.logprobs[keep]))
    expect_cli_error(tracer_cli("score", "--index", tmp_path / "idx", "--logprobs", texts, "--prefix-file",
                                tmp_path / "prefix.txt"), "--prefix-file goes with --model")
    (tmp_path / "empty.txt").write_text("  \n")
    expect_cli_error(tracer_cli("score", "--index", tmp_path / "idx", "--model", hf_model_dir, texts,
                                "--prefix-file", tmp_path / "empty.txt"), "empty")
