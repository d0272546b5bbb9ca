"""Contamination reports from check results (the JSON document of ``tracer contamination``).

- HTML: one self-contained page (no external files or scripts): histograms of coverage and
  longest match per benchmark (matplotlib, embedded as base64 PNG), the per-benchmark table,
  and examples with matched spans highlighted beside the source documents they came from;
- Markdown: the table and the top contaminated items, for CI logs;
- JSON: rows that map onto the CONDA contamination database fields (evaluation dataset,
  subset, contaminated source = the index, % contaminated per split, approach = data-based,
  method and parameters), plus the summary.

Everything here reads plain dicts, so ``tracer report`` can re-render saved results.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Any

import orjson

from tracer import __version__
from tracer.corpus.records import Record, iter_json_lines
from tracer.errors import InputError

FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json"}
SPLIT_COLUMNS = {"train": "train_split", "dev": "development_split", "validation": "development_split",
                 "test": "test_split"}


def results_document(index_info: dict, options: dict, summary: list[dict], items: list[dict]) -> dict:
    """The JSON document that ``--format json`` prints and every report is made from."""
    n = len(items)
    share = 100.0 * sum(bool(i.get("contaminated")) for i in items) / n if n else 0.0
    return {"tool": f"tracer {__version__}", "index": index_info, "options": options,
            "contaminated_pct": round(share, 4), "summary": summary, "items": items}


def conda_rows(doc: dict) -> list[dict]:
    """One row per benchmark in CONDA database terms (percentages of contaminated items per split)."""
    opts = doc.get("options", {})
    index = doc.get("index", {})
    source = index.get("name") or index.get("path") or "index"
    rows: dict[str, dict] = {}
    for s in doc.get("summary", []):
        row = rows.setdefault(s["benchmark"], {
            "evaluation_dataset": s["benchmark"], "subset": None, "contaminated_source": source,
            "model_or_corpus": "corpus", "train_split": None, "development_split": None, "test_split": None,
            "approach": "data-based", "method": f"tracer n-gram overlap ({opts.get('method', 'coverage')})",
            "parameters": {k: opts.get(k) for k in ("ngram", "method", "threshold", "part", "skip_budget",
                                                   "template_items", "clean_below", "dirty_from", "soft",
                                                   "soft_threshold")},
            "index": {k: index.get(k) for k in ("path", "n_tokens", "n_docs", "tokenizer", "normalization")},
            "reference": "tracer contamination report", "pr_link": None, "items": {},
        })
        if s.get("soft_checked"):
            row["method"] = f"tracer n-gram overlap ({opts.get('method', 'coverage')}) + soft match"
            row.setdefault("soft_contaminated", {})[s["split"]] = s.get("soft_pct", 0.0)
        column = SPLIT_COLUMNS.get(s["split"])
        if column:
            row[column] = s["contaminated_pct"]
        row["items"][s["split"]] = s["items"]
    return list(rows.values())


def write_report(doc: dict, path: str | Path) -> str:
    """Write the report whose format the file extension names; returns the format."""
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"--report {p}: unknown report format (use .html, .md or .json)")
    text = render_report(doc, fmt)
    try:
        p.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise InputError(f"--report {p}: cannot write ({e.strerror})") from None
    return fmt


def render_report(doc: dict, fmt: str) -> str:
    """The report text in ``fmt`` (html, md or json): shared by ``--report`` and the web page's download."""
    if fmt == "html":
        return render_html(doc)
    if fmt == "md":
        return render_markdown(doc)
    return orjson.dumps({"conda": conda_rows(doc), **doc}, option=orjson.OPT_INDENT_2).decode()


# -- Markdown -------------------------------------------------------------------------

TABLE_COLUMNS = [("benchmark", "benchmark"), ("split", "split"), ("items", "items"),
                 ("contaminated %", "contaminated_pct"), ("clean %", "clean_pct"), ("not clean %", "not_clean_pct"),
                 ("not dirty %", "not_dirty_pct"), ("dirty %", "dirty_pct"), ("mean coverage", "mean_coverage"),
                 ("mean longest match", "mean_longest_match_fraction"), ("short items", "short_items")]


SOFT_COLUMNS = [("exact/normalized", "exact_contaminated"), ("soft", "soft_contaminated"),
                ("too short to judge", "not_enough_evidence")]


def _columns(doc: dict) -> list[tuple[str, str]]:
    """The table's columns: the tier counts only when the soft tier ran."""
    soft = any(s.get("soft_checked") for s in doc.get("summary", []))
    return TABLE_COLUMNS + (SOFT_COLUMNS if soft else [])


def _soft_items(doc: dict) -> list[dict]:
    return sorted((i for i in doc.get("items", []) if i.get("match") == "soft" and i.get("soft")),
                  key=lambda i: -i["soft"]["score"])


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _method_line(doc: dict) -> str:
    o = doc.get("options", {})
    line = (f"method `{o.get('method')}` >= {o.get('threshold')} on part `{o.get('part')}`, spans of >= "
            f"{o.get('ngram')} words; categories at {o.get('clean_below')} / {o.get('dirty_from')} coverage")
    if o.get("soft"):
        line += f"; soft tier: similarity >= {o.get('soft_threshold')} for items the exact tiers call clean"
        if o.get("soft_model"):
            line += f" (word score mixed with sentence model `{o.get('soft_model')}`)"
    return line


def score_parts(m: dict) -> str:
    """" (words 0.61, model 0.92)" for a soft match (its JSON) a sentence model re-scored, else ""."""
    if m.get("model_score") is None:
        return ""
    return f" (words {m.get('lexical_score', 0.0):.2f}, model {m['model_score']:.2f})"


def render_markdown(doc: dict, top: int = 20) -> str:
    idx = doc.get("index", {})
    columns = _columns(doc)
    lines = ["# Contamination report", "",
             f"Index `{idx.get('path')}`: {idx.get('n_tokens', 0):,} tokens, {idx.get('n_docs', 0):,} documents, "
             f"tokenizer {idx.get('tokenizer', {}).get('kind', '?')}, normalization {idx.get('normalization') or 'none (raw text)'}.",
             f"Verdict: {_method_line(doc)}. Contaminated: **{doc.get('contaminated_pct', 0):.2f}%** of items.", "",
             "| " + " | ".join(c for c, _ in columns) + " |", "|" + "---|" * len(columns)]
    for s in doc.get("summary", []):
        lines.append("| " + " | ".join(_fmt(s.get(k)) for _, k in columns) + " |")
    worst = sorted((i for i in doc.get("items", []) if i.get("contaminated") and i.get("match") != "soft"),
                   key=lambda i: -i.get("coverage", 0))
    if worst:
        lines += ["", f"## Contaminated items (top {min(top, len(worst))} of {len(worst)})", "",
                  "| benchmark | id | coverage | longest match (words) | category | top document |", "|---|---|---|---|---|---|"]
        for i in worst[:top]:
            d = i.get("documents") or [{}]
            lines.append(f"| {i['benchmark']} | {i['id']} | {i['coverage']:.3f} | {i['longest_match']} | "
                         f"{i['category']} | {_md_cell(str(d[0].get('doc_id', '')))} |")
    soft = _soft_items(doc)
    if soft:
        lines += ["", f"## Soft matches: paraphrased or rewritten items (top {min(top, len(soft))} of {len(soft)})", "",
                  "| benchmark | id | score | document | chars | aligned words (item → passage) |",
                  "|---|---|---|---|---|---|"]
        for i in soft[:top]:
            m = i["soft"]
            pairs = ", ".join(a if a == b else f"{a} → {b}" for a, b in m.get("aligned", [])[:12])
            lines.append(f"| {i['benchmark']} | {i['id']} | {m['score']:.3f}{score_parts(m)} | {_md_cell(str(m['doc_id']))} | "
                         f"{m['start_char']}-{m['end_char']} | {_md_cell(pairs)} |")
    return "\n".join(lines)


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


# -- HTML ---------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}
mark{background:#ffd54f;padding:0}.ex{display:grid;grid-template-columns:1fr 1fr;gap:1em;border-top:1px solid #ddd;
padding:1em 0}pre{white-space:pre-wrap;word-break:break-word;background:#fafafa;padding:.5em;margin:.3em 0;
font-size:13px}.tag{display:inline-block;padding:1px 6px;border-radius:3px;color:#fff;font-size:12px}
.dirty{background:#c62828}.not_clean{background:#ef6c00}.clean{background:#2e7d32}.meta{color:#666;font-size:13px}
.soft{background:#6a1b9a}mark.al{background:#ce93d8}table.pairs td{text-align:left;font-family:monospace}
img{max-width:100%}
"""


def _highlight(text: str, spans: list[list[int]] | list[tuple[int, int]]) -> str:
    out, last = [], 0
    for a, b in sorted((int(a), int(b)) for a, b in spans):
        a = max(a, last)
        if b <= a:
            continue
        out += [html.escape(text[last:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        last = b
    out.append(html.escape(text[last:]))
    return "".join(out)


def _histograms(items: list[dict], bench: str, threshold: float | None = None) -> str:
    """Coverage and longest-match histograms of one benchmark as a base64 PNG <img>."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cov = [i.get("skip_coverage", i["coverage"]) for i in items]
    lm = [i.get("longest_match_fraction", 0.0) for i in items]
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.8), dpi=90)
    bins = [k / 20 for k in range(21)]
    for ax, values, title in ((axes[0], cov, "coverage (skip budget)"), (axes[1], lm, "longest match / item length")):
        ax.hist(values, bins=bins, color="#5c6bc0")
        if threshold is not None and ax is axes[0]:
            ax.axvline(threshold, color="#c62828", linestyle="--", linewidth=1)
        ax.set_yscale("symlog")
        ax.set_xlim(0, 1)
        ax.set_title(f"{bench}: {title}", fontsize=10)
        ax.set_ylabel("items")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="histograms of {html.escape(bench)}" src="data:image/png;base64,{data}">'


def _example(item: dict) -> str:
    left = [f"<h4>{html.escape(item['benchmark'])} / {html.escape(str(item['id']))} "
            f"<span class='tag {html.escape(item['category'])}'>{html.escape(item['category'])}</span></h4>",
            f"<div class='meta'>coverage {item['coverage']:.3f}, longest match {item['longest_match']} words, "
            f"contaminated: {str(item['contaminated']).lower()}</div>"]
    for name in ("input", "label"):
        part = item.get("parts", {}).get(name)
        if part and part.get("text"):
            left.append(f"<div class='meta'>{name}: coverage {part['coverage']:.3f}</div>"
                        f"<pre>{_highlight(part['text'], part.get('spans', []))}</pre>")
    right = []
    for d in item.get("documents", []):
        right.append(f"<div class='meta'>document <b>{html.escape(str(d['doc_id']))}</b> "
                     f"(#{d['doc_index']}, {d['matched_words']} matched words)</div>")
        for s in d.get("spans", [])[:3]:
            a, b = s["char_start"] - s["snippet_start"], s["char_end"] - s["snippet_start"]
            right.append(f"<div class='meta'>{s['part']} span of {s['words']} words, {s['count']} occurrence(s), "
                         f"chars {s['char_start']}-{s['char_end']}</div><pre>…{_highlight(s['snippet'], [(a, b)])}…</pre>")
    if not right:
        right.append("<div class='meta'>no document holds a span of the required length</div>")
    return f"<div class='ex'><div>{''.join(left)}</div><div>{''.join(right)}</div></div>"


def _word_ranges(text: str, words: set[str]) -> list[tuple[int, int]]:
    """Char ranges of the whole-word occurrences of ``words`` (casefolded) in ``text``."""
    if not words:
        return []
    return [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]+", text) if m.group().casefold() in words]


def _highlight_words(text: str, words: set[str]) -> str:
    out, last = [], 0
    for a, b in _word_ranges(text, words):
        out += [html.escape(text[last:a]), "<mark class='al'>", html.escape(text[a:b]), "</mark>"]
        last = b
    out.append(html.escape(text[last:]))
    return "".join(out)


def _soft_example(item: dict) -> str:
    """A soft match side by side: the item and the passage with their aligned words highlighted,
    and the aligned pairs."""
    m = item["soft"]
    aligned = m.get("aligned", [])
    text = (item.get("parts", {}).get("input") or {}).get("text") or ""
    left = [f"<h4>{html.escape(item['benchmark'])} / {html.escape(str(item['id']))} <span class='tag soft'>soft "
            f"{m['score']:.3f}</span>{html.escape(score_parts(m))}</h4>", f"<pre>{_highlight_words(text, {a.casefold() for a, _ in aligned})}</pre>"]
    right = [f"<div class='meta'>document <b>{html.escape(str(m['doc_id']))}</b> (#{m['document']}), chars "
             f"{m['start_char']}-{m['end_char']}</div>",
             f"<pre>{_highlight_words(m.get('passage', ''), {b.casefold() for _, b in aligned})}</pre>"]
    pairs = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for a, b in aligned)
    table = f"<table class='pairs'><tr><th>item word</th><th>passage word</th></tr>{pairs}</table>"
    return f"<div class='ex'><div>{''.join(left)}{table}</div><div>{''.join(right)}</div></div>"


def render_html(doc: dict, examples: int = 12) -> str:
    idx = doc.get("index", {})
    items = doc.get("items", [])
    benches = sorted({i["benchmark"] for i in items})
    columns = _columns(doc)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(s.get(k)))}</td>" for _, k in columns) + "</tr>"
                   for s in doc.get("summary", []))
    head = "".join(f"<th>{html.escape(c)}</th>" for c, _ in columns)
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Contamination report</title>",
        f"<style>{CSS}</style></head><body><h1>Contamination report</h1>",
        f"<p>Index <code>{html.escape(str(idx.get('path')))}</code>: {idx.get('n_tokens', 0):,} tokens, "
        f"{idx.get('n_docs', 0):,} documents, tokenizer {html.escape(str(idx.get('tokenizer', {}).get('kind', '?')))}, "
        f"normalization {html.escape(idx.get('normalization') or 'none (raw text)')}.<br>Verdict: {html.escape(_method_line(doc))}."
        f"<br><b>{doc.get('contaminated_pct', 0):.2f}%</b> of {len(items)} items contaminated.</p>",
        f"<table><tr>{head}</tr>{rows}</table>",
    ]
    for b in benches:
        threshold = doc.get("options", {}).get("threshold") if doc.get("options", {}).get("method") in (
            "skip_coverage", "coverage") else None
        parts.append(f"<h3>{html.escape(b)}</h3>{_histograms([i for i in items if i['benchmark'] == b], b, threshold)}")
    ranked = sorted((i for i in items if i.get("match") != "soft"),
                    key=lambda i: (-int(bool(i.get("contaminated"))), -i.get("coverage", 0)))
    shown = [i for i in ranked if i.get("coverage", 0) > 0][:examples]
    parts.append(f"<h2>Examples ({len(shown)} with the highest coverage)</h2>")
    parts += [_example(i) for i in shown] or ["<p>No item shares a span of the required length with the corpus.</p>"]
    if any(s.get("soft_checked") for s in doc.get("summary", [])):
        soft = _soft_items(doc)
        parts.append(f"<h2>Soft matches ({len(soft)} items: paraphrased or rewritten, aligned words highlighted"
                     f"{f'; the {examples} best shown' if len(soft) > examples else ''})</h2>")
        parts += [_soft_example(i) for i in soft[:examples]] or ["<p>No item has a soft match above the threshold.</p>"]
    parts.append(f"<p class='meta'>{html.escape(doc.get('tool', ''))}</p></body></html>")
    return "".join(parts)


def load_results(path: str | Path) -> dict:
    """A saved ``--format json`` document, or ``--format jsonl`` item lines (summary recomputed)."""
    from tracer.contamination.verdict import summarize_dicts

    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"{p}: {e.strerror}") from None
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and "items" in doc:
        return doc
    if isinstance(doc, dict):
        items = [doc]
    elif doc is not None:
        raise InputError(f"{p}: not a tracer contamination result (no 'items')")
    else:
        items = [_item_line(rec) for rec in iter_json_lines(p)]
    for i, it in enumerate(items):
        for k in ("benchmark", "split", "contaminated", "category", "coverage", "longest_match"):
            if k not in it:
                raise InputError(f"{p}: item {i + 1}: field '{k}' is missing")
    return results_document({}, {}, summarize_dicts(items), items)


def _item_line(rec: Record) -> dict:
    obj = rec.data
    if not isinstance(obj, dict) or "id" not in obj or "coverage" not in obj:
        raise InputError(f"{rec.where}: not a tracer contamination item line (needs 'id', 'coverage')")
    return obj
