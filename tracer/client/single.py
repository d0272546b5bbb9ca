"""``TracerClient``: the ``Index`` query methods over one gRPC server, returning the same result types.

    from tracer.client import TracerClient
    with TracerClient("127.0.0.1:50051", token="s3cret") as tc:
        tc.count("def __init__(self")          # -> int, same as Index.count
        tc.find("def __init__(self", limit=3)  # -> FindResult with DocSpan occurrences

Errors are ``grpc.RpcError`` carrying the server's status code (INVALID_ARGUMENT for an empty
query, NOT_FOUND for an unknown document or index, UNAUTHENTICATED for a bad token, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import numpy as np

from tracer.contamination import BenchItem, CheckOptions, ItemResult
from tracer.index.reader import DocumentRecord
from tracer.membership.inputs import ScoreInput, parse_row
from tracer.membership.options import ScoreOptions
from tracer.membership.scoring import MembershipScore
from tracer.query.find import FindResult
from tracer.query.ngram import InfgramLogprobs, NextTokenDistribution, NgramProb
from tracer.query.options import FindOptions, NgramOptions, SearchOptions, TraceOptions
from tracer.query.search import SearchResult
from tracer.query.trace_rank import TraceResult
from tracer.v1 import tracer_pb2 as pb
from tracer.v1 import tracer_pb2_grpc as pb_grpc
from tracer.wire import convert

Query = str | Sequence[int] | np.ndarray
MiB = 1 << 20


@dataclass
class ClientTLS:
    """PEM files (or bytes): ``ca`` to trust the server, ``cert``+``key`` for mutual TLS."""

    ca: str | Path | bytes | None = None
    cert: str | Path | bytes | None = None
    key: str | Path | bytes | None = None
    server_name: str | None = None  # override the name checked against the certificate

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=_pem(self.ca), private_key=_pem(self.key), certificate_chain=_pem(self.cert)
        )


def _pem(v: str | Path | bytes | None) -> bytes | None:
    if v is None or isinstance(v, bytes):
        return v
    return Path(v).read_bytes()


class TracerClient:
    """A connection to ``tracer serve``. ``index`` picks a named index ("" is the server default).

    ``fingerprint`` is sent with token-id queries so that ids from another tokenizer fail with
    FAILED_PRECONDITION instead of being searched; ``timeout`` (seconds) is every call's deadline.
    For an index split into shard groups served by several servers use ``FanOutClient`` (or
    ``tracer.client.connect`` with a list of addresses).
    """

    def __init__(self, address: str, token: str | None = None, tls: bool | ClientTLS | None = None, *,
                 index: str = "", timeout: float | None = 60.0, fingerprint: str = "",
                 max_message_bytes: int = 256 * MiB):
        if not isinstance(address, str):
            raise TypeError(f"TracerClient takes one address (a str), got {type(address).__name__}; "
                            "for several shard groups use FanOutClient or tracer.client.connect")
        options = [("grpc.max_receive_message_length", max_message_bytes),
                   ("grpc.max_send_message_length", max_message_bytes)]
        if tls:
            cfg = tls if isinstance(tls, ClientTLS) else ClientTLS()
            if cfg.server_name:
                options.append(("grpc.ssl_target_name_override", cfg.server_name))
            self.channel = grpc.secure_channel(address, cfg.credentials(), options=options)
        else:
            self.channel = grpc.insecure_channel(address, options=options)
        self.address = address
        self.stub = pb_grpc.TracerStub(self.channel)
        self.index = index
        self.timeout = timeout
        self.fingerprint = fingerprint
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()

    # -- the seam the fan-out client builds on --------------------------------------------
    def call(self, rpc: str, request: Any) -> Any:
        """The unary RPC named ``rpc`` (e.g. "Count") with this client's deadline and token."""
        return getattr(self.stub, rpc)(request, timeout=self.timeout, metadata=self._metadata)

    def call_async(self, rpc: str, request: Any) -> grpc.Future:
        """``call`` without waiting: the fan-out client sends to every group at once."""
        return getattr(self.stub, rpc).future(request, timeout=self.timeout, metadata=self._metadata)

    def query_message(self, query: Query) -> pb.Query:
        """A text or token-id query as a message (ids tagged with this client's tokenizer fingerprint)."""
        return convert.query_to_msg(query, self.fingerprint)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> TracerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the Index methods -------------------------------------------------------------
    def info(self) -> dict:
        """``Index.info()`` of the served index."""
        return convert.loads_json(self.call("Info", pb.InfoRequest(index=self.index)).info_json, "info_json")

    def server_info(self) -> pb.InfoResponse:
        """The full Info message: index names, tokenizer fingerprint, vocabulary size."""
        return self.call("Info", pb.InfoRequest(index=self.index))

    def count(self, query: Query) -> int:
        return int(self.call("Count", pb.CountRequest(index=self.index, queries=[self.query_message(query)])).counts[0])

    def count_many(self, queries: list[Query]) -> list[int]:
        req = pb.CountRequest(index=self.index, queries=[self.query_message(q) for q in queries])
        return [int(c) for c in self.call("Count", req).counts]

    def find(self, query: Query, options: FindOptions | None = None, **overrides: Any) -> FindResult:
        """``Index.find`` on the server (``FindOptions`` and/or its fields by keyword)."""
        req = pb.FindRequest(index=self.index, query=self.query_message(query),
                             **convert.option_values(FindOptions, options, overrides))
        resp = self.call("Find", req)
        return FindResult(int(resp.count), [convert.msg_to_docspan(m) for m in resp.occurrences])

    def document(self, doc_id: str | int) -> DocumentRecord:
        if isinstance(doc_id, int):
            req = pb.GetDocumentRequest(index=self.index, doc_index=doc_id)
        else:
            req = pb.GetDocumentRequest(index=self.index, doc_id=doc_id)
        return convert.msg_to_document(self.call("GetDocument", req))

    def trace(self, text: str, options: TraceOptions | None = None, **overrides: Any) -> TraceResult:
        """``Index.trace`` on the server (``TraceOptions`` and/or its fields by keyword); options not
        given take the server library's defaults, and the server validates the ones given."""
        req = pb.TraceRequest(index=self.index, text=text, **convert.option_values(TraceOptions, options, overrides))
        return convert.msg_to_trace_result(self.call("Trace", req))

    def score(self, rows: list[dict | ScoreInput], k: float | None = None, a: float | None = None,
              tokenizer_fingerprint: str | None = None, *, options: ScoreOptions | None = None,
              reference_scores: bool | None = None) -> list[MembershipScore]:
        """``tracer.membership.score(index, rows, ...)`` on the server: rows with token_ids and logprobs
        (dicts as in a log-probs file, or ScoreInput). Rows are validated here first, and again there.
        ``reference_scores=True``: also infgram_ref and its variants, the served index being the reference."""
        items = []
        for i, row in enumerate(rows):
            inp = row if isinstance(row, ScoreInput) else parse_row(row, f"rows[{i}]", str(i),
                                                                     "label" if "label" in row else None)
            items.append(convert.score_input_to_msg(inp))
        values = convert.option_values(ScoreOptions, options, {"k": k, "a": a, "reference_scores": reference_scores})
        return self._score(items, values, tokenizer_fingerprint)

    def score_texts(self, texts: list[str], ids: list[str] | None = None, k: float | None = None,
                    a: float | None = None, *, options: ScoreOptions | None = None) -> list[MembershipScore]:
        """Scores of texts run through the server's model (FAILED_PRECONDITION when it has none)."""
        items = [pb.ScoreItem(id=ids[i] if ids else str(i), text=t) for i, t in enumerate(texts)]
        return self._score(items, convert.option_values(ScoreOptions, options, {"k": k, "a": a}), None)

    def _score(self, items: list[pb.ScoreItem], values: dict[str, Any], fp: str | None) -> list[MembershipScore]:
        req = pb.ScoreRequest(index=self.index, items=items, tokenizer_fingerprint=fp or "", **values)
        return [convert.msg_to_membership(m) for m in self.call("ScoreMembership", req).scores]

    def contamination(self, items: Iterable[BenchItem | dict], options: CheckOptions | None = None) -> list[ItemResult]:
        """``tracer.contamination.check_items(index, items, options)`` on the server, one request."""
        request = self._contamination_request(items, options)
        return [convert.msg_to_item_result(m) for m in self.call("CheckContamination", request).results]

    def contamination_stream(self, items: Iterable[BenchItem | dict], options: CheckOptions | None = None,
                             timeout: float | None = None) -> Iterator[ItemResult]:
        """Like ``contamination`` for a whole benchmark: each result arrives, in item order, as soon as
        its item is checked.

        No deadline unless ``timeout`` is given (a large benchmark can take minutes)."""
        stream = self.stub.StreamContamination(self._contamination_request(items, options), timeout=timeout,
                                               metadata=self._metadata)
        for m in stream:
            yield convert.msg_to_item_result(m)

    def _contamination_request(self, items: Iterable[BenchItem | dict], options: CheckOptions | None):
        return pb.ContaminationRequest(index=self.index, items=[convert.bench_item_to_msg(i) for i in items],
                                       options=convert.options_to_msg(options))

    # -- the corpus as a language model, AND/OR search ------------------------------------
    def _ngram(self, kind: str, context: Query, token: str | int | None = None,
               values: dict[str, Any] | None = None) -> pb.NgramResponse:
        req = pb.NgramRequest(index=self.index, kind=convert.NGRAM_KINDS[kind], context=self.query_message(context),
                              **(values or {}))
        if token is not None:
            req.token.CopyFrom(convert.token_to_msg(token, self.fingerprint))
        return self.call("Ngram", req)

    def prob(self, context: Query, token: str | int) -> NgramProb:
        """``Index.prob`` on the server."""
        return convert.msg_to_ngram_prob(self._ngram("prob", context, token).prob)

    def infgram_prob(self, context: Query, token: str | int) -> NgramProb:
        return convert.msg_to_ngram_prob(self._ngram("infgram_prob", context, token).prob)

    def ntd(self, context: Query, options: NgramOptions | None = None, **overrides: Any) -> NextTokenDistribution:
        """``Index.ntd`` on the server (``NgramOptions`` and/or its fields by keyword)."""
        values = convert.option_values(NgramOptions, options, overrides)
        return convert.msg_to_ntd(self._ngram("ntd", context, None, values).ntd)

    def infgram_ntd(self, context: Query, options: NgramOptions | None = None,
                    **overrides: Any) -> NextTokenDistribution:
        values = convert.option_values(NgramOptions, options, overrides)
        return convert.msg_to_ntd(self._ngram("infgram_ntd", context, None, values).ntd)

    def infgram_logprobs(self, tokens: Query, max_suffix: int | None = None) -> InfgramLogprobs:
        """``Index.infgram_logprobs`` on the server."""
        req = pb.InfgramLogprobsRequest(index=self.index, tokens=self.query_message(tokens))
        if max_suffix is not None:
            req.max_suffix = max_suffix
        return convert.msg_to_infgram_logprobs(self.call("InfgramLogprobs", req))

    def search(self, cnf: str | Sequence[Sequence[Query]], options: SearchOptions | None = None,
               **overrides: Any) -> SearchResult:
        """``Index.search`` on the server (``SearchOptions`` and/or its fields by keyword)."""
        req = pb.SearchRequest(index=self.index, **convert.cnf_to_msg(cnf, self.fingerprint),
                               **convert.option_values(SearchOptions, options, overrides))
        return convert.msg_to_search_result(self.call("Search", req))

    def find_similar(self, text: str, limit: int = 10, options: Any | None = None, **overrides: Any) -> list:
        """``Index.find_similar`` on the server: passages similar to ``text``, best first (``SoftMatch``)."""
        return self.find_similar_many([text], limit, options, **overrides)[0]

    def find_similar_many(self, texts: Sequence[str], limit: int = 10, options: Any | None = None,
                          **overrides: Any) -> list[list]:
        """``Index.find_similar_many`` on the server (one request; ``SoftOptions`` and/or its fields by keyword)."""
        from tracer.wire import soft as soft_wire

        resp = self.call("FindSimilar", soft_wire.request(self.index, list(texts), limit, options, overrides))
        return soft_wire.from_response(resp)

    def overlap(self, documents: Iterable[str | tuple[str, str]], options: Any | None = None,
                **overrides: Any) -> tuple[list, dict]:
        """``Index.overlap`` of posted documents (texts or (id, text) pairs) on the server: per-document
        rows (``DocOverlap``) and the summary. Options: an ``OverlapOptions`` and/or its fields by keyword."""
        from tracer.wire import overlap as overlap_wire

        req = pb.OverlapRequest(index=self.index, documents=overlap_wire.documents_to_msgs(documents),
                                options=overlap_wire.options_to_msg(options, overrides))
        return overlap_wire.from_response(self.call("Overlap", req))
