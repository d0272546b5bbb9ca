// Search: count with latency and the searched token ids; find with paging through occurrences.
import { call, tokenize } from "./api.js";
import { openDocument } from "./docview.js";
import { $, clear, el, fmt, num, withBold } from "./dom.js";
import * as state from "./state.js";

const PAGE = 10;
let maxFind = 10_000;
let found = { query: "", count: 0 };

export function init(report, limits) {
  maxFind = limits?.max_find_limit || maxFind;
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const action = e.submitter?.name === "find" ? "find" : "count";
    (action === "find" ? find(0) : count()).catch(report);
  });
  $("search-prev").addEventListener("click", () => find(pageOf() - 1).catch(report));
  $("search-next").addEventListener("click", () => find(pageOf() + 1).catch(report));
  $("search-slider").addEventListener("change", (e) => find(Number(e.target.value)).catch(report));
  $("search-query").value = state.get("q");
}

export function restore(report) {
  const s = state.read();
  if (s.q && s.action === "find") find(Number(s.page || 0)).catch(report);
  else if (s.q && s.action === "count") count().catch(report);
}

const pageOf = () => Number(state.get("page", "0"));
const query = () => $("search-query").value;

async function count() {
  const q = query();
  state.write({ q, action: "count", page: null });
  const t0 = performance.now();
  const resp = await call("Count", { index: state.get("index"), queries: [{ text: q }] });
  const ms = performance.now() - t0;
  $("search-result").replaceChildren(el("p", {},
    el("strong", { id: "search-count-value", text: fmt(resp.counts[0]) }), ` occurrences · ${ms.toFixed(1)} ms (server + transfer)`));
  $("search-pager").hidden = true;
  clear($("search-occurrences"));
  await Promise.all([tokens(q), spellings(q)]);
}

// How the tokenizer reads the query: each spelling the index searches (as typed and, for BPE,
// with a leading space), token strings with their ids; leading spaces shown as ␣.
async function spellings(q) {
  const resp = await tokenize(state.get("index"), q);
  const visible = (t) => t.replace(/^ +/, (m) => "␣".repeat(m.length));
  $("search-tokenize").replaceChildren(
    el("p", { class: "muted", text: `tokenizer ${resp.tokenizer}${resp.normalization ? `, normalized (${resp.normalization})` : ""}`
      + ` · ${resp.variants.length} spelling${resp.variants.length > 1 ? "s" : ""} searched` }),
    ...resp.variants.map((v) => el("div", { class: "tokens variant", dataset: { spelling: v.spelling } },
      el("span", { class: "label", text: `${v.spelling}:` }),
      ...v.tokens.map((t, i) => el("span", { class: "tok" }, el("code", { text: visible(t) }), el("sub", { text: String(v.ids[i]) }))))));
}

// The token ids the index searched for the text (after its normalization), each with its unigram count.
async function tokens(q) {
  const resp = await call("Trace", { index: state.get("index"), text: q, tokenStats: true, k: "1", maxDocs: "0" });
  const ids = decodeIds(resp.tokenIds);
  const counts = resp.unigramCounts || [];
  $("search-tokens").replaceChildren(el("p", { class: "muted", text: `${ids.length} tokens (id: corpus count)` }),
    el("div", { class: "tokens" }, ...ids.map((id, i) => el("span", { text: `${id}: ${fmt(counts[i])}` }))));
}

function decodeIds(t) {
  if (!t || !t.data) return [];
  const bytes = Uint8Array.from(atob(t.data), (c) => c.charCodeAt(0));
  const width = { TOKEN_DTYPE_UINT8: 1, TOKEN_DTYPE_UINT16: 2 }[t.dtype] || 4;
  const view = new DataView(bytes.buffer);
  const out = [];
  for (let i = 0; i + width <= bytes.length; i += width) {
    out.push(width === 1 ? view.getUint8(i) : width === 2 ? view.getUint16(i, true) : view.getUint32(i, true));
  }
  return out;
}

// Find has no offset: page p asks for the first (p+1)*PAGE occurrences (up to the server's cap)
// and shows the last PAGE of them.
async function find(page) {
  const q = query();
  page = Math.max(0, page);
  const limit = Math.min((page + 1) * PAGE, maxFind);
  const t0 = performance.now();
  const resp = await call("Find", { index: state.get("index"), query: { text: q }, limit: String(limit) });
  const ms = performance.now() - t0;
  state.write({ q, action: "find", page });
  found = { query: q, count: num(resp.count) };
  const reachable = Math.min(found.count, maxFind);
  const pages = Math.max(1, Math.ceil(reachable / PAGE));
  page = Math.min(page, pages - 1);
  const occ = (resp.occurrences || []).slice(page * PAGE, page * PAGE + PAGE);
  $("search-result").replaceChildren(el("p", {},
    el("strong", { id: "search-count-value", text: fmt(found.count) }), ` occurrences · ${ms.toFixed(1)} ms`,
    found.count > maxFind ? el("span", { class: "muted", text: ` · the first ${fmt(maxFind)} can be paged` }) : null));
  $("search-pager").hidden = pages <= 1;
  const slider = $("search-slider");
  slider.max = String(pages - 1); slider.value = String(page);
  $("search-position").textContent = `occurrences ${page * PAGE + 1}–${page * PAGE + occ.length} of ${fmt(found.count)}`;
  $("search-prev").disabled = page === 0;
  $("search-next").disabled = page >= pages - 1;
  $("search-occurrences").replaceChildren(...occ.map((o) => {
    const off = num(o.snippetStart);
    return el("li", {},
      el("div", { class: "head" }, el("span", { class: "id", text: o.docId || `#${o.docIndex}` }),
        el("span", { class: "muted", text: `shard ${o.shard} · characters ${o.charStart}–${o.charEnd}` }),
        el("button", { type: "button", class: "link", text: "open document",
          onclick: () => openDocument(o.docIndex, [[num(o.charStart), num(o.charEnd)]]) })),
      el("div", { class: "snippet" }, ...withBold(o.snippet || "", num(o.charStart) - off, num(o.charEnd) - off)));
  }));
  clear($("search-tokens"));
  clear($("search-tokenize"));
}
