"""``--source``: decontaminated output re-read from the files the index was built from, so every
field of each record survives verbatim (the index keeps only JSON-able fields and its text).

Each index document remembers its ``source`` file and ``line`` (or ``row``); a source record is
matched to its document by the same file (same path, else the same absolute path, else the only
indexed file of that name) and position.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from tracer.corpus.records import iter_records
from tracer.errors import InputError
from tracer.index.reader import IndexReader


def _text_field(index: IndexReader) -> str:
    batches = index.manifest.get("build", {}).get("batches") or [{}]
    return batches[0].get("read", {}).get("text_field") or "text"


def source_record(index: IndexReader) -> Callable[[dict, str], dict]:
    """The output record of a source record: itself, its text field set to the (masked) text."""
    field = _text_field(index)
    return lambda data, text: {**data, field: text}


def _positions(index: IndexReader) -> tuple[dict[tuple[str, int], int], dict[str, str]]:
    """(source, line or row) -> document number; and a lookup from other spellings of each source."""
    import orjson

    where: dict[tuple[str, int], int] = {}
    names: dict[str, list[str]] = {}
    for shard in index.shards:
        data = (shard.path / "meta.jsonl").read_bytes()
        for local in range(shard.n_docs):
            meta = orjson.loads(data[int(shard.meta_idx[local]) : int(shard.meta_idx[local + 1])])
            src = str(meta.get("source"))
            pos = meta.get("line", meta.get("row"))
            if pos is not None:
                where[(src, int(pos))] = shard.doc_base + local
            names.setdefault(src, [])
    alias: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for src in names:
        alias[src] = src
        alias[os.path.abspath(src)] = src
        by_name.setdefault(Path(src).name, []).append(src)
    for name, srcs in by_name.items():
        if len(srcs) == 1:
            alias.setdefault(name, srcs[0])
    return where, alias


def iter_source_documents(index: IndexReader, paths: list[str], first: int = 0) -> Iterator[tuple[int, dict, str, int]]:
    """(document number, the source record, its text, tokens) for the records of ``paths`` from
    document ``first`` on. Every record must be an indexed document, met in corpus order."""
    where, alias = _positions(index)
    field = _text_field(index)
    last = -1
    for path in paths:
        for rec in iter_records(path):
            src = alias.get(rec.path) or alias.get(os.path.abspath(rec.path)) or alias.get(Path(rec.path).name)
            doc = where.get((src, rec.number)) if src is not None else None
            if doc is None:
                raise InputError(f"{rec.where}: record is not a document of the index {index.path} "
                                 "(--source must name the files the index was built from)")
            if doc <= last:
                raise InputError(f"{rec.where}: records out of corpus order (give --source files in the order of the build)")
            last = doc
            if doc < first:
                continue
            data = dict(rec.object())
            text = rec.text(field)
            shard, local = index.locate_doc(doc)
            a, b = shard.doc_range(local)
            yield doc, data, text, b - a
    if last + 1 != index.n_docs:
        raise InputError(f"--source holds {last + 1} of the index's {index.n_docs} documents "
                         "(name every file the index was built from)")
