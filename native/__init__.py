"""tracer_native: numba kernels over numpy / memory-mapped arrays (nogil, cached on disk)."""

from tracer_native.docs import (
    documents_of_positions,
    gather_token_bytes,
    lead_byte_sum,
)
from tracer_native.errors import CorruptArrayError
from tracer_native.infgram import infgram_scan, sampled_infgram_scan
from tracer_native.join import JOIN_BAD_A, JOIN_BAD_B, JOIN_OK, join_prefix_lengths
from tracer_native.lf_merge import interleave
from tracer_native.longest import longest_prefix_lengths, sampled_longest_into, sampled_longest_prefix_lengths
from tracer_native.merge import compare_suffixes, merge_runs, rank_in_run
from tracer_native.ngram import (
    backoff_counts,
    match_in_spans,
    min_cover_spread,
    narrow_range,
    next_token_groups,
    next_tokens_at,
    sampled_backoff_counts,
)
from tracer_native.search import (
    EMPTY_LENS,
    EMPTY_LOOKUP,
    EMPTY_ROWS,
    checked_range,
    common_prefix,
    compare_suffix,
    count_batch,
    count_sequence,
    ids_searchable,
    positions_in_range,
    ranges_of_spans,
    sa_entry,
    sa_range,
    sample_bounds,
    sampled_checked_range,
    sampled_count,
    sampled_count_batch,
    sampled_range,
    sampled_ranges_of_spans,
    sampled_spans_into,
)
from tracer_native.soft import best_aligned_span, cooccurrence_windows

__all__ = [
    "CorruptArrayError", "best_aligned_span", "checked_range", "cooccurrence_windows", "common_prefix", "compare_suffix",
    "count_batch", "count_sequence", "documents_of_positions", "gather_token_bytes", "ids_searchable",
    "lead_byte_sum", "longest_prefix_lengths", "positions_in_range", "ranges_of_spans", "sa_entry", "sa_range",
    # two-suffix-array join (join.py)
    "JOIN_BAD_A", "JOIN_BAD_B", "JOIN_OK", "join_prefix_lengths",
    "compare_suffixes", "merge_runs", "rank_in_run",  # suffix-array merges (merge.py)
    "interleave",  # the LF-ranked merge's last step (lf_merge.py)
    # in-RAM suffix-array samples (tracer/index/sample.py) and the kernels they narrow
    "EMPTY_LENS", "EMPTY_LOOKUP", "EMPTY_ROWS", "sample_bounds", "sampled_backoff_counts",
    "sampled_checked_range", "sampled_count", "sampled_count_batch", "sampled_infgram_scan",
    "sampled_longest_into", "sampled_longest_prefix_lengths", "sampled_range", "sampled_ranges_of_spans",
    "sampled_spans_into",
    # n-gram / ∞-gram and AND/OR search (ngram.py)
    "backoff_counts", "infgram_scan", "match_in_spans", "min_cover_spread", "narrow_range", "next_token_groups", "next_tokens_at",
]
