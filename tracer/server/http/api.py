"""Call the gRPC servicer from HTTP: every method of tracer.v1.Tracer, found in the service
descriptor, takes and returns its messages in the proto3 JSON mapping. No logic is duplicated:
the servicer's own validation, caps and error mapping run, behind a context that looks like gRPC's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import orjson
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from tracer.v1 import tracer_pb2 as pb

SERVICE = pb.DESCRIPTOR.services_by_name["Tracer"]

# gRPC status -> HTTP status. Over a cap is 413 (the request is too big to serve, retrying it
# unchanged fails again); too many calls at once is 429 (retry later, decided in app.py).
# DATA_LOSS is 503: this replica's index is damaged (health is NOT_SERVING), another may answer.
HTTP_OF = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 413,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


class CallError(Exception):
    """A call ended with a gRPC status other than OK (raised by ``HttpContext.abort``)."""

    def __init__(self, code: grpc.StatusCode, message: str, http: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.http = http or HTTP_OF.get(code, 500)

    def body(self) -> bytes:
        return orjson.dumps({"code": self.code.name, "message": self.message})


class HttpContext:
    """The part of ``grpc.ServicerContext`` the servicer uses: abort, deadline, liveness, metadata."""

    def __init__(self, timeout_s: float | None = None, metadata: tuple[tuple[str, str], ...] = ()):
        self._deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self._cancelled = threading.Event()
        self._metadata = metadata

    def cancel(self) -> None:
        """The HTTP client went away: long work stops at its next check, as with gRPC."""
        self._cancelled.set()

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise CallError(code, details)

    def abort_with_status(self, status: Any) -> None:
        raise CallError(status.code, status.details)

    def time_remaining(self) -> float | None:
        return None if self._deadline is None else max(0.0, self._deadline - time.monotonic())

    def is_active(self) -> bool:
        return not self._cancelled.is_set()

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def peer(self) -> str:
        return "http"

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def set_details(self, details: str) -> None:
        self._details = details

    def set_trailing_metadata(self, metadata: Any) -> None:
        pass

    def send_initial_metadata(self, metadata: Any) -> None:
        pass


@dataclass(frozen=True)
class Method:
    """One RPC of the service as the HTTP API sees it."""

    name: str
    request: type[Message]
    response: type[Message]
    streaming: bool  # server-streaming: answered as JSON lines

    def describe(self) -> dict:
        return {"name": self.name, "path": f"/v1/{self.name}", "request": self.request.DESCRIPTOR.full_name,
                "response": self.response.DESCRIPTOR.full_name, "streaming": self.streaming}


def _method(m: MethodDescriptor) -> Method:
    return Method(m.name, message_factory.GetMessageClass(m.input_type),
                  message_factory.GetMessageClass(m.output_type), m.server_streaming)


def methods() -> dict[str, Method]:
    """Every RPC of tracer.v1.Tracer that the HTTP API can answer (client-streaming ones cannot)."""
    return {m.name: _method(m) for m in SERVICE.methods if not m.client_streaming}


def parse_request(method: Method, body: bytes) -> Message:
    """The request message from a JSON body (empty body = the empty message); bad JSON is 400."""
    msg = method.request()
    if not body.strip():
        return msg
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise CallError(grpc.StatusCode.INVALID_ARGUMENT, f"request body: malformed JSON ({e.msg})") from None
    if not isinstance(data, dict):
        raise CallError(grpc.StatusCode.INVALID_ARGUMENT, "request body: expected a JSON object")
    try:
        json_format.ParseDict(data, msg)
    except json_format.ParseError as e:
        raise CallError(grpc.StatusCode.INVALID_ARGUMENT, f"request body: {e}".splitlines()[0]) from None
    return msg


def to_json(msg: Message) -> bytes:
    """The proto3 JSON mapping (lowerCamelCase names, 64-bit integers as strings), with zero values
    printed so that a client never has to know the defaults."""
    return orjson.dumps(json_format.MessageToDict(msg, always_print_fields_with_no_presence=True))


def _handler(servicer: Any, method: Method) -> Any:
    fn = getattr(servicer, method.name, None)
    if fn is None:
        raise CallError(grpc.StatusCode.UNIMPLEMENTED, f"{method.name} is not implemented by this server")
    return fn


def call_unary(servicer: Any, method: Method, request: Message, context: HttpContext) -> bytes:
    """Run one unary method (blocking: call from a worker thread) and encode its answer."""
    try:
        return to_json(_handler(servicer, method)(request, context))
    except NotImplementedError:
        raise CallError(grpc.StatusCode.UNIMPLEMENTED, f"{method.name} is not implemented by this server") from None


def call_stream(servicer: Any, method: Method, request: Message, context: HttpContext) -> Iterator[bytes]:
    """Run a server-streaming method: one JSON line per message. An error after the first message
    can no longer change the HTTP status, so it comes as a last line ``{"error": {code, message}}``."""
    try:
        for msg in _handler(servicer, method)(request, context):
            yield to_json(msg) + b"\n"
    except NotImplementedError:
        raise CallError(grpc.StatusCode.UNIMPLEMENTED, f"{method.name} is not implemented by this server") from None


def error_line(err: CallError) -> bytes:
    return orjson.dumps({"error": {"code": err.code.name, "message": err.message}}) + b"\n"
