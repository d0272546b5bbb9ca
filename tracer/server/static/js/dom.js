// DOM helpers. Corpus text is untrusted: it only ever enters the page through textContent.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "style") Object.assign(node.style, v);  // CSSOM: allowed by the CSP, unlike style=""
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}

export const $ = (id) => document.getElementById(id);

export function clear(node) { node.replaceChildren(); return node; }

// text with [start, end) bold (snippet with its matched span): three text nodes, no markup parsing.
export function withBold(text, start, end) {
  const s = Math.max(0, Math.min(text.length, start)), e = Math.max(s, Math.min(text.length, end));
  return [document.createTextNode(text.slice(0, s)), el("b", { text: text.slice(s, e) }), document.createTextNode(text.slice(e))];
}

// text with several [start, end) ranges bold (ranges may overlap).
export function withRanges(text, ranges, cls = null) {
  const marks = new Array(text.length + 1).fill(0);
  for (const [s, e] of ranges) { marks[Math.max(0, s)] += 1; marks[Math.min(text.length, e)] -= 1; }
  const out = [];
  let depth = 0, from = 0;
  for (let i = 0; i <= text.length; i++) {
    const next = depth + marks[i];
    if ((depth > 0) !== (next > 0) || i === text.length) {
      const piece = text.slice(from, i);
      if (piece) out.push(depth > 0 ? el("b", { class: cls || "", text: piece }) : document.createTextNode(piece));
      from = i;
    }
    depth = next;
  }
  return out;
}

export const num = (v) => Number(v || 0);
export const fmt = (v) => num(v).toLocaleString("en-US");

export function prettyJson(text) {
  if (!text) return "{}";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

export function download(name, data) {
  downloadBlob(name, new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
}

// Saved as a file: typed octet-stream so that even an HTML report is never rendered by the page.
export function downloadBlob(name, blob) {
  const url = URL.createObjectURL(new Blob([blob], { type: "application/octet-stream" }));
  const a = el("a", { href: url, download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
