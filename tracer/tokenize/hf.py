"""Any Hugging Face ``tokenizer.json`` (BPE, WordPiece, Unigram), loaded offline from a file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from tracer.errors import InputError
from tracer.tokenize.base import Encoding, dtype_for_vocab

# Characters in many scripts, spaces, tabs and emoji that a 32k BPE vocabulary splits into
# byte tokens: decoding every prefix of it checks the byte table, split characters included.
BYTE_LEVEL_PROBE = (
    "Hello,  world!\tLine two\n\n  indented: caf\u00e9 na\u00efve \u00dftra\u00dfe \u0130stanbul "
    "\u0394\u03b5\u03bb\u03c4\u03b1 \u041f\u0440\u0438\u0432\u0435\u0442 \u65e5\u672c\u8a9e\u306e"
    "\u30c6\u30ad\u30b9\u30c8 \ud55c\uad6d\uc5b4 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 "
    "\U0001f600\U0001f44d\U0001f3fd x\u0301 \u00a0nbsp \u2028sep \r\n{}[]<|>\\ \x00end"
)


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character map that ByteLevel vocabularies are spelled in."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1))
    keep += list(range(ord("\u00ae"), ord("\u00ff") + 1))
    mapping, extra = {}, 0
    for b in range(256):
        if b in keep:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


@dataclass(frozen=True)
class ByteLevelTable:
    """Per token id: the bytes it decodes to and how many characters start in them.

    For a byte-level BPE tokenizer the decoded text is the UTF-8 decode of the tokens' bytes
    laid end to end, so the character offset of a token position is the count of UTF-8 lead
    bytes (not 10xxxxxx) before it: no decode of the document's prefix. A character split
    across tokens counts once (its lead byte sits in one token only); a prefix ending inside a
    character counts it once, as the lossy decode's single U+FFFD does.
    """

    offsets: np.ndarray  # int64, vocab_size + 1: token t's bytes are data[offsets[t]:offsets[t + 1]]
    data: np.ndarray  # uint8
    leads: np.ndarray  # int64 per id; -1 for ids whose decode is not known to be their bytes

    def char_count(self, ids: np.ndarray) -> int:
        """Characters the decode of ``ids`` spans; -1 if an id has no byte entry (decode instead)."""
        from tracer_native import lead_byte_sum

        return int(lead_byte_sum(np.ascontiguousarray(ids), self.leads)) if len(ids) else 0

    def decode(self, ids: np.ndarray) -> str | None:
        """Lossy UTF-8 decode of the ids' bytes (as the tokenizer's decode); None if an id has none."""
        from tracer_native import gather_token_bytes

        ids = np.ascontiguousarray(ids)
        if not len(ids):
            return ""
        if int(self.leads[ids].min()) < 0:
            return None
        return gather_token_bytes(ids, self.offsets, self.data).tobytes().decode("utf-8", errors="replace")


def byte_level_table(spec: dict, vocab_size: int) -> ByteLevelTable | None:
    """The byte table of a tokenizer.json whose decode is plainly its tokens' bytes, else None.

    Conservative: a BPE model with no byte fallback, word prefixes or suffixes, no normalizer
    and exactly a ByteLevel decoder. Added tokens (special or not) and vocabulary entries with
    characters outside the byte map get no entry, so prefixes holding them are decoded.
    """
    model, decoder = spec.get("model") or {}, spec.get("decoder") or {}
    if spec.get("normalizer") is not None or decoder.get("type") != "ByteLevel":
        return None
    if model.get("type") != "BPE" or model.get("byte_fallback") or model.get("continuing_subword_prefix"):
        return None
    if model.get("end_of_word_suffix") or not isinstance(model.get("vocab"), dict):
        return None
    byte_of = {c: b for b, c in _bytes_to_unicode().items()}
    spelled: list[bytes | None] = [None] * vocab_size
    for token, i in model["vocab"].items():
        if isinstance(i, int) and 0 <= i < vocab_size and all(c in byte_of for c in token):
            spelled[i] = bytes(byte_of[c] for c in token)
    for added in spec.get("added_tokens") or []:
        if isinstance(added.get("id"), int) and 0 <= added["id"] < vocab_size:
            spelled[added["id"]] = None
    lengths = np.asarray([len(b) if b is not None else 0 for b in spelled], dtype=np.int64)
    offsets = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = np.frombuffer(b"".join(b for b in spelled if b is not None), dtype=np.uint8)
    is_lead = (data & 0xC0) != 0x80
    leads = np.add.reduceat(is_lead.astype(np.int64), offsets[:-1]) if len(data) else np.zeros(vocab_size, np.int64)
    leads = np.where(lengths > 0, leads, 0)  # reduceat gives data[offset] for empty ranges
    leads[np.asarray([b is None for b in spelled])] = -1
    return ByteLevelTable(offsets=offsets, data=data, leads=leads)


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

    @cached_property
    def byte_level(self) -> ByteLevelTable | None:
        """Byte table for fast character offsets (see ByteLevelTable), or None where this
        tokenizer's decode is not plainly its tokens' bytes. Built on first use and checked on
        a probe text: every prefix's character count and every decode must match the library's."""
        try:
            table = byte_level_table(json.loads(self.raw), self.vocab_size)
        except (ValueError, TypeError, AttributeError):
            return None
        if table is None:
            return None
        ids = self._ids(BYTE_LEVEL_PROBE)
        if not len(ids) or table.char_count(ids) < 0:
            return None
        for k in range(1, len(ids) + 1):
            text = self.decode(ids[:k])
            if table.char_count(ids[:k]) != len(text) or table.decode(ids[:k]) != text:
                return None
            if table.decode(ids[k - 1 :]) != self.decode(ids[k - 1 :]):
                return None
        return table

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

    def normalize_text(self, text: str) -> str:
        return text
