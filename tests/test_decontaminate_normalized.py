"""Mask mode on a normalized index: benchmark items injected reformatted (upper case, wrapped
lines, runs of spaces, curly quotes) are found through normalization, and the masked output
replaces exactly the raw characters of each injected copy, keeping every other character (the
oracle: the raw text with each injected piece replaced by the marker). Also: decontaminate does
not offer flags that only shape `tracer contamination`'s report."""

from __future__ import annotations

import json
import random

import pytest
from test_decontaminate import _words, read_parts

import tracer
from tracer.contamination import BenchItem
from tracer.contamination.decontaminate import DEFAULT_MARKER, DecontaminateOptions, decontaminate


def _variant(item: str, how: int) -> tuple[str, str]:
    """A reformatting of ``item`` as put into a document, and the part of it that normalizes back
    to the item (what masking must replace)."""
    words = item.split(" ")
    if how == 0:
        return item.upper(), item.upper()
    if how == 1:
        wrapped = "\n".join(" ".join(words[i : i + 5]) for i in range(0, len(words), 5))  # wrapped lines
        return wrapped, wrapped
    if how == 2:
        spaced = "  ".join(words[:3]) + "\u00a0" + " \t ".join(words[3:])  # runs of spaces, a no-break space
        return spaced, spaced
    return "\u201c" + item.title() + "\u201d", item.title()  # in curly quotes (kept), title case


@pytest.fixture(scope="module")
def normalized(tmp_path_factory):
    d = tmp_path_factory.mktemp("decon-norm")
    rng = random.Random(3)
    items = [_words(rng, 16) + "?" for _ in range(4)]  # 0, 1 injected; 2, 3 clean
    docs = [_words(rng, rng.randint(30, 80)) for _ in range(60)]
    injected: dict[int, list[str]] = {}
    for k, (d_i, item) in enumerate(((4, items[0]), (9, items[1]), (9, items[0]), (21, items[1]), (40, items[0]))):
        piece, masked = _variant(item, k % 4)
        words = docs[d_i].split(" ")
        cut = rng.randint(1, len(words) - 1)
        docs[d_i] = " ".join(words[:cut]) + " " + piece + " " + " ".join(words[cut:])
        injected.setdefault(d_i, []).append(masked)
    docs.append(_variant(items[1], 0)[0])  # a whole document that is one reformatted copy
    injected[len(docs) - 1] = [docs[-1]]
    with open(d / "c.jsonl", "w", encoding="utf-8") as f:
        for i, t in enumerate(docs):
            f.write(json.dumps({"id": f"doc{i}", "text": t}) + "\n")
    with open(d / "bench.jsonl", "w", encoding="utf-8") as f:
        for q in items:
            f.write(json.dumps({"question": q, "answer": "#### 7"}) + "\n")
    tracer.build([str(d / "c.jsonl")], str(d / "idx"), id_field="id", progress=False, normalize=True)
    bench = [BenchItem(str(i), "toy", "test", q, "#### 7") for i, q in enumerate(items)]
    return d, docs, items, injected, bench


def test_mask_on_normalized_index_keeps_every_untouched_character(normalized, tmp_path):
    d, docs, items, injected, bench = normalized
    index = tracer.open(d / "idx")
    assert index.normalization
    res = decontaminate(index, bench, tmp_path / "out", None, DecontaminateOptions(mode="mask"))
    assert [r.contaminated for r in res.removal.results] == [True, True, False, False]
    rows = read_parts(tmp_path / "out")
    assert [r["id"] for r in rows] == [f"doc{i}" for i in range(len(docs))]
    assert res.docs_masked == len(injected) and res.docs_dropped == 0
    for i, (row, text) in enumerate(zip(rows, docs, strict=True)):
        expect = text
        for piece in injected.get(i, []):
            assert piece in expect
            expect = expect.replace(piece, DEFAULT_MARKER)
        assert row["text"] == expect, (i, row["text"], expect)


def test_decontaminate_has_no_report_only_flags(normalized, tmp_path, tracer_cli):
    d = normalized[0]
    for flag in ("--documents", "--clean-below", "--dirty-from"):
        proc = tracer_cli("decontaminate", "--index", d / "idx", d / "bench.jsonl", "--out", tmp_path / "o", flag, "3")
        assert proc.returncode == 2 and "unrecognized arguments" in proc.stderr, proc.stderr
    assert not (tmp_path / "o").exists()
