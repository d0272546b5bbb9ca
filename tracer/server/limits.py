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
    soft_models: tuple[str, ...] = ()  # sentence models soft requests may name: "DIR" or "NAME=DIR" (see served_models)


def check_cap(value: int, cap: int, what: str) -> None:
    if value > cap:
        raise LimitError(f"{what}: {value} is over this server's cap of {cap}")


def served_models(entries: tuple[str, ...]) -> dict[str, str]:
    """Name -> real directory of each served sentence model: ``NAME=DIR``, or a bare ``DIR`` named
    by its last path component. Clients see only the names (the page's /describe, error messages):
    the server's directory layout is none of their business."""
    out: dict[str, str] = {}
    for entry in entries:
        name, path = model_spec(entry)
        out.setdefault(name, path)
    return out


def model_spec(spec: str) -> tuple[str, str]:
    """(name, real directory) of one ``NAME=DIR`` or ``DIR`` (named by its last path component)."""
    name, sep, path = spec.partition("=")
    if not sep or not name or "/" in name or os.sep in name:
        name, path = os.path.basename(os.path.normpath(spec)), spec
    return name, os.path.realpath(path)


def resolve_soft_model(requested: str | None, entries: tuple[str, ...]) -> str | None:
    """The directory to load for a request's model field: a served model's name, or the path of one
    (clients that pass the directory the server was started with). Anything else is refused, so a
    client cannot make the server read arbitrary directories."""
    if requested is None:
        return None
    models = served_models(entries)
    if requested in models:
        return models[requested]
    real = os.path.realpath(requested)
    if real in models.values():
        return real
    if not models:
        raise InputError(f"soft model {requested!r}: this server serves no sentence models (start it with --soft-model DIR)")
    raise InputError(f"soft model {requested!r}: not one this server serves (it serves: {', '.join(models)})")
