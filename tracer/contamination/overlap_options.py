"""Options of ``tracer overlap`` / ``Index.overlap``: kept apart from the computation so that the
command line is built without importing the kernels."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracer.contamination.options import CheckOptions
from tracer.errors import InputError
from tracer.query.options import check_int, flag

DEFAULT_THRESHOLDS = (0.01, 0.1, 0.5, 0.8)


@dataclass(frozen=True)
class OverlapOptions:
    """What counts as shared (spans of >= ``ngram`` words, as in contamination) and what is shown."""

    ngram: int = field(default=CheckOptions.ngram, metadata=flag(
        "--ngram", metavar="N", help="shortest shared span that counts, in words (default {default})"))
    max_documents: int = field(default=3, metadata=flag(
        "--documents", metavar="N", help="A documents listed per B document's longest span (default {default})"))
    top_spans: int = field(default=20, metadata=flag(
        "--top-spans", metavar="N", help="spans shared by the most B documents in the summary (default {default})"))
    bins: int = field(default=10, metadata=flag(
        "--bins", metavar="N", help="histogram bins of the share of shared words (default {default})"))
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS  # summary: share of B documents at or above each

    def __post_init__(self) -> None:
        check_int("ngram", self.ngram, 1)
        check_int("max_documents", self.max_documents, 0)
        check_int("top_spans", self.top_spans, 0)
        check_int("bins", self.bins, 1)
        if not self.thresholds or not all(0 <= t <= 1 for t in self.thresholds):
            raise InputError("thresholds must be fractions in [0, 1]")
