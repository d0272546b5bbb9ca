"""Damaged indexes: truncated and bit-flipped shard files, missing or bad manifests, unfinished builds.
`tracer verify` names the damaged file; queries refuse with a one-line message, never a traceback."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import make_texts, write_jsonl

import tracer
from tracer.errors import CorruptIndexError, IndexFormatError
from tracer.index.suffix import suffix_array
from tracer.index.verify import verify
from tracer_native import CorruptArrayError, sa_range


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corrupt")
    corpus = write_jsonl(root / "c.jsonl", [{"id": i, "text": t} for i, t in enumerate(make_texts(300, seed=11))])
    tracer.build([str(corpus)], str(root / "index"), id_field="id", shard_tokens=2500, progress=False)
    assert len(tracer.open(str(root / "index")).shards) >= 7
    return root / "index"


@pytest.fixture
def index(pristine, tmp_path) -> Path:
    out = tmp_path / "index"
    shutil.copytree(pristine, out)
    return out


def _shard(index: Path, k: int = 1) -> Path:
    return sorted(p for p in (index / "shards").iterdir() if p.is_dir())[k]


def _truncate(path: Path, keep: int | None = None) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 if keep is None else keep])


def _flip(path: Path, offset: int, mask: int = 0x10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def _verify_fails_naming(tracer_cli, index: Path, file: Path, words: str) -> None:
    proc = tracer_cli("verify", index)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(file) in proc.stderr and words in proc.stderr, proc.stderr
    assert "rebuild" in proc.stderr.splitlines()[-1]


def test_pristine_index_verifies(pristine, tracer_cli):
    proc = tracer_cli("verify", pristine, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["problems"] == [] and report["files_checked"] > 10


TRUNCATED = ["tokens.bin", "sa.bin", "docs.bin", "meta.jsonl", "meta.idx", "ids.bin"]


def test_truncated_shard_files(index, pristine, tracer_cli, expect_cli_error):
    """One file truncated in each of six shards: one verify run names all six; opening names each in
    turn as the ones before it are repaired."""
    files = [_shard(index, k) / name for k, name in enumerate(TRUNCATED)]
    for f in files:
        _truncate(f)
    proc = tracer_cli("verify", index)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    for f in files:
        assert f"{f}: size" in proc.stderr, proc.stderr
    assert proc.stderr.count("truncated") >= 6
    assert "rebuild" in proc.stderr.splitlines()[-1]
    line = expect_cli_error(tracer_cli("count", "--index", index, "the cat"), str(files[0]))
    assert "truncated or corrupt" in line
    for k, f in enumerate(files):
        problems, _ = verify(index)
        assert len(problems) == 6 - k and str(f) in problems[0]
        with pytest.raises(IndexFormatError, match=re.escape(str(f))):
            tracer.open(str(index))
        shutil.copyfile(pristine / f.relative_to(index), f)
    assert verify(index)[0] == []
    assert tracer.open(str(index)).count("the") > 0


def test_truncated_unigram_and_missing_shard_file(index, tracer_cli, expect_cli_error):
    _truncate(index / "unigram.bin")
    expect_cli_error(tracer_cli("count", "--index", index, "x"), "unigram.bin")
    (index / "unigram.bin").unlink()
    (_shard(index, 0) / "sa.bin").unlink()
    expect_cli_error(tracer_cli("count", "--index", index, "x"), "sa.bin", "missing")
    proc = tracer_cli("verify", index)
    assert proc.returncode == 2 and "missing" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["tokens.bin", "sa.bin", "meta.jsonl"])
def test_bit_flip_is_caught_by_verify(index, name, tracer_cli):
    file = _shard(index, 2) / name
    _flip(file, file.stat().st_size // 3)
    _verify_fails_naming(tracer_cli, index, file, "checksum mismatch")
    # same size, so opening is cheap and succeeds: counting still answers, without crashing
    proc = tracer_cli("count", "--index", index, "the")
    assert proc.returncode == 0 and int(proc.stdout) >= 0, proc.stderr


def test_suffix_array_pointing_outside_the_shard(index, tracer_cli, expect_cli_error):
    """High bits flipped in sa.bin: count and find refuse cleanly (issue 11: the kernels bounds-check
    every entry they read and raise CorruptIndexError rather than answer), never an IndexError."""
    file = _shard(index) / "sa.bin"
    sa = np.fromfile(file, dtype=np.uint32)
    sa[::5] |= np.uint32(0xF0000000)
    sa.tofile(file)
    line = expect_cli_error(tracer_cli("count", "--index", index, "the"), str(file))
    assert "corrupt" in line
    # one bad entry placed inside the SA range of the query, so find must read it
    ix = tracer.open(str(index))
    shard = ix.shards[1]
    q = ix.tokenizer.encode("the")
    sa = np.asarray(suffix_array(shard.tokens))  # the good array again
    lo, hi = sa_range(shard.tokens, sa, q, 0, len(q))
    for k in range(hi - 2, lo, -1):
        trial = sa.copy()
        trial[k] |= np.uint32(0xF0000000)
        try:
            a, b = sa_range(shard.tokens, trial, q, 0, len(q))
        except CorruptArrayError:  # the search itself read the entry: refused, look for one it skips
            continue
        if a <= k < b:
            break
    else:
        pytest.fail("could not place a corrupt entry inside the range")
    del ix, shard
    trial.tofile(file)
    line = expect_cli_error(tracer_cli("find", "--index", index, "the", "--limit", "100000"), str(file))
    assert "corrupt" in line


def test_unfinished_or_foreign_directories(index, tmp_path, tracer_cli, expect_cli_error):
    (index / "manifest.json").unlink()
    for cmd in (["count", "--index", index, "x"], ["doc", "--index", index, "#0"]):
        expect_cli_error(tracer_cli(*cmd), "unfinished build", "rerun the same `tracer build` command")
    proc = tracer_cli("verify", index)
    assert proc.returncode == 2 and "unfinished build" in proc.stderr
    (index / "build-plan.json").unlink()
    expect_cli_error(tracer_cli("count", "--index", index, "x"), "not a tracer index")
    expect_cli_error(tracer_cli("count", "--index", tmp_path / "nowhere", "x"), "no such index directory")


def test_bad_manifest(index, tracer_cli, expect_cli_error):
    manifest = index / "manifest.json"
    original = json.loads(manifest.read_text())
    manifest.write_text(manifest.read_text()[:40])
    expect_cli_error(tracer_cli("count", "--index", index, "x"), "manifest.json", "corrupt manifest")
    assert "corrupt manifest" in verify(index)[0][0]
    manifest.write_text(json.dumps({**original, "format_version": 999}))
    expect_cli_error(tracer_cli("count", "--index", index, "x"), "format version 999")
    problems, checked = verify(index)  # every file is intact, but the index still cannot be read
    assert checked > 10 and len(problems) == 1 and "format version 999" in problems[0]
    manifest.write_text(json.dumps({k: v for k, v in original.items() if k != "shards"}))
    expect_cli_error(tracer_cli("count", "--index", index, "x"), "lacks 'shards'")


def test_changed_tokenizer_file_is_refused(tmp_path, bpe_tokenizer, tracer_cli, expect_cli_error):
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in make_texts(20, seed=3)])
    tracer.build([str(corpus)], str(tmp_path / "i"), tokenizer=str(bpe_tokenizer), progress=False)
    tok = tmp_path / "i" / "tokenizer.json"
    text = tok.read_text()
    tok.write_text(text + "\n")  # still a valid tokenizer, but not the one the index was built with
    expect_cli_error(tracer_cli("count", "--index", tmp_path / "i", "cat"), "fingerprint")
    tok.write_text(text[: len(text) // 2])
    expect_cli_error(tracer_cli("count", "--index", tmp_path / "i", "cat"), "tokenizer.json")


def test_corrupt_metadata_and_raw_text_are_refused_cleanly(index, tmp_path, tracer_cli, expect_cli_error):
    shard = _shard(index, 1)
    first_doc = tracer.open(str(index)).shards[1].doc_base
    data = bytearray((shard / "meta.jsonl").read_bytes())
    data[0] = 0xFF  # invalid UTF-8 where the first document's record starts
    (shard / "meta.jsonl").write_bytes(bytes(data))
    expect_cli_error(tracer_cli("doc", "--index", index, f"#{first_doc}"), "meta.jsonl", "corrupt")
    ids = np.fromfile(_shard(index, 0) / "ids.bin", dtype=np.uint64).reshape(-1, 2)
    ids[:, 1] = 2**40  # every id now points far past the shard's documents
    ids.tofile(_shard(index, 0) / "ids.bin")
    with pytest.raises(IndexFormatError, match="ids.bin"):
        tracer.open(str(index)).document("0")
    # normalized indexes keep each raw document compressed: a flipped byte there is refused too
    corpus = write_jsonl(tmp_path / "n.jsonl", [{"text": "Some RAW text number one"}, {"text": "and two"}])
    tracer.build([str(corpus)], str(tmp_path / "n"), normalize=True, progress=False)
    raw = next((tmp_path / "n" / "shards").glob("*/raw.bin"))
    _flip(raw, 12, 0xFF)
    with pytest.raises(IndexFormatError, match="raw.bin"):
        tracer.open(str(tmp_path / "n")).document(0)


def test_one_shard_text_count_refuses_a_corrupt_suffix_array(tmp_path):
    """A text count on a one-shard byte index takes the bound-kernel fast path
    (tracer.query.shards.byte_count): a suffix-array entry past the tokens is refused there too,
    naming the file, and the same call on the intact index answers like a substring scan."""
    texts = make_texts(60, seed=12)
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"id": i, "text": t} for i, t in enumerate(texts)])
    tracer.build([str(corpus)], str(tmp_path / "index"), id_field="id", progress=False)
    ix = tracer.open(str(tmp_path / "index"))
    assert len(ix.shards) == 1
    blob = "\uffff".join(texts)
    for q in ("the", "e ", "zqx", texts[3][5:17]):
        assert ix.count(q) == sum(1 for i in range(len(blob)) if blob.startswith(q, i))
    file = ix.shards[0].path / "sa.bin"
    del ix
    sa = np.fromfile(file, dtype=np.uint32)
    sa[::3] |= np.uint32(0xF0000000)
    sa.tofile(file)
    with pytest.raises(CorruptIndexError, match="sa.bin.*corrupt"):
        tracer.open(str(tmp_path / "index"), verify="off").count("the")
