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
