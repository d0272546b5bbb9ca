"""``TracerClient``: the ``Index`` query methods over gRPC, returning the same result types.

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
from tracer.membership.scoring import MembershipScore
from tracer.query.find import FindResult
from tracer.query.trace import TraceResult
from tracer.v1 import convert
from tracer.v1 import tracer_pb2 as pb
from tracer.v1 import tracer_pb2_grpc as pb_grpc

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
    Given a list of several addresses (shard groups of one index, in corpus order) it returns a
    ``tracer.fanout.FanOutClient`` with the same methods, which merges the groups' answers.
    """

    def __new__(cls, address: str | Sequence[str], *args: Any, **kwargs: Any) -> Any:
        if not isinstance(address, str) and len(address) != 1:
            from tracer.fanout import FanOutClient

            return FanOutClient(address, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, address: str | Sequence[str], token: str | None = None, tls: bool | ClientTLS | None = None, *,
                 index: str = "", timeout: float | None = 60.0, fingerprint: str = "",
                 max_message_bytes: int = 256 * MiB):
        if not isinstance(address, str):
            (address,) = address
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

    # -- plumbing ----------------------------------------------------------------------
    def _call(self, method, request):
        return method(request, timeout=self.timeout, metadata=self._metadata)

    def future(self, method, request) -> grpc.Future:
        """``method`` called without waiting (the fan-out client sends to every group at once)."""
        return method.future(request, timeout=self.timeout, metadata=self._metadata)

    def _q(self, query: Query) -> pb.Query:
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
        return convert.loads_json(self._call(self.stub.Info, pb.InfoRequest(index=self.index)).info_json, "info_json")

    def server_info(self) -> pb.InfoResponse:
        """The full Info message: index names, tokenizer fingerprint, vocabulary size."""
        return self._call(self.stub.Info, pb.InfoRequest(index=self.index))

    def count(self, query: Query) -> int:
        return int(self._call(self.stub.Count, pb.CountRequest(index=self.index, queries=[self._q(query)])).counts[0])

    def count_many(self, queries: list[Query]) -> list[int]:
        req = pb.CountRequest(index=self.index, queries=[self._q(q) for q in queries])
        return [int(c) for c in self._call(self.stub.Count, req).counts]

    def find(self, query: Query, limit: int = 10, context: int = 80) -> FindResult:
        req = pb.FindRequest(index=self.index, query=self._q(query), limit=limit, context=context)
        resp = self._call(self.stub.Find, req)
        return FindResult(int(resp.count), [convert.msg_to_docspan(m) for m in resp.occurrences])

    def document(self, doc_id: str | int) -> DocumentRecord:
        if isinstance(doc_id, int):
            req = pb.GetDocumentRequest(index=self.index, doc_index=doc_id)
        else:
            req = pb.GetDocumentRequest(index=self.index, doc_id=doc_id)
        return convert.msg_to_document(self._call(self.stub.GetDocument, req))

    def trace(self, text: str, *, max_count: int | None = None, min_len: int | None = None,
              delimiters: str | None = None, rank: str | None = None, k: int | None = None,
              all_spans: bool = False, max_docs: int | None = None, context: int | None = None) -> TraceResult:
        """``Index.trace`` on the server; options left as None take the library's defaults."""
        opts = {"max_count": max_count, "min_len": min_len, "delimiters": delimiters, "rank": rank, "k": k,
                "max_docs": max_docs, "context": context}
        req = pb.TraceRequest(index=self.index, text=text, all_spans=all_spans,
                              **{name: v for name, v in opts.items() if v is not None})
        return convert.msg_to_trace_result(self._call(self.stub.Trace, req))

    def score(self, rows: list[dict | ScoreInput], k: float = 0.2, a: float = 0.01,
              tokenizer_fingerprint: str | None = None) -> list[MembershipScore]:
        """``tracer.membership.score(index, rows, ...)`` on the server: rows with token_ids and logprobs
        (dicts as in a log-probs file, or ScoreInput). Rows are validated here first, and again there."""
        items = []
        for i, row in enumerate(rows):
            inp = row if isinstance(row, ScoreInput) else parse_row(row, f"rows[{i}]", str(i),
                                                                     "label" if "label" in row else None)
            items.append(convert.score_input_to_msg(inp))
        return self._score(items, k, a, tokenizer_fingerprint)

    def score_texts(self, texts: list[str], ids: list[str] | None = None, k: float = 0.2,
                    a: float = 0.01) -> list[MembershipScore]:
        """Scores of texts run through the server's model (FAILED_PRECONDITION when it has none)."""
        items = [pb.ScoreItem(id=ids[i] if ids else str(i), text=t) for i, t in enumerate(texts)]
        return self._score(items, k, a, None)

    def _score(self, items: list[pb.ScoreItem], k: float, a: float, fp: str | None) -> list[MembershipScore]:
        req = pb.ScoreRequest(index=self.index, items=items, k=k, a=a, tokenizer_fingerprint=fp or "")
        return [convert.msg_to_membership(m) for m in self._call(self.stub.ScoreMembership, req).scores]

    def contamination(self, items: Iterable[BenchItem | dict], options: CheckOptions | None = None) -> list[ItemResult]:
        """``tracer.contamination.check_items(index, items, options)`` on the server, one request."""
        return [convert.msg_to_item_result(m) for m in self._call(self.stub.CheckContamination,
                                                                   self._contamination_request(items, options)).results]

    def contamination_stream(self, items: Iterable[BenchItem | dict], options: CheckOptions | None = None,
                             timeout: float | None = None) -> Iterator[ItemResult]:
        """Like ``contamination`` for a whole benchmark: results arrive in item order as batches finish.

        No deadline unless ``timeout`` is given (a large benchmark can take minutes)."""
        stream = self.stub.StreamContamination(self._contamination_request(items, options), timeout=timeout,
                                               metadata=self._metadata)
        for m in stream:
            yield convert.msg_to_item_result(m)

    def _contamination_request(self, items: Iterable[BenchItem | dict], options: CheckOptions | None):
        return pb.ContaminationRequest(index=self.index, items=[convert.bench_item_to_msg(i) for i in items],
                                       options=convert.options_to_msg(options))
