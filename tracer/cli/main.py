"""The ``tracer`` command: subcommands live in tracer/cli/commands/, one module each.

Data goes to stdout, logs and progress to stderr. Exit codes: 0 ok / clean, 1 contamination
found (``contamination``), 2 usage, input or I/O error — always with a one-line message; 141
(128 + SIGPIPE), silently, when the reader of stdout goes away (``tracer find ... | head -1``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from tracer import __version__
from tracer.errors import TracerError

# commands in the order `tracer --help` lists them; any other module in commands/ follows
ORDER = ["build", "info", "count", "find", "doc", "verify", "trace", "contamination", "decontaminate", "overlap",
         "report", "score", "serve", "demo", "ngram", "search"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    import tracer.cli.commands as pkg

    parser = _Parser(prog="tracer", description="Training-data tracing and contamination search.")
    parser.add_argument("--version", action="version", version=f"tracer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    names = [m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]
    names.sort(key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    for name in names:
        importlib.import_module(f"tracer.cli.commands.{name}").register(sub)
    return parser


EXIT_BROKEN_PIPE = 128 + 13  # what a Unix tool killed by SIGPIPE reports (`yes | head -1`)


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code = args.func(args)
        sys.stdout.flush()  # inside the try: a reader that went away shows here, not at exit
    except BrokenPipeError:  # before OSError, its base class: `tracer find ... | head -1`
        return _broken_pipe()
    except TracerError as e:
        print(f"tracer {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"tracer {args.command}: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tracer {args.command}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as e:
        if _rich_broken_pipe(e):  # rich's Console met the broken pipe first and exits 1 on its own
            return EXIT_BROKEN_PIPE
        raise
    except Exception as e:
        if _native_corruption(e):  # a kernel refused damaged data where no caller named the file
            print(f"tracer {args.command}: error: the index is corrupt ({e}); run `tracer verify` and rebuild it",
                  file=sys.stderr)
            return 2
        raise
    return int(code or 0)


def _broken_pipe() -> int:
    """The reader of stdout is gone (``| head``): exit quietly, as Unix tools do. Python flushes
    stdout again at exit, which would fail and print a warning, so point it at /dev/null first
    (the Python documentation's recipe in its note on SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE


def _rich_broken_pipe(e: SystemExit) -> bool:
    """Whether rich's ``Console.on_broken_pipe`` raised ``e`` (it has already silenced stdout)."""
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name == "on_broken_pipe" and "rich" in tb.tb_frame.f_code.co_filename


def _native_corruption(e: Exception) -> bool:
    """Whether ``e`` is the kernels' CorruptArrayError (without importing numba for every command)."""
    native = sys.modules.get("tracer_native")
    return native is not None and isinstance(e, native.CorruptArrayError)


if __name__ == "__main__":
    sys.exit(main())
