"""The options of trace and find: one frozen dataclass per operation holds each option's name,
default and validation.

Everything else derives from these classes (``Index.trace``/``Index.find``, the CLI flags, the
wire conversion, the clients, the fan-out merge and the server), so a default is written once,
here. A field's ``metadata`` may carry a ``CliFlag`` (see ``flag``): how the option is spelled on
the command line; ``tracer.cli.options`` turns it into an argparse argument.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from tracer.errors import InputError

RANKS = ("unigram", "length")
DEFAULT_MIN_LEN_BYTES = 24  # bytes tokenizer: a few words
DEFAULT_MIN_LEN_TOKENS = 6  # BPE and other tokenizers: about 4 characters per token in English
SNIPPET_CONTEXT = 80  # characters each side of a match in snippets (find, trace, contamination)
SPANS_PER_TOKEN = 0.05  # trace keeps K = ceil(0.05 L) spans of an L-token text (OLMoTrace)

T = TypeVar("T")


@dataclass(frozen=True)
class CliFlag:
    """How an option is given on the command line. ``help`` may name ``{default}`` (the field's
    default) or any other field of the class by name; ``negate``: a flag that turns a True option off."""

    names: tuple[str, ...]
    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    negate: bool = False


def flag(*names: str, help: str, metavar: str | None = None, choices: tuple[str, ...] | None = None,
         negate: bool = False) -> dict[str, CliFlag]:
    """Field metadata naming the option's command-line flag(s)."""
    return {"cli": CliFlag(names, help, metavar, choices, negate)}


def defaults(cls: type) -> dict[str, Any]:
    """Each option's default, by name (for callers that fill in what a caller left unset)."""
    return {f.name: f.default for f in dataclasses.fields(cls)}


def resolve(cls: type[T], options: T | None, overrides: dict[str, Any]) -> T:
    """``options`` (or the defaults) with ``overrides`` applied and validated; an unknown name is a TypeError."""
    base = cls() if options is None else options
    if not isinstance(base, cls):
        raise InputError(f"options must be a {cls.__name__}, got {type(base).__name__}")
    return dataclasses.replace(base, **overrides) if overrides else base


def check_int(name: str, value: Any, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise InputError(f"{name} must be an integer >= {least}, got {value!r}")


@dataclass(frozen=True)
class TraceOptions:
    """What ``trace`` keeps: spans of at least ``min_len`` tokens (None: per tokenizer) occurring at
    most ``max_count`` times, never past a ``delimiters`` character, the K rarest (``rank``) or all."""

    max_count: int = field(default=10, metadata=flag(
        "--max-count", metavar="N", help="keep spans occurring at most N times (default {default})"))
    min_len: int | None = field(default=None, metadata=flag(
        "--min-len", metavar="N", help=f"minimum span length in tokens (default: {DEFAULT_MIN_LEN_BYTES} for "
                                       f"bytes indexes, {DEFAULT_MIN_LEN_TOKENS} for BPE)"))
    delimiters: str = field(default="\n.", metadata=flag(
        "--delimiters", metavar="CHARS",
        help=r"characters a span may not run past (default {default!r}; \n and \t escapes understood)"))
    rank: str = field(default="unigram", metadata=flag(
        "--rank", choices=RANKS, help="rank spans by lowest unigram probability (default) or by length"))
    k: int | None = field(default=None, metadata=flag(
        "-k", "--top", help=f"spans to keep (default ceil({SPANS_PER_TOKEN} x tokens))"))
    all_spans: bool = field(default=False, metadata=flag("--all", help="keep every span, not only the top K"))
    max_docs: int = field(default=10, metadata=flag(
        "--max-docs", metavar="N", help="documents per span (default {default})"))
    context: int = field(default=SNIPPET_CONTEXT, metadata=flag(
        "--context", metavar="CHARS", help="snippet context in characters (default {default})"))

    def __post_init__(self) -> None:
        if not isinstance(self.delimiters, str):
            raise InputError("delimiters must be a string of characters")
        check_int("max_count", self.max_count, 1)
        if self.min_len is not None:
            check_int("min_len", self.min_len, 1)
        check_int("max_docs", self.max_docs, 0)
        check_int("context", self.context, 0)
        if self.k is not None:
            check_int("k", self.k, 0)
        if self.rank not in RANKS:
            raise InputError(f"rank must be one of {', '.join(RANKS)}, got {self.rank!r}")

    def span_min_len(self, tokenizer_name: str) -> int:
        """``min_len``, or the tokenizer's default: about the same amount of text for bytes and BPE."""
        if self.min_len is not None:
            return int(self.min_len)
        return DEFAULT_MIN_LEN_BYTES if tokenizer_name == "bytes" else DEFAULT_MIN_LEN_TOKENS


@dataclass(frozen=True)
class FindOptions:
    """How many occurrences ``find`` returns (evenly sampled when there are more) and their snippets."""

    limit: int = field(default=10, metadata=flag("--limit", help="occurrences to show (default {default})"))
    context: int = field(default=SNIPPET_CONTEXT, metadata=flag(
        "--context", help="snippet context in characters"))

    def __post_init__(self) -> None:
        check_int("limit", self.limit, 0)
        check_int("context", self.context, 0)


MAX_CLAUSE_FREQ = 50_000  # occurrences of a search's rarest clause examined before sampling (as infini-gram)


@dataclass(frozen=True)
class NgramOptions:
    """``ntd`` / ``infgram_ntd``: exact while the context occurs at most ``max_support`` times, else
    counted over an even sample of that many occurrences (and marked approximate)."""

    max_support: int = field(default=1000, metadata=flag(
        "--max-support", metavar="N",
        help="count continuations exactly up to N occurrences of the context, else over an even sample "
             "of N (default {default})"))

    def __post_init__(self) -> None:
        check_int("max_support", self.max_support, 1)


@dataclass(frozen=True)
class SearchOptions:
    """AND/OR search: clauses within ``window`` tokens (None: anywhere in the document), up to ``limit``
    documents returned, the count exact while each shard's rarest clause occurs at most
    ``max_clause_freq`` times (else estimated from a sample and marked approximate)."""

    window: int | None = field(default=None, metadata=flag(
        "--window", metavar="N", help="every clause matches within N tokens of the others (default: anywhere "
                                      "in the document)"))
    limit: int = field(default=10, metadata=flag(
        "--limit", metavar="N", help="documents to show (default {default})"))
    max_clause_freq: int = field(default=MAX_CLAUSE_FREQ, metadata=flag(
        "--max-clause-freq", metavar="N",
        help="exact count while the rarest clause occurs at most N times per shard (default {default})"))

    def __post_init__(self) -> None:
        if self.window is not None:
            check_int("window", self.window, 0)
        check_int("limit", self.limit, 0)
        check_int("max_clause_freq", self.max_clause_freq, 1)


# default least scores of find_similar: the word verifier alone, and mixed with a sentence model
# (tracer.query.soft.model; chosen on benchmarks/scripts/soft_eval.py)
SOFT_THRESHOLD = 0.4
SOFT_MODEL_THRESHOLD = 0.6


@dataclass(frozen=True)
class SoftOptions:
    """Soft (similar-passage) search, ``Index.find_similar``: which of the query's words retrieve
    candidates (the ``words`` rarest, each located at most ``occurrences`` times), how many
    candidate windows are verified (``candidates``), and the score a passage needs (``threshold``,
    0..1; None: 0.4, or 0.6 with a model). ``model``: a local sentence-embedding model directory
    whose cosine is mixed into the score (tracer.query.soft.model; needs the [model] extra)."""

    threshold: float | None = field(default=None, metadata=flag(
        "--soft-threshold", metavar="S",
        help="least similarity (0..1) of a soft match (default 0.4; 0.6 with --soft-model)"))
    words: int = field(default=12, metadata=flag(
        "--soft-words", metavar="N", help="rarest query words that retrieve candidates (default {default})"))
    occurrences: int = field(default=5000, metadata=flag(
        "--soft-occurrences", metavar="N",
        help="occurrences of each retrieval word examined, evenly sampled beyond (default {default})"))
    candidates: int = field(default=24, metadata=flag(
        "--soft-candidates", metavar="N", help="candidate passages verified per query (default {default})"))
    model: str | None = field(default=None, metadata=flag(
        "--soft-model", metavar="PATH",
        help="local sentence-embedding model directory (e.g. one sentence-transformers saved) that re-scores "
             "the word verifier's best passages (needs the [model] extra; never downloaded)"))

    def __post_init__(self) -> None:
        if self.threshold is not None and (isinstance(self.threshold, bool)
                                           or not isinstance(self.threshold, (int, float))
                                           or not 0.0 <= self.threshold <= 1.0):
            raise InputError(f"soft threshold must be a number in [0, 1], got {self.threshold!r}")
        check_int("words", self.words, 1)
        check_int("occurrences", self.occurrences, 1)
        check_int("candidates", self.candidates, 1)
        if self.model is not None and (not isinstance(self.model, str) or not self.model.strip()):
            raise InputError(f"--soft-model must be a directory path, got {self.model!r}")

    @property
    def score_threshold(self) -> float:
        """The least score of a match: the one given, else the default of the scorer in use."""
        if self.threshold is not None:
            return float(self.threshold)
        return SOFT_MODEL_THRESHOLD if self.model else SOFT_THRESHOLD
