"""Options of ``tracer decontaminate`` (apart from the check's own, ``CheckOptions``): kept apart
from the run so that the command line is built without importing the kernels."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracer.contamination.shard_writer import FORMATS
from tracer.errors import InputError
from tracer.query.options import flag

MODES = ("drop", "mask")
DEFAULT_MARKER = "<|decontaminated|>"
REPORT_NAME = "decontamination-report"  # .json and .md in the output folder


@dataclass(frozen=True)
class DecontaminateOptions:
    """What to do with contaminated documents and how to write the output."""

    mode: str = field(default="drop", metadata=flag(
        "--mode", choices=MODES, help="drop documents holding a contaminating span, or mask the spans "
                                      "(default {default})"))
    marker: str = field(default=DEFAULT_MARKER, metadata=flag(
        "--marker", metavar="TEXT", help="what replaces each masked span with --mode mask (default {default})"))
    output_format: str = field(default="jsonl.zst", metadata=flag(
        "--output-format", choices=FORMATS, help="format of the output parts (default {default})"))
    shard_docs: int = field(default=100_000, metadata=flag(
        "--shard-docs", metavar="N", help="documents per output part, at most (default {default}; 0: no limit)"))
    shard_bytes: int = field(default=1 << 30, metadata=flag(
        "--shard-bytes", metavar="B", help="JSON bytes per output part, about (default {default}; 0: no limit)"))

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"unknown mode {self.mode!r} (choose from {', '.join(MODES)})")
        if self.output_format not in FORMATS:
            raise InputError(f"unknown output format {self.output_format!r} (choose from {', '.join(FORMATS)})")
        if self.shard_docs < 0 or self.shard_bytes < 0:
            raise InputError("--shard-docs and --shard-bytes must be >= 0")
        if self.mode == "mask" and not self.marker.strip():
            raise InputError("--marker must hold some non-space text (a blank marker would join the words around it)")


__all__ = ["DEFAULT_MARKER", "MODES", "REPORT_NAME", "DecontaminateOptions"]
