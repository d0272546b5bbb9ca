"""Run the HTTP application with uvicorn in a background thread, on a socket bound up front (so
that a port in use is a clear error at startup and ``--http-port 0`` reports the port it got)."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from typing import Any

import uvicorn

from tracer.errors import InputError
from tracer.server.http.app import HttpOptions, build_app
from tracer.server.registry import IndexRegistry

log = logging.getLogger("tracer.server.http")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when the host is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: uvicorn writes the head and the body of a response
    # separately, and with Nagle on, a keep-alive client's delayed ACK holds the body back 40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        sock.close()
        raise InputError(f"cannot listen for HTTP on {host}:{port} ({e.strerror})") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class HttpServer:
    """``start()`` serves in a daemon thread; ``stop()`` finishes in-flight requests within ``grace``."""

    def __init__(self, registry: IndexRegistry, host: str = "127.0.0.1", port: int = 8080,
                 options: HttpOptions | None = None, servicer: Any | None = None,
                 tls: dict[str, Any] | None = None, grace_s: float = 10.0):
        self.host = host
        self.sock = bind(host, port)
        self.port = self.sock.getsockname()[1]
        self.app = build_app(registry, options, servicer)
        tls = tls or {}
        self.scheme = "https" if tls.get("ssl_certfile") else "http"
        if tls.get("ssl_ca_certs"):
            tls = {**tls, "ssl_cert_reqs": ssl.CERT_REQUIRED}
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=int(grace_s) or 1, server_header=False, **tls)
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def start(self) -> HttpServer:
        def run() -> None:
            asyncio.run(self.server.serve(sockets=[self.sock]))

        self._thread = threading.Thread(target=run, name="tracer-http", daemon=True)
        self._thread.start()
        log.info("HTTP API and page on %s", self.url)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join()
        self.sock.close()

    def __enter__(self) -> HttpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
