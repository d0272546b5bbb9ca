"""argparse arguments generated from an options dataclass (TraceOptions, FindOptions, ScoreOptions,
CheckOptions): the flag names and help come from each field's ``flag`` metadata, the default, the
type and the choices from the field itself, so the command line never restates a default."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, TypeVar

from tracer.query.options import CliFlag, defaults

T = TypeVar("T")
_TYPES = {"int": int, "float": float, "str": str}


def _flags(cls: type, skip: tuple[str, ...] = ()) -> list[tuple[dataclasses.Field, CliFlag]]:
    unknown = set(skip) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
    return [(f, f.metadata["cli"]) for f in dataclasses.fields(cls) if "cli" in f.metadata and f.name not in skip]


def add_options(parser: argparse.ArgumentParser, cls: type, skip: tuple[str, ...] = ()) -> None:
    """One argument per field of ``cls`` that has a flag, its value stored under the field's name;
    the fields named in ``skip`` (which mean nothing to this command) keep their defaults."""
    values = defaults(cls)
    for f, spec in _flags(cls, skip):
        kwargs: dict[str, Any] = {"dest": f.name, "help": spec.help.format(**{**values, "default": f.default})}
        kind = str(f.type).split("|")[0].strip()
        if kind == "bool":
            kwargs["action"] = "store_false" if spec.negate else "store_true"
        else:
            kwargs.update(type=_TYPES[kind], default=f.default)
            if spec.metavar:
                kwargs["metavar"] = spec.metavar
            if spec.choices:
                kwargs["choices"] = spec.choices
        parser.add_argument(*spec.names, **kwargs)


def options_from_args(args: argparse.Namespace, cls: type[T], skip: tuple[str, ...] = (), **values: Any) -> T:
    """``cls`` built from the parsed flags (validated by the class), plus ``values`` for other fields
    (``skip`` as given to ``add_options``)."""
    given = {f.name: getattr(args, f.name) for f, _ in _flags(cls, skip)}
    return cls(**{**given, **values})
