"""The ``tracer`` command: subcommands live in tracer/cli/commands/, one module each.

Data goes to stdout, logs and progress to stderr. Exit codes: 0 ok / clean, 1 contamination
found (``contamination``), 2 usage, input or I/O error — always with a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from tracer import __version__
from tracer.errors import TracerError

# commands in the order `tracer --help` lists them; any other module in commands/ follows
ORDER = ["build", "info", "count", "find", "doc", "verify", "trace", "contamination", "decontaminate", "overlap", "report", "score", "serve", "demo"]


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


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code = args.func(args)
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
    except BrokenPipeError:
        return 0
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
