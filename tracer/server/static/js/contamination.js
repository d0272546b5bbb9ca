// Contamination: upload a benchmark file, stream the per-item results into a sortable table,
// drill down from an item to its matched spans and documents.
import { report as fetchReport, serverBenchmarks, stream, uploadBenchmark } from "./api.js";
import { openDocument } from "./docview.js";
import { $, clear, download, downloadBlob, el, fmt, num, withBold, withRanges } from "./dom.js";
import * as state from "./state.js";

let rows = [];
let sort = { key: "coverage", desc: true };
let maxUpload = 32 << 20;
let lastOptions = {};  // the options of the last check: the downloaded report states them
let softModels = [];  // sentence models the server may re-score soft matches with (serve --soft-model)

let report_ = console.error;

export function init(report, limits, models) {
  report_ = report;
  maxUpload = limits?.max_upload_bytes || maxUpload;
  softModels = models || [];
  if (softModels.length) {
    $("contam-model-label").hidden = false;
    $("contam-model-label").title += `: ${softModels[0]}`;
  }
  $("contam-form").addEventListener("submit", (e) => { e.preventDefault(); run().catch(report_); });
  $("contam-export").addEventListener("click", () => download("contamination.json", { results: rows.map((row) => row.r) }));
  $("contam-run-preset").addEventListener("click", () => runPreset().catch(report_));
  for (const b of document.querySelectorAll(".contam-report")) {
    b.addEventListener("click", () => saveReport(b.dataset.format).catch(report_));
  }
  for (const th of $("contam-table").querySelectorAll("th")) {
    th.addEventListener("click", () => {
      sort = { key: th.dataset.key, desc: sort.key === th.dataset.key ? !sort.desc : true };
      renderTable();
    });
  }
}

function verdictPart(r) {
  return r.parts.find((p) => p.part === r.verdictOn) || r.parts[0] || {};
}

function rowOf(r) {
  const p = verdictPart(r);
  const scored = num(p.words) - num(p.templateWords);
  // the soft tier is its own category: an item only a paraphrase makes contaminated
  const category = r.match === "soft" ? "soft" : r.category || (r.contaminated ? "contaminated" : "clean");
  return { r, id: r.item.id, benchmark: r.item.benchmark, category,
    coverage: scored > 0 ? num(p.coveredWords) / scored : 0, longest: num(p.longestMatch),
    docs: (r.documents || []).length, method: r.method,
    longestFraction: num(p.words) > 0 ? num(p.longestMatch) / num(p.words) : 0 };
}

async function run() {
  const file = $("contam-file").files[0];
  if (!file) throw new Error("choose a benchmark file first");
  if (file.size > maxUpload) throw new Error(`${file.name}: ${fmt(file.size)} bytes is over this server's upload cap of ${fmt(maxUpload)}`);
  $("contam-progress").textContent = `reading ${file.name}…`;
  const { items } = await uploadBenchmark(file);
  state.write({ bench: null });
  await check(items, file.name);
}

// One of the server's own benchmarks (serve --benchmark NAME=PATH): no upload; the URL names it.
async function runPreset() {
  const name = $("contam-preset").value;
  $("contam-progress").textContent = `loading ${name}…`;
  const { items } = await serverBenchmarks(name);
  state.write({ bench: name });
  await check(items, `the server's benchmark ${name}`);
}

async function check(items, what) {
  const progress = $("contam-progress");
  rows = [];
  clear($("contam-detail"));
  progress.textContent = `0 / ${items.length} items`;
  let since = 0;
  const options = {};
  if ($("contam-soft").checked) {
    options.soft = true;
    if (softModels.length && $("contam-model").checked) options.softModel = softModels[0];
  }
  lastOptions = options;
  await stream("StreamContamination", { index: state.get("index"), items, options }, (r) => {
    rows.push(rowOf(r));
    progress.textContent = `${rows.length} / ${items.length} items`;
    if (++since >= 25) { since = 0; renderTable(); }
  });
  progress.textContent = `done: ${rows.length} items from ${what}`;
  $("contam-export").disabled = false;
  for (const b of document.querySelectorAll(".contam-report")) b.disabled = false;
  renderTable();
  renderHistograms();
}

function renderTable() {
  const table = $("contam-table");
  table.hidden = rows.length === 0;
  const { key, desc } = sort;
  rows.sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0) * (desc ? -1 : 1));
  for (const th of table.querySelectorAll("th")) {
    th.className = th.dataset.key === key ? (desc ? "sorted-desc" : "sorted-asc") : "";
  }
  table.tBodies[0].replaceChildren(...rows.map((row) => el("tr", { onclick: (e) => detail(row, e.currentTarget) },
    el("td", { text: row.id }), el("td", { text: row.benchmark }),
    el("td", { class: `cat-${row.category}`, text: row.category }),
    el("td", {}, el("span", { class: "bar", style: { width: `${Math.round(row.coverage * 60)}px` } }), ` ${(row.coverage * 100).toFixed(1)}%`),
    el("td", { text: String(row.longest) }), el("td", { text: String(row.docs) }), el("td", { text: row.method }))));
  const byCat = {};
  for (const row of rows) byCat[row.category] = (byCat[row.category] || 0) + 1;
  $("contam-summary").replaceChildren(el("p", {}, `${rows.length} items: `,
    ...Object.entries(byCat).map(([c, n]) => el("span", { class: `cat-${c}`, text: `${c} ${n} (${(100 * n / rows.length).toFixed(1)}%)  ` }))));
}

// The report's histograms per benchmark (coverage; longest match / item length), 20 bins over
// [0, 1], bar heights on a log scale (like the report's symlog axis) so rare high bins stay visible.
function renderHistograms() {
  const benches = [...new Set(rows.map((r) => r.benchmark))].sort();
  $("contam-histograms").replaceChildren(...benches.map((b) => {
    const mine = rows.filter((r) => r.benchmark === b);
    return el("div", { class: "hists", dataset: { benchmark: b } }, el("h4", { text: b }),
      histogram("coverage", mine.map((r) => r.coverage)),
      histogram("longest match / item length", mine.map((r) => r.longestFraction)));
  }));
}

function histogram(title, values) {
  const bins = new Array(20).fill(0);
  for (const v of values) bins[Math.min(19, Math.max(0, Math.floor(v * 20)))] += 1;
  const top = Math.log1p(Math.max(...bins));
  return el("figure", { class: "hist", dataset: { title } },
    el("div", { class: "bars" }, ...bins.map((n, k) => el("span", {
      class: "hbar", dataset: { count: String(n) }, title: `${(k / 20).toFixed(2)}–${((k + 1) / 20).toFixed(2)}: ${n} items`,
      style: { height: `${n ? Math.max(2, Math.round(60 * Math.log1p(n) / top)) : 0}px` } }))),
    el("figcaption", { class: "muted", text: `${title} (0 → 1), items per bin` }));
}

async function saveReport(format) {
  const blob = await fetchReport(format, { index: state.get("index"), options: lastOptions,
    results: rows.map((row) => row.r) });
  downloadBlob(`contamination.${format === "md" ? "md" : format}`, blob);
}

function detail(row, tr) {
  for (const other of tr.parentNode.children) other.classList.toggle("selected", other === tr);
  const r = row.r;
  const partText = (p) => p.text ?? (p.part === "label" ? r.item.label : p.part === "input" ? r.item.input : "");
  // why the soft tier took no passage (too short, not enough evidence, or another item's copy)
  const softNote = r.softNote && !r.soft ? [el("p", { class: "muted soft-note", text: r.softNote })] : [];
  const left = el("div", {}, el("h3", { text: `${r.item.id} · ${row.category}` }), ...softNote,
    ...r.parts.filter((p) => partText(p)).map((p) => el("div", {},
      el("h4", { text: `${p.part}: coverage ${p.coveredWords}/${num(p.words) - num(p.templateWords)} words, longest ${p.longestMatch}` }),
      el("div", { class: "textview" }, ...withRanges(partText(p), (p.spans || []).map((s) => [num(s.start), num(s.end)]))))));
  const right = el("ol", { class: "doclist" }, ...(r.documents || []).map((d) => el("li", {},
    el("div", { class: "head" }, el("span", { class: "id", text: d.docId || `#${d.docIndex}` }),
      el("span", { class: "muted", text: `${d.matchedWords} matched words` }),
      el("button", { type: "button", class: "link", text: "open document",
        onclick: () => openDocument(d.docIndex, d.spans.map((s) => [num(s.charStart), num(s.charEnd)])) })),
    ...d.spans.map((s) => el("div", { class: "snippet" },
      el("span", { class: "muted", text: `${s.part} · count ${fmt(s.count)} · ` },),
      ...withBold(s.snippet || "", num(s.charStart) - num(s.snippetStart), num(s.charEnd) - num(s.snippetStart)))))));
  const panes = [left, el("div", {}, el("h3", { text: "Documents" }), right)];
  if (r.soft) panes.push(softDetail(r));
  $("contam-detail").replaceChildren(...panes);
  state.write({ item: r.item.id });
}

// The soft match side by side: the passage with its aligned words marked, and the aligned pairs.
function softDetail(r) {
  const m = r.soft;
  const pairs = m.aligned || [];
  const passageWords = new Set(pairs.map((p) => (p.passageWord || "").toLowerCase()));
  const passage = m.passage || "";
  const marked = [];
  let last = 0;
  for (const w of passage.matchAll(/[\p{L}\p{N}_]+|[^\p{L}\p{N}_\s]+/gu)) {
    if (!passageWords.has(w[0].toLowerCase())) continue;
    marked.push(passage.slice(last, w.index), el("mark", { class: "al", text: w[0] }));
    last = w.index + w[0].length;
  }
  marked.push(passage.slice(last));
  return el("div", { class: "soft-match" },
    el("h3", { text: `Soft match ${num(m.score).toFixed(3)}${r.match === "soft" ? "" : " (below the threshold)"}`
      + (m.modelScore === undefined ? "" : ` (words ${num(m.lexicalScore).toFixed(2)}, model ${num(m.modelScore).toFixed(2)})`) }),
    el("div", { class: "head" }, el("span", { class: "id", text: m.docId || `#${m.document}` }),
      el("span", { class: "muted", text: ` chars ${num(m.startChar)}-${num(m.endChar)} ` }),
      el("button", { type: "button", class: "link", text: "open document",
        onclick: () => openDocument(num(m.document), [[num(m.startChar), num(m.endChar)]]) })),
    el("div", { class: "textview" }, ...marked),
    el("table", { class: "pairs" }, el("tr", {}, el("th", { text: "item word" }), el("th", { text: "passage word" })),
      ...pairs.map((p) => el("tr", {}, el("td", { text: p.queryWord }), el("td", { text: p.passageWord })))));
}

// A link cannot carry an uploaded file (the tab opens empty, ready for one), but it can name one
// of the server's benchmarks, which then runs again.
let presets = null;
export function restore(reportError) {
  if (presets) return;
  presets = serverBenchmarks().then(({ benchmarks }) => {
    const select = $("contam-preset");
    select.replaceChildren(...benchmarks.map((b) => el("option", { value: b.name, text: `${b.name} (${fmt(b.items)} items)` })));
    $("contam-presets").hidden = benchmarks.length === 0;
    const wanted = state.get("bench");
    if (wanted && benchmarks.some((b) => b.name === wanted)) {
      select.value = wanted;
      return runPreset();
    }
    return null;
  }).catch((e) => { presets = null; reportError(e); });
}
