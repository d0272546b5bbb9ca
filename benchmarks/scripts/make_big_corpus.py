"""Make the corpus of the >4G-token shard benchmark (issue 15): real source text, as JSONL.

Every text file of the given source tarballs (or installed source directories), in tar order (one document per file,
``{"id": "<tarball>:<path>", "text": ...}``; binaries and invalid UTF-8 skipped, as make_corpus
does), until ``--max-bytes`` of text. Reproducible from Debian packages, no network:

    apt-get install linux-source-6.1 gcc-12-source gcc-11-source glibc-source binutils-source \
        gdb-source newlib-source fpc-source-3.2.2
    python -m benchmarks.scripts.make_big_corpus --out ../bench/big-extra.jsonl

The benchmark indexes this file together with ../bench/linux-full.jsonl (Linux 6.12, 1.49 GB):
Linux 6.1 beside 6.12 and gcc 11 beside 12 make it repetitive on purpose (long shared prefixes
across the merged parts), which is what the suffix-array merge has to stay fast on.
"""

from __future__ import annotations

import argparse
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import orjson

from benchmarks.scripts.make_corpus import as_text

TARBALLS = (
    "/usr/src/linux-source-6.1.tar.xz",
    "/usr/src/gcc-12/gcc-12.2.0-dfsg.tar.xz",
    "/usr/src/gcc-11/gcc-11.3.0-dfsg.tar.xz",
    "/usr/src/glibc/glibc-2.36.tar.xz",
    "/usr/src/binutils/binutils-2.40.tar.xz",
    "/usr/src/gdb.tar.xz",
    "/usr/src/newlib/newlib-3.3.0.tar.xz",
    "/usr/share/fpcsrc/3.2.2",
)
MAX_FILE = 4 << 20  # larger files are generated tables or data, not text anyone traces


def dir_docs(path: str) -> Iterator[tuple[str, str]]:
    """Every file under a source directory (an installed -source package), in sorted order."""
    root = Path(path)
    for f in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        if f.stat().st_size <= MAX_FILE:
            text = as_text(f.read_bytes())
            if text is not None:
                yield f"{root.name}:{f.relative_to(root)}", text


def tar_docs(path: str) -> Iterator[tuple[str, str]]:
    if Path(path).is_dir():
        yield from dir_docs(path)
        return
    name = Path(path).name
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            if not member.isfile() or member.size > MAX_FILE:
                continue
            f = tar.extractfile(member)
            text = as_text(f.read()) if f is not None else None
            if text is not None:
                yield f"{name}:{member.name}", text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-bytes", type=int, default=3_000_000_000)
    ap.add_argument("--tarballs", nargs="*", default=list(TARBALLS))
    args = ap.parse_args(argv)
    total = docs = 0
    with open(args.out, "wb") as out:
        for tarball in args.tarballs:
            if not Path(tarball).exists():
                print(f"{tarball}: missing (apt-get install the package named in this script's doc)", file=sys.stderr)
                return 2
            for doc_id, text in tar_docs(tarball):
                line = orjson.dumps({"id": doc_id, "text": text}) + b"\n"
                out.write(line)
                total += len(text.encode("utf-8"))
                docs += 1
                if total >= args.max_bytes:
                    break
            print(f"{tarball}: {docs} documents, {total} bytes so far", file=sys.stderr)
            if total >= args.max_bytes:
                break
    print(f"wrote {args.out}: {docs} documents, {total} bytes of text", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
