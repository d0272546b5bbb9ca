"""The tokenizer interface the index is built with and queried through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tracer.tokenize.normalize import NORMALIZATION_NAME, normalize, normalize_with_map, raw_span


def dtype_for_vocab(vocab_size: int) -> np.dtype:
    """Smallest unsigned dtype whose max value is free to act as the document separator."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if vocab_size <= np.iinfo(dt).max:  # ids 0..vocab-1 < max, so max is reserved
            return np.dtype(dt)
    raise ValueError(f"vocabulary of {vocab_size} tokens is too large for u32 token ids")


@dataclass(frozen=True)
class Seen:
    """The text a normalizing tokenizer actually tokenized, for callers that work in it (word
    boundaries, delimiters, n-gram hashes as the index sees the text)."""

    text: str  # the normalized text
    starts: np.ndarray  # int64 char offsets of the tokens in ``text``
    ends: np.ndarray
    raw_of: np.ndarray  # text char i came from raw char raw_of[i]; one extra entry, len(raw)

    def raw_range(self, raw: str, a: int, b: int) -> tuple[int, int]:
        """Raw char range of ``text[a:b]`` (``normalize.raw_span``)."""
        return raw_span(raw, self.raw_of, a, b)


@dataclass(frozen=True)
class Encoding:
    """Token ids of a text with each token's character span in that same text.

    Offsets are always into the text passed to ``encode_with_offsets``, normalized or not; a
    normalizing tokenizer also says what it tokenized in ``seen``.
    """

    ids: np.ndarray
    starts: np.ndarray  # int64 char offset where token i starts
    ends: np.ndarray  # int64 char offset where token i ends
    seen: Seen | None = None  # set by a normalizing tokenizer

    @property
    def seen_text(self) -> tuple[str | None, np.ndarray, np.ndarray]:
        """(normalized text or None, token starts, ends in it): what the index matched against."""
        if self.seen is None:
            return None, self.starts, self.ends
        return self.seen.text, self.seen.starts, self.seen.ends


class Tokenizer(Protocol):
    """What the index needs from a tokenizer. Implementations: bytes and HF tokenizer.json."""

    name: str
    vocab_size: int
    dtype: np.dtype
    separator: int
    fingerprint: str
    ascii_words: bool

    def encode(self, text: str) -> np.ndarray: ...

    def encode_batch(self, texts: list[str]) -> list[np.ndarray]: ...

    def encode_with_offsets(self, text: str) -> Encoding: ...

    def decode(self, ids: np.ndarray) -> str: ...

    def query_variants(self, text: str) -> list[np.ndarray]: ...

    def spec(self) -> dict: ...

    def normalize_text(self, text: str) -> str: ...


class Normalizing:
    """Wraps a tokenizer so every text is normalized before tokenization (``--normalize``)."""

    def __init__(self, inner: Tokenizer):
        self.inner = inner
        self.name = inner.name
        self.vocab_size = inner.vocab_size
        self.dtype = inner.dtype
        self.separator = inner.separator
        self.fingerprint = inner.fingerprint
        self.ascii_words = inner.ascii_words
        self.normalization = NORMALIZATION_NAME

    def encode(self, text: str) -> np.ndarray:
        return self.inner.encode(normalize(text))

    def encode_batch(self, texts: list[str]) -> list[np.ndarray]:
        return self.inner.encode_batch([normalize(t) for t in texts])

    @property
    def byte_level(self):
        """The inner tokenizer's byte table (it decodes the normalized tokens alike), if any."""
        return getattr(self.inner, "byte_level", None)

    def normalize_text(self, text: str) -> str:
        return normalize(text)

    def encode_with_offsets(self, text: str) -> Encoding:
        """Offsets into ``text`` itself (``normalize.raw_span`` of each token); ``seen`` holds
        the normalized text, the offsets in it and the map back."""
        norm, raw_of = normalize_with_map(text)
        enc = self.inner.encode_with_offsets(norm)
        n = len(enc.ids)
        starts = np.empty(n, dtype=np.int64)
        ends = np.empty(n, dtype=np.int64)
        for i, (a, b) in enumerate(zip(enc.starts.tolist(), enc.ends.tolist(), strict=True)):
            starts[i], ends[i] = raw_span(text, raw_of, a, b)
        seen = Seen(norm, np.asarray(enc.starts, dtype=np.int64), np.asarray(enc.ends, dtype=np.int64), raw_of)
        return Encoding(ids=enc.ids, starts=starts, ends=ends, seen=seen)

    def decode(self, ids: np.ndarray) -> str:
        return self.inner.decode(ids)

    def query_variants(self, text: str) -> list[np.ndarray]:
        return self.inner.query_variants(normalize(text))

    def spec(self) -> dict:
        return self.inner.spec()
