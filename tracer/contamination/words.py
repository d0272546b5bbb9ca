"""Words: the tokenizer-independent unit in which every span length is measured.

Rule: a *word* is a match of ``\\w+|[^\\w\\s]+`` (a run of letters, digits and ``_``, or a
run of other non-space characters: ``):`` or ``\"\"\"`` is one word, so code and arithmetic
need as much real content as prose) in the text as the index sees it (normalized for a normalized
index). A span of n words starts at the index token that holds the first word's first
character and counts the words that lie wholly inside the corpus match from there. So
``--ngram 8`` means 8 words whether the index holds UTF-8 bytes (about 5 tokens per word)
or BPE tokens (about 1.3): verdicts agree across tokenizers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from tracer.index.reader import IndexReader
from tracer.tokenize import raw_span

WORD = re.compile(r"\w+|[^\w\s]+")


@dataclass
class PreparedText:
    """One part of an item, tokenized for the index, with its words.

    Offsets of tokens and words are into ``qtext`` (the text the tokenizer saw); ``raw_of``
    maps them back to ``text`` (None when the two are the same).
    """

    text: str
    qtext: str
    raw_of: np.ndarray | None
    ids: np.ndarray
    tok_starts: np.ndarray
    tok_ends: np.ndarray
    word_starts: np.ndarray
    word_ends: np.ndarray
    word_tok: np.ndarray  # index token holding each word's first character
    hashes: list[int] | None = None  # word n-gram hashes, filled by ngram_hashes

    @property
    def n_words(self) -> int:
        return len(self.word_starts)

    def raw_range(self, a: int, b: int) -> tuple[int, int]:
        """Raw-text char range of qtext[a:b], trailing whitespace trimmed."""
        if self.raw_of is None:
            return a, b
        return raw_span(self.text, self.raw_of, a, b)


def json_escaped(text: str) -> tuple[str, np.ndarray] | None:
    """``text`` as it reads inside a JSON string (newlines as ``\\n``, quotes as ``\\"``), with the
    raw offset of every escaped char (plus a final len(text)); None when escaping changes nothing.

    Training corpora hold many benchmark copies inside JSON (datasets, notebooks, API logs),
    where every line break becomes two characters and exact matching breaks at each one.
    """
    escaped = text.translate(_JSON_ESCAPES)
    if len(escaped) == len(text):  # every escape is longer than its character
        return None
    points = np.frombuffer(text.encode("utf-32-le"), np.uint32)
    lengths = _JSON_LENGTHS[np.minimum(points, 128)]
    offsets = np.append(np.repeat(np.arange(len(text), dtype=np.int64), lengths), len(text))
    return escaped, offsets


# what json.dumps(c, ensure_ascii=False) writes inside the quotes for each character it escapes
# (control characters, quote, backslash); every other character stands for itself
_JSON_ESCAPES = {c: json.dumps(chr(c), ensure_ascii=False)[1:-1] for c in range(128)
                 if json.dumps(chr(c), ensure_ascii=False)[1:-1] != chr(c)}
_JSON_LENGTHS = np.asarray([len(_JSON_ESCAPES.get(c, "x")) for c in range(129)], np.int64)


# ASCII character classes of WORD: 0 whitespace (str.isspace), 1 word (\\w), 2 other
_ASCII_CLASS = np.asarray([0 if chr(c).isspace() else 1 if chr(c).isalnum() or c == 95 else 2 for c in range(128)], np.int8)


def word_spans(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the WORD matches of ``text`` (int64 arrays).

    Split with numpy from each character's class (whitespace, word, other): a word starts where
    the class changes to word or other and ends where it changes away, as the regex does; a regex
    pass over millions of words cost more than the corpus search in ``tracer overlap``. The test
    suite checks it against ``WORD`` on random text.
    """
    if text.isascii():
        cls = _ASCII_CLASS[np.frombuffer(text.encode("ascii"), np.uint8)]
    else:  # the class of each distinct character, by the same str methods the regex's \\w and \\s use
        points, inverse = np.unique(np.frombuffer(text.encode("utf-32-le"), np.uint32), return_inverse=True)
        cls = np.asarray([_char_class(int(c)) for c in points], np.int8)[inverse.reshape(-1)]
    edge = np.concatenate(([0], cls, [0]))
    change = edge[1:] != edge[:-1]
    starts = np.flatnonzero(change[:-1] & (cls != 0))
    ends = np.flatnonzero(change[1:] & (cls != 0)) + 1
    return starts.astype(np.int64), ends.astype(np.int64)


def _char_class(c: int) -> int:
    ch = chr(c)
    return 0 if ch.isspace() else 1 if ch.isalnum() or ch == "_" else 2


def prepare(index: IndexReader, text: str, variant: tuple[str, np.ndarray] | None = None) -> PreparedText:
    """Tokenize ``text`` as the index does (normalizing first for a normalized index).

    ``variant``: (another spelling of text, its char -> text char map), e.g. ``json_escaped``;
    the result's offsets still map back to ``text``.
    """
    qtext, raw_of = variant if variant is not None else (text, None)
    enc = index.tokenizer.encode_with_offsets(qtext) if qtext else None
    seen_text, starts, ends = enc.seen_text if enc is not None else (None, None, None)
    if enc is not None and enc.seen is not None:  # words are counted in the text the index holds
        qtext = seen_text
        raw_of = enc.seen.raw_of if raw_of is None else raw_of[enc.seen.raw_of]
    if enc is None or len(enc.ids) == 0:
        empty = np.zeros(0, np.int64)
        return PreparedText(text, qtext, raw_of, np.zeros(0, index.dtype), empty, empty, empty, empty, empty)
    ws, we = word_spans(qtext)
    ends = np.maximum.accumulate(np.asarray(ends, dtype=np.int64))
    word_tok = np.minimum(np.searchsorted(ends, ws, side="right"), len(ends) - 1)
    return PreparedText(text, qtext, raw_of, np.asarray(enc.ids, dtype=index.dtype),
                        np.asarray(starts, dtype=np.int64), ends, ws, we, word_tok)


def content_mask(p: PreparedText) -> np.ndarray:
    """Words that can be evidence that this particular item leaked: not punctuation, not a single
    character (an option label A-J, a variable), not a number of at most 3 digits (a number
    written with separators in 4 or more characters, 4.26, 3/16 or 80,000, counts as evidence; a
    list such as 1,2,3,4 does not).

    An MMLU item's options (``0 4 2 6``) recur across items of a subject; once the question is
    left out as template text, a corpus match of only such words says nothing about the item.
    """
    words = word_texts(p)
    mask = np.fromiter((is_content_word(w) for w in words), bool, len(words))
    for m in _LONG_NUMBER.finditer(p.qtext):  # 4.26, 3/16, 12:45: one number of several words
        if len(m.group()) < 4:
            continue
        a, b = np.searchsorted(p.word_starts, [m.start(), m.end()], side="left")
        mask[a:b] = True
    return mask


def short_number_mask(p: PreparedText) -> np.ndarray:
    """Numbers of 2 or 3 digits (12, 321): no evidence alone (``content_mask``), but a corpus match
    holding them is more than the single digits and punctuation found in any code ("(1, 2), (1, 3)")."""
    words = word_texts(p)
    return np.fromiter((w.isdigit() and 2 <= len(w) <= 3 for w in words), bool, len(words))


def word_texts(p: PreparedText) -> list[str]:
    """The words of a prepared part as the index sees them (its query text)."""
    return [p.qtext[a:b] for a, b in zip(p.word_starts.tolist(), p.word_ends.tolist(), strict=True)]


# a number written with separators, 4 or more characters: a decimal point, colon or slash between
# any digits (4.26, 12:45, 3/16), a comma only before groups of 3 (80,000: "1,2,3,4" is a list)
_LONG_NUMBER = re.compile(r"\d+(?:[.:/]\d+|,\d{3}(?!\d))+")


def is_content_word(word: str) -> bool:
    """See ``content_mask``."""
    if len(word) < 2 or not any(c.isalnum() for c in word):
        return False
    return not (word.isdigit() and len(word) <= 3)


def _hashes(words: list[str], n: int) -> list[int]:
    return [hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1)]


def ngram_hashes(p: PreparedText, n: int) -> list[int]:
    """Hash of the casefolded word n-gram starting at each word (len = max(0, words - n + 1)); cached."""
    if p.hashes is None:
        words = [p.qtext[a:b].casefold() for a, b in zip(p.word_starts.tolist(), p.word_ends.tolist(), strict=True)]
        p.hashes = _hashes(words, n)
    return p.hashes


def text_ngram_hashes(index: IndexReader, text: str, n: int) -> list[int]:
    """``ngram_hashes`` of a text as the index sees it, without tokenizing it."""
    text = index.tokenizer.normalize_text(text)
    return _hashes([w.casefold() for w in WORD.findall(text)], n)
