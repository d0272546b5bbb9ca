from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TokenDtype(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOKEN_DTYPE_UNSPECIFIED: _ClassVar[TokenDtype]
    TOKEN_DTYPE_UINT8: _ClassVar[TokenDtype]
    TOKEN_DTYPE_UINT16: _ClassVar[TokenDtype]
    TOKEN_DTYPE_UINT32: _ClassVar[TokenDtype]
TOKEN_DTYPE_UNSPECIFIED: TokenDtype
TOKEN_DTYPE_UINT8: TokenDtype
TOKEN_DTYPE_UINT16: TokenDtype
TOKEN_DTYPE_UINT32: TokenDtype

class TokenIds(_message.Message):
    __slots__ = ("data", "dtype", "tokenizer_fingerprint")
    DATA_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    TOKENIZER_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    dtype: TokenDtype
    tokenizer_fingerprint: str
    def __init__(self, data: _Optional[bytes] = ..., dtype: _Optional[_Union[TokenDtype, str]] = ..., tokenizer_fingerprint: _Optional[str] = ...) -> None: ...

class Query(_message.Message):
    __slots__ = ("text", "tokens")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    text: str
    tokens: TokenIds
    def __init__(self, text: _Optional[str] = ..., tokens: _Optional[_Union[TokenIds, _Mapping]] = ...) -> None: ...

class InfoRequest(_message.Message):
    __slots__ = ("index",)
    INDEX_FIELD_NUMBER: _ClassVar[int]
    index: str
    def __init__(self, index: _Optional[str] = ...) -> None: ...

class InfoResponse(_message.Message):
    __slots__ = ("name", "index_names", "n_tokens", "n_docs", "n_shards", "dtype", "vocab_size", "separator", "tokenizer_fingerprint", "normalization", "info_json", "server_version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INDEX_NAMES_FIELD_NUMBER: _ClassVar[int]
    N_TOKENS_FIELD_NUMBER: _ClassVar[int]
    N_DOCS_FIELD_NUMBER: _ClassVar[int]
    N_SHARDS_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    VOCAB_SIZE_FIELD_NUMBER: _ClassVar[int]
    SEPARATOR_FIELD_NUMBER: _ClassVar[int]
    TOKENIZER_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    NORMALIZATION_FIELD_NUMBER: _ClassVar[int]
    INFO_JSON_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    index_names: _containers.RepeatedScalarFieldContainer[str]
    n_tokens: int
    n_docs: int
    n_shards: int
    dtype: str
    vocab_size: int
    separator: int
    tokenizer_fingerprint: str
    normalization: str
    info_json: str
    server_version: str
    def __init__(self, name: _Optional[str] = ..., index_names: _Optional[_Iterable[str]] = ..., n_tokens: _Optional[int] = ..., n_docs: _Optional[int] = ..., n_shards: _Optional[int] = ..., dtype: _Optional[str] = ..., vocab_size: _Optional[int] = ..., separator: _Optional[int] = ..., tokenizer_fingerprint: _Optional[str] = ..., normalization: _Optional[str] = ..., info_json: _Optional[str] = ..., server_version: _Optional[str] = ...) -> None: ...

class CountRequest(_message.Message):
    __slots__ = ("index", "queries")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    QUERIES_FIELD_NUMBER: _ClassVar[int]
    index: str
    queries: _containers.RepeatedCompositeFieldContainer[Query]
    def __init__(self, index: _Optional[str] = ..., queries: _Optional[_Iterable[_Union[Query, _Mapping]]] = ...) -> None: ...

class CountResponse(_message.Message):
    __slots__ = ("counts",)
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, counts: _Optional[_Iterable[int]] = ...) -> None: ...

class DocSpan(_message.Message):
    __slots__ = ("doc_index", "doc_id", "meta_json", "shard", "token_start", "token_end", "char_start", "char_end", "snippet", "snippet_start")
    DOC_INDEX_FIELD_NUMBER: _ClassVar[int]
    DOC_ID_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    TOKEN_START_FIELD_NUMBER: _ClassVar[int]
    TOKEN_END_FIELD_NUMBER: _ClassVar[int]
    CHAR_START_FIELD_NUMBER: _ClassVar[int]
    CHAR_END_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_START_FIELD_NUMBER: _ClassVar[int]
    doc_index: int
    doc_id: str
    meta_json: str
    shard: int
    token_start: int
    token_end: int
    char_start: int
    char_end: int
    snippet: str
    snippet_start: int
    def __init__(self, doc_index: _Optional[int] = ..., doc_id: _Optional[str] = ..., meta_json: _Optional[str] = ..., shard: _Optional[int] = ..., token_start: _Optional[int] = ..., token_end: _Optional[int] = ..., char_start: _Optional[int] = ..., char_end: _Optional[int] = ..., snippet: _Optional[str] = ..., snippet_start: _Optional[int] = ...) -> None: ...

class FindRequest(_message.Message):
    __slots__ = ("index", "query", "limit", "context")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    index: str
    query: Query
    limit: int
    context: int
    def __init__(self, index: _Optional[str] = ..., query: _Optional[_Union[Query, _Mapping]] = ..., limit: _Optional[int] = ..., context: _Optional[int] = ...) -> None: ...

class FindResponse(_message.Message):
    __slots__ = ("count", "occurrences")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    count: int
    occurrences: _containers.RepeatedCompositeFieldContainer[DocSpan]
    def __init__(self, count: _Optional[int] = ..., occurrences: _Optional[_Iterable[_Union[DocSpan, _Mapping]]] = ...) -> None: ...

class GetDocumentRequest(_message.Message):
    __slots__ = ("index", "doc_id", "doc_index")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    DOC_ID_FIELD_NUMBER: _ClassVar[int]
    DOC_INDEX_FIELD_NUMBER: _ClassVar[int]
    index: str
    doc_id: str
    doc_index: int
    def __init__(self, index: _Optional[str] = ..., doc_id: _Optional[str] = ..., doc_index: _Optional[int] = ...) -> None: ...

class Document(_message.Message):
    __slots__ = ("doc_index", "doc_id", "meta_json", "text", "n_tokens", "shard")
    DOC_INDEX_FIELD_NUMBER: _ClassVar[int]
    DOC_ID_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    N_TOKENS_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    doc_index: int
    doc_id: str
    meta_json: str
    text: str
    n_tokens: int
    shard: int
    def __init__(self, doc_index: _Optional[int] = ..., doc_id: _Optional[str] = ..., meta_json: _Optional[str] = ..., text: _Optional[str] = ..., n_tokens: _Optional[int] = ..., shard: _Optional[int] = ...) -> None: ...
