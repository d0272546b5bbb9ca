"""Bearer-token authentication as a server interceptor (constant-time comparison)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc

from tracer.errors import InputError

# Health checks stay open so that load balancers and orchestrators can probe without a secret.
OPEN_METHODS = frozenset({"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"})


def read_token_file(path: str | Path) -> bytes:
    """The token is the file's content without surrounding whitespace; an empty file is an error."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise InputError(f"{path}: cannot read the auth token file ({e.strerror})") from None
    if not token:
        raise InputError(f"{path}: the auth token file is empty")
    if any(c.isspace() for c in token):
        raise InputError(f"{path}: the auth token must be one line without spaces")
    return token.encode("utf-8")


def _deny(message: str, handler: grpc.RpcMethodHandler | None) -> grpc.RpcMethodHandler:
    """A handler of the same shape as the real one that fails with UNAUTHENTICATED at once."""

    def abort(request: object, context: grpc.ServicerContext) -> None:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    def abort_stream(request: object, context: grpc.ServicerContext) -> Iterator[None]:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield None  # pragma: no cover - abort raises

    req_stream = bool(handler and handler.request_streaming)
    resp_stream = bool(handler and handler.response_streaming)
    if req_stream and resp_stream:
        return grpc.stream_stream_rpc_method_handler(abort_stream)
    if req_stream:
        return grpc.stream_unary_rpc_method_handler(abort)
    if resp_stream:
        return grpc.unary_stream_rpc_method_handler(abort_stream)
    return grpc.unary_unary_rpc_method_handler(abort)


class BearerTokenInterceptor(grpc.ServerInterceptor):
    """Every call except health checks needs ``authorization: Bearer <token>`` metadata."""

    def __init__(self, token: bytes, open_methods: frozenset[str] = OPEN_METHODS):
        self._expected = b"Bearer " + token
        self._open = open_methods

    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        if handler_call_details.method in self._open:
            return continuation(handler_call_details)
        given = b""
        for key, value in handler_call_details.invocation_metadata or ():
            if key == "authorization":
                given = value.encode("utf-8") if isinstance(value, str) else bytes(value)
                break
        if hmac.compare_digest(given, self._expected):
            return continuation(handler_call_details)
        message = "missing bearer token" if not given else "invalid bearer token"
        return _deny(message, continuation(handler_call_details))
