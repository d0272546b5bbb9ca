"""gRPC transport: checked-in stubs match the generator, TLS and mutual TLS, health, reflection,
and `tracer serve` itself (flags, one-line errors, SIGTERM -> NOT_SERVING -> clean exit)."""

from __future__ import annotations

import datetime
import filecmp
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

import tracer
from tracer.client import ClientTLS, TracerClient
from tracer.server import ServerConfig, start_server
from tracer.server.app import TLSConfig
from tracer.server.registry import IndexRegistry

ROOT = Path(__file__).resolve().parents[1]
TRACER = [sys.executable, "-m", "tracer.cli.main"]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("grpc_t")
    lines = [f'{{"id": "d{i}", "text": "record {i}: the quick brown fox {i % 7}"}}\n' for i in range(200)]
    (d / "c.jsonl").write_text("".join(lines))
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False)
    return d / "idx"


@pytest.fixture(scope="module")
def index(index_dir):
    return tracer.open(index_dir)


def test_checked_in_stubs_match_the_generator(tmp_path):
    from grpc_tools import protoc

    rc = protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"--python_out={tmp_path}", f"--pyi_out={tmp_path}",
                      f"--grpc_python_out={tmp_path}", str(ROOT / "proto/tracer/v1/tracer.proto")])
    assert rc == 0
    for name in ("tracer_pb2.py", "tracer_pb2.pyi", "tracer_pb2_grpc.py"):
        assert filecmp.cmp(tmp_path / "tracer/v1" / name, ROOT / "tracer/v1" / name, shallow=False), (
            f"tracer/v1/{name} is stale: regenerate with python -m grpc_tools.protoc -Iproto --python_out=. "
            "--pyi_out=. --grpc_python_out=. proto/tracer/v1/tracer.proto"
        )


# -- TLS -------------------------------------------------------------------------------------


def _cert(name: str, issuer_key=None, issuer_name=None, ca: bool = False):
    """A fresh EC key and certificate for ``name`` (self-signed unless an issuer is given)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key, cert, cert.public_bytes(serialization.Encoding.PEM), pem_key


@pytest.fixture(scope="module")
def pki():
    ca_key, ca_cert, ca_pem, _ = _cert("tracer test CA", ca=True)
    _, _, srv_pem, srv_key = _cert("localhost", ca_key, ca_cert.subject)
    _, _, cli_pem, cli_key = _cert("harness", ca_key, ca_cert.subject)
    return {"ca": ca_pem, "srv": (srv_pem, srv_key), "cli": (cli_pem, cli_key)}


def test_tls_round_trip(index, pki):
    cfg = ServerConfig(port=0, tls=TLSConfig(*pki["srv"]), token=b"tls-token")
    with start_server(IndexRegistry.of({"i": index}), cfg) as srv:
        addr = f"localhost:{srv.port}"
        with TracerClient(addr, token="tls-token", tls=ClientTLS(ca=pki["ca"])) as c:
            assert c.count("quick brown") == index.count("quick brown") == 200
            assert c.document("d5") == index.document("d5")
        # a plaintext client cannot talk to a TLS server
        with pytest.raises(grpc.RpcError) as e:
            TracerClient(addr, token="tls-token", timeout=5).count("fox")
        assert e.value.code() == grpc.StatusCode.UNAVAILABLE


def test_mutual_tls_requires_a_client_certificate(index, pki):
    cfg = ServerConfig(port=0, tls=TLSConfig(*pki["srv"], client_ca=pki["ca"]))
    with start_server(IndexRegistry.of({"i": index}), cfg) as srv:
        addr = f"localhost:{srv.port}"
        cert, key = pki["cli"]
        with TracerClient(addr, tls=ClientTLS(ca=pki["ca"], cert=cert, key=key)) as c:
            assert c.count("fox 3") == index.count("fox 3") > 0
        with pytest.raises(grpc.RpcError) as e:
            TracerClient(addr, tls=ClientTLS(ca=pki["ca"]), timeout=5).count("fox")
        assert e.value.code() == grpc.StatusCode.UNAVAILABLE


# -- health and reflection ---------------------------------------------------------------------


def test_health_and_reflection(index):
    with start_server(IndexRegistry.of({"i": index}), ServerConfig(port=0)) as srv:
        ch = grpc.insecure_channel(f"127.0.0.1:{srv.port}")
        health = health_pb2_grpc.HealthStub(ch)
        for service in ("", "tracer.v1.Tracer"):
            got = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert got.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as e:
            health.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=5)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        db = ProtoReflectionDescriptorDatabase(ch)
        assert {"tracer.v1.Tracer", "grpc.health.v1.Health"} <= set(db.get_services())
        svc = db.FindFileContainingSymbol("tracer.v1.Tracer")
        assert {m.name for m in svc.service[0].method} == {
            "Info", "Count", "Find", "GetDocument", "Trace", "ScoreMembership", "CheckContamination", "StreamContamination", "Overlap"}


# -- the `tracer serve` command ----------------------------------------------------------------


def _serve(args: list[str], tmp_path: Path) -> tuple[subprocess.Popen, int]:
    err = open(tmp_path / "serve.err", "w+")  # noqa: SIM115 - the process owns it
    proc = subprocess.Popen([*TRACER, "serve", *args, "--port", "0"], stderr=err, stdout=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 60
    while time.time() < deadline:
        m = re.search(r"listening on [^:]+:(\d+)", (tmp_path / "serve.err").read_text())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start: " + (tmp_path / "serve.err").read_text())


def test_serve_sigterm_drains_then_exits(index_dir, tmp_path):
    (tmp_path / "tok").write_text("abc123\n")
    proc, port = _serve(["--index", f"main={index_dir}", "--index", str(index_dir),
                         "--auth-token-file", str(tmp_path / "tok"), "--grace", "2"], tmp_path)
    try:
        addr = f"127.0.0.1:{port}"
        c = TracerClient(addr, token="abc123", index="idx")
        assert c.count("brown fox") == 200
        assert list(c.server_info().index_names) == ["main", "idx"]
        watch = health_pb2_grpc.HealthStub(grpc.insecure_channel(addr)).Watch(
            health_pb2.HealthCheckRequest(service=""), timeout=30)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        proc.send_signal(signal.SIGTERM)
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in (tmp_path / "serve.err").read_text()


@pytest.mark.parametrize("args, message", [
    (["--index", "/nonexistent/idx"], "no such index directory"),
    (["--index", "IDX", "--tls-cert", "x.pem"], "--tls-cert and --tls-key go together"),
    (["--index", "IDX", "--auth-token-file", "/nonexistent/tok"], "cannot read the auth token file"),
    (["--index", "a=IDX", "--index", "a=IDX"], "given twice"),
    (["--index", "IDX", "--tls-cert", "GARBAGE", "--tls-key", "GARBAGE"], "--tls-cert: not a PEM certificate"),
    (["--index", "IDX", "--port", "BUSY"], "port in use"),
])
def test_serve_bad_flags_exit_2_with_one_line(index_dir, tmp_path, args, message):
    (tmp_path / "garbage.pem").write_text("not a certificate\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        subst = {"IDX": str(index_dir), "GARBAGE": str(tmp_path / "garbage.pem"), "BUSY": str(busy.getsockname()[1])}
        args = [subst.get(a, a.replace("IDX", str(index_dir))) for a in args]
        if "--port" not in args:
            args += ["--port", "0"]
        r = subprocess.run([*TRACER, "serve", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    # gRPC's C core may log its own line first (a failed bind); ours is one line, and last
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("tracer serve: error:") and message in lines[-1] and "Traceback" not in r.stderr
    assert sum(line.startswith("tracer serve") for line in lines) == 1
