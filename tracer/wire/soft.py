"""Soft search (tracer.query.soft) <-> tracer.v1 messages: options, matches, requests, responses."""

from __future__ import annotations

from tracer.query.options import SoftOptions
from tracer.query.soft import SoftMatch
from tracer.v1 import tracer_pb2 as pb
from tracer.wire.convert import option_values, options_fields


def options_to_msg(options: SoftOptions | None, overrides: dict | None = None) -> pb.SoftOptions:
    """Only the values that differ from the defaults (or are given by keyword) travel."""
    return pb.SoftOptions(**option_values(SoftOptions, options, overrides or {}))


def msg_to_options(msg: pb.SoftOptions) -> SoftOptions:
    return SoftOptions(**options_fields(msg, SoftOptions))


def match_to_msg(m: SoftMatch) -> pb.SoftMatch:
    return pb.SoftMatch(score=m.score, document=m.document, doc_id=m.doc_id, start_char=m.start_char,
                        end_char=m.end_char, passage=m.passage,
                        aligned=[pb.AlignedWord(query_word=a, passage_word=b) for a, b in m.aligned],
                        lexical_score=m.lexical, model_score=m.semantic, elsewhere=m.elsewhere)


def msg_to_match(m: pb.SoftMatch) -> SoftMatch:
    return SoftMatch(m.score, int(m.document), m.doc_id, int(m.start_char), int(m.end_char), m.passage,
                     [[a.query_word, a.passage_word] for a in m.aligned],
                     m.lexical_score if m.HasField("lexical_score") else None,
                     m.model_score if m.HasField("model_score") else None, int(m.elsewhere))


def request(index: str, texts: list[str], limit: int | None, options: SoftOptions | None,
            overrides: dict | None = None) -> pb.FindSimilarRequest:
    extra = {} if limit is None else {"limit": limit}
    return pb.FindSimilarRequest(index=index, texts=list(texts), options=options_to_msg(options, overrides), **extra)


def response(results: list[list[SoftMatch]]) -> pb.FindSimilarResponse:
    return pb.FindSimilarResponse(results=[pb.SoftMatches(matches=[match_to_msg(m) for m in r]) for r in results])


def from_response(msg: pb.FindSimilarResponse) -> list[list[SoftMatch]]:
    return [[msg_to_match(m) for m in r.matches] for r in msg.results]
