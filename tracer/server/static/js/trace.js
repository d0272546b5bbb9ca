// Trace: the text with its spans highlighted (strength = BM25 bucket of the span's best document),
// a panel of documents grouped by document, click-to-filter, locate, document view, export.
import { call } from "./api.js";
import { openDocument } from "./docview.js";
import { $, clear, download, el, fmt, num, withBold } from "./dom.js";
import * as state from "./state.js";

let last = null;  // {text, response, groups}

export function init(report) {
  $("trace-form").addEventListener("submit", (e) => { e.preventDefault(); run().catch(report); });
  $("trace-clear").addEventListener("click", () => filter(null));
  $("trace-export").addEventListener("click", () => last && download("trace.json", { text: last.text, response: last.response }));
  const s = state.read();
  if (s.text) $("trace-text").value = s.text;
  if (s.max_count) $("trace-max-count").value = s.max_count;
  if (s.min_len) $("trace-min-len").value = s.min_len;
}

export function restore(report) {
  if (state.get("text") && !last) run().catch(report);
}

async function run() {
  const text = $("trace-text").value;
  const maxCount = $("trace-max-count").value, minLen = $("trace-min-len").value;
  state.write({ text, max_count: maxCount, min_len: minLen });
  const request = { index: state.get("index"), text };
  if (maxCount) request.maxCount = maxCount;
  if (minLen) request.minLen = minLen;
  const t0 = performance.now();
  $("trace-timing").textContent = "tracing…";
  const response = await call("Trace", request);
  const t1 = performance.now();
  render(text, response);
  const t2 = performance.now();
  const out = $("trace-output");
  out.dataset.renderMs = (t2 - t0).toFixed(1);
  $("trace-timing").textContent = `${response.spans.length} spans over ${fmt(response.nTokens)} tokens · `
    + `server + transfer ${(t1 - t0).toFixed(0)} ms · render ${(t2 - t1).toFixed(0)} ms`;
}

const bestScore = (span) => Math.max(0, ...span.documents.map((d) => d.score || 0));

function buckets(spans) {
  const scores = spans.map(bestScore);
  const lo = Math.min(...scores), hi = Math.max(...scores);
  return scores.map((s) => {
    const r = hi > lo ? (s - lo) / (hi - lo) : 1;
    return r >= 2 / 3 ? "high" : r >= 1 / 3 ? "medium" : "low";
  });
}

function render(text, response) {
  const spans = response.spans.map((s) => ({ ...s, start: num(s.startChar), end: num(s.endChar) }));
  const rel = buckets(spans);
  const cuts = [...new Set([0, text.length, ...spans.flatMap((s) => [s.start, s.end])])].sort((a, b) => a - b);
  const out = clear($("trace-output"));
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i], b = cuts[i + 1], piece = text.slice(a, b);
    const covering = spans.map((s, k) => (s.start <= a && s.end >= b ? k : -1)).filter((k) => k >= 0);
    if (!covering.length) { out.append(document.createTextNode(piece)); continue; }
    const order = { high: 0, medium: 1, low: 2 };
    const strongest = covering.map((k) => rel[k]).sort((x, y) => order[x] - order[y])[0];
    const title = covering.map((k) => `count ${fmt(spans[k].count)}: “${spans[k].text}”`).join("\n");
    out.append(el("mark", { class: `rel-${strongest}`, title, dataset: { spans: covering.join(",") },
      onclick: () => filter(covering) }, piece));
  }
  const groups = new Map();
  spans.forEach((s, k) => {
    for (const d of s.documents) {
      const g = groups.get(d.docIndex) || { doc: d, best: 0, entries: [] };
      g.best = Math.max(g.best, d.score || 0);
      g.entries.push({ span: k, d });
      groups.set(d.docIndex, g);
    }
  });
  last = { text, response, spans, groups: mergeCopies([...groups.values()]).sort((x, y) => y.best - x.best) };
  $("trace-export").disabled = false;
  filter(null);
}

// Documents that repeat (the same snippets of the same spans under different doc ids, as
// duplicated web pages are) become one entry with a count, as OLMoTrace groups them.
function mergeCopies(groups) {
  const byText = new Map();
  for (const g of groups) {
    const key = JSON.stringify(g.entries.map((e) => [e.span, e.d.snippet || "", num(e.d.charStart) - num(e.d.snippetStart),
      num(e.d.charEnd) - num(e.d.snippetStart)]).sort());
    const first = byText.get(key);
    if (!first) { byText.set(key, { ...g, copies: [g.doc] }); continue; }
    first.copies.push(g.doc);
    first.best = Math.max(first.best, g.best);
  }
  return [...byText.values()];
}

// Show the documents of the given spans (null: all); mark those spans as active in the text.
function filter(spanIds) {
  if (!last) return;
  const wanted = spanIds ? new Set(spanIds) : null;
  for (const m of $("trace-output").querySelectorAll("mark")) {
    const ids = m.dataset.spans.split(",").map(Number);
    m.classList.toggle("active", !!wanted && ids.some((k) => wanted.has(k)));
    m.classList.remove("located");
  }
  $("trace-clear").hidden = !wanted;
  const list = clear($("trace-docs"));
  let shown = 0;
  for (const g of last.groups) {
    const entries = wanted ? g.entries.filter((e) => wanted.has(e.span)) : g.entries;
    if (!entries.length) continue;
    shown++;
    list.append(docItem(g, entries));
  }
  $("trace-panel-title").textContent = wanted
    ? `Documents of the selected span (${shown})` : `Documents (${shown}) for ${last.spans.length} spans`;
}

function docItem(g, entries) {
  const d = g.doc;
  const spanIds = [...new Set(entries.map((e) => e.span))];
  const head = el("div", { class: "head" },
    el("span", { class: "id", text: d.docId || `#${d.docIndex}` }),
    g.copies.length > 1 ? el("span", { class: "copies", title: g.copies.map((c) => c.docId || `#${c.docIndex}`).join("\n"),
      text: `×${g.copies.length} identical documents` }) : null,
    el("span", { class: "muted", text: `BM25 ${g.best.toFixed(2)}` }),
    spanIds.length > 1 ? el("span", { class: "muted", text: `${spanIds.length} spans` }) : null,
    el("button", { type: "button", class: "link", text: "locate spans", onclick: () => locate(spanIds) }),
    el("button", { type: "button", class: "link", text: "open document",
      onclick: () => openDocument(d.docIndex, g.entries.map((e) => [num(e.d.charStart), num(e.d.charEnd)])) }));
  const snippets = entries.map((e) => {
    const s = e.d, off = num(s.snippetStart);
    return el("div", { class: "snippet" },
      el("span", { class: "muted", text: `count ${fmt(last.spans[e.span].count)} · ` }),
      ...withBold(s.snippet || "", num(s.charStart) - off, num(s.charEnd) - off));
  });
  return el("li", { dataset: { doc: String(d.docIndex), copies: String(g.copies.length) } }, head, ...snippets);
}

function locate(spanIds) {
  const wanted = new Set(spanIds);
  let first = null;
  for (const m of $("trace-output").querySelectorAll("mark")) {
    const hit = m.dataset.spans.split(",").map(Number).some((k) => wanted.has(k));
    m.classList.toggle("located", hit);
    if (hit && !first) first = m;
  }
  first?.scrollIntoView({ block: "center" });
}
