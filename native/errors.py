"""The one exception the kernels raise: kept numba-free so callers can name it cheaply."""

from __future__ import annotations


class CorruptArrayError(ValueError):
    """An index array holds a value outside what the arrays it indexes allow (e.g. a suffix-array
    entry past the end of the tokens): the index files are damaged. The kernels raise it instead of
    answering; the index layer turns it into ``tracer.errors.CorruptIndexError`` naming the file."""
