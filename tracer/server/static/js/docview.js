// The document view: long context around the matched ranges (bold) and the metadata as JSON.
import { call } from "./api.js";
import { $, prettyJson, withRanges } from "./dom.js";
import * as state from "./state.js";

const MAX_SHOWN = 200_000;  // characters; longer documents show a window around the first match
const WINDOW = 20_000;

export function init() {
  $("doc-close").addEventListener("click", () => $("doc-dialog").close());
}

// ranges: [[charStart, charEnd], ...] in the document's own text.
export async function openDocument(docIndex, ranges = []) {
  const doc = await call("GetDocument", { index: state.get("index"), docIndex: String(docIndex) });
  let text = doc.text || "", offset = 0;
  if (text.length > MAX_SHOWN) {
    const first = ranges.length ? Math.min(...ranges.map((r) => r[0])) : 0;
    offset = Math.max(0, first - WINDOW);
    text = text.slice(offset, offset + 2 * WINDOW);
  }
  $("doc-title").textContent = `${doc.docId || "(no id)"} · document ${doc.docIndex} · shard ${doc.shard} · ${doc.nTokens} tokens`
    + (offset ? ` · characters from ${offset}` : "");
  $("doc-text").replaceChildren(...withRanges(text, ranges.map(([s, e]) => [s - offset, e - offset]), "match"));
  $("doc-meta").textContent = prettyJson(doc.metaJson);
  $("doc-dialog").showModal();
  $("doc-text").querySelector("b")?.scrollIntoView({ block: "center" });
}
