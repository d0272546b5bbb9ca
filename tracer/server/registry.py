"""Indexes served by name: ``--index DIR`` (named after the directory) or ``--index NAME=DIR``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracer.errors import InputError, NotFoundError
from tracer.query.index import Index

NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def parse_index_spec(spec: str) -> tuple[str, str]:
    """``NAME=DIR`` -> (NAME, DIR); a bare ``DIR`` is named after its last path component."""
    name, sep, path = spec.partition("=")
    if not sep:
        path = spec
        name = Path(spec.rstrip("/")).name or "default"
    if not name or not path:
        raise InputError(f"--index {spec!r}: expected DIR or NAME=DIR")
    if set(name) - NAME_CHARS:
        raise InputError(f"--index {spec!r}: an index name may use letters, digits, '_', '.', '-' only")
    return name, path


@dataclass
class IndexRegistry:
    """Open indexes by name; the first one is the default that an empty name selects."""

    indexes: dict[str, Index]
    default: str

    @classmethod
    def open(cls, specs: list[tuple[str, str]], verify: str = "off") -> IndexRegistry:
        """Open every index; ``verify`` as in ``tracer.open`` (startup: all blocks checked first)."""
        if not specs:
            raise InputError("give at least one --index")
        indexes: dict[str, Index] = {}
        for name, path in specs:
            if name in indexes:
                raise InputError(f"--index: the name {name!r} is given twice")
            indexes[name] = Index(path, verify=verify)
        return cls(indexes, specs[0][0])

    @classmethod
    def of(cls, indexes: dict[str, Index]) -> IndexRegistry:
        """Serve indexes that are already open (tests, embedding in another program)."""
        if not indexes:
            raise InputError("give at least one index")
        return cls(dict(indexes), next(iter(indexes)))

    def get(self, name: str) -> tuple[str, Index]:
        """The index by name; raises CorruptIndexError (DATA_LOSS) once its scrub found a bad block."""
        key = name or self.default
        try:
            index = self.indexes[key]
        except KeyError:
            raise NotFoundError(f"no index named {name!r} (this server has: {', '.join(self.indexes)})") from None
        index.integrity.check()
        return key, index

    @property
    def names(self) -> list[str]:
        return list(self.indexes)
