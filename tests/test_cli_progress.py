"""Progress bars (issue 11 item 7): on stderr with --progress, never with --no-progress, and not
by default when stderr is not a terminal; stdout is the same either way."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tracer


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("progress")
    texts = [f"document {i} says the harbor lantern burns {i * 7} nights a year." for i in range(40)]
    (d / "c.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False)
    (d / "bench.jsonl").write_text("".join(json.dumps({"question": t, "answer": "x"}) + "\n" for t in texts[:30]))
    (d / "out.txt").write_text(" ".join(texts[:5]))
    (d / "lp.jsonl").write_text("".join(json.dumps({"id": str(i), "token_ids": [100, 101, 102],
                                                    "logprobs": [None, -1.0, -2.0]}) + "\n" for i in range(20)))
    return d


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracer.cli.main", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("command", ["contamination", "trace", "score"])
def test_progress_flags(setup, command):
    d = setup
    args = {"contamination": ["contamination", "--index", str(d / "idx"), str(d / "bench.jsonl"), "--exit-zero",
                              "--format", "jsonl"],
            "trace": ["trace", "--index", str(d / "idx"), "--file", str(d / "out.txt"), "--format", "json"],
            "score": ["score", "--index", str(d / "idx"), "--logprobs", str(d / "lp.jsonl"), "--format", "jsonl"]}[command]
    shown, default = _cli(*args, "--progress"), _cli(*args)
    assert shown.returncode == default.returncode == 0, shown.stderr + default.stderr
    assert shown.stdout == default.stdout and shown.stdout
    assert "%|" in shown.stderr, shown.stderr  # tqdm's bar
    assert "%|" not in default.stderr  # stderr is a pipe here: no bar unless asked


def test_no_progress_wins_and_flags_conflict(setup, capsys):
    from tracer.cli.main import main

    d = setup
    args = ["trace", "--index", str(d / "idx"), "--file", str(d / "out.txt"), "--format", "json"]
    assert main([*args, "--no-progress"]) == 0
    assert "%|" not in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main([*args, "--progress", "--no-progress"])
    assert e.value.code == 2
