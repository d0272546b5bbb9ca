"""kill -9 during `tracer build`, rerun the same command: every file of the index, manifest included,
is byte-identical to an uninterrupted build, and finished jobs are reused rather than redone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_texts, write_jsonl

SHARD_TOKENS = "100000"  # about 25 jobs of 100 kB on the corpus below


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _markers(out: Path) -> list[Path]:
    return sorted((out / "shards").glob("job-*.json")) if (out / "shards").exists() else []


def _children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _start_and_kill(argv: list[str], cwd: Path, out: Path, markers_before_kill: int) -> list[int]:
    """Start the build, wait for ``markers_before_kill`` job markers, SIGKILL it; return its child pids."""
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(_markers(out)) < markers_before_kill:
            assert proc.poll() is None, "build ended before it could be killed"
            assert time.monotonic() < deadline, "no job finished within 120 s"
            time.sleep(0.005)
        children = _children(proc.pid) if sys.platform == "linux" else []
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists(), "the build finished before the kill: corpus too small"
    return children


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted build; --out is relative and the input absolute, so every build records the same paths."""
    root = tmp_path_factory.mktemp("resume")
    corpus = write_jsonl(root / "corpus.jsonl",
                         [{"id": i, "text": t} for i, t in enumerate(make_texts(12000, seed=5, max_words=80))])
    args = ["build", str(corpus), "--out", "idx", "--id-field", "id", "--shard-tokens", SHARD_TOKENS, "--quiet"]
    (root / "reference").mkdir()
    done = subprocess.run(_argv() + args + ["--workers", "1"], cwd=root / "reference", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    tree = _tree(root / "reference" / "idx")
    assert sum(name.startswith("shards/job-") for name in tree) >= 10
    return root, args, tree


def _argv() -> list[str]:
    script = Path(sys.executable).with_name("tracer")
    return [str(script)] if script.exists() else ["tracer"]


def _assert_identical(out: Path, reference: dict[str, bytes]) -> None:
    resumed = _tree(out)
    assert sorted(resumed) == sorted(reference), "different files (leftover temporaries?)"
    for name, data in reference.items():
        assert resumed[name] == data, f"{name} differs from the uninterrupted build"


def test_killed_build_resumes_to_identical_index(reference, tracer_cli, expect_cli_error):
    root, args, ref_tree = reference
    args = args + ["--workers", "1"]
    cwd = root / "sequential"
    cwd.mkdir()
    out = cwd / "idx"
    _start_and_kill(_argv() + args, cwd, out, 1)
    first = _markers(out)[0]
    first_stamp = first.stat().st_mtime_ns
    # an unfinished build is refused with a message that says how to finish it
    expect_cli_error(tracer_cli("count", "--index", out, "the"), "unfinished build", "rerun")
    # killed again while resuming, then resumed to the end
    _start_and_kill(_argv() + args, cwd, out, len(_markers(out)) + 2)
    assert len(_markers(out)) < sum(name.startswith("shards/job-") for name in ref_tree)
    again = tracer_cli(*args, cwd=cwd)
    assert again.returncode == 0, again.stderr
    _assert_identical(out, ref_tree)
    assert first.stat().st_mtime_ns == first_stamp, "a finished job was redone instead of reused"
    # rerunning a finished build changes nothing
    noop = tracer_cli(*args, cwd=cwd)
    assert noop.returncode == 0 and "nothing to do" in noop.stderr
    _assert_identical(out, ref_tree)
    assert tracer_cli("verify", out).returncode == 0


def test_killed_parallel_build_leaves_no_workers_and_resumes(reference, tracer_cli):
    root, args, ref_tree = reference
    args = args + ["--workers", "2"]
    cwd = root / "parallel"
    cwd.mkdir()
    out = cwd / "idx"
    children = _start_and_kill(_argv() + args, cwd, out, 1)
    if sys.platform == "linux":
        assert children, "no worker processes seen"
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{c}").exists() for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = [c for c in children if Path(f"/proc/{c}").exists()]
        for c in alive:  # do not leave them behind even when the test fails
            os.kill(c, signal.SIGKILL)
        assert not alive, "pool workers outlived the killed build"
    again = tracer_cli(*args, cwd=cwd)
    assert again.returncode == 0, again.stderr
    _assert_identical(out, ref_tree)


def test_killed_append_resumes_to_identical_index(reference, tracer_cli, expect_cli_error):
    root, args, _ = reference
    corpus = args[1]
    first = write_jsonl(root / "first.jsonl", [{"id": "f", "text": "a small first input"}])
    base = ["build", str(first), "--out", "idx", "--id-field", "id", "--shard-tokens", SHARD_TOKENS, "--quiet"]
    append = ["build", corpus, "--out", "idx", "--id-field", "id", "--shard-tokens", SHARD_TOKENS, "--quiet",
              "--append", "--workers", "1"]
    trees = []
    for name, interrupt in (("append-ref", False), ("append-run", True)):
        cwd = root / name
        cwd.mkdir()
        assert tracer_cli(*base, cwd=cwd).returncode == 0
        if interrupt:
            _start_and_kill(_argv() + append, cwd, cwd / "idx", 3)
            expect_cli_error(tracer_cli("count", "--index", cwd / "idx", "small"), "unfinished build")
        proc = tracer_cli(*append, cwd=cwd)
        assert proc.returncode == 0, proc.stderr
        trees.append(_tree(cwd / "idx"))
    assert sorted(trees[0]) == sorted(trees[1])
    for name, data in trees[0].items():
        assert trees[1][name] == data, f"{name} differs from the uninterrupted append"
