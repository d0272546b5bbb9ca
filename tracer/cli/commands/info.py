"""tracer info: what an index holds."""

from __future__ import annotations

import argparse
from typing import Any

from tracer.cli.output import add_format, print_json

# text labels of info()'s keys; keys not named here are spelled with spaces for underscores
LABELS = {"format_version": "format version", "n_tokens": "tokens", "n_docs": "documents", "n_shards": "shards",
          "bytes_on_disk": "size on disk", "tool": "built by", "vocab_size": "vocabulary", "dtype": "token type"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe an index")
    p.add_argument("index", metavar="DIR")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tracer
    from tracer.index.blocks import blocks_present

    index = tracer.open(args.index)
    info = index.info()
    if args.format == "json":
        print_json(info)
        return 0
    info = dict(info)
    info["integrity"] = ("block checksums (CRC-32 per 1 MiB block)" if blocks_present(index.path, index.record)
                         else "whole-file sha256 only (built before block checksums)")
    for line in text_lines(info):
        print(line)
    return 0


def text_lines(info: dict[str, Any], indent: int = 0) -> list[str]:
    """Aligned ``label  value`` lines; a nested record (tokenizer) as indented lines under its label."""
    width = max((len(LABELS.get(k, k.replace("_", " "))) for k in info), default=0) + 2
    lines = []
    for key, value in info.items():
        label = LABELS.get(key, key.replace("_", " "))
        if key == "tool" and isinstance(value, dict):
            value = f"{value.get('name', '?')} {value.get('version', '?')}"
        if isinstance(value, dict):
            lines.append(" " * indent + label)
            lines += text_lines(value, indent + 2)
        else:
            lines.append(" " * indent + f"{label:<{width}}{_value(key, value)}")
    return lines


def _value(key: str, value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return _size(value) if key == "bytes_on_disk" else f"{value:,}"
    return str(value)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"
