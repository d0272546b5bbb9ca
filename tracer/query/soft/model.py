"""A local sentence-embedding model as soft search's second opinion (``--soft-model PATH``).

Word alignment alone cannot tell a paraphrase ("Becker asserted that the use of cannabis was")
from another question on the same topic that shares its 3-4 rare words; a sentence encoder
scores meaning. The model only re-ranks what the index already retrieved and the word verifier
accepted (lexical score >= ``MODEL_FLOOR``), so it costs a few encoder passes per query and
never widens the search. The final score mixes both: ``LEXICAL_WEIGHT`` x lexical + the rest x
cosine (default thresholds: ``SOFT_MODEL_THRESHOLD`` for find, the contamination tier's own). The
weights, the floor and the thresholds were chosen on the soft evaluation
(benchmarks/scripts/soft_eval.py, benchmarks/RESULTS.md "Soft matching with a sentence model").

A model is a local directory: a Hugging Face encoder (config.json, weights, tokenizer files), as
sentence-transformers saves it (its ``1_Pooling/config.json`` and ``sentence_bert_config.json``
are honoured; without them, mean pooling over 256 tokens). It is read with ``transformers``
from the ``[model]`` extra, never downloaded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tracer.errors import InputError

MODEL_FLOOR = 0.25  # lexical score a passage needs before the model looks at it
LEXICAL_WEIGHT = 0.35  # final score = 0.35 x lexical + 0.65 x cosine
RESCORED = 4  # best lexical passages of a query that the model re-scores
BATCH = 32  # texts per encoder pass (sorted by length, so a batch pads little)

_LOADED: dict[str, SentenceModel] = {}
_LOCK = threading.Lock()


def combined_score(lexical: float, cosine: float) -> float:
    """The final score of a passage both scorers judged (cosine below 0 counts as 0)."""
    return LEXICAL_WEIGHT * lexical + (1.0 - LEXICAL_WEIGHT) * max(0.0, cosine)


class SentenceModel:
    """An encoder that maps texts to unit vectors (cosine = dot product)."""

    def __init__(self, path: Path, tokenizer: Any, model: Any, pooling: str, max_length: int):
        self.path = path
        self.tokenizer = tokenizer
        self.model = model
        self.pooling = pooling
        self.max_length = max_length
        self._lock = threading.Lock()  # one forward pass at a time: torch already uses every core

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors, in the order given."""
        import torch

        texts = list(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[np.ndarray | None] = [None] * len(texts)
        with self._lock, torch.inference_mode():
            for lo in range(0, len(order), BATCH):
                idx = order[lo : lo + BATCH]
                batch = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                vecs = _pool(hidden, batch["attention_mask"], self.pooling)
                vecs = torch.nn.functional.normalize(vecs.float(), dim=1).numpy()
                for i, v in zip(idx, vecs, strict=True):
                    out[i] = v
        return np.stack(out)  # type: ignore[arg-type]


def _pool(hidden: Any, mask: Any, pooling: str) -> Any:
    if pooling == "cls":
        return hidden[:, 0]
    m = mask.unsqueeze(-1).to(hidden.dtype)
    if pooling == "max":
        return hidden.masked_fill(m == 0, float("-inf")).max(dim=1).values
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"--soft-model: cannot read {path}: {e}") from None
    if not isinstance(data, dict):
        raise InputError(f"--soft-model: {path}: expected a JSON object")
    return data


def _pooling_and_length(root: Path) -> tuple[str, int]:
    """Pooling mode and longest input, from a sentence-transformers directory's own files."""
    pooling_dir = root / "1_Pooling"
    modules = root / "modules.json"
    if modules.is_file():
        try:
            entries = json.loads(modules.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InputError(f"--soft-model: cannot read {modules}: {e}") from None
        for m in entries if isinstance(entries, list) else []:
            if isinstance(m, dict) and str(m.get("type", "")).endswith("Pooling"):
                pooling_dir = root / str(m.get("path", "1_Pooling"))
    pooling = "mean"
    if (pooling_dir / "config.json").is_file():
        cfg = _read_json(pooling_dir / "config.json")
        if cfg.get("pooling_mode_cls_token"):
            pooling = "cls"
        elif cfg.get("pooling_mode_max_tokens"):
            pooling = "max"
    max_length = 256
    if (root / "sentence_bert_config.json").is_file():
        value = _read_json(root / "sentence_bert_config.json").get("max_seq_length", max_length)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputError(f"--soft-model: {root / 'sentence_bert_config.json'}: max_seq_length must be "
                             f"a positive integer (got {value!r})")
        max_length = value
    return pooling, max_length


def load_model(path: str | Path) -> SentenceModel:
    """The model in directory ``path``, loaded once per process (later calls share it)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise InputError(f"--soft-model {path}: not a directory (give a local sentence-embedding model "
                         f"directory, e.g. one sentence-transformers saved)")
    if not (root / "config.json").is_file():
        raise InputError(f"--soft-model {path}: no config.json (not a Hugging Face model directory)")
    key = str(root.resolve())
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        pooling, max_length = _pooling_and_length(root)
        try:
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError:
            raise InputError("--soft-model needs the [model] extra: pip install 'tracer[model]'") from None
        hf_logging.disable_progress_bar()  # a "Loading weights" bar per load is noise in a CLI or a server log
        try:
            tokenizer = AutoTokenizer.from_pretrained(key, local_files_only=True)
            model = AutoModel.from_pretrained(key, local_files_only=True).eval()
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            raise InputError(f"--soft-model {path}: cannot load it as an encoder: {e}") from None
        loaded = SentenceModel(root, tokenizer, model, pooling, max_length)
        _LOADED[key] = loaded
        return loaded
