"""The Tracer servicer: translate messages to library calls and back; all logic lives in the library."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import grpc

from tracer import __version__
from tracer.contamination.check import iter_check_items
from tracer.errors import InputError
from tracer.membership import score_inputs
from tracer.membership.inputs import ScoreInput
from tracer.membership.options import ScoreOptions
from tracer.query.index import Index
from tracer.query.options import FindOptions, NgramOptions, SearchOptions, TraceOptions
from tracer.query.trace_stats import trace_token_stats
from tracer.server.limits import Limits, check_cap, resolve_soft_model
from tracer.server.registry import IndexRegistry
from tracer.server.status import NoModelError, check_alive, streaming, unary
from tracer.v1 import tracer_pb2 as pb
from tracer.v1 import tracer_pb2_grpc as pb_grpc
from tracer.wire import convert
from tracer.wire import overlap as overlap_wire
from tracer.wire import soft as soft_wire


class TracerServicer(pb_grpc.TracerServicer):
    """``model`` (optional) is a membership adapter with ``score_inputs(texts, ids, labels)``, used for
    ScoreMembership items that carry only a text; calls into it are serialized by a lock."""

    def __init__(self, registry: IndexRegistry, limits: Limits | None = None, model: Any | None = None):
        self.registry = registry
        self.limits = limits or Limits()
        self.model = model
        self._model_lock = threading.Lock()

    # -- helpers -----------------------------------------------------------------------
    def _query(self, index: Index, msg: pb.Query, field: str = "query"):
        q = convert.msg_to_query(msg, index.tokenizer.fingerprint, field)
        check_cap(len(q), self.limits.max_query_chars, f"{field} length")
        return q

    # -- RPCs --------------------------------------------------------------------------
    @unary
    def Info(self, request: pb.InfoRequest, context: grpc.ServicerContext) -> pb.InfoResponse:
        name, index = self.registry.get(request.index)
        info = index.info()
        tok = index.tokenizer
        return pb.InfoResponse(
            name=name, index_names=self.registry.names, n_tokens=index.n_tokens, n_docs=index.n_docs,
            n_shards=len(index.shards), dtype=str(index.dtype), vocab_size=tok.vocab_size,
            separator=index.separator, tokenizer_fingerprint=tok.fingerprint,
            normalization=index.normalization or "", info_json=convert.dumps_json(info),
            server_version=__version__,
        )

    @unary
    def Count(self, request: pb.CountRequest, context: grpc.ServicerContext) -> pb.CountResponse:
        _, index = self.registry.get(request.index)
        n = len(request.queries)
        check_cap(n, self.limits.max_batch, "queries in one Count")
        queries = [self._query(index, q, f"queries[{i}]") for i, q in enumerate(request.queries)]
        if n == 1:
            return pb.CountResponse(counts=[index.count(queries[0])])
        counts: list[int] = []
        step = self.limits.work_chunk
        for lo in range(0, n, step):
            check_alive(context)
            counts.extend(index.count_many(queries[lo : lo + step]))
        return pb.CountResponse(counts=counts)

    @unary
    def Find(self, request: pb.FindRequest, context: grpc.ServicerContext) -> pb.FindResponse:
        _, index = self.registry.get(request.index)
        opts = FindOptions(**convert.options_fields(request, FindOptions))
        check_cap(opts.limit, self.limits.max_find_limit, "Find limit")
        check_cap(opts.context, self.limits.max_context, "Find context")
        result = index.find(self._query(index, request.query), opts)
        return pb.FindResponse(count=result.count, occurrences=[convert.docspan_to_msg(s) for s in result.occurrences])

    @unary
    def GetDocument(self, request: pb.GetDocumentRequest, context: grpc.ServicerContext) -> pb.Document:
        _, index = self.registry.get(request.index)
        key = request.WhichOneof("key")
        if key is None:
            raise InputError("field 'key': give doc_id or doc_index")
        doc = index.document(request.doc_id if key == "doc_id" else int(request.doc_index))
        return convert.document_to_msg(doc)

    @unary
    def Trace(self, request: pb.TraceRequest, context: grpc.ServicerContext) -> pb.TraceResponse:
        _, index = self.registry.get(request.index)
        check_cap(len(request.text), self.limits.max_query_chars, "text length")
        given = convert.options_fields(request, TraceOptions)  # unset fields keep the library's defaults
        if "max_docs" in given:
            check_cap(given["max_docs"], self.limits.max_find_limit, "Trace max_docs")
        if "context" in given:
            check_cap(given["context"], self.limits.max_context, "Trace context")
        result = index.trace(request.text, **given)
        response = convert.trace_result_to_msg(result)
        if request.token_stats:  # for clients merging traces over shard groups (tracer.client.fanout)
            stats = trace_token_stats(index, result.token_ids)
            convert.add_trace_token_stats(response, stats, index.tokenizer.fingerprint)
        return response

    @unary
    def ScoreMembership(self, request: pb.ScoreRequest, context: grpc.ServicerContext) -> pb.ScoreResponse:
        _, index = self.registry.get(request.index)
        check_cap(len(request.items), self.limits.max_batch, "items in one ScoreMembership")
        fingerprint = index.tokenizer.fingerprint
        inputs: list[ScoreInput | None] = []
        by_model: list[int] = []
        for i, item in enumerate(request.items):
            if convert.is_text_only(item):
                by_model.append(i)
                inputs.append(None)
            else:
                inputs.append(convert.msg_to_score_row(item, f"items[{i}]", fingerprint))
        if by_model:
            for i, row in zip(by_model, self._run_model([request.items[i] for i in by_model]), strict=True):
                inputs[i] = row
        check_alive(context)
        opts = ScoreOptions(**convert.options_fields(request, ScoreOptions))
        scores = score_inputs(index, inputs, tokenizer_fingerprint=request.tokenizer_fingerprint or None, options=opts)
        return pb.ScoreResponse(scores=[convert.membership_to_msg(s) for s in scores])

    def _run_model(self, items: list[pb.ScoreItem]) -> list[ScoreInput]:
        if self.model is None:
            raise NoModelError("this server has no model: send token_ids and logprobs with each item "
                               "(or start `tracer serve` with --model DIR)")
        texts = [it.text for it in items]
        ids = [it.id or str(n) for n, it in enumerate(items)]
        labels = [it.label if it.HasField("label") else None for it in items]
        with self._model_lock:
            return self.model.score_inputs(texts, ids, labels)

    @unary
    def CheckContamination(self, request: pb.ContaminationRequest,
                           context: grpc.ServicerContext) -> pb.ContaminationResponse:
        return pb.ContaminationResponse(results=list(self._contamination(request, context)))

    @streaming
    def StreamContamination(self, request: pb.ContaminationRequest,
                            context: grpc.ServicerContext) -> Iterator[pb.ItemResult]:
        yield from self._contamination(request, context)

    def _contamination(self, request: pb.ContaminationRequest, context: grpc.ServicerContext) -> Iterator[pb.ItemResult]:
        """Each item's result as soon as it is done, in item order (templates are found over all items
        first, as in the library); after each, stop if the client went away or its deadline passed."""
        _, index = self.registry.get(request.index)
        check_cap(len(request.items), self.limits.max_batch, "items in one contamination request")
        opts = convert.msg_to_options(request.options)
        if opts.soft:
            opts = replace(opts, soft_model=resolve_soft_model(opts.soft_model, self.limits.soft_models))
        items = [convert.msg_to_bench_item(m, i) for i, m in enumerate(request.items)]
        for i, item in enumerate(items):
            check_cap(len(item.input) + len(item.label), self.limits.max_query_chars, f"items[{i}] length")
        check_alive(context)
        for result in iter_check_items(index, items, opts, progress=lambda _n: check_alive(context)):
            yield convert.item_result_to_msg(result)

    # -- the corpus as a language model, AND/OR search ---------------------------------
    @unary
    def Ngram(self, request: pb.NgramRequest, context: grpc.ServicerContext) -> pb.NgramResponse:
        _, index = self.registry.get(request.index)
        kind = convert.ngram_kind(request.kind)
        ctx = self._query(index, request.context, "context") if request.HasField("context") else ""
        if kind in ("prob", "infgram_prob"):
            token = convert.msg_to_token(request.token, index.tokenizer.fingerprint)
            return pb.NgramResponse(prob=convert.ngram_prob_to_msg(getattr(index, kind)(ctx, token)))
        opts = NgramOptions(**convert.options_fields(request, NgramOptions))
        check_cap(opts.max_support, self.limits.max_batch, "Ngram max_support")
        return pb.NgramResponse(ntd=convert.ntd_to_msg(getattr(index, kind)(ctx, opts)))

    @unary
    def InfgramLogprobs(self, request: pb.InfgramLogprobsRequest,
                        context: grpc.ServicerContext) -> pb.InfgramLogprobsResponse:
        _, index = self.registry.get(request.index)
        tokens = self._query(index, request.tokens, "tokens") if request.HasField("tokens") else ""
        result = index.infgram_logprobs(tokens, request.max_suffix if request.HasField("max_suffix") else None)
        return convert.infgram_logprobs_to_msg(result, index.tokenizer.fingerprint)

    @unary
    def Search(self, request: pb.SearchRequest, context: grpc.ServicerContext) -> pb.SearchResponse:
        _, index = self.registry.get(request.index)
        check_cap(len(request.query), self.limits.max_query_chars, "query length")
        opts = SearchOptions(**convert.options_fields(request, SearchOptions))
        check_cap(opts.limit, self.limits.max_find_limit, "Search limit")
        cnf = convert.msg_to_cnf(request, index.tokenizer.fingerprint)
        return convert.search_result_to_msg(index.search(cnf, opts))

    @unary
    def Overlap(self, request: pb.OverlapRequest, context: grpc.ServicerContext) -> pb.OverlapResponse:
        _, index = self.registry.get(request.index)
        check_cap(len(request.documents), self.limits.max_batch, "documents in one Overlap")
        docs = overlap_wire.msgs_to_documents(request.documents)
        for i, (_, text) in enumerate(docs):
            check_cap(len(text), self.limits.max_query_chars, f"documents[{i}] length")
        rows, summary = index.overlap(docs, overlap_wire.msg_to_options(request.options))
        return overlap_wire.response(rows, summary)

    @unary
    def FindSimilar(self, request: pb.FindSimilarRequest, context: grpc.ServicerContext) -> pb.FindSimilarResponse:
        _, index = self.registry.get(request.index)
        check_cap(len(request.texts), self.limits.max_batch, "texts in one FindSimilar")
        for i, text in enumerate(request.texts):
            check_cap(len(text), self.limits.max_query_chars, f"texts[{i}] length")
        limit = request.limit if request.HasField("limit") else 10
        check_cap(limit, self.limits.max_find_limit, "FindSimilar limit")
        opts = soft_wire.msg_to_options(request.options)
        opts = replace(opts, model=resolve_soft_model(opts.model, self.limits.soft_models))
        results = []
        step = self.limits.work_chunk
        texts = list(request.texts)
        for lo in range(0, len(texts), step):
            check_alive(context)
            results.extend(index.find_similar_many(texts[lo : lo + step], limit, opts))
        return soft_wire.response(results)
