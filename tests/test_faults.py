"""Fault injection (issue 11): bit flips in every kind of index file, truncation, a deleted file, a
manifest from another build, a full disk during a build, kill -9 during verify. Each ends in a
clear error naming the file (and, for a flipped bit, the byte range of its block) or in a result
identical to an undisturbed run, never in a wrong answer.

kill -9 during a build and during `--append` (rerun: byte-identical index, block tables included)
is tests/test_core_resume.py; truncated and bit-flipped files as `tracer verify` sees them are also
in tests/test_core_corrupt.py.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import brute_count_bytes, make_texts, write_jsonl

import tracer
from tracer.errors import CorruptIndexError, IndexFormatError
from tracer.index.blocks import BLOCKS

TEXTS = make_texts(240, seed=21)
SHARD_FILES = ["tokens.bin", "sa.bin", "docs.bin", "meta.jsonl", "meta.idx", "ids.bin", "unigram.bin"]


def _build(root: Path, texts: list[str], **kw) -> Path:
    corpus = write_jsonl(root / "c.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    out = root / "index"
    tracer.build([str(corpus)], str(out), id_field="id", shard_tokens=3000, progress=False, workers=1, **kw)
    return out


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("faults"), TEXTS)


@pytest.fixture(scope="module")
def normalized(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("faults-norm"), TEXTS[:60], normalize=True)


@pytest.fixture
def index(pristine, tmp_path) -> Path:
    shutil.copytree(pristine, tmp_path / "index")
    return tmp_path / "index"


def _part(index: Path, k: int = 1) -> Path:
    return sorted(p for p in (index / "shards").iterdir() if p.is_dir())[k]


def _flip(path: Path, offset: int | None = None, mask: int = 0x01) -> int:
    data = bytearray(path.read_bytes())
    offset = len(data) // 2 if offset is None else offset
    data[offset] ^= mask
    path.write_bytes(bytes(data))
    return offset


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _block_message(file: Path, offset: int) -> str:
    """What a failed block check must say: the file and the byte range of the 1 MiB block."""
    start = offset - offset % (1 << 20)
    return f"{file}: checksum mismatch in block {start >> 20} in bytes {start}-"


def test_every_query_answers_like_brute_force_on_the_pristine_index(pristine):
    """The baseline the faults are compared with: the undamaged index is right, and verifies."""
    ix = tracer.open(str(pristine), verify="startup")
    assert ix.integrity.state == "ok" and len(ix.shards) >= 4
    for q in ("the", "cat sat", "café", "日本語", "hello world"):
        assert ix.count(q) == brute_count_bytes(TEXTS, q)


# -- bit flips: found by the covering check, then refused ------------------------------------------

FLIPS = [(k, name) for k, name in enumerate(SHARD_FILES)] + [(None, "unigram.bin")]


@pytest.mark.parametrize(("part", "name"), FLIPS, ids=[f"{'root' if k is None else 'shard'}-{n}" for k, n in FLIPS])
def test_bit_flip_found_at_startup_in_background_and_by_verify(index, part, name, tracer_cli):
    file = (index if part is None else _part(index, part)) / name
    offset = _flip(file)
    expected = _block_message(file, offset)
    with pytest.raises(CorruptIndexError, match=re.escape(expected)):
        tracer.open(str(index), verify="startup")
    ix = tracer.open(str(index), verify="background")
    assert ix.integrity.wait(60) and ix.integrity.state == "corrupt"
    for query in (lambda: ix.count("the"), lambda: ix.find("cat"), lambda: ix.document("#0"),
                  lambda: ix.trace("the cat sat on the mat " * 3)):
        with pytest.raises(CorruptIndexError, match=re.escape(str(file))):
            query()
    proc = tracer_cli("verify", index)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert expected in proc.stderr, proc.stderr
    report = json.loads(tracer_cli("verify", index, "--format", "json").stdout)
    assert report["method"] == "blocks" and report["problems"] == [proc.stderr.splitlines()[0]]


@pytest.mark.parametrize("name", ["raw.bin", "raw.idx"])
def test_bit_flip_in_raw_text_is_found(normalized, tmp_path, name):
    index = tmp_path / "n"
    shutil.copytree(normalized, index)
    file = _part(index, 0) / name
    offset = _flip(file)
    with pytest.raises(CorruptIndexError, match=re.escape(_block_message(file, offset))):
        tracer.open(str(index), verify="startup")


def test_bit_flip_in_tokenizer_file_is_refused(tmp_path, bpe_tokenizer):
    index = _build(tmp_path, TEXTS[:40], tokenizer=str(bpe_tokenizer))
    _flip(index / "tokenizer.json", mask=0x20)
    with pytest.raises(IndexFormatError, match="tokenizer.json"):  # its fingerprint fails first
        tracer.open(str(index), verify="startup")


def test_clean_scrub_changes_nothing(pristine):
    ix = tracer.open(str(pristine), verify="background")
    assert ix.integrity.wait(60) and ix.integrity.state == "ok" and ix.integrity.problem is None
    assert ix.count("the") == brute_count_bytes(TEXTS, "the")


# -- out-of-range values are refused even with verify off ------------------------------------------

def test_out_of_range_suffix_array_entry_is_refused_with_verify_off(index):
    """Every entry of one part's suffix array set past its tokens: a count that reads that part
    raises rather than answers (bit flips that stay in range are the block checks' job)."""
    file = _part(index, 2) / "sa.bin"
    sa = np.fromfile(file, dtype=np.uint32)
    sa[:] = np.uint32(len(sa) + 7)
    sa.tofile(file)
    ix = tracer.open(str(index))  # verify="off"
    for query in (lambda: ix.count("the"), lambda: ix.count_many(["the", "cat"]), lambda: ix.find("the"),
                  lambda: ix.trace("the cat sat on the mat, the dog ran")):
        with pytest.raises(CorruptIndexError, match=re.escape(str(file))):
            query()


def test_out_of_range_document_offsets_are_refused_with_verify_off(index):
    part = _part(index, 1)
    ix = tracer.open(str(index))
    first = ix.shards[1].doc_base
    del ix
    starts = np.fromfile(part / "docs.bin", dtype=np.uint64)
    starts[1] = np.uint64(1 << 40)
    starts.tofile(part / "docs.bin")
    offsets = np.fromfile(part / "meta.idx", dtype=np.uint64)
    offsets[3] = offsets[2] - np.uint64(1)  # a record ending before it starts
    offsets.tofile(part / "meta.idx")
    ix = tracer.open(str(index))
    with pytest.raises(CorruptIndexError, match=re.escape(str(part / "docs.bin"))):
        ix.document(f"#{first}")
    with pytest.raises(CorruptIndexError, match=re.escape(str(part / "meta.idx"))):
        ix.shards[1].meta(2)


# -- truncation, deletion, a foreign manifest ---------------------------------------------------------

def test_truncated_or_deleted_block_table_is_refused(index, tracer_cli, expect_cli_error):
    table = _part(index, 0) / BLOCKS
    table.write_bytes(table.read_bytes()[:-10])
    with pytest.raises(CorruptIndexError, match=re.escape(str(table))):
        tracer.open(str(index))
    table.unlink()
    expect_cli_error(tracer_cli("count", "--index", index, "the"), str(table))
    proc = tracer_cli("verify", index)
    assert proc.returncode == 2 and str(table) in proc.stderr and "Traceback" not in proc.stderr


def test_deleted_data_file_is_refused(index, tracer_cli, expect_cli_error):
    (_part(index, 3) / "docs.bin").unlink()
    expect_cli_error(tracer_cli("find", "--index", index, "the"), "docs.bin", "missing")


def test_manifest_from_another_build_is_refused(tmp_path, tracer_cli, expect_cli_error):
    """Same corpus shape with other letters: every file has the size the foreign manifest expects,
    so only the block tables' hashes tell the builds apart — on every open, not only on verify."""
    swap = str.maketrans("aeiot", "eiota")
    index = _build(tmp_path / "a", TEXTS)  # same-length folders: the metadata records the input path
    other = _build(tmp_path / "b", [t.translate(swap) for t in TEXTS])
    shutil.copyfile(other / "manifest.json", index / "manifest.json")
    line = expect_cli_error(tracer_cli("count", "--index", index, "the"), "blocks.json", "another build")
    assert str(index) in line
    # a manifest of a differently sized build is refused by the size checks
    small = _build(tmp_path / "small", TEXTS[:30])
    shutil.copyfile(small / "manifest.json", index / "manifest.json")
    with pytest.raises(IndexFormatError):
        tracer.open(str(index))


def test_index_without_block_checksums_still_opens_and_verifies_by_sha256(index, tracer_cli):
    """An index built before block checksums: no blocks.json anywhere, no record in the manifest."""
    manifest = json.loads((index / "manifest.json").read_text())
    manifest.pop("blocks")
    for entry in manifest["shards"]:
        entry.pop("blocks")
    (index / "manifest.json").write_text(json.dumps(manifest))
    for table in index.rglob(BLOCKS):
        table.unlink()
    assert tracer.open(str(index), verify="startup").count("the") == brute_count_bytes(TEXTS, "the")
    proc = tracer_cli("verify", index, "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["method"] == "sha256"
    proc = tracer_cli("verify", index)
    assert proc.returncode == 0 and "built before block checksums" in proc.stderr
    file = _part(index, 1) / "sa.bin"
    _flip(file)
    with pytest.raises(CorruptIndexError, match=re.escape(f"{file}: checksum mismatch (corrupt)")):
        tracer.open(str(index), verify="startup")
    proc = tracer_cli("verify", index)
    assert proc.returncode == 2 and f"{file}: checksum mismatch" in proc.stderr


# -- a full disk during the build ---------------------------------------------------------------------

@pytest.mark.parametrize("fail_at", [1, 6, 14])
def test_full_disk_during_build_then_rerun_gives_the_identical_index(tmp_path, fail_at, monkeypatch, capsys):
    """ENOSPC from the k-th fsync (where a filesystem with delayed allocation reports a full disk):
    the CLI ends with one line, exit 2; rerunning the same command gives the undisturbed index."""
    from tracer.cli.main import main

    corpus = write_jsonl(tmp_path / "c.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(TEXTS)])

    def argv(out: str) -> list[str]:
        return ["build", str(corpus), "--out", str(tmp_path / out), "--id-field", "id", "--shard-tokens", "3000",
                "--workers", "1", "--quiet"]

    assert main(argv("ref")) == 0  # the undisturbed build, from the same input path
    capsys.readouterr()
    calls = {"n": 0}
    real_fsync = os.fsync

    def full_disk(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", full_disk)
        assert main(argv("idx")) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no space left on device" in err.lower() and "Traceback" not in err, err
    assert not (tmp_path / "idx" / "manifest.json").exists()
    with pytest.raises(IndexFormatError, match="unfinished build|no such index directory"):
        tracer.open(str(tmp_path / "idx"))
    assert main(argv("idx")) == 0
    built, reference = _tree(tmp_path / "idx"), _tree(tmp_path / "ref")
    assert sorted(built) == sorted(reference)
    del built["build-plan.json"], reference["build-plan.json"]  # the plan names its --out folder
    assert built == reference
    assert tracer.open(str(tmp_path / "idx"), verify="startup").count("the") == brute_count_bytes(TEXTS, "the")


# -- kill -9 during verify ----------------------------------------------------------------------------

def test_kill_during_verify_leaves_the_index_unchanged(index, tracer_cli):
    before = _tree(index)
    proc = subprocess.Popen(tracer_cli.argv + ["verify", str(index)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.4)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _tree(index) == before  # verify only reads
    done = tracer_cli("verify", index)
    assert done.returncode == 0, done.stderr
