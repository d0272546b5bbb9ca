"""What identifies a tokenizer from build to query: kind, file, fingerprint and normalization.

A build plan, every shard job and an opened index carry a ``TokenizerSpec`` instead of a
"bytes"-or-path string and a separate normalization flag; ``load()`` turns it into the one
tokenizer object (normalization included) and caches it per process, so the builder, the pool
workers, Ray tasks and the reader each load a tokenizer.json once.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from tracer.errors import InputError
from tracer.tokenize.base import Normalizing, Tokenizer
from tracer.tokenize.bytes_tokenizer import BytesTokenizer
from tracer.tokenize.hf import HFTokenizer
from tracer.tokenize.normalize import NORMALIZATION_NAME


class TokenizerMismatch(InputError):
    """The tokenizer file is not the one the spec was made from (its fingerprint differs)."""


BYTES = "bytes"
HF = "hf"


@dataclass(frozen=True)
class TokenizerSpec:
    """A tokenizer as a value: hashable, picklable, comparable across processes and machines."""

    kind: str  # "bytes" or "hf"
    file: str | None = None  # hf: the tokenizer.json the worker reads
    fingerprint: str | None = None  # checked on load where known ("hf-sha256:..." / "bytes-utf8-v1")
    normalization: str | None = None  # NORMALIZATION_NAME for --normalize indexes, else None

    @property
    def normalized(self) -> bool:
        return self.normalization is not None

    @staticmethod
    def parse(arg: str | Path, normalize: bool = False) -> TokenizerSpec:
        """The spec of a ``--tokenizer`` argument: "bytes" or a tokenizer.json (or a folder holding one)."""
        norm = NORMALIZATION_NAME if normalize else None
        if str(arg) == BYTES:
            return TokenizerSpec(BYTES, None, BytesTokenizer.fingerprint, norm)
        path = Path(arg)
        if path.is_dir():
            path = path / "tokenizer.json"
        if not path.exists():
            raise InputError(f"--tokenizer {arg}: no such file (give 'bytes' or a tokenizer.json path)")
        return TokenizerSpec(HF, str(path), file_fingerprint(path), norm)

    def with_file(self, file: str | Path) -> TokenizerSpec:
        """The same tokenizer read from another copy of its file (the index's own tokenizer.json)."""
        return replace(self, file=str(file)) if self.kind == HF else self

    def without_normalization(self) -> TokenizerSpec:
        return replace(self, normalization=None)

    def load(self) -> Tokenizer:
        """The tokenizer, loaded once per process (a cached copy is reused while its file is unchanged)."""
        key = (self, _file_stamp(self.file))
        with _lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        tok = self._load_uncached()
        with _lock:
            for old in [k for k in _cache if k[0] == self]:  # an older copy of a rewritten file
                del _cache[old]
            _cache[key] = tok
        return tok

    def release(self) -> None:
        """Drop the cached tokenizer (a shard job frees its ~30 MB+ for the sort, its memory peak)."""
        with _lock:
            for key in [k for k in _cache if k[0] == self]:
                del _cache[key]

    def _load_uncached(self) -> Tokenizer:
        if self.kind == BYTES:
            tok: Tokenizer = BytesTokenizer()
        elif self.kind == HF and self.file:
            tok = HFTokenizer(self.file)
        else:
            raise InputError(f"unknown tokenizer kind {self.kind!r}")
        if self.fingerprint is not None and tok.fingerprint != self.fingerprint:
            raise TokenizerMismatch(f"{self.file or self.kind}: tokenizer file changed (fingerprint {tok.fingerprint}, "
                             f"expected {self.fingerprint})")
        if self.normalization is None:
            return tok
        if self.normalization != NORMALIZATION_NAME:
            raise InputError(f"normalization {self.normalization!r} is unknown to this tracer "
                             f"(it knows {NORMALIZATION_NAME!r})")
        return Normalizing(tok)


def file_fingerprint(path: str | Path) -> str:
    """The fingerprint an HF tokenizer file loads with (sha256 of its bytes), without parsing it."""
    try:
        return "hf-sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as e:
        raise InputError(f"{path}: cannot read tokenizer file ({e.strerror})") from None


def _file_stamp(file: str | None) -> tuple[int, int] | None:
    if file is None:
        return None
    try:
        st = os.stat(file)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


_cache: dict[tuple[TokenizerSpec, tuple[int, int] | None], Tokenizer] = {}
_lock = threading.Lock()
