"""The numpy versions of the word split and the JSON-escaped spelling equal their definitions
(the regex WORD and json.dumps per character) on random text, ASCII and not."""

from __future__ import annotations

import json
import random

import numpy as np

from tracer.contamination.words import WORD, json_escaped, word_spans

ALPHABET = [chr(i) for i in range(130)] + ["é", "日", "\u00a0", "\u2028", "ß", "²", "٣", "\u3000", "Ⅻ", "\u200b",
                                           "\U0001f600"]


def test_word_spans_equal_the_regex():
    rng = random.Random(5)
    for k in range(2000):
        chars = ALPHABET if k % 2 else ALPHABET[:128]  # the ASCII path and the general one
        s = "".join(rng.choice(chars) for _ in range(rng.randint(0, 50)))
        a, b = word_spans(s)
        assert list(zip(a.tolist(), b.tolist(), strict=True)) == [m.span() for m in WORD.finditer(s)], repr(s)


def _by_definition(text: str) -> tuple[str, np.ndarray] | None:
    pieces = [json.dumps(c, ensure_ascii=False)[1:-1] for c in text]
    if all(len(p) == 1 for p in pieces):
        return None
    offsets = [i for i, p in enumerate(pieces) for _ in p] + [len(text)]
    return "".join(pieces), np.asarray(offsets, dtype=np.int64)


def test_json_escaped_equals_json_dumps_per_character():
    rng = random.Random(6)
    for k in range(3000):
        chars = ALPHABET if k % 3 else ALPHABET[32:]  # some texts without control characters
        s = "".join(rng.choice(chars) for _ in range(rng.randint(0, 40)))
        want, got = _by_definition(s), json_escaped(s)
        assert (want is None and got is None) or (want[0] == got[0] and np.array_equal(want[1], got[1])), repr(s)
