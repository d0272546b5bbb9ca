"""The default tokenizer: UTF-8 bytes as u8 tokens, 0xFF (never valid UTF-8) as separator."""

from __future__ import annotations

import numpy as np

from tracer.tokenize.base import Encoding


class BytesTokenizer:
    """Byte-level tokens: offline, exact, 1 token per byte; queries need no special handling."""

    name = "bytes"
    vocab_size = 256
    dtype = np.dtype(np.uint8)
    separator = 0xFF
    fingerprint = "bytes-utf8-v1"
    ascii_words = True  # cut spans between non-ASCII chars too (text without spaces)

    def encode(self, text: str) -> np.ndarray:
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)

    def encode_batch(self, texts: list[str]) -> list[np.ndarray]:
        return [self.encode(t) for t in texts]

    def encode_with_offsets(self, text: str) -> Encoding:
        ids = self.encode(text)
        char_of_byte = _char_index_of_bytes(ids)
        starts = char_of_byte[:-1] if len(ids) else np.zeros(0, np.int64)
        # a byte ends at the end of its character: the start of the next character
        ends = _char_end_of_bytes(ids, char_of_byte)
        return Encoding(ids=ids, starts=starts, ends=ends)

    def decode(self, ids: np.ndarray) -> str:
        return np.asarray(ids, dtype=np.uint8).tobytes().decode("utf-8", errors="replace")

    def query_variants(self, text: str) -> list[np.ndarray]:
        return [self.encode(text)]

    def spec(self) -> dict:
        return {"kind": "bytes", "vocab_size": 256, "fingerprint": self.fingerprint}

    def normalize_text(self, text: str) -> str:
        return text


def _char_index_of_bytes(ids: np.ndarray) -> np.ndarray:
    """For each byte (plus one past the end), the index of the character it belongs to."""
    is_start = (ids & 0xC0) != 0x80
    out = np.empty(len(ids) + 1, dtype=np.int64)
    out[:-1] = np.cumsum(is_start) - 1
    out[-1] = int(is_start.sum())
    return out


def _char_end_of_bytes(ids: np.ndarray, char_of_byte: np.ndarray) -> np.ndarray:
    return char_of_byte[:-1] + 1 if len(ids) else np.zeros(0, np.int64)
