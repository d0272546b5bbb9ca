"""The command line starts without loading the numba kernels: building the parser and parsing any
command's flags imports only options modules (numba alone costs ~0.5 s per `tracer` call)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import contextlib, io, sys
from tracer.cli.main import make_parser
parser = make_parser()
for argv in (["overlap", "--index", "A", "B", "--ngram", "5", "--rescan"],
             ["decontaminate", "--index", "A", "bench.jsonl", "--out", "O", "--mode", "mask"],
             ["contamination", "--index", "A", "bench.jsonl"], ["score", "--help"], ["--help"],
             ["count", "--index", "A", "x"], ["trace", "--index", "A", "text"]):
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            parser.parse_args(argv)
    except SystemExit:
        pass
heavy = sorted(m for m in ("numba", "tracer_native", "llvmlite", "torch", "grpc") if m in sys.modules)
print(",".join(heavy) or "none")
"""


def test_parser_does_not_import_numba():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "none", proc.stdout


def test_lazy_package_names_still_resolve():
    """``tracer.contamination.check_items`` and ``tracer.membership.score_rows`` load on first use."""
    import tracer.contamination as contamination
    import tracer.membership as membership

    for name in contamination.__all__:
        assert getattr(contamination, name) is not None
    for name in membership.__all__:
        assert getattr(membership, name) is not None
    assert "check_items" in dir(contamination)
