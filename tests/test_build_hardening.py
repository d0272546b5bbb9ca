"""Build hardening (issue 11): ids that always resolve, no silent fallbacks, resume and disk-full
messages, verify progress. Each test reproduces the reported command on a tiny corpus."""

from __future__ import annotations

import errno
import json
import shutil

import pytest
from conftest import write_jsonl

import tracer
from tracer.errors import InputError, NotFoundError, TracerError


def _find_ids(tracer_cli, index, query: str) -> list[str]:
    proc = tracer_cli("find", "--index", index, query, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return [o["doc_id"] for o in json.loads(proc.stdout)["occurrences"]]


@pytest.mark.slow  # many CLI processes: kept out of the default run (CI runs `pytest -m slow`)
def test_shown_ids_resolve_without_id_field(tmp_path, tracer_cli, expect_cli_error):
    """The issue's repro: a record carrying "id", built without --id-field."""
    (tmp_path / "g.jsonl").write_text('{"id":"d3","text":"number 3 hello"}\n')
    assert tracer_cli("build", "g.jsonl", "--out", "ig", "--quiet", cwd=tmp_path).returncode == 0
    shown = _find_ids(tracer_cli, tmp_path / "ig", "number 3")
    assert shown == ["g.jsonl:1"]  # the id is file:line; the record's own id is metadata
    doc = tracer_cli("doc", "--index", "ig", shown[0], "--format", "json", cwd=tmp_path)
    assert doc.returncode == 0, doc.stderr
    record = json.loads(doc.stdout)
    assert record["doc_id"] == "g.jsonl:1" and record["text"] == "number 3 hello"
    assert record["meta"]["record.id"] == "d3" and record["meta"]["line"] == 1
    # the rule is stated when a record's own id is asked for
    expect_cli_error(tracer_cli("doc", "--index", "ig", "d3", cwd=tmp_path), "'d3'", "--id-field", "FILE:LINE")
    # trace shows the same id, and it resolves too
    index = tracer.open(tmp_path / "ig")
    result = index.trace("the number 3 hello world", min_len=5)
    traced = {d.doc_id for s in result.spans for d in s.documents}
    assert traced == {"g.jsonl:1"}
    assert index.document("g.jsonl:1").text == "number 3 hello"


def test_shown_ids_resolve_with_id_field_and_location(tmp_path, tracer_cli):
    write_jsonl(tmp_path / "g.jsonl", [{"id": "d3", "text": "number 3 hello"},
                                       {"id": 7, "text": "seven is a number"},
                                       {"id": "d9", "text": "number 9 bye"}])
    assert tracer_cli("build", "g.jsonl", "--out", "ig", "--id-field", "id", "--quiet", cwd=tmp_path).returncode == 0
    assert sorted(_find_ids(tracer_cli, tmp_path / "ig", "number ")) == ["d3", "d9"]
    index = tracer.open(tmp_path / "ig")
    for doc_id, text in (("d3", "number 3 hello"), ("7", "seven is a number"), ("d9", "number 9 bye"),
                         ("g.jsonl:1", "number 3 hello"), ("g.jsonl:2", "seven is a number"),
                         ("g.jsonl:3", "number 9 bye")):
        assert index.document(doc_id).text == text, doc_id
        assert tracer_cli("doc", "--index", "ig", doc_id, cwd=tmp_path).stdout == text + "\n"
    assert index.document("g.jsonl:2").doc_id == "7"
    with pytest.raises(NotFoundError):
        index.document("g.jsonl:4")


def test_id_field_no_record_has_is_an_error(tmp_path, tracer_cli, expect_cli_error):
    write_jsonl(tmp_path / "g.jsonl", [{"id": "d3", "text": "number 3 hello"}])
    line = expect_cli_error(tracer_cli("build", "g.jsonl", "--out", "ig", "--id-field", "uid", cwd=tmp_path),
                            "g.jsonl:1", "'uid'", "--id-field")
    assert "missing" in line
    assert not (tmp_path / "ig" / "manifest.json").exists()


def test_records_lacking_the_id_field_are_skipped_and_counted(tmp_path, tracer_cli):
    write_jsonl(tmp_path / "g.jsonl", [{"uid": "a", "text": "alpha"}, {"text": "no id here"},
                                       {"uid": None, "text": "null id"}, {"uid": "b", "text": "beta"}])
    proc = tracer_cli("build", "g.jsonl", "--out", "ig", "--id-field", "uid", "--on-error", "skip", "--quiet",
                      cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "skipped 2 bad records" in proc.stderr and "g.jsonl:2" in proc.stderr and "g.jsonl:3" in proc.stderr
    index = tracer.open(tmp_path / "ig")
    assert index.n_docs == 2 and index.document("b").text == "beta"


def test_empty_corpus_is_an_error(tmp_path, tracer_cli, expect_cli_error):
    (tmp_path / "e.jsonl").write_text("")
    expect_cli_error(tracer_cli("build", "e.jsonl", "--out", "ie", cwd=tmp_path), "no documents", "e.jsonl")
    assert not (tmp_path / "ie").exists() or not any((tmp_path / "ie").iterdir())
    # every record skipped: the same, with the first reason
    write_jsonl(tmp_path / "bad.jsonl", [{"body": "x"}, {"body": "y"}])
    line = expect_cli_error(tracer_cli("build", "bad.jsonl", "--out", "ib", "--on-error", "skip", cwd=tmp_path),
                            "no documents", "all 2 records were skipped", "bad.jsonl:1")
    assert "'text'" in line
    # the directory can be reused at once by the corrected command
    write_jsonl(tmp_path / "ok.jsonl", [{"text": "fine"}])
    assert tracer_cli("build", "ok.jsonl", "--out", "ib", "--quiet", cwd=tmp_path).returncode == 0
    # asked for explicitly, an empty index is built (and answers 0)
    assert tracer_cli("build", "e.jsonl", "--out", "ie2", "--allow-empty", "--quiet", cwd=tmp_path).returncode == 0
    assert tracer.open(tmp_path / "ie2").count("a") == 0
    with pytest.raises(InputError, match="no documents"):
        tracer.build([str(tmp_path / "e.jsonl")], str(tmp_path / "ie3"), progress=False, allow_empty=False)


def test_empty_append_leaves_the_index_as_it_was(tmp_path, tracer_cli, expect_cli_error):
    write_jsonl(tmp_path / "a.jsonl", [{"text": "first document"}])
    (tmp_path / "e.jsonl").write_text("")
    assert tracer_cli("build", "a.jsonl", "--out", "ix", "--quiet", cwd=tmp_path).returncode == 0
    before = (tmp_path / "ix" / "manifest.json").read_bytes()
    expect_cli_error(tracer_cli("build", "e.jsonl", "--out", "ix", "--append", cwd=tmp_path), "no documents",
                     "unchanged")
    assert (tmp_path / "ix" / "manifest.json").read_bytes() == before
    assert tracer_cli("verify", "ix", cwd=tmp_path).returncode == 0


def test_resumed_build_says_what_it_resumed(tmp_path, tracer_cli, monkeypatch):
    texts = [f"document number {i} " + "word " * 50 for i in range(1000)]  # ~270 kB: jobs of 64 kB
    write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in texts])
    args = ["build", "c.jsonl", "--out", "ir", "--shard-tokens", "20000", "--workers", "1", "--quiet"]
    assert tracer_cli(*args, cwd=tmp_path).returncode == 0
    out = tmp_path / "ir"
    reference = (out / "manifest.json").read_bytes()
    markers = sorted((out / "shards").glob("job-*.json"))
    assert len(markers) >= 3
    # the state a kill leaves: no manifest, the last job unfinished
    last = markers[-1]
    job_id = int(last.stem.split("-")[1])
    (out / "manifest.json").unlink()
    last.unlink()
    for part in (out / "shards").glob(f"{job_id:05d}-*"):
        shutil.rmtree(part)
    proc = tracer_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"resumed an interrupted build (the first build): {len(markers) - 1} of {len(markers)} jobs were done" \
        in proc.stderr
    assert (out / "manifest.json").read_bytes() == reference
    # the same through the API (the same request: the paths as the command gave them)
    monkeypatch.chdir(tmp_path)
    (out / "manifest.json").unlink()
    result = tracer.build(["c.jsonl"], "ir", shard_tokens=20000, workers=1, progress=False)
    assert result.resumed is not None and (result.resumed.jobs_done, result.resumed.jobs_total) == (
        len(markers), len(markers))
    assert result.jobs_run == 0 and not result.nothing_to_do
    again = tracer.build(["c.jsonl"], "ir", shard_tokens=20000, workers=1, progress=False)
    assert again.nothing_to_do and again.resumed is None and again.manifest.n_docs == len(texts)


class _FullDisk:
    """A file object whose writes fail as on a full disk: ENOSPC and no file name."""

    def __init__(self, *_: object) -> None:
        pass

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def write(self, _data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_names_the_path(tmp_path, monkeypatch, capsys):
    from tracer.cli.main import main
    from tracer.index import format as fmt

    write_jsonl(tmp_path / "c.jsonl", [{"text": "some text to index"}])
    real_open = open

    def full_for_suffix_array(path, mode="r", *args, **kwargs):
        if "w" in mode and str(path).endswith("sa.bin"):
            return _FullDisk()
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(fmt, "open", full_for_suffix_array, raising=False)
    with pytest.raises(TracerError) as err:
        tracer.build([str(tmp_path / "c.jsonl")], str(tmp_path / "i"), workers=1, progress=False)
    assert "sa.bin" in str(err.value) and "no space left" in str(err.value) and "rerun" in str(err.value)
    code = main(["build", str(tmp_path / "c.jsonl"), "--out", str(tmp_path / "j"), "--workers", "1", "--quiet"])
    message = capsys.readouterr().err.strip()
    assert code == 2 and len(message.splitlines()) == 1
    assert str(tmp_path / "j" / "shards") in message and "sa.bin" in message and "no space left" in message
    # with the disk freed, rerunning the same command finishes the build
    monkeypatch.undo()
    assert main(["build", str(tmp_path / "c.jsonl"), "--out", str(tmp_path / "j"), "--workers", "1", "--quiet"]) == 0
    assert tracer.open(tmp_path / "j").document(0).text == "some text to index"


def test_other_write_errors_name_the_path(tmp_path, monkeypatch):
    from tracer.index import format as fmt

    write_jsonl(tmp_path / "c.jsonl", [{"text": "some text to index"}])
    real_open = open

    def failing(path, mode="r", *args, **kwargs):
        if "w" in mode and str(path).endswith("docs.bin"):
            raise OSError(errno.EIO, "Input/output error")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(fmt, "open", failing, raising=False)
    with pytest.raises(OSError) as err:
        tracer.build([str(tmp_path / "c.jsonl")], str(tmp_path / "i"), workers=1, progress=False)
    assert err.value.filename and err.value.filename.endswith("docs.bin") and err.value.errno == errno.EIO


def test_verify_progress_bar_only_when_asked_off_a_terminal(tmp_path, tracer_cli):
    write_jsonl(tmp_path / "c.jsonl", [{"text": "verify me please"}])
    assert tracer_cli("build", "c.jsonl", "--out", "iv", "--quiet", cwd=tmp_path).returncode == 0
    quiet = tracer_cli("verify", "iv", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""
    shown = tracer_cli("verify", "iv", "--progress", cwd=tmp_path)
    assert shown.returncode == 0 and "verify" in shown.stderr and "100%" in shown.stderr
    assert "ok (" in shown.stdout
