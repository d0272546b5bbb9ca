"""Library values <-> tracer.v1 messages, shared by the server and the client.

Kept next to the generated stubs because it *is* the wire format: token ids as packed
little-endian bytes, free-form metadata as JSON text, and the result dataclasses of the
library rebuilt on the client so that a remote answer compares equal to a local one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from tracer.errors import InputError, MismatchError
from tracer.index.reader import DocumentRecord
from tracer.query.documents import DocSpan
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
