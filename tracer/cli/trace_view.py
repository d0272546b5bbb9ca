"""Terminal view of a trace (rich), and the trace section of ``tracer demo``."""

from __future__ import annotations

import re

from rich.console import Console
from rich.text import Text

from tracer.query.find import sample_evenly
from tracer.query.index import Index
from tracer.query.trace import TraceResult

_FILLER = [
    "Sure, here is what I found when I looked into it:",
    "As a quick summary of the material above,",
    "In my own words the central idea reads roughly like this:",
    "and, to finish the answer with one more quote,",
    "which is about all there is to say on the topic.",
]


def _one_line(s: str) -> str:
    return s.replace("\n", " ").replace("\r", " ").replace("\t", " ")


def render_trace(console: Console, text: str, result: TraceResult, max_docs_shown: int = 3) -> None:
    """The text with traced spans highlighted, then each span with its count and best documents."""
    console.print(
        f"[bold]{len(result.spans)} span(s)[/bold] found in {result.n_tokens} query tokens "
        f"({sum(b - a for a, b in result.highlights)} of {len(text)} characters highlighted)"
    )
    shown = Text(text)
    for a, b in result.highlights:
        shown.stylize("bold black on yellow", a, b)
    console.print(shown)
    for n, s in enumerate(result.spans, 1):
        head = Text(f"\n[{n}] ", style="bold")
        head.append(f"count {s.count}, log-prob {s.unigram_logprob:.1f}, chars {s.start_char}-{s.end_char}: ",
                    style="cyan")
        head.append(_one_line(s.text), style="bold yellow")
        console.print(head)
        for d in s.documents[:max_docs_shown]:
            a, b = d.char_start - d.snippet_start, d.char_end - d.snippet_start
            line = Text(f"    {d.doc_id}", style="bold green")
            line.append(f" (BM25 {d.score:.2f}, char {d.char_start}): ", style="dim")
            line.append(_one_line(d.snippet[:a]))
            line.append(_one_line(d.snippet[a:b]), style="bold reverse")
            line.append(_one_line(d.snippet[b:]))
            console.print(line)
        if len(s.documents) > max_docs_shown:
            console.print(f"    ... and {len(s.documents) - max_docs_shown} more document(s)", style="dim")


def _passage(text: str, min_chars: int = 60, max_chars: int = 120) -> str | None:
    """A stretch of one sentence of ``text`` (no '.' or newline), cut at spaces, or None."""
    for piece in re.split(r"[.\n]", text):
        start = piece.find(" ") + 1 if len(piece) > max_chars else 0
        cut = piece[start:start + max_chars]
        if len(cut) > max_chars - 1 and " " in cut:
            cut = cut[: cut.rfind(" ")]
        cut = cut.strip()
        if len(cut) >= min_chars and not cut.isspace():
            return cut
    return None


def demo_text(index: Index, passages: int = 3) -> tuple[str, list[str]]:
    """A model-like answer stitched from corpus passages (evenly spaced documents) and novel filler."""
    parts, ids = [], []
    for d in sample_evenly(index.n_docs, max(passages * 8, 1)):
        if len(ids) == passages:
            break
        doc = index.document_by_index(int(d))
        p = _passage(doc.text)
        if p:
            parts.append(f"{_FILLER[len(ids) % len(_FILLER)]} {p}")
            ids.append(doc.doc_id)
    parts.append(_FILLER[-1])
    return " ".join(parts), ids


def demo_trace(index: Index, console: Console) -> TraceResult:
    """`tracer demo` section: trace a text stitched from corpus passages and novel words, and show it."""
    text, ids = demo_text(index)
    console.rule("[bold]trace[/bold]: where did this 'model output' come from?")
    console.print(f"(stitched from passages of {', '.join(ids) or 'no document'} plus novel filler)", style="dim")
    result = index.trace(text, all_spans=True)
    render_trace(console, text, result)
    return result
