// The page's state lives in the URL fragment (#tab=trace&text=...), so a view is a shareable link.
export function read() {
  return Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
}

export function write(changes, replace = true) {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") params.delete(k); else params.set(k, String(v));
  }
  const url = `${location.pathname}${location.search}#${params.toString()}`;
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
}

export function get(key, fallback = "") { return read()[key] ?? fallback; }
