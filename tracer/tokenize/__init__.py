"""Tokenizer specs: ``bytes`` (default, offline) or a HF tokenizer.json; optional normalization."""

from __future__ import annotations

from pathlib import Path

from tracer.errors import IndexFormatError, InputError
from tracer.tokenize.base import Encoding, Normalizing, Tokenizer, dtype_for_vocab
from tracer.tokenize.bytes_tokenizer import BytesTokenizer
from tracer.tokenize.hf import HFTokenizer
from tracer.tokenize.normalize import NORMALIZATION_NAME, normalize, normalize_with_map

__all__ = [
    "BytesTokenizer", "Encoding", "HFTokenizer", "NORMALIZATION_NAME", "Normalizing", "Tokenizer",
    "dtype_for_vocab", "load_tokenizer", "normalize", "normalize_with_map", "tokenizer_from_spec",
]


def load_tokenizer(spec: str | Path, normalized: bool = False) -> Tokenizer:
    """``"bytes"`` or a path to a tokenizer.json (a directory holding one also works)."""
    if str(spec) == "bytes":
        tok: Tokenizer = BytesTokenizer()
    else:
        path = Path(spec)
        if path.is_dir():
            path = path / "tokenizer.json"
        if not path.exists():
            raise InputError(f"--tokenizer {spec}: no such file (give 'bytes' or a tokenizer.json path)")
        tok = HFTokenizer(path)
    return Normalizing(tok) if normalized else tok


def tokenizer_from_spec(spec: dict, index_dir: Path, normalization: str | None) -> Tokenizer:
    """Rebuild the tokenizer recorded in an index manifest and check its fingerprint."""
    kind = spec.get("kind")
    if kind == "bytes":
        tok: Tokenizer = BytesTokenizer()
    elif kind == "hf":
        path = index_dir / spec.get("file", "tokenizer.json")
        if not path.exists():
            raise IndexFormatError(f"{index_dir}: tokenizer file {path.name} is missing; rebuild the index")
        tok = HFTokenizer(path)
    else:
        raise IndexFormatError(f"{index_dir}: unknown tokenizer kind {kind!r} in manifest.json")
    if tok.fingerprint != spec.get("fingerprint"):
        raise IndexFormatError(f"{index_dir}: tokenizer file does not match the fingerprint in manifest.json")
    if normalization:
        if normalization != NORMALIZATION_NAME:
            raise IndexFormatError(
                f"{index_dir}: built with normalization {normalization!r}, this tracer knows {NORMALIZATION_NAME!r}"
            )
        return Normalizing(tok)
    return tok
