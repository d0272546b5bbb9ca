"""Overlap through the fan-out client: two servers, each holding one half of a corpus, answer as one
server holding the whole (rows, the spans per covered run, the summary), for B documents whose
shared spans come from one half, from both (touching and overlapping runs), or from neither."""

from __future__ import annotations

import random

import pytest
from test_fanout import _corpus, _setup

from tracer.client.overlap_merge import merge_runs
from tracer.contamination.overlap import DocOverlap
from tracer.contamination.overlap_options import OverlapOptions


@pytest.fixture(scope="module")
def groups(tmp_path_factory):
    texts, _, frequent = _corpus(seed=11)
    servers, single, fan = _setup(tmp_path_factory.mktemp("fanout_overlap"), texts)
    yield texts, frequent, single, fan
    single.close()
    fan.close()
    for s in servers:
        s.stop(0)


def _b_documents(texts: list[str], frequent: str) -> list[tuple[str, str]]:
    rng = random.Random(4)
    half = len(texts) // 2

    def piece(i: int, n: int) -> str:
        words = texts[i].split()
        a = rng.randrange(0, max(1, len(words) - n))
        return " ".join(words[a : a + n])

    docs = [("whole-a", texts[3]), ("whole-b", texts[half + 5]), ("neither", "zzq yyq xxq wwq vvq uuq tt ss")]
    for k in range(12):  # pieces of both halves side by side: runs of the two groups touch or overlap
        parts = [piece(rng.randrange(half), rng.randrange(3, 12)), piece(half + rng.randrange(half), rng.randrange(3, 12))]
        rng.shuffle(parts)
        docs.append((f"mix{k}", (" " if k % 2 else " qq ").join(parts) + " " + frequent))
    docs.append(("both-whole", texts[7] + " " + texts[half + 9]))
    return docs


@pytest.mark.parametrize("ngram", [3, 6])
def test_fanout_overlap_equals_one_server(groups, ngram):
    texts, frequent, single, fan = groups
    docs = _b_documents(texts, frequent)
    opts = OverlapOptions(ngram=ngram, max_documents=50)
    want_rows, want_summary = single.overlap(docs, opts)
    rows, summary = fan.overlap(docs, opts)
    assert [r.to_json() for r in rows] == [r.to_json() for r in want_rows]
    assert [(r.runs, r.spans, r.longest_word) for r in rows] == [(r.runs, r.spans, r.longest_word) for r in want_rows]
    assert summary == want_summary
    mixed = [r for r in rows if r.id.startswith("mix")]
    assert sum(r.covered_words for r in mixed) > 0 and rows[2].covered_words == 0
    # the groups' own rows really had to be merged: each half alone covers less
    halves = [c.overlap(docs, opts)[0] for c in fan.clients]
    assert any(max(h[i].covered_words for h in halves) < rows[i].covered_words for i in range(len(docs)))
    assert any(h[i].longest_count < rows[i].longest_count for h in halves for i in range(len(docs)))
    assert any(len(rows[i].runs) < sum(len(h[i].runs) for h in halves) for i in range(len(docs)))  # runs joined


def test_merge_runs_joins_touching_runs_and_keeps_the_longest_span():
    def row(runs, spans):
        return DocOverlap("d", 30, 0, 0, "", 0, [], spans, runs)

    runs, spans = merge_runs([row([(0, 5), (12, 15)], ["a b c d e", "x y z"]),
                              row([(5, 9), (12, 20), (25, 27)], ["f g h i", "x y z w v u t s", "p q"])])
    assert runs == [(0, 9), (12, 20), (25, 27)]
    assert spans == ["a b c d e", "x y z w v u t s", "p q"]



def test_rows_without_runs_are_refused():
    from tracer.client.overlap_merge import merge_doc
    from tracer.errors import MismatchError

    old = DocOverlap("d", 10, 4, 4, "a b c d", 1, [])  # what a server before the merge fields sends
    with pytest.raises(MismatchError, match="covered runs"):
        merge_doc([old, old], OverlapOptions(ngram=3))
