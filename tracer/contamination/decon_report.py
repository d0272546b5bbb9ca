"""The removal report of a decontamination run, as JSON and Markdown beside the output parts.

Per benchmark: items, items matched (contaminated), documents and tokens removed or masked, and
the top source files of those documents; per affected document: which items caused it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from tracer.contamination.options import CheckOptions
from tracer.contamination.shard_writer import write_json_atomic, write_text_atomic
from tracer.index.reader import IndexReader

if TYPE_CHECKING:
    from tracer.contamination.decontaminate import DecontaminateOptions, DecontaminationResult

TOP_SOURCES = 10


def report_document(result: DecontaminationResult, check: CheckOptions, options: DecontaminateOptions,
                    index: IndexReader) -> dict:
    results = result.removal.results
    drop = options.mode == "drop"
    benches: dict[str, dict] = {}
    for r in results:
        b = benches.setdefault(r.item.benchmark, {"benchmark": r.item.benchmark, "items": 0, "items_matched": 0,
                                                  "_docs": set()})
        b["items"] += 1
        b["items_matched"] += int(r.contaminated)
    for row in result.per_doc.values():
        for i in row["items"]:
            benches[results[i].item.benchmark]["_docs"].add(row["doc_index"])
    summary = []
    for b in benches.values():
        rows = [result.per_doc[d] for d in sorted(b.pop("_docs"))]
        b["documents"] = len(rows)
        b["tokens"] = sum(r["tokens"] if drop else r["masked_tokens"] for r in rows)
        b["top_sources"] = [{"source": s, "documents": n}
                            for s, n in Counter(str(r["source"]) for r in rows).most_common(TOP_SOURCES)]
        summary.append(b)
    docs = []
    for row in result.per_doc.values():
        causes = [{"benchmark": results[i].item.benchmark, "id": results[i].item.id} for i in row["items"]]
        docs.append({**{k: v for k, v in row.items() if k != "items"}, "items": causes})
    return {
        "index": {"path": str(index.path), "n_docs": index.n_docs, "n_tokens": index.n_tokens},
        "mode": options.mode, "marker": options.marker if not drop else None,
        "settings": check.to_json(),
        "totals": {"documents_in": result.docs_in, "documents_out": result.docs_out,
                   "documents_dropped": result.docs_dropped, "documents_masked": result.docs_masked,
                   "tokens_in": result.tokens_in, ("tokens_dropped" if drop else "tokens_masked"): result.tokens_removed,
                   "items": len(results), "items_matched": sum(r.contaminated for r in results),
                   "spans_located": result.removal.windows, "occurrences": result.removal.occurrences},
        "benchmarks": summary,
        "parts": result.parts,
        "documents": docs,
    }


def markdown(doc: dict) -> str:
    t = doc["totals"]
    verb = "dropped" if doc["mode"] == "drop" else "masked"
    lines = [
        "# Decontamination report", "",
        f"Index `{doc['index']['path']}`: {t['documents_in']} documents, {t['tokens_in']} tokens. "
        f"Mode **{doc['mode']}**; method {doc['settings']['method']} >= {doc['settings']['threshold']:g}, "
        f"spans of >= {doc['settings']['ngram']} words.", "",
        f"{t['items_matched']} of {t['items']} items matched; {t[f'documents_{verb}']} documents {verb} "
        f"({t[f'tokens_{verb}']} tokens); {t['documents_out']} documents written.", "",
        "| benchmark | items | matched | documents | tokens | top sources |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for b in doc["benchmarks"]:
        top = ", ".join(f"{s['source']} ({s['documents']})" for s in b["top_sources"][:3])
        lines.append(f"| {b['benchmark']} | {b['items']} | {b['items_matched']} | {b['documents']} | {b['tokens']} | {top} |")
    if doc["documents"]:
        lines += ["", f"## Documents {verb}", "", "| document | source | tokens | items |", "|---|---|---:|---|"]
        for d in doc["documents"][:1000]:
            items = ", ".join(f"{c['benchmark']}/{c['id']}" for c in d["items"][:5])
            more = f" (+{len(d['items']) - 5})" if len(d["items"]) > 5 else ""
            lines.append(f"| {d['doc_id']} | {d['source']} | {d['tokens']} | {items}{more} |")
        if len(doc["documents"]) > 1000:
            lines.append(f"\n... and {len(doc['documents']) - 1000} more (see the JSON report)")
    return "\n".join(lines) + "\n"


def write_report(out: Path, result: DecontaminationResult, check: CheckOptions, options: DecontaminateOptions,
                 index: IndexReader) -> dict:
    from tracer.contamination.decon_options import REPORT_NAME

    doc = report_document(result, check, options, index)
    write_json_atomic(out / f"{REPORT_NAME}.json", doc)
    write_text_atomic(out / f"{REPORT_NAME}.md", markdown(doc))
    return doc
