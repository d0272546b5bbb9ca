"""Assemble the gRPC server: Tracer service, health, reflection, auth, TLS, caps, graceful stop."""

from __future__ import annotations

import ipaddress
import logging
import threading
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from tracer.errors import InputError
from tracer.index.blocks import Problem
from tracer.server.auth import BearerTokenInterceptor
from tracer.server.limits import Limits
from tracer.server.registry import IndexRegistry
from tracer.server.servicer import TracerServicer
from tracer.v1 import tracer_pb2 as pb
from tracer.v1 import tracer_pb2_grpc as pb_grpc

log = logging.getLogger("tracer.server")
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Tracer"].full_name


@dataclass
class TLSConfig:
    """Server certificate chain and key (PEM); with ``client_ca`` clients must present a certificate."""

    cert_chain: bytes
    private_key: bytes
    client_ca: bytes | None = None

    def check(self) -> None:
        """PEM markers present: gRPC's own failure on a bad file names no file and no reason."""
        for what, data, marker in (("--tls-cert", self.cert_chain, b"-----BEGIN CERTIFICATE-----"),
                                   ("--tls-key", self.private_key, b"PRIVATE KEY-----"),
                                   ("--tls-client-ca", self.client_ca, b"-----BEGIN CERTIFICATE-----")):
            if data is not None and marker not in data:
                raise InputError(f"{what}: not a PEM {'private key' if what == '--tls-key' else 'certificate'}")


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 50051  # 0 picks a free port (tests)
    max_workers: int = 16
    token: bytes | None = None
    tls: TLSConfig | None = None
    limits: Limits = field(default_factory=Limits)
    grace_s: float = 10.0
    model: Any | None = None  # membership model adapter for ScoreMembership items given as text
    allow_unauthenticated: bool = False  # listen beyond loopback without a token (check_exposure)


LOOPBACK_NAMES = ("localhost", "ip6-localhost")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # any other name may resolve to a public address
        return False


def check_exposure(config: ServerConfig) -> list[str]:
    """Refuse an open server: beyond loopback without a token, anyone who can reach the port reads
    the whole corpus; ``allow_unauthenticated`` says that is meant (a private network, a proxy
    that authenticates). Returns warnings: a token over plaintext beyond loopback can be sniffed."""
    if is_loopback(config.host):
        return []
    if config.token is None and not config.allow_unauthenticated:
        raise InputError(f"--host {config.host} is reachable from other machines: give --auth-token-file "
                         "(and --tls-cert/--tls-key), or --allow-unauthenticated if anyone who can reach it may read the index")
    if config.token is None:
        return [f"listening on {config.host} without authentication (--allow-unauthenticated)"]
    if config.tls is None:
        return [f"listening on {config.host} with a token over plaintext: anyone on the network path can read "
                "the token and the results; add --tls-cert/--tls-key"]
    return []


def index_health_name(name: str) -> str:
    """The health-check service name of one served index: ``tracer.v1.Tracer/NAME``."""
    return f"{SERVICE_NAME}/{name}"


class TracerServer:
    """A started server. ``stop()`` flips health to NOT_SERVING, then stops with a grace period."""

    def __init__(self, registry: IndexRegistry, config: ServerConfig):
        for warning in check_exposure(config):
            log.warning(warning)
        self.registry = registry
        self.config = config
        lim = config.limits
        interceptors = [BearerTokenInterceptor(config.token)] if config.token else []
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=config.max_workers, thread_name_prefix="tracer-rpc"),
            interceptors=interceptors,
            options=[
                ("grpc.max_receive_message_length", lim.max_receive_bytes),
                ("grpc.max_send_message_length", lim.max_send_bytes),
                ("grpc.so_reuseport", 0),
            ],
            maximum_concurrent_rpcs=config.max_workers * 64,
        )
        pb_grpc.add_TracerServicer_to_server(TracerServicer(registry, lim, config.model), self.server)
        self.health = health.HealthServicer(experimental_non_blocking=True)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server)
        address = f"{_host_for_address(config.host)}:{config.port}"
        try:
            if config.tls:
                config.tls.check()
                creds = grpc.ssl_server_credentials(
                    [(config.tls.private_key, config.tls.cert_chain)],
                    root_certificates=config.tls.client_ca,
                    require_client_auth=config.tls.client_ca is not None,
                )
                self.port = self.server.add_secure_port(address, creds)
            else:
                self.port = self.server.add_insecure_port(address)
        except RuntimeError:
            self.port = 0
        if not self.port:
            why = "port in use, address not local" + (", or a TLS certificate and key that do not match" if config.tls else "")
            raise InputError(f"cannot listen on {address} ({why})")
        self._stopped = threading.Event()

    def start(self) -> TracerServer:
        self.server.start()
        for name in ("", SERVICE_NAME, *map(index_health_name, self.registry.names)):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        for name, index in self.registry.indexes.items():
            index.integrity.on_corrupt(lambda problem, name=name: self._corrupt(name, problem))
        log.info("serving %s on %s:%d", ", ".join(self.registry.names), self.config.host, self.port)
        return self

    def _corrupt(self, name: str, problem: Problem) -> None:
        """A scrub found a bad block: that index's health and the server's turn NOT_SERVING (a
        balancer takes the replica out) and its queries fail with DATA_LOSS (IndexRegistry.get)."""
        log.error("index %s is corrupt, health NOT_SERVING: %s", name, problem)
        if self._stopped.is_set():
            return
        for key in ("", SERVICE_NAME, index_health_name(name)):
            self.health.set(key, health_pb2.HealthCheckResponse.NOT_SERVING)

    def stop(self, grace: float | None = None) -> None:
        """Health NOT_SERVING first (balancers drain), then finish in-flight calls within ``grace``."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        for index in self.registry.indexes.values():
            index.integrity.stop()
        self.health.enter_graceful_shutdown()
        self.server.stop(self.config.grace_s if grace is None else grace).wait()
        log.info("stopped")

    def wait(self) -> None:
        self.server.wait_for_termination()

    def __enter__(self) -> TracerServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop(0)


def _host_for_address(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def start_server(registry: IndexRegistry, config: ServerConfig | None = None) -> TracerServer:
    return TracerServer(registry, config or ServerConfig()).start()
