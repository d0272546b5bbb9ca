"""Issue 11 items 6, 8, 10 and the serving side of item 1: a closed pipe ends a command quietly,
`tracer serve` refuses an open non-loopback server, `tracer info` reads as text, and a server
whose background scrub finds a bad block turns NOT_SERVING and answers DATA_LOSS."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import grpc
import pytest
from conftest import write_jsonl
from grpc_health.v1 import health_pb2, health_pb2_grpc

import tracer
from tracer.server import ServerConfig, start_server
from tracer.server.app import TLSConfig, check_exposure, index_health_name, is_loopback
from tracer.server.registry import IndexRegistry
from tracer.v1 import tracer_pb2 as pb
from tracer.v1 import tracer_pb2_grpc as pb_grpc


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hardening")
    recs = [{"id": f"d{i}", "text": f"number {i} hello world\n" * 40} for i in range(400)]
    corpus = write_jsonl(root / "c.jsonl", recs)
    tracer.build([str(corpus)], str(root / "idx"), id_field="id", progress=False, shard_tokens=100_000)
    return root / "idx"


# -- item 6: broken pipe ------------------------------------------------------------------------------

@pytest.mark.slow  # a CLI process per command piped into head: kept out of the default run (CI runs `pytest -m slow`)
@pytest.mark.parametrize("args", [
    ["find", "hello", "--limit", "100000"],
    ["find", "hello", "--limit", "100000", "--format", "json"],
    ["doc", "d5"],
    ["count", "--queries", "QFILE", "--format", "jsonl"],
])
def test_output_into_head_ends_quietly(index, tracer_cli, args):
    """`tracer ... | head -1` as a shell runs it: nothing on stderr, and the exit status of a Unix
    tool whose reader went away (0 if it finished writing first, else 141 = 128 + SIGPIPE)."""
    qfile = write_jsonl(index.parent / "q.jsonl", [{"text": f"number {i}"} for i in range(50_000)])
    cmd = tracer_cli.argv + [args[0], "--index", str(index)] + [str(qfile) if a == "QFILE" else a for a in args[1:]]
    producer = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    head = subprocess.Popen(["head", "-1"], stdin=producer.stdout, stdout=subprocess.PIPE)
    producer.stdout.close()  # head alone holds the read end, as in a shell pipeline
    first = head.communicate(timeout=120)[0]
    err = producer.stderr.read().decode()
    producer.wait(timeout=120)
    assert first.strip(), "head read nothing"
    assert err == "", err
    assert producer.returncode in (0, 141), producer.returncode


# -- item 8: serving security -------------------------------------------------------------------------

def test_loopback_names():
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "10.0.0.5", "example.org", "192.168.1.1"):
        assert not is_loopback(host), host


def test_exposure_policy():
    assert check_exposure(ServerConfig(host="127.0.0.1")) == []
    with pytest.raises(tracer.errors.InputError, match="--allow-unauthenticated"):
        check_exposure(ServerConfig(host="0.0.0.0"))
    assert "without authentication" in check_exposure(ServerConfig(host="0.0.0.0", allow_unauthenticated=True))[0]
    assert "plaintext" in check_exposure(ServerConfig(host="0.0.0.0", token=b"t"))[0]
    assert check_exposure(ServerConfig(host="0.0.0.0", token=b"t", tls=TLSConfig(b"c", b"k"))) == []


def test_serve_on_all_interfaces_without_token_refuses_to_start(index, tracer_cli, expect_cli_error):
    line = expect_cli_error(tracer_cli("serve", "--index", index, "--host", "0.0.0.0", "--port", "0", timeout=60),
                            "--host 0.0.0.0", "--auth-token-file", "--allow-unauthenticated")
    assert "error" in line


def _serve_until_listening(tracer_cli, *args: str) -> str:
    """Start `tracer serve ARGS`, wait for its 'listening' line, stop it with SIGTERM; its stderr."""
    proc = subprocess.Popen(tracer_cli.argv + ["serve", *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "listening on" in line:
                break
    finally:
        proc.terminate()
        try:
            rest = proc.communicate(timeout=120)[1]
        except subprocess.TimeoutExpired:  # never leave a server running past the test
            proc.kill()
            rest = proc.communicate()[1]
    assert any("listening on" in ln for ln in lines), "".join(lines) + rest
    return "".join(lines) + rest


def test_serve_allowed_unauthenticated_and_token_over_plaintext_warns(index, tmp_path, tracer_cli):
    err = _serve_until_listening(tracer_cli, "--index", index, "--host", "0.0.0.0", "--port", "0",
                                 "--allow-unauthenticated", "--verify", "off")
    assert "without authentication" in err and "Traceback" not in err
    token = tmp_path / "token"
    token.write_text("s3cret-token-s3cret-token-s3cret")
    err = _serve_until_listening(tracer_cli, "--index", index, "--host", "0.0.0.0", "--port", "0",
                                 "--auth-token-file", token)
    assert "token over plaintext" in err and "WARNING" in err
    err = _serve_until_listening(tracer_cli, "--index", index, "--port", "0", "--auth-token-file", token)
    assert "plaintext:" not in err and "verify background" in err  # loopback: no warning; the default mode


# -- item 1, serving: a background scrub that finds a bad block ---------------------------------------

def test_server_turns_not_serving_and_answers_data_loss_after_a_failed_scrub(index, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(index, bad)
    part = sorted(p for p in (bad / "shards").iterdir() if p.is_dir())[1]
    data = bytearray((part / "sa.bin").read_bytes())
    data[len(data) // 2] ^= 0x04  # in range, so only the checksum can tell
    (part / "sa.bin").write_bytes(bytes(data))
    registry = IndexRegistry.of({"good": tracer.open(index, verify="background"),
                                 "bad": tracer.open(bad, verify="background")})
    for ix in registry.indexes.values():
        assert ix.integrity.wait(60)
    server = start_server(registry, ServerConfig(port=0))
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as ch:
            health = health_pb2_grpc.HealthStub(ch)
            status = {name: health.Check(health_pb2.HealthCheckRequest(service=name)).status
                      for name in ("", index_health_name("good"), index_health_name("bad"))}
            assert status == {"": health_pb2.HealthCheckResponse.NOT_SERVING,
                              index_health_name("good"): health_pb2.HealthCheckResponse.SERVING,
                              index_health_name("bad"): health_pb2.HealthCheckResponse.NOT_SERVING}
            stub = pb_grpc.TracerStub(ch)
            with pytest.raises(grpc.RpcError) as e:
                stub.Count(pb.CountRequest(index="bad", queries=[pb.Query(text="hello")]))
            assert e.value.code() == grpc.StatusCode.DATA_LOSS and "sa.bin" in e.value.details()
            ok = stub.Count(pb.CountRequest(index="good", queries=[pb.Query(text="hello")]))
            assert list(ok.counts) == [400 * 40]
    finally:
        server.stop(0)


def test_serve_verify_startup_refuses_a_corrupt_index(index, tmp_path, tracer_cli, expect_cli_error):
    bad = tmp_path / "bad"
    shutil.copytree(index, bad)
    docs = sorted(bad.glob("shards/*/docs.bin"))[0]
    data = bytearray(docs.read_bytes())
    data[8] ^= 0x01
    docs.write_bytes(bytes(data))
    proc = tracer_cli("serve", "--index", bad, "--port", "0", "--verify", "startup", timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{docs}: checksum mismatch in block 0 in bytes 0-" in proc.stderr.splitlines()[-1]


# -- item 10: tracer info -----------------------------------------------------------------------------

def test_info_text_is_readable_and_json_unchanged(index, tracer_cli):
    text = tracer_cli("info", index)
    assert text.returncode == 0, text.stderr
    assert "None" not in text.stdout and "{" not in text.stdout and "'" not in text.stdout
    lines = text.stdout.splitlines()
    assert "normalization   none" in lines
    assert any(ln.startswith("  kind") and ln.endswith("bytes") for ln in lines)
    assert "documents       400" in lines
    assert any(ln.startswith("built by") and "tracer" in ln for ln in lines)
    assert any(ln.startswith("integrity") and "block checksums" in ln for ln in lines)
    data = json.loads(tracer_cli("info", index, "--format", "json").stdout)
    assert data["normalization"] is None and data["tokenizer"]["kind"] == "bytes" and data["n_docs"] == 400
