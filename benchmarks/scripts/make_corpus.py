"""Make the benchmark corpus: Linux 6.12 source text plus the Python stdlib, as JSONL.

Reproducible from what Debian and Python install locally, no network:
  * the running interpreter's stdlib (``sysconfig.get_paths()["stdlib"]``, site-packages and
    __pycache__ excluded), all of it, first;
  * /usr/src/linux-source-6.12.tar.xz (``apt-get install linux-source-6.12``): the files under
    LINUX_DIRS, directory by directory in that order (tar order within one), until the byte
    budget is reached.
A document is one file (``{"id": <path>, "text": <file text>}``); files that are not valid UTF-8
or contain NUL bytes (binaries, images, firmware blobs) are skipped.

    python -m benchmarks.scripts.make_corpus --out ../bench/linux.jsonl
    python -m benchmarks.scripts.make_corpus --out ../bench/linux-extra.jsonl --no-stdlib \
        --linux-dirs fs,arch/x86,crypto --max-bytes 60000000     # disjoint: +60M tokens
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import sysconfig
import tarfile
from collections.abc import Iterator
from pathlib import Path

import orjson

LINUX_TARBALL = "/usr/src/linux-source-6.12.tar.xz"
# Core kernel and documentation first; drivers/ (mostly generated GPU register headers) is left out.
LINUX_DIRS = ("Documentation", "kernel", "mm", "ipc", "init", "block", "io_uring", "lib",
              "security", "net", "arch/x86", "fs", "crypto")
STDLIB_SKIP = {"site-packages", "dist-packages", "__pycache__"}


def as_text(data: bytes) -> str | None:
    """The file's text, or None for binaries (NUL bytes) and invalid UTF-8."""
    if not data or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def stdlib_docs() -> Iterator[tuple[str, str]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in STDLIB_SKIP)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            text = as_text(path.read_bytes())
            if text is not None:
                yield f"python{sys.version_info.major}.{sys.version_info.minor}/{path.relative_to(root)}", text


def linux_docs(tarball: str, dirs: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """Files of ``dirs`` in the order of ``dirs`` (the tar stream is read once, kept in memory)."""
    by_dir: dict[str, list[tuple[str, str]]] = {d: [] for d in dirs}
    with tarfile.open(tarball, "r|xz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            rel = member.name.split("/", 1)[1] if "/" in member.name else member.name
            top = next((d for d in dirs if rel.startswith(d + "/")), None)
            if top is None:
                continue
            f = tar.extractfile(member)
            text = as_text(f.read()) if f is not None else None
            if text is not None:
                by_dir[top].append((member.name, text))
    for d in dirs:
        yield from by_dir.pop(d)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-bytes", type=int, default=150_000_000, help="stop after this many bytes of UTF-8 text")
    ap.add_argument("--tarball", default=LINUX_TARBALL)
    ap.add_argument("--linux-dirs", default=",".join(LINUX_DIRS), help="comma-separated, in priority order")
    ap.add_argument("--no-stdlib", action="store_true", help="Linux files only (for a second, disjoint corpus)")
    args = ap.parse_args(argv)
    dirs = tuple(d.strip("/") for d in args.linux_dirs.split(",") if d.strip("/"))
    sources = [] if args.no_stdlib else [stdlib_docs()]
    total = docs = 0
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as out:
        for doc_id, text in itertools.chain(*sources, linux_docs(args.tarball, dirs)):
            size = len(text.encode("utf-8"))
            if total + size > args.max_bytes:
                break
            out.write(orjson.dumps({"id": doc_id, "text": text}) + b"\n")
            total += size
            docs += 1
    os.replace(tmp, args.out)
    print(f"{args.out}: {docs} documents, {total} bytes of text", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
