"""kill -9 during `tracer build`, rerun the same command: every file of the index, manifest included,
is byte-identical to an uninterrupted build, and finished jobs are reused rather than redone."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import make_texts, write_jsonl

SHARD_TOKENS = "100000"  # about 25 jobs of 100 kB on the corpus below


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _markers(out: Path) -> list[Path]:
    return sorted((out / "shards").glob("job-*.json")) if (out / "shards").exists() else []


def _start_and_kill(argv: list[str], cwd: Path, out: Path, markers_before_kill: int) -> None:
    """Start the build, wait until it has written ``markers_before_kill`` job markers, then SIGKILL it."""
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(_markers(out)) < markers_before_kill:
            assert proc.poll() is None, "build ended before it could be killed"
            assert time.monotonic() < deadline, "no job finished within 120 s"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists(), "the build finished before the kill: corpus too small"


def test_killed_build_resumes_to_identical_index(tmp_path, tracer_cli, expect_cli_error):
    corpus = write_jsonl(tmp_path / "corpus.jsonl",
                         [{"id": i, "text": t} for i, t in enumerate(make_texts(12000, seed=5, max_words=80))])
    args = ["build", str(corpus), "--out", "idx", "--id-field", "id", "--shard-tokens", SHARD_TOKENS,
            "--workers", "1", "--quiet"]
    # --out is relative and the inputs absolute, so both builds record the same paths
    ref_cwd, run_cwd = tmp_path / "reference", tmp_path / "resumed"
    ref_cwd.mkdir()
    run_cwd.mkdir()
    done = tracer_cli(*args, cwd=ref_cwd)
    assert done.returncode == 0, done.stderr
    reference = _tree(ref_cwd / "idx")
    n_jobs = len(_markers(ref_cwd / "idx"))
    assert n_jobs >= 10

    out = run_cwd / "idx"
    argv = tracer_cli.argv + args
    _start_and_kill(argv, run_cwd, out, 1)
    first = _markers(out)[0]
    first_stamp = first.stat().st_mtime_ns
    # an unfinished build is refused with a message that says how to finish it
    expect_cli_error(tracer_cli("count", "--index", out, "the"), "unfinished build", "rerun")
    # killed again while resuming, then resumed to the end
    _start_and_kill(argv, run_cwd, out, len(_markers(out)) + 2)
    assert len(_markers(out)) < n_jobs
    again = tracer_cli(*args, cwd=run_cwd)
    assert again.returncode == 0, again.stderr

    resumed = _tree(out)
    assert sorted(resumed) == sorted(reference), "different files (leftover temporaries?)"
    for name, data in reference.items():
        assert resumed[name] == data, f"{name} differs from the uninterrupted build"
    assert first.stat().st_mtime_ns == first_stamp, "a finished job was redone instead of reused"

    # rerunning a finished build changes nothing
    noop = tracer_cli(*args, cwd=run_cwd)
    assert noop.returncode == 0 and "nothing to do" in noop.stderr
    assert _tree(out) == reference
    assert tracer_cli("verify", out).returncode == 0
