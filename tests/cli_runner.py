"""Run ``tracer ARGS...`` inside the test process, the way a fresh process would see it.

A ``tracer`` subprocess spends ~2 s importing numba and loading the kernels from numba's cache
before it does any work; the tests make a few hundred CLI calls, so running ``main(argv)`` here
saves minutes of every test run. What a process boundary would give is rebuilt around the call:

- stdin, stdout and stderr are fresh UTF-8 streams (with ``.buffer``), stdin empty unless given;
- the exit code follows Python's rules for ``SystemExit`` and an uncaught exception prints its
  traceback on stderr and exits 1, so "no traceback" assertions keep their meaning;
- warnings go to the captured stderr under a fresh interpreter's default filters;
- ``cwd`` is entered and left.

Tests that need a real process (kill -9, signals, servers, pipes, the console script itself) keep
using ``subprocess`` with ``tracer_cli.argv``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import traceback
import warnings
from pathlib import Path


def _fresh_warning_filters() -> None:
    """The filters of a new interpreter without -W or PYTHONWARNINGS (the warnings docs' list)."""
    warnings.resetwarnings()
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.filterwarnings("ignore", category=category)


def _exit_code(e: SystemExit, err: io.TextIOBase) -> int:
    """Python's own mapping: None is 0, an int is itself, anything else is printed and means 1."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    print(e.code, file=err)
    return 1


def run_in_process(argv: list[str], cwd: str | os.PathLike | None = None,
                   input: str | None = None) -> subprocess.CompletedProcess:
    """``tracer argv...`` through ``tracer.cli.main.main``; the result a subprocess.run would give."""
    from tracer.cli.main import main

    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", write_through=True)
    stdin = io.TextIOWrapper(io.BytesIO((input or "").encode("utf-8")), encoding="utf-8")
    saved = sys.stdin, sys.stdout, sys.stderr
    here = os.getcwd()
    sys.stdin, sys.stdout, sys.stderr = stdin, out, err
    try:
        if cwd is not None:
            os.chdir(cwd)
        with warnings.catch_warnings():
            _fresh_warning_filters()
            warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: err.write(
                warnings.formatwarning(message, category, filename, lineno, line))
            try:
                code = main(list(argv))
            except SystemExit as e:
                code = _exit_code(e, err)
            except KeyboardInterrupt:
                code = 130
            except BaseException:  # what the interpreter prints for an uncaught exception, and its exit 1
                traceback.print_exc(file=err)
                code = 1
    finally:
        os.chdir(here)
        out.flush()
        err.flush()
        sys.stdin, sys.stdout, sys.stderr = saved
    text = lambda b: b.decode("utf-8", errors="replace").replace("\r\n", "\n")  # noqa: E731
    return subprocess.CompletedProcess(["tracer", *argv], int(code or 0), text(out_bytes.getvalue()),
                                       text(err_bytes.getvalue()))


def console_script() -> list[str]:
    """The installed ``tracer`` console script of this interpreter, for tests that need a process."""
    import shutil

    script = Path(sys.executable).with_name("tracer")
    return [str(script)] if script.exists() else [shutil.which("tracer") or "tracer"]
