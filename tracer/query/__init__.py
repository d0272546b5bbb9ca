"""Queries on top of the native kernels: count, find, documents and trace (``Index`` in ``index``),
with their options, defaults and validation in ``options`` and the ranking tail of tracing,
shared with the fan-out merge, in ``trace_rank``."""
