"""Corpus readers end to end: JSONL (.gz, .zst, split into byte ranges), Parquet (several row groups),
HF save_to_disk Arrow folders, text files and folders; ids, metadata (source, line/row, kept fields)."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest
from conftest import NgramOracle, make_texts, write_jsonl

import tracer
from tracer.errors import InputError


def _check_index(index, texts: list[str], queries: int = 200) -> None:
    """Documents read back equal the input, in order, and counts equal the oracle."""
    assert index.n_docs == len(texts)
    for i, t in enumerate(texts):
        assert index.document(i).text == t
    docs = [list(t.encode("utf-8")) for t in texts]
    oracle = NgramOracle(docs)
    rng = random.Random(len(texts))
    qs = [oracle.sample_present(rng, docs, 12) for _ in range(queries)]
    assert index.count_many(qs) == [oracle.count(q) for q in qs]


def _build(inputs, out: Path, **kwargs):
    tracer.build([str(i) for i in inputs], str(out), progress=False, **kwargs)
    return tracer.open(str(out))


def test_jsonl_gz_and_zst(tmp_path):
    import zstandard

    texts = make_texts(60, seed=21)
    lines = "".join(json.dumps({"text": t, "n": i}, ensure_ascii=False) + "\n" for i, t in enumerate(texts))
    with gzip.open(tmp_path / "c.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(lines)
    (tmp_path / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines.encode("utf-8")))
    half = lines.index("\n", len(lines) // 2) + 1  # two frames back to back, as parallel compressors write
    (tmp_path / "frames.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines[:half].encode("utf-8"))
                                                + zstandard.ZstdCompressor().compress(lines[half:].encode("utf-8")))
    for name in ("c.jsonl.gz", "c.jsonl.zst", "frames.jsonl.zst"):
        index = _build([tmp_path / name], tmp_path / f"i-{name}")
        _check_index(index, texts)
        meta = index.document(7).meta
        assert meta["source"].endswith(name) and meta["line"] == 8 and meta["n"] == 7
        assert index.document(7).doc_id == f"{meta['source']}:8"  # no --id-field: file:line


def test_truncated_or_mislabeled_compressed_files_are_errors(tmp_path, tracer_cli, expect_cli_error):
    """A truncated .zst used to index as a silently shorter corpus, a truncated .gz gave a traceback."""
    import zstandard

    lines = "".join(json.dumps({"text": f"line {i} " + "x" * 40}) + "\n" for i in range(3000)).encode()
    gz, zst = gzip.compress(lines), zstandard.ZstdCompressor().compress(lines)
    (tmp_path / "t.jsonl.gz").write_bytes(gz[: len(gz) // 2])
    (tmp_path / "t.jsonl.zst").write_bytes(zst[: len(zst) // 2])
    (tmp_path / "plain.jsonl.gz").write_bytes(lines)
    (tmp_path / "junk.jsonl.zst").write_bytes(zst[:4] + bytes(range(256)) * 4)
    expect_cli_error(tracer_cli("build", tmp_path / "t.jsonl.zst", "--out", tmp_path / "i", "--quiet"),
                     "t.jsonl.zst", "truncated")
    for name in ("t.jsonl.gz", "plain.jsonl.gz", "junk.jsonl.zst"):
        with pytest.raises(InputError, match=re.escape(str(tmp_path / name)) + ": cannot decompress"):
            tracer.build([str(tmp_path / name)], str(tmp_path / f"i-{name}"), progress=False)


def test_truncated_or_corrupt_columnar_files_are_errors(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    batch = pa.record_batch({"text": [f"doc {i} " * 20 for i in range(5000)]})
    with pa.OSFile(str(tmp_path / "full.arrow"), "wb") as sink, pa.ipc.new_stream(sink, batch.schema) as writer:
        for k in range(5):
            writer.write_batch(batch.slice(k * 1000, 1000))
    data = (tmp_path / "full.arrow").read_bytes()
    (tmp_path / "t.arrow").write_bytes(data[: len(data) // 2])
    pq.write_table(pa.Table.from_batches([batch]), tmp_path / "p.parquet", row_group_size=1000, compression="none")
    data = bytearray((tmp_path / "p.parquet").read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 2000):
        data[i] ^= 0x5A
    (tmp_path / "c.parquet").write_bytes(bytes(data))
    for name in ("t.arrow", "c.parquet"):
        with pytest.raises(InputError, match=re.escape(str(tmp_path / name)) + ": cannot read rows"):
            tracer.build([str(tmp_path / name)], str(tmp_path / f"i-{name}"), progress=False)


def test_plain_jsonl_split_into_ranges_keeps_line_numbers(tmp_path):
    """A file larger than a job is read in byte ranges by several jobs; blank lines still count."""
    texts = make_texts(3000, seed=22, max_words=40)
    path = tmp_path / "big.jsonl"
    line_of, lineno = [], 0
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"text": t, "k": i}, ensure_ascii=False) + "\n")
            lineno += 1
            line_of.append(lineno)
            if i % 100 == 0:
                f.write("\n")
                lineno += 1
    assert path.stat().st_size > 4 * 65536
    index = _build([path], tmp_path / "i", shard_tokens=65536)
    assert index.manifest["build"]["batches"][0]["jobs"] > 3
    _check_index(index, texts)
    for i in range(0, 3000, 137):
        meta = index.document(i).meta
        assert meta["k"] == i and meta["line"] == line_of[i]


def test_parquet_row_groups_fields_and_ids(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = make_texts(50, seed=23)
    table = pa.table({"uid": [f"u{i}" for i in range(50)], "content": texts, "url": [f"http://x/{i}" for i in range(50)],
                      "score": [i / 2 for i in range(50)]})
    pq.write_table(table, tmp_path / "c.parquet", row_group_size=7)
    assert pq.ParquetFile(tmp_path / "c.parquet").metadata.num_row_groups == 8
    index = _build([tmp_path / "c.parquet"], tmp_path / "i", text_field="content", id_field="uid")
    _check_index(index, texts)
    doc = index.document("u33")
    assert doc.text == texts[33] and doc.doc_index == 33
    assert doc.meta["row"] == 33 and doc.meta["url"] == "http://x/33" and doc.meta["score"] == 16.5
    assert doc.meta["source"].endswith("c.parquet") and "content" not in doc.meta


def test_parquet_split_over_several_jobs_keeps_row_numbers(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = make_texts(2500, seed=27, max_words=50)
    pq.write_table(pa.table({"text": texts, "i": list(range(len(texts)))}), tmp_path / "c.parquet",
                   row_group_size=100, compression="none")
    index = _build([tmp_path / "c.parquet"], tmp_path / "i", shard_tokens=65536)
    assert index.manifest["build"]["batches"][0]["jobs"] > 2
    _check_index(index, texts)
    for i in range(0, len(texts), 97):
        assert index.document(i).meta["row"] == index.document(i).meta["i"] == i


def test_hf_save_to_disk_folder(tmp_path):
    import pyarrow as pa

    texts = make_texts(40, seed=24)
    folder = tmp_path / "ds"
    folder.mkdir()
    halves = [texts[:25], texts[25:]]
    for k, part in enumerate(halves):
        batch = pa.record_batch({"text": part, "label": list(range(len(part)))})
        with pa.OSFile(str(folder / f"data-{k:05d}-of-00002.arrow"), "wb") as sink, \
                pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch.slice(0, 10))
            writer.write_batch(batch.slice(10))
    (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00002.arrow"},
                                                                   {"filename": "data-00001-of-00002.arrow"}]}))
    (folder / "dataset_info.json").write_text("{}")
    index = _build([folder], tmp_path / "i")
    _check_index(index, texts)
    meta = index.document(30).meta
    assert meta["source"].endswith("data-00001-of-00002.arrow") and meta["row"] == 5 and meta["label"] == 5


def test_hf_dataset_dict_folder(tmp_path):
    """DatasetDict.save_to_disk: dataset_dict.json at the top, one save_to_disk folder per split."""
    import pyarrow as pa

    root = tmp_path / "dd"
    splits = {"test": ["t0 text", "t1 text"], "train": ["a first", "b second", "c third"]}
    for split, texts in splits.items():
        (root / split).mkdir(parents=True)
        batch = pa.record_batch({"text": texts})
        with pa.OSFile(str(root / split / "data-00000-of-00001.arrow"), "wb") as sink, \
                pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        (root / split / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
        (root / split / "dataset_info.json").write_text("{}")
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    index = _build([root], tmp_path / "i")
    _check_index(index, splits["test"] + splits["train"], queries=20)
    assert "train" in index.document(4).meta["source"] and index.document(4).meta["row"] == 2


def test_text_files_and_folders(tmp_path):
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    files = {"a.txt": "first file\nwith two lines\n", "sub/b.md": "ÿ second \uffff file", "sub/c": ""}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    single = tmp_path / "single.txt"
    single.write_text("a lone file", encoding="utf-8")
    index = _build([folder, single], tmp_path / "i")
    order = ["a.txt", "sub/b.md", "sub/c"]
    _check_index(index, [files[n] for n in order] + ["a lone file"], queries=50)
    for name in order:
        doc = index.document(name)
        assert doc.text == files[name] and doc.meta["source"] == str(folder / name)
    assert index.document("single.txt").text == "a lone file"


def test_several_inputs_keep_their_order(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"text": "from a"}])
    b = tmp_path / "b.txt"
    b.write_text("from b")
    c = write_jsonl(tmp_path / "c.jsonl", [{"text": "from c"}, {"text": "from c again"}])
    index = _build([c, a, b], tmp_path / "i")
    assert [index.document(i).text for i in range(4)] == ["from c", "from c again", "from a", "from b"]


def test_append_adds_shards(tmp_path, tracer_cli):
    first, second = make_texts(80, seed=25), make_texts(70, seed=26)
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": f"a{i}", "text": t} for i, t in enumerate(first)])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": f"b{i}", "text": t} for i, t in enumerate(second)])
    out = tmp_path / "idx"
    assert tracer_cli("build", a, "--out", out, "--id-field", "id", "--quiet").returncode == 0
    before = len(tracer.open(str(out)).shards)
    proc = tracer_cli("build", b, "--out", out, "--id-field", "id", "--append", "--quiet")
    assert proc.returncode == 0, proc.stderr
    index = tracer.open(str(out))
    assert len(index.shards) > before
    _check_index(index, first + second)
    assert index.document("b5").text == second[5] and index.document("a5").text == first[5]
    assert tracer_cli("verify", out).returncode == 0
    with pytest.raises(InputError, match="append"):
        tracer.build([str(b)], str(tmp_path / "fresh"), append=True, progress=False)


def test_append_with_another_tokenizer_is_refused(tmp_path, bpe_tokenizer, tracer_cli, expect_cli_error):
    """--append must not silently tokenize new input with a different tokenizer than the index's."""
    a = write_jsonl(tmp_path / "a.jsonl", [{"text": t} for t in make_texts(20, seed=41)])
    b = write_jsonl(tmp_path / "b.jsonl", [{"text": t} for t in make_texts(20, seed=42)])
    out = tmp_path / "idx"
    tracer.build([str(a)], str(out), tokenizer=str(bpe_tokenizer), progress=False)
    other = tmp_path / "other.json"
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel()
    tok.train_from_iterator(make_texts(50, seed=43), trainers.BpeTrainer(vocab_size=300, show_progress=False))
    tok.save(str(other))
    proc = tracer_cli("build", b, "--out", out, "--append", "--tokenizer", other, "--quiet")
    expect_cli_error(proc, "differs from the tokenizer")
    assert len(tracer.open(str(out)).shards) == 1  # the index is untouched
