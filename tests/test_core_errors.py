"""Bad input through the real CLI: each case exits 2 with one line on stderr naming file:line and field;
`--on-error skip` skips such records and reports how many and where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NgramOracle, write_jsonl

import tracer


def _corpus_with(tmp_path: Path, bad_line: bytes, name: str = "c.jsonl") -> Path:
    """Good line 1, the bad line at line 2, good line 3."""
    path = tmp_path / name
    path.write_bytes(b'{"text": "first doc"}\n' + bad_line + b'\n{"text": "third doc"}\n')
    return path


BAD_RECORDS = {
    "malformed-json": (b'{"text": "unterminated', ["c.jsonl:2", "malformed JSON"]),
    "missing-field": (b'{"body": "no text here"}', ["c.jsonl:2", "field 'text' is missing"]),
    "non-string": (b'{"text": 42}', ["c.jsonl:2", "field 'text' is not a string", "number"]),
    "null-text": (b'{"text": null}', ["c.jsonl:2", "not a string"]),
    "not-an-object": (b'["text", "x"]', ["c.jsonl:2", "expected a JSON object"]),
    "invalid-utf8": (b'{"text": "caf\xe9 \xff"}', ["c.jsonl:2", "invalid UTF-8"]),
}


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_bad_record_stops_the_build(case, tmp_path, tracer_cli, expect_cli_error):
    line, needles = BAD_RECORDS[case]
    corpus = _corpus_with(tmp_path, line)
    proc = tracer_cli("build", corpus, "--out", tmp_path / "idx", "--quiet")
    msg = expect_cli_error(proc, *needles)
    assert "--on-error skip" in msg
    assert not (tmp_path / "idx" / "manifest.json").exists()


def test_on_error_skip_reports_and_counts_the_rest(tmp_path, tracer_cli):
    good = ["alpha beta", "beta gamma beta", "", "gamma"]
    lines = [json.dumps({"text": t}).encode() for t in good]
    bad = [b'{"text": 1}', b"{oops", b'{"txt": "x"}', b'{"text": "\xc3\x28"}']
    mixed = [lines[0], bad[0], lines[1], bad[1], bad[2], lines[2], bad[3], lines[3]]
    corpus = tmp_path / "mixed.jsonl"
    corpus.write_bytes(b"\n".join(mixed) + b"\n")
    proc = tracer_cli("build", corpus, "--out", tmp_path / "idx", "--on-error", "skip", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "skipped 4 bad records" in proc.stderr
    for lineno in (2, 4, 5, 7):
        assert f"mixed.jsonl:{lineno}:" in proc.stderr
    index = tracer.open(str(tmp_path / "idx"))
    assert index.n_docs == 4 and index.manifest["skipped_records"] == 4
    oracle = NgramOracle([list(t.encode()) for t in good])
    for q in ["beta", "gamma", "a", "alpha beta", "beta gamma", "x", "ta"]:
        assert index.count(q) == oracle.count(list(q.encode())), q


def test_missing_inputs_and_bad_options(tmp_path, tracer_cli, expect_cli_error):
    expect_cli_error(tracer_cli("build", tmp_path / "nope.jsonl", "--out", tmp_path / "i"),
                     "nope.jsonl", "no such file")
    assert not (tmp_path / "i").exists(), "a failed plan must not leave a directory that blocks the rerun"
    (tmp_path / "empty").mkdir()
    expect_cli_error(tracer_cli("build", tmp_path / "nope.jsonl", "--out", tmp_path / "empty"), "no such file")
    assert list((tmp_path / "empty").iterdir()) == []
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": "abc"}, {"text": "x" * 500}])
    expect_cli_error(tracer_cli("build", corpus, "--out", tmp_path / "i", "--tokenizer", tmp_path / "tok.json"),
                     "tok.json", "no such file")
    expect_cli_error(tracer_cli("build", corpus, "--out", tmp_path / "i2", "--shard-tokens", "100", "--quiet"),
                     "c.jsonl:2", "exceeds the shard size")
    expect_cli_error(tracer_cli("build", corpus, "--out", tmp_path / "i3", "--text-field", "body", "--quiet"),
                     "c.jsonl:1", "field 'body' is missing")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    expect_cli_error(tracer_cli("build", corpus, "--out", foreign, "--quiet"), "not a tracer build")


def test_bad_text_file_in_folder(tmp_path, tracer_cli, expect_cli_error):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("fine\n")
    (folder / "b.txt").write_bytes(b"line one\nline two \xff\xfe\n")
    expect_cli_error(tracer_cli("build", folder, "--out", tmp_path / "i", "--quiet"), "b.txt:2", "invalid UTF-8")


def test_query_errors(tmp_path, tracer_cli, expect_cli_error):
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": "hello world"}])
    tracer.build([str(corpus)], str(tmp_path / "i"), id_field="id", progress=False)
    idx = tmp_path / "i"
    expect_cli_error(tracer_cli("count", "--index", idx, ""), "empty query")
    expect_cli_error(tracer_cli("find", "--index", idx, ""), "empty query")
    expect_cli_error(tracer_cli("count", "--index", idx, "hello \udcff"), "not valid Unicode")  # argv byte 0xFF
    expect_cli_error(tracer_cli("doc", "--index", idx, "zzz"), "no document with id 'zzz'")
    expect_cli_error(tracer_cli("doc", "--index", idx, "#5"), "no document #5")
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"text": "hello"}\n{"text": \n')
    expect_cli_error(tracer_cli("count", "--index", idx, "--queries", queries, "--format", "jsonl"),
                     "q.jsonl:2", "malformed JSON")
    queries.write_text('{"text": "hello"}\n{"text": 3}\n')
    expect_cli_error(tracer_cli("count", "--index", idx, "--queries", queries), "q.jsonl:2", "not a string")
    expect_cli_error(tracer_cli("count", "--index", idx, "--queries", tmp_path / "none.jsonl"), "none.jsonl")
    expect_cli_error(tracer_cli("count", "--index", idx), "give either TEXT or --queries")
    expect_cli_error(tracer_cli("count", "--index", idx, "x", "--format", "xml"), "invalid choice")
    ok = tracer_cli("count", "--index", idx, "hello", "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"text": "hello", "count": 1}


def test_rerun_with_on_error_skip_after_a_bad_record(tmp_path, tracer_cli, expect_cli_error):
    """The error says "use --on-error skip"; rerunning with it finishes the build, equal to a fresh one."""
    corpus = _corpus_with(tmp_path, b'{"text": 42}')
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    args = ("build", corpus, "--out", "idx", "--quiet", "--shard-tokens", "1000")  # default depends on free memory
    expect_cli_error(tracer_cli(*args, cwd=tmp_path / "a"), "c.jsonl:2")
    proc = tracer_cli(*args, "--on-error", "skip", cwd=tmp_path / "a")
    assert proc.returncode == 0 and "skipped 1 bad records" in proc.stderr, proc.stderr
    fresh = tracer_cli(*args, "--on-error", "skip", cwd=tmp_path / "b")
    assert fresh.returncode == 0
    for f in sorted((tmp_path / "b" / "idx").rglob("*")):
        if f.is_file():
            assert (tmp_path / "a" / "idx" / f.relative_to(tmp_path / "b" / "idx")).read_bytes() == f.read_bytes(), f
    assert tracer.open(str(tmp_path / "a" / "idx")).n_docs == 2


def test_failed_append_leaves_the_index_as_it_was(tmp_path, tracer_cli, expect_cli_error):
    import zstandard

    a = write_jsonl(tmp_path / "a.jsonl", [{"text": "alpha beta"}, {"text": "beta"}])
    out = tmp_path / "idx"
    assert tracer_cli("build", a, "--out", out, "--quiet").returncode == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    lines = "".join(json.dumps({"text": f"gamma {i}"}) + "\n" for i in range(2000)).encode()
    zst = zstandard.ZstdCompressor().compress(lines)
    (tmp_path / "b.jsonl.zst").write_bytes(zst[: len(zst) // 2])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": null}\n')
    expect_cli_error(tracer_cli("build", tmp_path / "b.jsonl.zst", "--out", out, "--append", "--quiet"),
                     "b.jsonl.zst", "truncated")
    expect_cli_error(tracer_cli("build", bad, "--out", out, "--append", "--quiet"), "bad.jsonl:2")
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    # still usable, and a good append afterwards works
    assert tracer_cli("count", "--index", out, "beta").stdout.strip() == "2"
    c = write_jsonl(tmp_path / "c.jsonl", [{"text": "beta gamma"}])
    assert tracer_cli("build", c, "--out", out, "--append", "--quiet").returncode == 0
    index = tracer.open(str(out))
    assert index.n_docs == 3 and index.count("beta") == 3 and index.count("gamma") == 1
