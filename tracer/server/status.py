"""Library exceptions -> gRPC status codes, so that no traceback ever reaches a client."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from tracer.errors import (
    CorruptIndexError,
    IndexFormatError,
    InputError,
    LimitError,
    MismatchError,
    NotFoundError,
    TracerError,
)

log = logging.getLogger("tracer.server")

# most specific first: the first matching class decides the code
CODES: list[tuple[type[BaseException], grpc.StatusCode]] = [
    (InputError, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (MismatchError, grpc.StatusCode.FAILED_PRECONDITION),
    # DATA_LOSS, not FAILED_PRECONDITION: gRPC's code for "unrecoverable data loss or corruption",
    # which a client must not retry against this replica (health turns NOT_SERVING as well)
    (CorruptIndexError, grpc.StatusCode.DATA_LOSS),
    (IndexFormatError, grpc.StatusCode.FAILED_PRECONDITION),
    (LimitError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (TracerError, grpc.StatusCode.INVALID_ARGUMENT),
]


class NoModelError(Exception):
    """A request needs a server-side model that this server was not started with."""


class DeadlineExceeded(Exception):
    """Raised between work units when the client's deadline has passed or it went away."""


def status_of(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and one-line detail a client sees for ``exc``."""
    if isinstance(exc, DeadlineExceeded):
        return grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the work finished"
    if isinstance(exc, NoModelError):
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc)
    for cls, code in CODES:
        if isinstance(exc, cls):
            return code, str(exc).splitlines()[0] if str(exc) else cls.__name__
    return grpc.StatusCode.INTERNAL, "internal server error (details are in the server log)"


def _report(exc: BaseException, method: str) -> tuple[grpc.StatusCode, str]:
    code, detail = status_of(exc)
    if code == grpc.StatusCode.INTERNAL:
        log.exception("unexpected error in %s", method)
    else:
        log.info("%s -> %s: %s", method, code.name, detail)
    return code, detail


def unary(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a unary servicer method: library errors become status codes (abort outside the try)."""

    @functools.wraps(fn)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return fn(self, request, context)
        except Exception as exc:  # noqa: BLE001 - every error must become a status, never a traceback
            code, detail = _report(exc, fn.__name__)
        context.abort(code, detail)

    return wrapper


def streaming(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """Same as ``unary`` for server-streaming methods (errors may come after some messages)."""

    @functools.wraps(fn)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            yield from fn(self, request, context)
            return
        except Exception as exc:  # noqa: BLE001
            code, detail = _report(exc, fn.__name__)
        context.abort(code, detail)

    return wrapper


def check_alive(context: grpc.ServicerContext) -> None:
    """Stop long work once the client cancelled or its deadline passed."""
    remaining = context.time_remaining()
    if not context.is_active() or (remaining is not None and remaining <= 0):
        raise DeadlineExceeded()
