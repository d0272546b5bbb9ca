"""Decontamination: write the indexed corpus without the benchmark.

1. ``check_items`` decides which items are contaminated, with the settings of ``tracer
   contamination`` (same templates, spellings and verdicts).
2. For each contaminated item, ``spans.item_windows`` picks its contaminating word windows, and
   ``query.occurrences.locate_spans`` finds *every* occurrence of each through the suffix
   array (not only the few documents a report lists).
3. The corpus is written from the index (or re-read from its original files with ``source``)
   in corpus order: documents holding an occurrence are dropped (``drop``) or have the
   occurrences' characters replaced by a marker (``mask``); every other document is written
   unchanged. Output is sharded, atomic and resumable (``shard_writer``); a removal report
   (``decon_report``) says what went and why.

With ``CheckOptions(soft=True)`` (``--soft``) an item that only the soft tier calls contaminated
drops the document of its best soft match (the passage soft search found; other paraphrased copies
of the same item are not searched for). Soft matches have no exact spans to mask, so ``--soft``
goes with ``--mode drop`` only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import orjson

from tracer.contamination.check import ItemResult, check_items
from tracer.contamination.decon_options import DEFAULT_MARKER as DEFAULT_MARKER
from tracer.contamination.decon_options import MODES as MODES
from tracer.contamination.decon_options import REPORT_NAME as REPORT_NAME
from tracer.contamination.decon_options import DecontaminateOptions
from tracer.contamination.inputs import BenchItem
from tracer.contamination.options import CheckOptions
from tracer.contamination.shard_writer import ShardedWriter
from tracer.contamination.spans import item_windows
from tracer.errors import InputError
from tracer.index.format import MANIFEST, TOKENIZER_FILE, Manifest
from tracer.index.reader import IndexReader, Shard
from tracer.query.documents import doc_span
from tracer.query.occurrences import locate_spans
from tracer.query.trace_rank import merge_ranges


@dataclass
class DocHit:
    """A corpus document holding contaminating spans: which items, and where (token ranges)."""

    items: set[int] = field(default_factory=set)  # indexes into Removal.results
    ranges: list[tuple[int, int]] = field(default_factory=list)  # token [start, end) inside the document
    shard: int = 0


@dataclass
class Removal:
    """What decontamination found: every item's result and every document to drop or mask."""

    results: list[ItemResult]
    docs: dict[int, DocHit]
    windows: int = 0
    occurrences: int = 0


def find_removals(index: IndexReader, items: list[BenchItem], options: CheckOptions | None = None,
                  progress: Callable[[int], None] | None = None) -> Removal:
    """Check the items, then locate every occurrence of each contaminated item's windows."""
    opts = options or CheckOptions()
    evidence: list = []
    results = check_items(index, items, opts, progress=progress, evidence=evidence)
    owners: list[int] = []
    pieces: list[np.ndarray] = []
    starts: list[int] = []
    lengths: list[int] = []
    offset = 0
    for i, (r, ev) in enumerate(zip(results, evidence, strict=True)):
        windows = item_windows(r, ev, opts)
        preps = {id(w.ev.prep): w.ev.prep for w in windows}
        base = {}
        for key, prep in preps.items():
            base[key] = offset
            pieces.append(prep.ids)
            offset += len(prep.ids)
        for w in windows:
            owners.append(i)
            starts.append(base[id(w.ev.prep)] + w.tok_start)
            lengths.append(w.tok_len)
    docs: dict[int, DocHit] = {}
    removal = Removal(results, docs, windows=len(starts))
    for i, r in enumerate(results):  # soft matches: the document of the best passage
        if r.match == "soft" and r.soft is not None:
            hit = docs.get(r.soft.document)
            if hit is None:
                hit = docs[r.soft.document] = DocHit(shard=_shard_of(index, r.soft.document))
            hit.items.add(i)
    if not starts:
        return removal
    query = np.concatenate(pieces).astype(index.dtype)
    occ = locate_spans(index, query, np.asarray(starts), np.asarray(lengths))
    removal.occurrences = len(occ)
    owner = np.asarray(owners, np.int64)
    for span, doc, start, length, shard in zip(occ.span.tolist(), occ.doc.tolist(), occ.start.tolist(),
                                               occ.length.tolist(), occ.shard.tolist(), strict=True):
        hit = docs.get(doc)
        if hit is None:
            hit = docs[doc] = DocHit(shard=shard)
        hit.items.add(int(owner[span]))
        hit.ranges.append((start, start + length))
    return removal


def _shard_of(index: IndexReader, doc: int) -> int:
    for k, shard in enumerate(index.shards):
        if shard.doc_base <= doc < shard.doc_base + shard.n_docs:
            return k
    raise InputError(f"document {doc} is not in the index")


def masked(index: IndexReader, doc_index: int, text: str, hit: DocHit, marker: str) -> tuple[str, int, int]:
    """The document's text with each contaminating span replaced by ``marker``; also the tokens and
    characters masked. Char ranges come from ``doc_span`` (raw text of normalized indexes)."""
    shard = index.shards[hit.shard]
    base = int(shard.doc_starts[doc_index - shard.doc_base])
    chars: list[tuple[int, int]] = []
    tokens = 0
    for a, b in merge_ranges(hit.ranges):
        tokens += b - a
        ds = doc_span(index, hit.shard, base + a, b - a, context=0)
        chars.append((ds.char_start, ds.char_end))
    pieces, last, n_chars = [], 0, 0
    for a, b in merge_ranges(chars):
        pieces.append(text[last:a])
        pieces.append(marker)
        n_chars += b - a
        last = b
    pieces.append(text[last:])
    return "".join(pieces), tokens, n_chars


# -- reading the corpus back -------------------------------------------------------------------


def iter_index_documents(index: IndexReader, first: int = 0) -> Iterator[tuple[int, dict, str, int]]:
    """(document number, metadata, text, tokens) of every document from ``first``, in corpus order,
    reading each shard's metadata file once rather than a seek per document."""
    for shard in index.shards:
        if shard.doc_base + shard.n_docs <= first:
            continue
        for local, meta, text, tokens in iter_shard_documents(index, shard, max(0, first - shard.doc_base)):
            yield shard.doc_base + local, meta, text, tokens


def iter_shard_documents(index: IndexReader, shard: Shard, first: int = 0) -> Iterator[tuple[int, dict, str, int]]:
    """(local document number, metadata, text, tokens) of one shard's documents from ``first``."""
    meta_bytes = (shard.path / "meta.jsonl").read_bytes()
    starts = np.asarray(shard.doc_starts, dtype=np.int64)
    for local in range(first, shard.n_docs):
        a, b = int(shard.meta_idx[local]), int(shard.meta_idx[local + 1])
        meta = orjson.loads(meta_bytes[a:b])
        text = index.document_text(shard, local)
        yield local, meta, text, int(starts[local + 1] - starts[local] - 1)


def output_record(meta: dict, text: str) -> dict:
    """The record written for a document: its id, its text, then its other metadata (the source
    record's kept fields and where it came from)."""
    rec = {"id": meta.get("id"), "text": text}
    rec.update((k, v) for k, v in meta.items() if k not in rec)
    return rec


# -- the whole run -----------------------------------------------------------------------------


@dataclass
class DecontaminationResult:
    removal: Removal
    docs_in: int
    docs_out: int
    docs_dropped: int
    docs_masked: int
    tokens_in: int
    tokens_removed: int  # tokens of dropped documents, or masked tokens
    per_doc: dict[int, dict]  # document number -> report row
    parts: list[str]
    resumed: bool = False


def fingerprint(index: IndexReader, items: list[BenchItem], check: CheckOptions, options: DecontaminateOptions,
                source: list[str] | None) -> str:
    """Identifies a run: the index (its manifest), the items, every option and the source files."""
    h = hashlib.sha256()
    h.update((index.path / MANIFEST).read_bytes())
    for it in items:
        h.update(orjson.dumps(it.to_json()))
    h.update(orjson.dumps({"check": check.to_json(), "options": asdict(options), "source": source or []}))
    return h.hexdigest()


def decontaminate(
    index: IndexReader, items: list[BenchItem], out: str | Path, check: CheckOptions | None = None,
    options: DecontaminateOptions | None = None, source: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> DecontaminationResult:
    """Write ``index``'s corpus to ``out`` without the items' contaminating spans (see the module
    docstring); returns the counts the report shows. Rerunning after an interruption continues
    where the last complete part ended and gives the same output."""
    from tracer.contamination.decon_report import write_report
    from tracer.contamination.decon_source import iter_source_documents, source_record

    check = check or CheckOptions()
    options = options or DecontaminateOptions()
    if not items:
        raise InputError("no benchmark items to check")
    if check.soft and options.mode == "mask":
        raise InputError("--soft goes with --mode drop only: a soft match is a similar passage, not exact spans "
                         "that a marker could replace")
    writer = ShardedWriter(Path(out), options.output_format, options.shard_docs, options.shard_bytes,
                           fingerprint(index, items, check, options, source))
    first = writer.resume()  # a folder holding other output is refused before the check runs
    removal = find_removals(index, items, check, progress)
    resumed = first > 0 or writer.done
    docs = iter_source_documents(index, source, first) if source else iter_index_documents(index, first)
    make = source_record(index) if source else output_record
    per_doc: dict[int, dict] = {}
    counts = {"in": 0, "out": 0, "dropped": 0, "masked": 0, "tokens_in": 0, "tokens_removed": 0}
    if not writer.done:
        for doc_index, meta, text, _ in docs:
            hit = removal.docs.get(doc_index)
            if hit is None:
                writer.add(make(meta, text))
            elif options.mode == "mask":
                new_text, _, _ = masked(index, doc_index, text, hit, options.marker)
                writer.add(make(meta, new_text))
            writer.end_doc(doc_index + 1)
        writer.finish(index.n_docs)
    # the counts come from the index and the removal set, so a resumed run reports the same
    for doc_index, hit in sorted(removal.docs.items()):
        shard = index.shards[hit.shard]
        local = doc_index - shard.doc_base
        meta = shard.meta(local)
        a, b = shard.doc_range(local)
        row = {"doc_index": doc_index, "doc_id": str(meta.get("id")), "source": meta.get("source"),
               "tokens": b - a, "items": sorted(hit.items)}
        if options.mode == "mask":
            row["masked_tokens"] = sum(y - x for x, y in merge_ranges(hit.ranges))
        per_doc[doc_index] = row
    counts["in"] = index.n_docs
    counts["tokens_in"] = index.n_tokens - index.n_docs  # separators excluded
    if options.mode == "drop":
        counts["dropped"] = len(per_doc)
        counts["tokens_removed"] = sum(r["tokens"] for r in per_doc.values())
    else:
        counts["masked"] = len(per_doc)
        counts["tokens_removed"] = sum(r["masked_tokens"] for r in per_doc.values())
    counts["out"] = counts["in"] - counts["dropped"]
    result = DecontaminationResult(removal, counts["in"], counts["out"], counts["dropped"], counts["masked"],
                                   counts["tokens_in"], counts["tokens_removed"], per_doc,
                                   [p.name for p in writer.parts], resumed)
    write_report(Path(out), result, check, options, index)
    return result


def build_clean_index(index: IndexReader, result: DecontaminationResult, out: str | Path, dest: str | Path,
                      source: list[str] | None = None, progress: bool = False) -> Manifest:
    """Build an index of the output parts with the tokenizer and normalization of ``index``."""
    from tracer.contamination.decon_source import _text_field
    from tracer.index.builder import build

    kind = index.manifest["tokenizer"].get("kind")
    tokenizer = str(index.path / TOKENIZER_FILE) if kind == "hf" else "bytes"
    parts = [str(Path(out) / p) for p in result.parts]
    return build(parts, str(dest), tokenizer=tokenizer, text_field=_text_field(index) if source else "text",
                 id_field=None if source else "id", normalize=bool(index.normalization),
                 progress=progress).manifest
