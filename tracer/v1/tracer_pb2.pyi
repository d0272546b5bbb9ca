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

class NgramKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NGRAM_KIND_UNSPECIFIED: _ClassVar[NgramKind]
    NGRAM_KIND_PROB: _ClassVar[NgramKind]
    NGRAM_KIND_NTD: _ClassVar[NgramKind]
    NGRAM_KIND_INFGRAM_PROB: _ClassVar[NgramKind]
    NGRAM_KIND_INFGRAM_NTD: _ClassVar[NgramKind]
TOKEN_DTYPE_UNSPECIFIED: TokenDtype
TOKEN_DTYPE_UINT8: TokenDtype
TOKEN_DTYPE_UINT16: TokenDtype
TOKEN_DTYPE_UINT32: TokenDtype
NGRAM_KIND_UNSPECIFIED: NgramKind
NGRAM_KIND_PROB: NgramKind
NGRAM_KIND_NTD: NgramKind
NGRAM_KIND_INFGRAM_PROB: NgramKind
NGRAM_KIND_INFGRAM_NTD: NgramKind

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

class TraceRequest(_message.Message):
    __slots__ = ("index", "text", "max_count", "min_len", "delimiters", "rank", "k", "all_spans", "max_docs", "context", "token_stats")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    MAX_COUNT_FIELD_NUMBER: _ClassVar[int]
    MIN_LEN_FIELD_NUMBER: _ClassVar[int]
    DELIMITERS_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    ALL_SPANS_FIELD_NUMBER: _ClassVar[int]
    MAX_DOCS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_STATS_FIELD_NUMBER: _ClassVar[int]
    index: str
    text: str
    max_count: int
    min_len: int
    delimiters: str
    rank: str
    k: int
    all_spans: bool
    max_docs: int
    context: int
    token_stats: bool
    def __init__(self, index: _Optional[str] = ..., text: _Optional[str] = ..., max_count: _Optional[int] = ..., min_len: _Optional[int] = ..., delimiters: _Optional[str] = ..., rank: _Optional[str] = ..., k: _Optional[int] = ..., all_spans: _Optional[bool] = ..., max_docs: _Optional[int] = ..., context: _Optional[int] = ..., token_stats: _Optional[bool] = ...) -> None: ...

class TracedDocument(_message.Message):
    __slots__ = ("doc_index", "doc_id", "meta_json", "char_start", "char_end", "snippet", "snippet_start", "score")
    DOC_INDEX_FIELD_NUMBER: _ClassVar[int]
    DOC_ID_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    CHAR_START_FIELD_NUMBER: _ClassVar[int]
    CHAR_END_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_START_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    doc_index: int
    doc_id: str
    meta_json: str
    char_start: int
    char_end: int
    snippet: str
    snippet_start: int
    score: float
    def __init__(self, doc_index: _Optional[int] = ..., doc_id: _Optional[str] = ..., meta_json: _Optional[str] = ..., char_start: _Optional[int] = ..., char_end: _Optional[int] = ..., snippet: _Optional[str] = ..., snippet_start: _Optional[int] = ..., score: _Optional[float] = ...) -> None: ...

class TracedSpan(_message.Message):
    __slots__ = ("start_char", "end_char", "start_token", "end_token", "text", "count", "unigram_logprob", "documents")
    START_CHAR_FIELD_NUMBER: _ClassVar[int]
    END_CHAR_FIELD_NUMBER: _ClassVar[int]
    START_TOKEN_FIELD_NUMBER: _ClassVar[int]
    END_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    UNIGRAM_LOGPROB_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    start_char: int
    end_char: int
    start_token: int
    end_token: int
    text: str
    count: int
    unigram_logprob: float
    documents: _containers.RepeatedCompositeFieldContainer[TracedDocument]
    def __init__(self, start_char: _Optional[int] = ..., end_char: _Optional[int] = ..., start_token: _Optional[int] = ..., end_token: _Optional[int] = ..., text: _Optional[str] = ..., count: _Optional[int] = ..., unigram_logprob: _Optional[float] = ..., documents: _Optional[_Iterable[_Union[TracedDocument, _Mapping]]] = ...) -> None: ...

class CharRange(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class TraceResponse(_message.Message):
    __slots__ = ("spans", "highlights", "n_tokens", "token_ids", "unigram_counts", "unigram_total", "unigram_vocab")
    SPANS_FIELD_NUMBER: _ClassVar[int]
    HIGHLIGHTS_FIELD_NUMBER: _ClassVar[int]
    N_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_IDS_FIELD_NUMBER: _ClassVar[int]
    UNIGRAM_COUNTS_FIELD_NUMBER: _ClassVar[int]
    UNIGRAM_TOTAL_FIELD_NUMBER: _ClassVar[int]
    UNIGRAM_VOCAB_FIELD_NUMBER: _ClassVar[int]
    spans: _containers.RepeatedCompositeFieldContainer[TracedSpan]
    highlights: _containers.RepeatedCompositeFieldContainer[CharRange]
    n_tokens: int
    token_ids: TokenIds
    unigram_counts: _containers.RepeatedScalarFieldContainer[int]
    unigram_total: int
    unigram_vocab: int
    def __init__(self, spans: _Optional[_Iterable[_Union[TracedSpan, _Mapping]]] = ..., highlights: _Optional[_Iterable[_Union[CharRange, _Mapping]]] = ..., n_tokens: _Optional[int] = ..., token_ids: _Optional[_Union[TokenIds, _Mapping]] = ..., unigram_counts: _Optional[_Iterable[int]] = ..., unigram_total: _Optional[int] = ..., unigram_vocab: _Optional[int] = ...) -> None: ...

class ScoreItem(_message.Message):
    __slots__ = ("id", "token_ids", "logprobs", "logprob_mean", "logprob_var", "text", "label", "prefix_logprobs")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_IDS_FIELD_NUMBER: _ClassVar[int]
    LOGPROBS_FIELD_NUMBER: _ClassVar[int]
    LOGPROB_MEAN_FIELD_NUMBER: _ClassVar[int]
    LOGPROB_VAR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LOGPROBS_FIELD_NUMBER: _ClassVar[int]
    id: str
    token_ids: TokenIds
    logprobs: bytes
    logprob_mean: bytes
    logprob_var: bytes
    text: str
    label: int
    prefix_logprobs: bytes
    def __init__(self, id: _Optional[str] = ..., token_ids: _Optional[_Union[TokenIds, _Mapping]] = ..., logprobs: _Optional[bytes] = ..., logprob_mean: _Optional[bytes] = ..., logprob_var: _Optional[bytes] = ..., text: _Optional[str] = ..., label: _Optional[int] = ..., prefix_logprobs: _Optional[bytes] = ...) -> None: ...

class ScoreRequest(_message.Message):
    __slots__ = ("index", "items", "k", "a", "tokenizer_fingerprint", "reference_scores")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    A_FIELD_NUMBER: _ClassVar[int]
    TOKENIZER_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_SCORES_FIELD_NUMBER: _ClassVar[int]
    index: str
    items: _containers.RepeatedCompositeFieldContainer[ScoreItem]
    k: float
    a: float
    tokenizer_fingerprint: str
    reference_scores: bool
    def __init__(self, index: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ScoreItem, _Mapping]]] = ..., k: _Optional[float] = ..., a: _Optional[float] = ..., tokenizer_fingerprint: _Optional[str] = ..., reference_scores: _Optional[bool] = ...) -> None: ...

class MembershipScore(_message.Message):
    __slots__ = ("id", "loss", "zlib", "min_k", "min_k_pp", "dc_pdd", "n_tokens", "unavailable", "label", "infgram_ref", "infgram_ref_min_k", "infgram_ref_cap1", "recall")
    ID_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    ZLIB_FIELD_NUMBER: _ClassVar[int]
    MIN_K_FIELD_NUMBER: _ClassVar[int]
    MIN_K_PP_FIELD_NUMBER: _ClassVar[int]
    DC_PDD_FIELD_NUMBER: _ClassVar[int]
    N_TOKENS_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    INFGRAM_REF_FIELD_NUMBER: _ClassVar[int]
    INFGRAM_REF_MIN_K_FIELD_NUMBER: _ClassVar[int]
    INFGRAM_REF_CAP1_FIELD_NUMBER: _ClassVar[int]
    RECALL_FIELD_NUMBER: _ClassVar[int]
    id: str
    loss: float
    zlib: float
    min_k: float
    min_k_pp: float
    dc_pdd: float
    n_tokens: int
    unavailable: _containers.RepeatedScalarFieldContainer[str]
    label: int
    infgram_ref: float
    infgram_ref_min_k: float
    infgram_ref_cap1: float
    recall: float
    def __init__(self, id: _Optional[str] = ..., loss: _Optional[float] = ..., zlib: _Optional[float] = ..., min_k: _Optional[float] = ..., min_k_pp: _Optional[float] = ..., dc_pdd: _Optional[float] = ..., n_tokens: _Optional[int] = ..., unavailable: _Optional[_Iterable[str]] = ..., label: _Optional[int] = ..., infgram_ref: _Optional[float] = ..., infgram_ref_min_k: _Optional[float] = ..., infgram_ref_cap1: _Optional[float] = ..., recall: _Optional[float] = ...) -> None: ...

class ScoreResponse(_message.Message):
    __slots__ = ("scores",)
    SCORES_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedCompositeFieldContainer[MembershipScore]
    def __init__(self, scores: _Optional[_Iterable[_Union[MembershipScore, _Mapping]]] = ...) -> None: ...

class BenchItem(_message.Message):
    __slots__ = ("id", "benchmark", "split", "input", "label", "source")
    ID_FIELD_NUMBER: _ClassVar[int]
    BENCHMARK_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    benchmark: str
    split: str
    input: str
    label: str
    source: str
    def __init__(self, id: _Optional[str] = ..., benchmark: _Optional[str] = ..., split: _Optional[str] = ..., input: _Optional[str] = ..., label: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class ContaminationOptions(_message.Message):
    __slots__ = ("ngram", "skip_budget", "gpt3_ngram", "clean_below", "dirty_from", "method", "threshold", "part", "max_documents", "max_spans", "context", "template_items", "json_variants", "soft", "soft_threshold", "soft_model")
    NGRAM_FIELD_NUMBER: _ClassVar[int]
    SKIP_BUDGET_FIELD_NUMBER: _ClassVar[int]
    GPT3_NGRAM_FIELD_NUMBER: _ClassVar[int]
    CLEAN_BELOW_FIELD_NUMBER: _ClassVar[int]
    DIRTY_FROM_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    MAX_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MAX_SPANS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ITEMS_FIELD_NUMBER: _ClassVar[int]
    JSON_VARIANTS_FIELD_NUMBER: _ClassVar[int]
    SOFT_FIELD_NUMBER: _ClassVar[int]
    SOFT_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SOFT_MODEL_FIELD_NUMBER: _ClassVar[int]
    ngram: int
    skip_budget: int
    gpt3_ngram: int
    clean_below: float
    dirty_from: float
    method: str
    threshold: float
    part: str
    max_documents: int
    max_spans: int
    context: int
    template_items: int
    json_variants: bool
    soft: bool
    soft_threshold: float
    soft_model: str
    def __init__(self, ngram: _Optional[int] = ..., skip_budget: _Optional[int] = ..., gpt3_ngram: _Optional[int] = ..., clean_below: _Optional[float] = ..., dirty_from: _Optional[float] = ..., method: _Optional[str] = ..., threshold: _Optional[float] = ..., part: _Optional[str] = ..., max_documents: _Optional[int] = ..., max_spans: _Optional[int] = ..., context: _Optional[int] = ..., template_items: _Optional[int] = ..., json_variants: _Optional[bool] = ..., soft: _Optional[bool] = ..., soft_threshold: _Optional[float] = ..., soft_model: _Optional[str] = ...) -> None: ...

class ContaminationRequest(_message.Message):
    __slots__ = ("index", "items", "options")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    index: str
    items: _containers.RepeatedCompositeFieldContainer[BenchItem]
    options: ContaminationOptions
    def __init__(self, index: _Optional[str] = ..., items: _Optional[_Iterable[_Union[BenchItem, _Mapping]]] = ..., options: _Optional[_Union[ContaminationOptions, _Mapping]] = ...) -> None: ...

class PartMetrics(_message.Message):
    __slots__ = ("part", "words", "tokens", "ngram", "covered_words", "covered_tokens", "skip_words", "ngram_hits", "ngram_slots", "longest_match", "longest_match_count", "any_13gram", "spans", "text", "longest_match_text", "template_words", "content_words", "matched_content_words")
    PART_FIELD_NUMBER: _ClassVar[int]
    WORDS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    NGRAM_FIELD_NUMBER: _ClassVar[int]
    COVERED_WORDS_FIELD_NUMBER: _ClassVar[int]
    COVERED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    SKIP_WORDS_FIELD_NUMBER: _ClassVar[int]
    NGRAM_HITS_FIELD_NUMBER: _ClassVar[int]
    NGRAM_SLOTS_FIELD_NUMBER: _ClassVar[int]
    LONGEST_MATCH_FIELD_NUMBER: _ClassVar[int]
    LONGEST_MATCH_COUNT_FIELD_NUMBER: _ClassVar[int]
    ANY_13GRAM_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LONGEST_MATCH_TEXT_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_WORDS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_WORDS_FIELD_NUMBER: _ClassVar[int]
    MATCHED_CONTENT_WORDS_FIELD_NUMBER: _ClassVar[int]
    part: str
    words: int
    tokens: int
    ngram: int
    covered_words: int
    covered_tokens: int
    skip_words: int
    ngram_hits: int
    ngram_slots: int
    longest_match: int
    longest_match_count: int
    any_13gram: bool
    spans: _containers.RepeatedCompositeFieldContainer[CharRange]
    text: str
    longest_match_text: str
    template_words: int
    content_words: int
    matched_content_words: int
    def __init__(self, part: _Optional[str] = ..., words: _Optional[int] = ..., tokens: _Optional[int] = ..., ngram: _Optional[int] = ..., covered_words: _Optional[int] = ..., covered_tokens: _Optional[int] = ..., skip_words: _Optional[int] = ..., ngram_hits: _Optional[int] = ..., ngram_slots: _Optional[int] = ..., longest_match: _Optional[int] = ..., longest_match_count: _Optional[int] = ..., any_13gram: _Optional[bool] = ..., spans: _Optional[_Iterable[_Union[CharRange, _Mapping]]] = ..., text: _Optional[str] = ..., longest_match_text: _Optional[str] = ..., template_words: _Optional[int] = ..., content_words: _Optional[int] = ..., matched_content_words: _Optional[int] = ...) -> None: ...

class MatchedSpan(_message.Message):
    __slots__ = ("part", "start", "end", "words", "count", "char_start", "char_end", "snippet", "snippet_start")
    PART_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    WORDS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    CHAR_START_FIELD_NUMBER: _ClassVar[int]
    CHAR_END_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_START_FIELD_NUMBER: _ClassVar[int]
    part: str
    start: int
    end: int
    words: int
    count: int
    char_start: int
    char_end: int
    snippet: str
    snippet_start: int
    def __init__(self, part: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., words: _Optional[int] = ..., count: _Optional[int] = ..., char_start: _Optional[int] = ..., char_end: _Optional[int] = ..., snippet: _Optional[str] = ..., snippet_start: _Optional[int] = ...) -> None: ...

class DocumentMatch(_message.Message):
    __slots__ = ("doc_index", "doc_id", "meta_json", "matched_words", "spans")
    DOC_INDEX_FIELD_NUMBER: _ClassVar[int]
    DOC_ID_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    MATCHED_WORDS_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    doc_index: int
    doc_id: str
    meta_json: str
    matched_words: int
    spans: _containers.RepeatedCompositeFieldContainer[MatchedSpan]
    def __init__(self, doc_index: _Optional[int] = ..., doc_id: _Optional[str] = ..., meta_json: _Optional[str] = ..., matched_words: _Optional[int] = ..., spans: _Optional[_Iterable[_Union[MatchedSpan, _Mapping]]] = ...) -> None: ...

class ItemResult(_message.Message):
    __slots__ = ("item", "parts", "documents", "contaminated", "category", "short", "verdict_on", "method", "note", "match", "soft", "soft_note", "soft_checked")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    CONTAMINATED_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SHORT_FIELD_NUMBER: _ClassVar[int]
    VERDICT_ON_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    SOFT_FIELD_NUMBER: _ClassVar[int]
    SOFT_NOTE_FIELD_NUMBER: _ClassVar[int]
    SOFT_CHECKED_FIELD_NUMBER: _ClassVar[int]
    item: BenchItem
    parts: _containers.RepeatedCompositeFieldContainer[PartMetrics]
    documents: _containers.RepeatedCompositeFieldContainer[DocumentMatch]
    contaminated: bool
    category: str
    short: bool
    verdict_on: str
    method: str
    note: str
    match: str
    soft: SoftMatch
    soft_note: str
    soft_checked: bool
    def __init__(self, item: _Optional[_Union[BenchItem, _Mapping]] = ..., parts: _Optional[_Iterable[_Union[PartMetrics, _Mapping]]] = ..., documents: _Optional[_Iterable[_Union[DocumentMatch, _Mapping]]] = ..., contaminated: _Optional[bool] = ..., category: _Optional[str] = ..., short: _Optional[bool] = ..., verdict_on: _Optional[str] = ..., method: _Optional[str] = ..., note: _Optional[str] = ..., match: _Optional[str] = ..., soft: _Optional[_Union[SoftMatch, _Mapping]] = ..., soft_note: _Optional[str] = ..., soft_checked: _Optional[bool] = ...) -> None: ...

class ContaminationResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ItemResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ItemResult, _Mapping]]] = ...) -> None: ...

class NgramRequest(_message.Message):
    __slots__ = ("index", "kind", "context", "token", "max_support")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    MAX_SUPPORT_FIELD_NUMBER: _ClassVar[int]
    index: str
    kind: NgramKind
    context: Query
    token: Query
    max_support: int
    def __init__(self, index: _Optional[str] = ..., kind: _Optional[_Union[NgramKind, str]] = ..., context: _Optional[_Union[Query, _Mapping]] = ..., token: _Optional[_Union[Query, _Mapping]] = ..., max_support: _Optional[int] = ...) -> None: ...

class NgramProb(_message.Message):
    __slots__ = ("prob", "count_context", "count_full", "token", "context_len")
    PROB_FIELD_NUMBER: _ClassVar[int]
    COUNT_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FULL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_LEN_FIELD_NUMBER: _ClassVar[int]
    prob: float
    count_context: int
    count_full: int
    token: int
    context_len: int
    def __init__(self, prob: _Optional[float] = ..., count_context: _Optional[int] = ..., count_full: _Optional[int] = ..., token: _Optional[int] = ..., context_len: _Optional[int] = ...) -> None: ...

class Continuation(_message.Message):
    __slots__ = ("token", "text", "count", "prob")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PROB_FIELD_NUMBER: _ClassVar[int]
    token: int
    text: str
    count: int
    prob: float
    def __init__(self, token: _Optional[int] = ..., text: _Optional[str] = ..., count: _Optional[int] = ..., prob: _Optional[float] = ...) -> None: ...

class NextTokenDistribution(_message.Message):
    __slots__ = ("count_context", "context_len", "approximate", "support", "doc_end", "continuations")
    COUNT_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_LEN_FIELD_NUMBER: _ClassVar[int]
    APPROXIMATE_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_FIELD_NUMBER: _ClassVar[int]
    DOC_END_FIELD_NUMBER: _ClassVar[int]
    CONTINUATIONS_FIELD_NUMBER: _ClassVar[int]
    count_context: int
    context_len: int
    approximate: bool
    support: int
    doc_end: int
    continuations: _containers.RepeatedCompositeFieldContainer[Continuation]
    def __init__(self, count_context: _Optional[int] = ..., context_len: _Optional[int] = ..., approximate: _Optional[bool] = ..., support: _Optional[int] = ..., doc_end: _Optional[int] = ..., continuations: _Optional[_Iterable[_Union[Continuation, _Mapping]]] = ...) -> None: ...

class NgramResponse(_message.Message):
    __slots__ = ("prob", "ntd")
    PROB_FIELD_NUMBER: _ClassVar[int]
    NTD_FIELD_NUMBER: _ClassVar[int]
    prob: NgramProb
    ntd: NextTokenDistribution
    def __init__(self, prob: _Optional[_Union[NgramProb, _Mapping]] = ..., ntd: _Optional[_Union[NextTokenDistribution, _Mapping]] = ...) -> None: ...

class InfgramLogprobsRequest(_message.Message):
    __slots__ = ("index", "tokens", "max_suffix")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    MAX_SUFFIX_FIELD_NUMBER: _ClassVar[int]
    index: str
    tokens: Query
    max_suffix: int
    def __init__(self, index: _Optional[str] = ..., tokens: _Optional[_Union[Query, _Mapping]] = ..., max_suffix: _Optional[int] = ...) -> None: ...

class InfgramLogprobsResponse(_message.Message):
    __slots__ = ("token_ids", "logprobs", "suffix_len", "count_context", "count_full", "token_count", "n_doc_tokens")
    TOKEN_IDS_FIELD_NUMBER: _ClassVar[int]
    LOGPROBS_FIELD_NUMBER: _ClassVar[int]
    SUFFIX_LEN_FIELD_NUMBER: _ClassVar[int]
    COUNT_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FULL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    N_DOC_TOKENS_FIELD_NUMBER: _ClassVar[int]
    token_ids: TokenIds
    logprobs: bytes
    suffix_len: bytes
    count_context: bytes
    count_full: bytes
    token_count: bytes
    n_doc_tokens: int
    def __init__(self, token_ids: _Optional[_Union[TokenIds, _Mapping]] = ..., logprobs: _Optional[bytes] = ..., suffix_len: _Optional[bytes] = ..., count_context: _Optional[bytes] = ..., count_full: _Optional[bytes] = ..., token_count: _Optional[bytes] = ..., n_doc_tokens: _Optional[int] = ...) -> None: ...

class SearchClause(_message.Message):
    __slots__ = ("terms",)
    TERMS_FIELD_NUMBER: _ClassVar[int]
    terms: _containers.RepeatedCompositeFieldContainer[Query]
    def __init__(self, terms: _Optional[_Iterable[_Union[Query, _Mapping]]] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("index", "query", "clauses", "window", "limit", "max_clause_freq")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    CLAUSES_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MAX_CLAUSE_FREQ_FIELD_NUMBER: _ClassVar[int]
    index: str
    query: str
    clauses: _containers.RepeatedCompositeFieldContainer[SearchClause]
    window: int
    limit: int
    max_clause_freq: int
    def __init__(self, index: _Optional[str] = ..., query: _Optional[str] = ..., clauses: _Optional[_Iterable[_Union[SearchClause, _Mapping]]] = ..., window: _Optional[int] = ..., limit: _Optional[int] = ..., max_clause_freq: _Optional[int] = ...) -> None: ...

class TermMatch(_message.Message):
    __slots__ = ("term", "token_start", "token_end", "char_start", "char_end")
    TERM_FIELD_NUMBER: _ClassVar[int]
    TOKEN_START_FIELD_NUMBER: _ClassVar[int]
    TOKEN_END_FIELD_NUMBER: _ClassVar[int]
    CHAR_START_FIELD_NUMBER: _ClassVar[int]
    CHAR_END_FIELD_NUMBER: _ClassVar[int]
    term: int
    token_start: int
    token_end: int
    char_start: int
    char_end: int
    def __init__(self, term: _Optional[int] = ..., token_start: _Optional[int] = ..., token_end: _Optional[int] = ..., char_start: _Optional[int] = ..., char_end: _Optional[int] = ...) -> None: ...

class ClauseMatches(_message.Message):
    __slots__ = ("matches",)
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[TermMatch]
    def __init__(self, matches: _Optional[_Iterable[_Union[TermMatch, _Mapping]]] = ...) -> None: ...

class SearchDocument(_message.Message):
    __slots__ = ("doc_index", "doc_id", "meta_json", "shard", "n_matches", "matches")
    DOC_INDEX_FIELD_NUMBER: _ClassVar[int]
    DOC_ID_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    N_MATCHES_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    doc_index: int
    doc_id: str
    meta_json: str
    shard: int
    n_matches: _containers.RepeatedScalarFieldContainer[int]
    matches: _containers.RepeatedCompositeFieldContainer[ClauseMatches]
    def __init__(self, doc_index: _Optional[int] = ..., doc_id: _Optional[str] = ..., meta_json: _Optional[str] = ..., shard: _Optional[int] = ..., n_matches: _Optional[_Iterable[int]] = ..., matches: _Optional[_Iterable[_Union[ClauseMatches, _Mapping]]] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("count", "approximate", "clause_counts", "documents")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    APPROXIMATE_FIELD_NUMBER: _ClassVar[int]
    CLAUSE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    count: int
    approximate: bool
    clause_counts: _containers.RepeatedScalarFieldContainer[int]
    documents: _containers.RepeatedCompositeFieldContainer[SearchDocument]
    def __init__(self, count: _Optional[int] = ..., approximate: _Optional[bool] = ..., clause_counts: _Optional[_Iterable[int]] = ..., documents: _Optional[_Iterable[_Union[SearchDocument, _Mapping]]] = ...) -> None: ...

class OverlapDocument(_message.Message):
    __slots__ = ("id", "text")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class OverlapOptions(_message.Message):
    __slots__ = ("ngram", "max_documents", "top_spans", "bins", "thresholds")
    NGRAM_FIELD_NUMBER: _ClassVar[int]
    MAX_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    TOP_SPANS_FIELD_NUMBER: _ClassVar[int]
    BINS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLDS_FIELD_NUMBER: _ClassVar[int]
    ngram: int
    max_documents: int
    top_spans: int
    bins: int
    thresholds: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, ngram: _Optional[int] = ..., max_documents: _Optional[int] = ..., top_spans: _Optional[int] = ..., bins: _Optional[int] = ..., thresholds: _Optional[_Iterable[float]] = ...) -> None: ...

class OverlapRequest(_message.Message):
    __slots__ = ("index", "documents", "options")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    index: str
    documents: _containers.RepeatedCompositeFieldContainer[OverlapDocument]
    options: OverlapOptions
    def __init__(self, index: _Optional[str] = ..., documents: _Optional[_Iterable[_Union[OverlapDocument, _Mapping]]] = ..., options: _Optional[_Union[OverlapOptions, _Mapping]] = ...) -> None: ...

class DocOverlap(_message.Message):
    __slots__ = ("id", "words", "covered_words", "longest", "longest_text", "longest_count", "a_documents", "run_starts", "run_ends", "run_spans", "longest_word")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORDS_FIELD_NUMBER: _ClassVar[int]
    COVERED_WORDS_FIELD_NUMBER: _ClassVar[int]
    LONGEST_FIELD_NUMBER: _ClassVar[int]
    LONGEST_TEXT_FIELD_NUMBER: _ClassVar[int]
    LONGEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    A_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    RUN_STARTS_FIELD_NUMBER: _ClassVar[int]
    RUN_ENDS_FIELD_NUMBER: _ClassVar[int]
    RUN_SPANS_FIELD_NUMBER: _ClassVar[int]
    LONGEST_WORD_FIELD_NUMBER: _ClassVar[int]
    id: str
    words: int
    covered_words: int
    longest: int
    longest_text: str
    longest_count: int
    a_documents: _containers.RepeatedScalarFieldContainer[str]
    run_starts: _containers.RepeatedScalarFieldContainer[int]
    run_ends: _containers.RepeatedScalarFieldContainer[int]
    run_spans: _containers.RepeatedScalarFieldContainer[str]
    longest_word: int
    def __init__(self, id: _Optional[str] = ..., words: _Optional[int] = ..., covered_words: _Optional[int] = ..., longest: _Optional[int] = ..., longest_text: _Optional[str] = ..., longest_count: _Optional[int] = ..., a_documents: _Optional[_Iterable[str]] = ..., run_starts: _Optional[_Iterable[int]] = ..., run_ends: _Optional[_Iterable[int]] = ..., run_spans: _Optional[_Iterable[str]] = ..., longest_word: _Optional[int] = ...) -> None: ...

class OverlapResponse(_message.Message):
    __slots__ = ("documents", "summary_json")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_JSON_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[DocOverlap]
    summary_json: str
    def __init__(self, documents: _Optional[_Iterable[_Union[DocOverlap, _Mapping]]] = ..., summary_json: _Optional[str] = ...) -> None: ...

class SoftOptions(_message.Message):
    __slots__ = ("threshold", "words", "occurrences", "candidates", "model")
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    WORDS_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    threshold: float
    words: int
    occurrences: int
    candidates: int
    model: str
    def __init__(self, threshold: _Optional[float] = ..., words: _Optional[int] = ..., occurrences: _Optional[int] = ..., candidates: _Optional[int] = ..., model: _Optional[str] = ...) -> None: ...

class FindSimilarRequest(_message.Message):
    __slots__ = ("index", "texts", "limit", "options")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    index: str
    texts: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    options: SoftOptions
    def __init__(self, index: _Optional[str] = ..., texts: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., options: _Optional[_Union[SoftOptions, _Mapping]] = ...) -> None: ...

class AlignedWord(_message.Message):
    __slots__ = ("query_word", "passage_word")
    QUERY_WORD_FIELD_NUMBER: _ClassVar[int]
    PASSAGE_WORD_FIELD_NUMBER: _ClassVar[int]
    query_word: str
    passage_word: str
    def __init__(self, query_word: _Optional[str] = ..., passage_word: _Optional[str] = ...) -> None: ...

class SoftMatch(_message.Message):
    __slots__ = ("score", "document", "doc_id", "start_char", "end_char", "passage", "aligned", "lexical_score", "model_score", "elsewhere")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DOC_ID_FIELD_NUMBER: _ClassVar[int]
    START_CHAR_FIELD_NUMBER: _ClassVar[int]
    END_CHAR_FIELD_NUMBER: _ClassVar[int]
    PASSAGE_FIELD_NUMBER: _ClassVar[int]
    ALIGNED_FIELD_NUMBER: _ClassVar[int]
    LEXICAL_SCORE_FIELD_NUMBER: _ClassVar[int]
    MODEL_SCORE_FIELD_NUMBER: _ClassVar[int]
    ELSEWHERE_FIELD_NUMBER: _ClassVar[int]
    score: float
    document: int
    doc_id: str
    start_char: int
    end_char: int
    passage: str
    aligned: _containers.RepeatedCompositeFieldContainer[AlignedWord]
    lexical_score: float
    model_score: float
    elsewhere: int
    def __init__(self, score: _Optional[float] = ..., document: _Optional[int] = ..., doc_id: _Optional[str] = ..., start_char: _Optional[int] = ..., end_char: _Optional[int] = ..., passage: _Optional[str] = ..., aligned: _Optional[_Iterable[_Union[AlignedWord, _Mapping]]] = ..., lexical_score: _Optional[float] = ..., model_score: _Optional[float] = ..., elsewhere: _Optional[int] = ...) -> None: ...

class SoftMatches(_message.Message):
    __slots__ = ("matches",)
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[SoftMatch]
    def __init__(self, matches: _Optional[_Iterable[_Union[SoftMatch, _Mapping]]] = ...) -> None: ...

class FindSimilarResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SoftMatches]
    def __init__(self, results: _Optional[_Iterable[_Union[SoftMatches, _Mapping]]] = ...) -> None: ...
