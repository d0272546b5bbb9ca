"""Words of a soft query and of a passage: spans, match keys (cheap stems, numbers), stopwords.

Soft matching compares words, not tokens, so that it behaves the same on bytes and BPE indexes.
A word's *key* is what two spellings must share to align: numbers by value ("80,000" = "80000",
"three" = "3"), other words by a suffix-stripped stem ("ducks" = "duck", "baked" = "bake").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# numbers (with thousands separators and decimals) or runs of letters; identifiers split at "_"
# and digits, so has_close_elements -> has, close, elements
WORD = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|[^\W\d_]+")
CAMEL = re.compile(r"[a-z](?=[A-Z])")

_STOP_TEXT = """
a about above after again against all also am an and any are aren as at be because been before being
below between both but by can cannot could did do does doing down during each either else etc ever every
few for from further get gets got had has have having he her here hers herself him himself his how i if
in into is isn it its itself just let like made make makes many may me might more most much must my
myself no nor not now of off on once one only or other others our ours ourselves out over own per same
she should so some such than that the their theirs them themselves then there these they this those
through thus to too under until up upon us use used uses using very via was we were what whatever when
where whether which while who whom whose why will with within without would yet you your yours yourself
question answer true false none return returns def self
"""
STOPWORDS = frozenset(_STOP_TEXT.split())

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60",
    "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000",
    "twice": "2", "thrice": "3", "dozen": "12",
}
_SUFFIXES = ("ational", "ization", "ingly", "ments", "ment", "ness", "ings", "ing", "ies", "ied", "ly", "ed",
             "es", "s")


def stem(word: str) -> str:
    """A cheap suffix stripper (lower-case input): plurals, tenses, -ly/-ment/-ness, and a final
    "e" dropped so that hike / hiking / hiked and mile / miles meet. Not a linguist's stemmer: it
    only has to send the inflections of one word to one key, and rarely two words to one."""
    if word.endswith("'s"):
        word = word[:-2]
    base = word
    for suf in _SUFFIXES:
        if not word.endswith(suf) or len(word) - len(suf) < (3 if len(suf) <= 3 else 4):
            continue
        cut = word[: -len(suf)]
        if suf in ("ies", "ied"):
            base = cut + "y"
        elif suf == "s":
            base = word if cut.endswith(("s", "u", "i")) else cut  # class, status, radius: not plurals
        elif suf == "es":
            base = cut if cut.endswith(("s", "x", "z", "ch", "sh")) else word[:-1]  # boxes; miles -> mile
        elif suf == "ed" and cut.endswith("e"):
            base = word  # speed, need, agreed
        else:
            base = cut
            if suf in ("ing", "ed", "ings") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # running -> run, stopped -> stop
        break
    if len(base) > 3 and base.endswith("e") and not base.endswith("ee"):
        base = base[:-1]
    return SYNONYMS.get(base, base)


# A small thesaurus of the substitutions paraphrasers make most (checked on the rephrased GSM8K,
# MMLU and HumanEval development sets): each stem maps to its group's first word. Words the
# corpus statistics cannot relate, kept short so that it does not merge different problems. The
# second block (after the blank line) is the wording of questions about claims and research ("X
# argued that" / "X contended that", "study" / "research", "idea" / "concept"), which rephrasings
# swap freely.
_GROUPS = """
buy purchas acquir
shop store
cost pric
earn mak
sell trad
eat consum
want plan aim wish desir intend
hous hom
start begin commenc
finish end complet conclud
get obtain receiv
giv provid
rest remain remainder
total altogether overall combin
larg big
small littl tiny
speed velocity pac rat
need requir
increas ris surg grow boost
decreas fall drop declin reduc
choos select pick opt
calculat comput determin
check verify
apartment flat
kid child children
utiliz employ
job work
car vehicl
integer int
element item entry
sequenc list array
text str string
remov delet eliminat eradicat
twic doubl
quick fast rapid

argu claim assert contend maintain alleg said say
suggest propos indicat imply
think thought believ
study research investigat investigation
idea concept notion
explain interpret
show shown demonstrat reveal
involv entail
consist compos compris constitut
examin analyz analys explor
describ depict portray
modern contemporary
happen occur
result outcom consequenc
help assist
important significant major
focus emphasis emphasiz
"""
SYNONYMS: dict[str, str] = {w: g.split()[0] for g in _GROUPS.strip().split("\n") for w in g.split()[1:]}


def number_key(text: str) -> str | None:
    """The value of a digit string, spelled canonically ("80,000" -> "80000", "2.50" -> "2.5"), else None."""
    if not text[:1].isdigit():
        return None
    t = text.replace(",", "")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t.lstrip("0") or "0"


class Word(NamedTuple):
    """One word occurrence: its text, char span in the text it came from, match key and kind (a
    tuple: the soft tier makes millions of them, 3x faster than a frozen dataclass)."""

    text: str
    start: int
    end: int
    key: str
    number: bool
    stop: bool


def words(text: str) -> list[Word]:
    """The words of ``text`` with their character spans and keys, in order."""
    out: list[Word] = []
    for m in WORD.finditer(text):
        raw = m.group()
        start = m.start()
        parts = [(raw, start)]
        if not raw[0].isdigit() and CAMEL.search(raw):  # camelCase identifiers -> camel, case
            parts = []
            prev = 0
            for c in CAMEL.finditer(raw):
                parts.append((raw[prev : c.end()], start + prev))
                prev = c.end()
            parts.append((raw[prev:], start + prev))
        for piece, s in parts:
            key, number, stop = _piece_kind(piece)
            out.append(Word(piece, s, s + len(piece), key, number, stop))
    return out


@lru_cache(maxsize=1 << 17)
def _piece_kind(piece: str) -> tuple[str, bool, bool]:
    """(key, number, stop) of one word piece: cached, since a batch of passages repeats its words
    (stemming them afresh was half the soft tier's time)."""
    low = piece.lower()
    num = number_key(piece) or NUMBER_WORDS.get(low)
    if num is not None:
        return "#" + num, True, False
    return stem(low), False, low in STOPWORDS or len(low) < 2


def retrieval_forms(word: Word, bytes_index: bool) -> list[str]:
    """Strings to look a word up by in the index: for bytes indexes the stem is a prefix of every
    inflection (one lookup finds ducks and duck); BPE indexes need whole words, as written and
    lower-cased / capitalized (the tokenizer adds the space-prefixed spellings)."""
    low = word.text.lower()
    if word.number:
        return [word.text]
    base = word.key if bytes_index and len(word.key) >= 4 and low.startswith(word.key) else low
    forms = [base, base[:1].upper() + base[1:], word.text]
    return list(dict.fromkeys(forms))


def number_weight(key: str) -> float:
    """How much a number's agreement counts: single digits (counts of things, list items) are
    shared by unrelated texts far more often than 16 or 80000, so they weigh a third."""
    return 0.35 if len(key) == 2 else 1.0  # "#7"
