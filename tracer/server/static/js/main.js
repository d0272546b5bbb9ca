// Tabs, index selector, token prompt and error display; each tab lives in its own module.
import { describe, onTokenNeeded } from "./api.js";
import * as contamination from "./contamination.js";
import * as docview from "./docview.js";
import { $, el } from "./dom.js";
import * as indexview from "./indexview.js";
import * as search from "./search.js";
import * as state from "./state.js";
import * as trace from "./trace.js";

const TABS = { trace, search, contamination, index: { restore: () => {} } };

function report(err) {
  console.error(err);
  $("status").replaceChildren(el("span", { class: "error", text: `${err.code ? err.code + ": " : ""}${err.message}` }));
  for (const t of ["trace-timing", "contam-progress"]) if ($(t).textContent.endsWith("…")) $(t).textContent = "";
}

function askToken() {
  return new Promise((resolve) => {
    const form = $("token-form");
    form.hidden = false;
    $("token-input").focus();
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      form.hidden = true;
      resolve($("token-input").value.trim());
    }, { once: true });
  });
}

function show(tab) {
  if (!TABS[tab]) tab = "trace";
  for (const b of $("tabs").querySelectorAll("button")) b.setAttribute("aria-selected", String(b.dataset.tab === tab));
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== `view-${tab}`;
  state.write({ tab });
  $("status").replaceChildren();
  if (tab === "index") indexview.load().catch(report);
  TABS[tab].restore(report);
}

async function main() {
  onTokenNeeded(askToken);
  const meta = await describe();
  docview.init();
  trace.init(report);
  search.init(report, meta.limits);
  contamination.init(report, meta.limits, meta.soft_models);
  for (const b of $("tabs").querySelectorAll("button")) b.addEventListener("click", () => show(b.dataset.tab));
  show(state.get("tab", "trace"));
  window.addEventListener("hashchange", () => show(state.get("tab", "trace")));  // a pasted link
  const info = await indexview.load();
  const names = info.indexNames || [];
  if (names.length > 1) {
    const select = $("index-select");
    select.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
    select.value = state.get("index") || info.name;
    select.addEventListener("change", () => { state.write({ index: select.value }); show(state.get("tab")); });
    $("index-picker").hidden = false;
  }
  $("footer").textContent = `${info.name}: ${Number(info.nTokens).toLocaleString("en-US")} tokens, `
    + `${Number(info.nDocs).toLocaleString("en-US")} documents · tracer ${info.serverVersion} · methods: `
    + meta.methods.map((m) => m.name).join(", ");
  document.body.dataset.ready = "1";
}

main().catch(report);
