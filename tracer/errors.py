"""Exceptions that carry a user-facing message; the CLI maps them to exit code 2, gRPC to status codes."""

from __future__ import annotations


class TracerError(Exception):
    """Base class: an error whose message is meant for the user, not a bug."""


class InputError(TracerError):
    """Bad user input: a malformed corpus line, a missing field, an empty query."""


class IndexFormatError(TracerError):
    """A missing, unfinished, corrupt or incompatible index on disk."""


class CorruptIndexError(IndexFormatError):
    """Index data that fails a check on read: a block checksum, or a stored position or offset out of
    range. Raised instead of an answer, because an answer from damaged data may be silently wrong."""


class NotFoundError(TracerError):
    """An unknown document id or index name."""


class MismatchError(TracerError):
    """Token ids or a tokenizer that do not match the index (wrong fingerprint)."""


class LimitError(TracerError):
    """A request over an explicit size cap."""
