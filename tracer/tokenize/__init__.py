"""Tokenizers: ``bytes`` (default, offline) or a HF tokenizer.json, optionally normalizing.

A tokenizer is named by a ``TokenizerSpec`` (kind, file, fingerprint, normalization) from build
plan to shard job to opened index, and ``spec.load()`` gives the one object that encodes,
normalizes and maps offsets back to the raw text (``Normalizing``).
"""

from __future__ import annotations

from pathlib import Path

from tracer.errors import IndexFormatError
from tracer.tokenize.base import Encoding, Normalizing, Seen, Tokenizer, dtype_for_vocab
from tracer.tokenize.bytes_tokenizer import BytesTokenizer
from tracer.tokenize.hf import HFTokenizer
from tracer.tokenize.normalize import NORMALIZATION_NAME, RawOffsets, normalize, normalize_with_map, raw_span
from tracer.tokenize.spec import BYTES, HF, TokenizerMismatch, TokenizerSpec

__all__ = [
    "BYTES", "BytesTokenizer", "Encoding", "HF", "HFTokenizer", "NORMALIZATION_NAME", "Normalizing", "RawOffsets",
    "Seen", "Tokenizer", "TokenizerSpec", "dtype_for_vocab", "load_tokenizer", "normalize", "normalize_with_map",
    "raw_span", "spec_from_manifest", "tokenizer_from_spec",
]


def load_tokenizer(spec: str | Path | TokenizerSpec, normalized: bool = False) -> Tokenizer:
    """``"bytes"``, a path to a tokenizer.json (a directory holding one also works), or a spec."""
    if not isinstance(spec, TokenizerSpec):
        spec = TokenizerSpec.parse(spec, normalized)
    return spec.load()


def spec_from_manifest(entry: dict, index_dir: Path, normalization: str | None) -> TokenizerSpec:
    """The spec of the tokenizer recorded in an index manifest (its file is the index's own copy)."""
    kind = entry.get("kind")
    if kind == BYTES:
        file = None
    elif kind == HF:
        path = index_dir / entry.get("file", "tokenizer.json")
        if not path.exists():
            raise IndexFormatError(f"{index_dir}: tokenizer file {path.name} is missing; rebuild the index")
        file = str(path)
    else:
        raise IndexFormatError(f"{index_dir}: unknown tokenizer kind {kind!r} in manifest.json")
    if normalization and normalization != NORMALIZATION_NAME:
        raise IndexFormatError(
            f"{index_dir}: built with normalization {normalization!r}, this tracer knows {NORMALIZATION_NAME!r}"
        )
    return TokenizerSpec(kind, file, entry.get("fingerprint"), normalization or None)


def tokenizer_from_spec(entry: dict, index_dir: Path, normalization: str | None) -> Tokenizer:
    """Rebuild the tokenizer recorded in an index manifest and check its fingerprint."""
    spec = spec_from_manifest(entry, index_dir, normalization)
    try:
        return spec.load()
    except TokenizerMismatch:
        raise IndexFormatError(f"{index_dir}: tokenizer file does not match the fingerprint in manifest.json") from None
