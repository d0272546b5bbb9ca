"""Text normalization for indexes built with ``--normalize``.

Reformatted copies of a text (case, whitespace and line wrapping, curly quotes, dashes,
HTML entities, zero-width characters) normalize to the same string, so an exact index of
normalized text finds them. The rule, applied in this order:

1. HTML entities (``&amp;``, ``&#8217;``, ``&#x2019;``; only with the closing ``;``) decoded;
2. each character on its own: curly quotes/apostrophes to ``'``/``"``, dashes to ``-``,
   ellipsis to ``...``, format characters (category Cf: zero-width, BOM) removed,
   then NFKC and casefold;
3. every run of whitespace becomes one space; leading and trailing whitespace is dropped.

Characters are normalized one at a time (no composition across characters) so that
``normalize_with_map`` can give, for every output character, the raw offset it came from,
and matches are reported in the raw document's own offsets.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right

import numpy as np

NORMALIZATION_NAME = "tracer-norm-v1"

_PUNCT = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...",
}
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SPACES = re.compile(r"\s+")


def _piece(ch: str) -> str:
    """The normalized form of one character; any whitespace becomes a single space."""
    if ch.isspace():
        return " "
    if ch in _PUNCT:
        return _PUNCT[ch]
    if unicodedata.category(ch) == "Cf":
        return ""
    out = unicodedata.normalize("NFKC", ch).casefold()
    out = "".join(_PUNCT.get(c, c) for c in out if unicodedata.category(c) != "Cf")
    return _SPACES.sub(" ", out)


class _Table(dict):
    """str.translate table filled lazily, one entry per distinct character seen."""

    def __missing__(self, code: int) -> str:
        value = _piece(chr(code))
        self[code] = value
        return value


_TABLE = _Table()


def _decode_entity(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def normalize(text: str) -> str:
    """The normalized form of ``text`` (rule in the module docstring); runs at C speed."""
    if "&" in text:
        text = _ENTITY.sub(_decode_entity, text)
    return _SPACES.sub(" ", text.translate(_TABLE)).strip(" ")


def normalize_with_map(text: str) -> tuple[str, np.ndarray]:
    """Return (normalized, raw_offsets): output char i came from raw char raw_offsets[i].

    raw_offsets has one extra trailing entry, len(text), so an output range [a, b) maps to
    the raw range [raw_offsets[a], raw_offsets[b]). Equal to ``normalize`` by construction.
    """
    out: list[str] = []
    offsets: list[int] = []
    pending_space_at = -1
    i, n = 0, len(text)
    while i < n:
        start = i
        match = _ENTITY.match(text, i) if text[i] == "&" else None
        if match:
            raw, i = html.unescape(match.group(0)), match.end()
        else:
            raw, i = text[i], i + 1
        piece = "".join(_TABLE[ord(c)] for c in raw)
        for c in piece:
            if c == " ":
                if out and pending_space_at < 0:
                    pending_space_at = start
                continue
            if pending_space_at >= 0:
                out.append(" ")
                offsets.append(pending_space_at)
                pending_space_at = -1
            out.append(c)
            offsets.append(start)
    offsets.append(n)
    return "".join(out), np.asarray(offsets, dtype=np.int64)


def raw_span(raw: str, raw_of: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """Raw char range of the normalized chars [a, b), ``raw_of`` from ``normalize_with_map(raw)``.

    The one rule for every normalized match shown in raw text: it starts at the raw char of its
    first output char and ends where the raw char of its last output char ends (one raw "ß" gives
    "ss", so a match may end inside its expansion), less whitespace normalization dropped after
    it. An empty range sits where output char ``a`` came from.
    """
    top = len(raw_of) - 1
    a, b = min(a, top), min(b, top)
    cs = int(raw_of[a])
    if b <= a:
        return cs, cs
    last = int(raw_of[b - 1])
    ce = int(raw_of[int(np.searchsorted(raw_of, last, side="right"))])
    while ce > last + 1 and raw[ce - 1].isspace():
        ce -= 1
    return cs, ce


def _safe_cut(raw: str, k: int) -> bool:
    """Normalizing raw[:k] and raw[k:] separately gives the two halves of normalize(raw)."""
    return (0 < k < len(raw) and raw[k - 1].isascii() and raw[k - 1].isalnum() and raw[k].isascii()
            and raw[k].isalnum() and "&" not in raw[max(0, k - 40) : k])


class RawOffsets:
    """Raw char offsets of a long normalized text's chars, without mapping the whole text.

    The text is cut every ~4,000 chars between two ASCII letters or digits, where normalization
    splits exactly, and the normalized length before each cut is summed at C speed; a lookup
    maps only the window after the nearest cut (``normalize_with_map``), then applies
    ``raw_span``. For documents of normalized indexes, which are looked up many times.
    """

    STEP = 4096

    def __init__(self, raw: str):
        self.raw = raw
        cuts = [0]
        pos = self.STEP
        while pos < len(raw):
            k = next((j for j in range(pos, min(len(raw), pos + 512)) if _safe_cut(raw, j)), None)
            if k is not None:
                cuts.append(k)
            pos += self.STEP
        lengths = [len(normalize(raw[x:y])) for x, y in zip(cuts, cuts[1:], strict=False)]
        self.cuts = cuts
        self.bases = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64))).tolist()

    def _window(self, ns: int, ne: int) -> tuple[int, int, str, np.ndarray]:
        """(cut, normalized length before it, raw window, its map) holding output chars ns..ne and the
        first raw offset past the raw char of output char ne - 1."""
        j = max(0, bisect_right(self.bases, ns) - 1)
        cut, base = self.cuts[j], self.bases[j]
        need = ne - base + 1
        width = max(512, 2 * need)
        while True:
            window = self.raw[cut : cut + width]
            text, raw_of = normalize_with_map(window)
            if cut + width >= len(self.raw):
                break
            if len(text) > need:
                b = ne - base
                if b <= ns - base or int(np.searchsorted(raw_of, raw_of[b - 1], side="right")) < len(raw_of) - 1:
                    break
            width *= 2
        return cut, base, window, raw_of

    def offsets(self, ns: int, ne: int) -> tuple[int, int]:
        """Raw offsets of normalized chars ns and ne (= ``normalize_with_map(raw)[1][[ns, ne]]``)."""
        cut, base, _, raw_of = self._window(ns, ne)
        last = len(raw_of) - 1
        return cut + int(raw_of[min(ns - base, last)]), cut + int(raw_of[min(ne - base, last)])

    def span(self, ns: int, ne: int) -> tuple[int, int]:
        """``raw_span`` of normalized chars [ns, ne) of the whole text."""
        cut, base, window, raw_of = self._window(ns, ne)
        cs, ce = raw_span(window, raw_of, ns - base, ne - base)
        return cut + cs, cut + ce
