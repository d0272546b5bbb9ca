"""Ray executor: a real local Ray cluster builds the same index as the local pool, even when a
worker dies mid-job; without ray installed the CLI says which package to install.

One Ray session (2 CPUs) serves the module, so the cluster start is paid once.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import NgramOracle, make_texts, write_jsonl

import tracer
from tracer.errors import TracerError
from tracer.index import ray_executor
from tracer.index.shard_job import run_shard_job

pytestmark = pytest.mark.slow  # not in the default run; CI runs `pytest -m slow` after it

SHARD_TOKENS = 6000  # ~3 jobs of several parts each for the corpus below


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray")
    cloudpickle = pytest.importorskip("ray.cloudpickle")
    # The fault-injecting job functions below live in this test module, which Ray workers
    # cannot import by name: ship them by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[str]]:
    texts = make_texts(900, seed=7)
    path = write_jsonl(tmp_path_factory.mktemp("ray") / "c.jsonl",
                       [{"id": f"doc{i}", "text": t} for i, t in enumerate(texts)])
    return path, texts


@pytest.fixture(scope="module")
def local_index(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "idx"
    tracer.build([corpus[0]], out, id_field="id", shard_tokens=SHARD_TOKENS, workers=1, progress=False)
    return out


def _index_files(root: Path) -> dict[str, bytes]:
    """Every file of an index but the build plan (which names its own output directory)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "build-plan.json"}


def _assert_same_index(a: Path, b: Path) -> None:
    fa, fb = _index_files(a), _index_files(b)
    assert sorted(fa) == sorted(fb)
    for name in fa:
        assert fa[name] == fb[name], name


def _crash_once(marker: str, job):
    """Run the real job, but kill this worker process after its first part is written, once."""
    def progress(_n: int) -> None:
        parts = list(Path(job.out_dir, "shards").glob(f"{job.job_id:05d}-*"))
        if job.job_id == 1 and parts and not os.path.exists(marker):
            Path(marker).write_text(str(os.getpid()))
            os._exit(1)  # as if the node's OOM killer struck: no exception, no cleanup

    return run_shard_job(job, progress=progress)


def _always_crash(job):
    os._exit(1)


def test_ray_build_equals_local_build(ray_session, corpus, local_index, tmp_path):
    out = tmp_path / "idx"
    m = tracer.build([corpus[0]], out, id_field="id", shard_tokens=SHARD_TOKENS, executor="ray",
                     progress=False).manifest
    assert len(m.shards) >= 4
    _assert_same_index(local_index, out)
    # Answers against a brute-force oracle over the raw bytes, not only against the local build.
    idx = tracer.open(out)
    docs = [np.frombuffer(t.encode(), dtype=np.uint8) for t in corpus[1]]
    oracle = NgramOracle(docs)
    for q in ("the cat", "café", "mat,", "日本語 ", "zzz\nx"):
        assert idx.count(q) == oracle.count(list(q.encode())), q


def test_killed_task_is_retried_and_index_identical(ray_session, corpus, local_index, tmp_path, monkeypatch):
    marker = tmp_path / "crashed"
    monkeypatch.setattr(ray_executor, "run_shard_job", functools.partial(_crash_once, str(marker)))
    out = tmp_path / "idx"
    tracer.build([corpus[0]], out, id_field="id", shard_tokens=SHARD_TOKENS, executor="ray", progress=False)
    assert marker.exists(), "the fault was never injected: the test proves nothing"
    assert int(marker.read_text()) != os.getpid()  # it was a Ray worker that died
    _assert_same_index(local_index, out)
    assert not list((out / "shards").glob("*.tmp"))


def test_job_that_keeps_dying_fails_cleanly_and_resumes(ray_session, corpus, local_index, tmp_path, monkeypatch):
    monkeypatch.setattr(ray_executor, "MAX_RETRIES", 1)
    monkeypatch.setattr(ray_executor, "run_shard_job", _always_crash)
    out = tmp_path / "idx"
    with pytest.raises(TracerError, match=r"shard job \d+ failed on the Ray cluster after 1 retries"):
        tracer.build([corpus[0]], out, id_field="id", shard_tokens=SHARD_TOKENS, executor="ray", progress=False)
    assert not (out / "manifest.json").exists()
    monkeypatch.undo()
    tracer.build([corpus[0]], out, id_field="id", shard_tokens=SHARD_TOKENS, executor="ray", progress=False)
    _assert_same_index(local_index, out)


def test_job_error_is_the_jobs_own(ray_session, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "ok"}\n{"id": "b", "txt": "no text field"}\n')
    with pytest.raises(TracerError) as err:
        tracer.build([bad], tmp_path / "idx", id_field="id", executor="ray", progress=False)
    local = tmp_path / "local"
    with pytest.raises(TracerError) as err_local:
        tracer.build([bad], local, id_field="id", workers=1, progress=False)
    assert type(err.value) is type(err_local.value)
    assert str(err.value) == str(err_local.value)
    assert "bad.jsonl:2" in str(err.value)


def test_without_ray_the_cli_names_the_package(corpus, tmp_path):
    code = ("import sys; sys.modules['ray'] = None\n"
            "from tracer.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))")
    out = tmp_path / "idx"
    proc = subprocess.run([sys.executable, "-c", code, "build", str(corpus[0]), "--out", str(out),
                           "--executor", "ray", "--quiet"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'tracer[ray]'" in lines[0], proc.stderr
    assert not out.exists()  # failed before writing anything


def test_bad_ray_address_is_a_one_line_error(tracer_cli, expect_cli_error, corpus, tmp_path):
    pytest.importorskip("ray")
    proc = tracer_cli("build", corpus[0], "--out", tmp_path / "idx", "--executor", "ray",
                      "--ray-address", "no-port-here", "--quiet")
    expect_cli_error(proc, "--ray-address")
    proc = tracer_cli("build", corpus[0], "--out", tmp_path / "idx", "--ray-address", "127.0.0.1:6379")
    expect_cli_error(proc, "--ray-address applies only to --executor ray")
