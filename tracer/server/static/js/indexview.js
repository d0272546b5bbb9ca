// Index: what is served (shards, tokens, documents, tokenizer, normalization, build parameters).
import { call } from "./api.js";
import { $, el, fmt, prettyJson } from "./dom.js";
import * as state from "./state.js";

export async function load() {
  const info = await call("Info", { index: state.get("index") });
  const facts = [
    ["index", info.name], ["tokens", fmt(info.nTokens)], ["documents", fmt(info.nDocs)], ["shards", String(info.nShards)],
    ["token dtype", info.dtype], ["vocabulary", fmt(info.vocabSize)], ["tokenizer fingerprint", info.tokenizerFingerprint],
    ["normalization", info.normalization || "none"], ["separator id", String(info.separator)],
    ["server version", info.serverVersion],
  ];
  $("index-info").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  $("index-json").textContent = prettyJson(info.infoJson);
  return info;
}
