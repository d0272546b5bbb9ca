"""Corpus readers: JSONL(.gz/.zst), Parquet, HF save_to_disk Arrow folders, text files -> Document."""

from tracer.corpus.document import Document, ReadOptions, SkipLog
from tracer.corpus.sources import Slice, group_into_jobs, plan_slices, read_slice

__all__ = ["Document", "ReadOptions", "SkipLog", "Slice", "group_into_jobs", "plan_slices", "read_slice"]


def iter_documents(inputs: list[str], opts: ReadOptions | None = None) -> "Iterator[Document]":  # noqa: F821, UP037
    """Every document of the inputs, in build order (used by benchmark loaders and tests)."""
    opts = opts or ReadOptions()
    skips = SkipLog()
    for s in plan_slices(inputs, 1 << 30):
        yield from read_slice(s, opts, skips)
