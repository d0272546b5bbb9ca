"""Progress bars for long commands: tqdm on stderr, shown on a terminal (after a short delay, so
quick runs print nothing) or when ``--progress`` asks for it; ``--no-progress`` silences it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

SHOW_AFTER_S = 0.5  # a bar appears only for work that takes longer than this


def add_progress(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="show a progress bar on stderr even when it is not a terminal")
    group.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")


def progress_bar(args: argparse.Namespace, total: int | None, unit: str, desc: str) -> Any | None:
    """A tqdm bar (call ``.update(n)``, then ``.close()``), or None when no bar is wanted."""
    wanted = args.progress if args.progress is not None else sys.stderr.isatty()
    if not wanted:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, leave=False,
                delay=0 if args.progress else SHOW_AFTER_S)
