"""Decontamination against a corpus whose benchmark copies are known: items injected whole (many
duplicates), inline inside other documents, and as a partial copy; the oracle is where they were
put. Drop removes exactly those documents, masking changes exactly those characters, a check of
the rebuilt clean index finds nothing, a killed run resumes to identical output, bad benchmark
records fail before anything is written."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
from pathlib import Path

import orjson
import pytest
import zstandard

import tracer
from tracer.contamination import BenchItem, CheckOptions, check_items
from tracer.contamination.decontaminate import DEFAULT_MARKER, DecontaminateOptions, decontaminate
from tracer.contamination.shard_writer import KILL_HOOK

VOCAB_SEED = 7


def _words(rng: random.Random, n: int) -> str:
    # syllable words from a large space: two random runs of >= 8 words never coincide by chance
    syl = ["ka", "lo", "mi", "ne", "su", "ta", "ro", "vi", "pe", "du", "ga", "zo", "fe", "bi", "hu"]
    return " ".join("".join(rng.choice(syl) for _ in range(rng.randint(2, 4))) for _ in range(n))


def _corpus():
    rng = random.Random(VOCAB_SEED)
    items = [_words(rng, 18) + "?" for _ in range(6)]  # 0-2 injected, 3-5 clean
    docs: list[str] = [_words(rng, rng.randint(40, 120)) for _ in range(120)]
    injected: dict[int, list[str]] = {}  # doc -> the exact texts injected into it
    for _ in range(6):  # item 0 as a whole document, many times
        docs.append(items[0])
        injected[len(docs) - 1] = [items[0]]
    for d, item in ((5, items[1]), (17, items[1]), (33, items[2]), (34, items[0]), (60, items[2])):  # inline
        words = docs[d].split(" ")
        cut = len(words) // 2
        docs[d] = " ".join(words[:cut]) + " " + item + " " + " ".join(words[cut:])
        injected.setdefault(d, []).append(item)
    part = " ".join(items[2].split(" ")[3:14])  # 11 words of item 2: a contaminating span on its own
    docs[80] = docs[80] + "\n" + part + "\n" + _words(rng, 10)
    injected[80] = [part]
    few = " ".join(items[1].split(" ")[:5])  # 5 words: below --ngram 8, must stay
    docs[90] = few + " " + docs[90]
    return docs, items, injected


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("decon")
    docs, items, injected = _corpus()
    with open(d / "c.jsonl", "w", encoding="utf-8") as f:
        for i, t in enumerate(docs):
            f.write(json.dumps({"id": f"doc{i}", "text": t, "extra": i % 3}) + "\n")
    with open(d / "bench.jsonl", "w", encoding="utf-8") as f:
        for q in items:
            f.write(json.dumps({"question": q, "answer": "#### 7"}) + "\n")
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False)
    bench = [BenchItem(str(i), "toy", "test", q, "#### 7") for i, q in enumerate(items)]
    return d, docs, items, injected, bench


def read_parts(out: Path) -> list[dict]:
    rows = []
    for p in sorted(out.glob("part-*")):
        if p.name.endswith(".zst"):
            data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(p.read_bytes())).read()
        elif p.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            rows += pq.read_table(p).to_pylist()
            continue
        else:
            data = p.read_bytes()
        rows += [orjson.loads(line) for line in data.splitlines() if line.strip()]
    return rows


def test_drop_removes_every_copy_and_nothing_else(setup, tmp_path):
    d, docs, items, injected, bench = setup
    index = tracer.open(d / "idx")
    res = decontaminate(index, bench, tmp_path / "out", CheckOptions(), DecontaminateOptions(shard_docs=50))
    rows = read_parts(tmp_path / "out")
    want = [(f"doc{i}", t) for i, t in enumerate(docs) if i not in injected]
    assert [(r["id"], r["text"]) for r in rows] == want  # byte-identical, in corpus order
    assert all(r["extra"] == int(r["id"][3:]) % 3 for r in rows)  # metadata kept
    assert res.docs_dropped == len(injected) and res.docs_in == len(docs) == res.docs_out + res.docs_dropped
    assert res.tokens_removed == sum(len(docs[i].encode()) for i in injected)
    assert [r.contaminated for r in res.removal.results] == [True, True, True, False, False, False]
    report = json.loads((tmp_path / "out/decontamination-report.json").read_text())
    assert report["totals"]["documents_dropped"] == len(injected)
    assert report["benchmarks"][0]["items_matched"] == 3
    caused = {row["doc_id"]: {c["id"] for c in row["items"]} for row in report["documents"]}
    assert caused["doc34"] == {"0"} and caused["doc80"] == {"2"} and caused["doc5"] == {"1"}
    assert (tmp_path / "out/decontamination-report.md").read_text().startswith("# Decontamination report")
    assert len(res.parts) == 3  # 115 documents, 50 per part


def test_clean_index_checks_clean(setup, tmp_path, tracer_cli):
    d, docs, items, injected, bench = setup
    out = tmp_path / "out"
    proc = tracer_cli("decontaminate", "--index", d / "idx", d / "bench.jsonl", "--out", out,
                      "--build", tmp_path / "clean", "--output-format", "parquet")
    assert proc.returncode == 0, proc.stderr
    assert "3 of 6 items matched" in proc.stderr
    clean = tracer.open(tmp_path / "clean")
    assert clean.n_docs == len(docs) - len(injected)
    results = check_items(clean, bench, CheckOptions())
    assert not any(r.contaminated for r in results)
    proc = tracer_cli("contamination", "--index", tmp_path / "clean", d / "bench.jsonl")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mask_keeps_every_untouched_character(setup, tmp_path):
    d, docs, items, injected, bench = setup
    index = tracer.open(d / "idx")
    res = decontaminate(index, bench, tmp_path / "out", None, DecontaminateOptions(mode="mask"))
    rows = read_parts(tmp_path / "out")
    assert len(rows) == len(docs) and res.docs_masked == len(injected) and res.docs_dropped == 0
    for i, (row, text) in enumerate(zip(rows, docs, strict=True)):
        expect = text
        for piece in injected.get(i, []):
            expect = expect.replace(piece, DEFAULT_MARKER)
        assert row["text"] == expect, i
    assert res.tokens_removed == sum(len(p.encode()) for ps in injected.values() for p in ps)


def test_source_keeps_records_verbatim(setup, tmp_path):
    d, docs, items, injected, bench = setup
    index = tracer.open(d / "idx")
    decontaminate(index, bench, tmp_path / "out", None, DecontaminateOptions(output_format="jsonl"),
                  source=[str(d / "c.jsonl")])
    rows = read_parts(tmp_path / "out")
    originals = [json.loads(line) for line in (d / "c.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows == [r for i, r in enumerate(originals) if i not in injected]


def test_killed_run_resumes_to_identical_output(setup, tmp_path, tracer_cli):
    d, *_ = setup
    args = ["decontaminate", "--index", str(d / "idx"), str(d / "bench.jsonl"), "--shard-docs", "20"]
    whole = tracer_cli(*args, "--out", tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr
    env = {**os.environ, KILL_HOOK: "2"}
    killed = subprocess.run(tracer_cli.argv + args + ["--out", str(tmp_path / "cut")], env=env,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9
    assert len(list((tmp_path / "cut").glob("part-*"))) == 2
    again = tracer_cli(*args, "--out", tmp_path / "cut")
    assert again.returncode == 0, again.stderr
    assert "(resumed)" in again.stderr
    names = sorted(p.name for p in (tmp_path / "whole").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "cut").iterdir())
    for name in names:
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "cut" / name).read_bytes(), name


def test_bad_benchmark_record_fails_before_writing(setup, tmp_path, tracer_cli, expect_cli_error):
    d, *_ = setup
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "fine question here", "answer": "1"}\n{"question": null, "answer": "x"}\n')
    proc = tracer_cli("decontaminate", "--index", d / "idx", bad, "--out", tmp_path / "out")
    expect_cli_error(proc, f"{bad}:2")
    assert not (tmp_path / "out").exists()


def test_other_settings_refuse_a_used_folder(setup, tmp_path, tracer_cli, expect_cli_error):
    d, *_ = setup
    assert tracer_cli("decontaminate", "--index", d / "idx", d / "bench.jsonl", "--out", tmp_path / "o").returncode == 0
    proc = tracer_cli("decontaminate", "--index", d / "idx", d / "bench.jsonl", "--out", tmp_path / "o", "--ngram", "9")
    expect_cli_error(proc, "other settings")
