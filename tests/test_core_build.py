"""The on-disk format checked against independent computations (tokens, naive suffix sort, offsets,
metadata, unigram, checksums), and a parallel build equal to a sequential one byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from conftest import make_texts, write_jsonl

import tracer


def test_on_disk_format(tmp_path, tracer_cli):
    texts = make_texts(120, seed=41)
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": f"x{i}", "text": t, "tag": i % 3} for i, t in enumerate(texts)])
    out = tmp_path / "i"
    tracer.build([str(path)], str(out), id_field="id", shard_tokens=1500, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format_version"] == 1 and np.dtype(manifest["dtype"]) == np.uint8
    assert manifest["separator"] == 0xFF and manifest["tokenizer"]["kind"] == "bytes"
    assert len(manifest["shards"]) > 3

    encoded = [t.encode("utf-8") for t in texts]
    doc = 0
    all_counts = np.zeros(256, dtype=np.int64)
    for entry in manifest["shards"]:
        shard = out / entry["path"]
        for name, rec in entry["files"].items():  # checksums recomputed here
            data = (shard / name).read_bytes()
            assert len(data) == rec["size"] and hashlib.sha256(data).hexdigest() == rec["sha256"], name
        mine = encoded[doc : doc + entry["n_docs"]]
        tokens = (shard / "tokens.bin").read_bytes()
        assert tokens == b"".join(d + b"\xff" for d in mine)
        assert entry["n_tokens"] == len(tokens) <= 1500
        sa = np.fromfile(shard / "sa.bin", dtype=np.uint32)
        assert sa.tolist() == sorted(range(len(tokens)), key=lambda i: tokens[i:])
        starts = np.fromfile(shard / "docs.bin", dtype=np.uint64)
        assert starts.tolist() == list(np.cumsum([0] + [len(d) + 1 for d in mine]))
        metas = [json.loads(line) for line in (shard / "meta.jsonl").read_text().splitlines()]
        for k, m in enumerate(metas):
            assert m["id"] == f"x{doc + k}" and m["tag"] == (doc + k) % 3 and m["line"] == doc + k + 1
        counts = np.bincount(np.frombuffer(tokens, dtype=np.uint8), minlength=256)
        counts[0xFF] = 0
        assert np.fromfile(shard / "unigram.bin", dtype=np.uint64).tolist() == counts.tolist()
        all_counts += counts
        doc += entry["n_docs"]
    assert doc == len(texts) == manifest["n_docs"]
    assert np.fromfile(out / "unigram.bin", dtype=np.uint64).tolist() == all_counts.tolist()
    assert manifest["n_tokens"] == sum(len(d) + 1 for d in encoded)

    proc = tracer_cli("info", out, "--format", "json")
    info = json.loads(proc.stdout)
    assert (info["n_docs"], info["n_tokens"], info["n_shards"]) == (len(texts), manifest["n_tokens"],
                                                                    len(manifest["shards"]))


def test_bpe_on_disk_tokens(tmp_path, bpe_tokenizer, hf_encode):
    texts = make_texts(40, seed=42)
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in texts])
    out = tmp_path / "i"
    tracer.build([str(path)], str(out), tokenizer=str(bpe_tokenizer), progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert np.dtype(manifest["dtype"]) == np.uint16 and manifest["separator"] == 65535
    assert (out / "tokenizer.json").read_bytes() == Path(bpe_tokenizer).read_bytes()
    tokens = np.fromfile(out / manifest["shards"][0]["path"] / "tokens.bin", dtype="<u2")
    want = [i for t in texts for i in hf_encode(t) + [65535]]
    assert tokens.tolist() == want
    sa = np.fromfile(out / manifest["shards"][0]["path"] / "sa.bin", dtype=np.uint32)
    seq = tokens.tolist()
    assert sa.tolist() == sorted(range(len(seq)), key=lambda i: seq[i:])


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_parallel_build_equals_sequential(tmp_path, tracer_cli):
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in make_texts(1500, seed=43, max_words=80)])
    trees = []
    for workers in ("1", "2"):
        cwd = tmp_path / f"w{workers}"
        cwd.mkdir()
        proc = tracer_cli("build", corpus, "--out", "idx", "--shard-tokens", "70000", "--workers", workers,
                          "--quiet", cwd=cwd)
        assert proc.returncode == 0, proc.stderr
        trees.append(_tree(cwd / "idx"))
    assert json.loads(trees[0]["manifest.json"])["build"]["batches"][0]["jobs"] >= 3
    assert trees[0] == trees[1]


def test_lossless_bpe_index_keeps_no_raw_text(tmp_path, bpe_tokenizer, hf_encode):
    """Byte-level BPE decodes every document back to its text, by pieces too: no raw.bin/raw.idx
    and no "raw" mark (the files are the same as before lossy tokenizers kept raw text)."""
    from tokenizers import Tokenizer

    texts = make_texts(60, seed=7) + ["naïve café 日本語 😀 x", "  two  spaces\n\ttab "]
    hf = Tokenizer.from_file(str(bpe_tokenizer))
    assert all(hf.decode(hf_encode(t)) == t for t in texts)  # the oracle: every document round-trips
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in texts])
    out = tmp_path / "i"
    tracer.build([str(path)], str(out), tokenizer=str(bpe_tokenizer), shard_tokens=600, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["shards"]) > 1
    for entry in manifest["shards"]:
        assert "raw" not in entry and sorted(entry["files"]) == sorted(
            ["tokens.bin", "sa.bin", "docs.bin", "meta.jsonl", "meta.idx", "ids.bin", "unigram.bin", "sample.bin"])
        assert not (out / entry["path"] / "raw.bin").exists() and not (out / entry["path"] / "raw.idx").exists()
    index = tracer.open(str(out))
    assert [index.document(i).text for i in range(len(texts))] == texts
