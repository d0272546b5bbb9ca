"""Where spans may start and end: word boundaries in the query text, per token."""

from __future__ import annotations

import numpy as np


def word_boundaries(text: str, ascii_only: bool) -> np.ndarray:
    """Boolean array of len(text)+1: True at char offsets that are word boundaries.

    A boundary lies between two characters unless both are word characters (alphanumeric
    or ``_``). With ``ascii_only`` only ASCII letters and digits bind, so text without
    spaces (CJK) can still be cut between characters.
    """
    n = len(text)
    out = np.ones(n + 1, dtype=bool)
    if n < 2:
        return out
    word = word_chars(text, ascii_only)
    out[1:n] = ~(word[:-1] & word[1:])
    return out


ASCII_WORD = np.asarray([chr(c).isalnum() or chr(c) == "_" for c in range(128)], dtype=bool)


def word_chars(text: str, ascii_only: bool) -> np.ndarray:
    """Per character: alphanumeric or ``_`` (``ascii_only``: ASCII ones only). By code point
    arrays, with str.isalnum asked once per distinct non-ASCII character (a per-character
    Python loop cost ~0.3 ms of a 2,000-character trace)."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    small = cp < 128
    word = np.zeros(len(cp), dtype=bool)
    word[small] = ASCII_WORD[cp[small]]
    if not ascii_only and not small.all():
        big = ~small
        distinct, where = np.unique(cp[big], return_inverse=True)
        word[big] = np.asarray([chr(c).isalnum() for c in distinct.tolist()], dtype=bool)[where]
    return word


def delimiter_after(text: str, delimiters: str) -> np.ndarray:
    """Boolean array of len(text): True where the char is a delimiter (spans are cut after it)."""
    if not delimiters or not text:
        return np.zeros(len(text), dtype=bool)
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    marks = np.frombuffer(delimiters.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if len(marks) > 8:
        return np.isin(cp, marks)
    out = cp == marks[0]  # a few marks (the default is two): one pass each beats np.isin's sort (~40 µs)
    for m in marks[1:]:
        out |= cp == m
    return out


def token_boundaries(starts: np.ndarray, text: str, ascii_only: bool) -> np.ndarray:
    """Boolean array of len(starts)+1: True at token index j if a span may start or end there.

    j is allowed when token j starts a new character (byte tokens inside one UTF-8
    character share its start) at a word boundary; 0 and len(starts) always are.
    """
    t = len(starts)
    out = np.ones(t + 1, dtype=bool)
    if t < 2:
        return out
    wb = word_boundaries(text, ascii_only)
    s = np.clip(starts, 0, len(text))
    out[1:t] = (s[1:] != s[:-1]) & wb[s[1:]]
    return out
