"""Sharded, atomic, resumable output of a document stream: JSONL, JSONL.zst or Parquet parts.

Each part is written to ``NAME.tmp`` and renamed when complete; after each rename the state file
(``_state.json``, written atomically) records the part and the input position where the next one
starts. A rerun with the same settings (``fingerprint``) continues after the last recorded part;
a part renamed but not yet recorded is simply written again, identically, because where a part
ends depends only on the documents it holds.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tracer.errors import InputError

FORMATS = ("jsonl", "jsonl.zst", "parquet")
STATE = "_state.json"
KILL_HOOK = "TRACER_TEST_KILL_AFTER_PARTS"  # tests: SIGKILL the process after this many parts are renamed


def write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class Part:
    name: str
    first_doc: int  # input documents [first_doc, next_doc) were read for it
    next_doc: int
    records: int
    bytes: int

    def to_json(self) -> dict:
        return {"name": self.name, "first_doc": self.first_doc, "next_doc": self.next_doc,
                "records": self.records, "bytes": self.bytes}


class ShardedWriter:
    """Collects records into parts of at most ``shard_docs`` records or about ``shard_bytes`` bytes
    (of JSON text) each; ``add`` returns nothing, ``end_doc`` marks a point where a part may end."""

    def __init__(self, out: Path, fmt: str, shard_docs: int, shard_bytes: int, fingerprint: str):
        if fmt not in FORMATS:
            raise InputError(f"unknown output format {fmt!r} (choose from {', '.join(FORMATS)})")
        self.out, self.fmt = out, fmt
        self.shard_docs, self.shard_bytes = shard_docs, shard_bytes
        self.fingerprint = fingerprint
        self.parts: list[Part] = []
        self.done = False
        self._rows: list[bytes] = []
        self._size = 0
        self._first = 0
        self._kill_after = int(os.environ.get(KILL_HOOK, "0") or 0)

    # -- state ------------------------------------------------------------------------
    def resume(self) -> int:
        """Create ``out`` or continue a run of the same settings there; returns the first input
        document still to read. A folder holding anything else is an error (nothing is overwritten)."""
        state_path = self.out / STATE
        if self.out.exists() and not self.out.is_dir():
            raise InputError(f"{self.out}: exists and is not a folder")
        if state_path.exists():
            state = json.loads(state_path.read_text(encoding="utf-8"))
            if state.get("fingerprint") != self.fingerprint:
                raise InputError(f"{self.out}: holds a decontamination run with other settings or inputs; "
                                 "remove it or choose another --out")
            self.parts = [Part(**p) for p in state["parts"]]
            self.done = bool(state.get("done"))
        elif self.out.exists() and any(self.out.iterdir()):
            raise InputError(f"{self.out}: folder exists and is not empty (choose another --out)")
        self.out.mkdir(parents=True, exist_ok=True)
        for f in self.out.glob("*.tmp"):
            f.unlink()
        known = {p.name for p in self.parts}
        for f in self.out.glob("part-*"):  # renamed after the last recorded state: written again
            if f.name not in known:
                f.unlink()
        self._first = self.parts[-1].next_doc if self.parts else 0
        return self._first

    def _save(self) -> None:
        write_json_atomic(self.out / STATE, {"fingerprint": self.fingerprint, "done": self.done,
                                             "parts": [p.to_json() for p in self.parts]})

    # -- records ----------------------------------------------------------------------
    def add(self, record: dict) -> None:
        line = orjson.dumps(record) + b"\n"
        self._rows.append(line)
        self._size += len(line)

    def end_doc(self, next_doc: int) -> None:
        """Input documents before ``next_doc`` are handled: close the part if it is full."""
        if (self.shard_docs and len(self._rows) >= self.shard_docs) or (self.shard_bytes and self._size >= self.shard_bytes):
            self._flush(next_doc)

    def finish(self, next_doc: int) -> None:
        if self._rows or not self.parts:
            self._flush(next_doc)
        self.done = True
        self._save()

    def _flush(self, next_doc: int) -> None:
        name = f"part-{len(self.parts):05d}.{self.fmt}"
        path = self.out / name
        tmp = path.with_name(name + ".tmp")
        _write(tmp, self.fmt, self._rows)
        os.replace(tmp, path)
        self.parts.append(Part(name, self._first, next_doc, len(self._rows), path.stat().st_size))
        self._save()
        self._rows, self._size, self._first = [], 0, next_doc
        if self._kill_after and len(self.parts) >= self._kill_after:
            import signal

            os.kill(os.getpid(), signal.SIGKILL)


def _write(path: Path, fmt: str, rows: Iterable[bytes]) -> None:
    data = b"".join(rows)
    if fmt == "jsonl":
        path.write_bytes(data)
    elif fmt == "jsonl.zst":
        import zstandard

        path.write_bytes(zstandard.ZstdCompressor(level=3).compress(data))
    else:
        _write_parquet(path, data)


def _write_parquet(path: Path, data: bytes) -> None:
    """Columns id, text, and meta (the record's other fields as a JSON object string): one schema
    whatever fields the corpus records carry."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("Parquet output needs pyarrow (pip install pyarrow)") from None
    ids, texts, metas = [], [], []
    for line in io.BytesIO(data):
        rec = orjson.loads(line)
        ids.append(str(rec.pop("id", "")))
        texts.append(rec.pop("text", ""))
        metas.append(orjson.dumps(rec, option=orjson.OPT_SORT_KEYS).decode())
    table = pa.table({"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string()),
                      "meta": pa.array(metas, pa.string())})
    pq.write_table(table, path, compression="zstd")
