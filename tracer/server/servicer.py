"""The Tracer servicer: translate messages to library calls and back; all logic lives in the library."""

from __future__ import annotations

import grpc

from tracer import __version__
from tracer.errors import InputError
from tracer.query.index import Index
from tracer.server.limits import Limits, check_cap
from tracer.server.registry import IndexRegistry
from tracer.server.status import check_alive, unary
from tracer.v1 import convert
from tracer.v1 import tracer_pb2 as pb
from tracer.v1 import tracer_pb2_grpc as pb_grpc


class TracerServicer(pb_grpc.TracerServicer):
    def __init__(self, registry: IndexRegistry, limits: Limits | None = None):
        self.registry = registry
        self.limits = limits or Limits()

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
        limit = request.limit if request.HasField("limit") else 10
        ctx = request.context if request.HasField("context") else 80
        if limit < 0 or ctx < 0:
            raise InputError("Find: limit and context must be >= 0")
        check_cap(limit, self.limits.max_find_limit, "Find limit")
        check_cap(ctx, self.limits.max_context, "Find context")
        result = index.find(self._query(index, request.query), limit=limit, context=ctx)
        return pb.FindResponse(count=result.count, occurrences=[convert.docspan_to_msg(s) for s in result.occurrences])

    @unary
    def GetDocument(self, request: pb.GetDocumentRequest, context: grpc.ServicerContext) -> pb.Document:
        _, index = self.registry.get(request.index)
        key = request.WhichOneof("key")
        if key is None:
            raise InputError("field 'key': give doc_id or doc_index")
        doc = index.document(request.doc_id if key == "doc_id" else int(request.doc_index))
        return convert.document_to_msg(doc)
