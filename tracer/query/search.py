"""AND/OR document search: documents where every AND-clause has one of its OR-terms.

A query is in conjunctive normal form: a list of clauses, each a list of terms (texts or token
ids, n-grams of any length). Documents never span shards, so each shard is searched on its own
and the counts add. Per shard the rarest clause (by its count) gives the candidate documents;
each further clause, rarest first, either collects its occurrences from the suffix array and
intersects (when it is rare next to the candidates' length) or is checked by scanning the
candidate documents (when collecting would read more occurrences than the documents hold).
A rarest clause with more than ``max_clause_freq`` occurrences is sampled evenly (APPROX_SAMPLE
occurrences) and the count estimated (each sampled occurrence weighs 1 / its clause's
occurrences in its document).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tracer.errors import InputError
from tracer.index.pointers import sa_slice
from tracer.index.reader import IndexReader, Shard
from tracer.query.documents import doc_span, positions_to_docs
from tracer.query.find import sample_evenly
from tracer.query.longest import _parallel_guard
from tracer.query.options import MAX_CLAUSE_FREQ, SearchOptions, resolve  # noqa: F401 (re-exported)
from tracer.query.shards import shard_range
from tracer.query.tokens import query_variants
from tracer_native import match_in_spans, min_cover_spread

Term = str | Sequence[int] | np.ndarray
Cnf = Sequence[Sequence[Term]]
APPROX_SAMPLE = 4096  # occurrences sampled beyond it: their documents are scanned, so keep it small
MAX_MATCHES = 10  # highlighted matches per clause and document
GATHER_COST = 16  # one occurrence from the suffix array costs about this many scanned tokens


@dataclass
class TermMatch:
    """One match of a clause in a document: which OR-term, token and character offsets in the document."""

    term: int
    token_start: int
    token_end: int
    char_start: int
    char_end: int

    def to_json(self) -> dict:
        return {"term": self.term, "token_start": self.token_start, "token_end": self.token_end,
                "char_start": self.char_start, "char_end": self.char_end}


@dataclass
class SearchDocument:
    doc_index: int
    doc_id: str
    meta: dict[str, Any]
    shard: int
    n_matches: list[int]  # matches per clause in the document
    matches: list[list[TermMatch]]  # per clause, the first MAX_MATCHES in document order

    def to_json(self) -> dict:
        return {"doc_index": self.doc_index, "doc_id": self.doc_id, "meta": self.meta, "shard": self.shard,
                "n_matches": self.n_matches, "matches": [[m.to_json() for m in c] for c in self.matches]}


@dataclass
class SearchResult:
    count: int  # documents that match (an estimate when approximate)
    approximate: bool
    clause_counts: list[int]  # occurrences of each clause in the index (its terms' counts added)
    documents: list[SearchDocument] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"count": self.count, "approximate": self.approximate, "clause_counts": self.clause_counts,
                "documents": [d.to_json() for d in self.documents]}


# -- parsing ---------------------------------------------------------------------------------
_LEX = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"]+))')


def _lex(query: str) -> list[tuple[str, str]]:
    """(kind, value) tokens: '(' ')' AND OR, quoted phrases ('Q') and bare words ('W')."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(query):
        if query[i:].strip() == "":
            break
        m = _LEX.match(query, i)
        if m is None:
            j = query.index('"', i)
            raise InputError(f"search query: unterminated quote at character {j}")
        if m.group(1):
            out.append(("(", "("))
        elif m.group(2):
            out.append((")", ")"))
        elif m.group(3) is not None:
            phrase = re.sub(r"\\(.)", r"\1", m.group(3))
            if not phrase:
                raise InputError(f"search query: empty quoted phrase at character {m.start(3) - 1}")
            out.append(("Q", phrase))
        else:
            w = m.group(4)
            out.append((w, w) if w in ("AND", "OR") else ("W", w))
        i = m.end()
    return out


def parse_cnf(query: str) -> list[list[str]]:
    """Parse ``dog AND (cat OR mouse)`` into [["dog"], ["cat", "mouse"]].

    AND joins clauses, OR joins terms and binds tighter (``a OR b AND c`` is ``(a OR b) AND c``);
    parentheses may group OR-terms but cannot hold AND (the query must be in CNF). Adjacent bare
    words form one phrase joined by single spaces; "quoted phrases" keep their text exactly.
    """
    toks = _lex(query)
    if not toks:
        raise InputError("search query is empty")
    clauses: list[list[str]] = [[]]
    pos = 0
    expect_term = True
    depth = 0
    while pos < len(toks):
        kind, val = toks[pos]
        if kind in ("W", "Q"):
            if not expect_term:
                raise InputError(f"search query: missing AND/OR before {val!r}")
            if kind == "W":
                words = [val]
                while pos + 1 < len(toks) and toks[pos + 1][0] == "W":
                    pos += 1
                    words.append(toks[pos][1])
                val = " ".join(words)
            clauses[-1].append(val)
            expect_term = False
        elif kind in ("AND", "OR"):
            if expect_term:
                raise InputError(f"search query: {kind} without a term before it")
            if kind == "AND":
                if depth:
                    raise InputError("search query: AND inside parentheses; write the query in CNF, "
                                     "e.g. a AND (b OR c)")
                clauses.append([])
            expect_term = True
        elif kind == "(":
            if depth:
                raise InputError("search query: nested parentheses; write the query in CNF, e.g. a AND (b OR c)")
            if not expect_term:
                raise InputError("search query: missing AND/OR before '('")
            depth = 1
        else:
            if not depth:
                raise InputError("search query: ')' without '('")
            if expect_term:
                raise InputError("search query: empty parentheses or OR without a term after it")
            depth = 0
        pos += 1
    if depth:
        raise InputError("search query: '(' without ')'")
    if expect_term:
        raise InputError(f"search query: {toks[-1][0]} without a term after it")
    return clauses


# -- search ----------------------------------------------------------------------------------
@dataclass
class _Clause:
    patterns: list[np.ndarray]  # token sequences of all spellings of all terms
    term_of: list[int]  # the OR-term each pattern spells
    spaced: list[bool]  # a BPE space-prefixed spelling (its match starts with the space)


def _clauses(index: IndexReader, cnf: str | Cnf) -> list[_Clause]:
    if isinstance(cnf, str):
        cnf = parse_cnf(cnf)
    if isinstance(cnf, (bytes, np.ndarray)) or not isinstance(cnf, Sequence) or not cnf:
        raise InputError("search query: give a non-empty list of AND-clauses, each a list of OR-terms")
    out = []
    for ci, clause in enumerate(cnf):
        if isinstance(clause, str) or not isinstance(clause, Sequence) or not clause:
            raise InputError(f"search query: clause {ci} must be a non-empty list of terms")
        c = _Clause([], [], [])
        for ti, term in enumerate(clause):
            try:
                variants = query_variants(index, term)
            except InputError as e:
                raise InputError(f"search query: clause {ci} term {ti}: {e}") from None
            for vi, ids in enumerate(variants):
                if any(np.array_equal(ids, p) for p in c.patterns):
                    continue  # two terms spelled alike (BPE "cat" and " cat"): match once
                c.patterns.append(ids)
                c.term_of.append(ti)
                c.spaced.append(isinstance(term, str) and vi > 0)
        out.append(c)
    return out


@dataclass
class _Occurrences:
    """Matches inside one shard: local document, position, clause, pattern (parallel arrays)."""

    doc: np.ndarray
    pos: np.ndarray
    clause: np.ndarray
    pattern: np.ndarray

    @staticmethod
    def concat(parts: list[_Occurrences]) -> _Occurrences:
        if not parts:
            z = np.zeros(0, dtype=np.int64)
            return _Occurrences(z, z, z, z)
        return _Occurrences(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("doc", "pos", "clause", "pattern")))

    def keep(self, mask: np.ndarray) -> _Occurrences:
        return _Occurrences(self.doc[mask], self.pos[mask], self.clause[mask], self.pattern[mask])


@dataclass
class _ShardResult:
    shard: int
    count: float
    approximate: bool
    docs: np.ndarray  # local documents that match (sorted)
    occ: _Occurrences  # every match of every clause in those documents


def _gather(shard: Shard, ranges: list[tuple[int, int, int]], clause: int, take: np.ndarray | None) -> _Occurrences:
    """Occurrences of a clause from its patterns' SA ranges (all, or the rows ``take`` of their concatenation)."""
    pos = np.concatenate([sa_slice(shard.sa, lo, hi) for lo, hi, _ in ranges])
    pat = np.concatenate([np.full(hi - lo, k, dtype=np.int64) for lo, hi, k in ranges])
    if take is not None:
        pos, pat = pos[take], pat[take]
    docs = positions_to_docs(shard, pos)  # CorruptIndexError when an entry points past the shard
    return _Occurrences(docs, pos, np.full(pos.size, clause, dtype=np.int64), pat)


def _scan(shard: Shard, docs: np.ndarray, clauses: list[_Clause], which: list[int]) -> _Occurrences:
    """Occurrences of the clauses ``which`` found by scanning the documents ``docs``."""
    pats = [(c, k, clauses[c].patterns[k]) for c in which for k in range(len(clauses[c].patterns))]
    flat = np.concatenate([p for _, _, p in pats]).astype(shard.tokens.dtype)
    offsets = np.zeros(len(pats) + 1, dtype=np.int64)
    np.cumsum([len(p) for _, _, p in pats], out=offsets[1:])
    starts = shard.doc_starts[docs].astype(np.int64)
    ends = shard.doc_starts[docs + 1].astype(np.int64) - 1
    s, p, k = match_in_spans(shard.tokens, starts, ends, flat, offsets)
    clause_of = np.asarray([c for c, _, _ in pats], dtype=np.int64)
    pattern_of = np.asarray([kk for _, kk, _ in pats], dtype=np.int64)
    return _Occurrences(docs[s], p, clause_of[k], pattern_of[k])


def _ranges(shard: Shard, clauses: list[_Clause]) -> list[list[tuple[int, int, int]]]:
    """Per clause, the non-empty SA ranges (lo, hi, pattern) of its patterns in the shard."""
    out = []
    for c in clauses:
        rs = []
        for k, ids in enumerate(c.patterns):
            lo, hi = shard_range(shard, ids)
            if hi > lo:
                rs.append((int(lo), int(hi), k))
        out.append(rs)
    return out


def _search_shard(index: IndexReader, s: int, clauses: list[_Clause], ranges: list[list[tuple[int, int, int]]],
                  window: int | None, cap: int) -> _ShardResult | None:
    shard = index.shards[s]
    counts = [sum(hi - lo for lo, hi, _ in rs) for rs in ranges]
    if min(counts) == 0:
        return None
    order = [int(c) for c in np.argsort(counts, kind="stable")]
    rarest = order[0]
    sampled = counts[rarest] > cap
    take = sample_evenly(counts[rarest], min(cap, APPROX_SAMPLE)) if sampled else None
    first = _gather(shard, ranges[rarest], rarest, take)
    cand = np.unique(first.doc)
    gathered = [] if sampled else [first]
    scan = [rarest] if sampled else []
    for c in order[1:]:
        cand_len = int((shard.doc_starts[cand + 1] - shard.doc_starts[cand]).astype(np.int64).sum())
        if counts[c] * GATHER_COST <= cand_len:
            occ = _gather(shard, ranges[c], c, None)
            occ = occ.keep(np.isin(occ.doc, cand))
            cand = np.unique(occ.doc)
            gathered.append(occ)
            if not cand.size:
                return None
        else:
            scan.append(c)
    parts = [g.keep(np.isin(g.doc, cand)) for g in gathered]
    if scan:
        with _parallel_guard():
            parts.append(_scan(shard, cand, clauses, scan))
    occ = _Occurrences.concat(parts)
    o = np.lexsort((occ.clause, occ.pos, occ.doc))
    occ = occ.keep(o)
    bounds = np.searchsorted(occ.doc, np.append(cand, cand[-1] + 1 if cand.size else 0))
    spread = min_cover_spread(occ.pos, occ.clause, bounds.astype(np.int64), len(clauses))
    ok = (spread >= 0) if window is None else (spread >= 0) & (spread <= window)
    docs = cand[ok]
    if sampled:
        # Horvitz-Thompson: a document with r occurrences of the rarest clause is sampled ~r times
        per_doc = np.bincount(np.searchsorted(cand, occ.doc[occ.clause == rarest]), minlength=cand.size)
        weight = np.where(ok, 1.0 / np.maximum(per_doc, 1), 0.0)
        kept = first.doc[np.isin(first.doc, cand)]  # sampled documents a later clause removed weigh 0
        est = float(weight[np.searchsorted(cand, kept)].sum()) * counts[rarest] / first.doc.size
    else:
        est = float(docs.size)
    return _ShardResult(s, est, sampled, docs, occ.keep(np.isin(occ.doc, docs)))


def _document(index: IndexReader, r: _ShardResult, local: int, clauses: list[_Clause]) -> SearchDocument:
    shard = index.shards[r.shard]
    a = int(shard.doc_starts[local])
    mask = r.occ.doc == local
    pos, cl, pat = r.occ.pos[mask], r.occ.clause[mask], r.occ.pattern[mask]
    matches: list[list[TermMatch]] = [[] for _ in clauses]
    n_matches = [int((cl == c).sum()) for c in range(len(clauses))]
    for p, c, k in zip(pos.tolist(), cl.tolist(), pat.tolist(), strict=True):
        if len(matches[c]) >= MAX_MATCHES:
            continue
        span = doc_span(index, r.shard, p, len(clauses[c].patterns[k]), context=0)
        cs = span.char_start
        # a space-prefixed spelling also matched the space before the term: highlight the term itself
        while clauses[c].spaced[k] and cs < span.char_end and span.snippet[cs - span.snippet_start].isspace():
            cs += 1
        matches[c].append(TermMatch(clauses[c].term_of[k], p - a, span.token_end, cs, span.char_end))
    meta = shard.meta(local)
    return SearchDocument(shard.doc_base + local, str(meta.get("id")), meta, r.shard, n_matches, matches)


def search(index: IndexReader, cnf: str | Cnf, options: SearchOptions | None = None, **overrides) -> SearchResult:
    """Documents matching a CNF query (a string such as ``dog AND (cat OR mouse)`` or nested lists).

    ``window``: every clause has a match starting within ``window`` tokens of the others (the
    starts of one match per clause span at most ``window``). Returns the number of matching
    documents (exact unless a shard's rarest clause occurs more than ``max_clause_freq`` times)
    and up to ``limit`` of them spread evenly in corpus order, with matches by clause.
    ``SearchOptions`` as an object and/or by keyword.
    """
    opts = resolve(SearchOptions, options, overrides)
    window, limit, max_clause_freq = opts.window, opts.limit, opts.max_clause_freq
    clauses = _clauses(index, cnf)
    clause_counts = [0] * len(clauses)
    results = []
    for s, shard in enumerate(index.shards):
        ranges = _ranges(shard, clauses)
        for c, rs in enumerate(ranges):
            clause_counts[c] += sum(hi - lo for lo, hi, _ in rs)
        r = _search_shard(index, s, clauses, ranges, window, max_clause_freq)
        if r is not None:
            results.append(r)
    approximate = any(r.approximate for r in results)
    total = sum(r.count for r in results)
    bounds = np.cumsum([0] + [len(r.docs) for r in results])
    chosen = sample_evenly(int(bounds[-1]), limit) if limit > 0 else np.zeros(0, dtype=np.int64)
    which = np.searchsorted(bounds, chosen, side="right") - 1
    docs = [_document(index, results[w], int(results[w].docs[i - bounds[w]]), clauses)
            for w, i in zip(which.tolist(), chosen.tolist(), strict=True)]
    return SearchResult(int(round(total)), approximate, clause_counts, docs)
