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
    if ascii_only:
        word = np.fromiter((c.isascii() and (c.isalnum() or c == "_") for c in text), dtype=bool, count=n)
    else:
        word = np.fromiter((c.isalnum() or c == "_" for c in text), dtype=bool, count=n)
    out[1:n] = ~(word[:-1] & word[1:])
    return out


def delimiter_after(text: str, delimiters: str) -> np.ndarray:
    """Boolean array of len(text): True where the char is a delimiter (spans are cut after it)."""
    if not delimiters:
        return np.zeros(len(text), dtype=bool)
    return np.fromiter((c in delimiters for c in text), dtype=bool, count=len(text))


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
