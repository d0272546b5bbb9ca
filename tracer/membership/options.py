"""The options of membership scoring (names, defaults, validation), from which the library, the
CLI flags, the gRPC client and the server derive theirs."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracer.errors import InputError
from tracer.query.options import flag


@dataclass(frozen=True)
class ScoreOptions:
    """``k``: the share of lowest-scored tokens Min-K% and Min-K%++ average (Shi et al. use 0.2);
    ``a``: DC-PDD's cap on each token's calibrated probability (Zhang et al.); ``reference_scores``:
    also the ∞-gram reference scores (infgram_ref, ...) against the index."""

    k: float = field(default=0.2, metadata=flag(
        "--k", help="fraction of lowest tokens for Min-K%% (default {default})"))
    a: float = field(default=0.01, metadata=flag("--a", help="DC-PDD cap per token (default {default})"))
    # infgram_ref and its variants on the scoring index as the reference corpus (tracer.membership.reference);
    # no flag: `tracer score` always computes them on its --index
    reference_scores: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.k <= 1.0:
            raise InputError(f"k must be in (0, 1], got {self.k}")
        if not self.a > 0.0:
            raise InputError(f"a must be > 0, got {self.a}")
        if not isinstance(self.reference_scores, bool):
            raise InputError(f"reference_scores must be true or false, got {self.reference_scores!r}")
