// The JSON HTTP API (/v1/<Method>), with the bearer token kept in sessionStorage when the server needs one.
const TOKEN_KEY = "tracer.token";

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

let askToken = null;  // set by main.js: returns a promise of a token typed by the user
export function onTokenNeeded(fn) { askToken = fn; }

function headers(extra = {}) {
  const h = { "Content-Type": "application/json", ...extra };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

async function errorOf(resp) {
  let body = {};
  try { body = await resp.json(); } catch { /* not JSON */ }
  return new ApiError(resp.status, body.code || `HTTP ${resp.status}`, body.message || resp.statusText);
}

// POST (or GET when body is undefined) with one retry after asking for a token on 401.
async function post(path, body, extraHeaders = {}, raw = false) {
  for (let attempt = 0; ; attempt++) {
    const init = body === undefined ? { method: "GET", headers: headers(extraHeaders) }
      : { method: "POST", headers: headers(extraHeaders), body: raw ? body : JSON.stringify(body) };
    const resp = await fetch(path, init);
    if (resp.status === 401 && attempt === 0 && askToken) {
      sessionStorage.setItem(TOKEN_KEY, await askToken());
      continue;
    }
    if (!resp.ok) throw await errorOf(resp);
    return resp;
  }
}

export async function call(method, request) {
  return (await post(`/v1/${method}`, request)).json();
}

// A server-streaming method: JSON lines; onMessage(msg) per message; an {"error"} line throws.
export async function stream(method, request, onMessage) {
  const resp = await post(`/v1/${method}`, request);
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const handle = (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    if (msg.error) throw new ApiError(200, msg.error.code, msg.error.message);
    onMessage(msg);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) { handle(buf.slice(0, nl)); buf = buf.slice(nl + 1); }
  }
  handle(buf);
}

// A benchmark file read by the server's reader: {"items": [BenchItem...]}.
export async function uploadBenchmark(file) {
  const resp = await post(`/web/benchmark?filename=${encodeURIComponent(file.name)}`, file,
    { "Content-Type": "application/octet-stream" }, true);
  return resp.json();
}

// A contamination report rendered by the server's report code, as a Blob to save (never shown here).
export async function report(format, body) {
  return (await post(`/web/report?format=${encodeURIComponent(format)}`, body)).blob();
}

// The server's configured benchmarks: {"benchmarks": [{name, items}]}; with a name, its items.
export async function serverBenchmarks(name = null) {
  const q = name === null ? "" : `?name=${encodeURIComponent(name)}`;
  return (await post(`/web/benchmarks${q}`, undefined)).json();
}

// How the index's tokenizer reads a query: {tokenizer, variants: [{spelling, ids, tokens}]}.
export async function tokenize(index, text) {
  return (await post("/web/tokenize", { index, text })).json();
}

export async function describe() {
  const resp = await fetch("/v1");
  return resp.json();
}
