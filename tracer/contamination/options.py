"""Parameters of a contamination check, shared by the metrics, the verdict and the reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tracer.errors import InputError

METHODS = ("coverage", "skip_coverage", "ngram", "longest", "13gram")
PARTS = ("any", "both", "input", "label")

# the default threshold of each method: the share of the item's words (or n-grams) it needs
DEFAULT_THRESHOLDS = {"coverage": 0.4, "skip_coverage": 0.4, "ngram": 0.7, "longest": 0.5, "13gram": 1.0}


@dataclass(frozen=True)
class CheckOptions:
    """What counts as a match and what makes an item contaminated.

    Lengths are in words (see ``tracer.contamination.words``), so they mean the same for the
    bytes tokenizer and any BPE vocabulary.
    """

    ngram: int = 8  # shortest shared span that counts, in words (Llama 2 / PaLM / ConTAM n)
    skip_budget: int = 4  # mismatched words allowed inside a span (Llama 2), none in its first n
    gpt3_ngram: int = 13  # the any-13-gram flag of GPT-3
    clean_below: float = 0.2  # category thresholds on coverage (Llama 2)
    dirty_from: float = 0.8
    method: str = "skip_coverage"  # which metric decides `contaminated`
    threshold: float | None = None  # its threshold (None: DEFAULT_THRESHOLDS[method])
    part: str = "any"  # which part the verdict reads: any (the higher of input and both), both, input, label
    max_documents: int = 3  # top matched documents kept per item
    max_spans: int = 4  # matched spans looked up in documents, per part
    context: int = 80  # snippet context in characters
    template_items: int = 2  # n-grams shared by this many items of a benchmark are template text (0: off)
    json_variants: bool = True  # also match each part as escaped inside a JSON string

    def __post_init__(self) -> None:
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

    def to_json(self) -> dict:
        d = asdict(self)
        d["threshold"] = self.verdict_threshold
        return d
