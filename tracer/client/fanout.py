"""``FanOutClient``: one index split into shard groups, each served by its own ``tracer serve``.

    with FanOutClient(["10.0.0.1:50051", "10.0.0.2:50051"], token="s3cret") as tc:  # or connect([...])
        tc.count("def __init__(self")    # summed over the groups
        tc.trace(model_output)           # merged as the whole index would trace (tracer.client.trace_merge)

The addresses are the groups *in corpus order*: group i's documents are numbered after those of
groups 0..i-1 (their ``n_docs`` from Info), and its shards after theirs, so document numbers and
shard numbers are global, as in one index built from the inputs of all groups in that order.
Every call goes to all groups at once (gRPC futures) and the answers are merged:

- ``count`` / ``count_many``: summed.
- ``find``: counts summed; occurrences merged in corpus order and sampled evenly down to ``limit``
  exactly as ``Index.find`` samples when every group's occurrences fit in ``exact_find_max``
  (groups that returned a sample are asked again for all of theirs); past that, each group's
  sample contributes in proportion to its count.
- ``document``: a number goes to the group holding it; an id is asked of every group, the first
  (in address order) holding it answers, NOT_FOUND only when none does.
- ``trace``: see tracer.client.trace_merge.
- ``prob`` / ``ntd`` / ``infgram_prob`` / ``infgram_ntd`` / ``infgram_logprobs``: counts added, the
  ∞-gram back-off taken on the merged counts, exactly (tracer.query.ngram_merge); an ``ntd`` whose
  merged context count is over ``max_support`` is sampled per group in proportion and stays approximate.
- ``search``: counts and clause counts added (approximate stays marked); documents chosen from all
  matches in corpus order exactly as one index would when the groups' matches fit in ``exact_find_max``.
- ``find_similar`` / ``find_similar_many``: each group's best ``limit`` passages per text, document
  numbers made global, merged to the best ``limit`` by score. Each group weighs words by its own
  counts, so scores can differ a little from one index holding everything (see README "Soft matching"),
  and a match's ``elsewhere`` counts the documents of its own group.

- ``soft_contamination``: the soft tier of a contamination check (``CheckOptions(soft=True)``) on
  every group; per item the best soft match over the groups wins (ties: the earlier group), its
  document numbered globally; ``contaminated`` when it reaches ``soft_cutoff``.

- ``overlap``: every group answers for all the posted documents; rows merged exactly
  (tracer.client.overlap_merge), the summary made from the merged rows.

Membership scores (the reference scores included: use ``infgram_logprobs`` to fan those out) and
the exact tiers of contamination checks are not fanned out: they derive several statistics
from the whole index in one pass, so run them against one server holding the whole index.
Soft scores weigh words by each group's own corpus counts, so a group's scores are those of a
server holding only that group.
Errors are ``grpc.RpcError`` with the failing server's status code (a group that is down fails
the call: an answer from part of the index would be silently wrong).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import grpc
import numpy as np

from tracer.client.single import ClientTLS, MiB, Query, TracerClient
from tracer.client.trace_merge import GroupTrace, candidate_spans, check_same_tokens, merge_traces
from tracer.contamination import BenchItem, CheckOptions, ItemResult
from tracer.errors import InputError, MismatchError
from tracer.index.reader import DocumentRecord
from tracer.query.documents import DocSpan
from tracer.query.find import FindResult, sample_evenly
from tracer.query.ngram import InfgramLogprobs, NextTokenDistribution, NgramProb
from tracer.query.ngram_merge import (
    backoff_parts,
    merge_infgram_logprobs,
    merge_ntds,
    merge_probs,
    ntd_quotas,
)
from tracer.query.options import FindOptions, NgramOptions, SearchOptions, TraceOptions, defaults
from tracer.query.search import SearchResult
from tracer.query.trace_docs import MAX_OCCURRENCES_EXAMINED
from tracer.query.trace_rank import TraceResult
from tracer.v1 import tracer_pb2 as pb
from tracer.wire import convert

COUNT_CHUNK = 4096  # token-id queries per Count request when recounting trace candidates


class FanOutError(grpc.RpcError):
    """A status decided by the fan-out client itself (e.g. a document number no group holds)."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(details)
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


@dataclass(frozen=True)
class ShardGroup:
    """One server's part of the index and where it sits in the global numbering."""

    address: str
    n_docs: int
    n_shards: int
    n_tokens: int
    doc_base: int
    shard_base: int


class FanOutClient:
    """``TracerClient``'s Index methods over several servers, each holding one shard group of an index.

    ``exact_find_max``: a find whose total count is at most this fetches every occurrence so that the
    merged sample equals one server's. ``trace_group_docs``: documents per span asked of each group
    (at least ``max_docs`` and ``max_count``, at most this), so the union holds all of a span's documents.
    """

    def __init__(self, addresses: Sequence[str], token: str | None = None, tls: bool | ClientTLS | None = None, *,
                 index: str = "", timeout: float | None = 60.0, fingerprint: str = "",
                 max_message_bytes: int = 256 * MiB, exact_find_max: int = 10_000,
                 trace_group_docs: int = MAX_OCCURRENCES_EXAMINED):
        addresses = list(addresses)
        if not addresses:
            raise InputError("FanOutClient: give at least one address")
        if len(set(addresses)) != len(addresses):
            raise InputError(f"FanOutClient: an address is given twice in {addresses} (each holds a different group)")
        self.clients = [TracerClient(a, token, tls, index=index, timeout=timeout, fingerprint=fingerprint,
                                     max_message_bytes=max_message_bytes) for a in addresses]
        self.addresses = addresses
        self.index = index
        self.exact_find_max = exact_find_max
        self.trace_group_docs = trace_group_docs
        self._groups: list[ShardGroup] | None = None
        self._vocab: int | None = None

    # -- plumbing ----------------------------------------------------------------------
    def _all(self, rpc: str, request: Any) -> list:
        """``request`` sent to every group at once; answers in address order (the first error raises)."""
        futures = [c.call_async(rpc, request) for c in self.clients]
        return [f.result() for f in futures]

    def close(self) -> None:
        for c in self.clients:
            c.close()

    def __enter__(self) -> FanOutClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def groups(self) -> list[ShardGroup]:
        """The groups' sizes and global bases (one Info per server, the first time it is needed)."""
        if self._groups is None:
            infos: list[pb.InfoResponse] = self._all("Info", pb.InfoRequest(index=self.index))
            first = infos[0]
            for address, info in zip(self.addresses[1:], infos[1:], strict=True):
                if (info.tokenizer_fingerprint, info.normalization, info.separator) != (
                        first.tokenizer_fingerprint, first.normalization, first.separator):
                    raise MismatchError(f"{address} serves tokenizer {info.tokenizer_fingerprint!r} "
                                        f"(normalization {info.normalization!r}), {self.addresses[0]} "
                                        f"{first.tokenizer_fingerprint!r} ({first.normalization!r}): "
                                        "not shard groups of one index")
            groups, docs, shards = [], 0, 0
            for address, info in zip(self.addresses, infos, strict=True):
                groups.append(ShardGroup(address, info.n_docs, info.n_shards, info.n_tokens, docs, shards))
                docs += info.n_docs
                shards += info.n_shards
            self._groups = groups
        return self._groups

    def _globalize_span(self, s: DocSpan, g: ShardGroup) -> DocSpan:
        return replace(s, doc_index=s.doc_index + g.doc_base, shard=s.shard + g.shard_base)

    # -- the Index methods -------------------------------------------------------------
    def info(self) -> dict:
        """Totals over the groups, and each group's own ``Index.info()``."""
        groups = self.groups
        infos = [c.info() for c in self.clients]
        return {
            "n_tokens": sum(g.n_tokens for g in groups), "n_docs": sum(g.n_docs for g in groups),
            "n_shards": sum(g.n_shards for g in groups), "tokenizer": infos[0].get("tokenizer"),
            "dtype": infos[0].get("dtype"), "normalization": infos[0].get("normalization"),
            "groups": [{"address": g.address, "doc_base": g.doc_base, "shard_base": g.shard_base, "info": i}
                       for g, i in zip(groups, infos, strict=True)],
        }

    def count(self, query: Query) -> int:
        return self.count_many([query])[0]

    def count_many(self, queries: list[Query]) -> list[int]:
        c0 = self.clients[0]
        req = pb.CountRequest(index=self.index, queries=[c0.query_message(q) for q in queries])
        totals = np.zeros(len(queries), dtype=np.int64)
        for resp in self._all("Count", req):
            totals += np.asarray(resp.counts, dtype=np.int64)
        return [int(t) for t in totals]

    def find(self, query: Query, options: FindOptions | None = None, **overrides: Any) -> FindResult:
        """Total count over the groups and up to ``limit`` occurrences in corpus order (see the module doc)."""
        groups = self.groups
        q = self.clients[0].query_message(query)
        given = convert.option_values(FindOptions, options, overrides)  # the servers validate them
        limit = given.get("limit", defaults(FindOptions)["limit"])

        def request(n: int) -> pb.FindRequest:
            return pb.FindRequest(index=self.index, query=q, **{**given, "limit": n})

        answers: list[pb.FindResponse] = self._all("Find", request(limit))
        counts = [int(a.count) for a in answers]
        total = sum(counts)
        if limit <= 0 or total == 0:
            return FindResult(total, [])
        partial = [i for i, a in enumerate(answers) if len(a.occurrences) < counts[i]]
        if partial and total <= self.exact_find_max:
            futures = {i: self.clients[i].call_async("Find", request(counts[i])) for i in partial}
            try:
                for i, f in futures.items():
                    answers[i] = f.result()
            except grpc.RpcError as e:  # a server capping Find limits lower: fall back to quotas
                if e.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                    raise
            partial = [i for i, a in enumerate(answers) if len(a.occurrences) < counts[i]]
        per_group = [[self._globalize_span(convert.msg_to_docspan(m), g) for m in a.occurrences]
                     for a, g in zip(answers, groups, strict=True)]
        if partial:  # samples only: each group contributes in proportion to its count
            quotas = _largest_remainder(counts, limit)
            per_group = [[occ[i] for i in sample_evenly(len(occ), quota)] for occ, quota in zip(per_group, quotas,
                                                                                                   strict=True)]
        merged = sorted((s for occ in per_group for s in occ), key=lambda s: (s.doc_index, s.token_start, s.token_end))
        return FindResult(total, [merged[i] for i in sample_evenly(len(merged), limit)])

    def document(self, doc_id: str | int) -> DocumentRecord:
        groups = self.groups
        if isinstance(doc_id, int):
            i = bisect.bisect_right([g.doc_base for g in groups], doc_id) - 1
            if doc_id < 0 or i < 0 or doc_id >= groups[i].doc_base + groups[i].n_docs:
                raise FanOutError(grpc.StatusCode.NOT_FOUND, f"document number {doc_id}: the {len(groups)} "
                                  f"groups hold 0..{sum(g.n_docs for g in groups) - 1}")
            req = pb.GetDocumentRequest(index=self.index, doc_index=doc_id - groups[i].doc_base)
            doc = convert.msg_to_document(self.clients[i].call("GetDocument", req))
            return replace(doc, doc_index=doc.doc_index + groups[i].doc_base, shard=doc.shard + groups[i].shard_base)
        req = pb.GetDocumentRequest(index=self.index, doc_id=doc_id)
        futures = [c.call_async("GetDocument", req) for c in self.clients]
        for f, g in zip(futures, groups, strict=True):
            try:
                doc = convert.msg_to_document(f.result())
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                continue
            return replace(doc, doc_index=doc.doc_index + g.doc_base, shard=doc.shard + g.shard_base)
        raise FanOutError(grpc.StatusCode.NOT_FOUND, f"document id {doc_id!r}: in none of the {len(groups)} groups")

    def trace(self, text: str, options: TraceOptions | None = None, **overrides: Any) -> TraceResult:
        """``Index.trace`` over all groups, merged as the whole index would trace (tracer.client.trace_merge)."""
        groups = self.groups
        given = convert.option_values(TraceOptions, options, overrides)  # the servers validate them
        opts = {**defaults(TraceOptions), **given}
        max_count, max_docs = opts["max_count"], opts["max_docs"]
        if isinstance(max_count, int) and isinstance(max_docs, int) and max_docs > 0:
            group_docs = max(max_docs, min(max_count, self.trace_group_docs))
        else:
            group_docs = max_docs  # the server rejects bad values with INVALID_ARGUMENT
        req = pb.TraceRequest(index=self.index, text=text, token_stats=True,
                              **{**given, "all_spans": True, "max_count": max_count, "max_docs": group_docs})
        traces = []
        for resp, g in zip(self._all("Trace", req), groups, strict=True):
            stats = convert.msg_to_trace_token_stats(resp)
            if stats is None:
                raise MismatchError(f"{g.address}: the server sends no trace token stats (upgrade it to fan out traces)")
            result = convert.msg_to_trace_result(resp)
            for s in result.spans:
                for d in s.documents:
                    d.doc_index += g.doc_base
            traces.append(GroupTrace(g.address, result, stats))
        ids = check_same_tokens(traces)
        candidates = candidate_spans(traces)
        queries = [ids[c.start_token:c.end_token] for c in candidates]
        totals = np.zeros(len(candidates), dtype=np.int64)
        for lo in range(0, len(queries), COUNT_CHUNK):
            chunk = self._count_ids(queries[lo:lo + COUNT_CHUNK])
            totals[lo:lo + len(chunk)] = chunk
        # every value was accepted by the servers, so the options validate here too
        return merge_traces(text, traces, candidates, totals, TraceOptions(**opts))

    # -- the corpus as a language model, AND/OR search ------------------------------------
    def _ngram_all(self, kind: str, context: Query, token: str | int | None = None,
                   values: dict[str, Any] | None = None, which: Sequence[int] | None = None,
                   per_group: Sequence[dict[str, Any]] | None = None) -> list[pb.NgramResponse]:
        c0 = self.clients[0]
        which = list(range(len(self.clients))) if which is None else list(which)
        reqs = []
        for j in range(len(which)):
            req = pb.NgramRequest(index=self.index, kind=convert.NGRAM_KINDS[kind], context=c0.query_message(context),
                                  **{**(values or {}), **(per_group[j] if per_group else {})})
            if token is not None:
                req.token.CopyFrom(convert.token_to_msg(token, c0.fingerprint))
            reqs.append(req)
        futures = [self.clients[i].call_async("Ngram", r) for i, r in zip(which, reqs, strict=True)]
        return [f.result() for f in futures]

    def prob(self, context: Query, token: str | int) -> NgramProb:
        """Counts summed over the groups: exactly the whole index's ``prob``."""
        return merge_probs([convert.msg_to_ngram_prob(r.prob) for r in self._ngram_all("prob", context, token)])

    def infgram_prob(self, context: Query, token: str | int) -> NgramProb:
        """Back-off on the merged counts: the longest suffix any group holds, counts of the groups holding it."""
        parts = [convert.msg_to_ngram_prob(r.prob) for r in self._ngram_all("infgram_prob", context, token)]
        return merge_probs(backoff_parts(parts))

    def ntd(self, context: Query, options: NgramOptions | None = None, **overrides: Any) -> NextTokenDistribution:
        return self._ntd("ntd", context, options, overrides)

    def infgram_ntd(self, context: Query, options: NgramOptions | None = None,
                    **overrides: Any) -> NextTokenDistribution:
        return self._ntd("infgram_ntd", context, options, overrides)

    def _ntd(self, kind: str, context: Query, options: NgramOptions | None,
             overrides: dict[str, Any]) -> NextTokenDistribution:
        values = convert.option_values(NgramOptions, options, overrides)  # the servers validate them
        max_support = {**defaults(NgramOptions), **values}["max_support"]
        answers = self._ngram_all(kind, context, None, values)
        parts = [convert.msg_to_ntd(r.ntd) for r in answers]
        keep = [i for i, p in enumerate(parts) if p.context_len == max(q.context_len for q in parts)]
        parts = [parts[i] for i in keep]
        if sum(p.count_context for p in parts) > max_support and len(parts) > 1:
            quotas = ntd_quotas([p.count_context for p in parts], max_support)
            again = self._ngram_all(kind, context, None, values, keep, [{"max_support": q} for q in quotas])
            parts = [convert.msg_to_ntd(r.ntd) for r in again]
        return merge_ntds(parts, max_support)

    def infgram_logprobs(self, tokens: Query, max_suffix: int | None = None) -> InfgramLogprobs:
        """Each group's per-position suffix lengths and counts, merged exactly (tracer.query.ngram_merge)."""
        vocab = self._vocab_size()
        req = pb.InfgramLogprobsRequest(index=self.index, tokens=self.clients[0].query_message(tokens))
        if max_suffix is not None:
            req.max_suffix = max_suffix
        parts = [convert.msg_to_infgram_logprobs(m) for m in self._all("InfgramLogprobs", req)]
        return merge_infgram_logprobs(parts, vocab)

    def _vocab_size(self) -> int:
        if self._vocab is None:
            self._vocab = int(self.clients[0].server_info().vocab_size)
        return self._vocab

    def search(self, cnf: Any, options: SearchOptions | None = None, **overrides: Any) -> SearchResult:
        """Counts added; documents merged in corpus order and sampled as one index would (see the module doc)."""
        groups = self.groups
        given = convert.option_values(SearchOptions, options, overrides)  # the servers validate them
        limit = {**defaults(SearchOptions), **given}["limit"]
        query = convert.cnf_to_msg(cnf, self.clients[0].fingerprint)

        def request(n: int) -> pb.SearchRequest:
            return pb.SearchRequest(index=self.index, **query, **{**given, "limit": n})

        answers = [convert.msg_to_search_result(m) for m in self._all("Search", request(limit))]
        counts = [a.count for a in answers]
        total = sum(counts)
        approximate = any(a.approximate for a in answers)
        clause_counts = [sum(c) for c in zip(*(a.clause_counts for a in answers), strict=True)]
        partial = [i for i, a in enumerate(answers) if len(a.documents) < counts[i]]
        if partial and not approximate and total <= self.exact_find_max:
            futures = {i: self.clients[i].call_async("Search", request(counts[i])) for i in partial}
            try:
                for i, f in futures.items():
                    answers[i] = convert.msg_to_search_result(f.result())
            except grpc.RpcError as e:  # a server capping limits lower: fall back to quotas
                if e.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                    raise
            partial = [i for i, a in enumerate(answers) if len(a.documents) < counts[i]]
        per_group = [[replace(d, doc_index=d.doc_index + g.doc_base, shard=d.shard + g.shard_base) for d in a.documents]
                     for a, g in zip(answers, groups, strict=True)]
        if partial or approximate:
            quotas = _largest_remainder(counts, limit) if total else [0] * len(counts)
            per_group = [[docs[i] for i in sample_evenly(len(docs), q)] for docs, q in zip(per_group, quotas,
                                                                                             strict=True)]
        merged = sorted((d for docs in per_group for d in docs), key=lambda d: d.doc_index)
        chosen = [merged[i] for i in sample_evenly(len(merged), limit)] if limit > 0 else []
        return SearchResult(total, approximate, clause_counts, chosen)

    def overlap(self, documents: Any, options: Any | None = None, **overrides: Any) -> tuple[list, dict]:
        """``Index.overlap`` of posted documents against the whole index: every group answers for all
        the documents, the rows are merged exactly (tracer.client.overlap_merge), the summary is
        made from the merged rows and its spans counted over all groups."""
        from tracer.client.overlap_merge import merge_overlaps
        from tracer.contamination.overlap import OverlapSummary
        from tracer.contamination.overlap_options import OverlapOptions
        from tracer.query.options import resolve
        from tracer.wire import overlap as overlap_wire

        opts = resolve(OverlapOptions, options, overrides)
        req = pb.OverlapRequest(index=self.index, documents=overlap_wire.documents_to_msgs(documents),
                                options=overlap_wire.options_to_msg(opts))
        rows = merge_overlaps([overlap_wire.from_response(r)[0] for r in self._all("Overlap", req)], opts)
        summary = OverlapSummary(opts)
        for d in rows:
            summary.add(d)
        doc = summary.to_json()
        counts = self.count_many([t["text"] for t in doc["top_spans"]]) if doc["top_spans"] else []
        for t, n in zip(doc["top_spans"], counts, strict=True):
            t["a_count"] = n
        return rows, doc

    def soft_contamination(self, items: Sequence[BenchItem | dict],
                           options: CheckOptions | None = None) -> list[ItemResult]:
        """Each group's contamination check with the soft tier; per item the result of the first
        group that calls it contaminated exactly (the soft tier never overrides an exact verdict),
        else of the group with the best soft match (best score wins; the earlier group on ties),
        else the first group's; documents numbered globally. Exact verdicts are a group's own (see
        the module docstring): read ``match == "soft"`` and ``soft`` here."""
        opts = replace(options or CheckOptions(), soft=True)
        request = pb.ContaminationRequest(index=self.index, items=[convert.bench_item_to_msg(i) for i in items],
                                          options=convert.options_to_msg(opts))
        answers = self._all("CheckContamination", request)
        per_group = [[convert.msg_to_item_result(m) for m in a.results] for a in answers]
        merged = []
        for k in range(len(per_group[0])):
            exact = [g for g, results in enumerate(per_group) if results[k].match in ("exact", "normalized")]
            best, best_g = per_group[0][k], 0
            for g, results in enumerate(per_group):
                r = results[k]
                if r.soft is not None and (best.soft is None or r.soft.score > best.soft.score):
                    best, best_g = r, g
            if exact:
                best, best_g = per_group[exact[0]][k], exact[0]
            base = self.groups[best_g].doc_base
            if best.soft is not None:
                best.soft = replace(best.soft, document=best.soft.document + base)
            for d in best.documents:
                d.doc_index += base
            merged.append(best)
        return merged

    def find_similar(self, text: str, limit: int = 10, options: Any | None = None, **overrides: Any) -> list:
        """Soft search over every group: the best ``limit`` passages by score (see the module doc)."""
        return self.find_similar_many([text], limit, options, **overrides)[0]

    def find_similar_many(self, texts: Sequence[str], limit: int = 10, options: Any | None = None,
                          **overrides: Any) -> list[list]:
        from tracer.wire import soft as soft_wire

        groups = self.groups
        answers = self._all("FindSimilar", soft_wire.request(self.index, list(texts), limit, options, overrides))
        merged: list[list] = [[] for _ in texts]
        for g, msg in zip(groups, answers, strict=True):
            for i, matches in enumerate(soft_wire.from_response(msg)):
                merged[i].extend(replace(m, document=m.document + g.doc_base) for m in matches)
        return [sorted(ms, key=lambda m: (-m.score, m.document, m.start_char))[:limit] for ms in merged]

    def _count_ids(self, queries: list[np.ndarray]) -> np.ndarray:
        if not queries:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.count_many(queries), dtype=np.int64)


def _largest_remainder(counts: list[int], limit: int) -> list[int]:
    """``limit`` split over groups in proportion to ``counts`` (whole numbers summing to min(limit, total))."""
    total = sum(counts)
    limit = min(limit, total)
    exact = [limit * c / total for c in counts]
    quotas = [int(x) for x in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: (quotas[i] - exact[i], i))
    for i in by_remainder[: limit - sum(quotas)]:
        quotas[i] += 1
    return [min(q, c) for q, c in zip(quotas, counts, strict=True)]
