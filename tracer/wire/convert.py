"""Library values <-> tracer.v1 messages, shared by the server and the client.

The wire format: token ids as packed little-endian bytes, free-form metadata as JSON text, the
result dataclasses of the library rebuilt on the client so that a remote answer compares equal
to a local one, and options objects as optional fields of the same names (an unset field takes
the library's default, so defaults live only in the options classes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from tracer.contamination.check import DocumentMatch, ItemResult, MatchedSpan
from tracer.contamination.inputs import BenchItem
from tracer.contamination.metrics import PartMetrics
from tracer.contamination.options import CheckOptions
from tracer.errors import InputError, MismatchError
from tracer.index.reader import DocumentRecord
from tracer.membership.inputs import ScoreInput, parse_row
from tracer.membership.scoring import MembershipScore
from tracer.query.documents import DocSpan
from tracer.query.ngram import Continuation, InfgramLogprobs, NextTokenDistribution, NgramProb
from tracer.query.search import SearchDocument, SearchResult, TermMatch
from tracer.query.soft import SoftMatch
from tracer.query.trace_docs import TracedDocument
from tracer.query.trace_rank import TracedSpan, TraceResult
from tracer.query.trace_stats import TraceTokenStats
from tracer.v1 import tracer_pb2 as pb

_DTYPE_OF = {
    pb.TOKEN_DTYPE_UNSPECIFIED: np.dtype("<u4"),
    pb.TOKEN_DTYPE_UINT8: np.dtype("<u1"),
    pb.TOKEN_DTYPE_UINT16: np.dtype("<u2"),
    pb.TOKEN_DTYPE_UINT32: np.dtype("<u4"),
}
_ENUM_OF = {1: pb.TOKEN_DTYPE_UINT8, 2: pb.TOKEN_DTYPE_UINT16, 4: pb.TOKEN_DTYPE_UINT32}


def dumps_json(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()


def loads_json(text: str, field: str) -> Any:
    """Parse a JSON string field; a malformed one is the sender's error (INVALID_ARGUMENT)."""
    if not text:
        return {}
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise InputError(f"field '{field}': malformed JSON ({e.msg})") from None


# -- options ---------------------------------------------------------------------------


def options_fields(msg: Any, cls: type) -> dict[str, Any]:
    """The options of class ``cls`` that ``msg`` carries: a field with presence only when set."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        d = msg.DESCRIPTOR.fields_by_name.get(f.name)
        if d is not None and (not d.has_presence or msg.HasField(f.name)):
            out[f.name] = getattr(msg, f.name)
    return out


def changed_options(options: Any) -> dict[str, Any]:
    """The fields of an options object that differ from its class's defaults (what needs to travel)."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)
            if getattr(options, f.name) != f.default and getattr(options, f.name) is not None}


def option_values(cls: type, options: Any | None, overrides: dict[str, Any]) -> dict[str, Any]:
    """Request fields for ``options`` (an instance of ``cls`` or None) with keyword ``overrides`` on top:
    only values that are set travel (the server validates them); an unknown name is a TypeError."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(overrides) - names
    if unknown:
        raise TypeError(f"unknown {cls.__name__} option(s): {', '.join(sorted(unknown))}")
    values = changed_options(options) if options is not None else {}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return values


# -- token ids -------------------------------------------------------------------------


def pack_tokens(ids: Sequence[int] | np.ndarray, fingerprint: str = "") -> pb.TokenIds:
    """Pack ids into the narrowest unsigned little-endian dtype that holds them."""
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise InputError("token ids must be a 1-D sequence")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"token ids must be integers, got {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() > 0xFFFFFFFF):
        raise InputError("token ids must lie in [0, 2**32)")
    top = int(arr.max()) if arr.size else 0
    width = 1 if top <= 0xFF else 2 if top <= 0xFFFF else 4
    data = arr.astype(f"<u{width}").tobytes()
    return pb.TokenIds(data=data, dtype=_ENUM_OF[width], tokenizer_fingerprint=fingerprint)


def unpack_tokens(msg: pb.TokenIds, expected_fingerprint: str | None = None) -> np.ndarray:
    """Token ids from a message; a fingerprint for another tokenizer is a MismatchError."""
    if msg.tokenizer_fingerprint and expected_fingerprint is not None and msg.tokenizer_fingerprint != expected_fingerprint:
        raise MismatchError(
            f"token ids were made by tokenizer {msg.tokenizer_fingerprint!r}, "
            f"the index uses {expected_fingerprint!r}"
        )
    dtype = _DTYPE_OF.get(msg.dtype)
    if dtype is None:
        raise InputError(f"field 'tokens.dtype': unknown value {msg.dtype}")
    if len(msg.data) % dtype.itemsize:
        raise InputError(
            f"field 'tokens.data': {len(msg.data)} bytes is not a whole number of {dtype.itemsize}-byte ids"
        )
    return np.frombuffer(msg.data, dtype=dtype)


# -- queries ---------------------------------------------------------------------------


def query_to_msg(query: str | Sequence[int] | np.ndarray, fingerprint: str = "") -> pb.Query:
    if isinstance(query, str):
        return pb.Query(text=query)
    if isinstance(query, bytes | bytearray):
        raise InputError("a query is text (str) or token ids, not bytes")
    return pb.Query(tokens=pack_tokens(query, fingerprint))


def msg_to_query(msg: pb.Query, fingerprint: str, field: str = "query") -> str | np.ndarray:
    """What the library accepts as a query; an unset query is an empty one (INVALID_ARGUMENT)."""
    kind = msg.WhichOneof("kind")
    if kind == "text":
        return msg.text
    if kind == "tokens":
        return unpack_tokens(msg.tokens, fingerprint)
    raise InputError(f"field '{field}': empty query (set text or tokens)")


# -- documents and spans --------------------------------------------------------------


def docspan_to_msg(s: DocSpan) -> pb.DocSpan:
    return pb.DocSpan(
        doc_index=s.doc_index, doc_id=s.doc_id, meta_json=dumps_json(s.meta), shard=s.shard,
        token_start=s.token_start, token_end=s.token_end, char_start=s.char_start, char_end=s.char_end,
        snippet=s.snippet, snippet_start=s.snippet_start,
    )


def msg_to_docspan(m: pb.DocSpan) -> DocSpan:
    return DocSpan(
        doc_index=m.doc_index, doc_id=m.doc_id, meta=loads_json(m.meta_json, "meta_json"), shard=m.shard,
        token_start=m.token_start, token_end=m.token_end, char_start=m.char_start, char_end=m.char_end,
        snippet=m.snippet, snippet_start=m.snippet_start,
    )


def document_to_msg(d: DocumentRecord) -> pb.Document:
    return pb.Document(doc_index=d.doc_index, doc_id=d.doc_id, meta_json=dumps_json(d.meta), text=d.text,
                       n_tokens=d.n_tokens, shard=d.shard)


def msg_to_document(m: pb.Document) -> DocumentRecord:
    return DocumentRecord(doc_index=m.doc_index, doc_id=m.doc_id, meta=loads_json(m.meta_json, "meta_json"),
                          text=m.text, n_tokens=m.n_tokens, shard=m.shard)


# -- trace ------------------------------------------------------------------------------

def trace_result_to_msg(r: TraceResult) -> pb.TraceResponse:
    return pb.TraceResponse(
        spans=[
            pb.TracedSpan(
                start_char=s.start_char, end_char=s.end_char, start_token=s.start_token, end_token=s.end_token,
                text=s.text, count=s.count, unigram_logprob=s.unigram_logprob,
                documents=[
                    pb.TracedDocument(doc_index=d.doc_index, doc_id=d.doc_id, meta_json=dumps_json(d.meta),
                                      char_start=d.char_start, char_end=d.char_end, snippet=d.snippet,
                                      snippet_start=d.snippet_start, score=d.score)
                    for d in s.documents
                ],
            )
            for s in r.spans
        ],
        highlights=[pb.CharRange(start=a, end=b) for a, b in r.highlights],
        n_tokens=r.n_tokens,
    )


def msg_to_trace_result(m: pb.TraceResponse) -> TraceResult:
    spans = [
        TracedSpan(
            start_char=s.start_char, end_char=s.end_char, start_token=s.start_token, end_token=s.end_token,
            text=s.text, count=s.count, unigram_logprob=s.unigram_logprob,
            documents=[
                TracedDocument(doc_index=d.doc_index, doc_id=d.doc_id, meta=loads_json(d.meta_json, "meta_json"),
                               char_start=d.char_start, char_end=d.char_end, snippet=d.snippet,
                               snippet_start=d.snippet_start, score=d.score)
                for d in s.documents
            ],
        )
        for s in m.spans
    ]
    return TraceResult(spans, [(h.start, h.end) for h in m.highlights], m.n_tokens)


def add_trace_token_stats(msg: pb.TraceResponse, stats: TraceTokenStats, fingerprint: str) -> None:
    """Attach the searched ids and unigram counts a fan-out client merges traces with."""
    msg.token_ids.CopyFrom(pack_tokens(stats.ids, fingerprint))
    msg.unigram_counts.extend(int(c) for c in stats.unigram_counts)
    msg.unigram_total = stats.unigram_total
    msg.unigram_vocab = stats.unigram_vocab


def msg_to_trace_token_stats(m: pb.TraceResponse) -> TraceTokenStats | None:
    """The token stats of a response, or None when the server did not send them (an older server)."""
    if not m.HasField("token_ids"):
        return None
    ids = unpack_tokens(m.token_ids).astype(np.int64)
    counts = np.asarray(m.unigram_counts, dtype=np.uint64)
    if len(counts) != len(ids):
        raise InputError(f"field 'unigram_counts': {len(counts)} values for {len(ids)} token ids")
    return TraceTokenStats(ids, counts, int(m.unigram_total), int(m.unigram_vocab))


# -- membership scores ------------------------------------------------------------------

_F64 = np.dtype("<f8")


def _pack_floats(values: np.ndarray | None) -> bytes:
    return b"" if values is None else np.asarray(values, dtype=_F64).tobytes()


def _unpack_floats(data: bytes, field: str) -> np.ndarray:
    if len(data) % 8:
        raise InputError(f"field '{field}': {len(data)} bytes is not a whole number of float64 values")
    return np.frombuffer(data, dtype=_F64)


def score_input_to_msg(inp: ScoreInput) -> pb.ScoreItem:
    item = pb.ScoreItem(
        id=inp.id, token_ids=pack_tokens(inp.token_ids, inp.tokenizer_fingerprint or ""),
        logprobs=_pack_floats(inp.logprobs), logprob_mean=_pack_floats(inp.logprob_mean),
        logprob_var=_pack_floats(inp.logprob_var), prefix_logprobs=_pack_floats(inp.prefix_logprobs),
    )
    if inp.text is not None:
        item.text = inp.text
    if inp.label is not None:
        item.label = inp.label
    return item


def is_text_only(item: pb.ScoreItem) -> bool:
    """An item for the server's model: a text without token ids or log-probs."""
    return item.HasField("text") and not item.HasField("token_ids") and not item.logprobs


def msg_to_score_row(item: pb.ScoreItem, where: str, fingerprint: str) -> ScoreInput:
    """Validate one item exactly as a log-probs file row is validated (same messages, same checks)."""
    ids = unpack_tokens(item.token_ids, fingerprint) if item.HasField("token_ids") else np.zeros(0, np.int64)
    row: dict[str, Any] = {
        "token_ids": ids.astype(np.int64).tolist(),
        "logprobs": _unpack_floats(item.logprobs, f"{where}.logprobs").tolist(),
    }
    if item.id:
        row["id"] = item.id
    for name in ("logprob_mean", "logprob_var", "prefix_logprobs"):
        data = getattr(item, name)
        if data:
            row[name] = _unpack_floats(data, f"{where}.{name}").tolist()
    if item.HasField("text"):
        row["text"] = item.text
    if item.token_ids.tokenizer_fingerprint:
        row["tokenizer_fingerprint"] = item.token_ids.tokenizer_fingerprint
    label_field = None
    if item.HasField("label"):
        row["label"], label_field = item.label, "label"
    return parse_row(row, where, where.rsplit("[", 1)[-1].rstrip("]"), label_field)


_SCORE_FIELDS = ("loss", "zlib", "min_k", "min_k_pp", "dc_pdd", "infgram_ref", "infgram_ref_min_k",
                 "infgram_ref_cap1", "recall")


def membership_to_msg(s: MembershipScore) -> pb.MembershipScore:
    m = pb.MembershipScore(id=s.id, n_tokens=s.n_tokens, unavailable=s.unavailable)
    for name in _SCORE_FIELDS:
        if s.get(name) is not None:
            setattr(m, name, s.get(name))
    if s.label is not None:
        m.label = s.label
    return m


def msg_to_membership(m: pb.MembershipScore) -> MembershipScore:
    values = {name: (getattr(m, name) if m.HasField(name) else None) for name in _SCORE_FIELDS}
    return MembershipScore(id=m.id, n_tokens=m.n_tokens, unavailable=list(m.unavailable),
                           label=m.label if m.HasField("label") else None, **values)


# -- contamination ----------------------------------------------------------------------

_PART_SCALARS = ("words", "tokens", "ngram", "template_words", "covered_words", "covered_tokens", "skip_words",
                 "ngram_hits", "ngram_slots", "longest_match", "longest_match_count", "any_13gram", "longest_match_text",
                 "content_words", "matched_content_words")
_ITEM_FIELDS = ("id", "benchmark", "split", "input", "label", "source")


def options_to_msg(opts: CheckOptions | None) -> pb.ContaminationOptions:
    """Only the options that differ from the defaults travel, so the server's defaults apply to the rest."""
    return pb.ContaminationOptions(**changed_options(opts)) if opts is not None else pb.ContaminationOptions()


def msg_to_options(msg: pb.ContaminationOptions) -> CheckOptions:
    return CheckOptions(**options_fields(msg, CheckOptions))


def bench_item_to_msg(item: BenchItem | dict) -> pb.BenchItem:
    if isinstance(item, dict):
        unknown = set(item) - set(_ITEM_FIELDS)
        if unknown:
            raise InputError(f"benchmark item: unknown field(s) {', '.join(sorted(unknown))}")
        return pb.BenchItem(**{k: str(v) for k, v in item.items()})
    return pb.BenchItem(**{name: getattr(item, name) for name in _ITEM_FIELDS})


def msg_to_bench_item(m: pb.BenchItem, number: int) -> BenchItem:
    """An item as the library takes it, echoed back unchanged in its result; a missing id is its position."""
    return BenchItem(id=m.id or str(number), benchmark=m.benchmark, split=m.split or "test", input=m.input,
                     label=m.label, source=m.source)


def part_to_msg(name: str, p: PartMetrics) -> pb.PartMetrics:
    m = pb.PartMetrics(part=name, spans=[pb.CharRange(start=a, end=b) for a, b in p.spans],
                       **{k: getattr(p, k) for k in _PART_SCALARS})
    if p.text is not None:
        m.text = p.text
    return m


def msg_to_part(m: pb.PartMetrics) -> PartMetrics:
    return PartMetrics(spans=[(r.start, r.end) for r in m.spans], text=m.text if m.HasField("text") else None,
                       **{k: getattr(m, k) for k in _PART_SCALARS})


def item_result_to_msg(r: ItemResult) -> pb.ItemResult:
    return pb.ItemResult(
        item=bench_item_to_msg(r.item), parts=[part_to_msg(k, v) for k, v in r.parts.items()],
        documents=[
            pb.DocumentMatch(
                doc_index=d.doc_index, doc_id=d.doc_id, meta_json=dumps_json(d.meta), matched_words=d.matched_words,
                spans=[pb.MatchedSpan(part=s.part, start=s.start, end=s.end, words=s.words, count=s.count,
                                      char_start=s.char_start, char_end=s.char_end, snippet=s.snippet,
                                      snippet_start=s.snippet_start) for s in d.spans],
            )
            for d in r.documents
        ],
        contaminated=r.contaminated, category=r.category, short=r.short, verdict_on=r.verdict_on, method=r.method,
        note=r.note, match=r.match or "", soft=contamination_soft_to_msg(r.soft) if r.soft is not None else None,
        soft_note=r.soft_note, soft_checked=r.soft_checked,
    )


def contamination_soft_to_msg(m: SoftMatch) -> pb.SoftMatch:
    from tracer.wire import soft  # it imports this module

    return soft.match_to_msg(m)


def msg_to_contamination_soft(m: pb.SoftMatch) -> SoftMatch:
    from tracer.wire import soft

    return soft.msg_to_match(m)


def msg_to_item_result(m: pb.ItemResult) -> ItemResult:
    return ItemResult(
        item=BenchItem(**{name: getattr(m.item, name) for name in _ITEM_FIELDS}),
        parts={p.part: msg_to_part(p) for p in m.parts},
        documents=[
            DocumentMatch(
                doc_index=d.doc_index, doc_id=d.doc_id, meta=loads_json(d.meta_json, "meta_json"),
                matched_words=d.matched_words,
                spans=[MatchedSpan(part=s.part, start=s.start, end=s.end, words=s.words, count=s.count,
                                   char_start=s.char_start, char_end=s.char_end, snippet=s.snippet,
                                   snippet_start=s.snippet_start) for s in d.spans],
            )
            for d in m.documents
        ],
        contaminated=m.contaminated, category=m.category, short=m.short, verdict_on=m.verdict_on, method=m.method,
        note=m.note, match=m.match or None, soft=msg_to_contamination_soft(m.soft) if m.HasField("soft") else None,
        soft_note=m.soft_note, soft_checked=m.soft_checked,
    )


# -- n-gram / ∞-gram and AND/OR search ----------------------------------------------------

_I64 = np.dtype("<i8")
NGRAM_KINDS = {"prob": pb.NGRAM_KIND_PROB, "ntd": pb.NGRAM_KIND_NTD, "infgram_prob": pb.NGRAM_KIND_INFGRAM_PROB,
               "infgram_ntd": pb.NGRAM_KIND_INFGRAM_NTD}


def ngram_kind(kind: int) -> str:
    """The library operation an NgramKind names; unset or unknown is INVALID_ARGUMENT."""
    for name, value in NGRAM_KINDS.items():
        if value == kind:
            return name
    raise InputError(f"field 'kind': give one of {', '.join(pb.NgramKind.Name(v) for v in NGRAM_KINDS.values())}")


def msg_to_token(msg: pb.Query, fingerprint: str) -> str | int:
    """A PROB request's token: a text, or exactly one id."""
    q = msg_to_query(msg, fingerprint, "token")
    if isinstance(q, str):
        return q
    if len(q) != 1:
        raise InputError(f"field 'token': give one token id, got {len(q)}")
    return int(q[0])


def token_to_msg(token: str | int, fingerprint: str = "") -> pb.Query:
    if isinstance(token, str):
        return pb.Query(text=token)
    if isinstance(token, bool) or not isinstance(token, (int, np.integer)):
        raise InputError(f"token must be an int id or a one-token string, got {type(token).__name__}")
    return pb.Query(tokens=pack_tokens([int(token)], fingerprint))


def ngram_prob_to_msg(r: NgramProb) -> pb.NgramProb:
    m = pb.NgramProb(count_context=r.count_context, count_full=r.count_full, token=r.token, context_len=r.context_len)
    if r.prob is not None:
        m.prob = r.prob
    return m


def msg_to_ngram_prob(m: pb.NgramProb) -> NgramProb:
    return NgramProb(m.prob if m.HasField("prob") else None, int(m.count_context), int(m.count_full), int(m.token),
                     int(m.context_len))


def ntd_to_msg(d: NextTokenDistribution) -> pb.NextTokenDistribution:
    return pb.NextTokenDistribution(
        count_context=d.count_context, context_len=d.context_len, approximate=d.approximate, support=d.support,
        doc_end=d.doc_end, continuations=[pb.Continuation(token=c.token, text=c.text, count=c.count, prob=c.prob)
                                          for c in d.continuations])


def msg_to_ntd(m: pb.NextTokenDistribution) -> NextTokenDistribution:
    return NextTokenDistribution(int(m.count_context), int(m.context_len), m.approximate, int(m.support),
                                 int(m.doc_end), [Continuation(int(c.token), c.text, int(c.count), c.prob)
                                                  for c in m.continuations])


def _pack_ints(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype=_I64).tobytes()


def _unpack_ints(data: bytes, field: str) -> np.ndarray:
    if len(data) % 8:
        raise InputError(f"field '{field}': {len(data)} bytes is not a whole number of int64 values")
    return np.frombuffer(data, dtype=_I64).astype(np.int64)


def infgram_logprobs_to_msg(r: InfgramLogprobs, fingerprint: str = "") -> pb.InfgramLogprobsResponse:
    return pb.InfgramLogprobsResponse(
        token_ids=pack_tokens(r.token_ids, fingerprint), logprobs=_pack_floats(r.logprobs),
        suffix_len=_pack_ints(r.suffix_len), count_context=_pack_ints(r.count_context),
        count_full=_pack_ints(r.count_full), token_count=_pack_ints(r.token_count), n_doc_tokens=r.n_doc_tokens)


def msg_to_infgram_logprobs(m: pb.InfgramLogprobsResponse) -> InfgramLogprobs:
    return InfgramLogprobs(
        unpack_tokens(m.token_ids).astype(np.int64), _unpack_floats(m.logprobs, "logprobs").copy(),
        _unpack_ints(m.suffix_len, "suffix_len"), _unpack_ints(m.count_context, "count_context"),
        _unpack_ints(m.count_full, "count_full"), _unpack_ints(m.token_count, "token_count"), int(m.n_doc_tokens))


def cnf_to_msg(cnf: str | Sequence[Sequence[Any]], fingerprint: str = "") -> dict[str, Any]:
    """SearchRequest fields for a query string or a list of clauses of terms (texts or token ids)."""
    if isinstance(cnf, str):
        return {"query": cnf}
    if isinstance(cnf, (bytes, np.ndarray)) or not isinstance(cnf, Sequence):
        raise InputError("search query: give a string or a list of AND-clauses, each a list of OR-terms")
    clauses = []
    for ci, clause in enumerate(cnf):
        if isinstance(clause, str) or not isinstance(clause, Sequence):
            raise InputError(f"search query: clause {ci} must be a list of terms")
        clauses.append(pb.SearchClause(terms=[query_to_msg(t, fingerprint) for t in clause]))
    return {"clauses": clauses}


def msg_to_cnf(m: pb.SearchRequest, fingerprint: str) -> str | list[list[Any]]:
    if m.query:
        return m.query
    return [[msg_to_query(t, fingerprint, f"clauses[{ci}].terms[{ti}]") for ti, t in enumerate(c.terms)]
            for ci, c in enumerate(m.clauses)]


def search_document_to_msg(d: SearchDocument) -> pb.SearchDocument:
    return pb.SearchDocument(
        doc_index=d.doc_index, doc_id=d.doc_id, meta_json=dumps_json(d.meta), shard=d.shard, n_matches=d.n_matches,
        matches=[pb.ClauseMatches(matches=[pb.TermMatch(term=t.term, token_start=t.token_start, token_end=t.token_end,
                                                        char_start=t.char_start, char_end=t.char_end) for t in c])
                 for c in d.matches])


def msg_to_search_document(m: pb.SearchDocument) -> SearchDocument:
    return SearchDocument(
        int(m.doc_index), m.doc_id, loads_json(m.meta_json, "meta_json"), int(m.shard), [int(x) for x in m.n_matches],
        [[TermMatch(int(t.term), int(t.token_start), int(t.token_end), int(t.char_start), int(t.char_end))
          for t in c.matches] for c in m.matches])


def search_result_to_msg(r: SearchResult) -> pb.SearchResponse:
    return pb.SearchResponse(count=r.count, approximate=r.approximate, clause_counts=r.clause_counts,
                             documents=[search_document_to_msg(d) for d in r.documents])


def msg_to_search_result(m: pb.SearchResponse) -> SearchResult:
    return SearchResult(int(m.count), m.approximate, [int(c) for c in m.clause_counts],
                        [msg_to_search_document(d) for d in m.documents])
