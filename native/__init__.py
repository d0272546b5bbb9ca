"""tracer_native: numba kernels over numpy / memory-mapped arrays (nogil, cached on disk)."""

from tracer_native.docs import (
    documents_of_positions,
    gather_token_bytes,
    lead_byte_sum,
)
from tracer_native.errors import CorruptArrayError
from tracer_native.infgram import infgram_scan
from tracer_native.join import JOIN_BAD_A, JOIN_BAD_B, JOIN_OK, join_prefix_lengths
from tracer_native.merge import compare_suffixes, merge_runs, rank_in_run
from tracer_native.ngram import (
    backoff_counts,
    match_in_spans,
    min_cover_spread,
    narrow_range,
    next_token_groups,
    next_tokens_at,
)
from tracer_native.search import (
    checked_range,
    common_prefix,
    compare_suffix,
    count_batch,
    count_sequence,
    ids_searchable,
    longest_prefix_lengths,
    positions_in_range,
    ranges_of_spans,
    sa_entry,
    sa_range,
)
from tracer_native.soft import best_aligned_span, cooccurrence_windows

__all__ = [
    "CorruptArrayError", "best_aligned_span", "checked_range", "cooccurrence_windows", "common_prefix", "compare_suffix",
    "count_batch", "count_sequence", "documents_of_positions", "gather_token_bytes", "ids_searchable",
    "lead_byte_sum", "longest_prefix_lengths", "positions_in_range", "ranges_of_spans", "sa_entry", "sa_range",
    # two-suffix-array join (join.py)
    "JOIN_BAD_A", "JOIN_BAD_B", "JOIN_OK", "join_prefix_lengths",
    "compare_suffixes", "merge_runs", "rank_in_run",  # suffix-array merges (merge.py)
    # n-gram / ∞-gram and AND/OR search (ngram.py)
    "backoff_counts", "infgram_scan", "match_in_spans", "min_cover_spread", "narrow_range", "next_token_groups", "next_tokens_at",
]
