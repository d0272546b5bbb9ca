"""``TracerClient``: the ``Index`` query methods over gRPC, returning the same result types.

    from tracer.client import TracerClient
    with TracerClient("127.0.0.1:50051", token="s3cret") as tc:
        tc.count("def __init__(self")          # -> int, same as Index.count
        tc.find("def __init__(self", limit=3)  # -> FindResult with DocSpan occurrences

Errors are ``grpc.RpcError`` carrying the server's status code (INVALID_ARGUMENT for an empty
query, NOT_FOUND for an unknown document or index, UNAUTHENTICATED for a bad token, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np

from tracer.index.reader import DocumentRecord
from tracer.query.find import FindResult
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
    """

    def __init__(self, address: str, token: str | None = None, tls: bool | ClientTLS | None = None, *,
                 index: str = "", timeout: float | None = 60.0, fingerprint: str = "",
                 max_message_bytes: int = 256 * MiB):
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
