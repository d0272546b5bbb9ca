"""Overlap (tracer.contamination.overlap) <-> tracer.v1 messages: options, per-document rows, summary."""

from __future__ import annotations

from collections.abc import Iterable

from tracer.contamination.overlap import DocOverlap, OverlapOptions
from tracer.errors import InputError
from tracer.v1 import tracer_pb2 as pb
from tracer.wire.convert import dumps_json, loads_json, option_values, options_fields


def options_to_msg(options: OverlapOptions | None, overrides: dict | None = None) -> pb.OverlapOptions:
    """Only the values that differ from the defaults (or are given by keyword) travel."""
    values = option_values(OverlapOptions, options, overrides or {})
    return pb.OverlapOptions(**{k: (list(v) if k == "thresholds" else v) for k, v in values.items()})


def msg_to_options(msg: pb.OverlapOptions) -> OverlapOptions:
    given = options_fields(msg, OverlapOptions)
    given["thresholds"] = tuple(msg.thresholds) or OverlapOptions().thresholds
    return OverlapOptions(**given)


def documents_to_msgs(docs: Iterable[str | tuple[str, str]]) -> list[pb.OverlapDocument]:
    """Texts (ids "0", "1", ...) or (id, text) pairs."""
    return [pb.OverlapDocument(id=str(i), text=d) if isinstance(d, str) else pb.OverlapDocument(id=d[0], text=d[1])
            for i, d in enumerate(docs)]


def msgs_to_documents(msgs: Iterable[pb.OverlapDocument]) -> list[tuple[str, str]]:
    out = []
    for i, m in enumerate(msgs):
        if not m.text.strip():
            raise InputError(f"documents[{i}]: field 'text' is empty")
        out.append((m.id or str(i), m.text))
    return out


def doc_to_msg(d: DocOverlap) -> pb.DocOverlap:
    return pb.DocOverlap(id=d.id, words=d.words, covered_words=d.covered_words, longest=d.longest,
                         longest_text=d.longest_text, longest_count=d.longest_count, a_documents=d.a_documents,
                         run_starts=[a for a, _ in d.runs], run_ends=[b for _, b in d.runs], run_spans=d.spans,
                         longest_word=d.longest_word)


def msg_to_doc(m: pb.DocOverlap) -> DocOverlap:
    if not len(m.run_starts) == len(m.run_ends) == len(m.run_spans):
        raise InputError(f"document {m.id!r}: run_starts, run_ends and run_spans differ in length")
    return DocOverlap(m.id, m.words, m.covered_words, m.longest, m.longest_text, m.longest_count,
                      list(m.a_documents), list(m.run_spans), list(zip(m.run_starts, m.run_ends, strict=True)),
                      m.longest_word)


def response(rows: list[DocOverlap], summary: dict) -> pb.OverlapResponse:
    return pb.OverlapResponse(documents=[doc_to_msg(d) for d in rows], summary_json=dumps_json(summary))


def from_response(msg: pb.OverlapResponse) -> tuple[list[DocOverlap], dict]:
    return [msg_to_doc(m) for m in msg.documents], loads_json(msg.summary_json, "summary_json")


__all__ = ["doc_to_msg", "documents_to_msgs", "from_response", "msg_to_doc", "msg_to_options",
           "msgs_to_documents", "options_to_msg", "response"]
