"""Plain text files: one document per file, id = path relative to the folder given."""

from __future__ import annotations

from collections.abc import Iterator

from tracer.corpus.document import Document, ReadOptions, SkipLog, bad_record


def read_text_files(files: list[tuple[str, str]], opts: ReadOptions, skips: SkipLog) -> Iterator[Document]:
    """``files`` holds (path, id) pairs; invalid UTF-8 is a located error."""
    for path, doc_id in files:
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            bad_record(f"{path}: cannot read ({e.strerror})", opts, skips)
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            bad_record(f"{path}:{line}: invalid UTF-8 at byte {e.start}", opts, skips)
            continue
        yield Document(text=text, doc_id=doc_id, meta={"source": path})
