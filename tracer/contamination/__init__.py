"""Benchmark contamination: per-item overlap with the indexed corpus, verdicts and reports.

Library entry point (used by the CLI and the gRPC server)::

    results = tracer.contamination.check_items(index, items, CheckOptions())
    [r.to_json() for r in results]

Items come from ``read_benchmarks(paths, FieldSpec(...))`` or are built directly as
``BenchItem(id, benchmark, split, input, label)``.

The names below are imported on first use (PEP 562): the command line imports this package's
options modules to build its flags, which must not cost loading the numba kernels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracer.lazy import lazy_exports

_WHERE = {
    "DocumentMatch": "check", "ItemResult": "check", "MatchedSpan": "check", "check_items": "check",
    "BenchItem": "inputs", "FieldSpec": "inputs", "read_benchmark": "inputs", "read_benchmarks": "inputs",
    "PartMetrics": "metrics", "CheckOptions": "options",
    "contaminated_share": "verdict", "summarize": "verdict",
}

__all__ = [
    "BenchItem", "CheckOptions", "DocumentMatch", "FieldSpec", "ItemResult", "MatchedSpan", "PartMetrics",
    "check_items", "contaminated_share", "read_benchmark", "read_benchmarks", "summarize",
]


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())


if TYPE_CHECKING:
    from tracer.contamination.check import DocumentMatch, ItemResult, MatchedSpan, check_items
    from tracer.contamination.inputs import BenchItem, FieldSpec, read_benchmark, read_benchmarks
    from tracer.contamination.metrics import PartMetrics
    from tracer.contamination.options import CheckOptions
    from tracer.contamination.verdict import contaminated_share, summarize
