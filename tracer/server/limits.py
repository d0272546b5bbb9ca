"""Explicit caps on request sizes; going over one is RESOURCE_EXHAUSTED, never a slow server.
Which sentence models a request may name (``--soft-model``) is decided here too."""

from __future__ import annotations

import os
from dataclasses import dataclass

from tracer.errors import InputError, LimitError

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_receive_bytes: int = 64 * MiB  # one request message (gRPC itself rejects larger ones)
    max_send_bytes: int = 256 * MiB  # one response message
    max_batch: int = 100_000  # queries in one Count / items in one contamination batch
    max_query_chars: int = 1_000_000  # characters (or token ids) of one query or traced text
    max_find_limit: int = 10_000  # occurrences returned by one Find
    max_context: int = 10_000  # snippet characters each side
    work_chunk: int = 4_096  # queries between deadline checks in a batch
    soft_models: tuple[str, ...] = ()  # model directories (real paths) that soft requests may name


def check_cap(value: int, cap: int, what: str) -> None:
    if value > cap:
        raise LimitError(f"{what}: {value} is over this server's cap of {cap}")


def check_soft_model(path: str | None, allowed: tuple[str, ...]) -> None:
    """A request may only name a sentence model the server was started with (``serve --soft-model``):
    a client must not make the server read arbitrary directories."""
    if path is None or os.path.realpath(path) in allowed:
        return
    if not allowed:
        raise InputError(f"soft model {path!r}: this server serves no sentence models (start it with --soft-model DIR)")
    raise InputError(f"soft model {path!r}: not one this server serves ({', '.join(allowed)})")
