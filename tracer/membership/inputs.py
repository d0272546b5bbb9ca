"""Per-text scoring inputs (token ids + log-probs) parsed and validated from JSON rows.

Validation lives here so that every caller (CLI, gRPC, Python) rejects bad rows with the
same one-line message naming where the row came from (``file:line``) and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracer.corpus.records import iter_records
from tracer.errors import InputError

# a log-probability is <= 0; allow rounding noise from harnesses that print few digits
_LOGPROB_SLACK = 1e-3
_VAR_SLACK = 1e-6


@dataclass
class ScoreInput:
    """One text to score. Arrays have length n; NaN in ``logprobs`` marks an unscored token.

    ``logprob_mean``/``logprob_var`` are the mean and variance of ln p over the model's full
    next-token distribution at each position (needed only by Min-K%++). ``prefix_logprobs``:
    the same text's log-probs with a non-member prefix before it (needed only by ReCaLL).
    """

    id: str
    token_ids: np.ndarray  # int64 (n,)
    logprobs: np.ndarray  # float64 (n,), NaN = unscored
    logprob_mean: np.ndarray | None = None  # float64 (n,), NaN where unknown
    logprob_var: np.ndarray | None = None  # float64 (n,), NaN where unknown
    text: str | None = None
    label: int | None = None
    tokenizer_fingerprint: str | None = None
    prefix_logprobs: np.ndarray | None = None  # float64 (n,), NaN = unscored


def _fail(where: str, msg: str) -> InputError:
    return InputError(f"{where}: {msg}")


def _int_array(value: Any, where: str, field: str) -> np.ndarray:
    if not isinstance(value, list):
        raise _fail(where, f"field '{field}' must be a list of integers")
    arr = np.asarray(value) if value else np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise _fail(where, f"field '{field}' must be a list of integers")
    if arr.size and int(arr.min()) < 0:
        raise _fail(where, f"field '{field}' has a negative token id ({int(arr.min())})")
    return arr.astype(np.int64, copy=False)


def _float_array(value: Any, where: str, field: str, n: int) -> np.ndarray:
    """A list of numbers or nulls (-> NaN) of length n."""
    if not isinstance(value, list):
        raise _fail(where, f"field '{field}' must be a list of numbers or nulls")
    if len(value) != n:
        raise _fail(where, f"field '{field}' has {len(value)} entries, 'token_ids' has {n}")
    arr = np.asarray(value) if value else np.zeros(0, dtype=np.float64)
    if arr.ndim == 1 and arr.dtype.kind in "iuf":
        return arr.astype(np.float64, copy=False)
    out = np.empty(n, dtype=np.float64)
    for i, v in enumerate(value):
        if v is None:
            out[i] = np.nan
        elif type(v) is float or type(v) is int:
            out[i] = v
        else:
            raise _fail(where, f"field '{field}'[{i}] is {type(v).__name__}, expected a number or null")
    return out


def parse_row(obj: Any, where: str, default_id: str, label_field: str | None = None) -> ScoreInput:
    """Validate one JSON object with ``token_ids``, ``logprobs`` and optional extras."""
    if not isinstance(obj, dict):
        raise _fail(where, "expected a JSON object")
    for field in ("token_ids", "logprobs"):
        if field not in obj:
            raise _fail(where, f"field '{field}' is missing")
    ids = _int_array(obj["token_ids"], where, "token_ids")
    n = len(ids)
    lp = _float_array(obj["logprobs"], where, "logprobs", n)
    bad = np.flatnonzero(lp > _LOGPROB_SLACK)
    if bad.size:
        raise _fail(where, f"field 'logprobs'[{bad[0]}] = {lp[bad[0]]} > 0 is not a natural-log probability")
    mean = var = prefixed = None
    if obj.get("prefix_logprobs") is not None:
        prefixed = _float_array(obj["prefix_logprobs"], where, "prefix_logprobs", n)
        bad = np.flatnonzero(prefixed > _LOGPROB_SLACK)
        if bad.size:
            raise _fail(where, f"field 'prefix_logprobs'[{bad[0]}] = {prefixed[bad[0]]} > 0 is not a "
                               "natural-log probability")
    if obj.get("logprob_mean") is not None:
        mean = _float_array(obj["logprob_mean"], where, "logprob_mean", n)
    if obj.get("logprob_var") is not None:
        var = _float_array(obj["logprob_var"], where, "logprob_var", n)
        bad = np.flatnonzero(var < -_VAR_SLACK)
        if bad.size:
            raise _fail(where, f"field 'logprob_var'[{bad[0]}] = {var[bad[0]]} is negative")
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise _fail(where, "field 'text' must be a string")
    fp = obj.get("tokenizer_fingerprint")
    if fp is not None and not isinstance(fp, str):
        raise _fail(where, "field 'tokenizer_fingerprint' must be a string")
    return ScoreInput(
        id=row_id(obj, where, default_id),
        token_ids=ids,
        logprobs=lp,
        logprob_mean=mean,
        logprob_var=var,
        text=text,
        label=row_label(obj, where, label_field),
        tokenizer_fingerprint=fp,
        prefix_logprobs=prefixed,
    )


def row_id(obj: dict, where: str, default_id: str, field: str = "id") -> str:
    value = obj.get(field)
    if value is None:
        return default_id
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _fail(where, f"field '{field}' must be a string or an integer")
    return str(value)


def row_label(obj: dict, where: str, label_field: str | None) -> int | None:
    """1 = member, 0 = non-member (true/false accepted)."""
    if label_field is None:
        return None
    if label_field not in obj:
        raise _fail(where, f"label field '{label_field}' is missing")
    value = obj[label_field]
    if value in (0, 1) and not isinstance(value, float):
        return int(value)
    raise _fail(where, f"label field '{label_field}' must be 1 (member) or 0 (non-member), got {value!r}")


def read_logprobs_jsonl(path: str, label_field: str | None = None) -> Iterator[ScoreInput]:
    """Rows of a log-probs file (JSONL, or any format ``iter_records`` reads); a row without ``id`` is
    named by its line (or row) number."""
    for rec in iter_records(path):
        yield parse_row(rec.data, rec.where, str(rec.number), label_field)


@dataclass
class TextRow:
    """A text to run through a model, with its id and optional membership label."""

    id: str
    text: str
    label: int | None = None


def read_texts_jsonl(path: str, text_field: str = "text", label_field: str | None = None) -> Iterator[TextRow]:
    """Texts to score with a model, from JSONL (or any format ``iter_records`` reads)."""
    for rec in iter_records(path):
        text = rec.text(text_field)
        yield TextRow(row_id(rec.data, rec.where, str(rec.number)), text, row_label(rec.data, rec.where, label_field))
