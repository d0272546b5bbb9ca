"""What a fan-out client needs besides a shard group's spans to merge traces from several groups.

A trace over an index split into shard groups (one server each) is merged on the client: spans are
recounted on every group with the searched token ids, and ranked by unigram log-probability under
the *summed* unigram counts of all groups. Each group therefore reports the ids it searched (after
normalization, exactly as ``trace`` tokenizes: ``TraceResult.token_ids``) and its own unigram count
of each, plus its total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracer.index.reader import IndexReader


@dataclass
class TraceTokenStats:
    ids: np.ndarray  # the searched token ids of the traced text
    unigram_counts: np.ndarray  # u64, this index's unigram count of each id
    unigram_total: int  # sum of the index's unigram table (separators excluded)
    unigram_vocab: int  # length of the unigram table


def trace_token_stats(index: IndexReader, ids: np.ndarray) -> TraceTokenStats:
    """The unigram counts on ``index`` of the token ids a trace searched (``TraceResult.token_ids``)."""
    ids = np.asarray(ids)
    unigram = np.asarray(index.unigram)
    counts = unigram[ids.astype(np.int64)].astype(np.uint64) if len(ids) else np.zeros(0, np.uint64)
    return TraceTokenStats(ids, counts, int(unigram.sum(dtype=np.uint64)), len(unigram))
