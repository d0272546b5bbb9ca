"""Benchmark contamination: per-item overlap with the indexed corpus, verdicts and reports.

Library entry point (used by the CLI and the gRPC server)::

    results = tracer.contamination.check_items(index, items, CheckOptions())
    [r.to_json() for r in results]

Items come from ``read_benchmarks(paths, FieldSpec(...))`` or are built directly as
``BenchItem(id, benchmark, split, input, label)``.
"""

from tracer.contamination.check import DocumentMatch, ItemResult, MatchedSpan, check_items
from tracer.contamination.inputs import BenchItem, FieldSpec, read_benchmark, read_benchmarks
from tracer.contamination.metrics import PartMetrics
from tracer.contamination.options import CheckOptions
from tracer.contamination.verdict import contaminated_share, summarize

__all__ = [
    "BenchItem", "CheckOptions", "DocumentMatch", "FieldSpec", "ItemResult", "MatchedSpan", "PartMetrics",
    "check_items", "contaminated_share", "read_benchmark", "read_benchmarks", "summarize",
]
