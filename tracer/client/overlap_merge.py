"""Overlap rows of the same B documents from several shard groups, merged into what one index
holding all the groups answers.

A shared span lies inside one document of A, so it lies inside one group: the whole index's
longest match from a word is the largest of the groups' (M[w] = max over groups), which makes
the merge exact:

- covered words: the union of the groups' covered runs (a run of the whole index is a maximal
  stretch covered by some group; touching runs join, as they do in one mask);
- the span shown per run: the one from the merged run's start, the longest any group has there
  (only groups with a run starting exactly there cover that word);
- the longest span: the largest ``longest``; of the groups reaching it, the one whose span starts
  first (``longest_word``) names it, and exactly the groups starting theirs at that same word hold
  it (a group holding it elsewhere would start there too): its count is the sum of theirs and its
  A documents are theirs in group order, cut at ``max_documents``. One index lists the documents
  of the first 4 x max_documents suffix-array entries of the span; when the span occurs more
  often than that, either list is some of the documents holding it, not the same ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracer.contamination.overlap import DocOverlap
from tracer.contamination.overlap_options import OverlapOptions
from tracer.errors import InputError, MismatchError


def merge_runs(parts: Sequence[DocOverlap]) -> tuple[list[tuple[int, int]], list[str]]:
    """The union of the parts' covered runs and the span shown for each merged run."""
    pieces = sorted(((a, b, text) for p in parts for (a, b), text in zip(p.runs, p.spans, strict=True)),
                    key=lambda x: (x[0], -len(x[2])))
    runs: list[list[int]] = []
    spans: list[str] = []
    for a, b, text in pieces:
        if runs and a <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b])
            spans.append(text)  # sorted longest first among runs starting at a
    return [(a, b) for a, b in runs], spans


def merge_doc(parts: Sequence[DocOverlap], options: OverlapOptions) -> DocOverlap:
    """One B document's rows from every group (in group order) as one index would give it."""
    first = parts[0]
    if any((p.id, p.words) != (first.id, first.words) for p in parts):
        raise InputError(f"document {first.id!r}: the groups' rows are not of the same document")
    for p in parts:
        if sum(b - a for a, b in p.runs) != p.covered_words:
            raise MismatchError(f"document {p.id!r}: a group's row lacks its covered runs (a server older than "
                                "the fan-out merge of Overlap?): cannot merge exactly")
    runs, spans = merge_runs(parts)
    best = max(p.longest for p in parts)
    row = DocOverlap(first.id, first.words, sum(b - a for a, b in runs), best, "", 0, [], spans, runs, 0)
    if best == 0:
        return row
    word = min(p.longest_word for p in parts if p.longest == best)
    holders = [p for p in parts if p.longest == best and p.longest_word == word]
    row.longest_text = holders[0].longest_text
    row.longest_count = sum(p.longest_count for p in holders)
    row.longest_word = word
    if best >= options.ngram:
        docs: list[str] = []
        for p in holders:
            docs.extend(d for d in p.a_documents if d not in docs)
        row.a_documents = docs[: options.max_documents]
    return row


def merge_overlaps(groups: Sequence[Sequence[DocOverlap]], options: OverlapOptions) -> list[DocOverlap]:
    """Every B document's merged row; ``groups[g]`` holds group g's rows in B's order."""
    if len({len(g) for g in groups}) != 1:
        raise InputError("the groups answered for different numbers of documents")
    return [merge_doc(parts, options) for parts in zip(*groups, strict=True)]
