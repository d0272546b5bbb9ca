"""The tokenizer interface the index is built with and queried through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tracer.tokenize.normalize import NORMALIZATION_NAME, normalize


def dtype_for_vocab(vocab_size: int) -> np.dtype:
    """Smallest unsigned dtype whose max value is free to act as the document separator."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if vocab_size <= np.iinfo(dt).max:  # ids 0..vocab-1 < max, so max is reserved
            return np.dtype(dt)
    raise ValueError(f"vocabulary of {vocab_size} tokens is too large for u32 token ids")


@dataclass(frozen=True)
class Encoding:
    """Token ids of a text with each token's character span in that (possibly normalized) text."""

    ids: np.ndarray
    starts: np.ndarray  # int64 char offset where token i starts
    ends: np.ndarray  # int64 char offset where token i ends


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

    def encode_with_offsets(self, text: str) -> Encoding:
        """Offsets are into the normalized text; map them back with normalize_with_map."""
        return self.inner.encode_with_offsets(normalize(text))

    def decode(self, ids: np.ndarray) -> str:
        return self.inner.decode(ids)

    def query_variants(self, text: str) -> list[np.ndarray]:
        return self.inner.query_variants(normalize(text))

    def spec(self) -> dict:
        return self.inner.spec()
