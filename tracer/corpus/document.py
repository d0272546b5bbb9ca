"""The unit every reader yields, and the options and error log readers share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracer.errors import InputError


@dataclass
class Document:
    """One training document: its text, a stable id and metadata (source file, line or row, kept fields)."""

    text: str
    doc_id: str
    meta: dict[str, Any]


@dataclass(frozen=True)
class ReadOptions:
    """How to pull documents out of records. ``on_error`` is ``"raise"`` or ``"skip"``."""

    text_field: str = "text"
    id_field: str | None = None
    on_error: str = "raise"


@dataclass
class SkipLog:
    """Bad records skipped under ``--on-error skip``: how many and where (first few kept)."""

    count: int = 0
    where: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.where) < 20:
            self.where.append(message)

    def merge(self, other: SkipLog) -> None:
        self.count += other.count
        self.where.extend(other.where[: max(0, 20 - len(self.where))])


def bad_record(message: str, opts: ReadOptions, skips: SkipLog) -> None:
    """Raise a located InputError, or note it in ``skips`` under ``--on-error skip``."""
    if opts.on_error == "skip":
        skips.add(message)
        return
    raise InputError(message + " (use --on-error skip to skip such records)")


def type_name(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    return {dict: "object", list: "array", int: "number", float: "number", bool: "boolean",
            str: "string"}.get(type(value), type(value).__name__)


def make_document(
    record: dict[str, Any], where: str, position: dict[str, Any], opts: ReadOptions, skips: SkipLog
) -> Document | None:
    """Turn one record into a Document, or report why it cannot be one (``where`` = file:line)."""
    if not isinstance(record, dict):
        bad_record(f"{where}: expected a JSON object, got {type_name(record)}", opts, skips)
        return None
    text = record.get(opts.text_field)
    if opts.text_field not in record:
        bad_record(f"{where}: field '{opts.text_field}' is missing", opts, skips)
        return None
    if not isinstance(text, str):
        bad_record(f"{where}: field '{opts.text_field}' is not a string (got {type_name(text)})", opts, skips)
        return None
    doc_id = where
    if opts.id_field:  # named ids or nothing: a silent file:line fallback hid mistyped --id-field names
        raw_id = record.get(opts.id_field)
        if opts.id_field not in record:
            bad_record(f"{where}: field '{opts.id_field}' (--id-field) is missing", opts, skips)
            return None
        if raw_id is None or isinstance(raw_id, (dict, list)):
            bad_record(f"{where}: field '{opts.id_field}' (--id-field) is not a string or number "
                       f"(got {type_name(raw_id)})", opts, skips)
            return None
        doc_id = str(raw_id)
    meta = {k: v for k, v in record.items() if k != opts.text_field and _jsonable(v)}
    meta.update(position)
    return Document(text=text, doc_id=doc_id, meta=meta)


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))
