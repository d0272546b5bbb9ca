"""The running interpreter's standard-library sources: a real corpus every machine has (demos, examples)."""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path

SKIP_DIRS = {"site-packages", "test", "tests", "idlelib", "__pycache__"}


def stdlib_sources() -> Iterator[tuple[str, str]]:
    """(id, text) of every readable .py file of the stdlib, tests excluded, in a fixed order; id = relative path."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    for dirpath, dirnames, filenames in os.walk(lib):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            f = Path(dirpath) / name
            try:
                text = f.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            yield str(f.relative_to(lib)), text
