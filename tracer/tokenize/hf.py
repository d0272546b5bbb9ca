"""Any Hugging Face ``tokenizer.json`` (BPE, WordPiece, Unigram), loaded offline from a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from tracer.errors import InputError
from tracer.tokenize.base import Encoding, dtype_for_vocab


class HFTokenizer:
    """A tokenizer.json via the ``tokenizers`` library; special tokens are never added.

    Leading-space rule: BPE tokenizers spell a word differently at the start of a text
    ("hello") and after a space ("Ġhello"). ``query_variants`` returns both spellings of a
    query that does not start with whitespace, so a phrase typed by a user is found both at
    document starts and mid-document; counts add the two (they are disjoint positions).
    """

    def __init__(self, path: str | Path):
        from tokenizers import Tokenizer as _HF

        self.path = Path(path)
        try:
            raw = self.path.read_bytes()
            self._tok = _HF.from_str(raw.decode("utf-8"))
        except OSError as e:
            raise InputError(f"{path}: cannot read tokenizer file ({e.strerror})") from None
        except Exception as e:  # tokenizers raises plain Exception on a bad file
            raise InputError(f"{path}: not a valid tokenizer.json ({e})") from None
        self.raw = raw
        self.name = "hf"
        self.ascii_words = False
        self.vocab_size = int(self._tok.get_vocab_size(with_added_tokens=True))
        self.dtype = dtype_for_vocab(self.vocab_size)
        self.separator = int(np.iinfo(self.dtype).max)
        self.fingerprint = "hf-sha256:" + hashlib.sha256(raw).hexdigest()
        self._space = self._ids(" ")

    def _ids(self, text: str) -> np.ndarray:
        return np.asarray(self._tok.encode(text, add_special_tokens=False).ids, dtype=self.dtype)

    def encode(self, text: str) -> np.ndarray:
        return self._ids(text)

    def encode_batch(self, texts: list[str]) -> list[np.ndarray]:
        # encode_batch_fast (tokenizers >= 0.20) skips char offsets, which indexing does not
        # need: the same ids for ~40% less CPU, the bulk of a BPE build (benchmarks/RESULTS.md).
        encode = getattr(self._tok, "encode_batch_fast", self._tok.encode_batch)
        encs = encode(texts, add_special_tokens=False)
        return [np.asarray(e.ids, dtype=self.dtype) for e in encs]

    def encode_with_offsets(self, text: str) -> Encoding:
        enc = self._tok.encode(text, add_special_tokens=False)
        offs = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
        return Encoding(ids=np.asarray(enc.ids, dtype=self.dtype), starts=offs[:, 0].copy(), ends=offs[:, 1].copy())

    def decode(self, ids: np.ndarray) -> str:
        return self._tok.decode(np.asarray(ids).tolist(), skip_special_tokens=False)

    def query_variants(self, text: str) -> list[np.ndarray]:
        first = self._ids(text)
        if not text or text[0].isspace():
            return [first]
        spaced = self._ids(" " + text)
        k = len(self._space)
        if np.array_equal(spaced, first) or (
            k and np.array_equal(spaced[:k], self._space) and np.array_equal(spaced[k:], first)
        ):
            return [first]
        return [first, spaced]

    def spec(self) -> dict:
        return {"kind": "hf", "vocab_size": self.vocab_size, "fingerprint": self.fingerprint, "file": "tokenizer.json"}
