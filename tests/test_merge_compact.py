"""Shards past one sort (issue 15): u40 suffix arrays, shards merged from sorted parts, and
`tracer compact`, each against brute-force counts and against the plain index; kill -9 in the
middle of a merge or a compaction, rerun, byte-identical files."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import write_jsonl

import tracer
from tracer.index.lf_rank import KILL_AFTER_ENV as KILL_AFTER_RANKS_ENV
from tracer.index.lf_rank import LABELS, MAX_RUNS, PAIRS
from tracer.index.merge import KILL_AFTER_ENV, SEGMENT_ENV

WORDS = ["alpha", "beta", "gamma", "delta", "the", "cat", "sat", "on", "mat", "x", "yy", "zzz"]


def _texts(n: int, seed: int) -> list[str]:
    """Small-vocabulary documents with repeated passages (long shared prefixes across parts)."""
    rng = random.Random(seed)
    passage = " ".join(rng.choice(WORDS) for _ in range(80))
    out = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(0, 60))]
        if i % 3 == 0:
            words.insert(rng.randint(0, len(words)), passage)
        if i % 11 == 0:
            words.append("a" * rng.randint(20, 200))
        out.append(" ".join(words))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    texts = _texts(240, seed=5)
    path = write_jsonl(tmp_path_factory.mktemp("mc") / "corpus.jsonl",
                       [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)])
    return path, texts


def _brute_count(texts: list[str], query: str) -> int:
    q = query.encode()
    total = 0
    for t in texts:
        b = t.encode()
        at = b.find(q)
        while at >= 0:
            total += 1
            at = b.find(q, at + 1)
    return total


def _queries(texts: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t = rng.choice([t for t in texts if len(t) > 2])
        a = rng.randrange(len(t) - 1)
        out.append(t[a : a + rng.randint(1, 40)])
    out += ["zzz zzz", "cat sat on the mat", "aaaa", "not in it", "q"]
    return out


def _answers(index, texts: list[str]) -> dict:
    qs = _queries(texts, 60, seed=9)
    return {
        "counts": [index.count(q) for q in qs],
        "find": [_no_shard(index.find(q, limit=1000).to_json()) for q in qs[:15]],
        "docs": [index.document(i).to_json() for i in range(index.n_docs)],
        "by_id": [index.document(f"d{i}").doc_index for i in range(0, len(texts), 7)],
        "trace": [repr(index.trace(texts[i], all_spans=True).spans) for i in (0, 3, 30)],
    }


def _no_shard(obj):
    """A result without its shard numbers (which shard holds a document is what compaction changes)."""
    if isinstance(obj, dict):
        return {k: _no_shard(v) for k, v in obj.items() if k != "shard"}
    if isinstance(obj, list):
        return [_no_shard(v) for v in obj]
    return obj


def _build(corpus, out: Path, **kwargs) -> Path:
    path, _ = corpus
    tracer.build([str(path)], str(out), id_field="id", progress=False, **kwargs)
    return out


@pytest.fixture(scope="module")
def plain(corpus, tmp_path_factory):
    out = _build(corpus, tmp_path_factory.mktemp("plain") / "idx")
    return _answers(tracer.open(str(out)), corpus[1])


def test_plain_index_matches_brute_force(corpus, plain):
    _, texts = corpus
    assert plain["counts"] == [_brute_count(texts, q) for q in _queries(texts, 60, seed=9)]


def test_u40_shards_answer_like_u32(corpus, plain, tmp_path):
    out = _build(corpus, tmp_path / "u40", pointer_bytes=5, shard_tokens=4000)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["shards"]) > 1
    for s in manifest["shards"]:
        assert s["pointer_bytes"] == 5
        assert (out / s["path"] / "sa.bin").stat().st_size == 5 * s["n_tokens"]
    index = tracer.open(str(out))
    assert {s.sample.every for s in index.shards} == {128}  # u40 shards sample every 128th suffix
    assert _answers(index, corpus[1]) == plain


@pytest.mark.parametrize("sort_tokens", [3000, 12000], ids=["compare-merge", "ranked-merge"])
def test_merged_build_is_one_shard_with_the_same_answers(corpus, plain, tmp_path, monkeypatch, sort_tokens):
    """~21 parts: the compare merge; ~6 parts of bytes: the LF-ranked merge (tracer/index/lf_rank.py)."""
    monkeypatch.setenv(SEGMENT_ENV, "1000")  # several segments
    for width in (4, 5):
        out = _build(corpus, tmp_path / f"m{width}", shard_tokens=10**6, sort_tokens=sort_tokens, pointer_bytes=width)
        manifest = json.loads((out / "manifest.json").read_text())
        parts = [p for j in (out / "shards").glob("job-*.json") for p in json.loads(j.read_text())["parts"]]
        assert len(manifest["shards"]) == 1 and len(parts) > 3
        assert (len(parts) <= MAX_RUNS) == (sort_tokens == 12000)
        assert manifest["shards"][0].get("pointer_bytes", 4) == width
        assert [p.name for p in (out / "shards").iterdir() if p.is_dir()] == ["00000-merged"]  # parts removed
        index = tracer.open(str(out), verify="startup")
        assert index.shards[0].sample.every == 128  # u32 and u40 shards alike
        assert _answers(index, corpus[1]) == plain
        sa = index.shards[0].sa
        positions = np.sort(tracer_positions(sa))
        assert (positions == np.arange(index.n_tokens)).all()  # a permutation of the positions


def test_balanced_jobs_are_few_and_even():
    """A merged build's parts: as few as the part size allows, about equal, none over it; the
    greedy packing (plain builds) leaves a file's remainder as a small job of its own."""
    from tracer.corpus.sources import Slice, group_into_jobs

    # two files of 1,280 and 3,370 bytes: slices of a whole part (a plain build) or of 1/32 of one
    coarse = [Slice("text", size=s) for s in (1200, 80, 1200, 1200, 970)]
    fine = [Slice("text", size=s) for total in (1280, 3370) for s in [37] * (total // 37) + [total % 37]]
    greedy = [sum(s.size for s in j) for j in group_into_jobs(coarse, 1200)]
    even = [sum(s.size for s in j) for j in group_into_jobs(fine, 1200, balanced=True)]
    assert sum(even) == sum(greedy) == 4650
    assert greedy == [1200, 80, 1200, 1200, 970]  # the first file's remainder is a part of its own
    assert len(even) == 4 and max(even) <= 1200 and max(even) - min(even) <= 2 * 37, even
    # a slice bigger than the part stays a job of its own; one slice is one job
    big = [Slice("text", size=s) for s in (100, 5000, 100)]
    assert [len(j) for j in group_into_jobs(big, 1200, balanced=True)] == [1, 1, 1]
    assert group_into_jobs(big[:1], 1200, balanced=True) == [big[:1]]


def tracer_positions(sa: np.ndarray) -> np.ndarray:
    from tracer.index.pointers import sa_slice

    return sa_slice(sa, 0, len(sa))


def test_compact_in_place_and_after_append(corpus, plain, tmp_path, monkeypatch):
    monkeypatch.setenv(SEGMENT_ENV, "1500")
    path, texts = corpus
    half = tmp_path / "half.jsonl"
    rest = tmp_path / "rest.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    half.write_text("".join(lines[:150]))
    rest.write_text("".join(lines[150:]))
    out = tmp_path / "idx"
    tracer.build([str(half)], str(out), id_field="id", progress=False, shard_tokens=3000)
    tracer.build([str(rest)], str(out), id_field="id", progress=False, shard_tokens=3000, append=True)
    before = tracer.open(str(out))
    n_before = len(before.shards)
    assert n_before > 4
    expected = _answers(before, texts)
    result = tracer.compact(str(out), max_shards=2)
    assert (result.shards_before, result.shards_after) == (n_before, 2)
    assert _answers(tracer.open(str(out)), texts) == expected
    result = tracer.compact(str(out))
    assert result.shards_after == 1
    after = tracer.open(str(out), verify="startup")
    assert _answers(after, texts) == expected
    assert expected["counts"] == plain["counts"]
    # an --append after a compaction keeps the compacted shard and adds the new one
    extra = write_jsonl(tmp_path / "extra.jsonl", [{"id": "e0", "text": "cat sat on the mat zzz"}])
    tracer.build([str(extra)], str(out), id_field="id", progress=False, append=True)
    again = tracer.open(str(out))
    assert len(again.shards) == 2
    assert again.count("cat sat on the mat") == expected["counts"][-4] + 1
    assert tracer.compact(str(out)).shards_after == 1
    assert tracer.compact(str(out)).nothing_to_do


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (the plan names its own directory: that name is blanked)."""
    return {str(p.relative_to(root)): p.read_bytes().replace(str(root).encode(), b"ROOT")
            for p in sorted(root.rglob("*")) if p.is_file()}


def _cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracer.cli.main", *map(str, args)], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=300)


def _whole_and_killed(tmp_path: Path, path: Path, flags: list[str], seg: dict, kill: dict) -> tuple[Path, Path]:
    """The same merged build run to the end ("whole") and killed by ``kill``'s setting ("killed")."""
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert _cli("build", path, "--out", whole, *flags, env=seg).returncode == 0
    r = _cli("build", path, "--out", killed, *flags, env={**seg, **kill})
    assert r.returncode == -9, r.stderr
    return whole, killed


def test_killed_merge_resumes_byte_identical(corpus, tmp_path):
    path, _ = corpus
    flags = ["--id-field", "id", "--shard-tokens", "1000000", "--sort-tokens", "3000", "--quiet"]
    seg = {SEGMENT_ENV: "900"}
    whole, killed = _whole_and_killed(tmp_path, path, flags, seg, {KILL_AFTER_ENV: "3"})
    state = json.loads((killed / "shards" / "00000-merged.tmp" / "merge-state.json").read_text())
    assert len(state["done"]) == 3 and len(state["cuts"][0]) > 5  # stopped mid-merge
    r = _cli("build", path, "--out", killed, *flags, env=seg)
    assert r.returncode == 0, r.stderr
    assert _files(killed) == _files(whole)


def test_killed_ranking_resumes_byte_identical(corpus, tmp_path):
    """kill -9 between two pairs' LF ranks, and again mid-way through the segments: same files."""
    path, _ = corpus
    flags = ["--id-field", "id", "--shard-tokens", "1000000", "--sort-tokens", "12000", "--quiet"]
    seg = {SEGMENT_ENV: "5000"}
    whole, killed = _whole_and_killed(tmp_path, path, flags, seg, {KILL_AFTER_RANKS_ENV: "2"})
    tmp = killed / "shards" / "00000-merged.tmp"
    state = json.loads((tmp / "merge-state.json").read_text())
    assert len(state["pairs"]) == 2 and "cuts" not in state and len(list((tmp / PAIRS).iterdir())) == 2
    r = _cli("build", path, "--out", killed, *flags, env={**seg, KILL_AFTER_ENV: "2"})
    assert r.returncode == -9, r.stderr
    state = json.loads((tmp / "merge-state.json").read_text())
    k = len(state["cuts"])
    assert len(state["pairs"]) == k * (k - 1) // 2 and len(state["done"]) == 2 and (tmp / LABELS).exists()
    r = _cli("build", path, "--out", killed, *flags, env=seg)
    assert r.returncode == 0, r.stderr
    assert _files(killed) == _files(whole)
    assert not (killed / "shards" / "00000-merged" / LABELS).exists()
    assert not (killed / "shards" / "00000-merged" / PAIRS).exists()


def test_killed_compaction_resumes_byte_identical(corpus, tmp_path):
    path, texts = corpus
    src = _build(corpus, tmp_path / "src", shard_tokens=3000)
    seg = {SEGMENT_ENV: "900"}
    assert _cli("compact", src, "--out", tmp_path / "whole", env=seg).returncode == 0
    r = _cli("compact", src, "--out", tmp_path / "killed", env={**seg, KILL_AFTER_ENV: "2"})
    assert r.returncode == -9, r.stderr
    r = _cli("compact", src, "--out", tmp_path / "killed", env=seg)
    assert r.returncode == 0, r.stderr
    assert _files(tmp_path / "killed") == _files(tmp_path / "whole")
    assert _cli("verify", tmp_path / "killed").returncode == 0
    assert _answers(tracer.open(str(tmp_path / "killed")), texts) == _answers(tracer.open(str(src)), texts)
    # in place, killed, rerun: same shard files as the compaction to --out
    r = _cli("compact", src, env={**seg, KILL_AFTER_ENV: "1"})
    assert r.returncode == -9
    assert tracer.open(str(src)).count("cat") == _brute_count(texts, "cat")  # the old index still answers
    assert _cli("compact", src, env=seg).returncode == 0
    new = json.loads((src / "manifest.json").read_text())["shards"]
    assert len(new) == 1
    assert _files(src / new[0]["path"]) == _files(tmp_path / "whole" / new[0]["path"])


@pytest.fixture(scope="module")
def small_index(corpus, tmp_path_factory):
    return _build(corpus, tmp_path_factory.mktemp("small") / "idx", shard_tokens=20000)


@pytest.mark.parametrize("args, message", [
    (["build", "IN", "--out", "OUT", "--pointer-bytes", "3"], "--pointer-bytes"),
    (["build", "IN", "--out", "OUT", "--sort-tokens", "0"], "--sort-tokens must be positive"),
    (["compact", "IDX", "--max-shards", "0"], "--max-shards must be at least 1"),
    (["compact", "IDX", "--pointer-bytes", "8"], "--pointer-bytes"),
    (["compact", "NOPE"], "no such index directory"),
])
def test_bad_flags_exit_2(corpus, small_index, tmp_path, args, message):
    subst = {"IN": corpus[0], "OUT": tmp_path / "out", "IDX": small_index, "NOPE": tmp_path / "nope"}
    r = _cli(*[subst.get(a, a) for a in args])
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2
