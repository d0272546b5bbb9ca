"""Token positions -> documents, character offsets in the document's own text, and snippets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tracer.index.reader import IndexReader, Shard
from tracer.query.options import SNIPPET_CONTEXT
from tracer.tokenize.base import Encoding
from tracer.tokenize.bytes_tokenizer import BytesTokenizer
from tracer_native import documents_of_positions


@dataclass
class DocSpan:
    """A token range inside one document, with its character range in the document's own text."""

    doc_index: int
    doc_id: str
    meta: dict[str, Any]
    shard: int
    token_start: int  # within the document
    token_end: int
    char_start: int  # within the document's own text (raw text where the index keeps it)
    char_end: int
    snippet: str
    snippet_start: int  # char offset of the snippet in the document

    def to_json(self) -> dict:
        return {
            "doc_index": self.doc_index, "doc_id": self.doc_id, "meta": self.meta, "shard": self.shard,
            "token_start": self.token_start, "token_end": self.token_end,
            "char_start": self.char_start, "char_end": self.char_end,
            "snippet": self.snippet, "snippet_start": self.snippet_start,
        }


def positions_to_docs(shard: Shard, positions: np.ndarray) -> np.ndarray:
    positions = np.asarray(positions, dtype=np.uint64)
    if positions.size and positions.max() >= shard.n_tokens:  # read from a damaged sa.bin
        raise shard.bad_sa()
    return documents_of_positions(shard.doc_starts, positions)


def _byte_table(index: IndexReader):
    """The tokenizer's byte table (``HFTokenizer.byte_level``) where it has one, else None."""
    return getattr(index.tokenizer, "byte_level", None)


def character_start(index: IndexReader, tokens: np.ndarray, t: int, limit: int) -> int:
    """The first position in ``[t, limit]`` whose token does not begin with a UTF-8 character's tail
    bytes (bytes or byte-level BPE tokens). A span cut at an arbitrary position (the context around
    a soft-search window) must start there: decoding tail bytes gives stray U+FFFDs, which would
    shift every character offset inside the decoded text."""
    table = _byte_table(index)
    is_bytes = getattr(index.tokenizer, "fingerprint", "") == BytesTokenizer.fingerprint
    while t < limit:
        tok = int(tokens[t])
        if table is not None:
            if table.leads[tok] < 0 or table.offsets[tok + 1] == table.offsets[tok]:
                break
            first = int(table.data[table.offsets[tok]])
        elif is_bytes:
            first = tok
        else:
            break
        if first & 0xC0 != 0x80:
            break
        t += 1
    return t


def _char_offset(index: IndexReader, tokens: np.ndarray) -> int:
    return len(index.tokenizer.decode(tokens)) if len(tokens) else 0


def _char_range(index: IndexReader, doc_tokens: np.ndarray, t0: int, t1: int) -> tuple[int, int]:
    """Char range of tokens [t0, t1) in the decoded document. With a byte table: counted lead
    bytes of the prefixes (a few µs, no string; a match starting on a split character's tail
    bytes does not count them again); else by decoding the prefix (O(prefix), ~1 ms on long
    documents) and the match (decoders such as WordPiece's join words with spaces)."""
    table = _byte_table(index)
    if table is not None:  # a prefix holding an added token (no byte entry) is decoded
        cs, ce = (table.char_count(doc_tokens[:t]) for t in (t0, t1))
        return (cs if cs >= 0 else _char_offset(index, doc_tokens[:t0]),
                ce if ce >= 0 else _char_offset(index, doc_tokens[:t1]))
    cs = _char_offset(index, doc_tokens[:t0])
    return cs, cs + _char_offset(index, doc_tokens[t0:t1])


def _decode(index: IndexReader, tokens: np.ndarray) -> str:
    table = _byte_table(index)
    text = table.decode(tokens) if table is not None else None
    return text if text is not None else index.tokenizer.decode(tokens)


# Re-encoded raw documents kept per shard (on the reader, ``raw_encodings``): find and trace often
# hit one document many times.
RAW_OFFSETS_CACHED = 4


def _raw_offsets(index: IndexReader, shard_no: int, local: int, doc_tokens: np.ndarray) -> tuple[str, Encoding] | None:
    """(raw text, its tokens' char offsets) of a document kept raw because its tokenizer does not
    round-trip (no normalization: HF offsets index the text itself); None when re-encoding the raw
    text does not give the stored tokens (another tokenizer version), so offsets come from decoding."""
    cache, key = index.raw_encodings, (shard_no, local)
    with index.raw_encodings_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    text = index.shards[shard_no].raw_text(local)
    enc = index.tokenizer.encode_with_offsets(text)
    found = (text, enc) if np.array_equal(enc.ids, doc_tokens) else None
    with index.raw_encodings_lock:
        cache[key] = found
        while len(cache) > RAW_OFFSETS_CACHED * len(index.shards):
            cache.popitem(last=False)
    return found


def _raw_range(text: str, enc: Encoding, t0: int, t1: int) -> tuple[int, int]:
    """Char range of tokens [t0, t1) in the raw text (an empty range sits where token t0 starts)."""
    n = len(enc.ids)
    cs = int(enc.starts[t0]) if t0 < n else len(text)
    ce = int(enc.ends[t1 - 1]) if t1 > t0 else cs
    return cs, max(cs, ce)


def doc_span(index: IndexReader, shard_no: int, position: int, length: int, context: int = SNIPPET_CONTEXT,
             local: int | None = None) -> DocSpan:
    """Describe the occurrence of ``length`` tokens at ``position`` of shard ``shard_no`` (in its
    document ``local`` when the caller has looked that up already)."""
    shard = index.shards[shard_no]
    if local is None:
        local = int(positions_to_docs(shard, np.asarray([position]))[0])
    a, b = shard.doc_range(local)
    t0, t1 = position - a, min(position + length, b) - a
    doc_tokens = shard.tokens[a:b]
    raw = _raw_offsets(index, shard_no, local, doc_tokens) if shard.has_raw and not index.normalization else None
    if raw is not None:
        text = raw[0]
        cs, ce = _raw_range(text, raw[1], t0, t1)
    elif index.normalization:
        from tracer.tokenize import RawOffsets

        cs, ce = _char_range(index, doc_tokens, t0, t1)  # in the normalized text the tokens spell
        text = shard.raw_text(local)
        cs, ce = RawOffsets(text).span(cs, ce)
    else:
        cs, ce = _char_range(index, doc_tokens, t0, t1)
        lo_tok = max(0, t0 - 4 * context)
        text_before = _decode(index, doc_tokens[lo_tok:t0])
        text_mid = _decode(index, doc_tokens[t0:t1])
        text_after = _decode(index, doc_tokens[t1 : t1 + 4 * context])
        text = None
    if text is None:
        before = text_before[-context:]
        snippet = before + text_mid + text_after[:context]
        snippet_start = cs - len(before)
    else:
        s0, s1 = max(0, cs - context), min(len(text), ce + context)
        snippet, snippet_start = text[s0:s1], s0
    meta = shard.meta(local)
    return DocSpan(shard.doc_base + local, str(meta.get("id")), meta, shard_no, t0, t1, cs, ce, snippet, snippet_start)
