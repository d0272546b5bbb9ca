"""The one record reader (tracer.corpus.iter_records): every format gives the same records with their
file:line / row places; folders are read file by file in sorted order; bad bytes and bad JSON are
located InputErrors, and through the CLI one clean line with exit 2 for every command that reads a file."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from conftest import write_jsonl

import tracer
from tracer.cli.main import main
from tracer.corpus import iter_records, iter_text_lines
from tracer.errors import InputError

ROWS = [{"text": "café ÿ one", "n": "1"}, {"text": "line two, \"quoted\"", "n": "2"},
        {"text": "multi\nline three", "n": "3"}]


def _write_all_formats(d: Path) -> dict[str, Path]:
    """The same three rows in every format; returns name -> path."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import zstandard

    d.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS).encode()
    out = {"jsonl": write_jsonl(d / "a.jsonl", ROWS), "ndjson.gz": d / "a.ndjson.gz", "json.zst": d / "a.json.zst",
           "csv": d / "a.csv", "csv.gz": d / "a.csv.gz", "parquet": d / "a.parquet",
           "arrow-stream": d / "stream.arrow", "arrow-file": d / "file.arrow"}
    out["ndjson.gz"].write_bytes(gzip.compress(lines))
    out["json.zst"].write_bytes(zstandard.ZstdCompressor().compress(lines))
    with open(out["csv"], "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["text", "n"])
        w.writeheader()
        w.writerows(ROWS)
    out["csv.gz"].write_bytes(gzip.compress(out["csv"].read_bytes()))
    table = pa.Table.from_pylist(ROWS)
    pq.write_table(table, out["parquet"], row_group_size=2)
    with pa.OSFile(str(out["arrow-stream"]), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table, max_chunksize=2)
    with pa.OSFile(str(out["arrow-file"]), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table, max_chunksize=2)
    return out


def test_every_format_gives_the_same_records_and_places(tmp_path):
    files = _write_all_formats(tmp_path)
    for name, path in files.items():
        recs = list(iter_records(path))
        assert [r.data for r in recs] == ROWS, name
        if name.startswith(("parquet", "arrow")):
            assert [r.where for r in recs] == [f"{path}:row {i}" for i in range(3)], name
        elif name.startswith("csv"):  # header on line 1; the third row's quoted newline spans lines 4-5
            assert [r.where for r in recs] == [f"{path}:2", f"{path}:3", f"{path}:4"], name
        else:
            assert [r.where for r in recs] == [f"{path}:{i}" for i in (1, 2, 3)], name


def test_save_to_disk_and_plain_folders(tmp_path):
    import pyarrow as pa

    hf = tmp_path / "hf"
    (hf / "train").mkdir(parents=True)
    table = pa.Table.from_pylist(ROWS)
    with pa.OSFile(str(hf / "train" / "data-00000-of-00001.arrow"), "wb") as sink, \
            pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    (hf / "dataset_dict.json").write_text('{"splits": ["train"]}')
    assert [r.data for r in iter_records(hf)] == ROWS

    folder = tmp_path / "mixed"
    write_jsonl(folder / "b" / "z.jsonl", ROWS[2:])
    write_jsonl(folder / "a.jsonl", ROWS[:1])
    (folder / "b" / "c.jsonl.gz").write_bytes(gzip.compress((json.dumps(ROWS[1]) + "\n").encode()))
    (folder / "LICENSE").write_text("MIT")
    (folder / ".hidden.jsonl").write_text("not read")
    recs = list(iter_records(folder))
    assert [r.data for r in recs] == ROWS  # sorted: a.jsonl, b/c.jsonl.gz, b/z.jsonl
    assert [Path(r.path).name for r in recs] == ["a.jsonl", "c.jsonl.gz", "z.jsonl"]
    (folder / "notes.xml").write_text("<x/>")
    with pytest.raises(InputError, match=r"notes.xml: unknown input format"):
        list(iter_records(folder))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no input files"):
        list(iter_records(empty))


@pytest.mark.parametrize("name,content,needle", [
    ("q.jsonl", b'{"text": "ok"}\n{"text": "caf\xe9"}\n', "q.jsonl:2: invalid UTF-8 at byte 13"),
    ("q.jsonl", b'{"text": "ok"}\n\n{"text": \n', "q.jsonl:3: malformed JSON"),
    ("q.csv", b'text,n\nok,1\nbad \xff,2\n', "q.csv:3: invalid UTF-8 at byte 4"),
    ("q.csv", b'text,n\nok,1\nno,2,3\n', "q.csv:3: 3 columns, the header has 2"),
    ("q.parquet", b"PAR1 not really", "q.parquet: not a readable Parquet file"),
    ("q.arrow", b"not arrow at all", "q.arrow: not an Arrow file"),
    ("q.jsonl.gz", gzip.compress(b'{"text": "x"}\n', mtime=0)[:20], "q.jsonl.gz: cannot decompress"),
])
def test_malformed_input_is_a_located_error(tmp_path, name, content, needle):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError) as e:
        list(iter_records(tmp_path / name))
    assert str(e.value).startswith(f"{tmp_path}/{needle}"), str(e.value)


def test_text_lines_decode_with_places(tmp_path):
    p = tmp_path / "q.txt"
    p.write_bytes(b"one\n\ntwo\r\nth\xffree\n")
    lines = iter_text_lines(p)
    assert next(lines) == (f"{p}:1", "one") and next(lines) == (f"{p}:3", "two")
    with pytest.raises(InputError, match=rf"^{p}:4: invalid UTF-8 at byte 2"):
        next(lines)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory) -> str:
    d = tmp_path_factory.mktemp("rec")
    write_jsonl(d / "c.jsonl", [{"text": "hello world, the answer is x"}])
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), progress=False)
    return str(d / "idx")


def test_non_utf8_query_file_through_the_cli(small_index, tmp_path, tracer_cli, expect_cli_error):
    """Issue 11 (3): this exited 1 with a UnicodeDecodeError traceback."""
    q = tmp_path / "q.jsonl"
    q.write_bytes(b'{"text": "hello"}\n{"text": "caf\xe9"}\n')
    expect_cli_error(tracer_cli("count", "--index", small_index, "--queries", q), "q.jsonl:2", "invalid UTF-8")
    t = tmp_path / "q.txt"
    t.write_bytes(b"hello\nwor\xffld\n")
    expect_cli_error(tracer_cli("count", "--index", small_index, "--queries", t), "q.txt:2", "invalid UTF-8")
    t.write_bytes(b"hello\nworld\n")
    ok = tracer_cli("count", "--index", small_index, "--queries", t, "--format", "jsonl")
    assert ok.returncode == 0 and [json.loads(x)["count"] for x in ok.stdout.splitlines()] == [1, 1]


def _main(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_non_utf8_in_every_file_the_commands_read(small_index, tmp_path, capsys):
    """The same one-line error (exit 2) from contamination, report and score inputs."""
    bad = b'{"question": "caf\xe9?", "answer": "x"}\n'
    cases = [
        (("contamination", "--index", small_index, "b.jsonl"), b'{"question": "q", "answer": "a"}\n' + bad),
        (("contamination", "--index", small_index, "b.csv"), b"question,answer\nq,a\ncaf\xe9,x\n"),
        (("report", "b.jsonl", "--out", tmp_path / "r.md"), b'{"id": "1", "coverage": 0}\n' + bad),
        (("score", "--index", small_index, "--logprobs", "b.jsonl"),
         b'{"token_ids": [1], "logprobs": [-1.0]}\n' + bad),
    ]
    for args, content in cases:
        name = next(a for a in args if str(a).startswith("b."))
        (tmp_path / name).write_bytes(content)
        args = [tmp_path / a if a == name else a for a in args]
        code, err = _main(capsys, *args)
        assert code == 2 and "Traceback" not in err, (args, err)
        assert f"{name}:" in err and "invalid UTF-8" in err and len(err.strip().splitlines()) == 1, (args, err)
