"""tracer serve: the gRPC query server (tracer.v1.Tracer + health + reflection) over one or more indexes,
and with --http-port the same methods as a JSON HTTP API (/v1/<Method>) plus the web page at /."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from tracer.errors import InputError
from tracer.index.blocks import VERIFY_MODES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve indexes over gRPC (for evaluation harnesses) and, with --http-port, "
                                     "as a JSON HTTP API and a web page")
    p.add_argument("--index", action="append", required=True, metavar="DIR|NAME=DIR",
                   help="index to serve; repeat with NAME=DIR for several (the first is the default)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: local only)")
    p.add_argument("--port", type=int, default=50051, help="port (default 50051; 0 picks a free one)")
    p.add_argument("--http-port", type=int, metavar="PORT",
                   help="also serve the JSON HTTP API (/v1/<Method>) and the web page (/) on this port of --host "
                        "(0 picks a free one); the same token, TLS and caps as gRPC")
    p.add_argument("--no-grpc", action="store_true", help="serve HTTP only (needs --http-port)")
    p.add_argument("--benchmark", action="append", default=[], metavar="NAME=PATH",
                   help="a benchmark file the web page's Contamination view can run without an upload "
                        "(repeatable; read at startup, needs --http-port)")
    p.add_argument("--max-workers", type=int, default=16, metavar="N", help="worker threads (default 16)")
    p.add_argument("--auth-token-file", metavar="F",
                   help="require `authorization: Bearer <token>` on every call (token = the file's content); "
                        "needed with a --host other than loopback")
    p.add_argument("--allow-unauthenticated", action="store_true",
                   help="listen on a non-loopback --host without a token (anyone who reaches the port reads the index)")
    p.add_argument("--verify", choices=VERIFY_MODES, default="background",
                   help="when to check every block checksum: background (default: serve at once, scrub at low "
                        "priority, health NOT_SERVING and DATA_LOSS errors for an index with a bad block), startup "
                        "(check all before listening; exit 2 on damage), off (sizes only; `tracer verify` checks)")
    p.add_argument("--tls-cert", metavar="F", help="server certificate chain (PEM)")
    p.add_argument("--tls-key", metavar="F", help="server private key (PEM)")
    p.add_argument("--tls-client-ca", metavar="F", help="require client certificates signed by this CA (PEM)")
    p.add_argument("--model", metavar="DIR",
                   help="local Hugging Face causal LM for ScoreMembership requests that send texts (tracer[model])")
    p.add_argument("--soft-model", action="append", default=[], metavar="[NAME=]DIR",
                   help="a local sentence-embedding model that soft requests may name (their model field: NAME, "
                        "default the directory's base name); loaded at startup (repeatable; needs the [model] extra)")
    p.add_argument("--device", default="cpu", help="torch device for --model (default cpu)")
    p.add_argument("--max-message-mb", type=int, default=64, metavar="MB",
                   help="largest request accepted (default 64 MiB; larger ones get RESOURCE_EXHAUSTED)")
    p.add_argument("--grace", type=float, default=10.0, metavar="S",
                   help="seconds in-flight calls may finish after SIGTERM (default 10)")
    p.set_defaults(func=run)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read {what} ({e.strerror})") from None


def run(args: argparse.Namespace) -> int:
    from tracer.server.app import ServerConfig, TLSConfig, TracerServer, check_exposure
    from tracer.server.auth import read_token_file
    from tracer.server.limits import Limits, MiB
    from tracer.server.registry import IndexRegistry, parse_index_spec

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: must be in 0..65535")
    if args.http_port is not None and not 0 <= args.http_port <= 65535:
        raise InputError(f"--http-port {args.http_port}: must be in 0..65535")
    if args.no_grpc and args.http_port is None:
        raise InputError("--no-grpc needs --http-port (otherwise nothing would be served)")
    if args.benchmark and args.http_port is None:
        raise InputError("--benchmark needs --http-port (the web page runs them)")
    if args.max_workers < 1:
        raise InputError("--max-workers must be >= 1")
    if args.max_message_mb < 1:
        raise InputError("--max-message-mb must be >= 1")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise InputError("--tls-cert and --tls-key go together")
    if args.tls_client_ca and not args.tls_cert:
        raise InputError("--tls-client-ca needs --tls-cert and --tls-key")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    tls = None
    if args.tls_cert:
        tls = TLSConfig(_read(args.tls_cert, "the TLS certificate"), _read(args.tls_key, "the TLS key"),
                        _read(args.tls_client_ca, "the client CA") if args.tls_client_ca else None)
    token = read_token_file(args.auth_token_file) if args.auth_token_file else None
    config = ServerConfig(host=args.host, port=args.port, max_workers=args.max_workers, token=token, tls=tls,
                          limits=Limits(max_receive_bytes=args.max_message_mb * MiB,
                                        soft_models=_soft_models(args.soft_model)), grace_s=args.grace,
                          allow_unauthenticated=args.allow_unauthenticated)
    check_exposure(config)  # refuse before a long startup verification or model load, not after
    specs = [parse_index_spec(s) for s in args.index]
    if args.verify == "startup":
        print(f"tracer serve: checking every block of {', '.join(p for _, p in specs)} before listening",
              file=sys.stderr, flush=True)
    # a background scrub starts once the server is listening: a failed start then ends quietly,
    # with no scrub thread still logging after the error line
    benchmarks = {}
    if args.benchmark:
        from tracer.server.http.web import load_benchmarks

        benchmarks = load_benchmarks(args.benchmark, config.limits.max_batch)
    registry = IndexRegistry.open(specs, verify="off" if args.verify == "background" else args.verify)
    if args.model:
        from tracer.membership.adapters import load_hf_causal_lm

        config.model = load_hf_causal_lm(args.model, device=args.device)
    server = None if args.no_grpc else TracerServer(registry, config).start()
    if server is not None:
        print(f"tracer serve: listening on {args.host}:{server.port} ({'TLS' if tls else 'plaintext'}"
              f"{', token auth' if token else ''}; verify {args.verify}); indexes: {', '.join(registry.names)}",
              file=sys.stderr, flush=True)
    http = _start_http(args, registry, config, benchmarks) if args.http_port is not None else None
    if args.verify == "background":  # once listening: a failed start leaves no scrub thread logging
        for name in registry.names:
            registry.indexes[name].integrity.start_background()
    done = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        done.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    while not done.wait(3600):
        pass
    print("tracer serve: shutting down (health NOT_SERVING, finishing in-flight calls)", file=sys.stderr, flush=True)
    if http is not None:
        http.stop()
    if server is not None:
        server.stop()
    else:
        for index in registry.indexes.values():
            index.integrity.stop()
    return 0


def _soft_models(specs: list[str]) -> tuple[str, ...]:
    """Each --soft-model [NAME=]DIR loaded now (a bad directory stops the start, exit 2), as
    ``NAME=real path`` entries for ``Limits.soft_models``; two models of one name are an error."""
    from tracer.errors import InputError
    from tracer.query.soft.model import load_model
    from tracer.server.limits import model_spec

    entries = []
    for spec in specs:
        name, path = model_spec(spec)
        load_model(path)
        if any(e.partition("=")[0] == name for e in entries):
            raise InputError(f"--soft-model {spec}: a second model named {name!r}; name them: --soft-model NAME=DIR")
        entries.append(f"{name}={path}")
    return tuple(entries)


def _start_http(args: argparse.Namespace, registry, config, benchmarks):  # noqa: ANN001 - types imported lazily
    """The HTTP API and page on --host:--http-port, with the gRPC server's token, caps and TLS files."""
    from tracer.server.http.app import HttpOptions
    from tracer.server.http.server import HttpServer
    from tracer.server.servicer import TracerServicer

    tls = {}
    if args.tls_cert:
        tls = {"ssl_certfile": args.tls_cert, "ssl_keyfile": args.tls_key}
        if args.tls_client_ca:
            tls["ssl_ca_certs"] = args.tls_client_ca
    options = HttpOptions(token=config.token, limits=config.limits, max_workers=config.max_workers,
                          max_in_flight=config.max_workers * 64, benchmarks=benchmarks)
    http = HttpServer(registry, args.host, args.http_port, options, TracerServicer(registry, config.limits, config.model),
                      tls=tls, grace_s=config.grace_s).start()
    print(f"tracer serve: HTTP API and page on {http.url}/ ({'token auth' if config.token else 'no auth'}; "
          f"verify {args.verify}); indexes: {', '.join(registry.names)}"
          + (f"; benchmarks: {', '.join(benchmarks)}" if benchmarks else ""), file=sys.stderr, flush=True)
    return http
