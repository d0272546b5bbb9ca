"""Parameters of a contamination check, shared by the metrics, the verdict and the reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tracer.errors import InputError
from tracer.query.options import SNIPPET_CONTEXT, flag

METHODS = ("coverage", "skip_coverage", "ngram", "longest", "13gram")
PARTS = ("any", "both", "input", "label")

# the default least score of a soft match (tracer.contamination.soft), by the word verifier alone and
# mixed with a sentence model (--soft-model): chosen on the development data of
# benchmarks/scripts/soft_eval.py (see benchmarks/RESULTS.md, "Soft contamination", "Session 8")
DEFAULT_SOFT_THRESHOLD = 0.45
DEFAULT_SOFT_MODEL_THRESHOLD = 0.64

# the default threshold of each method: the share of the item's words (or n-grams) it needs
DEFAULT_THRESHOLDS = {"coverage": 0.4, "skip_coverage": 0.4, "ngram": 0.7, "longest": 0.5, "13gram": 1.0}


_THRESHOLD_HELP = ", ".join(f"{m} {t:g}" for m, t in DEFAULT_THRESHOLDS.items())


@dataclass(frozen=True)
class CheckOptions:
    """What counts as a match and what makes an item contaminated.

    Lengths are in words (see ``tracer.contamination.words``), so they mean the same for the
    bytes tokenizer and any BPE vocabulary. A field's ``flag`` metadata is its ``tracer
    contamination`` option (tracer.cli.options); fields without one are library/gRPC only.
    """

    # shortest shared span that counts, in words (Llama 2 / PaLM / ConTAM n)
    ngram: int = field(default=8, metadata=flag(
        "--ngram", metavar="N", help="shortest shared span that counts, in words (default {default})"))
    skip_budget: int = 4  # mismatched words allowed inside a span (Llama 2), none in its first n
    gpt3_ngram: int = 13  # the any-13-gram flag of GPT-3
    # category thresholds on coverage (Llama 2)
    clean_below: float = field(default=0.2, metadata=flag("--clean-below", help="category threshold (default {default})"))
    dirty_from: float = field(default=0.8, metadata=flag("--dirty-from", help="category threshold (default {default})"))
    # which metric decides `contaminated`
    method: str = field(default="skip_coverage", metadata=flag(
        "--method", choices=METHODS,
        help="metric that decides `contaminated` (default {default}: share of the item's words in Llama 2 "
             "spans: a shared run of >= N words, continued across up to {skip_budget} mismatched words; "
             "coverage: no mismatches)"))
    # its threshold (None: DEFAULT_THRESHOLDS[method])
    threshold: float | None = field(default=None, metadata=flag(
        "--threshold", help=f"the method's threshold as a fraction (default: {_THRESHOLD_HELP})"))
    # which part the verdict reads: any (the higher of input and both), both, input, label
    part: str = field(default="any", metadata=flag(
        "--part", choices=PARTS, help="part the verdict reads (default {default}: the higher of input and input+label)"))
    max_documents: int = field(default=3, metadata=flag(
        "--documents", metavar="N", help="matched documents kept per item (default {default})"))  # top matched documents per item
    max_spans: int = 4  # matched spans looked up in documents, per part
    context: int = SNIPPET_CONTEXT  # snippet context in characters
    # n-grams shared by this many items of a benchmark are template text (0: off)
    template_items: int = field(default=2, metadata=flag(
        "--template-items", metavar="K", help="word n-grams shared by K or more items of a benchmark are template "
                                              "text and left out of coverage (default {default}; 0 turns this off)"))
    # also match each part as escaped inside a JSON string
    json_variants: bool = field(default=True, metadata=flag(
        "--no-json-variant", negate=True, help="do not also match each item as escaped inside a JSON string"))

    # the soft tier: items the exact tiers call clean, searched for paraphrases (tracer.contamination.soft)
    soft: bool = field(default=False, metadata=flag(
        "--soft", help="also search items the exact tiers call clean for paraphrased or lightly rewritten "
                       "copies (a third tier: match 'soft')"))
    soft_threshold: float | None = field(default=None, metadata=flag(
        "--soft-threshold", metavar="S",
        help=f"least similarity (0..1) of a soft match that makes an item contaminated (default "
             f"{DEFAULT_SOFT_THRESHOLD:g}, {DEFAULT_SOFT_MODEL_THRESHOLD:g} with --soft-model; chosen on the soft evaluation)"))
    # a local sentence-embedding model that re-scores the soft tier's passages (tracer.query.soft.model)
    soft_model: str | None = field(default=None, metadata=flag(
        "--soft-model", metavar="PATH",
        help="local sentence-embedding model directory (e.g. one sentence-transformers saved) that re-scores "
             "soft matches: fewer false positives (needs the [model] extra; never downloaded)"))

    def __post_init__(self) -> None:
        if self.soft_threshold is not None and (
                isinstance(self.soft_threshold, bool) or not isinstance(self.soft_threshold, (int, float))
                or not 0 < self.soft_threshold <= 1):
            raise InputError(f"--soft-threshold must be a number in (0, 1] (got {self.soft_threshold!r})")
        if self.soft_model is not None and (not isinstance(self.soft_model, str) or not self.soft_model.strip()):
            raise InputError(f"--soft-model must be a directory path (got {self.soft_model!r})")
        if self.ngram < 1:
            raise InputError(f"--ngram must be >= 1 (got {self.ngram})")
        if self.skip_budget < 0:
            raise InputError("skip budget must be >= 0")
        if not 0 <= self.clean_below <= self.dirty_from <= 1:
            raise InputError("category thresholds must satisfy 0 <= clean < dirty <= 1")
        if self.method not in METHODS:
            raise InputError(f"unknown method {self.method!r} (choose from {', '.join(METHODS)})")
        if self.part not in PARTS:
            raise InputError(f"unknown part {self.part!r} (choose from {', '.join(PARTS)})")
        if self.threshold is not None and not 0 <= self.threshold <= 1:
            raise InputError(f"threshold must be in [0, 1] (got {self.threshold})")
        if self.template_items < 0:
            raise InputError("template_items must be >= 0")
        if self.max_documents < 0 or self.max_spans < 0 or self.context < 0:
            raise InputError("document, span and context limits must be >= 0")

    @property
    def verdict_threshold(self) -> float:
        return DEFAULT_THRESHOLDS[self.method] if self.threshold is None else self.threshold

    @property
    def soft_cutoff(self) -> float:
        """The least soft score that makes an item contaminated: the one given, else the scorer's default."""
        if self.soft_threshold is not None:
            return float(self.soft_threshold)
        return DEFAULT_SOFT_MODEL_THRESHOLD if self.soft_model else DEFAULT_SOFT_THRESHOLD

    def to_json(self) -> dict:
        d = asdict(self)
        d["threshold"] = self.verdict_threshold
        d["soft_threshold"] = self.soft_cutoff
        return d
