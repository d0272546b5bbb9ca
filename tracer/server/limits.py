"""Explicit caps on request sizes; going over one is RESOURCE_EXHAUSTED, never a slow server."""

from __future__ import annotations

from dataclasses import dataclass

from tracer.errors import LimitError

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


def check_cap(value: int, cap: int, what: str) -> None:
    if value > cap:
        raise LimitError(f"{what}: {value} is over this server's cap of {cap}")
