"""A small real corpus for soft-matching tests: Python standard-library sources, with passages planted
between their paragraphs (the tests' oracle is which document holds which planted passage)."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import tracer
from tracer.query.index import Index

MODULES = ["argparse", "textwrap", "string", "difflib", "json.decoder", "shlex"]


def module_texts() -> list[str]:
    """The source of each of ``MODULES``: one document each."""
    return [inspect.getsource(importlib.import_module(m)) for m in MODULES]


def plant(text: str, snippet: str) -> str:
    """``text`` with ``snippet`` as its own paragraph after the first blank line past its middle."""
    cut = text.index("\n\n", len(text) // 2) + 2
    return text[:cut] + snippet + "\n\n" + text[cut:]


def planted_index(out: str | Path, snippets: dict[int, str]) -> Index:
    """An index at ``out`` (a new directory) of ``module_texts()`` as documents d0..d5, with
    ``snippets[k]`` planted into document k."""
    out = Path(out)
    out.mkdir(parents=True)
    texts = module_texts()
    for k, snippet in snippets.items():
        texts[k] = plant(texts[k], snippet)
    (out / "corpus.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    tracer.build([str(out / "corpus.jsonl")], str(out / "idx"), id_field="id", progress=False)
    return tracer.open(out / "idx")


def assert_soft_copy(index: Index, item, doc_id: str, planted: str):
    """``item`` is contaminated by a soft match inside ``planted``, in document ``doc_id``; the result."""
    from tracer.contamination import CheckOptions, check_items

    r = check_items(index, [item], CheckOptions(soft=True))[0]
    assert r.contaminated and r.match == "soft"
    assert r.soft.doc_id == doc_id and r.soft.passage in planted
    return r


def assert_no_soft_copy(index: Index, item):
    """``item`` is not contaminated and has no soft match; the result (its ``soft_note`` says why)."""
    from tracer.contamination import CheckOptions, check_items

    r = check_items(index, [item], CheckOptions(soft=True))[0]
    assert not r.contaminated and r.match is None
    return r
